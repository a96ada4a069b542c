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

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """What a run produced. ``status`` is 'finished', 'aborted' or 'failed'."""

    status: str
    points: int
    out_dir: Path
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

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

    def __init__(self, results: Results) -> None:
        self.results = results
        self.points = 0
        self._file = open(results.data_filename, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(self.results.format(record) + "\n")
        self._file.flush()
        self.points += 1

    def close(self) -> None:
        self._file.close()


class RunDirectoryError(FileExistsError):
    """The output directory already holds a run: earlier data is never overwritten."""


def check_run_directory(out: Path) -> Path:
    """The data file a run in ``out`` writes; :class:`RunDirectoryError` if an earlier run left one there."""
    data_file = out / "data.csv"
    if data_file.exists():
        raise RunDirectoryError(f"{out} holds an earlier run ({data_file.name}); nothing is overwritten: "
                                "give the new run another --out")
    return data_file


def run_procedure(name: str, bench: Bench, out_dir: str | Path, settings: dict[str, Any] | None = None,
                  progress: Callable[[float], None] | None = None, stop: threading.Event | None = None
                  ) -> RunOutcome:
    """Run procedure ``name`` on an opened ``bench``; write data, plot and summary into ``out_dir``.

    ``progress`` receives the percentage done; setting ``stop`` (or Ctrl-C) aborts after the current point.
    """
    procedure = make_procedure(name, settings)
    procedure.bench = bench
    out = Path(out_dir)
    data_file = check_run_directory(out)
    out.mkdir(parents=True, exist_ok=True)
    procedure.out_dir = out  # where procedures write bulk data (HDF5) beside data.csv
    results = Results(procedure, str(data_file))
    sink = _CsvSink(results)

    def emit(topic: str, record: Any) -> None:
        if topic == "results":
            sink.write(record)
        elif topic == "progress" and progress is not None:
            progress(float(record))

    procedure.emit = emit
    procedure.should_stop = stop.is_set if stop is not None else (lambda: False)
    status, error = "finished", None
    try:
        procedure.startup()
        procedure.evaluate_metadata()
        procedure.execute()
        if procedure.should_stop():
            status = "aborted"
    except KeyboardInterrupt:
        status = "aborted"
        log.warning("%s aborted by the user after %d points", name, sink.points)
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        log.error("%s failed after %d points: %s", name, sink.points, error)
        log.debug("%s", traceback.format_exc())
    finally:
        with interrupts_deferred():  # a second Ctrl-C must not stop the outputs going off or the summary
            try:
                procedure.shutdown()
            except Exception as exc:
                status = "failed"
                error = (error + "; " if error else "") + f"switching outputs off failed: {exc}"
            sink.close()
            outcome = RunOutcome(status, sink.points, out, error=error)
            _finish(procedure, outcome)
    return outcome


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT) is noted, not raised, inside the block: for shutting down safely. Outside the main thread,
    where signals cannot be handled, the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum: int, frame: Any) -> None:
        log.warning("already stopping: outputs are being switched off and the data saved")

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _finish(procedure: BenchProcedure, outcome: RunOutcome) -> None:
    """Analyse and plot what was recorded; write summary.json in every case."""
    summary: dict[str, Any] = {}
    parameters = {k: p.value for k, p in procedure.parameter_objects().items() if k != "bench_file"}
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
            procedure.plot(data, summary, outcome.plot_file)
        except Exception as exc:  # a plotting problem must not hide the data or the summary
            log.warning("plotting failed: %s", exc)
    outcome.summary = summary
    run = {"procedure": procedure.name, "status": outcome.status, "points": outcome.points,
           "bench": procedure.bench.config.name if procedure.bench else None, "parameters": parameters,
           "units": procedure.summary_keys, "error": outcome.error, "analysis_error": analysis_error}
    document = {k: _jsonable(v) for k, v in summary.items()} | {"run": _jsonable(run)}
    outcome.summary_file.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")


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
