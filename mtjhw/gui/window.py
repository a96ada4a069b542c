"""PyMeasure's ``ManagedWindow`` for an mtjhw procedure, each queued run being a whole ``mtjhw run``.

The window's inputs, queue, live plot, log and results browser are PyMeasure's. What its Worker thread runs is
:class:`WindowRun`: :func:`mtjhw.runner.run_procedure` with the inputs' values, on the bench the window holds open,
into a fresh ``<out root>/<procedure>-<timestamp>/``. So a run from the window writes what ``mtjhw run`` writes
(data.csv, plot.png, summary.json, run.json, the database record); the live plot reads data.csv as it grows
(:class:`RunResults`), Abort is the run's stop event (outputs off after the current point, the data kept), and the
summary appears in the "Run summary" dock when the run ends.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any

from pymeasure.display.Qt import QtCore, QtGui, QtWidgets
from pymeasure.display.widgets import ResultsDialog
from pymeasure.display.windows import ManagedWindow
from pymeasure.experiment import Procedure, Results
from pymeasure.experiment.results import CSVFormatter

from mtjhw.bench import Bench
from mtjhw.cli import summary_lines
from mtjhw.procedures import BenchProcedure
from mtjhw.run_journal import DATA
from mtjhw.runner import RunOutcome, procedure_class, run_procedure

log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """A run ended 'failed' (outputs off, data kept): raised so the window's Worker marks it Failed."""


class RunResults(Results):
    """The PyMeasure ``Results`` the window plots and lists for a run :func:`run_procedure` writes: it reads
    ``data_filename`` as it grows and creates nothing (PyMeasure's Recorder gets no file to write to)."""

    def __init__(self, procedure: Procedure, data_filename: str | Path) -> None:
        self.procedure = procedure
        self.procedure_class = type(procedure)
        self.parameters = procedure.parameter_objects()
        self._metadata_count = -1
        self._last_file_size = 0
        self.formatter = CSVFormatter(columns=procedure.DATA_COLUMNS)
        self.data_filename = str(data_filename)
        self.data_filenames: list[str] = []
        self._data = None
        self.header()  # counts the header lines that run_procedure writes for the same parameters


class WorkerStop(threading.Event):
    """A run's stop event that is also set once the window's Worker is told to stop (Abort)."""

    def __init__(self, worker_stopped: Any) -> None:
        super().__init__()
        self._worker_stopped = worker_stopped

    def is_set(self) -> bool:
        return bool(self._worker_stopped()) or super().is_set()


class WindowRun:
    """Mixed into a procedure class by :func:`windowed`: what the window's Worker runs for one queued run.

    ``bench``, ``out_dir`` and ``bench_lock`` (held while the bench is in use) are set by the window when it
    queues the run; ``outcome`` is the :class:`~mtjhw.runner.RunOutcome` once it has ended."""

    out_dir: Path
    bench_lock: threading.Lock
    outcome: RunOutcome | None = None

    def startup(self) -> None:
        """Nothing here: the window holds the bench open and ``run_procedure`` sets the instruments up."""

    def execute(self) -> None:
        settings = {key: p.value for key, p in self.parameter_objects().items() if key != "bench_file"}
        with self.bench_lock:
            self.outcome = run_procedure(self.name, self.bench, self.out_dir, settings,
                                         progress=lambda percent: self.emit("progress", percent),
                                         stop=WorkerStop(self.should_stop), bench_file=self.bench_file or None)
        if self.outcome.status == "failed":
            raise RunFailed(self.outcome.error or "the run failed")

    def shutdown(self) -> None:
        """Nothing here: ``run_procedure`` has switched every output off."""


@functools.cache
def windowed(cls: type[BenchProcedure]) -> type[BenchProcedure]:
    """``cls`` with :class:`WindowRun`'s lifecycle: the same parameters, columns and name."""
    return type(cls.__name__, (WindowRun, cls), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})


def new_run_directory(root: Path, name: str) -> Path:
    """A fresh, empty ``root/<name>-<YYYYmmdd-HHMMSS>[-n]`` (created now, so two runs never share one)."""
    stamp = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 1000):
        path = root / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free run directory {stamp}-<n> in {root}")


