"""Random telegraph noise: two-level state detection with hysteresis, dwell times, and the Néel–Brown fit
ln τ_P,AP = ln τ0 + Δ_P,AP·(1 ± I/Ic0)^n − ln g across bias currents (eq. (4) of the review; g the attempt law of
:func:`mtjhw.analysis.thermal.escape_rate`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import AnalysisError
from .fitting import fit_curve
from .loops import two_states
from .thermal import escape_rate


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
    """Barriers (kBT) and critical current (A) from dwell times, with 1σ errors; τ0 (s) as fixed."""

    delta: float
    delta_p: float
    delta_ap: float
    ic0: float
    tau0: float
    delta_err: float
    delta_p_err: float
    delta_ap_err: float
    ic0_err: float


def dwell_model(current: np.ndarray, is_ap: np.ndarray, delta_p: float, delta_ap: float, ic0: float,
                tau0: float, n: float = 2.0, law: str = "brown") -> np.ndarray:
    """ln τ (τ in s) of P (``is_ap`` False) and AP dwells at ``current`` (A): −ln r with the escape rate r of
    :func:`mtjhw.analysis.thermal.escape_rate` at the destabilising drive ∓I/Ic0 (positive current holds P),
    i.e. ln τ0 + Δ_P,AP·(1 ± I/Ic0)^n − ln g."""
    x = np.asarray(current, dtype=float) / ic0
    is_ap = np.asarray(is_ap, dtype=bool)
    return np.where(is_ap, -np.log(escape_rate(x, delta_ap, tau0, n, law)),
                    -np.log(escape_rate(-x, delta_p, tau0, n, law)))


def fit_telegraph(current: np.ndarray, tau_p: np.ndarray, tau_ap: np.ndarray, tau0: float = 1e-9, n: float = 2.0,
                  tau_p_err: np.ndarray | None = None, tau_ap_err: np.ndarray | None = None,
                  law: str = "brown") -> TelegraphFit:
    """Δ and Ic0 from dwell times vs current (τ0 fixed: for n = 1 it is degenerate with Δ), weighted by the dwell
    times' standard errors when given. Each state gets its own barrier (a stray field makes them differ);
    Δ = ((√Δ_P + √Δ_AP)/2)²."""
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
    ic0_start = 0.5 * (n * delta_p / slope_p + n * delta_ap / -slope_ap)
    x = np.concatenate([i, i])
    is_ap = np.concatenate([np.zeros(i.size, bool), np.ones(i.size, bool)])
    y = np.log(np.concatenate([tau_p, tau_ap]))
    sigma = None
    if tau_p_err is not None and tau_ap_err is not None:
        sigma = np.concatenate([tau_p_err, tau_ap_err]) / np.exp(y)
    (dp, dap, ic0), cov = fit_curve(lambda xx, a, b, c: dwell_model(xx, is_ap, a, b, c, tau0, n, law), x, y,
                                    [delta_p, delta_ap, ic0_start], sigma=sigma, what="dwell-time fit",
                                    covariance=True)
    if not (dp > 0 and dap > 0 and ic0 > 0):
        raise AnalysisError(f"dwell-time fit gave an unphysical result (Δ_P {dp:.3g}, Δ_AP {dap:.3g}, Ic0 {ic0:.3g})")
    delta = ((math.sqrt(dp) + math.sqrt(dap)) / 2) ** 2
    grad = np.array([math.sqrt(delta) / (2 * math.sqrt(dp)), math.sqrt(delta) / (2 * math.sqrt(dap)), 0.0])
    err = np.sqrt(np.diag(cov))
    return TelegraphFit(delta, float(dp), float(dap), float(ic0), tau0, float(np.sqrt(grad @ cov @ grad)),
                        float(err[0]), float(err[1]), float(err[2]))
