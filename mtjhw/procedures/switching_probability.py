"""Pulsed switching probability: P_sw(AP→P) vs pulse amplitude, reset between trials, read after each.

Each trial of a burst is a reset pulse (pulse generator channel 2, negative: drives the device to AP), a write
pulse (channel 1, the amplitude under test) and a reading at ``read_voltage`` by the source-meter, triggered by
the generator; a burst of ``trials`` costs one transfer. Where few write errors are seen, more trials are taken,
down to write-error rates of ``wer_target``. The write current is the pulse voltage over the AP resistance at
that bias (R_AP(V) from the measured R_P, TMR and ``tmr_v_half``); the Néel–Brown fit gives Δ and Ic0.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.switching import fit_switching, switching_probability, wer_upper_bound

from .base import BenchProcedure

log = logging.getLogger(__name__)

_GAP = 10e-6  # s between reset, write and read
_MIN_ERRORS = 10  # write errors to observe before a WER counts as measured


def pulse_current(voltage: np.ndarray, r_p: float, tmr: float, v_half: float) -> np.ndarray:
    """Current (A) through the AP state at ``voltage`` (V) with bias-dependent TMR."""
    v = np.asarray(voltage, dtype=float)
    return v / (r_p * (1 + tmr / (1 + (v / v_half) ** 2)))


class SwitchingProbability(BenchProcedure):
    """AP→P switching probability vs write-pulse amplitude at a fixed ``width``."""

    name = "switching-probability"
    summary_keys = {"delta": "kBT", "ic0": "A", "tau0": "s", "i50": "A", "v50": "V", "r_p": "Ω", "r_ap": "Ω",
                    "wer_min": "ratio", "wer_min_upper": "ratio"}

    width = FloatParameter("Write pulse width", units="s", default=1e-6, minimum=2.5e-9, maximum=1.0)
    amplitudes = IntegerParameter("Amplitudes", default=16, minimum=3, maximum=500)
    v_min = FloatParameter("Lowest amplitude", units="V", default=0.25, minimum=0.0, maximum=5.0)
    v_max = FloatParameter("Highest amplitude", units="V", default=0.5, minimum=0.0, maximum=5.0)
    trials = IntegerParameter("Trials per amplitude", default=1000, minimum=10, maximum=100000)
    wer_target = FloatParameter("Lowest write-error rate to resolve", default=1e-4, minimum=1e-7, maximum=0.1)
    reset_amplitude = FloatParameter("Reset pulse amplitude", units="V", default=-0.6, minimum=-5.0, maximum=0.0)
    reset_width = FloatParameter("Reset pulse width", units="s", default=10e-6, minimum=2.5e-9, maximum=1.0)
    read_voltage = FloatParameter("Read voltage", units="V", default=0.02, minimum=0.001, maximum=0.5)
    nplc = FloatParameter("Read integration", units="PLC", default=0.01, minimum=0.01, maximum=10.0)
    tau0 = FloatParameter("Attempt time (fixed)", units="s", default=1e-9, minimum=1e-13, maximum=1e-6)
    tmr_v_half = FloatParameter("TMR half-bias voltage", units="V", default=0.5, minimum=0.01, maximum=10.0)
    n_current = FloatParameter("Current exponent n", default=1.0, minimum=1.0, maximum=2.0)

    DATA_COLUMNS = ["Amplitude (V)", "Current (A)", "Width (s)", "Trials", "Switched", "Probability",
                    "Resistance low (ohm)", "Resistance high (ohm)"]

    def configure(self) -> None:
        if self.v_max <= self.v_min:
            raise ValueError("v_max must be above v_min")
        smu = self.bench.smu
        smu.source_voltage_mode(1e-3, self.nplc)
        smu.set_level(self.read_voltage)
        smu.output_on()
        self._read_time = self.nplc / 50.0 * 1.2
        self._period = self.reset_width + self.width + self._read_time + 4 * _GAP
        self.r_ap, self.r_p = self._calibrate()

    def _burst(self, amplitude: float, count: int) -> np.ndarray:
        """Resistance after the write pulse of each of ``count`` trials."""
        pulser, smu = self.bench.pulser, self.bench.smu
        write_at = self.reset_width + 2 * _GAP
        pulser.setup_pulse(2, self.reset_amplitude, self.reset_width, self._period, count, 0.0)
        pulser.setup_pulse(1, amplitude, self.width, self._period, count, write_at)
        smu.arm_triggered_readings(count, write_at + self.width + _GAP)
        pulser.fire()
        v, i = smu.fetch_readings(count)
        return v / np.where(i == 0, np.nan, i)

    def _calibrate(self) -> tuple[float, float]:
        """R after a reset alone (AP) and after the largest write (P, when it switches)."""
        r_ap = float(np.median(self._burst(1e-3, 16)))  # a negligible write: the reset state
        r_high_write = self._burst(self.v_max, 16)
        r_p = float(np.min(r_high_write))
        if r_p > 0.9 * r_ap:
            raise ValueError(f"no switching at v_max = {self.v_max:g} V (R stays {r_ap:.4g} Ω): raise v_max "
                             "within the safety limit, or lengthen the pulse")
        return r_ap, r_p

    def execute(self) -> None:
        threshold = math.sqrt(self.r_ap * self.r_p)
        tmr = self.r_ap / self.r_p - 1
        amplitudes = np.linspace(self.v_min, self.v_max, self.amplitudes)
        for n, amplitude in enumerate(amplitudes):
            if self.should_stop():
                return
            if self.unit_recorded(n, 1):  # every trial starts with a reset
                continue
            switched = trials = 0
            block = self.trials
            while True:
                r = self._burst(float(amplitude), block)
                switched += int(np.sum(r < threshold))
                trials += block
                errors = trials - switched
                need_more = switched > trials / 2 and errors < _MIN_ERRORS and trials < 3 / self.wer_target
                if not need_more or self.should_stop():
                    break
                block = int(min(10 * block, 3 / self.wer_target - trials, 100_000))
            current = float(pulse_current(amplitude + self.read_voltage, self.r_p, tmr, self.tmr_v_half))
            self.record(amplitude=amplitude, current=current, width=self.width, trials=trials, switched=switched,
                        probability=switched / trials, resistance_low=self.r_p, resistance_high=self.r_ap)
            self.progress(n + 1, len(amplitudes))

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        fit = fit_switching(data["current"], data["width"], data["switched"], data["trials"],
                            tau0=float(parameters["tau0"]), n=float(parameters["n_current"]))
        width = float(data["width"][0])
        i50 = fit.i50(width)
        # the amplitude (V) at which the AP-state current reaches i50, for the record
        grid = np.linspace(0, float(np.max(data["amplitude"])) * 1.5, 2001)
        r_p, r_ap = float(data["resistance_low"][0]), float(data["resistance_high"][0])
        currents = pulse_current(grid + float(parameters["read_voltage"]), r_p, r_ap / r_p - 1,
                                 float(parameters["tmr_v_half"]))
        v50 = float(np.interp(i50, currents, grid)) if currents[-1] > i50 else float("nan")
        errors = data["trials"] - data["switched"]
        best = int(np.argmax(data["switched"] / data["trials"]))
        if not np.any(data["switched"] > 0):
            raise AnalysisError("no trial switched")
        return {"delta": fit.delta, "ic0": fit.ic0, "tau0": fit.tau0, "i50": i50, "v50": v50, "r_p": r_p,
                "r_ap": r_ap, "wer_min": float(errors[best] / data["trials"][best]),
                "wer_min_upper": wer_upper_bound(int(errors[best]), int(data["trials"][best]))}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, (ax, ax_wer) = figure(1, 2, size=(10.0, 4.0))
        i_ua = data["current"] * 1e6
        ax.plot(i_ua, data["probability"], "o", label="measured")
        ax_wer.semilogy(i_ua, np.maximum(1 - data["probability"], 0.5 / data["trials"]), "o")
        if summary:
            grid = np.linspace(data["current"].min(), data["current"].max(), 400)
            model = switching_probability(grid, data["width"][0], summary["delta"], summary["ic0"], summary["tau0"])
            ax.plot(grid * 1e6, model, "-", label=f"Δ = {summary['delta']:.1f}, Ic0 = {summary['ic0'] * 1e6:.1f} µA")
            ax_wer.semilogy(grid * 1e6, np.maximum(1 - model, 1e-12), "-")
        ax.set_xlabel("write current (µA)")
        ax.set_ylabel("P_sw")
        ax.legend()
        ax_wer.set_xlabel("write current (µA)")
        ax_wer.set_ylabel("write error rate")
        fig.savefig(path, dpi=110)
