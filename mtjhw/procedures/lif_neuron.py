"""LIF neuron: spike rate vs input current, integration and leak times of a domain-wall MTJ neuron."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.lif import fit_lif_rate, lif_rate
from mtjhw.analysis.spikes import detect_spikes

from .base import BenchProcedure, measured

log = logging.getLogger(__name__)


class LifNeuron(BenchProcedure):
    """At each of ``currents`` input currents from ``i_min`` to ``i_max`` the source-meter first holds zero for
    ``rest`` s (the wall leaks back to the start of the track: at 30 leak times or more each point starts from
    rest, and a resumed run skips the points on disk), then sources the current, which flows along the
    track and through the read MTJ; one reading gives the mean voltage (the neuron's power, V·I) and the scope
    captures ``duration`` s in ``points`` samples, where each spike is a dip of the read MTJ's resistance. The
    spikes' onsets give the rate (from the intervals between them), their dips the spike width (the reset time),
    and the interval minus the width the integration time from rest to threshold; waveforms go to
    ``waveforms.h5``. The weighted fit of the f–I curve (:func:`mtjhw.analysis.lif.fit_lif_rate`) with the read
    MTJ's position ``x_threshold`` (from the layout) gives the depinning current, the wall mobility, the leak time
    and the reset time. The currents must lie within the bench's ``max_current`` and the compliance within its
    ``max_voltage`` (checked before anything is sent)."""

    name = "lif-neuron"
    summary_keys = {"i_dep": "A", "i_dep_err": "A", "mobility": "(m/s)/A", "mobility_err": "(m/s)/A",
                    "tau_leak": "s", "tau_leak_err": "s", "t_reset": "s", "t_reset_err": "s", "rheobase": "A",
                    "integration_time": "s", "integration_time_err": "s", "spike_width": "s",
                    "power_at_i_max": "W", "x_threshold": "m (as set)", "firing_points": "count"}

    i_min = FloatParameter("Lowest input current", units="A", default=60e-6, minimum=0.0, maximum=0.1)
    i_max = FloatParameter("Highest input current", units="A", default=250e-6, minimum=1e-9, maximum=0.1)
    currents = IntegerParameter("Input currents", default=16, minimum=6, maximum=500)
    duration = FloatParameter("Capture per current", units="s", default=4e-6, minimum=1e-8, maximum=1.0)
    points = IntegerParameter("Samples per capture", default=20_000, minimum=1000, maximum=4_000_000)
    rest = FloatParameter("Rest at zero current before each", units="s", default=1e-6, minimum=0.0, maximum=10.0)
    compliance = FloatParameter("Compliance voltage", units="V", default=1.5, minimum=1e-3, maximum=20.0)
    x_threshold = FloatParameter("Read MTJ position on the track", units="m", default=320e-9, minimum=1e-9,
                                 maximum=1e-3)
    hysteresis = FloatParameter("Hysteresis (fraction of the spike depth)", default=0.3, minimum=0.0, maximum=0.9)

    DATA_COLUMNS = ["Current (A)", "Rate (Hz)", "Rate error (Hz)", "Spikes", "Interval (s)", "Interval std (s)",
                    "Spike width (s)", "Integration time (s)", "Voltage (V)", "Rest level (V)", "Spike level (V)",
                    "Sample interval (s)"]
    PLOT_AXES = ("Current (A)", "Rate (Hz)")

    def configure(self) -> None:
        limits = self.bench.config.safety
        if not self.i_min < self.i_max:
            raise ValueError(f"lif-neuron: i_min {self.i_min:g} A must be below i_max {self.i_max:g} A")
        if self.i_max > limits.max_current:
            raise ValueError(f"lif-neuron: i_max {self.i_max:g} A exceeds the bench's max_current "
                             f"{limits.max_current:g} A: lower it or raise safety.max_current")
        smu = self.bench.smu
        smu.source_current_mode(compliance_voltage=min(self.compliance, limits.max_voltage), nplc=0.01)
        smu.set_level(0.0)
        smu.output_on()

    def execute(self) -> None:
        bench = self.bench
        levels = np.linspace(self.i_min, self.i_max, self.currents)
        path = Path(getattr(self, "out_dir", ".")) / "waveforms.h5"
        with h5py.File(path, "a") as store:  # "a": a resumed run adds its captures to those already there
            for n, current in enumerate(levels):
                if self.should_stop():
                    return
                if self.unit_recorded(n, 1):  # every point starts from rest
                    continue
                bench.smu.set_level(0.0)
                bench.sleep(self.rest)
                bench.smu.set_level(float(current))
                v_mean, i_read = bench.smu.measure()
                if abs(i_read - current) > 0.01 * abs(current) + 1e-9:
                    raise RuntimeError(f"lif-neuron: the source-meter is in compliance at {current:g} A (it drives "
                                       f"{i_read:g} A at {v_mean:g} V): lower i_max, or raise the compliance "
                                       "within the bench's max_voltage")
                bench.scope.configure_channel(1, max(abs(v_mean) * 0.1, 1e-3), v_mean)
                t, v = bench.scope.acquire(1, self.duration, self.points)
                dt = float(t[1] - t[0])
                name = f"capture_{n:03d}"
                if name in store:  # captured, but killed before its point reached data.csv: measured again
                    del store[name]
                group = store.create_group(name)
                group.attrs["current_A"], group.attrs["dt_s"] = float(current), dt
                group.create_dataset("voltage_V", data=v.astype(np.float32), compression="gzip")
                self._record_capture(float(current), v, dt, v_mean)
                self.progress(n + 1, len(levels))

    def _record_capture(self, current: float, v: np.ndarray, dt: float, v_mean: float) -> None:
        train = detect_spikes(v, dt, self.hysteresis)
        if train is None:  # silent: one level
            level = float(np.median(v))
            self.record(current=current, rate=0.0, rate_error=0.0, spikes=0, interval=np.nan, interval_std=np.nan,
                        spike_width=np.nan, integration_time=np.nan, voltage=v_mean, rest_level=level,
                        spike_level=np.nan, sample_interval=dt)
            return
        if not np.isfinite(train.rate):
            log.warning("lif-neuron at %g A: %d spikes in the capture, too few for a rate; capture longer",
                        current, train.onsets.size)
        self.record(current=current, rate=train.rate, rate_error=train.rate_err, spikes=train.onsets.size,
                    interval=train.interval, interval_std=train.interval_std, spike_width=train.width,
                    integration_time=train.interval - train.width, voltage=v_mean, rest_level=train.rest_level,
                    spike_level=train.spike_level, sample_interval=dt)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        ok = np.isfinite(data["rate"])
        x_th = float(parameters["x_threshold"])
        fit = fit_lif_rate(data["current"][ok], data["rate"][ok], data["rate_error"][ok], x_th)
        firing = ok & (data["rate"] > 0)
        top = int(np.flatnonzero(firing)[np.argmax(data["current"][firing])])
        if not np.isclose(data["current"][top], data["current"].max()):
            raise AnalysisError("the largest current gave no rate: capture longer")
        intervals = max(data["spikes"][top] - 1, 1)
        integration_err = np.hypot(data["interval_std"][top] / np.sqrt(intervals),
                                   data["sample_interval"][top] / np.sqrt(12))
        return {"i_dep": fit.i_dep, "i_dep_err": fit.i_dep_err, "mobility": fit.mobility,
                "mobility_err": fit.mobility_err, "tau_leak": fit.tau_leak, "tau_leak_err": fit.tau_leak_err,
                "t_reset": fit.t_reset, "t_reset_err": fit.t_reset_err, "rheobase": fit.rheobase,
                "integration_time": float(data["integration_time"][top]),
                "integration_time_err": float(integration_err),
                "spike_width": float(np.mean(data["spike_width"][firing])),
                "power_at_i_max": float(data["voltage"][top] * data["current"][top]), "x_threshold": x_th,
                "firing_points": int(firing.sum())}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, (ax, ax_t) = figure(1, 2, size=(10.0, 4.2))
        i_ua = data["current"] * 1e6
        ax.errorbar(i_ua, data["rate"] * 1e-6, data["rate_error"] * 1e-6, fmt="o", ms=4, label="measured")
        firing = data["rate"] > 0
        ax_t.plot(i_ua[firing], data["integration_time"][firing] * 1e9, "o", label="integration (interval − width)")
        ax_t.plot(i_ua[firing], data["spike_width"][firing] * 1e9, "s", mfc="none", label="spike width (reset)")
        if summary:
            s = summary
            grid = np.linspace(data["current"].min(), data["current"].max(), 300)
            gain = s["mobility"] * s["tau_leak"] / s["x_threshold"]
            ax.plot(grid * 1e6, lif_rate(grid, s["i_dep"], gain, s["tau_leak"], s["t_reset"]) * 1e-6, "-",
                    label="LIF fit")
            for line in (f"I_dep = {measured(s['i_dep'], s['i_dep_err'], 1e6, 'µA')}",
                         f"μ = {measured(s['mobility'], s['mobility_err'], 1e-3, 'km/s/A')}",
                         f"τ_leak = {measured(s['tau_leak'], s['tau_leak_err'], 1e9, 'ns')}",
                         f"t_reset = {measured(s['t_reset'], s['t_reset_err'], 1e9, 'ns')}",
                         f"rheobase = {s['rheobase'] * 1e6:.4g} µA"):
                ax.plot([], [], " ", label=line)
            ax_t.axhline(s["tau_leak"] * 1e9, color="grey", ls=":", label="leak time τ_leak (fit)")
        ax.set_xlabel("input current (µA)")
        ax.set_ylabel("spike rate (MHz)")
        ax.legend(fontsize=7)
        ax_t.set_xlabel("input current (µA)")
        ax_t.set_ylabel("time (ns)")
        ax_t.legend(fontsize=7)
        fig.savefig(path, dpi=110)
