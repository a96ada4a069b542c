"""Base class of mtjhw procedures: PyMeasure procedures that run on a :class:`~mtjhw.bench.Bench`.

A procedure gets its bench injected by the runner (``procedure.bench = bench``); run from PyMeasure's GUI
(``ManagedWindow``) it opens the bench named by its ``bench_file`` parameter in ``startup`` instead. Whatever
ends a run (completion, abort, fault), ``shutdown`` switches every output off.

A run resumed after ``n`` recorded points (``resume_after(n)``) gets back to where it stopped in one of two ways.
By default it *replays*: it runs from the start and drops the first ``n`` records, because the device's state
depends on its history (a hysteresis loop, a synapse's pulse count), so the stimulus must be applied again. A
procedure whose points start from a known state (a reset before every trial, a level set from scratch) marks each
such *unit* with :meth:`BenchProcedure.unit_recorded`, and a resumed run skips the units already on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pymeasure.experiment import Parameter, Procedure

from mtjhw.bench import Bench

log = logging.getLogger(__name__)


class BenchProcedure(Procedure):
    """A measurement on a bench, with its own analysis (``analyse``) and plot (``plot``)."""

    #: Name used by ``mtjhw run <name>``.
    name: ClassVar[str] = ""
    #: Summary keys the analysis returns, with their units (documentation and tests rely on it).
    summary_keys: ClassVar[dict[str, str]] = {}
    #: The two DATA_COLUMNS (x, y) of the procedure's natural live plot (``mtjhw gui``), e.g. R vs H.
    PLOT_AXES: ClassVar[tuple[str, str]]

    bench_file = Parameter("Bench file", default="")

    def __init__(self, bench: Bench | None = None, **kwargs: Any) -> None:
        self.bench = bench
        self._owns_bench = False
        self._replay = 0  # records still to drop: they are on disk from the run this one resumes
        super().__init__(**kwargs)

    def resume_after(self, points: int) -> None:
        """Continue a run that recorded ``points`` points: those are measured again (replayed) or skipped, never
        recorded twice."""
        self._replay = points

    # ----------------------------------------------------------------- lifecycle
    def startup(self) -> None:
        if self.bench is None:
            if not self.bench_file:
                raise ValueError("no bench: pass one to the procedure or set its 'bench_file' parameter")
            self.bench = Bench.open(Path(self.bench_file))
            self._owns_bench = True
        self.configure()

    def configure(self) -> None:
        """Set the instruments up (before the first point). Subclasses override."""

    def shutdown(self) -> None:
        if self.bench is None:
            return
        try:
            self.bench.outputs_off()
        finally:
            if self._owns_bench:
                self.bench.close()
                self.bench = None

    # ----------------------------------------------------------------- helpers for subclasses
    def record(self, **columns: float) -> None:
        """Emit one data point; keyword names are the DATA_COLUMNS with units stripped (see ``column_key``).
        While a resumed run replays, the point is already on disk and is dropped."""
        if self._replay > 0:
            self._replay -= 1
            return
        self.emit("results", {self._columns[key]: value for key, value in columns.items()})

    def unit_recorded(self, index: int, records: int) -> bool:
        """Begin unit ``index`` of the run, one that starts from a known state and records ``records`` points:
        True when a resumed run has it on disk already (skip it). A simulated bench draws each unit's randomness
        from (seed, index), so a resumed run measures what an uninterrupted one would have."""
        self.bench.reseed(index)
        if self._replay >= records:
            self._replay -= records
            return True
        return False  # a unit recorded in part is measured again; record() drops what is on disk

    @property
    def _columns(self) -> dict[str, str]:
        return {column_key(c): c for c in self.DATA_COLUMNS}

    def progress(self, done: int, total: int) -> None:
        self.emit("progress", 100.0 * done / max(total, 1))

    # ----------------------------------------------------------------- analysis (class-level: works on data)
    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        """Extract the summary (SI units, keys as in ``summary_keys``) from the recorded columns."""
        raise TypeError(f"{cls.__name__} defines no analysis")

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        """Write a PNG of the data (and the extracted parameters) to ``path``."""


def measured(value: float, error: float, scale: float = 1.0, unit: str = "") -> str:
    """'45.2 ± 1.3 µA': ``value`` ± ``error`` times ``scale``, the error to two significant digits and the value
    to the same decimal place (the value alone when the error is not finite)."""
    v, e = value * scale, abs(error * scale) if error is not None else float("nan")
    suffix = f" {unit}" if unit else ""
    if not np.isfinite(v):
        return "n/a"
    if not (np.isfinite(e) and e > 0):
        return f"{v:.4g}{suffix}"
    decimals = max(0, 1 - int(np.floor(np.log10(e))))
    return f"{v:.{decimals}f} ± {e:.{decimals}f}{suffix}"


def column_key(column: str) -> str:
    """'Field set (T)' → 'field_set': the keyword name of a data column."""
    return column.split(" (")[0].strip().lower().replace(" ", "_")


def columns_as_arrays(data: Any, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Recorded data (a pandas DataFrame from PyMeasure ``Results``) as arrays keyed by ``column_key``."""
    return {column_key(c): np.asarray(data[c], dtype=float) for c in columns}
