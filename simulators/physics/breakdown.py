"""Reliability of the MgO barrier: time-dependent dielectric breakdown (TDDB) and back-hopping at high bias.

**Breakdown.** The time to breakdown under a constant voltage V is Weibull distributed,
F(t) = 1 − exp(−(t/η(V))^β), with the exponential voltage acceleration of the E-model,
η(V) = T_REF · exp(−γ(|V| − v_breakdown)): ``v_breakdown`` is the voltage at which η is :data:`T_REF` = 1 s
(the bench files' parameter of that name). The E-model describes the bias dependence of MgO-barrier lifetimes
under positive bias (Amara-Dababi et al., Appl. Phys. Lett. 99, 083501 (2011); Kim et al., IRPS 2012, naturally
oxidised MgO) and the logarithmic rise of the breakdown voltage with ramp rate (Schäfers et al., Appl. Phys.
Lett. 95, 232119 (2009)); over the few hundred mV a lifetime test spans, it and the power law V^−n fit alike.
Defaults: γ = 20 /V (a decade of lifetime per 0.115 V: a barrier with η = 1 s at 1.5 V lasts two weeks at
0.8 V and 10⁴ years at 0.1 V), β = 2 (MgO-MTJ Weibull slopes lie between about 1 and 4).

Under any stress history V(t) the damage D(t) = ∫ dt/η(V(t)) and the device breaks when D reaches its life
L = (−ln U)^{1/β} (U uniform, drawn once per device). This is exact for Weibull statistics with one β
(Nelson's cumulative exposure): P(L ≤ D) = 1 − exp(−D^β), which under constant V is F(t) itself. A ramp
at R V/s from 0 therefore breaks at V_bd with ln(−ln(1 − F)) = β ln D_ramp(V_bd) ≈ βγ(V_bd − V63).

**Back-hopping.** Above a current ``i_backhop`` the reference layer (its synthetic antiferromagnet) is no longer
held by the spin torque the free layer exerts back on it: the state the current favours is left again
(Min et al., IEEE Trans. Magn. 46, 2322 (2010); Abert et al., Phys. Rev. Appl. 9, 054010 (2018)), so P_sw falls
at high amplitude and R shows telegraph switching at high bias. Rate law: thermal activation over the reference
layer's own barrier, k = exp(−Δ_bh (1 − |I|/i_backhop)²)/τ_bh below i_backhop, 1/τ_bh at and above it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .neel_brown import STATE_AP, STATE_P
from .switching_laws import SwitchLaw

#: s: the characteristic time to breakdown at ``v_breakdown``
T_REF = 1.0


@dataclass(frozen=True)
class BreakdownLaw:
    """Weibull TDDB with E-model acceleration: ``v_breakdown`` V (η = 1 s there), ``gamma`` 1/V, ``beta``."""

    v_breakdown: float = 1.5
    gamma: float = 20.0
    beta: float = 2.0

    def __post_init__(self) -> None:
        for name in ("v_breakdown", "gamma", "beta"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")

    def eta(self, voltage: ArrayLike) -> np.ndarray:
        """Characteristic time to breakdown (s) under a constant ``voltage`` (V, either polarity)."""
        return T_REF * np.exp(-self.gamma * (np.abs(voltage) - self.v_breakdown))

    def failure_probability(self, damage: ArrayLike) -> np.ndarray:
        """Probability that a device has broken down once its damage is ``damage`` (the Weibull CDF in D)."""
        return -np.expm1(-np.asarray(damage, dtype=float) ** self.beta)

    def ramp_damage(self, voltage: ArrayLike, ramp_rate: float, v_step: float = 0.0) -> np.ndarray:
        """Damage at ``voltage`` (V) of a ramp from 0 V at ``ramp_rate`` V/s: continuous (``v_step`` 0), or a
        staircase of ``v_step`` V steps each held ``v_step/ramp_rate`` s, counted to the end of the step at
        ``voltage`` (a level of the staircase)."""
        v = np.abs(np.asarray(voltage, dtype=float))
        g, scale = self.gamma, math.exp(-self.gamma * self.v_breakdown) / (ramp_rate * T_REF)
        if v_step <= 0:
            return scale * np.expm1(g * v) / g
        steps = np.rint(v / v_step)
        return scale * v_step * math.exp(g * v_step) * np.expm1(g * v_step * steps) / math.expm1(g * v_step)


def draw_lives(beta: float, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Lives L = (−ln U)^{1/β} of ``shape`` devices (the damage at which each breaks down)."""
    return rng.exponential(size=shape) ** (1.0 / beta)


