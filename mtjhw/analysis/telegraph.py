"""Random telegraph noise: two-level state detection with hysteresis, dwell times, and the Néel–Brown fit
ln τ_P,AP = ln τ0 + Δ_P,AP·(1 ± I/Ic0) across bias currents (eq. (4) of the review, n = 1)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import AnalysisError
from .loops import two_states


def detect_states(v: np.ndarray, hysteresis: float = 0.3) -> tuple[np.ndarray, float, float]:
    """Two-level state of every sample (True = the level of larger |V|) with hysteresis: a switch needs the
    signal to cross ``hysteresis``/2 beyond the midpoint between the levels. Returns (states, low, high)."""
    v = np.asarray(v, dtype=float)
    magnitude = np.abs(v)
    is_high, low, high = two_states(magnitude)
    span = high - low
    upper, lower = low + span * (0.5 + hysteresis / 2), low + span * (0.5 - hysteresis / 2)
    # The state is that of the last threshold crossed: mark crossings, then carry each forward.
    marks = np.where(magnitude > upper, 1, np.where(magnitude < lower, 0, -1))
    marks[0] = int(is_high[0]) if marks[0] < 0 else marks[0]
    last = np.maximum.accumulate(np.where(marks >= 0, np.arange(marks.size), 0))
    return marks[last].astype(bool), low, high


def dwell_times(states: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Complete dwell times (s) in the high and in the low state (the censored first and last run dropped)."""
    s = np.asarray(states, dtype=bool)
    edges = np.flatnonzero(np.diff(s.astype(np.int8))) + 1
    if edges.size < 2:
        return np.empty(0), np.empty(0)
    runs = np.diff(edges) * dt
    first_state = s[edges[0]]
    kinds = np.where(np.arange(runs.size) % 2 == 0, first_state, not first_state)
    return runs[kinds], runs[~kinds]


def mean_dwell(dwells: np.ndarray, dead_time: float, min_count: int = 20) -> tuple[float, float]:
    """Mean dwell (s) and its standard error from an exponential with detection ``dead_time``: the memoryless
    estimate mean(d − t_min) over dwells d ≥ t_min. :class:`AnalysisError` with fewer than ``min_count``."""
    d = np.asarray(dwells, dtype=float)
    d = d[d >= dead_time]
    if d.size < min_count:
        raise AnalysisError(f"only {d.size} complete dwells: capture longer, or change the bias current")
    tau = float(np.mean(d - dead_time))
    return tau, tau / math.sqrt(d.size)


@dataclass
class TelegraphFit:
    delta: float
    delta_p: float
    delta_ap: float
    ic0: float
    tau0: float


def fit_telegraph(current: np.ndarray, tau_p: np.ndarray, tau_ap: np.ndarray, tau0: float = 1e-9) -> TelegraphFit:
    """Δ and Ic0 from dwell times vs current (τ0 fixed: for n = 1 it is degenerate with Δ). Each state gets
    its own barrier (a stray field makes them differ); Δ = ((√Δ_P + √Δ_AP)/2)²."""
    i = np.asarray(current, dtype=float)
    if i.size < 3 or np.ptp(i) == 0:
        raise AnalysisError("need dwell times at >= 3 different currents")
    slope_p, intercept_p = np.polyfit(i, np.log(tau_p), 1)
    slope_ap, intercept_ap = np.polyfit(i, np.log(tau_ap), 1)
    if not (slope_p > 0 > slope_ap):
        raise AnalysisError("dwell times do not follow spin-transfer torque (τ_P must rise and τ_AP fall with "
                            "current): check the current range and polarity")
    delta_p, delta_ap = intercept_p - math.log(tau0), intercept_ap - math.log(tau0)
    if delta_p <= 0 or delta_ap <= 0:
        raise AnalysisError(f"dwell times shorter than the attempt time τ0 = {tau0:g} s: wrong τ0")
    ic0 = 0.5 * (delta_p / slope_p + delta_ap / -slope_ap)
    delta = ((math.sqrt(delta_p) + math.sqrt(delta_ap)) / 2) ** 2
    return TelegraphFit(delta, delta_p, delta_ap, ic0, tau0)
