"""Leaky integrate-and-fire neuron on a domain-wall MTJ (review §3.2, eq. 8).

The input current drives a domain wall along the free-layer track (flow above the depinning current ``i_dep``,
velocity ``mobility``·(I − i_dep)); an anisotropy gradient (or a built-in field) pulls it back towards the start
with the linear restoring velocity −x/``tau_leak``. So between spikes

    dx/dt = mobility·max(I − i_dep, 0) − x/tau_leak,

exact for piecewise-constant input: x relaxes towards x∞ = mobility·(I − i_dep)·tau_leak with time constant
tau_leak. The neuron fires when the wall reaches the read MTJ at ``x_threshold`` (its resistance drops to R_P);
the wall is then reset to the start, which takes ``t_reset`` (refractory). For a constant input above the
rheobase i_dep + x_threshold/(mobility·tau_leak) the interspike interval is

    T = tau_leak·ln(x∞/(x∞ − x_threshold)) + t_reset.

``sigma_threshold`` is the cycle-to-cycle relative spread of the threshold position (the wall depins from the
read MTJ's notch at a slightly different place each time), drawn afresh after every spike. The defaults follow
the device of Wang et al. 2022 (integration and leak of 12–15 ns, about 65 µW while integrating at 150 µA through
a ``r_track`` of 2.9 kΩ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LifParams:
    """Domain-wall LIF neuron parameters (SI)."""

    i_dep: float = 50e-6  #: depinning current, A
    mobility: float = 5e5  #: wall velocity per ampere above depinning, (m/s)/A
    tau_leak: float = 15e-9  #: leak time constant, s
    x_threshold: float = 320e-9  #: position of the read MTJ along the track, m
    t_reset: float = 1e-9  #: time to reset the wall after a spike (refractory), s
    sigma_threshold: float = 0.0  #: relative cycle-to-cycle spread of the threshold position
    r_track: float = 2900.0  #: resistance of the write path the input current flows through, Ω

    def __post_init__(self) -> None:
        for name in ("i_dep", "mobility", "tau_leak", "x_threshold", "r_track"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("t_reset", "sigma_threshold"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")

    @property
    def rheobase(self) -> float:
        """Smallest constant current that makes the neuron fire, A."""
        return self.i_dep + self.x_threshold / (self.mobility * self.tau_leak)

    def interval(self, current: np.ndarray | float) -> np.ndarray:
        """Interspike interval (s) at constant ``current`` (A) without threshold spread; inf below the rheobase."""
        x_inf = self.mobility * np.maximum(np.asarray(current, dtype=float) - self.i_dep, 0.0) * self.tau_leak
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.tau_leak * np.log(x_inf / (x_inf - self.x_threshold))
        return np.where(x_inf > self.x_threshold, t + self.t_reset, np.inf)

    def rate(self, current: np.ndarray | float) -> np.ndarray:
        """Spike rate (Hz) at constant ``current`` (A): the f–I curve."""
        return 1.0 / self.interval(current)

    def integration_power(self, current: float) -> float:
        """Power (W) the input current dissipates in the write path while integrating."""
        return current**2 * self.r_track


class DomainWallLifNeuron:
    """One DW-MTJ LIF neuron; :meth:`run` feeds it a sampled input current and returns the spike times."""

    def __init__(self, params: LifParams | None = None, rng: np.random.Generator | None = None) -> None:
        self.params = params or LifParams()
        self.rng = rng or np.random.default_rng()
        self.position = 0.0  #: wall position, m
        self._refractory = 0.0  # s left of the reset
        self._threshold = self._draw_threshold()

    def _draw_threshold(self) -> float:
        p = self.params
        return p.x_threshold * max(1.0 + p.sigma_threshold * self.rng.standard_normal(), 1e-3)

    def run(self, current: np.ndarray, dt: float) -> np.ndarray:
        """Spike times (s, from the start of this call) for input ``current`` (A), one sample per ``dt`` (s),
        constant within each sample; the wall's position carries over to the next call."""
        if not dt > 0:
            raise ValueError(f"dt must be > 0, got {dt}")
        spikes: list[float] = []
        for k, i in enumerate(np.asarray(current, dtype=float)):
            self._step(float(i), dt, k * dt, spikes)
        return np.array(spikes)

    def _step(self, current: float, dt: float, t0: float, spikes: list[float]) -> None:
        """Advance one sample exactly, firing (and resetting) as often as the threshold is reached in it."""
        p, t = self.params, 0.0
        x_inf = p.mobility * max(current - p.i_dep, 0.0) * p.tau_leak
        while t < dt:
            if self._refractory > 0:
                wait = min(self._refractory, dt - t)
                self._refractory -= wait
                t += wait
                continue
            if x_inf > self._threshold and self.position < self._threshold:
                to_fire = p.tau_leak * math.log((x_inf - self.position) / (x_inf - self._threshold))
                if t + to_fire <= dt:
                    t += to_fire
                    spikes.append(t0 + t)
                    self.position, self._refractory = 0.0, p.t_reset
                    self._threshold = self._draw_threshold()
                    continue
            self.position = x_inf + (self.position - x_inf) * math.exp(-(dt - t) / p.tau_leak)
            t = dt
