"""Stochastic-neuron transfer curve: the probability that a superparamagnetic MTJ is AP vs input current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis.sigmoid import fit_sigmoid, sigmoid

from .base import BenchProcedure


class NeuronTransfer(BenchProcedure):
    """At each of ``points`` input currents in [``i_min``, ``i_max``] the source-meter takes ``samples`` short
    readings (``nplc``), each the device's time-averaged state over the reading window: the AP occupation is
    (R − R_P)/(R_AP − R_P), with R_P and R_AP the saturated levels at the range ends. A sigmoid fit gives ``i50``
    and the ``slope`` |dp/dI| there (the neuron's gain)."""

    name = "neuron-transfer"
    summary_keys = {"i50": "A", "slope": "1/A", "width": "A", "r_p": "Ω", "r_ap": "Ω"}

    i_min = FloatParameter("Lowest input current", units="A", default=-20e-6, minimum=-1e-3, maximum=1e-3)
    i_max = FloatParameter("Highest input current", units="A", default=20e-6, minimum=-1e-3, maximum=1e-3)
    points = IntegerParameter("Input currents", default=21, minimum=4, maximum=1000)
    samples = IntegerParameter("Readings per current", default=50, minimum=1, maximum=10000)
    nplc = FloatParameter("Reading integration", units="PLC", default=0.01, minimum=0.01, maximum=10.0)

    DATA_COLUMNS = ["Current (A)", "Resistance (ohm)", "Resistance std (ohm)"]

    def configure(self) -> None:
        if self.i_max <= self.i_min or self.i_min * self.i_max >= 0:
            raise ValueError("the input range must span zero current (i_min < 0 < i_max): the device is read "
                             "through the input current itself")
        self.bench.smu.source_current_mode(compliance_voltage=min(0.5, self.bench.config.safety.max_voltage),
                                           nplc=self.nplc)
        self.bench.smu.output_on()

    def execute(self) -> None:
        currents = np.linspace(self.i_min, self.i_max, self.points)
        currents = currents[np.abs(currents) > 1e-3 * np.ptp(currents)]  # R is undefined at zero current
        for n, current in enumerate(currents):
            if self.should_stop():
                return
            if self.unit_recorded(n, 1):  # the superparamagnet forgets its state within microseconds
                continue
            v, i = self.bench.smu.sweep(np.full(self.samples, current))
            r = v / i
            self.record(current=current, resistance=float(np.mean(r)), resistance_std=float(np.std(r)))
            self.progress(n + 1, len(currents))

    @staticmethod
    def probability_ap(resistance: np.ndarray) -> np.ndarray:
        """AP occupation from the mean resistance, between the saturated levels (all P at the positive end of
        the range, all AP at the negative end)."""
        r_p, r_ap = float(np.min(resistance)), float(np.max(resistance))
        if not r_ap > r_p:
            return np.full_like(resistance, np.nan)
        return np.clip((resistance - r_p) / (r_ap - r_p), 0.0, 1.0)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        fit = fit_sigmoid(data["current"], cls.probability_ap(data["resistance"]))
        return {"i50": fit.x50, "slope": fit.slope, "width": fit.width,
                "r_p": float(np.min(data["resistance"])), "r_ap": float(np.max(data["resistance"]))}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        ax.plot(data["current"] * 1e6, cls.probability_ap(data["resistance"]), "o", label="measured")
        if summary:
            grid = np.linspace(data["current"].min(), data["current"].max(), 300)
            ax.plot(grid * 1e6, sigmoid(grid, summary["i50"], summary["width"]), "-",
                    label=f"i50 = {summary['i50'] * 1e6:.2f} µA, slope = {summary['slope'] * 1e-6:.3f} /µA")
        ax.set_xlabel("input current (µA)")
        ax.set_ylabel("p(AP)")
        ax.legend()
        fig.savefig(path, dpi=110)
