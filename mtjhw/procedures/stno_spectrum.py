"""STNO emission spectra vs bias current: frequency, linewidth, power, threshold and nonlinear frequency shift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.fitting import fit_polynomial
from mtjhw.analysis.rf import fit_emission, fit_oscillator_threshold, oscillator_frequency
from mtjhw.instruments.units import dbm_to_watts

from .base import BenchProcedure, measured

_ENBW = 1.065  # noise bandwidth / RBW of a Gaussian resolution filter


class StnoSpectrum(BenchProcedure):
    """At ``field`` (T) and each of ``currents`` bias currents in [``i_min``, ``i_max``], one averaged spectrum
    over [``f_start``, ``f_stop``]; a Lorentzian fit per spectrum gives frequency, linewidth (FWHM) and line
    power, referred to the DUT with the amplifier chain's ``chain_gain_db``. Across currents: the threshold
    current, the zero-power frequency f0 and the nonlinear shift df/dp from f = f0 + N·p, p = (ζ − 1)/(ζ + Q)
    above threshold, and df/dI, each with its 1σ error (``<key>_err``). The 2-D map (current × frequency) goes to
    ``spectra.h5``."""

    name = "stno-spectrum"
    summary_keys = {"i_th": "A", "q": "ratio", "f0": "Hz", "df_dp": "Hz", "df_di": "Hz/A", "linewidth_min": "Hz",
                    "p_max": "W", "f_at_i_max": "Hz", "<key>_err": "1σ error of <key>"}

    field = FloatParameter("Field", units="T", default=0.05, minimum=-5.0, maximum=5.0)
    i_min = FloatParameter("Lowest current", units="A", default=0.6e-3, minimum=0.0, maximum=0.1)
    i_max = FloatParameter("Highest current", units="A", default=1.8e-3, minimum=0.0, maximum=0.1)
    currents = IntegerParameter("Currents", default=13, minimum=3, maximum=1000)
    f_start = FloatParameter("Start frequency", units="Hz", default=4.5e9, minimum=0.0, maximum=26.5e9)
    f_stop = FloatParameter("Stop frequency", units="Hz", default=7.5e9, minimum=0.0, maximum=26.5e9)
    rbw = FloatParameter("Resolution bandwidth", units="Hz", default=1e6, minimum=1.0, maximum=8e6)
    points = IntegerParameter("Points per spectrum", default=1501, minimum=11, maximum=100001)
    averages = IntegerParameter("Averages", default=20, minimum=1, maximum=10000)
    chain_gain_db = FloatParameter("Gain DUT → analyzer", units="dB", default=27.0, minimum=-100.0, maximum=100.0)

    DATA_COLUMNS = ["Current (A)", "Frequency (Hz)", "Frequency error (Hz)", "Linewidth (Hz)", "Linewidth error (Hz)",
                    "Power (W)", "Voltage (V)"]
    PLOT_AXES = ("Current (A)", "Frequency (Hz)")

    def configure(self) -> None:
        bench = self.bench
        if bench.has_field:
            bench.field.set_field(self.field)
        bench.smu.source_current_mode(compliance_voltage=bench.config.safety.max_voltage
                                      if np.isfinite(bench.config.safety.max_voltage) else 2.0)
        bench.smu.output_on()
        bench.analyzer.configure(self.f_start, self.f_stop, self.rbw, self.points, self.averages)

    def execute(self) -> None:
        bench = self.bench
        levels = np.linspace(self.i_min, self.i_max, self.currents)
        gain = 10 ** (self.chain_gain_db / 10)
        # "a": a resumed run adds its spectra to those of the run it continues
        with h5py.File(Path(getattr(self, "out_dir", ".")) / "spectra.h5", "a") as store:
            spectra = store.require_dataset("power_dBm", (levels.size, self.points), dtype="f4")
            if "current_A" not in store:
                store.create_dataset("current_A", data=levels)
            for n, current in enumerate(levels):
                if self.should_stop():
                    return
                if self.unit_recorded(n, 1):  # the oscillation settles within nanoseconds of a new current
                    continue
                bench.smu.set_level(float(current))
                v, _ = bench.smu.measure()
                f, p_dbm = bench.analyzer.trace()
                if "frequency_Hz" not in store:
                    store.create_dataset("frequency_Hz", data=f)
                spectra[n] = p_dbm
                try:
                    line = fit_emission(f, dbm_to_watts(p_dbm), _ENBW * self.rbw)
                    row = (line.frequency, line.frequency_err, line.linewidth, line.linewidth_err, line.power / gain)
                except AnalysisError:
                    row = (float("nan"),) * 4 + (0.0,)  # below threshold or off the span
                self.record(current=current, frequency=row[0], frequency_error=row[1], linewidth=row[2],
                            linewidth_error=row[3], power=row[4], voltage=v)
                self.progress(n + 1, levels.size)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        i, power, f = data["current"], data["power"], data["frequency"]
        (i_th, q, f0, df_dp), errors = fit_oscillator_threshold(i, f)
        above = (i > i_th) & np.isfinite(f)
        if above.sum() < 2:
            raise AnalysisError("fewer than 2 resolved lines above threshold")
        coefficients, cov = fit_polynomial(i[above], f[above], 1)
        df_di = (float(coefficients[0]), float(np.sqrt(cov[0, 0]))) if coefficients.size == 2 else (
            float(np.polyfit(i[above], f[above], 1)[0]), float("inf"))  # too few lines for its error
        k_max = int(np.argmax(np.where(np.isfinite(f), i, -np.inf)))
        k_narrow = int(np.nanargmin(np.where(above, data["linewidth"], np.nan)))
        values = {"i_th": i_th, "q": q, "f0": f0, "df_dp": df_dp}
        summary = {key: float(v) for key, v in values.items()} | {
            f"{key}_err": float(e) for key, e in zip(values, errors, strict=True)}
        return summary | {
            "df_di": df_di[0], "df_di_err": df_di[1],
            "linewidth_min": float(data["linewidth"][k_narrow]), "linewidth_min_err": float(data["linewidth_error"][
                k_narrow]), "p_max": float(power.max()), "f_at_i_max": float(f[k_max]),
            "f_at_i_max_err": float(data["frequency_error"][k_max])}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, axes = figure(1, 3, size=(12.0, 3.8))
        spectra_file = path.parent / "spectra.h5"
        if spectra_file.exists():
            with h5py.File(spectra_file, "r") as store:
                if "frequency_Hz" in store:
                    f, i, p = store["frequency_Hz"][()], store["current_A"][()], store["power_dBm"][()]
                    mesh = axes[0].pcolormesh(f / 1e9, i * 1e3, p, shading="auto")
                    fig.colorbar(mesh, ax=axes[0], label="dBm")
        axes[0].set_xlabel("frequency (GHz)")
        axes[0].set_ylabel("current (mA)")
        axes[1].errorbar(data["current"] * 1e3, data["frequency"] / 1e9, data["frequency_error"] / 1e9, fmt="o")
        if summary:
            i = np.linspace(data["current"].min(), data["current"].max(), 200)
            f = oscillator_frequency(i, summary["f0"], summary["df_dp"], summary["i_th"], summary["q"])
            axes[1].plot(i * 1e3, f / 1e9, "-", color="k",
                         label=f"f0 = {measured(summary['f0'], summary['f0_err'], 1e-9, 'GHz')}\n"
                               f"N = {measured(summary['df_dp'], summary['df_dp_err'], 1e-9, 'GHz')}\n"
                               f"Q = {measured(summary['q'], summary['q_err'])}")
            axes[1].legend(fontsize=8)
        axes[1].set_xlabel("current (mA)")
        axes[1].set_ylabel("frequency (GHz)")
        axes[2].plot(data["current"] * 1e3, data["power"] * 1e9, "o")
        if summary:
            axes[2].axvline(summary["i_th"] * 1e3, color="grey", ls="--",
                            label=f"I_th = {measured(summary['i_th'], summary['i_th_err'], 1e3, 'mA')}")
            axes[2].legend()
        axes[2].set_xlabel("current (mA)")
        axes[2].set_ylabel("line power (nW)")
        fig.savefig(path, dpi=110)
