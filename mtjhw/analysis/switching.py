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

*Voltage pulses* (what a bench applies through its bias tee: :func:`fit_voltage_switching`): the current follows
the conductance of the magnetisation being switched, I = V·(G_avg + G_diff·m_z), which is not an effective field
of the AP current alone: with a = 1 + V·G_diff/Ic0 and b = −V·G_avg/Ic0 (AP → P, no net field) the barrier is
Δ(a + b)²/a, not Δ(1 − V·G_AP/Ic0)², and reading Δ off the latter returns 0.4–0.75 of it. The model there is the
symmetric macrospin's Fokker–Planck equation (Brown 1963; Butler et al., IEEE Trans. Magn. 48, 4684 (2012))
with the measured conductances of both states at each pulse voltage, in every regime: the exact escape rate for
long pulses, the first-passage distribution from the thermal distribution at the read bias for short ones
(crossover, precessional). Δ and Ic0 are fitted with the zero-drive attempt time τ0 fixed, which fixes the
precession time τ_D = (1+α²)/(αγμ0Hk) for each Δ.

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

from mtjhw.simulators.physics import fokker_planck as fp
from mtjhw.simulators.physics import switching_laws

from . import AnalysisError
from .thermal import escape_rate

#: Lowest barrier (kBT) at the switching current for which the Néel–Brown rate holds: the barrier at I50 is
#: ln(t/(τ0 ln 2)), so pulses shorter than about 5 τ0 are outside the thermal regime.
MIN_BARRIER = 2.0
#: A model whose deviance has a p-value below this does not describe the counts.
MIN_FIT_PROBABILITY = 1e-4
#: Largest relative 1σ error of a fitted parameter for the fit to count as constraining it.
MAX_RELATIVE_ERROR = 0.25
#: Largest relative 1σ error of Δ for a precessional voltage fit to report it (it enters only through ln θ0 and
#: τ_D(Δ, τ0): a loose Δ is no measurement)
PRECESSIONAL_DELTA_ERROR = 0.05


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


@dataclass(frozen=True)
class PulseConductance:
    """Conductances (S) of the P and AP states at each pulse voltage, and at the read bias ``read_voltage`` (V)
    the device rests at before each write."""

    g_p: np.ndarray
    g_ap: np.ndarray
    read_voltage: float
    g_p_read: float
    g_ap_read: float


def voltage_switching_probability(voltage: np.ndarray, width: np.ndarray, conductance: PulseConductance,
                                  delta: float, ic0: float, tau0: float) -> np.ndarray:
    """Probability that a voltage pulse (``voltage`` V across the junction, ``width`` s) switches AP → P: the
    macrospin's first-passage law with I = V·G(m_z), for Δ, ``ic0`` (A) and the zero-drive attempt time
    ``tau0`` (s), from the thermal distribution at the read bias, no net field."""
    v, w = np.broadcast_arrays(np.asarray(voltage, dtype=float), np.asarray(width, dtype=float))
    c = conductance
    now = (np.zeros(v.size), v.ravel() * (c.g_p + c.g_ap).ravel() / (2 * ic0),
           v.ravel() * (c.g_p - c.g_ap).ravel() / (2 * ic0))
    vr = c.read_voltage
    before = tuple(np.full(v.size, x) for x in (0.0, vr * (c.g_p_read + c.g_ap_read) / (2 * ic0),
                                                 vr * (c.g_p_read - c.g_ap_read) / (2 * ic0)))
    tau_d = np.full(v.size, precession_time(delta, tau0))
    out = np.empty(v.size)
    for duration in np.unique(w):
        sel = w.ravel() == duration
        laws, which = switching_laws.switch_laws(
            np.full(sel.sum(), -1), float(duration), np.full(sel.sum(), delta), tau_d[sel],
            tuple(x[sel] for x in now), tuple(x[sel] for x in before), 2.0, end_only=True)
        out[sel] = [laws[k].probability for k in which]
    return out.reshape(v.shape)


def precession_time(delta: float, tau0: float) -> float:
    """τ_D (s) of a macrospin whose zero-drive attempt time (mean dwell·e^{−Δ}) is ``tau0`` (s)."""
    return tau0 * math.exp(delta - float(fp.log_passage_time(delta, 1.0, 0.0, fp.THRESHOLD, -fp.THRESHOLD)[0]))


def delta_for_precession_time(tau_d: float, tau0: float) -> float:
    """The Δ whose macrospin with attempt time ``tau0`` (s) has the precession time ``tau_d`` (s)."""
    return float(brentq(lambda d: math.log(precession_time(d, tau0) / tau_d), 0.5, 2000.0, xtol=1e-9))


