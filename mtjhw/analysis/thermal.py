"""Thermally activated (Néel–Brown) switching under a swept drive: expected switching fields and currents.

For a drive x swept at rate dx/dt, the probability of not yet having switched at x is
S(x) = exp(−∫ r(x') dx' / (dx/dt)) with r the escape rate; the mean switching point is x0 + ∫ S dx
(Kurkijärvi). These are the analytic predictions the R-H and R-V loops are checked against.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import cumulative_trapezoid, trapezoid


def mean_switching_field(delta: float, hk: float, tau0: float, sweep_rate: float, start: float = 0.0,
                         points: int = 20001) -> float:
    """Mean field (T, relative to the loop centre) at which a state destabilised by a field swept from
    ``start`` at ``sweep_rate`` (T/s) switches, for barrier Δ(1 − H/Hk)²."""
    h = np.linspace(start, hk, points)
    rate = np.exp(-delta * (1.0 - h / hk) ** 2) / tau0
    survival = np.exp(-cumulative_trapezoid(rate, h, initial=0.0) / sweep_rate)
    return float(start + trapezoid(survival, h))


def mean_switching_current(delta: float, ic0: float, tau0: float, ramp_rate: float, n: float = 1.0,
                           points: int = 20001) -> float:
    """Mean current (A) at which a state destabilised by a current ramped from 0 at ``ramp_rate`` (A/s)
    switches, for barrier Δ(1 − I/Ic0)^n."""
    i = np.linspace(0.0, ic0, points)
    rate = np.exp(-delta * (1.0 - i / ic0) ** n) / tau0
    survival = np.exp(-cumulative_trapezoid(rate, i, initial=0.0) / ramp_rate)
    return float(trapezoid(survival, i))
