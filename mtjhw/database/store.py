"""The measurement database: :class:`Database` records runs and answers queries (SQLite or PostgreSQL)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .filters import Filter
from .models import DEVICE_COLUMNS, DataFile, Instrument, Run, SummaryValue
from .record import RunRecord, RunRow, summary_of, summary_rows

log = logging.getLogger(__name__)

#: Seconds a writer waits for another process's write to SQLite to finish.
SQLITE_TIMEOUT = 60.0
EXPORT_FORMATS = ("csv", "parquet", "json")


def default_url() -> str:
    """``$MTJHW_DATABASE``, else a SQLite file in the user's data folder."""
    if os.environ.get("MTJHW_DATABASE"):
        return os.environ["MTJHW_DATABASE"]
    import platformdirs

    return f"sqlite:///{Path(platformdirs.user_data_dir('mtjhw')) / 'runs.sqlite'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files are shared between processes (write-ahead log, a busy timeout, each
    transaction takes the write lock at its start so concurrent writers queue instead of failing)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_TIMEOUT})

    @event.listens_for(engine, "connect")
    def _connect(connection: Any, _record: Any) -> None:
        connection.isolation_level = None  # transactions begin below, not in the driver
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic ``upgrade head``), without an alembic.ini."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "mtjhw.database:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """The runs recorded at ``url`` (default :func:`default_url`); the schema is created or upgraded on open."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = make_engine(self.url)
        upgrade(self.engine)

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- writing
    def record(self, record: RunRecord) -> int:
        """Insert ``record``, or update the run with its ``uid`` (recording a run again never duplicates it);
        the run's id."""
        try:
            return self._record(record)
        except IntegrityError:  # another process inserted the same uid meanwhile: update that run
            return self._record(record)

    def _record(self, record: RunRecord) -> int:
        with Session(self.engine) as session, session.begin():
            run = session.scalars(select(Run).where(Run.uid == record.uid)).one_or_none()
            if run is None:
                run = Run(uid=record.uid)
                session.add(run)
            else:  # the old rows go first: the new ones take the same unique keys
                for children in (run.instruments, run.values, run.files):
                    children.clear()
                session.flush()
            _fill(run, record)
            session.flush()
            return run.id

    # ----------------------------------------------------------------- reading
    def runs(self, procedure: str | None = None, status: str | None = None, device: str | None = None,
             campaign: str | None = None, where: Sequence[str] = (), limit: int | None = None) -> list[RunRow]:
        """The runs matching every given filter, oldest first (the ``limit`` newest where given). ``device``
        matches a die, crosspoint or label; ``where`` items look like ``"tmr>1.5"`` or ``"wafer=W7"``."""
        with Session(self.engine) as session:
            query = self._query(session, procedure, status, device, campaign, where)
            if limit is not None:
                newest = query.order_by(Run.id.desc()).limit(limit).subquery()
                query = select(Run).join(newest, Run.id == newest.c.id)
            runs = session.scalars(query.order_by(Run.id).options(
                selectinload(Run.instruments), selectinload(Run.values), selectinload(Run.files))).all()
            return [_row(run) for run in runs]

    def run(self, id_or_uid: int | str) -> RunRow:
        """One run by its id or (a unique prefix of) its uid; :class:`LookupError` if there is none."""
        with Session(self.engine) as session:
            if isinstance(id_or_uid, int) or str(id_or_uid).isdigit():
                runs = session.scalars(select(Run).where(Run.id == int(id_or_uid))).all()
            else:
                runs = session.scalars(select(Run).where(Run.uid.startswith(str(id_or_uid), autoescape=True))
                                       .limit(2)).all()
            if len(runs) != 1:
                raise LookupError(f"no run {id_or_uid!r} in {self!r}" if not runs else
                                  f"uid prefix {id_or_uid!r} matches several runs; give more of it")
            return _row(runs[0])

    def summary_keys(self) -> list[str]:
        """Every summary key any run has."""
        with Session(self.engine) as session:
            return list(session.scalars(select(SummaryValue.key).distinct().order_by(SummaryValue.key)))

    def count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count(Run.id))) or 0

    def _query(self, session: Session, procedure: str | None, status: str | None, device: str | None,
               campaign: str | None, where: Sequence[str]) -> Any:
        query = select(Run)
        for column, value in ((Run.procedure, procedure), (Run.status, status), (Run.campaign, campaign)):
            if value is not None:
                query = query.where(column == value)
        if device is not None:
            query = query.where((Run.die == device) | (Run.crosspoint == device) | (Run.label == device))
        filters = [Filter.parse(text) for text in where]
        if filters:
            keys = set(session.scalars(select(SummaryValue.key).distinct()))
            query = query.where(*(f.clause(keys) for f in filters))
        return query

    # ----------------------------------------------------------------- tables
    def frame(self, procedure: str | None = None, status: str | None = None, device: str | None = None,
              campaign: str | None = None, where: Sequence[str] = (), limit: int | None = None) -> Any:
        """The matching runs as a pandas DataFrame: one row per run, its fields, device identity and one
        column per summary key (and ``<key>_err``)."""
        import pandas as pd

        rows = self.runs(procedure, status, device, campaign, where, limit)
        return pd.DataFrame([flat(row) for row in rows], columns=None if rows else list(FLAT_FIELDS))

    def export(self, path: str | Path, format: str | None = None, **filters: Any) -> Path:
        """Write the matching runs (see :meth:`frame`) to ``path`` as CSV, Parquet or JSON (by ``format`` or
        the file's suffix)."""
        path = Path(path)
        format = (format or path.suffix.lstrip(".")).lower()
        if format not in EXPORT_FORMATS:
            raise ValueError(f"export format {format!r}: use one of {', '.join(EXPORT_FORMATS)}")
        frame = self.frame(**filters)
        path.parent.mkdir(parents=True, exist_ok=True)
        if format == "csv":
            frame.to_csv(path, index=False)
        elif format == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_json(path, orient="records", date_format="iso", indent=2)
        return path


