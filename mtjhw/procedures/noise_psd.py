"""Resistance noise of a junction: voltage-noise spectra under constant bias currents, 1/f (Hooge) and Lorentzians."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter, ListParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.noise import MAX_LORENTZIANS, band_edges, fit_noise, welch_bands

from .base import BenchProcedure, measured

log = logging.getLogger(__name__)

#: scope screen half-height in divisions, and how many standard deviations of the noise it holds
_HALF_SCREEN, _SIGMAS = 4.0, 8.0


class NoisePsd(BenchProcedure):
    """At each of ``biases`` constant currents from ``i_start`` to ``i_stop`` (geometric, one sign, well below
    switching) the source-meter holds the current and the voltage noise is recorded: by the scope, AC-coupled,
    ``records`` records of ``duration`` s in ``points`` samples (the screen scaled to hold ±8 σ of the noise), or,
    on a bench without one (or with ``instrument`` smu), by ``readings`` buffered source-meter readings at
    ``nplc`` (the low band only, the sample interval measured on the bench clock). Welch PSD: Hann window,
    ``segment`` samples per segment, 50 % overlap, each segment's mean removed, averaged over segments and records,
    then over logarithmic bands (10 per decade, up to 5 % of the sample rate). The spectra of all bias points are
    fitted together (:func:`mtjhw.analysis.noise.fit_noise`): S_V = S_white + V²·α_H/(A f^γ) + Σ Lorentzians,
    giving Hooge's α_H (γ = 1, S ∝ V², with the junction ``area``), γ and the bias exponent β (S ∝ |V|^β: 2 for
    resistance noise, 0 for amplifier noise) from a free fit, and the corners and relative rms of the Lorentzians
    (their number given or chosen by the information criterion). Each bias point is a unit a resumed run skips."""

    name = "noise-psd"
    summary_keys = {"hooge": "m²", "hooge_err": "m²", "hooge_over_area": "1", "hooge_over_area_err": "1",
                    "gamma": "1", "gamma_err": "1", "exponent": "1 (S_V ∝ |V|^exponent)", "exponent_err": "1",
                    "n_lorentzians": "count",
                    **{f"rtn_{what}_{j}{err}": unit for j in range(1, MAX_LORENTZIANS + 1)
                       for what, unit in (("corner", "Hz"), ("rms", "1 (relative)")) for err in ("", "_err")},
                    "area": "m² (as set)"}

    i_start = FloatParameter("First bias current", units="A", default=-2.5e-6, minimum=-0.01, maximum=0.01)
    i_stop = FloatParameter("Last bias current", units="A", default=-10e-6, minimum=-0.01, maximum=0.01)
    biases = IntegerParameter("Bias points", default=3, minimum=1, maximum=50)
    instrument = ListParameter("Recorded by", choices=["auto", "scope", "smu"], default="auto")
    duration = FloatParameter("Scope record", units="s", default=1e-3, minimum=1e-7, maximum=10.0)
    points = IntegerParameter("Samples per scope record", default=100_000, minimum=1000, maximum=4_000_000)
    records = IntegerParameter("Scope records per bias point", default=10, minimum=1, maximum=1000)
    segment = IntegerParameter("Samples per Welch segment (scope)", default=16_384, minimum=256, maximum=4_000_000)
    readings = IntegerParameter("Source-meter readings per bias point", default=4096, minimum=256, maximum=100_000)
    smu_segment = IntegerParameter("Readings per Welch segment", default=1024, minimum=256, maximum=100_000)
    nplc = FloatParameter("Source-meter integration", units="NPLC", default=1.0, minimum=0.01, maximum=10.0)
    settle = FloatParameter("Settling after each bias change", units="s", default=0.1, minimum=0.0, maximum=100.0)
    area = FloatParameter("Junction area", units="m^2", default=1e-14, minimum=1e-18, maximum=1e-8)
    lorentzians = ListParameter("Lorentzians", choices=["auto", *map(str, range(MAX_LORENTZIANS + 1))],
                                default="auto")

    #: Averages: effective number of independent periodogram values in the band (the fit's weight)
    DATA_COLUMNS = ["Bias point", "Current (A)", "Voltage (V)", "Frequency (Hz)", "PSD (V^2/Hz)", "Averages"]
    PLOT_AXES = ("Frequency (Hz)", "PSD (V^2/Hz)")

    def configure(self) -> None:
        if self.i_start * self.i_stop <= 0:
            raise ValueError("i_start and i_stop must be non-zero and of one sign (the bias points are geometric)")
        if self._by_scope() and self.segment > self.points:
            raise ValueError(f"segment ({self.segment}) must not exceed the samples per record ({self.points})")
        if not self._by_scope() and self.smu_segment > self.readings:
            raise ValueError(f"smu_segment ({self.smu_segment}) must not exceed the readings ({self.readings})")
        limit = min(1.0, self.bench.config.safety.max_voltage)
        self.bench.smu.source_current_mode(compliance_voltage=limit, nplc=self.nplc)
        self.bench.smu.output_on()

    def _by_scope(self) -> bool:
        """Whether the scope records the noise ('auto': when the bench has one; 'scope' on a bench without one
        fails with the bench's own error)."""
        if self.instrument == "auto":
            return "scope" in self.bench.drivers
        if self.instrument == "scope":
            self.bench.scope  # noqa: B018 -- raises the bench's MissingRoleError when there is none
        return self.instrument == "scope"

    def execute(self) -> None:
        by_scope = self._by_scope()
        levels = np.geomspace(self.i_start, self.i_stop, self.biases)
        bands = len(band_edges(self.segment if by_scope else self.smu_segment)) - 1
        for n, current in enumerate(levels):
            if self.should_stop():
                return
            if self.unit_recorded(n, bands):  # a bias point starts from the bias alone
                continue
            self.bench.smu.set_level(float(current))
            self.bench.sleep(self.settle)
            v_dc, _ = self.bench.smu.measure()
            f, psd, averages = self._scope_spectrum(v_dc) if by_scope else self._smu_spectrum(float(current))
            for fk, pk, ak in zip(f, psd, averages, strict=True):
                self.record(bias_point=n, current=float(current), voltage=v_dc, frequency=fk, psd=pk, averages=ak)
            self.progress(n + 1, len(levels))

    def _scope_spectrum(self, v_dc: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scope = self.bench.scope
        self._scale_scope(v_dc)
        psd = averages = 0.0
        for _ in range(self.records):
            t, v = scope.acquire(1, self.duration, self.points)
            if np.max(np.abs(v)) >= 0.99 * _HALF_SCREEN * self._scale:
                log.warning("noise-psd: a record at %g V clipped on the scope screen", v_dc)
            f, p, a = welch_bands(v[None], 1.0 / (t[1] - t[0]), self.segment)
            psd, averages = psd + p / self.records, averages + a
        return f, psd, averages

    def _scale_scope(self, v_dc: float) -> None:
        """AC coupling at the smallest V/div that holds ±:data:`_SIGMAS` σ of the noise, found from trial records
        (starting at ±5 % of the DC level on screen, ten times coarser while a record clips)."""
        scope = self.bench.scope
        scale = max(1e-3, 0.05 * abs(v_dc) / _HALF_SCREEN)
        for _ in range(4):
            scope.configure_channel(1, min(scale, 5.0), 0.0, "AC")
            _, v = scope.acquire(1, self.duration, self.points)
            if np.max(np.abs(v)) < 0.99 * _HALF_SCREEN * scale:
                break
            scale *= 10
        self._scale = min(5.0, max(1e-3, _SIGMAS * float(np.std(v)) / _HALF_SCREEN))
        scope.configure_channel(1, self._scale, 0.0, "AC")

    def _smu_spectrum(self, current: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        start = self.bench.now()
        v, _ = self.bench.smu.sweep(np.full(self.readings, current), 0.0)
        dt = (self.bench.now() - start) / self.readings
        return welch_bands(np.asarray(v)[None], 1.0 / dt, self.smu_segment)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        points, index = np.unique(data["bias_point"].astype(int), return_inverse=True)
        if points.size == 0:
            raise AnalysisError("no spectra recorded")
        first = np.array([np.flatnonzero(index == k)[0] for k in range(points.size)])
        choice = parameters.get("lorentzians", "auto")
        fit = fit_noise(data["frequency"], data["psd"], data["averages"], index, data["voltage"][first],
                        None if choice == "auto" else int(choice))
        area = float(parameters["area"])
        summary = {"hooge": fit.hooge_over_area * area, "hooge_err": fit.hooge_over_area_err * area,
                   "hooge_over_area": fit.hooge_over_area, "hooge_over_area_err": fit.hooge_over_area_err,
                   "gamma": fit.gamma, "gamma_err": fit.gamma_err, "exponent": fit.exponent,
                   "exponent_err": fit.exponent_err, "n_lorentzians": len(fit.corners)}
        for what, values, errors in (("corner", fit.corners, fit.corners_err), ("rms", fit.rtn_rms, fit.rtn_rms_err)):
            for j in range(MAX_LORENTZIANS):  # NaN where the fit has fewer Lorentzians
                summary[f"rtn_{what}_{j + 1}"] = float(values[j]) if j < len(values) else math.nan
                summary[f"rtn_{what}_{j + 1}_err"] = float(errors[j]) if j < len(values) else math.nan
        return summary | {"area": area}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        points = np.unique(data["bias_point"].astype(int))
        colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
        for k in points:
            sel = data["bias_point"] == k
            v = data["voltage"][sel][0]
            ax.loglog(data["frequency"][sel], data["psd"][sel] / v**2, "o", ms=3, color=colours[k % 5],
                      label=f"V = {v * 1e3:.3g} mV")
        if summary:
            cls._plot_fit(ax, data, summary)
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("S_V / V² (1/Hz)")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=110)

    @staticmethod
    def _plot_fit(ax: Any, data: dict[str, np.ndarray], s: dict[str, float]) -> None:
        """The Hooge-law fit's resistance-noise components (S_R/R², the white levels left out), with the values
        in the legend."""
        f = np.geomspace(data["frequency"].min(), data["frequency"].max(), 200)
        total = s["hooge_over_area"] / f
        ax.loglog(f, s["hooge_over_area"] / f, "--", color="k", lw=1,
                  label=f"α_H = {measured(s['hooge'], s['hooge_err'], 1e22, '× 1e-22 m²')}, γ = "
                        f"{measured(s['gamma'], s['gamma_err'])}")
        for j in range(1, int(s["n_lorentzians"]) + 1):
            fc, rms = s[f"rtn_corner_{j}"], s[f"rtn_rms_{j}"]
            part = 4 * rms**2 / (2 * np.pi * fc) / (1 + (f / fc) ** 2)
            total = total + part
            ax.loglog(f, part, ":", lw=1, label=f"f_c = {measured(fc, s[f'rtn_corner_{j}_err'], 1e-3, 'kHz')}, "
                                                 f"δR/R rms {rms:.2g}")
        ax.loglog(f, total, "-", color="k", lw=1.2,
                  label=f"resistance noise fit (S_V ∝ |V|^β, β = {measured(s['exponent'], s['exponent_err'])})")
