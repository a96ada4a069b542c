"""Pulsed switching probability in its two regimes, fitted by maximum likelihood over binomial counts.

*Thermal activation* (pulses much longer than the attempt time τ0, I < Ic0; Néel–Brown, eq. (4) of the review):
P_sw = 1 − exp(−t·r(I)) with the escape rate r = g(I/Ic0)·exp(−Δ(1 − I/Ic0)^n)/τ0 of
:func:`mtjhw.analysis.thermal.escape_rate` (g: Brown's drive-dependent prefactor, or 1). τ0 is fixed: it is
degenerate with Δ (for n = 1 only Δ + ln τ0 and Δ/Ic0 are measurable).

*Precessional switching* (ns pulses, I > Ic0; Sun, PRB 62, 570 (2000); Koch et al., PRL 92, 088302 (2004)):
the switching time is τ_sw = τ_D·ln(π/(2θ0))/(I/Ic0 − 1), τ_D = (1 + α²)/(α γ μ0Hk). With the initial angle
θ0 thermal (θ0² exponential with mean 1/Δ), a pulse of width t switches when θ0 > (π/2)·exp(−t(I/Ic0 − 1)/τ_D):
P_sw = exp(−exp(2(τ* − t(I/Ic0 − 1))/τ_D)), τ* = τ_D·ln(π/(2θ_rms)), θ_rms = 1/√Δ. I50(t) = Ic0(1 + τ50/t) with
τ50 = τ* − (τ_D/2)·ln ln 2, so Ic0 and τ* need at least two widths.

Counts enter as (switched of trials) at each (current, width), so points at P = 0 or 1 still count and write-error
rates of 1e-4 weigh by their statistics. Where the reset before a trial was seen to fail in a fraction f of checks,
a trial reads as switched with probability f + (1 − f)·P_sw. Uncertainties come from the Fisher information.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.stats import chi2

from . import AnalysisError
from .thermal import escape_rate

#: Lowest barrier (kBT) at the switching current for which the Néel–Brown rate holds: the barrier at I50 is
#: ln(t/(τ0 ln 2)), so pulses shorter than about 5 τ0 are outside the thermal regime.
MIN_BARRIER = 2.0
#: A model whose deviance has a p-value below this does not describe the counts.
MIN_FIT_PROBABILITY = 1e-4
#: Largest relative 1σ error of a fitted parameter for the fit to count as constraining it.
MAX_RELATIVE_ERROR = 0.25


def switching_probability(current: np.ndarray, width: np.ndarray, delta: float, ic0: float, tau0: float,
                          n: float = 2.0, law: str = "brown") -> np.ndarray:
    """Néel–Brown probability that a pulse of ``current`` (A) and ``width`` (s) switches the device (attempt
    ``law`` as in :func:`mtjhw.analysis.thermal.escape_rate`)."""
    rate = escape_rate(np.asarray(current, dtype=float) / ic0, delta, tau0, n, law)
    return -np.expm1(-np.asarray(width, dtype=float) * rate)


def precessional_probability(current: np.ndarray, width: np.ndarray, ic0: float, tau_star: float,
                             tau_d: float) -> np.ndarray:
    """Precessional probability that a pulse of ``current`` (A) and ``width`` (s) switches the device, for
    critical current ``ic0`` (A), τ* = τ_D·ln(π/(2θ_rms)) (s) and the precession time τ_D (s); 0 below Ic0."""
    overdrive = np.asarray(current, dtype=float) / ic0 - 1.0
    exponent = 2.0 * (tau_star - np.asarray(width, dtype=float) * overdrive) / tau_d
    return np.where(overdrive > 0, np.exp(-np.exp(np.minimum(exponent, 700.0))), 0.0)


@dataclass
class SwitchingFit:
    """A fitted switching model: its ``regime`` ('thermal' or 'precessional'), named parameters with their 1σ
    errors, and the model itself (``probability``) for the I50 and the plots."""

    regime: str
    values: dict[str, float]
    errors: dict[str, float]
    deviance: float
    dof: int
    _model: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    _theta: np.ndarray
    _cov: np.ndarray

    def probability(self, current: np.ndarray, width: np.ndarray) -> np.ndarray:
        return self._model(np.asarray(current, dtype=float), np.asarray(width, dtype=float), self._theta)

    def i50(self, width: float) -> tuple[float, float]:
        """Current (A) at which a pulse of ``width`` (s) switches with probability 1/2, and its 1σ error."""
        def at(theta: np.ndarray) -> float:
            scale = self.values["ic0"]
            return brentq(lambda i: self._model(np.array([i]), np.array([width]), theta)[0] - 0.5,
                          1e-3 * scale, 1e3 * scale, xtol=1e-12 * scale)
        value = at(self._theta)
        gradient = _gradient(lambda theta: np.array([at(theta)]), self._theta)[:, 0]
        return value, float(np.sqrt(gradient @ self._cov @ gradient))


def fit_switching(current: np.ndarray, width: np.ndarray, switched: np.ndarray, trials: np.ndarray,
                  tau0: float = 1e-9, n: float = 2.0, reset_failure: np.ndarray | float = 0.0,
                  law: str = "brown") -> SwitchingFit:
    """The model of the regime the counts are in: thermal activation (Δ, Ic0; τ0 fixed, attempt ``law``, current
    exponent ``n``) where the pulses are
    long enough for it, precessional switching (Ic0, τ*, τ_D) where several widths are measured; of two that
    both describe the counts, the one with the lower Akaike criterion. :class:`AnalysisError` saying why when
    no model describes and constrains the data."""
    data = _counts(current, width, switched, trials, reset_failure)
    fits, reasons = [], []
    for fitter in (_fit_thermal, _fit_precessional):
        try:
            fits.append(fitter(data, tau0, n, law))
        except AnalysisError as exc:
            reasons.append(str(exc))
    if not fits:
        raise AnalysisError("; ".join(reasons))
    return min(fits, key=lambda f: f.deviance + 2 * len(f.errors))


@dataclass
class _Counts:
    current: np.ndarray
    width: np.ndarray
    switched: np.ndarray
    trials: np.ndarray
    stuck: np.ndarray  # fraction of trials whose reset failed


def _counts(current: np.ndarray, width: np.ndarray, switched: np.ndarray, trials: np.ndarray,
            reset_failure: np.ndarray | float) -> _Counts:
    i = np.asarray(current, dtype=float)
    k, m = np.asarray(switched, dtype=float), np.asarray(trials, dtype=float)
    data = _Counts(i, np.broadcast_to(np.asarray(width, dtype=float), i.shape), k, m,
                   np.broadcast_to(np.asarray(reset_failure, dtype=float), i.shape))
    if i.size < 3 or np.any(m <= 0) or np.any((k < 0) | (k > m)):
        raise AnalysisError("need >= 3 amplitudes with 0 <= switched <= trials")
    if np.any((data.stuck < 0) | (data.stuck >= 1)):
        raise AnalysisError("every reset failed at some amplitude: the counts there say nothing about switching")
    inner = (k > 0) & (k < m)
    if inner.sum() < 2 and not (np.any(k == 0) and np.any(k == m) and inner.sum() >= 1):
        raise AnalysisError("the transition is not resolved: P_sw is 0 or 1 at almost every amplitude "
                            "(narrow the amplitude range around the switching current, or add trials)")
    return data


def _fit_thermal(data: _Counts, tau0: float, n: float, law: str) -> SwitchingFit:
    short = float(np.min(data.width))
    barrier = math.log(short / (tau0 * math.log(2.0)))
    if barrier < MIN_BARRIER:
        raise AnalysisError(f"pulses of {short:.3g} s are too short for thermal activation with τ0 = {tau0:.3g} s "
                            f"(barrier at I50 {barrier:.1f} kBT < {MIN_BARRIER:g})")

    def model(i: np.ndarray, w: np.ndarray, theta: np.ndarray) -> np.ndarray:
        return switching_probability(i, w, math.exp(theta[0]), math.exp(theta[1]), tau0, n, law)

    # start: ln(−ln(1 − P)) = ln(t/τ0) − Δ + (Δ/Ic0)·I is linear in I (n = 1)
    p = np.clip(data.switched / data.trials, 0.5 / data.trials, 1 - 0.5 / data.trials)
    slope, intercept = np.polyfit(data.current, np.log(-np.log1p(-p)) - np.log(data.width / tau0), 1)
    delta0 = max(-intercept, 1.0)
    if not slope > 0:
        raise AnalysisError("switching probability does not rise with current: no thermal-activation fit")
    fit = _maximum_likelihood("thermal", ("delta", "ic0"), model, data, [math.log(delta0), math.log(delta0 / slope)])
    if not 0.5 < fit.values["delta"] < 1000:
        raise AnalysisError("thermal-activation fit did not converge to a physical result "
                            f"(Δ = {fit.values['delta']:.3g})")
    fit.values |= {"tau0": tau0, "n": n}
    return fit


def _fit_precessional(data: _Counts, tau0: float, n: float, law: str) -> SwitchingFit:
    widths = np.unique(data.width)
    if widths.size < 2:
        raise AnalysisError("a single pulse width cannot separate Ic0 from τ_D·ln(π/2θ0) in the precessional "
                            "regime: measure at several widths (widths, width_max)")

    def model(i: np.ndarray, w: np.ndarray, theta: np.ndarray) -> np.ndarray:
        return precessional_probability(i, w, *np.exp(theta))

    # start: I50 = Ic0·(1 + τ50/t) is linear in 1/t
    i50 = np.array([_crossing(data, w) for w in widths])
    slope, intercept = np.polyfit(1 / widths, i50, 1)
    if not (intercept > 0 and slope > 0):
        raise AnalysisError("the switching current does not fall with pulse width as precessional switching does")
    tau50 = slope / intercept
    start = [math.log(intercept), math.log(tau50), math.log(tau50 / 2)]
    return _maximum_likelihood("precessional", ("ic0", "tau_star", "tau_d"), model, data, start)


def _crossing(data: _Counts, width: float) -> float:
    """Current (A) where the measured P_sw at ``width`` first reaches 1/2 (interpolated)."""
    sel = data.width == width
    order = np.argsort(data.current[sel])
    i, p = data.current[sel][order], (data.switched / data.trials)[sel][order]
    above = np.flatnonzero(p >= 0.5)
    if above.size == 0 or above[0] == 0:
        raise AnalysisError(f"P_sw does not cross 1/2 inside the amplitude range at width {width:.3g} s")
    k = above[0]
    return float(np.interp(0.5, p[k - 1:k + 1], i[k - 1:k + 1]))


def _maximum_likelihood(regime: str, names: tuple[str, ...], model: Callable, data: _Counts,
                        start: list[float]) -> SwitchingFit:
    """Binomial maximum likelihood over log-parameters; errors from the Fisher information; deviance check."""
    k, m, f = data.switched, data.trials, data.stuck

    def observed(theta: np.ndarray) -> np.ndarray:
        return np.clip(f + (1 - f) * model(data.current, data.width, theta), 1e-300, 1 - 1e-16)

    def nll(theta: np.ndarray) -> float:
        q = observed(theta)
        return -float(np.sum(k * np.log(q) + (m - k) * np.log1p(-q)))

    result = minimize(nll, start, method="Nelder-Mead",
                      options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 40000, "maxfev": 40000})
    theta = result.x
    if not result.success:
        raise AnalysisError(f"{regime} fit did not converge: {result.message}")
    jac = _gradient(observed, theta)
    q = observed(theta)
    fisher = (jac * (m / (q * (1 - q)))[None, :]) @ jac.T
    try:
        cov = np.linalg.inv(fisher)
    except np.linalg.LinAlgError:
        raise AnalysisError(f"the counts do not constrain the {regime} model's {', '.join(names)}") from None
    relative = np.sqrt(np.clip(np.diag(cov), 0, np.inf))
    values = dict(zip(names, np.exp(theta).tolist(), strict=True))
    errors = {name: values[name] * float(r) for name, r in zip(names, relative, strict=True)}
    loose = [name for name, r in zip(names, relative, strict=True) if not r <= MAX_RELATIVE_ERROR]
    if loose:
        raise AnalysisError(f"the counts do not constrain the {regime} model's {', '.join(loose)} (relative error "
                            f"above {MAX_RELATIVE_ERROR:.0%}): widen the amplitude range or add trials")
    deviance = _deviance(k, m, q)
    dof = max(k.size - len(names), 1)
    if chi2.sf(deviance, dof) < MIN_FIT_PROBABILITY:
        raise AnalysisError(f"the {regime} model does not describe the counts (deviance {deviance:.1f} for {dof} "
                            "degrees of freedom)")
    return SwitchingFit(regime, values, errors, deviance, dof, model, theta, cov)


def _gradient(function: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Central-difference Jacobian of a vector ``function`` of log-parameters: (parameters, outputs)."""
    rows = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = step
        rows.append((function(theta + e) - function(theta - e)) / (2 * step))
    return np.array(rows)


def _deviance(k: np.ndarray, m: np.ndarray, q: np.ndarray) -> float:
    """Binomial deviance G² of the counts ``k`` of ``m`` against the probabilities ``q``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(k > 0, k * np.log(k / (m * q)), 0.0)
        b = np.where(m > k, (m - k) * np.log((m - k) / (m * (1 - q))), 0.0)
    return float(2 * np.sum(a + b))


def wer_upper_bound(failures: int, trials: int, confidence: float = 0.95) -> float:
    """Upper bound of a write-error rate seen as ``failures`` in ``trials`` (exact for 0: 1 − (1 − c)^(1/N))."""
    from scipy.stats import beta

    if failures >= trials:
        return 1.0
    return float(beta.ppf(confidence, failures + 1, trials - failures))
