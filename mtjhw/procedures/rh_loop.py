"""R-H loop: resistance at a small bias while the field sweeps ±field_max, for TMR, Hc, the loop shift, and
Δ and Hk from the switching fields (at one or several sweep rates)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter, ListParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.loops import analyse_rh_loop, two_states
from mtjhw.analysis.thermal import ATTEMPT_LAWS, fit_field_sweeps, mean_switching_field
from mtjhw.bench import Bench

from .base import BenchProcedure, measured

log = logging.getLogger(__name__)

#: Δ and Hk are reported when the switching fields constrain both to this relative 1σ error.
MAX_RELATIVE_ERROR = 0.05


def field_sweep(bench: Bench, fields: np.ndarray, sweep_rate: float,
                read: Callable[[], tuple[float, float]] | None = None) -> Iterator[tuple[float, float, float, float]]:
    """Step the field through ``fields`` (T) at ``sweep_rate`` (T/s), reading the probe and ``read`` (default:
    the source-meter's ``measure``) at each: yields (field set T, field measured T, V, I). The caller sources the
    read bias."""
    read = read or bench.smu.measure
    dt = float(np.median(np.abs(np.diff(fields)))) / sweep_rate if fields.size > 1 else 0.0
    t_next = bench.now()
    for h in fields:
        bench.field.step_field(float(h))
        t_next += dt
        bench.sleep(t_next - bench.now())
        b = bench.field.measure_field()
        v, i = read()
        yield float(h), b, v, i


#: Ratio of successive sweep rates: two decades, as the coercive field changes only with ln(rate)
RATE_STEP = 100.0


def sweep_rates(fastest: float, count: int) -> np.ndarray:
    """The sweep rates (T/s) of a run: ``fastest``, then :data:`RATE_STEP` times slower each."""
    return fastest * RATE_STEP ** -np.arange(count)


class RHLoop(BenchProcedure):
    """Sweep the field +field_max → −field_max → +field_max (``loops`` times) at ``sweep_rate``, reading
    R = V/I at ``bias`` at each of ``points`` fields per branch, and the probe's field at the same moment; with
    ``sweep_rates`` > 1 the loops are repeated at rates two decades apart, down from ``sweep_rate``.

    Δ and μ0Hk come from a maximum-likelihood fit of every switch (Néel–Brown, barrier Δ(1 ∓ H/Hk)², ``tau0``
    fixed, ``attempt_law`` as in :func:`mtjhw.analysis.thermal.escape_rate`): at one rate from the mean and width
    of the switching-field distribution, at several also from the rate dependence of the coercive field
    (Sharrock). They are reported when constrained to 5 %; ``thermal_fit``
    says why they are not otherwise. The switching fields, h_c and h_offset are those of the fastest rate.

    The read current exerts spin torque too: it shifts the loop by roughly Hk·(I/Ic0)·(1 − Hc/Hk)/2, so measure
    the stray-field offset (and Δ, Hk) at a bias where I ≪ Ic0 (1 mV for a 5 kΩ, 60 µA device).

    On a bench with a ``resistance`` meter and no source-meter (or with ``meter`` "resistance") R is read by delta
    mode at ±``delta_current`` instead, free of thermoelectric offsets; the voltage column holds R·I then.
    """

    name = "rh-loop"
    summary_keys = {"r_p": "Ω", "r_p_err": "Ω", "r_ap": "Ω", "r_ap_err": "Ω", "tmr": "ratio", "tmr_err": "ratio",
                    "h_sw_p_to_ap": "T", "h_sw_p_to_ap_err": "T", "h_sw_ap_to_p": "T", "h_sw_ap_to_p_err": "T",
                    "h_c": "T", "h_c_err": "T", "h_offset": "T", "h_offset_err": "T", "h_sw_p_to_ap_std": "T",
                    "h_sw_ap_to_p_std": "T", "switch_events": "count", "sweep_rate_actual": "T/s",
                    "delta": "kBT", "delta_err": "kBT", "hk": "T", "hk_err": "T", "tau0": "s (fixed)",
                    "attempt_law": "as set", "thermal_fit": "text"}

    field_max = FloatParameter("Maximum field", units="T", default=0.1, minimum=1e-4, maximum=5.0)
    points = IntegerParameter("Points per branch", default=201, minimum=5, maximum=100000)
    sweep_rate = FloatParameter("Sweep rate", units="T/s", default=0.05, minimum=1e-6, maximum=100.0)
    sweep_rates = IntegerParameter("Sweep rates (two decades apart)", default=1, minimum=1, maximum=4)
    bias = FloatParameter("Read bias", units="V", default=0.01, minimum=-2.0, maximum=2.0)
    loops = IntegerParameter("Loops (per sweep rate)", default=1, minimum=1, maximum=10000)
    nplc = FloatParameter("Integration time", units="PLC", default=1.0, minimum=0.01, maximum=10.0)
    compliance = FloatParameter("Compliance current", units="A", default=1e-4, minimum=1e-9, maximum=1.0)
    tau0 = FloatParameter("Attempt time (fixed)", units="s", default=1e-9, minimum=1e-13, maximum=1e-6)
    attempt_law = ListParameter("Attempt-time law", choices=list(ATTEMPT_LAWS), default="brown")
    meter = ListParameter("Resistance read by", choices=["auto", "smu", "resistance"], default="auto")
    delta_current = FloatParameter("Delta-mode current", units="A", default=1e-6, minimum=1e-9, maximum=0.1)

    DATA_COLUMNS = ["Time (s)", "Sweep rate (T/s)", "Loop", "Branch", "Field set (T)", "Field (T)", "Voltage (V)",
                    "Current (A)", "Resistance (ohm)"]
    PLOT_AXES = ("Field (T)", "Resistance (ohm)")

    def configure(self) -> None:
        if sweep_rates(self.sweep_rate, self.sweep_rates)[-1] < 1e-6:
            raise ValueError(f"{self.sweep_rates} sweep rates two decades apart from {self.sweep_rate:g} T/s go "
                             "below 1e-6 T/s: use fewer sweep_rates or a faster sweep_rate")
        bench = self.bench
        if self._delta_mode():
            bench.resistance.configure(self.delta_current, "delta", self.nplc)
        else:
            bench.smu.source_voltage_mode(self.compliance, self.nplc)
            bench.smu.set_level(self.bias)
            bench.smu.output_on()
        bench.field.set_field(self.field_max)  # saturate in P before the first branch

    def _delta_mode(self) -> bool:
        """Whether R is read by the ``resistance`` role (delta mode at ``delta_current``): when ``meter`` says so,
        or with ``auto`` on a bench that has it and no source-meter."""
        if self.meter == "auto":
            return self.bench.has_resistance and "smu" not in self.bench.drivers
        return self.meter == "resistance"

    def _read(self) -> Callable[[], tuple[float, float]]:
        """(V, I) per point: the source-meter's reading, or in delta mode the offset-free voltage R·I at the delta
        current."""
        if not self._delta_mode():
            return self.bench.smu.measure
        meter, current = self.bench.resistance, self.delta_current
        return lambda: (meter.measure_resistance() * current, current)

    def execute(self) -> None:
        bench = self.bench
        read = self._read()
        down = np.linspace(self.field_max, -self.field_max, self.points)
        rates = sweep_rates(self.sweep_rate, self.sweep_rates)
        total, done = 2 * rates.size * self.loops * self.points, 0
        t0 = bench.now()
        for n, rate in enumerate(rates):
            if n == 1:
                self._check_rate(t0)
            for loop in range(self.loops):
                for branch, fields in ((-1, down), (1, down[::-1])):
                    for h, b, v, i in field_sweep(bench, fields, rate, read):
                        if self.should_stop():
                            log.warning("R-H loop aborted after %d of %d points", done, total)
                            return
                        self.record(time=bench.now() - t0, sweep_rate=rate, loop=loop, branch=branch, field_set=h,
                                    field=b, voltage=v, current=i, resistance=v / i if i else float("nan"))
                        done += 1
                        self.progress(done, total)
        if rates.size == 1:
            self._check_rate(t0)

    def _check_rate(self, t0: float) -> None:
        """Warn when the loops at the fastest rate, which began at ``t0``, ran slower than asked."""
        actual = 2 * self.loops * 2 * self.field_max / (self.bench.now() - t0)
        if actual < 0.9 * self.sweep_rate:
            log.warning("the sweep ran at %.3g T/s, slower than the requested %g T/s: the measurement takes "
                        "longer than a field step; lower nplc or points", actual, self.sweep_rate)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        fastest = data["sweep_rate"] == data["sweep_rate"].max()
        summary = analyse_rh_loop(data["field"][fastest], data["resistance"][fastest])
        span = np.abs(np.diff(data["field"][fastest])).sum()
        duration = np.ptp(data["time"][fastest])
        summary["sweep_rate_actual"] = float(span / duration) if duration > 0 else float("nan")
        return summary | cls._thermal(data, float(parameters["tau0"]), parameters["attempt_law"])

    @classmethod
    def _thermal(cls, data: dict[str, np.ndarray], tau0: float, law: str) -> dict[str, Any]:
        """Δ and Hk from every switch of every sweep, or NaN with the reason in ``thermal_fit``."""
        none = {"delta": float("nan"), "delta_err": float("nan"), "hk": float("nan"), "hk_err": float("nan"),
                "tau0": tau0, "attempt_law": law}
        is_ap, _, _ = two_states(data["resistance"])
        change = np.any(np.diff(np.column_stack([data["sweep_rate"], data["loop"], data["branch"]]), axis=0) != 0,
                        axis=1)
        segment = np.concatenate([[0], np.cumsum(change)])  # one label per branch of each loop at each rate
        try:
            fit = fit_field_sweeps(data["time"], data["field"], is_ap, segment, tau0, law)
        except AnalysisError as exc:
            return none | {"thermal_fit": str(exc)}
        if not (fit.delta_err <= MAX_RELATIVE_ERROR * fit.delta and fit.hk_err <= MAX_RELATIVE_ERROR * fit.hk):
            reason = (f"Δ ({fit.delta:.3g} ± {fit.delta_err:.2g}) and Hk ({fit.hk:.3g} ± {fit.hk_err:.2g} T) are "
                      f"not constrained to {MAX_RELATIVE_ERROR:.0%}: run more loops, or several sweep_rates")
            log.warning("rh-loop: %s", reason)
            return none | {"thermal_fit": reason}
        return {"delta": fit.delta, "delta_err": fit.delta_err, "hk": fit.hk, "hk_err": fit.hk_err, "tau0": tau0,
                "attempt_law": law, "thermal_fit": "ok"}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, Any], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        fastest = data["sweep_rate"] == data["sweep_rate"].max()
        # up sweep as open circles, down sweep as dots drawn over them: where both branches sit on one level, the
        # dots show inside the circles
        for branch, label, colour, style in ((-1, "down sweep", "tab:blue", dict(marker=".", ms=4, lw=0.6, zorder=3)),
                                             (1, "up sweep", "tab:red", dict(marker="o", ms=6, mfc="none", lw=0.6,
                                                                             zorder=2))):
            for loop in np.unique(data["loop"]):
                sel = fastest & (data["branch"] == branch) & (data["loop"] == loop)
                ax.plot(data["field"][sel] * 1e3, data["resistance"][sel], color=colour, alpha=0.7,
                        label=label if loop == 0 else None, **style)
        if summary:
            cls._plot_model(ax, data, summary)
        ax.set_xlabel("μ0H (mT)")
        ax.set_ylabel("R (Ω)")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=120)

    @staticmethod
    def _plot_model(ax: Any, data: dict[str, np.ndarray], s: dict[str, Any]) -> None:
        """The two levels, the measured switching fields (±1σ bands) and, with Δ and Hk, the mean switching
        fields the Néel–Brown fit predicts at the fastest rate."""
        for level, label in ((s["r_p"], f"R_P {measured(s['r_p'], s['r_p_err'], 1, 'Ω')}"),
                             (s["r_ap"], f"R_AP {measured(s['r_ap'], s['r_ap_err'], 1, 'Ω')}")):
            ax.axhline(level, color="grey", lw=0.8, ls=":", label=label)
        for key, colour in (("h_sw_p_to_ap", "tab:blue"), ("h_sw_ap_to_p", "tab:red")):
            h, e = s[key] * 1e3, s[f"{key}_err"] * 1e3
            ax.axvspan(h - e, h + e, color=colour, alpha=0.15)
        ax.plot([], [], " ", label=f"TMR {measured(s['tmr'], s['tmr_err'], 100, '%')}")
        ax.plot([], [], " ", label=f"μ0Hc {measured(s['h_c'], s['h_c_err'], 1e3, 'mT')}")
        ax.plot([], [], " ", label=f"offset {measured(s['h_offset'], s['h_offset_err'], 1e3, 'mT')}")
        if np.isfinite(s["delta"]):
            rate = float(data["sweep_rate"].max())
            shift = mean_switching_field(s["delta"], s["hk"], s["tau0"], rate, law=s["attempt_law"])
            for sign in (-1, 1):
                ax.axvline((s["h_offset"] + sign * shift) * 1e3, color="k", lw=0.8, ls="--")
            ax.plot([], [], "k--", lw=0.8, label=f"Néel–Brown: Δ {measured(s['delta'], s['delta_err'])}, "
                                                 f"μ0Hk {measured(s['hk'], s['hk_err'], 1e3, 'mT')}")
