"""Three-terminal SOT-MTJ as a bench DUT: the ``sot-mtj`` model.

Which instrument drives what: the pulse generator (channel 1 or 2, through the bias tee's AC port) drives the
heavy-metal write line, ``V_pulse / r_line`` A through ``r_line`` Ω, and never the junction; the source-meter
biases and reads the junction (its read current exerts STT); the bench magnet's field lies along ``field_axis``:
``x`` (default: in-plane along the write current, the field that makes SOT switching deterministic) or ``z``
(perpendicular, for R–H loops of the free layer). The physics is
:class:`mtjhw.simulators.physics.sot.SOTJunction`.
"""

from __future__ import annotations

import numpy as np

from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.sot import SOTJunction, SOTParams, at_temperature
from mtjhw.simulators.physics.thermal_scaling import ThermalScaling
from mtjhw.simulators.physics.tmr import resistance

from .bias import Bias
from .devices import TwoTerminalDevice

#: Plausible ranges (SI) of the parameters this model adds to those of the catalogue
#: (:data:`mtjhw.simulators.bench.models.PLAUSIBLE`): outside them, a unit mistake.
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "r_line": (1.0, 1e6, "Ω"),
    "line_width": (1e-9, 1e-4, "m"),
    "line_thickness": (1e-10, 1e-6, "m"),
    "theta_sh": (-2.0, 2.0, "(spin Hall angle)"),
    "fl_ratio": (0.0, 10.0, "(field-like / damping-like)"),
    "thickness": (1e-10, 1e-7, "m (free layer)"),
    "diameter": (1e-9, 1e-5, "m"),
    "eta": (0.01, 1.0, "(STT efficiency)"),
    "n_barrier": (1.0, 2.0, ""),
    "h_x": (-1.0, 1.0, "T"),
}


_CACHE = 4096  # resistances kept: readings and pulses revisit a few (state, bias, field)


def _check(values: dict[str, float]) -> None:
    for key, value in values.items():
        low, high, unit = PLAUSIBLE[key]
        if not low <= value <= high:
            raise ValueError(f"{key} = {value!r} is outside the plausible range {low:g}..{high:g} {unit}")


