"""Spin-torque FMR (spin-torque diode): rectified DC voltage vs field at several microwave frequencies, at one or
several DC bias currents."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter, Parameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.fitting import median_error
from mtjhw.analysis.rf import (
    GAMMA_HZ_PER_T,
    Damping,
    FmrLine,
    fit_damping,
    fit_fmr_line,
    fit_kittel,
    fmr_lineshape,
    kittel_field,
    kittel_frequency,
)

from .base import BenchProcedure, measured

log = logging.getLogger(__name__)

#: lines a run needs fitted (after skipping those that cannot be) for the Kittel and damping fits
MIN_LINES = 3


class StFmr(BenchProcedure):
    """At each of ``bias_steps`` DC bias currents from 0 to ``bias_current`` (A; one step: ``bias_current`` alone)
    and each of ``frequencies`` frequencies in [``f_min``, ``f_max``] at ``power_dbm`` of RF, the field is swept
    over [``h_min``, ``h_max``] (coarse), then finely around the resonance, while the rectified voltage is read:
    ``detection`` "dc" by the source-meter, "lockin" by a lock-in referenced to 100 % AM of the RF at
    ``modulation_frequency`` (the voltage column then holds the lock-in's X, V rms; use it under a bias, where the
    DC reading carries I·R and its noise). Each fine trace is fitted with symmetric + antisymmetric Lorentzians
    in the Kittel-mapped field (a line that cannot be fitted is reported and skipped); across lines the Kittel fit
    gives μ0Meff, and the linewidth vs frequency and bias the damping α, μ0ΔH0 and, under a bias, the
    anti-damping torque per ampere and the threshold current at ``threshold_field``."""

    name = "st-fmr"
    summary_keys = {"alpha": "ratio", "mu0_meff": "T", "dh0": "T", "s_over_a": "ratio",
                    "stt_efficiency": "T/A (anti-damping torque field per ampere; with a bias)",
                    "i_th": "A (threshold at i_th_field; with a bias)", "i_th_field": "T",
                    "<key>_err": "1σ error of <key>",
                    "resonances": "per line: frequency Hz, bias A, h_res T, dh T (HWHM), s and a (V or V rms), "
                                  "with _err",
                    "skipped": "count of lines that could not be fitted", "skipped_lines": "frequency, bias, reason"}

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
    bias_current = FloatParameter("DC bias current (highest)", units="A", default=0.0, minimum=-0.02, maximum=0.02)
    bias_steps = IntegerParameter("DC bias levels", default=1, minimum=1, maximum=50)
    threshold_field = FloatParameter("Field of the reported threshold", units="T", default=0.05, minimum=1e-4,
                                     maximum=5.0)

    DATA_COLUMNS = ["Bias (A)", "Frequency (Hz)", "Field (T)", "Voltage (V)", "Fine"]
    PLOT_AXES = ("Field (T)", "Voltage (V)")

    def configure(self) -> None:
        bench = self.bench
        if self.detection not in ("dc", "lockin"):
            raise ValueError(f"detection must be 'dc' or 'lockin', got {self.detection!r}")
        max_voltage = bench.config.safety.max_voltage
        bench.smu.source_current_mode(compliance_voltage=max_voltage if np.isfinite(max_voltage) else 2.0,
                                      nplc=self.nplc)
        bench.smu.set_level(0.0)
        bench.smu.output_on()
        bench.rf.set_power_dbm(self.power_dbm)
        if self.detection == "lockin":
            bench.rf.set_amplitude_modulation(True, self.modulation_frequency, 1.0)
            bench.lockin.configure(self.time_constant, 1e-3)
            self._settle = bench.lockin.settle_time()
        else:
            self._settle = 0.1  # the magnet's five time constants

    def bias_levels(self) -> np.ndarray:
        """The DC bias currents (A) of the run."""
        if self.bias_steps == 1:
            return np.array([self.bias_current])
        return np.linspace(0.0, self.bias_current, self.bias_steps)

    def _sweep(self, bias: float, frequency: float, fields: np.ndarray, fine: bool) -> np.ndarray:
        bench = self.bench
        volts = np.empty(fields.size)
        for k, h in enumerate(fields):
            bench.field.step_field(float(h))
            bench.sleep(self._settle)
            b = bench.field.measure_field()
            volts[k] = bench.lockin.read_xy()[0] if self.detection == "lockin" else bench.smu.measure()[0]
            fields[k] = b
            self.record(bias=bias, frequency=frequency, field=b, voltage=volts[k], fine=int(fine))
        return volts

    def execute(self) -> None:
        bench = self.bench
        frequencies = np.linspace(self.f_min, self.f_max, self.frequencies)
        biases = self.bias_levels()
        total = biases.size * frequencies.size
        for m, bias in enumerate(biases):
            bench.smu.set_level(float(bias))
            for n, frequency in enumerate(frequencies):
                if self.should_stop():
                    return
                bench.rf.set_frequency(float(frequency))
                bench.rf.output_on()
                coarse = np.linspace(self.h_min, self.h_max, self.coarse_points)
                v = self._sweep(float(bias), float(frequency), coarse, fine=False)
                k = int(np.argmax(np.abs(v - np.median(v))))
                span = 6 * max(abs(coarse[1] - coarse[0]), 2e-3)
                low, high = max(coarse[k] - span, min(self.h_min, self.h_max)), min(coarse[k] + span,
                                                                                     max(self.h_min, self.h_max))
                fine = np.linspace(low, high, self.fine_points)  # never beyond the range asked for
                self._sweep(float(bias), float(frequency), fine, True)
                bench.rf.output_off()
                self.progress(m * frequencies.size + n + 1, total)

    @classmethod
    def lines(cls, data: dict[str, np.ndarray], meff: float | None = None, damping: Damping | None = None
              ) -> tuple[list[tuple[float, float, FmrLine]], list[dict[str, Any]]]:
        """The fitted lines [(frequency Hz, bias A, line)] and those that could not be fitted [{frequency, bias,
        reason}]; with ``meff`` (T) and ``damping`` of an earlier pass in the Kittel-mapped field."""
        fitted, skipped = [], []
        bias = data["bias"]
        for b, frequency in sorted({(float(b), float(f)) for b, f in zip(bias, data["frequency"], strict=True)}):
            sel = (data["frequency"] == frequency) & (bias == b) & (data["fine"] > 0)
            shape = (0.0, 0.0) if damping is None else (damping.alpha, np.nan_to_num(damping.s) * b)
            try:
                fitted.append((frequency, b, fit_fmr_line(data["field"][sel], data["voltage"][sel], meff, shape)))
            except AnalysisError as exc:
                skipped.append({"frequency": frequency, "bias": b, "reason": str(exc)})
        return fitted, skipped

    @classmethod
    def fits(cls, data: dict[str, np.ndarray]) -> tuple[list[tuple[float, float, FmrLine]], list[dict[str, Any]],
                                                         tuple[float, float], Damping]:
        """Lines, skipped lines, (μ0Meff, error) and damping: a first pass of Lorentzians in H, then two in the
        Kittel-mapped field with the damping's own field dependence (the line is Lorentzian in frequency)."""
        lines, skipped = cls.lines(data)
        kittel, damping = cls._line_fits(lines)
        for _ in range(2):
            lines, skipped = cls.lines(data, kittel[0], damping)
            kittel, damping = cls._line_fits(lines)
        return lines, skipped, kittel, damping

    @classmethod
    def _line_fits(cls, lines: list[tuple[float, float, FmrLine]]) -> tuple[tuple[float, float], Damping]:
        if len(lines) < MIN_LINES:
            raise AnalysisError(f"resonances fitted at {len(lines)} lines, fewer than {MIN_LINES}")
        f, bias, h_res, h_err, dh, dh_err = (np.array(v) for v in zip(
            *[(fr, b, ln.h_res, ln.h_res_err, ln.dh, ln.dh_err) for fr, b, ln in lines], strict=True))
        meff, meff_err = fit_kittel(f, h_res, h_err)
        return (meff, meff_err), fit_damping(f, dh, dh_err, h_res, bias, meff)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, Any]:
        lines, skipped, (meff, meff_err), damping = cls.fits(data)
        for line in skipped:
            log.warning("st-fmr: line at %.4g Hz, bias %.3g A skipped: %s", line["frequency"], line["bias"],
                        line["reason"])
        ratios = np.array([ln.s / ln.a for _, _, ln in lines if ln.a != 0])
        summary: dict[str, Any] = {
            "alpha": damping.alpha, "alpha_err": damping.alpha_err, "mu0_meff": meff, "mu0_meff_err": meff_err,
            "dh0": damping.dh0, "dh0_err": damping.dh0_err,
            "s_over_a": float(np.median(ratios)) if ratios.size else float("nan"),
            "s_over_a_err": median_error(ratios) if ratios.size else float("nan"),
            "skipped": len(skipped), "skipped_lines": skipped,
            "resonances": [{"frequency": fr, "bias": b, "h_res": ln.h_res, "h_res_err": ln.h_res_err, "dh": ln.dh,
                            "dh_err": ln.dh_err, "s": ln.s, "s_err": ln.s_err, "a": ln.a, "a_err": ln.a_err}
                           for fr, b, ln in lines]}
        if np.isfinite(damping.s):
            field = float(parameters.get("threshold_field", cls.threshold_field.default))
            i_th, i_th_err = damping.threshold(field, meff)
            summary |= {"stt_efficiency": damping.s, "stt_efficiency_err": damping.s_err, "i_th": i_th,
                        "i_th_err": i_th_err, "i_th_field": field}
        return summary

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, Any], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, (ax_v, ax_k, ax_w) = figure(1, 3, size=(14.0, 4.2))
        fine = data["fine"] > 0
        for b, frequency in sorted({(float(b), float(f)) for b, f in zip(data["bias"][fine], data["frequency"][fine],
                                                                          strict=True)}):
            sel = fine & (data["frequency"] == frequency) & (data["bias"] == b)
            ax_v.plot(data["field"][sel] * 1e3, data["voltage"][sel] * 1e6, ".", ms=3)
        if summary:
            cls._plot_fits(ax_v, ax_k, ax_w, data, summary)
        ax_v.set_xlabel("μ0H (mT)")
        ax_v.set_ylabel("V_dc (µV)")
        ax_k.set_xlabel("resonance field (mT)")
        ax_k.set_ylabel("frequency (GHz)")
        ax_w.set_xlabel("frequency (GHz)")
        ax_w.set_ylabel("μ0ΔH (mT, HWHM)")
        fig.savefig(path, dpi=110)

    @classmethod
    def _plot_fits(cls, ax_v: Any, ax_k: Any, ax_w: Any, data: dict[str, np.ndarray], summary: dict[str, Any]) -> None:
        """Fitted lines over the traces, the Kittel curve, and the linewidth model at each bias, with the fitted
        values ± errors in the legends."""
        lines, _, (meff, _), damping = cls.fits(data)
        biases = sorted({b for _, b, _ in lines})
        colours = {b: f"C{k}" for k, b in enumerate(biases)}
        for frequency, b, line in lines:
            h = np.linspace(line.h_res - 8 * line.dh, line.h_res + 8 * line.dh, 200)
            shape = (damping.alpha, np.nan_to_num(damping.s) * b)
            ax_v.plot(h * 1e3, fmr_lineshape(h, line.s, line.a, line.h_res, line.dh, line.offset, meff, shape) * 1e6,
                      "-", lw=0.8, color="k")
            ax_k.errorbar(line.h_res * 1e3, frequency / 1e9, xerr=line.h_res_err * 1e3, fmt="o", color=colours[b])
            ax_w.errorbar(frequency / 1e9, line.dh * 1e3, yerr=line.dh_err * 1e3, fmt="o", color=colours[b])
        h = np.linspace(1e-3, data["field"].max(), 200)
        ax_k.plot(h * 1e3, kittel_frequency(h, meff) / 1e9, "-", color="k",
                  label=f"μ0Meff = {measured(summary['mu0_meff'], summary['mu0_meff_err'], unit='T')}")
        ax_k.legend()
        f = np.linspace(data["frequency"].min(), data["frequency"].max(), 50)
        torque = np.nan_to_num(damping.s) / (kittel_field(f, meff) + meff / 2)
        for b in biases:
            dh = damping.dh0 + f / GAMMA_HZ_PER_T * (damping.alpha - torque * b)
            ax_w.plot(f / 1e9, dh * 1e3, "-", color=colours[b], label=f"I = {b * 1e3:.3g} mA")
        title = (f"α = {measured(summary['alpha'], summary['alpha_err'])}, μ0ΔH0 = "
                 f"{measured(summary['dh0'], summary['dh0_err'], 1e3, 'mT')}")
        if "i_th" in summary:
            i_th = measured(summary["i_th"], summary["i_th_err"], 1e3, "mA")
            title += f"\nI_th({summary['i_th_field'] * 1e3:.3g} mT) = {i_th}"
        ax_w.legend(fontsize=8, title=title, title_fontsize=8)
