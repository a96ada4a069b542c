"""Spin-torque FMR (spin-torque diode): rectified DC voltage vs field at several microwave frequencies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter, Parameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.rf import fit_damping, fit_fmr_line, fit_kittel, fmr_lineshape, kittel_frequency

from .base import BenchProcedure


class StFmr(BenchProcedure):
    """At each of ``frequencies`` frequencies in [``f_min``, ``f_max``] and ``power_dbm`` of RF, the field is swept
    over [``h_min``, ``h_max``] (coarse), then finely around the resonance, while the rectified voltage is read:
    ``detection`` "dc" by the source-meter (0 A), "lockin" by a lock-in referenced to 100 % AM of the RF at
    ``modulation_frequency`` (the voltage column then holds the lock-in's X, V rms). Each fine trace is fitted
    with symmetric + antisymmetric Lorentzians; across frequencies the Kittel fit gives μ0Meff and the linewidth
    vs frequency the damping."""

    name = "st-fmr"
    summary_keys = {"alpha": "ratio", "mu0_meff": "T", "dh0": "T", "s_over_a": "ratio",
                    "resonances": "per frequency: frequency Hz, h_res T, dh T (HWHM), s and a (V or V rms)"}

    f_min = FloatParameter("Lowest frequency", units="Hz", default=5e9, minimum=1e8, maximum=40e9)
    f_max = FloatParameter("Highest frequency", units="Hz", default=10e9, minimum=1e8, maximum=40e9)
    frequencies = IntegerParameter("Frequencies", default=6, minimum=2, maximum=200)
    power_dbm = FloatParameter("RF power at the source", units="dBm", default=-10.0, minimum=-130.0, maximum=25.0)
    h_min = FloatParameter("Lowest field", units="T", default=0.01, minimum=-5.0, maximum=5.0)
    h_max = FloatParameter("Highest field", units="T", default=0.25, minimum=-5.0, maximum=5.0)
    coarse_points = IntegerParameter("Coarse sweep points", default=60, minimum=10, maximum=10000)
    fine_points = IntegerParameter("Fine sweep points", default=61, minimum=10, maximum=10000)
    nplc = FloatParameter("Voltage integration", units="PLC", default=1.0, minimum=0.01, maximum=10.0)
    detection = Parameter("Detection (dc or lockin)", default="dc")
    modulation_frequency = FloatParameter("AM frequency (lock-in)", units="Hz", default=1e3, minimum=1.0,
                                          maximum=100e3)
    time_constant = FloatParameter("Lock-in time constant", units="s", default=0.1, minimum=10e-6, maximum=30.0)

    DATA_COLUMNS = ["Frequency (Hz)", "Field (T)", "Voltage (V)", "Fine"]

    def configure(self) -> None:
        bench = self.bench
        if self.detection not in ("dc", "lockin"):
            raise ValueError(f"detection must be 'dc' or 'lockin', got {self.detection!r}")
        bench.smu.source_current_mode(compliance_voltage=1.0, nplc=self.nplc)
        bench.smu.set_level(0.0)
        bench.smu.output_on()
        bench.rf.set_power_dbm(self.power_dbm)
        if self.detection == "lockin":
            bench.rf.set_amplitude_modulation(True, self.modulation_frequency, 1.0)
            bench.lockin.configure(self.time_constant, 1e-3)
            self._settle = bench.lockin.settle_time()
        else:
            self._settle = 0.1  # the magnet's five time constants

    def _sweep(self, frequency: float, fields: np.ndarray, fine: bool) -> np.ndarray:
        bench = self.bench
        volts = np.empty(fields.size)
        for k, h in enumerate(fields):
            bench.field.step_field(float(h))
            bench.sleep(self._settle)
            b = bench.field.measure_field()
            volts[k] = bench.lockin.read_xy()[0] if self.detection == "lockin" else bench.smu.measure()[0]
            fields[k] = b
            self.record(frequency=frequency, field=b, voltage=volts[k], fine=int(fine))
        return volts

    def execute(self) -> None:
        bench = self.bench
        frequencies = np.linspace(self.f_min, self.f_max, self.frequencies)
        for n, frequency in enumerate(frequencies):
            if self.should_stop():
                return
            bench.rf.set_frequency(float(frequency))
            bench.rf.output_on()
            coarse = np.linspace(self.h_min, self.h_max, self.coarse_points)
            v = self._sweep(float(frequency), coarse, fine=False)
            k = int(np.argmax(np.abs(v - np.median(v))))
            span = 6 * max(abs(coarse[1] - coarse[0]), 2e-3)
            self._sweep(float(frequency), np.linspace(coarse[k] - span, coarse[k] + span, self.fine_points), True)
            bench.rf.output_off()
            self.progress(n + 1, frequencies.size)

    @classmethod
    def lines(cls, data: dict[str, np.ndarray]) -> list[tuple[float, Any]]:
        out = []
        for frequency in np.unique(data["frequency"]):
            sel = (data["frequency"] == frequency) & (data["fine"] > 0)
            if sel.sum() >= 10:
                out.append((float(frequency), fit_fmr_line(data["field"][sel], data["voltage"][sel])))
        return out

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        lines = cls.lines(data)
        if len(lines) < 2:
            raise AnalysisError("resonances fitted at fewer than 2 frequencies")
        f = np.array([fr for fr, _ in lines])
        h_res = np.array([line.h_res for _, line in lines])
        dh = np.array([line.dh for _, line in lines])
        alpha, dh0 = fit_damping(f, dh)
        ratios = [line.s / line.a for _, line in lines if line.a != 0]
        resonances = [{"frequency": fr, "h_res": line.h_res, "dh": line.dh, "s": line.s, "a": line.a}
                      for fr, line in lines]
        return {"alpha": alpha, "mu0_meff": fit_kittel(f, h_res), "dh0": dh0,
                "s_over_a": float(np.median(ratios)) if ratios else float("nan"), "resonances": resonances}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, (ax_v, ax_k) = figure(1, 2, size=(10.0, 4.0))
        try:
            lines = cls.lines(data)
        except AnalysisError:
            lines = []
        for frequency in np.unique(data["frequency"]):
            sel = (data["frequency"] == frequency) & (data["fine"] > 0)
            ax_v.plot(data["field"][sel] * 1e3, data["voltage"][sel] * 1e6, ".", ms=3)
        for frequency, line in lines:
            h = np.linspace(line.h_res - 8 * line.dh, line.h_res + 8 * line.dh, 200)
            ax_v.plot(h * 1e3, fmr_lineshape(h, line.s, line.a, line.h_res, line.dh, 0) * 1e6, "-", lw=0.8)
            ax_k.plot(line.h_res * 1e3, frequency / 1e9, "o", color="tab:blue")
        if summary:
            h = np.linspace(1e-3, data["field"].max(), 200)
            ax_k.plot(h * 1e3, kittel_frequency(h, summary["mu0_meff"]) / 1e9, "-",
                      label=f"μ0Meff = {summary['mu0_meff']:.3f} T, α = {summary['alpha']:.4f}")
            ax_k.legend()
        ax_v.set_xlabel("μ0H (mT)")
        ax_v.set_ylabel("V_dc (µV)")
        ax_k.set_xlabel("resonance field (mT)")
        ax_k.set_ylabel("frequency (GHz)")
        fig.savefig(path, dpi=110)
