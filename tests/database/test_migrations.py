"""The shipped migrations build exactly the ORM's schema, on SQLite and (with MTJHW_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mtjhw.database import Database, RunRecord
from mtjhw.database.models import Base

URLS = ["sqlite"] + (["postgresql"] if os.environ.get("MTJHW_TEST_POSTGRES_URL") else [])


@pytest.fixture(params=URLS)
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite'}"
    return os.environ["MTJHW_TEST_POSTGRES_URL"]


def test_migrated_schema_equals_the_orm_metadata(url: str) -> None:
    with Database(url) as db, db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_record_and_filter_on_each_backend(url: str) -> None:
    uid = str(uuid.uuid4())
    with Database(url) as db:
        db.record(RunRecord(uid=uid, procedure="rh-loop", summary={"tmr": 1.6}, units={"tmr": "ratio"}))
        db.record(RunRecord(uid=uid, procedure="rh-loop", summary={"tmr": 1.6}, units={"tmr": "ratio"}))
        assert [r.uid for r in db.runs(where=["tmr>1.5"]) if r.uid == uid] == [uid]
