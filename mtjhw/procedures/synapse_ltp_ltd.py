"""LTP/LTD of a multi-level synapse: conductance after each pulse of a potentiating then a depressing train."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis.synapse import distinguishable_levels, nonlinearity, nonlinearity_error, staircase

from .base import BenchProcedure, measured

_GAP = 10e-6  # s


class SynapseLtpLtd(BenchProcedure):
    """``pulses`` potentiating pulses (+``amplitude`` V, ``width`` s) then as many depressing ones (−amplitude),
    the conductance read at ``read_voltage`` after every pulse (one triggered burst per train), ``cycles``
    times. Figures: distinguishable levels, nonlinearity of LTP and LTD of the last cycle (with 1σ errors from
    the read noise, by a parametric bootstrap), their asymmetry."""

    name = "synapse-ltp-ltd"
    summary_keys = {"n_levels": "count", "nl_ltp": "ν", "nl_ltp_err": "ν", "nl_ltd": "ν", "nl_ltd_err": "ν",
                    "asymmetry": "ν", "asymmetry_err": "ν", "g_min": "S", "g_max": "S", "read_noise": "S"}

    pulses = IntegerParameter("Pulses per train", default=30, minimum=2, maximum=10000)
    amplitude = FloatParameter("Pulse amplitude", units="V", default=0.09, minimum=0.0, maximum=5.0)
    width = FloatParameter("Pulse width", units="s", default=20e-9, minimum=2.5e-9, maximum=1.0)
    read_voltage = FloatParameter("Read voltage", units="V", default=0.02, minimum=0.001, maximum=0.5)
    nplc = FloatParameter("Read integration", units="PLC", default=0.1, minimum=0.01, maximum=10.0)
    cycles = IntegerParameter("LTP/LTD cycles", default=2, minimum=1, maximum=1000)

    DATA_COLUMNS = ["Cycle", "Phase", "Pulse", "Conductance (S)"]
    PLOT_AXES = ("Pulse", "Conductance (S)")

    def configure(self) -> None:
        smu = self.bench.smu
        smu.source_voltage_mode(1e-3, self.nplc)
        smu.set_level(self.read_voltage)
        smu.output_on()
        self._read_time = self.nplc / 50.0 * 1.2
        self._period = self.width + self._read_time + 3 * _GAP

    def _train(self, amplitude: float) -> np.ndarray:
        pulser, smu = self.bench.pulser, self.bench.smu
        pulser.setup_pulse(1, amplitude, self.width, self._period, self.pulses, _GAP)
        smu.arm_triggered_readings(self.pulses, self.width + 2 * _GAP)
        pulser.fire()
        v, i = smu.fetch_readings(self.pulses)
        return i / v

    def execute(self) -> None:
        for cycle in range(self.cycles):
            for phase, sign in ((1, 1.0), (-1, -1.0)):
                if self.should_stop():
                    return
                g = self._train(sign * self.amplitude)
                for k, value in enumerate(g):
                    self.record(cycle=cycle, phase=phase, pulse=k + 1, conductance=float(value))
                self.progress(2 * cycle + (phase < 0) + 1, 2 * self.cycles)

    @staticmethod
    def _last_cycle(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        last = data["cycle"] == data["cycle"].max()
        return data["conductance"][last & (data["phase"] > 0)], data["conductance"][last & (data["phase"] < 0)]

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        ltp, ltd = cls._last_cycle(data)
        # read noise: the scatter of successive readings where the state stays put (saturated ends)
        noise = float(np.median(np.abs(np.diff(data["conductance"]))) / 0.6745 / np.sqrt(2)) or 1e-12
        nl_ltp, nl_ltd = nonlinearity(ltp), nonlinearity(-ltd)
        err_ltp, err_ltd = nonlinearity_error(ltp, noise), nonlinearity_error(-ltd, noise)
        return {"n_levels": distinguishable_levels(np.concatenate([ltp, ltd]), noise), "nl_ltp": nl_ltp,
                "nl_ltp_err": err_ltp, "nl_ltd": nl_ltd, "nl_ltd_err": err_ltd, "asymmetry": abs(nl_ltp - nl_ltd),
                "asymmetry_err": float(np.hypot(err_ltp, err_ltd)), "g_min": float(data["conductance"].min()),
                "g_max": float(data["conductance"].max()), "read_noise": noise}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        ax.plot(np.arange(data["conductance"].size) + 1, data["conductance"] * 1e6, ".", ms=4, color="grey",
                label="measured")
        if summary:
            s = summary
            ltp, ltd = cls._last_cycle(data)
            start = data["conductance"].size - ltp.size - ltd.size + 1
            for g, nu, err, label, offset, sign in ((ltp, s["nl_ltp"], s["nl_ltp_err"], "LTP", 0, 1),
                                                    (ltd, s["nl_ltd"], s["nl_ltd_err"], "LTD", ltp.size, -1)):
                model = sign * staircase(g.size, sign * g[0], sign * g[-1], nu)
                ax.plot(start + offset + np.arange(g.size), model * 1e6, "-",
                        label=f"{label} model: ν = {measured(nu, err)}")
            ax.plot([], [], " ", label=f"{s['n_levels']} levels, read noise {s['read_noise'] * 1e9:.3g} nS")
        ax.set_xlabel("pulse number")
        ax.set_ylabel("conductance (µS)")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=110)
