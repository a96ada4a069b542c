"""Weibull statistics of times (or voltages) to breakdown: maximum-likelihood fit with censored survivors.

A device that broke down at t contributes the density f(t) = (β/η)(t/η)^{β−1} exp(−(t/η)^β), one that survived
to its censoring time c the survival exp(−(c/η)^β); the fit maximises the sum of their logarithms over (ln β,
ln η) and takes the 1σ errors from the observed information (the inverse Hessian of −ln L).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from . import AnalysisError

#: fewest breakdowns a fit accepts
MIN_BREAKDOWNS = 5


@dataclass(frozen=True)
class WeibullFit:
    """Shape ``beta`` and scale ``eta`` (the 63 % quantile, in the units of the data) with 1σ errors."""

    beta: float
    beta_err: float
    eta: float
    eta_err: float
    breakdowns: int
    censored: int


def _negative_log_likelihood(theta: np.ndarray, ln_t: np.ndarray, ln_c: np.ndarray) -> float:
    ln_beta, ln_eta = theta
    beta = np.exp(ln_beta)
    z_t, z_c = beta * (ln_t - ln_eta), beta * (ln_c - ln_eta)
    return float(-(ln_t.size * ln_beta + np.sum(z_t - ln_t) - np.sum(np.exp(z_t)) - np.sum(np.exp(z_c))))


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``x``."""
    n = x.size
    h = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * step, np.eye(n)[j] * step
            h[i, j] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)) / (4 * step**2)
    return h


def fit_weibull(times: np.ndarray, censored: np.ndarray) -> WeibullFit:
    """ML Weibull fit of breakdown ``times`` (> 0) with the survivors right-censored at ``censored`` (their
    censoring times, > 0); refuses with fewer than :data:`MIN_BREAKDOWNS` breakdowns."""
    t, c = np.asarray(times, dtype=float), np.asarray(censored, dtype=float)
    if t.size < MIN_BREAKDOWNS:
        raise AnalysisError(f"{t.size} of {t.size + c.size} devices broke down: a Weibull fit needs at least "
                            f"{MIN_BREAKDOWNS} breakdowns (stress harder or longer, or more devices)")
    if np.any(t <= 0) or np.any(c <= 0):
        raise AnalysisError("times to breakdown and censoring times must be > 0")
    ln_t, ln_c = np.log(t), np.log(c)
    spread = float(np.std(ln_t))
    if spread == 0:
        raise AnalysisError(f"all {t.size} breakdowns at one time ({t[0]:.3g}): the Weibull shape is not "
                            "constrained (read back more often)")
    start = np.array([np.log(1.28 / spread), float(np.mean(ln_t)) + 0.5772 * spread / 1.28])
    nll = lambda theta: _negative_log_likelihood(theta, ln_t, ln_c)  # noqa: E731
    best = minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000})
    try:
        covariance = np.linalg.inv(_hessian(nll, best.x))
    except np.linalg.LinAlgError:
        covariance = np.full((2, 2), np.nan)
    if not best.success or not np.all(np.diag(covariance) > 0):
        raise AnalysisError(f"the Weibull fit of {t.size} breakdowns did not converge ({best.message})")
    (ln_beta, ln_eta), (var_beta, var_eta) = best.x, np.diag(covariance)
    beta, eta = float(np.exp(ln_beta)), float(np.exp(ln_eta))
    return WeibullFit(beta, beta * float(np.sqrt(var_beta)), eta, eta * float(np.sqrt(var_eta)), t.size, c.size)


def plotting_positions(times: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted breakdown ``times`` and their Weibull plot ordinate ln(−ln(1 − F)), F by Bernard's median rank
    (i − 0.3)/(n + 0.4) among ``total`` devices (survivors censored after the last breakdown)."""
    t = np.sort(np.asarray(times, dtype=float))
    f = (np.arange(1, t.size + 1) - 0.3) / (total + 0.4)
    return t, np.log(-np.log1p(-f))
