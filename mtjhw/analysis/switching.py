"""Thermally activated switching probability: P_sw = 1 − exp(−(t/τ0)·exp(−Δ(1 − I/Ic0)^n)).

Fits are maximum-likelihood over binomial counts (switched of trials) at each (current, width), so points at
P = 0 or 1 still count (as bounds) and write-error rates of 1e-4 weigh by their statistics. τ0 is fixed unless
asked: in the thermal regime it is degenerate with Δ for n = 1 (only Δ + ln τ0 and Δ/Ic0 are measurable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from . import AnalysisError


def switching_probability(current: np.ndarray, width: np.ndarray, delta: float, ic0: float, tau0: float,
                          n: float = 1.0) -> np.ndarray:
    """Néel–Brown probability that a pulse of ``current`` (A) and ``width`` (s) switches the device."""
    i = np.clip(np.asarray(current, dtype=float) / ic0, -np.inf, 1.0)
    rate = np.exp(-delta * (1.0 - i) ** n) / tau0
    return -np.expm1(-np.asarray(width, dtype=float) * rate)


@dataclass
class SwitchingFit:
    delta: float
    ic0: float
    tau0: float
    n: float

    def i50(self, width: float) -> float:
        """Current (A) at which a pulse of ``width`` switches with probability 1/2."""
        x = math.log(width / (self.tau0 * math.log(2.0))) / self.delta
        return self.ic0 * (1.0 - x ** (1.0 / self.n)) if x > 0 else self.ic0


def fit_switching(current: np.ndarray, width: np.ndarray, switched: np.ndarray, trials: np.ndarray,
                  tau0: float = 1e-9, n: float = 1.0, fit_tau0: bool = False) -> SwitchingFit:
    """Δ and Ic0 (and τ0 when ``fit_tau0``) from switching counts; :class:`AnalysisError` if the data cannot
    constrain them (no transition region resolved, too few points, or a fit at its bounds)."""
    i = np.asarray(current, dtype=float)
    w = np.broadcast_to(np.asarray(width, dtype=float), i.shape)
    k = np.asarray(switched, dtype=float)
    m = np.asarray(trials, dtype=float)
    if i.size < 3 or np.any(m <= 0) or np.any((k < 0) | (k > m)):
        raise AnalysisError("need >= 3 amplitudes with 0 <= switched <= trials")
    inner = (k > 0) & (k < m)
    if inner.sum() < 2 and not (np.any(k == 0) and np.any(k == m) and inner.sum() >= 1):
        raise AnalysisError("the transition is not resolved: P_sw is 0 or 1 at almost every amplitude "
                            "(narrow the amplitude range around the switching current, or add trials)")
    if fit_tau0 and (n == 1.0 or np.unique(w).size < 2):
        raise AnalysisError("τ0 cannot be fitted with n = 1 or a single width (it is degenerate with Δ): "
                            "fix tau0, or measure several widths with n = 2")
    # Starting point: linear fit of ln(−ln(1 − P)) = ln(w/τ0) − Δ + (Δ/Ic0)·I on the inner points.
    p = np.clip(k / m, 0.5 / m, 1 - 0.5 / m)
    y = np.log(-np.log1p(-p)) - np.log(w / tau0)
    slope, intercept = np.polyfit(i, y, 1)
    delta0 = max(-intercept, 1.0)
    ic00 = delta0 / slope if slope > 0 else float(np.max(i))
    if not (np.isfinite(ic00) and ic00 > 0):
        raise AnalysisError("switching probability does not rise with current: no thermal-activation fit")

    def unpack(theta: np.ndarray) -> tuple[float, float, float]:
        return math.exp(theta[0]), math.exp(theta[1]), math.exp(theta[2]) if fit_tau0 else tau0

    def nll(theta: np.ndarray) -> float:
        d, c, t0 = unpack(theta)
        q = np.clip(switching_probability(i, w, d, c, t0, n), 1e-300, 1 - 1e-16)
        return -float(np.sum(k * np.log(q) + (m - k) * np.log1p(-q)))

    start = [math.log(delta0), math.log(ic00)] + ([math.log(tau0)] if fit_tau0 else [])
    result = minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 20000})
    d, c, t0 = unpack(result.x)
    if not result.success or not (0.5 < d < 1000) or not (c > 0):
        raise AnalysisError(f"thermal-activation fit did not converge to a physical result (Δ = {d:.3g})")
    return SwitchingFit(d, c, t0, n)


def wer_upper_bound(failures: int, trials: int, confidence: float = 0.95) -> float:
    """Upper bound of a write-error rate seen as ``failures`` in ``trials`` (exact for 0: 1 − (1 − c)^(1/N))."""
    from scipy.stats import beta

    if failures >= trials:
        return 1.0
    return float(beta.ppf(confidence, failures + 1, trials - failures))
