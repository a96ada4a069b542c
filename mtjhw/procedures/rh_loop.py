"""R-H loop: resistance at a small bias while the field sweeps ±field_max, for TMR, Hc and the loop shift."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis.loops import analyse_rh_loop

from .base import BenchProcedure

log = logging.getLogger(__name__)


class RHLoop(BenchProcedure):
    """Sweep the field +field_max → −field_max → +field_max (``loops`` times) at ``sweep_rate``, reading
    R = V/I at ``bias`` at each of ``points`` fields per branch, and the probe's field at the same moment.

    The read current exerts spin torque too: it shifts the loop by roughly Hk·(I/Ic0)·(1 − Hc/Hk)/2, so measure
    the stray-field offset at a bias where I ≪ Ic0 (1 mV for a 5 kΩ, 60 µA device).
    """

    name = "rh-loop"
    summary_keys = {"r_p": "Ω", "r_ap": "Ω", "tmr": "ratio", "h_sw_p_to_ap": "T", "h_sw_ap_to_p": "T",
                    "h_c": "T", "h_offset": "T", "h_sw_p_to_ap_std": "T", "h_sw_ap_to_p_std": "T",
                    "switch_events": "count", "sweep_rate_actual": "T/s"}

    field_max = FloatParameter("Maximum field", units="T", default=0.1, minimum=1e-4, maximum=5.0)
    points = IntegerParameter("Points per branch", default=201, minimum=5, maximum=100000)
    sweep_rate = FloatParameter("Sweep rate", units="T/s", default=0.05, minimum=1e-6, maximum=100.0)
    bias = FloatParameter("Read bias", units="V", default=0.01, minimum=-2.0, maximum=2.0)
    loops = IntegerParameter("Loops", default=1, minimum=1, maximum=10000)
    nplc = FloatParameter("Integration time", units="PLC", default=1.0, minimum=0.01, maximum=10.0)
    compliance = FloatParameter("Compliance current", units="A", default=1e-4, minimum=1e-9, maximum=1.0)

    DATA_COLUMNS = ["Time (s)", "Loop", "Branch", "Field set (T)", "Field (T)", "Voltage (V)", "Current (A)",
                    "Resistance (ohm)"]

    def configure(self) -> None:
        bench = self.bench
        bench.smu.source_voltage_mode(self.compliance, self.nplc)
        bench.smu.set_level(self.bias)
        bench.smu.output_on()
        bench.field.set_field(self.field_max)  # saturate in P before the first branch

    def execute(self) -> None:
        bench = self.bench
        down = np.linspace(self.field_max, -self.field_max, self.points)
        dt = abs(down[1] - down[0]) / self.sweep_rate
        total, done = 2 * self.loops * self.points, 0
        t0 = bench.now()
        for loop in range(self.loops):
            for branch, fields in ((-1, down), (1, down[::-1])):
                t_next = bench.now()
                for h in fields:
                    if self.should_stop():
                        log.warning("R-H loop aborted after %d of %d points", done, total)
                        return
                    bench.field.step_field(h)
                    t_next += dt
                    bench.sleep(t_next - bench.now())
                    b = bench.field.measure_field()
                    v, i = bench.smu.measure()
                    self.record(time=bench.now() - t0, loop=loop, branch=branch, field_set=h, field=b,
                                voltage=v, current=i, resistance=v / i if i else float("nan"))
                    done += 1
                    self.progress(done, total)
        actual = 2 * self.loops * 2 * self.field_max / (bench.now() - t0)
        if actual < 0.9 * self.sweep_rate:
            log.warning("the sweep ran at %.3g T/s, slower than the requested %g T/s: the measurement takes "
                        "longer than a field step; lower nplc or points", actual, self.sweep_rate)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        summary = analyse_rh_loop(data["field"], data["resistance"])
        span = np.abs(np.diff(data["field"])).sum()
        duration = data["time"][-1] - data["time"][0]
        summary["sweep_rate_actual"] = float(span / duration) if duration > 0 else float("nan")
        return summary

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        for branch, label, colour in ((-1, "down sweep", "tab:blue"), (1, "up sweep", "tab:red")):
            for loop in np.unique(data["loop"]):
                sel = (data["branch"] == branch) & (data["loop"] == loop)
                ax.plot(data["field"][sel] * 1e3, data["resistance"][sel], ".-", ms=3, lw=0.6, color=colour,
                        label=label if loop == 0 else None)
        if summary:
            for key in ("h_sw_p_to_ap", "h_sw_ap_to_p"):
                ax.axvline(summary[key] * 1e3, color="grey", ls="--", lw=0.8)
            ax.set_title(f"TMR {summary['tmr'] * 100:.1f} %, μ0Hc {summary['h_c'] * 1e3:.2f} mT, "
                         f"offset {summary['h_offset'] * 1e3:.2f} mT")
        ax.set_xlabel("μ0H (mT)")
        ax.set_ylabel("R (Ω)")
        ax.legend()
        fig.savefig(path, dpi=120)
