"""What the database keeps of one run (:class:`RunRecord`), and how it is gathered from a finished run."""

from __future__ import annotations

import hashlib
import json
import math
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

#: Files of a run directory that are not data (the live writer's lock, temporaries start with a dot).
NOT_DATA = frozenset({"run.lock"})


@dataclass
class RunRecord:
    """One run as the database keeps it. Times are UTC; ``summary`` maps each key to its value (``<key>_err``
    entries are the errors), ``units`` each key to its unit; ``files`` are ``{"path", "sha256", "bytes"}`` with
    paths relative to ``out_dir``."""

    uid: str
    procedure: str
    parameters: dict[str, Any] = field(default_factory=dict)
    bench: str | None = None
    bench_file: str | None = None
    simulated: bool = False
    seed: int | None = None
    device: dict[str, Any] = field(default_factory=dict)
    instruments: dict[str, dict[str, str]] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=dict)
    started: datetime | None = None
    ended: datetime | None = None
    status: str = "finished"
    points: int = 0
    error: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    out_dir: str | None = None
    campaign: str | None = None


@dataclass
class RunRow(RunRecord):
    """A recorded run as read back: the record and its database ``id``."""

    id: int = 0


def run_record(outcome: Any, procedure: Any, bench: Any, journal: Any, *, device: dict[str, Any] | None = None,
               campaign: str | None = None, bench_file: str | Path | None = None) -> RunRecord:
    """The record of a run that ``mtjhw.runner.run_procedure`` has finished: its ``RunOutcome``, the procedure
    (parameter values, summary units), the opened ``Bench`` (identities, seed) and the ``RunJournal`` (uid,
    attempts' times)."""
    attempts = journal.attempts
    return RunRecord(
        uid=journal.uid, procedure=journal.procedure, parameters=dict(journal.parameters), bench=journal.bench,
        bench_file=str(bench_file) if bench_file else None, simulated=bool(bench.config.simulated),
        seed=journal.seed, device=dict(device or {}), instruments=bench.identities(), software=software_versions(),
        started=journal_time(attempts[0].get("started")) if attempts else None,
        ended=journal_time(attempts[-1].get("ended")) if attempts else None,
        status=outcome.status, points=outcome.points, error=outcome.error, summary=dict(outcome.summary),
        units=dict(procedure.summary_keys), files=data_files(Path(outcome.out_dir)),
        out_dir=str(Path(outcome.out_dir).resolve()), campaign=campaign)


def journal_time(text: str | None) -> datetime | None:
    """A ``run.json`` time (local, with its UTC offset) in UTC."""
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").astimezone(timezone.utc)


def data_files(out_dir: Path) -> list[dict[str, Any]]:
    """Every data file directly in a run directory (data, summary, plot, journal, bulk files) with its SHA-256
    and size (bytes)."""
    return [{"path": path.name, "sha256": sha256(path), "bytes": path.stat().st_size}
            for path in sorted(out_dir.iterdir())
            if path.is_file() and not path.name.startswith(".") and path.name not in NOT_DATA]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def software_versions() -> dict[str, str]:
    """The versions of mtjhw, Python and the libraries a run's results depend on."""
    versions = {"python": platform.python_version()}
    for package in ("mtjhw", "numpy", "scipy", "pymeasure"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = ""
    return versions


def summary_rows(summary: dict[str, Any], units: dict[str, str]) -> list[dict[str, Any]]:
    """The summary as database rows: ``<key>_err`` becomes the ``error`` of ``key`` (where ``key`` is there),
    numbers go to ``value`` (non-finite ones as NULL), anything else to ``text``."""
    rows = []
    for key, value in summary.items():
        if key.endswith("_err") and key[:-4] in summary:
            continue
        error = summary.get(f"{key}_err")
        numeric = _number(value)
        rows.append({"key": key, "value": numeric, "error": _number(error), "unit": units.get(key),
                     "text": None if numeric is not None or _is_number(value) else _text(value)})
    return rows


def summary_of(rows: list[Any]) -> dict[str, Any]:
    """The summary mapping back from its rows (``error`` → ``<key>_err``)."""
    summary: dict[str, Any] = {}
    for row in rows:
        summary[row.key] = row.text if row.text is not None else row.value
        if row.error is not None:
            summary[f"{row.key}_err"] = row.error
    return summary


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) or hasattr(value, "item") and isinstance(value.item(), (int, float))


def _number(value: Any) -> float | None:
    if not _is_number(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)
