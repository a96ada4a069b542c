"""Two-state MTJ with Néel–Brown thermally activated switching: the ``pmtj`` and ``smtj`` DUT models.

The free layer is either parallel (P, +1) or antiparallel (AP, −1) to the reference layer. Field and current
lower the barrier of the state they destabilise (:mod:`simulators.physics.neel_brown`); switching is sampled
exactly, event by event, for piecewise-constant drive, so a slow field sweep shows the thermally activated,
sweep-rate-dependent coercive field of a real junction and a superparamagnetic junction (small Δ) shows random
telegraph noise whose cost grows with the number of switches, not with time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulators.physics.neel_brown import STATE_AP, STATE_P, escape_rate
from simulators.physics.tmr import resistance

from .bias import Bias

#: Above this many expected switches in one interval the device is treated as in thermal equilibrium
#: between its two states (the time-averaged reading is then exact; the individual events are not drawn).
_MAX_EVENTS = 20_000


@dataclass
class PerpendicularMTJ:
    """A perpendicular MTJ (``model: pmtj``; ``model: smtj`` is the same with a small ``delta``).

    Parameters (SI): ``r_p`` Ω, ``tmr`` zero-bias ratio, ``v_half`` V at which TMR halves, ``hk`` T
    (effective anisotropy field μ0Hk), ``h_offset`` T (loop shift: the free layer sees μ0H − h_offset),
    ``delta`` thermal stability factor at ``t_ref`` (K), ``temperature`` K (Δ scales as t_ref/T),
    ``ic0`` A (critical current at 0 K; positive current favours P), ``tau0`` s, ``n_current`` exponent of the
    current term, ``read_noise`` relative σ of the resistance per reading, ``v_breakdown`` V (the barrier
    shorts permanently above it to ``r_short`` Ω), ``state`` initial state (+1 P, −1 AP).
    """

    r_p: float = 5000.0
    tmr: float = 1.2
    v_half: float = 0.5
    hk: float = 0.08
    h_offset: float = 0.004
    delta: float = 45.0
    temperature: float = 300.0
    t_ref: float = 300.0
    ic0: float = 60e-6
    tau0: float = 1e-9
    n_current: float = 1.0
    read_noise: float = 2e-4
    v_breakdown: float = 1.5
    r_short: float = 150.0
    state: int = STATE_AP
    broken: bool = False
    switch_count: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        for name in ("r_p", "hk", "tau0", "ic0", "temperature", "t_ref", "v_half", "v_breakdown", "r_short"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.tmr < 0 or self.delta < 0:
            raise ValueError("tmr and delta must be >= 0")
        if self.state not in (STATE_P, STATE_AP):
            raise ValueError(f"state must be +1 (P) or -1 (AP), got {self.state!r}")

    @property
    def delta_now(self) -> float:
        """Δ at the present temperature."""
        return self.delta * self.t_ref / self.temperature

    def resistance_of(self, state: int, voltage: float) -> float:
        """Resistance (Ω) of ``state`` at bias ``voltage`` (V)."""
        if self.broken:
            return self.r_short
        return float(resistance(self.r_p, self.tmr, float(state), voltage, self.v_half))

    def operating_point(self, state: int, bias: Bias) -> tuple[float, float]:
        """(V, I) across the device in ``state`` for ``bias`` (solves V = I·R(V) for a current source)."""
        if bias.mode == "V":
            return bias.level, bias.level / self.resistance_of(state, bias.level)
        v = bias.level * self.resistance_of(state, 0.0)
        for _ in range(30):  # R(V) is smooth and weakly varying: the fixed point converges fast
            v_new = bias.level * self.resistance_of(state, v)
            if abs(v_new - v) <= 1e-12 * max(abs(v), 1e-12):
                break
            v = v_new
        return v, bias.level

    def rate(self, state: int, bias: Bias, field_t: float) -> float:
        """Escape rate (1/s) out of ``state``."""
        if self.broken:
            return 0.0
        _, current = self.operating_point(state, bias)
        return float(escape_rate(state, self.delta_now, self.tau0, field_t - self.h_offset, self.hk,
                                 current, self.ic0, self.n_current))

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        """Evolve for ``duration`` (s) under constant ``bias`` and ``field_t`` (T); return the time-averaged (V, I)."""
        if duration <= 0:
            return self.operating_point(self.state, bias)
        self._check_breakdown(bias)
        r_out = {s: self.rate(s, bias, field_t) for s in (STATE_P, STATE_AP)}
        if duration * min(r_out.values()) > _MAX_EVENTS:
            # Fast telegraph: equilibrium occupation, final state drawn from it.
            p_p = r_out[STATE_AP] / (r_out[STATE_P] + r_out[STATE_AP])
            self.switch_count += int(duration * 2 * r_out[STATE_P] * p_p)
            self.state = STATE_P if rng.random() < p_p else STATE_AP
            return self._mix(p_p, bias)
        t, time_in_p = 0.0, 0.0
        while True:
            r = r_out[self.state]
            wait = rng.exponential(1.0 / r) if r > 0 else np.inf
            dwell = min(wait, duration - t)
            if self.state == STATE_P:
                time_in_p += dwell
            t += dwell
            if t >= duration:
                break
            self.state = -self.state
            self.switch_count += 1
        return self._mix(time_in_p / duration, bias)

    def _mix(self, fraction_p: float, bias: Bias) -> tuple[float, float]:
        v_p, i_p = self.operating_point(STATE_P, bias)
        v_ap, i_ap = self.operating_point(STATE_AP, bias)
        f = fraction_p
        return f * v_p + (1 - f) * v_ap, f * i_p + (1 - f) * i_ap

    def _check_breakdown(self, bias: Bias) -> None:
        v, _ = self.operating_point(self.state, bias)
        if abs(v) > self.v_breakdown and not self.broken:
            self.broken = True

    def reading_noise(self, rng: np.random.Generator, nplc: float) -> float:
        """Relative resistance fluctuation of one reading integrated over ``nplc`` line cycles."""
        return self.read_noise * rng.standard_normal() / np.sqrt(max(nplc, 0.01))
