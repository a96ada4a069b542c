"""Random telegraph noise of a superparamagnetic MTJ under bias currents, captured with an oscilloscope."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.telegraph import detect_states, dwell_times, fit_telegraph, mean_dwell

from .base import BenchProcedure

log = logging.getLogger(__name__)


class Telegraph(BenchProcedure):
    """At each of ``currents`` bias currents in ±``i_max`` the source-meter sources the current, the scope
    captures ``duration`` s of the DUT voltage in ``points`` samples, states are detected with hysteresis and
    the mean dwell times in P and AP measured; the waveforms go to ``waveforms.h5``."""

    name = "telegraph"
    summary_keys = {"delta": "kBT", "delta_p": "kBT", "delta_ap": "kBT", "ic0": "A", "tau0": "s",
                    "tau_p_at_zero": "s", "tau_ap_at_zero": "s"}

    currents = IntegerParameter("Currents", default=6, minimum=3, maximum=200)
    i_max = FloatParameter("Largest |current|", units="A", default=4e-6, minimum=1e-9, maximum=1e-3)
    duration = FloatParameter("Capture per current", units="s", default=5e-3, minimum=1e-8, maximum=100.0)
    points = IntegerParameter("Samples per capture", default=500_000, minimum=1000, maximum=4_000_000)
    tau0 = FloatParameter("Attempt time (fixed)", units="s", default=1e-9, minimum=1e-13, maximum=1e-6)
    hysteresis = FloatParameter("Hysteresis (fraction of the level gap)", default=0.3, minimum=0.0, maximum=0.9)

    DATA_COLUMNS = ["Current (A)", "Tau P (s)", "Tau AP (s)", "Tau P error (s)", "Tau AP error (s)", "Dwells P",
                    "Dwells AP", "Level P (V)", "Level AP (V)", "Sample interval (s)"]

    def configure(self) -> None:
        self.bench.smu.source_current_mode(compliance_voltage=min(0.5, self.bench.config.safety.max_voltage))
        self.bench.smu.output_on()

    def execute(self) -> None:
        bench = self.bench
        k = (self.currents + 1) // 2  # symmetric levels; zero current has no read-out contrast
        half = np.linspace(self.i_max / k, self.i_max, k)
        levels = np.sort(np.concatenate([-half, half]))[: self.currents]
        path = Path(getattr(self, "out_dir", ".")) / "waveforms.h5"
        with h5py.File(path, "a") as store:  # "a": a resumed run adds its captures to those already there
            for n, current in enumerate(levels):
                if self.should_stop():
                    return
                if self.unit_recorded(n, 1):  # the telegraph process forgets its past within a dwell
                    continue
                bench.smu.set_level(float(current))
                v_mean, _ = bench.smu.measure()
                bench.scope.configure_channel(1, max(abs(v_mean) * 0.3, 1e-3), v_mean)
                t, v = bench.scope.acquire(1, self.duration, self.points)
                name = f"capture_{n:03d}"
                if name in store:  # captured, but killed before its point reached data.csv: measured again
                    del store[name]
                group = store.create_group(name)
                group.attrs["current_A"] = float(current)
                group.create_dataset("voltage_V", data=v.astype(np.float32), compression="gzip")
                group.attrs["dt_s"] = float(t[1] - t[0])
                self._record_capture(float(current), v, float(t[1] - t[0]))
                self.progress(n + 1, len(levels))

    def _record_capture(self, current: float, v: np.ndarray, dt: float) -> None:
        states, low, high = detect_states(v, self.hysteresis)
        high_dwells, low_dwells = dwell_times(states, dt)
        dead_time = 3 * dt
        try:
            tau_ap, err_ap = mean_dwell(high_dwells, dead_time)  # larger |V| at a current bias: AP
            tau_p, err_p = mean_dwell(low_dwells, dead_time)
        except AnalysisError as exc:
            log.warning("telegraph at %g A: %s", current, exc)
            tau_ap = err_ap = tau_p = err_p = float("nan")
        self.record(current=current, tau_p=tau_p, tau_ap=tau_ap, tau_p_error=err_p, tau_ap_error=err_ap,
                    dwells_p=len(low_dwells), dwells_ap=len(high_dwells), level_p=np.sign(current) * low,
                    level_ap=np.sign(current) * high, sample_interval=dt)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        ok = np.isfinite(data["tau_p"]) & np.isfinite(data["tau_ap"])
        if ok.sum() < 3:
            raise AnalysisError(f"dwell times resolved at only {ok.sum()} currents (need 3): capture longer, or "
                                "sample faster")
        fit = fit_telegraph(data["current"][ok], data["tau_p"][ok], data["tau_ap"][ok], float(parameters["tau0"]))
        return {"delta": fit.delta, "delta_p": fit.delta_p, "delta_ap": fit.delta_ap, "ic0": fit.ic0,
                "tau0": fit.tau0, "tau_p_at_zero": fit.tau0 * float(np.exp(fit.delta_p)),
                "tau_ap_at_zero": fit.tau0 * float(np.exp(fit.delta_ap))}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        i_ua = data["current"] * 1e6
        ax.errorbar(i_ua, data["tau_p"], data["tau_p_error"], fmt="o", label="τ_P")
        ax.errorbar(i_ua, data["tau_ap"], data["tau_ap_error"], fmt="s", label="τ_AP")
        if summary:
            grid = np.linspace(data["current"].min(), data["current"].max(), 100)
            ax.plot(grid * 1e6, summary["tau0"] * np.exp(summary["delta_p"] * (1 + grid / summary["ic0"])), "-")
            ax.plot(grid * 1e6, summary["tau0"] * np.exp(summary["delta_ap"] * (1 - grid / summary["ic0"])), "-")
            ax.set_title(f"Δ = {summary['delta']:.2f}, Ic0 = {summary['ic0'] * 1e6:.1f} µA")
        ax.set_yscale("log")
        ax.set_xlabel("bias current (µA)")
        ax.set_ylabel("mean dwell time (s)")
        ax.legend()
        fig.savefig(path, dpi=110)
