"""Random telegraph noise of a superparamagnetic MTJ under bias currents, captured with an oscilloscope."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter, ListParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.telegraph import detect_states, dwell_model, dwell_times, fit_telegraph, mean_dwell
from mtjhw.analysis.thermal import ATTEMPT_LAWS

from .base import BenchProcedure, measured

log = logging.getLogger(__name__)


class Telegraph(BenchProcedure):
    """At each of ``currents`` bias currents in ±``i_max`` the source-meter sources the current, the scope
    captures ``duration`` s of the DUT voltage in ``points`` samples, states are detected with hysteresis and
    the mean dwell times in P and AP measured; the waveforms go to ``waveforms.h5``. The Néel–Brown fit across
    currents, ln τ_P,AP = ln τ0 + Δ_P,AP·(1 ± I/Ic0)^n weighted by the dwell times' standard errors, gives Δ
    and Ic0 (τ0 fixed; n = 2 for the symmetric perpendicular macrospin, 1 the common approximation; attempt law
    as in :func:`mtjhw.analysis.thermal.escape_rate`)."""

    name = "telegraph"
    summary_keys = {"delta": "kBT", "delta_err": "kBT", "delta_p": "kBT", "delta_p_err": "kBT", "delta_ap": "kBT",
                    "delta_ap_err": "kBT", "ic0": "A", "ic0_err": "A", "tau0": "s (fixed)", "tau_p_at_zero": "s",
                    "tau_p_at_zero_err": "s", "tau_ap_at_zero": "s", "tau_ap_at_zero_err": "s",
                    "n_current": "exponent (as set)", "attempt_law": "as set"}

    currents = IntegerParameter("Currents", default=6, minimum=3, maximum=200)
    i_max = FloatParameter("Largest |current|", units="A", default=4e-6, minimum=1e-9, maximum=1e-3)
    duration = FloatParameter("Capture per current", units="s", default=5e-3, minimum=1e-8, maximum=100.0)
    points = IntegerParameter("Samples per capture", default=500_000, minimum=1000, maximum=4_000_000)
    tau0 = FloatParameter("Attempt time (fixed)", units="s", default=1e-9, minimum=1e-13, maximum=1e-6)
    hysteresis = FloatParameter("Hysteresis (fraction of the level gap)", default=0.3, minimum=0.0, maximum=0.9)
    n_current = FloatParameter("Current exponent n", default=2.0, minimum=1.0, maximum=2.0)
    attempt_law = ListParameter("Attempt-time law", choices=list(ATTEMPT_LAWS), default="brown")

    DATA_COLUMNS = ["Current (A)", "Tau P (s)", "Tau AP (s)", "Tau P error (s)", "Tau AP error (s)", "Dwells P",
                    "Dwells AP", "Level P (V)", "Level AP (V)", "Sample interval (s)"]
    PLOT_AXES = ("Current (A)", "Tau P (s)")

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
        fit = fit_telegraph(data["current"][ok], data["tau_p"][ok], data["tau_ap"][ok], float(parameters["tau0"]),
                            float(parameters["n_current"]), data["tau_p_error"][ok], data["tau_ap_error"][ok],
                            parameters["attempt_law"])
        tau_p0, tau_ap0 = fit.tau0 * math.exp(fit.delta_p), fit.tau0 * math.exp(fit.delta_ap)
        return {"delta": fit.delta, "delta_err": fit.delta_err, "delta_p": fit.delta_p, "delta_p_err": fit.delta_p_err,
                "delta_ap": fit.delta_ap, "delta_ap_err": fit.delta_ap_err, "ic0": fit.ic0, "ic0_err": fit.ic0_err,
                "tau0": fit.tau0, "tau_p_at_zero": tau_p0, "tau_p_at_zero_err": tau_p0 * fit.delta_p_err,
                "tau_ap_at_zero": tau_ap0, "tau_ap_at_zero_err": tau_ap0 * fit.delta_ap_err,
                "n_current": float(parameters["n_current"]), "attempt_law": parameters["attempt_law"]}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        i_ua = data["current"] * 1e6
        ax.errorbar(i_ua, data["tau_p"], data["tau_p_error"], fmt="o", color="tab:blue", label="τ_P")
        ax.errorbar(i_ua, data["tau_ap"], data["tau_ap_error"], fmt="s", mfc="none", color="tab:red", label="τ_AP")
        if summary:
            s = summary
            grid = np.linspace(data["current"].min(), data["current"].max(), 100)
            for is_ap, colour in ((False, "tab:blue"), (True, "tab:red")):
                model = dwell_model(grid, np.full(grid.size, is_ap), s["delta_p"], s["delta_ap"], s["ic0"], s["tau0"],
                                    s["n_current"], s["attempt_law"])
                ax.plot(grid * 1e6, np.exp(model), "-", color=colour)
            for line in (f"Néel–Brown fit (n = {s['n_current']:g}, τ0 = {s['tau0']:.3g} s)",
                         f"Δ = {measured(s['delta'], s['delta_err'])}",
                         f"Δ_P = {measured(s['delta_p'], s['delta_p_err'])}",
                         f"Δ_AP = {measured(s['delta_ap'], s['delta_ap_err'])}",
                         f"Ic0 = {measured(s['ic0'], s['ic0_err'], 1e6, 'µA')}"):
                ax.plot([], [], " ", label=line)
        ax.set_yscale("log")
        ax.set_xlabel("bias current (µA)")
        ax.set_ylabel("mean dwell time (s)")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=110)