class Barrier:
    """The tunnel barriers of ``shape`` devices: their damage, drawn lives and breakdown (``rng`` draws the lives
    once, at construction: seed it)."""

    def __init__(self, law: BreakdownLaw, rng: np.random.Generator, shape: tuple[int, ...] = ()) -> None:
        self.law = law
        self.life = draw_lives(law.beta, shape, rng)
        self.damage = np.zeros(shape)

    @property
    def broken(self) -> np.ndarray:
        """Devices whose damage has reached their life."""
        return self.damage >= self.life

    def stress(self, voltage: ArrayLike, duration: float, where: ArrayLike = True) -> np.ndarray:
        """Add the damage of ``duration`` s at ``voltage`` (V) to the devices ``where`` (mask); the broken mask."""
        if duration < 0:
            raise ValueError(f"duration must be >= 0, got {duration!r}")
        self.damage = self.damage + np.where(where, duration / self.law.eta(voltage), 0.0)
        return self.broken


@dataclass(frozen=True)
class BackHopping:
    """Escape out of the state the current favours above ``i_backhop`` (A; inf: none), over the reference
    layer's barrier ``delta`` (kBT) with attempt time ``tau`` (s)."""

    i_backhop: float = math.inf
    delta: float = 60.0
    tau: float = 1e-9

    def __post_init__(self) -> None:
        if not (self.i_backhop > 0 and self.delta > 0 and self.tau > 0):
            raise ValueError("i_backhop, delta_backhop and tau_backhop must be > 0")

    @property
    def on(self) -> bool:
        """Whether the junction back-hops at any current."""
        return math.isfinite(self.i_backhop)

    def rate(self, current: float) -> float:
        """Back-hopping rate (1/s) at ``current`` (A) out of the state that current favours."""
        if not self.on:
            return 0.0
        excess = max(0.0, 1.0 - abs(current) / self.i_backhop)
        return math.exp(-self.delta * excess * excess) / self.tau

    def rates(self, current_p: float, current_ap: float) -> tuple[float, float]:
        """Back-hopping escape rates (1/s) out of P and out of AP, each at the current (A) it carries: positive
        current favours P, negative AP; a state the current disfavours has none."""
        return (self.rate(current_p) if current_p > 0 else 0.0,
                self.rate(current_ap) if current_ap < 0 else 0.0)


def with_escape(law: SwitchLaw, rate: float) -> SwitchLaw:
    """The first switch of ``law`` or of an independent exponential escape at ``rate`` (1/s), whichever comes
    first: survival S(t) = S_law(t)·exp(−rate·t)."""
    if rate == 0:
        return law
    if law.cdf is None:
        return SwitchLaw(law.duration, law.rate + rate)
    times = np.asarray(law.times, dtype=float)
    return SwitchLaw(law.duration, law.rate, times, 1.0 - (1.0 - law.cdf) * np.exp(-rate * times))


def pick(rates: tuple[float, float], state: int) -> float:
    """The one of (out of P, out of AP) ``rates`` that applies to ``state``."""
    if state not in (STATE_P, STATE_AP):
        raise ValueError(f"state must be +1 (P) or -1 (AP), got {state!r}")
    return rates[0] if state == STATE_P else rates[1]