class RunWindow(ManagedWindow):
    """The window of procedure ``name`` on ``bench`` (held open, and closed with every output off, with the
    window); each run goes into a new directory under ``out_root``. ``bench_file`` is recorded in each run."""

    def __init__(self, name: str, bench: Bench, out_root: str | Path, bench_file: str | Path | None = None) -> None:
        cls = procedure_class(name)
        inputs = [key for key in cls().parameter_objects() if key != "bench_file"]
        x_axis, y_axis = cls.PLOT_AXES
        self.bench: Bench | None = bench
        self.bench_file = str(bench_file or "")
        self.out_root = Path(out_root)
        self.bench_lock = threading.Lock()
        super().__init__(windowed(cls), inputs=inputs, x_axis=x_axis, y_axis=y_axis, enable_file_input=False)
        self.manager.port = None  # the Worker publishes nothing over TCP (PyMeasure's default binds port 5888)
        self.setWindowTitle(f"mtjhw gui: {name} on {bench.config.name}")
        self.summary = QtWidgets.QPlainTextEdit(self)
        self.summary.setReadOnly(True)
        self.summary.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.summary.setPlaceholderText("The summary of each run appears here when it ends.")
        dock = QtWidgets.QDockWidget("Run summary", self)
        dock.setWidget(self.summary)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.manager.failed.connect(self.show_outcome)
        self.statusBar().showMessage(f"bench {bench.config.name} ({self.bench_file or 'opened in Python'}); "
                                     f"runs go to {self.out_root.resolve()}")

    # ----------------------------------------------------------------- runs
    def queue(self, procedure: Procedure | None = None) -> None:
        """Queue a run with the inputs' values (or ``procedure``'s) into a new run directory."""
        procedure = procedure or self.make_procedure()
        procedure.bench = self.bench
        procedure.bench_file = self.bench_file
        procedure.bench_lock = self.bench_lock
        procedure.out_dir = new_run_directory(self.out_root, procedure.name)
        self.manager.queue(self.new_experiment(RunResults(procedure, procedure.out_dir / DATA)))

    def new_experiment(self, results: Results, curve: Any = None) -> Any:
        experiment = super().new_experiment(results, curve)
        experiment.browser_item.setText(1, Path(results.data_filename).parent.name)  # every file is data.csv
        return experiment

    def new_curve(self, wdg: Any, results: Results, color: Any = None, **kwargs: Any) -> Any:
        curve = super().new_curve(wdg, results, color, **kwargs)
        if wdg is self.plot_widget:  # each point as a dot on the line joining them (PlotWidget sets none)
            curve.setSymbol("o")
            curve.setSymbolSize(5)
            curve.setSymbolPen(None)
            curve.setSymbolBrush(curve.color)
        return curve

    def finished(self, experiment: Any) -> None:
        super().finished(experiment)
        self.show_outcome(experiment)

    def abort_returned(self, experiment: Any) -> None:
        super().abort_returned(experiment)
        self.show_outcome(experiment)

    def show_outcome(self, experiment: Any) -> None:
        """The run's status, point count, directory and summary (with units) in the "Run summary" dock."""
        outcome = getattr(experiment.procedure, "outcome", None)
        if outcome is None:
            return
        lines = [f"{experiment.procedure.name}: {outcome.status}, {outcome.points} points -> {outcome.out_dir}"]
        lines += summary_lines(outcome.summary, type(experiment.procedure).summary_keys)
        if outcome.error:
            lines.append(f"error: {outcome.error}")
        self.summary.setPlainText("\n".join(lines))
        log.info("%s", lines[0])

    # ----------------------------------------------------------------- results browser
    def open_run(self, run_dir: str | Path) -> Any:
        """Show an earlier run (a directory with data.csv) in the browser and the plot; its Experiment."""
        data = (Path(run_dir) / DATA).resolve()
        if not data.is_file():
            raise FileNotFoundError(f"{run_dir} holds no {DATA}")
        for experiment in self.manager.experiments.queue:
            if Path(experiment.data_filename).resolve() == data:
                return experiment
        results = Results.load(str(data))
        if results.procedure.name != self.procedure_class.name:
            raise ValueError(f"{run_dir} holds a {results.procedure.name} run, this window shows "
                             f"{self.procedure_class.name}")
        experiment = self.new_experiment(results)
        for curve in experiment.curve_list:
            if curve:
                curve.update_data()
        experiment.browser_item.progressbar.setValue(100)
        self.manager.load(experiment)
        return experiment

    def open_experiment(self) -> None:
        """The browser's Open button: pick data.csv files of earlier runs (PyMeasure's dialog, with a preview)."""
        dialog = ResultsDialog(self.procedure_class, widget_list=self.widget_list)
        dialog.setDirectory(str(self.out_root))
        if dialog.exec():
            for filename in dialog.selectedFiles():
                try:
                    self.open_run(Path(filename).parent)
                except (OSError, ValueError) as exc:
                    QtWidgets.QMessageBox.warning(self, "Open run", str(exc))

    # ----------------------------------------------------------------- closing
    def closeEvent(self, event: Any) -> None:
        """Abort a running run, wait until its outputs are off, then close the bench (every output off) and stop
        showing log records."""
        if self.manager.is_running():
            self.manager.abort()
        with self.bench_lock:
            if self.bench is not None:
                self.bench.close()
                self.bench = None
        logging.getLogger().removeHandler(self.log_widget.handler)  # ManagedWindow added it, and never removes it
        super().closeEvent(event)
