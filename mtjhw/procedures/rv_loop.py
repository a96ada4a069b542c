"""R-V loop: current-induced switching under a voltage sweep (DC) or write pulses read at low bias (pulsed)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis.loops import analyse_rv_loop, tmr_bias_model

from .base import BenchProcedure, measured

log = logging.getLogger(__name__)

#: Shortest write pulse a source-meter list sweep makes reliably (s); shorter needs a pulse generator.
MIN_SMU_PULSE = 1e-3


def loop_levels(v_max: float, points: int) -> list[np.ndarray]:
    """The four segments 0 → +v_max → 0 → −v_max → 0, ``points`` levels each, zero itself left out
    (R = V/I is undefined there)."""
    up = np.linspace(v_max / points, v_max, points)
    return [up, up[::-1], -up, -up[::-1]]


class RVLoop(BenchProcedure):
    """Sweep the DUT voltage 0 → +v_max → 0 → −v_max → 0 (``loops`` times) at a fixed ``field``.

    DC (``pulse_width`` = 0): each level is sourced and read, a buffered list sweep per segment.
    Pulsed: each write level is held ``pulse_width`` s, then the state is read at ``read_voltage``.

    Switches are found by comparing each reading with the branch it sits on (a jump that stands out from the
    branch's own change with bias, :func:`mtjhw.analysis.loops.branch_switches`), so a TMR that falls with bias
    does not merge the branches; R_P(V) and TMR(V) are then fitted on the branches.
    """

    name = "rv-loop"
    summary_keys = {"v_sw_p_to_ap": "V", "v_sw_p_to_ap_err": "V", "v_sw_ap_to_p": "V", "v_sw_ap_to_p_err": "V",
                    "i_sw_p_to_ap": "A", "i_sw_p_to_ap_err": "A", "i_sw_ap_to_p": "A", "i_sw_ap_to_p_err": "A",
                    "tmr_v_half": "V", "tmr_v_half_err": "V", "r_p": "Ω", "r_p_err": "Ω", "r_ap": "Ω",
                    "r_ap_err": "Ω", "tmr": "ratio", "tmr_err": "ratio", "switch_events": "count"}

    v_max = FloatParameter("Maximum voltage", units="V", default=0.6, minimum=1e-3, maximum=5.0)
    points = IntegerParameter("Points per segment", default=61, minimum=3, maximum=20000)
    field = FloatParameter("Field", units="T", default=0.0, minimum=-5.0, maximum=5.0)
    pulse_width = FloatParameter("Pulse width (0 = DC)", units="s", default=0.0, minimum=0.0, maximum=10.0)
    read_voltage = FloatParameter("Read voltage (pulsed)", units="V", default=0.02, minimum=-1.0, maximum=1.0)
    loops = IntegerParameter("Loops", default=2, minimum=1, maximum=10000)
    nplc = FloatParameter("Integration time", units="PLC", default=0.1, minimum=0.01, maximum=10.0)
    compliance = FloatParameter("Compliance current", units="A", default=1e-3, minimum=1e-9, maximum=1.0)

    DATA_COLUMNS = ["Time (s)", "Loop", "Write voltage (V)", "Voltage (V)", "Current (A)", "Resistance (ohm)"]
    PLOT_AXES = ("Write voltage (V)", "Resistance (ohm)")

    def configure(self) -> None:
        if 0 < self.pulse_width < MIN_SMU_PULSE:
            raise ValueError(f"pulse_width {self.pulse_width:g} s is below {MIN_SMU_PULSE:g} s, the shortest "
                             "pulse a source-meter sweep makes: use pulse_width = 0 (DC) or a longer pulse")
        bench = self.bench
        if bench.has_field:
            bench.field.set_field(self.field)
        elif self.field != 0:
            raise ValueError("field must be 0 on a bench without field control (no magnet/gaussmeter)")
        smu = bench.smu
        smu.source_voltage_mode(self.compliance, self.nplc)
        smu.set_level(0.0)
        smu.output_on()

    def execute(self) -> None:
        bench = self.bench
        segments = loop_levels(self.v_max, self.points)
        total = self.loops * len(segments)
        t0 = bench.now()
        for loop in range(self.loops):
            for k, levels in enumerate(segments):
                if self.should_stop():
                    log.warning("R-V loop aborted after %d of %d segments", loop * len(segments) + k, total)
                    return
                if self.pulse_width > 0:
                    sequence = np.column_stack([levels, np.full_like(levels, self.read_voltage)]).ravel()
                    v, i = bench.smu.sweep(sequence, delay=self.pulse_width)
                    writes, v, i = levels, v[1::2], i[1::2]
                else:
                    v, i = bench.smu.sweep(levels)
                    writes = v
                now = bench.now() - t0
                for vw, vr, ir in zip(writes, v, i, strict=True):
                    self.record(time=now, loop=loop, write_voltage=vw, voltage=vr, current=ir,
                                resistance=vr / ir if ir else float("nan"))
                self.progress(loop * len(segments) + k + 1, total)

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, float]:
        pulsed = float(parameters.get("pulse_width", 0.0)) > 0
        return analyse_rv_loop(data["voltage"], data["resistance"], data["current"],
                               v_write=data["write_voltage"] if pulsed else None)

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, float], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure()
        x, r = data["write_voltage"], data["resistance"]
        rising = np.gradient(np.abs(x)) >= 0
        # away from zero as dots on a line, back towards zero as open circles: where the branches of both
        # directions coincide, both show
        ax.plot(x, r, "-", lw=0.4, color="grey", alpha=0.6)
        ax.plot(x[~rising], r[~rising], "o", ms=5, mfc="none", color="tab:red", alpha=0.7, label="|V| falling")
        ax.plot(x[rising], r[rising], ".", ms=4, color="tab:blue", alpha=0.8, label="|V| rising")
        if summary:
            cls._plot_model(ax, data, summary)
        ax.set_xlabel("V write (V)" if not summary or not np.isfinite(summary["tmr_v_half"]) else "V (V)")
        ax.set_ylabel("R (Ω)")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=120)

    @staticmethod
    def _plot_model(ax: Any, data: dict[str, np.ndarray], s: dict[str, float]) -> None:
        """The fitted branches, R_P and R_P(1 + TMR(V)) (levels for a pulsed loop), the switching voltages
        (±1σ bands) and the extracted values."""
        v = np.linspace(data["write_voltage"].min(), data["write_voltage"].max(), 400)
        pulsed = not np.isfinite(s["tmr_v_half"])
        tmr = s["tmr"] if pulsed else tmr_bias_model(v, s["tmr"], s["tmr_v_half"])
        ax.plot(v, np.full_like(v, s["r_p"]), "k:", lw=1, label=f"R_P {measured(s['r_p'], s['r_p_err'], 1, 'Ω')}")
        label = f"R_AP: TMR {measured(s['tmr'], s['tmr_err'], 100, '%')}"
        if not pulsed:
            label += f", V_half {measured(s['tmr_v_half'], s['tmr_v_half_err'], 1, 'V')}"
        ax.plot(v, s["r_p"] * (1 + np.broadcast_to(tmr, v.shape)), "k--", lw=1, label=label)
        for key, name in (("p_to_ap", "P→AP"), ("ap_to_p", "AP→P")):
            value, err = s[f"v_sw_{key}"], s[f"v_sw_{key}_err"]
            ax.axvspan(value - err, value + err, color="grey", alpha=0.25)
            ax.plot([], [], " ", label=f"{name}: {measured(value, err, 1, 'V')}, "
                                       f"{measured(s[f'i_sw_{key}'], s[f'i_sw_{key}_err'], 1e6, 'µA')}")
