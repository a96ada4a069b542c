"""Pulsed switching probability: P_sw(AP→P) vs pulse amplitude (and width), reset between trials, read after each.

Each trial of a burst is a reset pulse (pulse generator channel 2, negative: drives the device to AP), a write
pulse (channel 1, the amplitude under test) and a reading at ``read_voltage`` by the source-meter, triggered by
the generator; a burst of trials costs one transfer. Every burst is paired with a *reset check*: the same pulses,
read between the reset and the write, so that the resets are verified under the conditions of the trials they
precede (the source-meter's trigger model takes one reading per period, so the check is a burst of its own).
Where resets failed, the trials are discounted: a trial after a failed reset reads as switched whatever the write
did. Where few write errors are seen, more trials are taken, down to write-error rates of ``wer_target``.

The free layer should see no net field: by default a short R-H loop at 1 mV measures the loop shift first and the
magnet cancels it during the pulses (``field`` sets the field instead; a bench without a magnet applies none), so
that Δ is not reported as Δ(1 + H_offset/Hk)². The pulses are voltage pulses: the current follows the
conductance of the magnetisation as it turns, so the procedure reads the resistance of both states at every pulse
voltage V (P at +V, where positive bias holds P; AP at −V, where negative bias holds AP; the bias dependence of
TMR is taken even in V), and the fit (:func:`mtjhw.analysis.switching.fit_voltage_switching`) is the macrospin's
switching under I = V·G(m_z) in every regime, with τ0 (``tau0``, the zero-drive attempt time) fixed: thermal
(Δ, Ic0) or precessional (Ic0, τ* = τ_D·ln(π/2θ0); Δ only where constrained). The fit takes the free layer to
see no net field, as ``field: auto`` makes it. τ0 must be known to about ±40 % for Δ within 10 % (×2 moves Δ by
+11 %, Ic0 by −8 % at 1 µs). The recorded current is V over R_AP(V) as read.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter, Parameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.loops import analyse_rh_loop
from mtjhw.analysis.switching import (
    PulseConductance,
    VoltageSwitchingFit,
    delta_for_precession_time,
    fit_voltage_switching,
    voltage_switching_probability,
    wer_upper_bound,
)

from .base import BenchProcedure, measured
from .rh_loop import field_sweep

log = logging.getLogger(__name__)

_GAP = 10e-6  # s between reset, write and read
_MIN_ERRORS = 10  # write errors to observe before a WER counts as measured
_OFFSET_POINTS = 81  # fields per branch of the loop that measures the loop shift
_OFFSET_RATE = 0.05  # T/s
_PULSE_R_NPLC = 1.0  # integration (PLC) of the resistance readings at the pulse voltages
_OFFSET_LOOPS = 3  # averaged: one loop's centre scatters by the thermal width of the switching fields


class SwitchingProbability(BenchProcedure):
    """AP→P switching probability vs write-pulse amplitude at ``widths`` pulse widths from ``width`` to
    ``width_max`` (log-spaced; one width by default)."""

    name = "switching-probability"
    summary_keys = {"regime": "thermal | precessional", "delta": "kBT", "delta_err": "kBT", "ic0": "A",
                    "ic0_err": "A", "tau0": "s (fixed)",
                    "tau_star": "s", "tau_star_err": "s", "tau_d": "s",
                    "tau_d_err": "s", "i50": "A", "i50_err": "A", "v50": "V", "r_p": "Ω", "r_ap": "Ω",
                    "wer_min": "ratio", "wer_min_upper": "ratio", "field": "T", "reset_failures": "count",
                    "reset_checks": "count"}

    width = FloatParameter("Write pulse width", units="s", default=1e-6, minimum=2.5e-9, maximum=1.0)
    widths = IntegerParameter("Pulse widths", default=1, minimum=1, maximum=20)
    width_max = FloatParameter("Longest write pulse (widths > 1)", units="s", default=1e-6, minimum=2.5e-9,
                               maximum=1.0)
    amplitudes = IntegerParameter("Amplitudes", default=16, minimum=3, maximum=500)
    v_min = FloatParameter("Lowest amplitude", units="V", default=0.25, minimum=0.0, maximum=5.0)
    v_max = FloatParameter("Highest amplitude", units="V", default=0.5, minimum=0.0, maximum=5.0)
    trials = IntegerParameter("Trials per amplitude", default=1000, minimum=10, maximum=100000)
    wer_target = FloatParameter("Lowest write-error rate to resolve", default=1e-4, minimum=1e-7, maximum=0.1)
    reset_amplitude = FloatParameter("Reset pulse amplitude", units="V", default=-0.6, minimum=-5.0, maximum=0.0)
    reset_width = FloatParameter("Reset pulse width", units="s", default=10e-6, minimum=2.5e-9, maximum=1.0)
    read_voltage = FloatParameter("Read voltage", units="V", default=0.02, minimum=0.001, maximum=0.5)
    nplc = FloatParameter("Read integration", units="PLC", default=0.01, minimum=0.01, maximum=10.0)
    field = Parameter("Field during the pulses (T, or auto = cancel the loop shift)", default="auto")
    offset_field_max = FloatParameter("Field range of the loop-shift loop", units="T", default=0.1, minimum=1e-3,
                                      maximum=5.0)
    tau0 = FloatParameter("Attempt time (fixed)", units="s", default=1e-9, minimum=1e-13, maximum=1e-6)

    DATA_COLUMNS = ["Amplitude (V)", "Current (A)", "Width (s)", "Trials", "Switched", "Probability",
                    "Reset checks", "Reset failures", "Field (T)", "Resistance low (ohm)", "Resistance high (ohm)",
                    "Pulse resistance low (ohm)", "Pulse resistance high (ohm)"]
    PLOT_AXES = ("Amplitude (V)", "Probability")

    def configure(self) -> None:
        if self.v_max <= self.v_min:
            raise ValueError("v_max must be above v_min")
        if self.widths > 1 and not self.width_max > self.width:
            raise ValueError(f"widths = {self.widths} needs width_max above width ({self.width:g} s)")
        smu = self.bench.smu
        smu.source_voltage_mode(1e-3, self.nplc)
        smu.output_on()
        self.field_applied = self._apply_field()
        smu.set_level(self.read_voltage)
        self._read_time = self.nplc / 50.0 * 1.2
        self.r_ap, self.r_p = self._calibrate()
        self.pulse_r = self._pulse_resistances(np.linspace(self.v_min, self.v_max, self.amplitudes) + self.read_voltage)

    @property
    def pulse_widths(self) -> np.ndarray:
        return np.geomspace(self.width, self.width_max, self.widths) if self.widths > 1 else np.array([self.width])

    # ----------------------------------------------------------------- field
    def _apply_field(self) -> float:
        """Set the field of the pulses (T, as measured): ``field``, or the loop shift when "auto"; none (0) on a
        bench without a magnet."""
        text = str(self.field).strip().lower()
        try:
            target = None if text == "auto" else float(text)
        except ValueError:
            raise ValueError(f"field must be a number (T) or 'auto', got {self.field!r}") from None
        if not self.bench.has_field:
            if target:
                raise ValueError("field must be 0 or auto on a bench without field control (no magnet/gaussmeter)")
            return 0.0
        return self.bench.field.set_field(self._loop_shift() if target is None else target)

    def _loop_shift(self) -> float:
        """The R-H loop's centre (T), from a few loops over ±``offset_field_max`` read at 1 mV (where the read
        current's torque on the free layer is negligible)."""
        bench = self.bench
        bench.smu.source_voltage_mode(1e-3, 1.0)
        bench.smu.set_level(1e-3)
        down = np.linspace(self.offset_field_max, -self.offset_field_max, _OFFSET_POINTS)
        bench.field.set_field(self.offset_field_max)
        loops = np.tile(np.concatenate([down, down[::-1]]), _OFFSET_LOOPS)
        readings = [(b, v / i) for _h, b, v, i in field_sweep(bench, loops, _OFFSET_RATE)]
        bench.smu.source_voltage_mode(1e-3, self.nplc)
        try:
            shift = analyse_rh_loop(*np.array(readings).T)["h_offset"]
        except AnalysisError as exc:
            raise ValueError(f"the loop shift could not be measured ({exc}): raise offset_field_max, or set the "
                             "field explicitly") from None
        log.info("loop shift %.4g T: applied during the pulses", shift)
        return shift

    # ----------------------------------------------------------------- bursts
    def _burst(self, amplitude: float, width: float, count: int, check_reset: bool = False) -> np.ndarray:
        """Resistance read after the write pulse of each of ``count`` trials (after the reset instead, before
        the write, with ``check_reset``), in runs no longer than the source-meter's reading buffer."""
        size = self.bench.smu.max_readings
        return np.concatenate([self._run(amplitude, width, min(size, count - start), check_reset)
                               for start in range(0, count, size)])

    def _run(self, amplitude: float, width: float, count: int, check_reset: bool) -> np.ndarray:
        """One generator-triggered run of ``count`` trials (see :meth:`_burst`)."""
        pulser, smu = self.bench.pulser, self.bench.smu
        period = self.reset_width + width + self._read_time + 4 * _GAP
        read_at = self.reset_width + _GAP if check_reset else self.reset_width + 3 * _GAP + width
        write_at = read_at + self._read_time + _GAP if check_reset else self.reset_width + 2 * _GAP
        pulser.setup_pulse(2, self.reset_amplitude, self.reset_width, period, count, 0.0)
        pulser.setup_pulse(1, amplitude, width, period, count, write_at)
        smu.arm_triggered_readings(count, read_at)
        pulser.fire()
        v, i = smu.fetch_readings(count)
        return v / np.where(i == 0, np.nan, i)

    def _calibrate(self) -> tuple[float, float]:
        """R after a reset alone (AP) and after the largest, longest write (P, when it switches); the reset is
        checked to bring a P device back to AP."""
        longest = float(self.pulse_widths.max())
        r_ap = float(np.median(self._burst(1e-3, longest, 16)))  # a negligible write: the reset state
        r_p = float(np.min(self._burst(self.v_max, longest, 16)))
        if r_p > 0.9 * r_ap:
            raise ValueError(f"no switching at v_max = {self.v_max:g} V (R stays {r_ap:.4g} Ω after a reset and "
                             "after a write): raise v_max within the safety limit, or lengthen the pulse (or, if R "
                             "is the P level, strengthen the reset)")
        after_reset = self._burst(self.v_max, longest, 16, check_reset=True)[1:]  # each after a write to P
        if np.mean(after_reset < math.sqrt(r_ap * r_p)) > 0.5:
            raise ValueError(f"the reset ({self.reset_amplitude:g} V, {self.reset_width:g} s) leaves the device in P "
                             "after most writes: make reset_amplitude more negative or reset_width longer")
        return r_ap, r_p

    def _pulse_resistances(self, voltages: np.ndarray) -> dict[float, tuple[float, float]]:
        """(R_P, R_AP) in Ω at each pulse voltage (V): P read at +V after +v_max has set it (positive bias holds
        P), AP at −V after −v_max (negative bias holds AP), at 1 PLC; each state is checked at the read voltage
        after."""
        smu, top = self.bench.smu, float(np.max(voltages))
        smu.source_voltage_mode(min(0.1, 3 * top / self.r_p), _PULSE_R_NPLC)  # their noise would enter the fit
        levels = {}
        for sign in (1.0, -1.0):
            smu.set_level(sign * top)
            smu.measure()  # switches the device to the state this polarity holds
            levels[sign] = [abs(v / i) for v, i in (self._read_at(sign * x) for x in voltages)]
            smu.set_level(self.read_voltage)
            v, i = smu.measure()
            if (v / i < math.sqrt(self.r_p * self.r_ap)) != (sign > 0):
                raise ValueError(f"a DC bias of {sign * top:+.3g} V did not hold the device in "
                                 f"{'P' if sign > 0 else 'AP'}: its resistances at the pulse voltages cannot be read")
        smu.source_voltage_mode(1e-3, self.nplc)
        smu.set_level(self.read_voltage)
        return {float(x): (rp, rap) for x, rp, rap in zip(voltages, levels[1.0], levels[-1.0], strict=True)}

    def _read_at(self, voltage: float) -> tuple[float, float]:
        self.bench.smu.set_level(voltage)
        return self.bench.smu.measure()

    def execute(self) -> None:
        units = [(float(w), float(a)) for w in self.pulse_widths
                 for a in np.linspace(self.v_min, self.v_max, self.amplitudes)]
        for n, (width, amplitude) in enumerate(units):
            if self.should_stop():
                return
            if self.unit_recorded(n, 1):  # every trial starts with a reset
                continue
            trials, switched, failures = self._trials(amplitude, width)
            r_low, r_high = self.pulse_r[amplitude + self.read_voltage]
            self.record(amplitude=amplitude, current=(amplitude + self.read_voltage) / r_high, width=width,
                        trials=trials, switched=switched, probability=switched / trials, reset_checks=trials,
                        reset_failures=failures, field=self.field_applied, resistance_low=self.r_p,
                        resistance_high=self.r_ap, pulse_resistance_low=r_low, pulse_resistance_high=r_high)
            self.progress(n + 1, len(units))

    def _trials(self, amplitude: float, width: float) -> tuple[int, int, int]:
        """(trials, switched, reset failures in as many checks) at one amplitude and width, in blocks growing
        tenfold while the write errors are too few to measure the WER."""
        threshold = math.sqrt(self.r_ap * self.r_p)
        switched = trials = failures = 0
        block = self.trials
        while True:
            failures += int(np.sum(self._burst(amplitude, width, block, check_reset=True) < threshold))
            switched += int(np.sum(self._burst(amplitude, width, block) < threshold))
            trials += block
            need_more = switched > trials / 2 and trials - switched < _MIN_ERRORS and trials < 3 / self.wer_target
            if not need_more or self.should_stop():
                return trials, switched, failures
            block = int(min(10 * block, 3 / self.wer_target - trials, 100_000))

    # ----------------------------------------------------------------- analysis
    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, Any]:
        stuck = data["reset_failures"] / data["reset_checks"]
        if np.any(stuck > 0):
            log.warning("the reset failed in %d of %d checks (up to %.3g at one amplitude): those trials are "
                        "discounted from P_sw; make reset_amplitude more negative or reset_width longer",
                        data["reset_failures"].sum(), data["reset_checks"].sum(), stuck.max())
        fit = fit_voltage_switching(cls._voltage(data, parameters), data["width"], data["switched"], data["trials"],
                                    cls._conductance(data, parameters), tau0=float(parameters["tau0"]),
                                    reset_failure=np.minimum(stuck, 0.999))
        width = float(np.min(data["width"]))
        i50, i50_err = fit.i50(width)
        r_p, r_ap = float(data["resistance_low"][0]), float(data["resistance_high"][0])
        return (cls._fit_summary(fit) | {"i50": i50, "i50_err": i50_err,
                                        "v50": fit.v50(width) - float(parameters["read_voltage"]),
                                        "r_p": r_p, "r_ap": r_ap, "field": float(data["field"][0]),
                                        "reset_failures": int(data["reset_failures"].sum()),
                                        "reset_checks": int(data["reset_checks"].sum())}
                | cls._wer(data, stuck))

    @staticmethod
    def _voltage(data: dict[str, np.ndarray], parameters: dict[str, Any]) -> np.ndarray:
        """Voltage (V) across the junction during each write: the pulse on top of the read bias."""
        return data["amplitude"] + float(parameters["read_voltage"])

    @staticmethod
    def _conductance(data: dict[str, np.ndarray], parameters: dict[str, Any]) -> PulseConductance:
        return PulseConductance(1 / data["pulse_resistance_low"], 1 / data["pulse_resistance_high"],
                                float(parameters["read_voltage"]), 1 / float(data["resistance_low"][0]),
                                1 / float(data["resistance_high"][0]))

    @staticmethod
    def _fit_summary(fit: VoltageSwitchingFit) -> dict[str, Any]:
        """Every model parameter with its error (NaN where the regime does not constrain it)."""
        out: dict[str, Any] = {"regime": fit.regime, "tau0": fit.values["tau0"]}
        for key in ("delta", "ic0", "tau_star", "tau_d"):
            out[key] = fit.values.get(key, float("nan"))
            out[f"{key}_err"] = fit.errors.get(key, float("nan"))
        return out

    @staticmethod
    def _wer(data: dict[str, np.ndarray], stuck: np.ndarray) -> dict[str, float]:
        """Lowest write-error rate seen, over the trials whose reset held, and its 95 % upper bound."""
        valid = np.round(data["trials"] * (1 - stuck))
        errors = data["trials"] - data["switched"]
        best = int(np.argmax(1 - errors / np.maximum(valid, 1)))
        return {"wer_min": float(errors[best] / max(valid[best], 1)),
                "wer_min_upper": wer_upper_bound(int(errors[best]), int(max(valid[best], 1)))}

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, Any], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, (ax, ax_wer) = figure(1, 2, size=(10.0, 4.2))
        stuck = data["reset_failures"] / data["reset_checks"]
        p = np.clip((data["probability"] - stuck) / np.maximum(1 - stuck, 1e-3), 0, 1)  # trials with a good reset
        for k, width in enumerate(np.unique(data["width"])):
            sel = data["width"] == width
            colour = f"C{k % 10}"
            i_ua = data["current"][sel] * 1e6
            ax.plot(i_ua, p[sel], "o", color=colour, label=f"t = {width * 1e9:.4g} ns")
            errors = (1 - p[sel]) * data["trials"][sel]
            seen = errors >= 0.5
            ax_wer.semilogy(i_ua[seen], 1 - p[sel][seen], "o", color=colour)
            bounds = [wer_upper_bound(0, int(m)) for m in data["trials"][sel][~seen]]
            ax_wer.semilogy(i_ua[~seen], bounds, "v", mfc="none", color=colour,
                            label="no error seen: 95 % upper bound" if k == 0 and bounds else None)
            if summary:
                grid, model = cls._model(data, summary, sel, width)
                ax.plot(grid * 1e6, model, "-", color=colour)
                ax_wer.semilogy(grid * 1e6, np.maximum(1 - model, 1e-12), "-", color=colour)
        if summary:
            for line in cls._legend(summary):
                ax.plot([], [], " ", label=line)
        ax.set_xlabel("write current (µA)")
        ax.set_ylabel("P_sw")
        ax.legend(fontsize=7)
        ax_wer.set_ylim(bottom=0.03 / data["trials"].max())
        if ax_wer.get_legend_handles_labels()[1]:
            ax_wer.legend(fontsize=7)
        ax_wer.set_xlabel("write current (µA)")
        ax_wer.set_ylabel("write error rate")
        fig.savefig(path, dpi=110)

    @staticmethod
    def _model(data: dict[str, np.ndarray], s: dict[str, Any], sel: np.ndarray, width: float
               ) -> tuple[np.ndarray, np.ndarray]:
        """(AP current A, fitted P_sw) on a grid through the amplitudes of one width."""
        voltage = data["current"][sel] * data["pulse_resistance_high"][sel]
        order = np.argsort(voltage)
        v = np.linspace(voltage.min(), voltage.max(), 25)
        g_p, g_ap = (np.interp(v, voltage[order], 1 / data[key][sel][order])
                     for key in ("pulse_resistance_low", "pulse_resistance_high"))
        read = float(voltage[0] - data["amplitude"][sel][0])
        delta = s["delta"] if np.isfinite(s["delta"]) else delta_for_precession_time(s["tau_d"], s["tau0"])
        conductance = PulseConductance(g_p, g_ap, read, 1 / float(data["resistance_low"][0]),
                                       1 / float(data["resistance_high"][0]))
        return v * g_ap, voltage_switching_probability(v, np.full(v.size, width), conductance, delta, s["ic0"],
                                                       s["tau0"])

    @staticmethod
    def _legend(s: dict[str, Any]) -> list[str]:
        lines = [f"{s['regime']} fit: Ic0 = {measured(s['ic0'], s['ic0_err'], 1e6, 'µA')}"]
        if s["regime"] == "precessional":
            lines += [f"τ* = {measured(s['tau_star'], s['tau_star_err'], 1e9, 'ns')}",
                      f"τ_D = {measured(s['tau_d'], s['tau_d_err'], 1e9, 'ns')} (τ0 = {s['tau0']:.3g} s)"]
        if np.isfinite(s["delta"]):
            lines += [f"Δ = {measured(s['delta'], s['delta_err'])} (τ0 = {s['tau0']:.3g} s)"]
        lines += [f"I50 = {measured(s['i50'], s['i50_err'], 1e6, 'µA')}", f"field {s['field'] * 1e3:.2f} mT"]
        if s["reset_failures"]:
            lines.append(f"reset failed {s['reset_failures']} of {s['reset_checks']}")
        return lines