FLAT_FIELDS = ("id", "uid", "procedure", "status", "started", "ended", "points", "bench", "simulated", "seed",
               "campaign", *DEVICE_COLUMNS, "error", "out_dir")


def flat(row: RunRow) -> dict[str, Any]:
    """A run as one flat table row (see :meth:`Database.frame`)."""
    fields = {name: getattr(row, name) for name in FLAT_FIELDS if name not in DEVICE_COLUMNS}
    fields |= {name: row.device.get(name) for name in DEVICE_COLUMNS}
    return fields | {key: value for key, value in row.summary.items() if key not in fields}


def _fill(run: Run, record: RunRecord) -> None:
    for name in ("procedure", "parameters", "bench", "bench_file", "simulated", "seed", "software", "started",
                 "ended", "status", "points", "error", "out_dir", "campaign"):
        setattr(run, name, getattr(record, name))
    for name in DEVICE_COLUMNS:
        setattr(run, name, _device_field(record.device, name))
    run.device_extra = {k: v for k, v in record.device.items() if k not in DEVICE_COLUMNS}
    run.instruments = [Instrument(role=role, driver=str(i.get("driver", "")), idn=str(i.get("idn", "")),
                                  firmware=str(i.get("firmware", ""))) for role, i in record.instruments.items()]
    run.values = [SummaryValue(**row) for row in summary_rows(record.summary, record.units)]
    run.files = [DataFile(path=f["path"], sha256=f["sha256"], bytes=f["bytes"]) for f in record.files]


def _device_field(device: dict[str, Any], name: str) -> Any:
    value = device.get(name)
    if value is None:
        return None
    if name in ("column", "row"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"device {name}={value!r} is not an integer") from None
    return str(value)


def _row(run: Run) -> RunRow:
    device = {name: getattr(run, name) for name in DEVICE_COLUMNS if getattr(run, name) is not None}
    return RunRow(
        id=run.id, uid=run.uid, procedure=run.procedure, parameters=run.parameters, bench=run.bench,
        bench_file=run.bench_file, simulated=run.simulated, seed=run.seed, device=device | run.device_extra,
        instruments={i.role: {"driver": i.driver, "idn": i.idn, "firmware": i.firmware} for i in run.instruments},
        software=run.software, started=_utc(run.started), ended=_utc(run.ended), status=run.status,
        points=run.points, error=run.error, summary=summary_of(run.values),
        units={v.key: v.unit for v in run.values if v.unit is not None},
        files=[{"path": f.path, "sha256": f.sha256, "bytes": f.bytes} for f in run.files], out_dir=run.out_dir,
        campaign=run.campaign)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive times: they were stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
