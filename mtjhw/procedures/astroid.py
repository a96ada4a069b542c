"""Switching-field astroid: R-H loops with the field at a set of angles from the easy axis, for μ0Hk, Δ and the
loop shift from the thermal Stoner–Wohlfarth astroid."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from pymeasure.experiment import FloatParameter, IntegerParameter

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.astroid import fit_astroid, mean_switching_field, switching_fields
from mtjhw.bench import Bench
from mtjhw.instruments.roles import Rotator
from mtjhw.simulators.physics.stoner_wohlfarth import switching_field

from .base import BenchProcedure, measured
from .rh_loop import field_sweep

log = logging.getLogger(__name__)

#: angles (rad) further than this from the easy axis (0 or π) are refused: the switch is no jump there
MAX_TILT = 1.3
#: s the field settles at +field_max before each angle's loops (whatever the magnet's history)
SETTLE = 1.0
#: a fitted Δ, and Hk with it, are reported when the switching fields constrain both to this relative 1σ error
MAX_RELATIVE_ERROR = 0.1


def field_turner(bench: Bench) -> Rotator:
    """What sets the angle of the field to the sample: a vector magnet (``bench.vector_field``, the field turned
    in the x–z plane; ``bench.field`` is then the field along that direction), else a rotation stage (role
    ``rotator``). A simulated DUT must have field-angle physics."""
    virtual = getattr(bench, "virtual", None)
    if virtual is not None and not hasattr(virtual.dut, "field_angle"):
        raise ValueError(f"the simulated DUT model {type(virtual.dut).__name__} has no field-angle physics: a "
                         "rotator would turn it to no effect (use dut.model pmtj)")
    if getattr(bench, "has_vector_field", False):
        return bench.vector_field.line
    if getattr(bench, "has_rotator", False):
        return bench.rotator
    raise ValueError("astroid needs a rotator (role 'rotator', e.g. a Newport ESP300 with a rotation stage) or a "
                     "vector magnet (magnet_x, magnet_z and vector_gaussmeter) to turn the field to each angle: "
                     "add one to the bench file")


class Astroid(BenchProcedure):
    """At each of ``angles`` field angles ψ from angle_min to angle_max (rad from the easy axis; within
    :data:`MAX_TILT` of 0 or π), turn the field (:func:`field_turner`), set +field_max and sweep +field_max →
    −field_max → +field_max (``loops`` times) at ``sweep_rate``, reading R at ``bias``; each angle is a unit of a
    resumed run.

    The switching fields are the resistance jumps (:func:`mtjhw.analysis.astroid.switching_fields`); their
    means per angle and direction are fitted with the thermal astroid (the Stoner–Wohlfarth barrier crossed
    at the rate e^{−ΔE/kBT}/``tau0`` during the sweep, :func:`mtjhw.analysis.astroid.mean_switching_field`):
    ``h_offset`` (the stray field along the easy axis), μ0Hk and Δ. At one sweep rate Δ and Hk trade off
    (a larger Δ with a smaller Hk gives nearly the same switching fields at every angle): both are reported when
    the fit constrains both to 10 %, otherwise ``delta_fit`` says why; give ``delta`` > 0 (e.g. from rh-loop's
    ``sweep_rates``) and Hk follows to a few per cent.
    field_max must exceed the switching fields: about 0.7 Hk at Δ 40–60 and 0.05 T/s (1.5 Hk covers the T = 0
    astroid to 75°).
    """

    name = "astroid"
    summary_keys = {"hk": "T", "hk_err": "T", "delta": "kBT", "delta_err": "kBT", "h_offset": "T",
                    "h_offset_err": "T", "switch_events": "count", "sweep_rate_actual": "T/s", "tau0": "s (fixed)",
                    "delta_fit": "text"}

    field_max = FloatParameter("Maximum field", units="T", default=0.15, minimum=1e-4, maximum=5.0)
    angle_min = FloatParameter("First angle", units="rad", default=0.2, minimum=-2 * np.pi, maximum=2 * np.pi)
    angle_max = FloatParameter("Last angle", units="rad", default=np.pi - 0.2, minimum=-2 * np.pi,
                               maximum=2 * np.pi)
    angles = IntegerParameter("Angles", default=4, minimum=3, maximum=181)
    points = IntegerParameter("Points per branch", default=101, minimum=11, maximum=100000)
    sweep_rate = FloatParameter("Sweep rate", units="T/s", default=0.05, minimum=1e-6, maximum=100.0)
    loops = IntegerParameter("Loops per angle", default=2, minimum=1, maximum=1000)
    bias = FloatParameter("Read bias", units="V", default=0.001, minimum=-2.0, maximum=2.0)
    nplc = FloatParameter("Integration time", units="PLC", default=0.2, minimum=0.01, maximum=10.0)
    compliance = FloatParameter("Compliance current", units="A", default=1e-4, minimum=1e-9, maximum=1.0)
    tau0 = FloatParameter("Attempt time (fixed)", units="s", default=1e-9, minimum=1e-13, maximum=1e-6)
    delta = FloatParameter("Δ, fixed (0 = fitted)", units="kBT", default=0.0, minimum=0.0, maximum=1000.0)

    DATA_COLUMNS = ["Time (s)", "Angle (rad)", "Loop", "Branch", "Field set (T)", "Field (T)", "Voltage (V)",
                    "Current (A)", "Resistance (ohm)"]
    PLOT_AXES = ("Field (T)", "Resistance (ohm)")

    def field_angles(self) -> np.ndarray:
        """The ``angles`` angles (rad) from angle_min to angle_max; ValueError for one near the hard axis."""
        angles = np.linspace(self.angle_min, self.angle_max, self.angles)
        near = angles[np.abs(np.cos(angles)) < np.cos(MAX_TILT)]
        if near.size:
            raise ValueError(f"angle {near[0]:.3g} rad is within {np.pi / 2 - MAX_TILT:.2f} rad of the hard axis, "
                             "where the wells merge without a jump: choose angle_min, angle_max and angles that "
                             f"keep every angle within {MAX_TILT} rad of the easy axis (0 or π)")
        return angles

    def configure(self) -> None:
        self.field_angles()
        self._turner = field_turner(self.bench)
        smu = self.bench.smu
        smu.source_voltage_mode(self.compliance, self.nplc)
        smu.set_level(self.bias)
        smu.output_on()

    def execute(self) -> None:
        bench = self.bench
        down = np.linspace(self.field_max, -self.field_max, self.points)
        per_angle = 2 * self.loops * self.points
        for k, angle in enumerate(self.field_angles()):
            if self.unit_recorded(k, per_angle):
                continue
            self._turner.rotate_to(float(angle))
            bench.field.set_field(self.field_max)  # saturate before the first branch
            bench.sleep(SETTLE)
            bench.reseed(k, 1)  # the unit's known state: a resumed run draws what an uninterrupted one did
            t0 = bench.now()
            for loop in range(self.loops):
                for branch, fields in ((-1, down), (1, down[::-1])):
                    for h, b, v, i in field_sweep(bench, fields, self.sweep_rate):
                        if self.should_stop():
                            log.warning("astroid aborted at angle %d of %d", k + 1, self.angles)
                            return
                        self.record(time=bench.now() - t0, angle=angle, loop=loop, branch=branch, field_set=h,
                                    field=b, voltage=v, current=i, resistance=v / i if i else float("nan"))
            self.progress(k + 1, self.angles)

    @staticmethod
    def switches(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(angle rad, switching field T along it, direction +1 P→AP / −1 AP→P) of every switch."""
        out: list[tuple[float, float, int]] = []
        for angle in np.unique(data["angle"]):
            sel = data["angle"] == angle
            try:
                p_to_ap, ap_to_p = switching_fields(data["field"][sel], data["resistance"][sel])
            except AnalysisError as exc:
                raise AnalysisError(f"at {np.degrees(angle):.0f}°: {exc}") from None
            if p_to_ap.size == 0 or ap_to_p.size == 0:
                raise AnalysisError(f"at {np.degrees(angle):.0f}° the loop is not closed (need both switches): "
                                    "raise field_max, or lower angle_max")
            out += [(angle, h, 1) for h in p_to_ap] + [(angle, h, -1) for h in ap_to_p]
        return tuple(np.array(column) for column in zip(*out, strict=True))

    @classmethod
    def analyse(cls, data: dict[str, np.ndarray], parameters: dict[str, Any]) -> dict[str, Any]:
        angle, field, direction = cls.switches(data)
        steps = np.abs(np.diff(data["field"]))
        rate = float(np.median(steps[steps > 0]) / np.median(np.diff(data["time"])))
        tau0 = float(parameters["tau0"])
        fixed = float(parameters["delta"]) or None
        fit = fit_astroid(angle, field, direction, tau0, rate, fixed)
        out = fit | {"switch_events": int(field.size), "sweep_rate_actual": rate, "tau0": tau0,
                     "delta_fit": "given" if fixed else "ok"}
        constrained = all(fit[f"{key}_err"] <= MAX_RELATIVE_ERROR * fit[key] for key in ("delta", "hk"))
        if fixed is None and not constrained:
            reason = (f"Δ ({fit['delta']:.3g} ± {fit['delta_err']:.2g}) and Hk ({fit['hk']:.3g} ± "
                      f"{fit['hk_err']:.2g} T) trade off at one sweep rate and are not constrained to "
                      f"{MAX_RELATIVE_ERROR:.0%}: give delta (from rh-loop with sweep_rates), or more loops per angle")
            log.warning("astroid: %s", reason)
            out |= {key: float("nan") for key in ("delta", "delta_err", "hk", "hk_err")} | {"delta_fit": reason}
        return out

    @classmethod
    def plot(cls, data: dict[str, np.ndarray], summary: dict[str, Any], path: Path) -> None:
        from mtjhw.plotting import figure

        fig, ax = figure(size=(5.6, 5.6))
        angle, field, direction = cls.switches(data)
        for d, label, colour in ((-1, "AP→P", "tab:red"), (1, "P→AP", "tab:blue")):
            sel = direction == d
            ax.plot(field[sel] * np.sin(angle[sel]) * 1e3, field[sel] * np.cos(angle[sel]) * 1e3, "o", ms=4,
                    color=colour, mfc="none", label=f"switching fields, {label}")
        if summary:
            cls._plot_model(ax, data, summary)
        ax.set_xlabel("μ0H_x (mT, hard axis)")
        ax.set_ylabel("μ0H_z (mT, easy axis)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=7)
        fig.savefig(path, dpi=120)

    @staticmethod
    def _plot_model(ax: Any, data: dict[str, np.ndarray], s: dict[str, Any]) -> None:
        """The fitted thermal astroid over the measured angles and the T = 0 astroid of the fitted Hk (when Hk
        is reported), and the extracted values."""
        ax.axhline(s["h_offset"] * 1e3, color="grey", lw=0.8, ls=":",
                   label=f"offset {measured(s['h_offset'], s['h_offset_err'], 1e3, 'mT')}")
        if not np.isfinite(s["hk"]):
            return
        psi = np.linspace(-np.pi / 2, np.pi / 2, 181)
        for sign in (1, -1):
            h = s["hk"] * switching_field(psi)
            ax.plot(sign * h * np.sin(psi) * 1e3, (sign * h * np.cos(psi) + s["h_offset"]) * 1e3, "k:", lw=0.8,
                    label=f"T = 0 astroid, μ0Hk {measured(s['hk'], s['hk_err'], 1e3, 'mT')}" if sign > 0 else None)
        span = np.linspace(data["angle"].min(), data["angle"].max(), 121)
        for d in (-1, 1):
            h = mean_switching_field(span, np.full(span.size, d), s["hk"], s["delta"], s["h_offset"], s["tau0"],
                                     s["sweep_rate_actual"])
            h[np.abs(np.cos(span)) < np.cos(MAX_TILT)] = np.nan  # no switching jump about the hard axis
            ax.plot(h * np.sin(span) * 1e3, h * np.cos(span) * 1e3, "k-", lw=0.8,
                    label=f"thermal astroid, Δ {measured(s['delta'], s['delta_err'])}" if d < 0 else None)