class VoltageSwitchingFit(SwitchingFit):
    """A voltage-pulse fit: I50 is the AP current at the pulse voltage V50 (``v50``)."""

    _conductance: PulseConductance
    _voltage: np.ndarray

    def v50(self, width: float) -> float:
        """Pulse voltage (V) that switches with probability 1/2 at ``width`` (s)."""
        v = np.unique(self._voltage)
        p = np.array([self._at(x, width, self._theta) for x in v])
        if not p[0] < 0.5 < p[-1]:
            raise AnalysisError(f"the fitted P_sw does not cross 1/2 inside the amplitude range at {width:.3g} s")
        k = int(np.flatnonzero(p >= 0.5)[0])
        return float(brentq(lambda x: self._at(x, width, self._theta) - 0.5, v[k - 1], v[k], xtol=1e-5 * v[k]))

    def _at(self, voltage: float, width: float, theta: np.ndarray) -> float:
        """Model P_sw at one ``voltage`` (V), the conductances interpolated between the measured ones."""
        order = np.argsort(self._voltage)
        v, c = self._voltage[order], self._conductance
        cond = PulseConductance(np.interp([voltage], v, c.g_p[order]), np.interp([voltage], v, c.g_ap[order]),
                                c.read_voltage, c.g_p_read, c.g_ap_read)
        return float(voltage_switching_probability(np.array([voltage]), np.array([width]), cond, *np.exp(theta),
                                                   self.values["tau0"])[0])

    def i50(self, width: float) -> tuple[float, float]:
        """AP current (A) at V50 and its 1σ error (dV50/dθ = −(∂P/∂θ)/(∂P/∂V), implicit in P(V50) = 1/2)."""
        v50, step = self.v50(width), 1e-2
        order = np.argsort(self._voltage)
        g_ap = np.interp([v50, v50 * (1 + step)], self._voltage[order], self._conductance.g_ap[order])
        by_theta = np.array([(self._at(v50, width, self._theta + step * e) - 0.5) / step
                             for e in np.eye(self._theta.size)])
        by_voltage = (self._at(v50 * (1 + step), width, self._theta) - 0.5) / (step * v50)
        current = v50 * g_ap[0]
        by_v_current = (v50 * (1 + step) * g_ap[1] - current) / (step * v50)
        gradient = -by_theta / by_voltage * by_v_current
        return float(current), float(np.sqrt(gradient @ self._cov @ gradient))


def fit_voltage_switching(voltage: np.ndarray, width: np.ndarray, switched: np.ndarray, trials: np.ndarray,
                          conductance: PulseConductance, tau0: float,
                          reset_failure: np.ndarray | float = 0.0) -> VoltageSwitchingFit:
    """Δ and Ic0 (τ0 fixed) from AP → P counts under voltage pulses (``voltage`` V across the junction), by
    binomial maximum likelihood on the macrospin model (:func:`voltage_switching_probability`).

    The regime is where V50 lies: *thermal* while the AP state is still a minimum there (Δ and Ic0 both
    constrained), *precessional* past Ic0, where a pulse measures Ic0 and the precessional delay
    τ* = τ_D·ln(π/(2θ0)) (θ0 = 1/√Δ the thermal initial angle), and Δ only through the logarithm: it is reported
    as NaN unless the counts constrain it within :data:`PRECESSIONAL_DELTA_ERROR`. :class:`AnalysisError` saying why
    when the counts do not constrain the regime's parameters or the model does not describe them."""
    data = _counts(voltage, width, switched, trials, reset_failure)
    if not tau0 > 0:
        raise AnalysisError(f"tau0 must be > 0 s, got {tau0!r}")

    def model(v: np.ndarray, w: np.ndarray, theta: np.ndarray) -> np.ndarray:
        return voltage_switching_probability(v, w, conductance, *np.exp(theta), tau0)

    theta, cov = _scoring(model, data, _voltage_start(data, conductance, tau0))
    values = dict(zip(("delta", "ic0"), np.exp(theta).tolist(), strict=True)) | {"tau0": tau0, "n": 2.0}
    q = np.clip(data.stuck + (1 - data.stuck) * model(data.current, data.width, theta), 1e-300, 1 - 1e-16)
    fit = VoltageSwitchingFit("thermal", values, {}, _deviance(data.switched, data.trials, q),
                              max(data.current.size - 2, 1), model, theta, cov)
    fit._conductance, fit._voltage = conductance, data.current
    _describe_voltage_fit(fit, data, tau0)
    return fit


def _voltage_start(data: _Counts, conductance: PulseConductance, tau0: float) -> np.ndarray:
    """Start of the likelihood search: Δ = 45 and the Ic0 that puts P_sw = 1/2 at the measured crossing."""
    width = float(np.max(data.width))
    v50 = _crossing(_Counts(data.current, data.width, data.switched, data.trials, data.stuck), width)
    sel = data.width == width
    order = np.argsort(data.current[sel])
    v, gp, gap = data.current[sel][order], conductance.g_p[sel][order], conductance.g_ap[sel][order]
    cond = PulseConductance(np.interp([v50], v, gp), np.interp([v50], v, gap), conductance.read_voltage,
                            conductance.g_p_read, conductance.g_ap_read)
    i50 = v50 * float(cond.g_ap[0])

    def at(log_ic0: float) -> float:
        return voltage_switching_probability(np.array([v50]), np.array([width]), cond, 45.0, math.exp(log_ic0),
                                             tau0)[0] - 0.5
    lo, hi = math.log(0.02 * i50), math.log(20 * i50)
    if not at(lo) > 0 > at(hi):  # a larger Ic0 switches less
        raise AnalysisError("no macrospin Ic0 between 0.05 and 50 times the AP current at V50 switches there")
    return np.array([math.log(45.0), brentq(at, lo, hi, xtol=1e-4)])


