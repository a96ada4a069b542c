"""Leaky integrate-and-fire neuron on a stochastic (superparamagnetic) MTJ.

The input current I charges a membrane capacitor ``capacitance`` that leaks through ``r_leak`` and through the
MTJ across it, in its AP state at rest (R_AP = ``r_p``·(1 + ``tmr``)): the membrane voltage obeys

    C·dV/dt = I − V/R,   R = r_leak ∥ R_AP,   τ = R·C,

exact step by step for piecewise-constant input (V relaxes towards V∞ = I·R). The MTJ's current V/R_AP is the
state variable's drive: it lowers the barrier out of AP, so its Néel–Brown escape rate
r(V) = (1/τ0)·exp(−Δ(1 − V/(R_AP·Ic0))ⁿ) (:func:`mtjhw.simulators.physics.neel_brown.escape_rate`) rises with
the integrated input. The neuron fires when the MTJ switches to P (within a time step dt with probability
1 − exp(−r(V_mid)·dt), V_mid the step's mid-point voltage); the spike resets the membrane to 0 and a reset pulse
puts the MTJ back to AP, taking ``t_reset`` (refractory, rounded to whole steps; the step a spike falls in adds
dt/2 to the mean interval). Thermal switching back from P, and the P state's own current, are not modelled: the
reset follows the spike at once.

For a constant input the interspike interval has the survival S(t) = exp(−∫0^t r(V(s)) ds) with V(t) =
V∞(1 − e^{−t/τ}), so its mean is

    T = t_reset + ∫0^∞ S(t) dt

(:meth:`StochasticLifParams.interval`, by quadrature). When the membrane charges much faster than the MTJ
escapes (τ·r(V∞) ≪ 1), T → t_reset + 1/r(V∞): the firing rate is the escape rate at the steady membrane voltage
(:meth:`StochasticLifParams.escape_rate_limit`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .neel_brown import STATE_AP, escape_rate


@dataclass(frozen=True)
class StochasticLifParams:
    """Stochastic-MTJ LIF neuron parameters (SI)."""

    capacitance: float = 2.5e-12  #: membrane capacitance, F (τ = 10 ns with the defaults)
    r_leak: float = 20e3  #: leak resistance, Ω
    delta: float = 10.0  #: the MTJ's barrier at zero bias, kBT
    ic0: float = 50e-6  #: its critical current, A
    tau0: float = 1e-9  #: attempt time, s
    n_current: float = 1.0  #: exponent of (1 − I/Ic0)
    r_p: float = 2000.0  #: the MTJ's P resistance, Ω
    tmr: float = 1.5  #: its TMR ratio (R_AP = r_p·(1 + tmr))
    t_reset: float = 2e-9  #: time to reset membrane and MTJ after a spike (refractory), s

    def __post_init__(self) -> None:
        for name in ("capacitance", "r_leak", "delta", "ic0", "tau0", "r_p"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("tmr", "t_reset"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        if self.n_current not in (1.0, 2.0):
            raise ValueError(f"n_current must be 1 or 2, got {self.n_current}")

    @property
    def r_ap(self) -> float:
        """The MTJ's AP resistance, Ω."""
        return self.r_p * (1.0 + self.tmr)

    @property
    def r_membrane(self) -> float:
        """Resistance the membrane leaks through, r_leak ∥ R_AP, Ω."""
        return self.r_leak * self.r_ap / (self.r_leak + self.r_ap)

    @property
    def tau(self) -> float:
        """Membrane (leak) time constant R·C, s."""
        return self.r_membrane * self.capacitance

    def switching_rate(self, voltage: ArrayLike) -> np.ndarray:
        """Escape rate (1/s) of the MTJ out of AP at membrane ``voltage`` (V)."""
        current = np.asarray(voltage, dtype=float) / self.r_ap
        return escape_rate(STATE_AP, self.delta, self.tau0, current=current, ic0=self.ic0, n_current=self.n_current)

    def interval(self, current: float, points: int = 20_000) -> float:
        """Mean interspike interval (s) at constant input ``current`` (A), by quadrature of the survival."""
        v_inf = current * self.r_membrane
        r_inf = float(self.switching_rate(v_inf))
        horizon = 12 * self.tau  # V within e^-12 of V∞: the tail beyond is exponential at r∞
        t = np.linspace(0.0, horizon, points)
        r = self.switching_rate(v_inf * -np.expm1(-t / self.tau))
        hazard = np.concatenate([[0.0], np.cumsum((r[1:] + r[:-1]) / 2 * np.diff(t))])
        survival = np.exp(-hazard)
        body = float(np.sum((survival[1:] + survival[:-1]) / 2 * np.diff(t)))
        return self.t_reset + body + float(survival[-1]) / r_inf

    def rate(self, current: float) -> float:
        """Mean firing rate (Hz) at constant input ``current`` (A)."""
        return 1.0 / self.interval(current)

    def escape_rate_limit(self, current: float) -> float:
        """Firing rate (Hz) when the membrane charges fast against the escape: 1/(t_reset + 1/r(V∞))."""
        return 1.0 / (self.t_reset + 1.0 / float(self.switching_rate(current * self.r_membrane)))


_BLOCK = 4096  # time steps whose random draws are made at once


class StochasticLifNeurons:
    """A batch of ``n`` stochastic-MTJ LIF neurons, time-stepped; :meth:`run` returns their spikes."""

    def __init__(self, params: StochasticLifParams | None = None, n: int = 1,
                 rng: np.random.Generator | None = None) -> None:
        if n < 1:
            raise ValueError(f"n must be ≥ 1, got {n}")
        self.params = params or StochasticLifParams()
        self.rng = rng or np.random.default_rng()
        self.voltage = np.zeros(n)  #: membrane voltage, V
        self._refractory = np.zeros(n, dtype=int)  # steps of reset left

    def run(self, current: ArrayLike, dt: float) -> np.ndarray:
        """Spikes (steps, n) booleans for input ``current`` (A; one value per step, or (steps, n)), one step per
        ``dt`` s (dt ≪ τ and ≪ 1/r for the per-step switching probability to hold)."""
        if not dt > 0:
            raise ValueError(f"dt must be > 0, got {dt}")
        p = self.params
        current = np.asarray(current, dtype=float)
        steps = current.shape[0]
        drive = np.broadcast_to(current.reshape(steps, -1), (steps, self.voltage.size))
        decay, half = math.exp(-dt / p.tau), math.exp(-dt / (2 * p.tau))
        reset_steps = round(p.t_reset / dt)
        per_volt = 1.0 / (p.r_ap * p.ic0)  # the MTJ's normalised drive per membrane volt
        spikes = np.zeros((steps, self.voltage.size), dtype=bool)
        for start in range(0, steps, _BLOCK):
            # the escape's hazard per step, compared with -ln U (U uniform), is the switching probability's test
            draws = self.rng.standard_exponential((min(_BLOCK, steps - start), self.voltage.size))
            for k, threshold in enumerate(draws, start):
                v_inf = drive[k] * p.r_membrane
                resting = self._refractory > 0
                mid = v_inf + (self.voltage - v_inf) * half
                self.voltage = np.where(resting, 0.0, v_inf + (self.voltage - v_inf) * decay)
                barrier = p.delta * np.maximum(1.0 - mid * per_volt, 0.0) ** p.n_current
                fire = ~resting & (np.exp(-barrier) * (dt / p.tau0) > threshold)
                spikes[k] = fire
                self.voltage[fire] = 0.0
                self._refractory = np.where(fire, reset_steps, np.maximum(self._refractory - 1, 0))
        return spikes
