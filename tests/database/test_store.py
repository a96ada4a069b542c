"""The measurement database: record idempotently, filter in SQL, read back, export; and a simulated run recorded
with its instruments' identities and its files' checksums."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pandas as pd
import pytest

from mtjhw.bench import Bench
from mtjhw.database import Database, FilterError, RunRecord
from mtjhw.runner import run_procedure
from tests.conftest import simulated_config


def record(uid: str, tmr: float, die: str, status: str = "finished") -> RunRecord:
    return RunRecord(uid=uid, procedure="rh-loop", device={"wafer": "W7", "die": die, "column": 3, "row": 7},
                     summary={"tmr": tmr, "tmr_err": 0.01, "r_p": 5000.0, "fit": "ok"},
                     units={"tmr": "ratio", "r_p": "Ω"}, status=status,
                     started=datetime(2026, 12, 2, 10, tzinfo=timezone.utc))


@pytest.fixture
def db(tmp_path) -> Database:
    with Database(f"sqlite:///{tmp_path / 'runs.sqlite'}") as database:
        yield database


def test_record_twice_keeps_one_run_with_the_new_values(db: Database) -> None:
    first = db.record(record("a", 1.2, "C03R07"))
    assert db.record(record("a", 1.7, "C03R07")) == first
    assert db.count() == 1
    assert db.run("a").summary["tmr"] == pytest.approx(1.7)


def test_filters_select_in_sql_and_a_bad_one_is_named(db: Database) -> None:
    db.record(record("a", 1.2, "C03R07"))
    db.record(record("b", 1.7, "C04R07"))
    assert [r.uid for r in db.runs(where=["tmr>1.5"])] == ["b"]
    assert [r.uid for r in db.runs(where=["die=C03R07", "r_p<=6000"])] == ["a"]
    assert db.run("b").device == {"wafer": "W7", "die": "C04R07", "column": 3, "row": 7}
    with pytest.raises(FilterError, match="tmrr"):
        db.runs(where=["tmrr>1"])
    with pytest.raises(FilterError, match="'tmr>x'"):
        db.runs(where=["tmr>x"])


def test_export_csv_and_parquet(db: Database, tmp_path) -> None:
    db.record(record("a", 1.2, "C03R07"))
    for name in ("runs.csv", "runs.parquet"):
        path = db.export(tmp_path / name)
        frame = pd.read_csv(path) if name.endswith("csv") else pd.read_parquet(path)
        assert frame.loc[0, "tmr"] == pytest.approx(1.2) and frame.loc[0, "die"] == "C03R07"


def test_a_simulated_run_is_recorded_with_identities_and_checksums(tmp_path) -> None:
    with Bench.open(simulated_config()) as bench:
        outcome = run_procedure("rh-loop", bench, tmp_path / "run", {"points": 21}, progress=False,
                                device={"wafer": "W7", "die": "C03R07"}, campaign="c1")
    row = Database().run(outcome.record.uid)
    assert row.status == "finished" and row.campaign == "c1" and row.device["die"] == "C03R07"
    assert row.instruments["smu"]["idn"].startswith("KEITHLEY") and row.instruments["smu"]["firmware"]
    files = {f["path"]: f for f in row.files}
    assert {"data.csv", "summary.json", "run.json", "plot.png"} <= set(files)
    data = (tmp_path / "run" / "data.csv").read_bytes()
    assert files["data.csv"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert files["data.csv"]["bytes"] == len(data)


def test_a_failed_run_is_recorded_with_its_reason(tmp_path) -> None:
    with Bench.open(simulated_config()) as bench:
        outcome = run_procedure("thermal-stability", bench, tmp_path / "run", {}, progress=False)
    row = Database().run(outcome.record.uid)
    assert row.status == "failed" and "'temperature' role" in row.error


def test_an_aborted_run_resumed_stays_one_run_under_its_uid(tmp_path) -> None:
    import threading

    stop = threading.Event()
    with Bench.open(simulated_config()) as bench:
        first = run_procedure("rh-loop", bench, tmp_path / "run", {"points": 21}, stop=stop,
                              progress=lambda percent: percent < 30 or stop.set())
    assert first.status == "aborted" and Database().run(first.record.uid).status == "aborted"
    with Bench.open(simulated_config()) as bench:
        second = run_procedure("rh-loop", bench, tmp_path / "run", progress=False, resume=True)
    assert second.status == "finished" and second.record.uid == first.record.uid
    row = Database().run(first.record.uid)
    assert Database().count() == 1 and row.status == "finished" and row.points == second.points
