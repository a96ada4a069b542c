"""Thermally activated (Néel–Brown) switching under a swept drive: expected switching fields and currents.

For a drive x swept at rate dx/dt, the probability of not yet having switched at x is
S(x) = exp(−∫ r(x') dx' / (dx/dt)) with r the escape rate; the mean switching point is x0 + ∫ S dx
(Kurkijärvi). These are the analytic predictions the R-H and R-V loops are checked against.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import cumulative_trapezoid, trapezoid
from scipy.optimize import brentq, minimize

from . import AnalysisError


def mean_switching_field(delta: float, hk: float, tau0: float, sweep_rate: float, start: float = 0.0,
                         points: int = 20001, law: str = "constant") -> float:
    """Mean field (T, relative to the loop centre) at which a state destabilised by a field swept from
    ``start`` at ``sweep_rate`` (T/s) switches, for barrier Δ(1 − H/Hk)² and attempt ``law``
    (:func:`escape_rate`)."""
    h = np.linspace(start, hk, points)
    rate = escape_rate(h / hk, delta, tau0, 2.0, law)
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


@dataclass
class FieldSweepFit:
    """Δ, μ0Hk (T) and the loop shift (T) from switching under swept fields, with 1σ errors."""

    delta: float
    hk: float
    h_offset: float
    delta_err: float
    hk_err: float
    h_offset_err: float


def fit_field_sweeps(time: np.ndarray, field: np.ndarray, is_ap: np.ndarray, segment: np.ndarray,
                     tau0: float = 1e-9, law: str = "brown") -> FieldSweepFit:
    """Maximum-likelihood Δ, Hk and loop shift from the switching seen along field sweeps (Néel–Brown with
    barrier Δ(1 ∓ (H − H_offset)/Hk)², τ0 fixed, attempt ``law`` as in :func:`escape_rate`; Sharrock, IEEE
    Trans. Magn. 26, 193 (1990)).

    Between consecutive readings of one ``segment`` (a branch of one loop) the state in force survives with
    probability exp(−∫r dt) (the rate taken linear in time between the fields read, as a continuous sweep does),
    or switched before the later reading: every interval counts, so the mean *and* the width of the
    switching-field distribution enter, and sweeps at several rates add the rate dependence. Errors from the
    observed information (numerical Hessian). :class:`AnalysisError` when no switch was seen or the fit fails.
    """
    t, b = np.asarray(time, dtype=float), np.asarray(field, dtype=float)
    s = np.asarray(is_ap, dtype=bool)
    same = np.diff(np.asarray(segment)) == 0
    switched = same & (s[1:] != s[:-1])
    if not switched.any():
        raise AnalysisError("no switch along the field sweeps: Δ and Hk need switching fields")
    dt = np.diff(t)

    def nll(theta: np.ndarray) -> float:
        delta, hk, offset = math.exp(theta[0]), math.exp(theta[1]), theta[2]
        h = (b - offset) / hk
        rate_p = escape_rate(-h, delta, tau0, 2.0, law)  # out of P: a negative field destabilises
        rate_ap = escape_rate(h, delta, tau0, 2.0, law)
        rate = np.where(s[:-1, None], np.column_stack([rate_ap[:-1], rate_ap[1:]]),
                        np.column_stack([rate_p[:-1], rate_p[1:]]))
        hazard = rate.mean(axis=1) * dt
        return float(np.sum(hazard[same & ~switched]) - np.sum(np.log(-np.expm1(-hazard[switched]) + 1e-300)))

    h_sw = b[1:][switched]
    start = [math.log(40.0), math.log(1.5 * float(np.max(np.abs(h_sw - h_sw.mean())))), float(h_sw.mean())]
    best = min((minimize(nll, [math.log(d0)] + start[1:], method="Nelder-Mead",
                         options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 20000}) for d0 in (20.0, 40.0, 80.0)),
               key=lambda r: r.fun)
    cov = _inverse_hessian(nll, best.x, np.array([1e-3, 1e-3, 1e-5 * max(1e-3, abs(math.exp(best.x[1])))]))
    delta, hk = math.exp(best.x[0]), math.exp(best.x[1])
    err = np.sqrt(np.clip(np.diag(cov), 0, np.inf)) if cov is not None else np.full(3, np.inf)
    if not (best.success and 0.5 < delta < 1000):
        raise AnalysisError(f"the switching-field fit did not converge to a physical result (Δ = {delta:.3g}): the "
                            "switching fields do not constrain Δ and Hk (run more loops, or several sweep_rates)")
    return FieldSweepFit(delta, hk, float(best.x[2]), delta * float(err[0]), hk * float(err[1]), float(err[2]))


def _inverse_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: np.ndarray) -> np.ndarray | None:
    """Inverse of the central-difference Hessian of ``f`` at its minimum ``x`` (None when singular)."""
    n = x.size
    hessian = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * step[i], np.eye(n)[j] * step[j]
            second = f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
            hessian[i, j] = second / (4 * step[i] * step[j])
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return None
    return cov if np.all(np.diag(cov) > 0) else None


#: Drive dependence of the Néel–Brown attempt frequency: "brown" (Brown's high-barrier prefactor) or "constant".
ATTEMPT_LAWS = ("brown", "constant")


def escape_rate(x: np.ndarray, delta: float, tau0: float, n: float = 2.0, law: str = "brown") -> np.ndarray:
    """Rate (1/s) of leaving a state under the normalised destabilising drive ``x`` (H/Hk or I/Ic0; < 0
    stabilises): g(x)·exp(−Δ(1 − x)^n)/τ0, τ0 the attempt time at zero drive.

    g = 1 for the ``constant`` law (the common approximation). The ``brown`` law is Brown's high-barrier
    prefactor (Phys. Rev. 130, 1677 (1963)): g = (1 − x)²(1 + x) for the axially symmetric barrier Δ(1 − x)²
    (n = 2: a field along the easy axis, or spin-transfer torque acting as one), g = 1 − x for Li & Zhang's
    effective damping α(1 − x) (n = 1). Beyond the drive at which it peaks (the barrier is then ~1 kBT and the
    formula fails) the rate is held at its peak, so it never falls as the drive rises.
    """
    x = np.clip(np.asarray(x, dtype=float), -0.999, _peak_drive(delta, n, law))
    g = 1.0 if law == "constant" else ((1 - x) ** 2 * (1 + x) if n == 2.0 else 1 - x)
    return g * np.exp(-delta * (1 - x) ** n) / tau0


def _peak_drive(delta: float, n: float, law: str) -> float:
    """Drive x at which :func:`escape_rate` peaks (1 for the constant law)."""
    if law not in ATTEMPT_LAWS:
        raise ValueError(f"attempt law must be one of {', '.join(ATTEMPT_LAWS)}, got {law!r}")
    if law == "constant" or delta <= 1.0:
        return 1.0
    if n != 2.0:
        return 1.0 - 1.0 / delta
    u = brentq(lambda u: 2 * delta * u - 2 / u + 1 / (2 - u), 1e-12, 1.0)  # u = 1 − x: d ln(rate)/dx = 0
    return 1.0 - u
