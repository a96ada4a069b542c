"""Stochastic-neuron transfer curve: the probability that a superparamagnetic MTJ is AP vs input current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis.sigmoid import TransferFit, fit_transfer, sigmoid

from .base import BenchProcedure, measured


class NeuronTransfer(BenchProcedure):
    """At each of ``points`` input currents in [``i_min``, ``i_max``] the source-meter takes ``samples`` short
    readings (``nplc``), each the device's time-averaged state over the reading window. The mean resistance is
    fitted as R_P(I) + p_AP(I)·(R_AP(I) − R_P(I)) with bias-dependent levels and a sigmoid p_AP
    (:func:`mtjhw.analysis.sigmoid.fit_transfer`), weighted by the readings' standard error: ``i50`` and the
    ``slope`` |dp/dI| there (the neuron's gain), with their uncertainties."""

    name = "neuron-transfer"
    summary_keys = {"i50": "A", "i50_err": "A", "slope": "1/A", "slope_err": "1/A", "width": "A", "width_err": "A",
                    "r_p": "Ω", "r_p_err": "Ω", "r_ap": "Ω", "r_ap_err": "Ω"}

    i_min = FloatParameter("Lowest input current", units="A", default=-20e-6, minimum=-1e-3, maximum=1e-3)
    i_max = FloatParameter("Highest input current", units="A", default=20e-6, minimum=-1e-3, maximum=1e-3)
    points = IntegerParameter("Input currents", default=21, minimum=7, maximum=1000)
    samples = IntegerParameter("Readings per current", default=50, minimum=2, maximum=10000)
    nplc = FloatParameter("Reading integration", units="PLC", default=0.01, minimum=0.01, maximum=10.0)

    DATA_COLUMNS = ["Current (A)", "Resistance (ohm)", "Resistance std (ohm)"]
    PLOT_AXES = ("Current (A)", "Resistance (ohm)")

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
            self.record(current=current, resistance=float(np.mean(r)), resistance_std=float(np.std(r, ddof=1)))
            self.progress(n + 1, len(currents))

    @staticmethod
    def _fit(data: dict[str, np.ndarray], samples: int) -> TransferFit:
        sigma = np.maximum(data["resistance_std"], 1e-9 * data["resistance"]) / np.sqrt(samples)
        return fit_transfer(data["current"], data["resistance"], sigma)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        fit = cls._fit(data, int(parameters["samples"]))
        e = fit.errors
        return {"i50": fit.x50, "i50_err": e["x50"], "slope": fit.slope, "slope_err": fit.slope * e["width"] /
                abs(fit.width), "width": fit.width, "width_err": e["width"], "r_p": fit.r_p, "r_p_err": e["r_p"],
                "r_ap": fit.r_ap, "r_ap_err": e["r_ap"]}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, (ax, ax_r) = figure(1, 2, size=(10.0, 4.2))
        i_ua = data["current"] * 1e6
        ax_r.errorbar(i_ua, data["resistance"], data["resistance_std"], fmt="o", ms=4, label="mean ± std of readings")
        if summary:
            s = summary
            fit = cls._fit(data, 1)  # the number of samples scales the errors only, not the fitted curve
            grid = np.linspace(data["current"].min(), data["current"].max(), 300)
            low, high = fit.levels(grid)
            p = sigmoid(grid, s["i50"], s["width"])
            ax_r.plot(grid * 1e6, low + p * (high - low), "-", label="fit")
            ax_r.plot(grid * 1e6, low, ":", color="grey", label="R_P(I), R_AP(I)")
            ax_r.plot(grid * 1e6, high, ":", color="grey")
            ax.plot(i_ua, fit.occupation(data["current"], data["resistance"]), "o", label="measured")
            ax.plot(grid * 1e6, p, "-", label=f"sigmoid: i50 = {measured(s['i50'], s['i50_err'], 1e6, 'µA')}")
            ax.plot([], [], " ", label=f"slope = {measured(s['slope'], s['slope_err'], 1e-6, '/µA')}")
            ax.legend(fontsize=7)
        ax.set_xlabel("input current (µA)")
        ax.set_ylabel("p(AP)")
        ax_r.set_xlabel("input current (µA)")
        ax_r.set_ylabel("mean R (Ω)")
        ax_r.legend(fontsize=7)
        fig.savefig(path, dpi=110)
