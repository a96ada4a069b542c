"""Hard-axis loop: resistance while an in-plane field sweeps ±field_max, for μ0Hk, R_P and TMR."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis.astroid import fit_hard_axis
from mtjhw.simulators.physics import stoner_wohlfarth as sw

from .base import BenchProcedure, measured
from .rh_loop import field_sweep

log = logging.getLogger(__name__)


class HardAxis(BenchProcedure):
    """Sweep an in-plane field +field_max → −field_max → +field_max (``loops`` times) at ``sweep_rate``, reading
    R = V/I at ``bias`` at each of ``points`` fields per branch.

    The field must lie along the hard axis: the magnet mounted in-plane (a simulated bench: ``dut.field_angle``
    π/2 in the bench file), or a rotator on the bench, which turns to ``angle`` first. Below Hk the free layer's
    magnetisation tilts towards the field, m_z = ±√(1 − (H/Hk)²), and R follows it smoothly to the saturated
    (R_P + R_AP)-type level at Hk; near Hk the barrier Δ(1 − H/Hk)² is a few kBT and the two wells mix within a
    reading. The fit (:func:`mtjhw.analysis.astroid.fit_hard_axis`) holds the Stoner–Wohlfarth wells, their
    thermal mixing, a misalignment of the field from the hard axis and the stray-field offset to every reading:
    μ0Hk, R_P, TMR (at the read bias), ``misalignment`` and ``h_offset``, each with ``<key>_err``. Sweep to
    |field| ≥ 1.2 Hk.
    """

    name = "hard-axis"
    summary_keys = {"r_p": "Ω", "r_p_err": "Ω", "tmr": "ratio", "tmr_err": "ratio", "hk": "T", "hk_err": "T",
                    "misalignment": "rad", "misalignment_err": "rad", "h_offset": "T", "h_offset_err": "T"}

    field_max = FloatParameter("Maximum in-plane field", units="T", default=0.15, minimum=1e-4, maximum=5.0)
    points = IntegerParameter("Points per branch", default=151, minimum=21, maximum=100000)
    sweep_rate = FloatParameter("Sweep rate", units="T/s", default=0.5, minimum=1e-6, maximum=100.0)
    bias = FloatParameter("Read bias", units="V", default=0.01, minimum=-2.0, maximum=2.0)
    loops = IntegerParameter("Loops", default=1, minimum=1, maximum=1000)
    nplc = FloatParameter("Integration time", units="PLC", default=0.2, minimum=0.01, maximum=10.0)
    compliance = FloatParameter("Compliance current", units="A", default=1e-4, minimum=1e-9, maximum=1.0)
    angle = FloatParameter("Rotator angle of the hard axis", units="rad", default=math.pi / 2, minimum=-2 * math.pi,
                           maximum=2 * math.pi)
    tau0 = FloatParameter("Attempt time (fixed)", units="s", default=1e-9, minimum=1e-13, maximum=1e-6)

    DATA_COLUMNS = ["Time (s)", "Loop", "Branch", "Field set (T)", "Field (T)", "Voltage (V)", "Current (A)",
                    "Resistance (ohm)"]
    PLOT_AXES = ("Field (T)", "Resistance (ohm)")

    def configure(self) -> None:
        bench = self.bench
        if getattr(bench, "has_rotator", False):
            bench.rotator.rotate_to(self.angle)
        bench.smu.source_voltage_mode(self.compliance, self.nplc)
        bench.smu.set_level(self.bias)
        bench.smu.output_on()
        bench.field.set_field(self.field_max)

    def execute(self) -> None:
        bench = self.bench
        down = np.linspace(self.field_max, -self.field_max, self.points)
        total, done = 2 * self.loops * self.points, 0
        t0 = bench.now()
        for loop in range(self.loops):
            for branch, fields in ((-1, down), (1, down[::-1])):
                for h, b, v, i in field_sweep(bench, fields, self.sweep_rate):
                    if self.should_stop():
                        log.warning("hard-axis loop aborted after %d of %d points", done, total)
                        return
                    self.record(time=bench.now() - t0, loop=loop, branch=branch, field_set=h, field=b, voltage=v,
                                current=i, resistance=v / i if i else float("nan"))
                    done += 1
                    self.progress(done, total)

    @staticmethod
    def _freeze(data: dict[str, np.ndarray], tau0: float) -> float:
        """ln(time per reading / attempt time): the barrier (kBT) below which the wells mix within a reading."""
        return float(np.log(np.median(np.diff(data["time"])) / tau0)) if data["time"].size > 1 else 20.0

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        return fit_hard_axis(data["field"], data["resistance"], cls._freeze(data, float(parameters["tau0"])))

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, Any], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        for branch, label, style in ((-1, "down sweep", dict(color="tab:blue", marker=".", ms=4, zorder=3)),
                                     (1, "up sweep", dict(color="tab:red", marker="o", ms=6, mfc="none", zorder=2))):
            sel = data["branch"] == branch
            ax.plot(data["field"][sel] * 1e3, data["resistance"][sel], lw=0, alpha=0.7, label=label, **style)
        if summary:
            cls._plot_model(ax, data, summary)
        ax.set_xlabel("in-plane μ0H (mT)")
        ax.set_ylabel("R (Ω)")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=120)

    @staticmethod
    def _plot_model(ax: Any, data: dict[str, np.ndarray], s: dict[str, Any]) -> None:
        """The fitted Stoner–Wohlfarth branches (P and AP wells) and the extracted values."""
        h = np.linspace(data["field"].min(), data["field"].max(), 801)
        w = sw.wells(*sw.reduced_field(h, np.pi / 2 + s["misalignment"], s["hk"], s["h_offset"]))
        g_p, g_ap = 1 / s["r_p"], 1 / (s["r_p"] * (1 + s["tmr"]))
        for state, style in ((1, "k-"), (-1, "k--")):  # each well where it exists, the single one beyond Hk
            cos = np.where((w.barrier(state) > 0) | (w.barrier(-state) == 0), w.cos(state), np.nan)
            ax.plot(h * 1e3, 1 / (g_p * (1 + cos) / 2 + g_ap * (1 - cos) / 2), style, lw=0.8)
        ax.plot([], [], "k-", lw=0.8, label=f"Stoner–Wohlfarth fit (P/AP well): μ0Hk "
                                            f"{measured(s['hk'], s['hk_err'], 1e3, 'mT')}")
        ax.plot([], [], " ", label=f"R_P {measured(s['r_p'], s['r_p_err'], 1, 'Ω')}, "
                                   f"TMR {measured(s['tmr'], s['tmr_err'], 100, '%')}")
        ax.plot([], [], " ", label=f"misalignment {measured(s['misalignment'], s['misalignment_err'], 180 / np.pi)}°, "
                                   f"offset {measured(s['h_offset'], s['h_offset_err'], 1e3, 'mT')}")