def _scoring(model: Callable, data: _Counts, start: np.ndarray, iterations: int = 30
             ) -> tuple[np.ndarray, np.ndarray]:
    """Binomial maximum likelihood by Fisher scoring (Gauss–Newton with step halving) over log-parameters, for
    models too costly for a simplex; (θ, covariance of θ)."""
    k, m, f = data.switched, data.trials, data.stuck

    def observed(theta: np.ndarray) -> np.ndarray:
        return np.clip(f + (1 - f) * model(data.current, data.width, theta), 1e-300, 1 - 1e-16)

    def nll(q: np.ndarray) -> float:
        return -float(np.sum(k * np.log(q) + (m - k) * np.log1p(-q)))

    def jacobian(theta: np.ndarray, q: np.ndarray) -> np.ndarray:  # forward: each evaluation costs
        return np.array([(observed(theta + 1e-2 * e) - q) / 1e-2 for e in np.eye(theta.size)])

    theta, q = start, observed(start)
    for _ in range(iterations):
        jac = jacobian(theta, q)
        weight = m / (q * (1 - q))
        fisher = (jac * weight) @ jac.T
        try:
            step = np.linalg.solve(fisher, jac @ ((k - m * q) / (q * (1 - q))))
        except np.linalg.LinAlgError:
            raise AnalysisError("the counts do not constrain the model (singular information)") from None
        step = np.clip(step, -1.0, 1.0)
        for _half in range(20):
            trial = observed(theta + step)
            if nll(trial) <= nll(q) + 1e-9:
                break
            step = step / 2
        theta, q = theta + step, trial
        if np.max(np.abs(step)) < 1e-4:
            break
    jac = jacobian(theta, q)
    fisher = (jac * (m / (q * (1 - q)))) @ jac.T
    try:
        return theta, np.linalg.inv(fisher)
    except np.linalg.LinAlgError:
        raise AnalysisError("the counts do not constrain the model (singular information)") from None


def _describe_voltage_fit(fit: VoltageSwitchingFit, data: _Counts, tau0: float) -> None:
    """Set the regime, the derived τ_D and τ*, and the errors; refuse what the counts do not constrain."""
    width = float(np.min(data.width))
    delta, ic0 = fit.values["delta"], fit.values["ic0"]
    v50 = fit.v50(width)
    c = fit._conductance
    order = np.argsort(fit._voltage)
    g_p, g_ap = (float(np.interp(v50, fit._voltage[order], g[order])) for g in (c.g_p, c.g_ap))
    a, b = fp.drive_coefficients(-1, 0.0, v50 * (g_p + g_ap) / (2 * ic0), v50 * (g_p - g_ap) / (2 * ic0))
    fit.regime = "thermal" if float(a + b) > 0 else "precessional"

    def derived(theta: np.ndarray) -> np.ndarray:
        d = math.exp(theta[0])
        tau_d = precession_time(d, tau0)
        return np.array([tau_d, tau_d * math.log(math.pi * math.sqrt(d) / 2)])
    tau_d, tau_star = derived(fit._theta)
    jac = _gradient(derived, fit._theta)
    spread = np.sqrt(np.clip(np.diag(jac.T @ fit._cov @ jac), 0, np.inf))
    relative = np.sqrt(np.clip(np.diag(fit._cov), 0, np.inf))
    fit.errors = {"delta": delta * float(relative[0]), "ic0": ic0 * float(relative[1]),
                  "tau_d": float(spread[0]), "tau_star": float(spread[1])}
    fit.values |= {"tau_d": float(tau_d), "tau_star": float(tau_star)}
    needed = ("delta", "ic0") if fit.regime == "thermal" else ("ic0", "tau_star")
    loose = [k for k in needed if not fit.errors[k] <= MAX_RELATIVE_ERROR * fit.values[k]]
    if loose:
        raise AnalysisError(f"the counts do not constrain the {fit.regime} model's {', '.join(loose)} (relative "
                            f"error above {MAX_RELATIVE_ERROR:.0%}): widen the amplitude range or add trials")
    if chi2.sf(fit.deviance, fit.dof) < MIN_FIT_PROBABILITY:
        raise AnalysisError(f"the macrospin model does not describe the counts (deviance {fit.deviance:.1f} for "
                            f"{fit.dof} degrees of freedom)")
    if fit.regime == "precessional" and not fit.errors["delta"] <= PRECESSIONAL_DELTA_ERROR * delta:
        fit.values["delta"] = fit.errors["delta"] = float("nan")  # Δ only through ln θ0 and τ_D(Δ, τ0)


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
