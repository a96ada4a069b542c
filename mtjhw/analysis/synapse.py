"""Multi-level synapse figures from LTP/LTD conductance staircases.

Nonlinearity follows the common exponential model G(n) = G_min + ΔG·(1 − e^(−ν·n/N))/(1 − e^(−ν)) for
potentiation (ν = 0: linear; larger ν: steps shrink as G saturates) and its mirror for depression.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from . import AnalysisError


def _model(n_over_N: np.ndarray, nu: float) -> np.ndarray:
    if abs(nu) < 1e-9:
        return n_over_N
    return -np.expm1(-nu * n_over_N) / -np.expm1(-nu)


def nonlinearity(g: np.ndarray) -> float:
    """ν of a monotonic staircase ``g`` (potentiation: rising; pass depression reversed and negated the same
    way), from the normalised curve's area: linear = 1/2."""
    g = np.asarray(g, dtype=float)
    span = g[-1] - g[0]
    if abs(span) <= 0:
        raise AnalysisError("the conductance did not change over the pulse train: no synaptic plasticity")
    x = np.linspace(0, 1, g.size)
    y = (g - g[0]) / span
    area = float(np.mean(y))

    def mismatch(nu: float) -> float:
        return float(np.mean(_model(x, nu))) - area

    lo, hi = -30.0, 30.0
    if mismatch(lo) * mismatch(hi) > 0:
        return float(np.sign(area - 0.5) * 30.0)
    return float(brentq(mismatch, lo, hi))


def distinguishable_levels(g: np.ndarray, noise: float) -> int:
    """Number of conductance levels: clusters of readings separated by gaps wider than 6 × ``noise`` (S, read
    noise σ), i.e. levels that a ±3σ read window tells apart."""
    levels = np.sort(np.asarray(g, dtype=float))
    return int(np.sum(np.diff(levels) > 6 * noise)) + 1


def nonlinearity_error(g: np.ndarray, noise: float, resamples: int = 200, seed: int = 0) -> float:
    """1σ uncertainty of :func:`nonlinearity` from the read noise: the spread of ν over ``resamples``
    staircases with Gaussian noise of σ = ``noise`` (S) added (parametric bootstrap, seeded)."""
    rng = np.random.default_rng(seed)
    g = np.asarray(g, dtype=float)
    values = []
    for _ in range(resamples):
        try:
            values.append(nonlinearity(g + noise * rng.standard_normal(g.size)))
        except AnalysisError:
            continue
    return float(np.std(values, ddof=1)) if len(values) > 1 else float("inf")


def staircase(n_pulses: int, g_start: float, g_end: float, nu: float) -> np.ndarray:
    """The model staircase of ``n_pulses`` conductances (S) from ``g_start`` to ``g_end`` with nonlinearity ν."""
    return g_start + (g_end - g_start) * _model(np.linspace(0, 1, n_pulses), nu)