class SOTMTJ(TwoTerminalDevice):
    """A perpendicular SOT-MTJ (``model: sot-mtj``) on a heavy-metal write line.

    Parameters (SI): junction ``r_p`` Ω, ``tmr``, ``v_half`` V, ``read_noise``, ``v_breakdown`` V, ``r_short`` Ω;
    write line ``r_line`` Ω, ``line_width``, ``line_thickness`` m, ``theta_sh``, ``fl_ratio``; free layer ``ms``
    A/m, ``thickness``, ``diameter`` m (Δ = Ms V μ0Hk / 2kBT follows), ``hk`` T, ``alpha``, ``eta``;
    ``n_barrier``, ``tau0`` s (0: Brown's), ``temperature`` K; fields ``h_x`` T (built-in in-plane field:
    field-free switching), ``h_offset`` T (perpendicular stray field, loop shift), ``field_axis`` of the bench
    magnet (``x`` or ``z``); ``state`` initial (+1 P, −1 AP); the junction's time-dependent breakdown
    (``gamma_breakdown`` 1/V, ``weibull_beta``, ``seed`` of its life: see
    :class:`~mtjhw.simulators.bench.devices.TwoTerminalDevice`).
    Temperature: ``temperature`` K is the bath (the stage); ``ms``, ``hk``, ``r_p`` and ``tmr`` are those at
    ``t_ref`` K (default: ``temperature``), and at T the free layer has Ms·m, μ0Hk·m^{n−1}
    (:func:`~mtjhw.simulators.physics.sot.at_temperature`: Δ ∝ m^n/T, the critical currents ∝ m^n), the
    junction the p-MTJ's TMR(T) and R_P(T) (:class:`~mtjhw.simulators.physics.thermal_scaling.ThermalScaling`:
    ``t_curie`` K, ``anisotropy_exponent`` n, ``polarisation_a`` K^-3/2, ``rp_tcr`` 1/K).
    """

    #: the write pulses reach the line, not the junction (the bench adds no pulse to the read bias)
    pulses_in_series = False

    def __init__(self, *, r_p: float = 5000.0, tmr: float = 1.2, v_half: float = 0.5, r_line: float = 250.0,
                 line_width: float = 200e-9, line_thickness: float = 5e-9, theta_sh: float = 0.3,
                 fl_ratio: float = 0.0, ms: float = 1.0e6, thickness: float = 1.0e-9, diameter: float = 56e-9,
                 hk: float = 0.15, alpha: float = 0.02, eta: float = 0.6, n_barrier: float = 1.3,
                 tau0: float = 0.0, temperature: float = 300.0, h_x: float = 0.0, h_offset: float = 0.0,
                 field_axis: str = "x", read_noise: float = 2e-4, v_breakdown: float = 1.5, r_short: float = 150.0,
                 state: int = STATE_AP, weibull_beta: float = 2.0, gamma_breakdown: float = 20.0, seed: int = 0,
                 t_ref: float | None = None, t_curie: float = ThermalScaling.t_curie,
                 anisotropy_exponent: float = ThermalScaling.anisotropy_exponent,
                 polarisation_a: float = ThermalScaling.polarisation_a, rp_tcr: float = ThermalScaling.rp_tcr
                 ) -> None:
        super().__init__(read_noise, v_breakdown, r_short, weibull_beta=weibull_beta,
                         gamma_breakdown=gamma_breakdown, seed=seed)
        _check({"r_line": r_line, "line_width": line_width, "line_thickness": line_thickness, "theta_sh": theta_sh,
                "fl_ratio": fl_ratio, "thickness": thickness, "diameter": diameter, "eta": eta,
                "n_barrier": n_barrier, "h_x": h_x})
        if field_axis not in ("x", "z"):
            raise ValueError(f"field_axis must be x (in-plane, along the write current) or z, got {field_axis!r}")
        for name, value in (("r_p", r_p), ("v_half", v_half)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        if tmr < 0:
            raise ValueError("tmr must be >= 0")
        self.v_half, self.r_line = v_half, r_line
        self.h_x, self.h_offset, self.field_axis = h_x, h_offset, field_axis
        self.thermal = ThermalScaling(temperature if t_ref is None else t_ref, t_curie, anisotropy_exponent,
                                      polarisation_a, rp_tcr)
        self._at_t_ref = SOTParams(
            ms=ms, thickness=thickness, diameter=diameter, hk=hk, alpha=alpha, theta_sh=theta_sh,
            fl_ratio=fl_ratio, line_width=line_width, line_thickness=line_thickness, eta=eta, n_barrier=n_barrier,
            tau0=tau0, temperature=self.thermal.t_ref)
        self._junction_at_t_ref = r_p, tmr
        self.state = state
        self.switch_count = 0
        self._field = 0.0  # the magnet's field at the last advance (T): the tilt the readings see
        self._resistance_cache: dict[tuple[int, float, float], float] = {}
        self.temperature = temperature

    @property
    def temperature(self) -> float:
        """Bath (stage) temperature, K: Ms, Hk (so Δ, the critical currents and τ0), R_P and TMR follow it."""
        return self.physics.params.temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        self.physics = SOTJunction(at_temperature(self._at_t_ref, self.thermal, value))
        bath, (r_p, tmr) = self.temperature, self._junction_at_t_ref
        if bath != self.thermal.t_ref:
            r_p, tmr = self.thermal.r_p(r_p, bath), self.thermal.tmr(tmr, bath)
        self.r_p, self.tmr = r_p, tmr
        self._resistance_cache.clear()

    @property
    def state(self) -> int:
        return self._state

    @state.setter
    def state(self, value: int) -> None:
        if value not in (STATE_P, STATE_AP):
            raise ValueError(f"state must be +1 (P) or -1 (AP), got {value!r}")
        self._state = value

    def fields(self, field_t: float) -> tuple[float, float]:
        """(in-plane H_x, perpendicular H_z) at the free layer (T) with the bench magnet at ``field_t`` T."""
        along_x = self.field_axis == "x"
        return self.h_x + (field_t if along_x else 0.0), (0.0 if along_x else field_t) - self.h_offset

    def resistance_of(self, state: int, voltage: float, field_t: float = 0.0) -> float:
        """Junction resistance (Ω) of ``state`` at bias ``voltage`` (V), tilted by the in-plane field."""
        if self.broken:
            return self.r_short
        key = (state, voltage, field_t)
        r = self._resistance_cache.get(key)
        if r is None:
            cos_theta = self.physics.cos_theta(state, self.fields(field_t)[0])
            r = float(resistance(self.r_p, self.tmr, cos_theta, voltage, self.v_half))
            if len(self._resistance_cache) > _CACHE:
                self._resistance_cache.clear()
            self._resistance_cache[key] = r
        return r

    def resistance(self, voltage: float) -> float:
        return self.resistance_of(self.state, voltage, self._field)

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        """Evolve for ``duration`` (s) with the write line at ``ac_voltage``, the junction under ``bias`` and the
        magnet at ``field_t`` (T); return the junction's time-averaged (V, I)."""
        self._field = field_t
        if duration > 0:
            self._check_breakdown(bias, duration)
        if duration <= 0 or self.broken:
            return self.operating_point(bias)
        h_x, h_z = self.fields(field_t)
        i_read = self.operating_point(bias)[1]
        start = self.state
        self.state, in_p = self.physics.evolve(start, duration, rng, i_write=self.ac_voltage / self.r_line,
                                               i_read=i_read, h_x=h_x, h_z=h_z)
        self.switch_count += int(self.state != start)
        return self._mix(in_p / duration, bias, field_t)

    def _mix(self, fraction_p: float, bias: Bias, field_t: float) -> tuple[float, float]:
        points = [self.operating_point(bias, lambda v, s=s: self.resistance_of(s, v, field_t))
                  for s in (STATE_P, STATE_AP)]
        (v_p, i_p), (v_ap, i_ap) = points
        f = fraction_p
        return f * v_p + (1 - f) * v_ap, f * i_p + (1 - f) * i_ap

    def delta(self) -> float:
        """Thermal stability factor at zero field."""
        return self.physics.params.delta()

    def critical_current(self, current_sign: int, field_t: float = 0.0) -> float:
        """Write current (A, magnitude) at which the state the drive disfavours switches at T = 0 with the magnet
        at ``field_t`` T (the lower of the two states' thresholds)."""
        h_x = self.fields(field_t)[0]
        return min(self.physics.critical_current(s, current_sign, h_x) for s in (STATE_P, STATE_AP))
