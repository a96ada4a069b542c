"""Run a procedure on a bench: record every point to disk as it comes, then analyse, plot and summarise.

Outputs in the run directory: ``data.csv`` (PyMeasure ``Results`` format: parameter header, then one line per
point, flushed as it is measured), ``plot.png`` and ``summary.json``. An abort (Ctrl-C) or a fault stops the
run, switches every output off and keeps the points measured so far.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymeasure.experiment import Results

from .analysis import AnalysisError
from .bench import Bench
from .procedures import PROCEDURES, BenchProcedure
from .procedures.base import columns_as_arrays
from .progress import PercentBar
from .run_journal import RunDirectoryError, RunJournal

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """What a run produced. ``status`` is 'finished', 'aborted' or 'failed'."""

    status: str
    points: int
    out_dir: Path
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    record: Any = None  # the mtjhw.database.RunRecord of the run (filled whether or not it was recorded)

    @property
    def data_file(self) -> Path:
        return self.out_dir / "data.csv"

    @property
    def summary_file(self) -> Path:
        return self.out_dir / "summary.json"

    @property
    def plot_file(self) -> Path:
        return self.out_dir / "plot.png"


def procedure_class(name: str) -> type[BenchProcedure]:
    try:
        return PROCEDURES[name]
    except KeyError:
        raise ValueError(f"unknown procedure {name!r}; known procedures: {', '.join(sorted(PROCEDURES))}") from None


def make_procedure(name: str, settings: dict[str, Any] | None = None) -> BenchProcedure:
    """A procedure with ``settings`` (name → value or string) applied and checked against its parameters."""
    procedure = procedure_class(name)()
    known = {k: v for k, v in procedure.parameter_objects().items() if k != "bench_file"}
    for key, value in (settings or {}).items():
        if key not in known:
            raise ValueError(f"{name} has no parameter {key!r}; its parameters are: "
                             + ", ".join(f"{k} ({p.units})" if getattr(p, "units", None) else k
                                         for k, p in known.items()))
        try:
            setattr(procedure, key, _typed(known[key], value))
        except ValueError as exc:
            raise ValueError(f"{name}: {key}={value!r}: {exc}") from None
    procedure.refresh_parameters()
    return procedure


def _typed(parameter: Any, value: Any) -> Any:
    parameter.value = value  # PyMeasure parameters parse and range-check strings themselves
    return parameter.value


class _CsvSink:
    """Appends each data point to the Results file and flushes, so an abort never loses a measured point."""

    def __init__(self, results: Results, points: int = 0) -> None:
        self.results = results
        self.points = points  # already in the file (a resumed run)
        self._file = open(results.data_filename, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(self.results.format(record) + "\n")
        self._file.flush()
        self.points += 1

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:  # e.g. a full disk: every point before the failing one is on disk already
            log.error("closing %s failed: %s", self.results.data_filename, exc)


def run_procedure(name: str, bench: Bench, out_dir: str | Path, settings: dict[str, Any] | None = None,
                  progress: bool | Callable[[float], None] = True, stop: threading.Event | None = None,
                  resume: bool = False, bench_file: str | Path | None = None, device: dict[str, Any] | None = None,
                  database: Any = None, campaign: str | None = None, plot: bool = True) -> RunOutcome:
    """Run procedure ``name`` on an opened ``bench``; write data, plot and summary into ``out_dir``.

    ``progress``: True shows a bar with rate and ETA on stderr (a widget in Jupyter), False shows nothing, a
    callable receives the percentage done instead; setting ``stop`` (or Ctrl-C) aborts after the current point.
    ``resume`` continues the run in ``out_dir`` after its last recorded point, with that run's settings
    (``settings`` may only repeat them) on the same bench and seed.
    ``bench_file``, the file the bench was opened from, is recorded in the data file's header.
    The run is recorded (``outcome.record``) with ``device`` (its identity, e.g. wafer/die) and ``campaign`` into
    ``database``: None or True the default one, a URL or a ``mtjhw.database.Database`` that one, False none; a
    database failure is logged and noted in ``outcome.error``, the run and its files stay as they are.
    ``plot`` False leaves out ``plot.png`` (a campaign of many dies saves the plotting time).
    """
    out = Path(out_dir)
    journal = RunJournal.load(out) if resume else None
    if journal is not None:
        journal.check_resumable(name)
        _check_same_bench(journal, bench)
        settings = resumed_settings(name, journal, settings)
    procedure = make_procedure(name, settings)
    procedure.bench = bench
    procedure.bench_file = str(bench_file or "")
    if journal is None:
        parameters = {k: _jsonable(v) for k, v in _parameter_values(procedure).items()}
        journal = RunJournal.start(out, name, parameters, bench.config.name, _bench_seed(bench))
        done = 0
    else:
        done = journal.resume()
        procedure.resume_after(done)
        log.info("resuming %s after %d recorded points", name, done)
    procedure.out_dir = out  # where procedures write bulk data (HDF5) beside data.csv
    sink = _CsvSink(Results(procedure, str(journal.data_file)), done)
    bar = None if callable(progress) else PercentBar(name, quiet=not progress)
    report = bar or progress

    def emit(topic: str, record: Any) -> None:
        if topic == "results":
            sink.write(record)
        elif topic == "progress":
            report(float(record))

    procedure.emit = emit
    stop = stop if stop is not None else threading.Event()
    procedure.should_stop = stop.is_set
    with interrupts_deferred(stop):  # Ctrl-C stops after the point; a second one cannot cut the shutdown short
        status, error = _execute(procedure, lambda: sink.points)
        try:
            procedure.shutdown()
        except Exception as exc:
            status = "failed"
            error = (error + "; " if error else "") + f"switching outputs off failed: {exc}"
        sink.close()
        outcome = RunOutcome(status, sink.points, out, error=error)
        _finish(procedure, outcome, plot)
        _end(journal, outcome)
        _record(outcome, procedure, bench, journal, device, campaign, bench_file, database)
        if bar is not None:
            bar.close()
    return outcome


def _record(outcome: RunOutcome, procedure: BenchProcedure, bench: Bench, journal: RunJournal,
            device: dict[str, Any] | None, campaign: str | None, bench_file: Any, database: Any) -> None:
    """Fill ``outcome.record`` and record it into ``database`` (see :func:`run_procedure`)."""
    from .database import Database, run_record

    try:
        outcome.record = run_record(outcome, procedure, bench, journal, device=device, campaign=campaign,
                                    bench_file=bench_file)
        if database is False:
            return
        db = database if isinstance(database, Database) else Database(database if isinstance(database, str)
                                                                      else None)
        db.record(outcome.record)
        if db is not database:
            db.close()
    except Exception as exc:  # the data is on disk; the run can be recorded again later
        log.error("recording the run in the database failed: %s", exc)
        outcome.error = (outcome.error + "; " if outcome.error else "") + f"not recorded in the database: {exc}"


def record_of(out_dir: str | Path, bench: Bench, device: dict[str, Any] | None = None, campaign: str | None = None,
              bench_file: str | Path | None = None) -> Any:
    """The database record of the run that ended in ``out_dir`` on (a bench opened like) ``bench``, rebuilt from
    its files: for a run whose process was killed after it ended but before it was recorded."""
    from .database import run_record

    out = Path(out_dir)
    journal = RunJournal.load(out)
    last = journal.attempts[-1] if journal.attempts else {}
    document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary = {k: v for k, v in document.items() if k != "run"}
    outcome = RunOutcome(last.get("status", "failed"), int(last.get("points") or 0), out, summary,
                         last.get("error"))
    procedure = make_procedure(journal.procedure, journal.parameters)
    return run_record(outcome, procedure, bench, journal, device=device, campaign=campaign, bench_file=bench_file)


def _execute(procedure: BenchProcedure, points: Callable[[], int]) -> tuple[str, str | None]:
    """Set up and measure; the status ('finished', 'aborted', 'failed') and the error, if any."""
    try:
        procedure.startup()
        procedure.evaluate_metadata()
        procedure.execute()
    except KeyboardInterrupt:  # raised by a callback, or Ctrl-C outside the main thread's handler
        log.warning("%s aborted by the user after %d points", procedure.name, points())
        return "aborted", None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.error("%s failed after %d points: %s", procedure.name, points(), error)
        log.debug("%s", traceback.format_exc())
        return "failed", error
    return ("aborted" if procedure.should_stop() else "finished"), None


def resumed_settings(name: str, journal: RunJournal, settings: dict[str, Any] | None) -> dict[str, Any]:
    """The settings of the run ``journal`` records; ``settings`` given again must agree with them."""
    recorded = _parameter_values(make_procedure(name, journal.parameters))
    for key, value in _parameter_values(make_procedure(name, settings)).items():
        if key in (settings or {}) and value != recorded[key]:
            raise ValueError(f"{key}={settings[key]} differs from the run being resumed ({key}={recorded[key]}); "
                             "a resumed run keeps its settings")
    return dict(journal.parameters)


def _check_same_bench(journal: RunJournal, bench: Bench) -> None:
    if bench.config.name != journal.bench:
        raise RunDirectoryError(f"{journal.out} was measured on bench {journal.bench!r}, not {bench.config.name!r}")
    if _bench_seed(bench) != journal.seed:
        raise RunDirectoryError(f"{journal.out} was measured with seed {journal.seed}, this bench has "
                                f"{_bench_seed(bench)}: resume with --seed {journal.seed}")


def _bench_seed(bench: Bench) -> int | None:
    return bench.virtual.seed if bench.virtual is not None else None


def _parameter_values(procedure: BenchProcedure) -> dict[str, Any]:
    return {k: p.value for k, p in procedure.parameter_objects().items() if k != "bench_file"}


def _end(journal: RunJournal, outcome: RunOutcome) -> None:
    try:
        journal.end(outcome.status, outcome.points, outcome.error)
    except OSError as exc:
        log.error("writing %s failed: %s", journal.out / "run.json", exc)
        outcome.error = (outcome.error + "; " if outcome.error else "") + f"run.json not updated: {exc}"


@contextlib.contextmanager
def interrupts_deferred(stop: threading.Event | None = None) -> Iterator[None]:
    """Inside the block Ctrl-C (SIGINT) and SIGTERM do not raise: the first sets ``stop`` (a run then ends after
    its current point, outputs off, data kept), any later one is noted. Outside the main thread, where signals
    cannot be handled, the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum: int, frame: Any) -> None:
        if stop is not None and not stop.is_set():
            log.warning("%s: stopping after the current point; outputs go off, the data is kept",
                        signal.Signals(signum).name)
            stop.set()
        else:
            log.warning("already stopping: outputs are being switched off and the data saved")

    previous = {signum: signal.signal(signum, note) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _finish(procedure: BenchProcedure, outcome: RunOutcome, plot: bool = True) -> None:
    """Analyse and (``plot``) plot what was recorded; write summary.json in every case."""
    summary: dict[str, Any] = {}
    parameters = _parameter_values(procedure)
    analysis_error = None
    if outcome.points:
        data = columns_as_arrays(Results.load(str(outcome.data_file), type(procedure)).data,
                                 procedure.DATA_COLUMNS)
        if outcome.status == "finished":
            try:
                summary = procedure.analyse(data, parameters)
            except AnalysisError as exc:
                analysis_error = str(exc)
        try:
            if plot:
                procedure.plot(data, summary, outcome.plot_file)
        except Exception as exc:  # a plotting problem must not hide the data or the summary
            log.warning("plotting failed: %s", exc)
    outcome.summary = summary
    run = {"procedure": procedure.name, "status": outcome.status, "points": outcome.points,
           "bench": procedure.bench.config.name if procedure.bench else None, "parameters": parameters,
           "units": procedure.summary_keys, "error": outcome.error, "analysis_error": analysis_error}
    document = {k: _jsonable(v) for k, v in summary.items()} | {"run": _jsonable(run)}
    try:
        outcome.summary_file.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    except OSError as exc:  # e.g. the disk that filled up during the run: the data is on disk, say so
        log.error("writing %s failed: %s", outcome.summary_file, exc)
        outcome.error = (outcome.error + "; " if outcome.error else "") + f"summary.json not written: {exc}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value
