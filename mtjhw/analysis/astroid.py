"""Field-geometry analyses of a uniaxial free layer: the hard-axis loop (μ0Hk, R_P, TMR) and the switching-field
astroid (μ0Hk, Δ, loop shift), both on the Stoner–Wohlfarth energy of
:mod:`mtjhw.simulators.physics.stoner_wohlfarth` (the physics, declared once).

Conventions: the field H (T, signed) is applied at angle ψ from the easy axis z (π/2: in-plane, along x); the
reference layer's stray field shifts the loop along z by ``h_offset`` whatever ψ (the free layer sees
H(sin ψ, cos ψ) − (0, h_offset)); the conductance of a well at m_z = cos θ is G_P(1 + cos θ)/2 + G_AP(1 − cos θ)/2.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import cumulative_trapezoid, trapezoid
from scipy.optimize import least_squares

from mtjhw.simulators.physics import stoner_wohlfarth as sw

from . import AnalysisError
from .fitting import fit_curve
from .loops import branch_switches

#: hard-axis loop: least ln-ratio of the two wells' thermal weights for which the branches are told apart
MIN_IMBALANCE = 4.0
#: thermal astroid: field grid per switching field
GRID = 160


def hard_axis_model(field: np.ndarray, conductance: np.ndarray, g_p: float, g_ap: float, hk: float,
                    misalignment: float, offset: float, delta: float, freeze: float) -> np.ndarray:
    """Conductance (S) of a hard-axis loop at ``field`` (T) along π/2 + ``misalignment`` (rad) from the easy
    axis: where the lower barrier is under ``freeze`` kBT (ln of the time per reading over the attempt time)
    the two wells mix in thermal equilibrium within a reading (occupations e^{−Δ·barrier} apart, weight
    1 − exp(−e^{freeze − Δ·barrier})); otherwise each reading sits on the well its measured ``conductance`` is
    closest to."""
    w = sw.wells(*sw.reduced_field(field, np.pi / 2 + misalignment, hk, offset))
    on_p, on_ap = (g_p * (1 + c) / 2 + g_ap * (1 - c) / 2 for c in (w.cos_p, w.cos_ap))
    p_p = 0.5 * (1 + np.tanh(0.5 * delta * (w.barrier_p - w.barrier_ap)))
    mixed = -np.expm1(-np.exp(np.minimum(freeze - delta * np.minimum(w.barrier_p, w.barrier_ap), 50.0)))
    closest = np.where(np.abs(conductance - on_p) <= np.abs(conductance - on_ap), on_p, on_ap)
    return mixed * (p_p * on_p + (1 - p_p) * on_ap) + (1 - mixed) * closest


def fit_hard_axis(field: np.ndarray, resistance: np.ndarray, freeze: float) -> dict[str, float]:
    """``r_p``, ``tmr`` (at the read bias), ``hk`` (T), ``misalignment`` (rad) and ``h_offset`` (T) of a hard-axis
    loop (:func:`hard_axis_model`), each with ``<key>_err`` (1σ, from the covariance scaled by the residual
    scatter); ``freeze`` (kBT) is ln(time per reading / attempt time). Δ is a parameter of the fit but only
    weakly constrained (through where the wells begin to mix), so it is not reported.

    :class:`AnalysisError` when the resistance does not follow the field, the fit does not converge, or the
    axial field (stray field, misalignment) is too small to hold one branch (:func:`_check_one_branch`)."""
    b, r = np.asarray(field, dtype=float), np.asarray(resistance, dtype=float)
    ok = np.isfinite(b) & np.isfinite(r) & (r > 0)
    b, g = b[ok], 1.0 / r[ok]
    top = np.abs(b) > 0.9 * np.max(np.abs(b))
    if b.size < 20 or np.sum(top) < 4:
        raise AnalysisError("too few readings for a hard-axis loop (need 20, with some at the largest |field|)")
    g_sat = float(np.median(g[top]))
    extreme = float(g[np.argmax(np.abs(g - g_sat))])
    swing = abs(extreme - g_sat)
    if not swing > 10 * np.std(g[top]):
        raise AnalysisError("the resistance does not change with the in-plane field: no hard-axis loop")
    g_p0, g_ap0 = sorted((extreme, 2 * g_sat - extreme), reverse=True)
    low = np.abs(g - g_sat) > 0.8 * swing  # on a branch, well below Hk: g ≈ g(0) ∓ swing·(H/Hk)²/2
    curvature = np.polyfit(b[low] ** 2, np.abs(g[low] - g_sat), 1)[0] if np.ptp(b[low]) > 0 else -1.0
    hk0 = float(np.sqrt(swing / (2 * -curvature))) if curvature < 0 else float(np.max(np.abs(b)))

    scale = np.array([g_p0, g_p0, hk0, 1.0, hk0, 40.0])  # the fit runs on parameters of order one

    q0 = np.array([g_p0, g_ap0, hk0, 0.0, 0.0, 40.0]) / scale
    bounds = ([0.5, 0.0, 0.3, -0.3, -0.5, 0.1], [2.0, 1.0, 4.0, 0.3, 0.5, 12.0])
    values, cov = _robust_fit(lambda q: hard_axis_model(b, g, *(q * scale), freeze) / g_p0 - g / g_p0, q0, bounds)
    values, cov = values * scale, cov * np.outer(scale, scale)
    g_p, g_ap, hk, eps, offset, delta = values
    err = np.sqrt(np.diag(cov))
    tmr_err = float(np.sqrt((err[0] / g_ap) ** 2 + (g_p * err[1] / g_ap**2) ** 2 - 2 * g_p / g_ap**3 * cov[0, 1]))
    _check_one_branch(hk, offset, delta, freeze)
    return {"r_p": float(1 / g_p), "r_p_err": float(err[0] / g_p**2), "tmr": float(g_p / g_ap - 1),
            "tmr_err": tmr_err, "hk": float(hk), "hk_err": float(err[2]), "misalignment": float(eps),
            "misalignment_err": float(err[3]), "h_offset": float(offset), "h_offset_err": float(err[4])}


def _robust_fit(residual: Callable[[np.ndarray], np.ndarray], q0: np.ndarray,
                bounds: tuple[list[float], list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Least squares with a soft-L1 loss (readings that caught a telegraph mid-way are outliers at the scale of
    the read noise, estimated from the residuals' median): parameters and covariance."""
    fit = least_squares(residual, q0, bounds=bounds, xtol=1e-6, max_nfev=100)
    scale = 1.4826 * float(np.median(np.abs(fit.fun)))
    if not np.isfinite(scale) or scale == 0:
        raise AnalysisError("hard-axis fit: no scatter about the model to weigh the readings by")
    fit = least_squares(residual, fit.x, bounds=bounds, loss="soft_l1", f_scale=scale, xtol=1e-6, max_nfev=200)
    if fit.status < 0:
        raise AnalysisError(f"hard-axis fit did not converge: {fit.message}")
    inliers = np.abs(fit.fun) < 3 * scale
    jac = fit.jac[inliers]
    try:
        cov = np.linalg.inv(jac.T @ jac) * np.sum(fit.fun[inliers] ** 2) / max(jac.shape[0] - q0.size, 1)
    except np.linalg.LinAlgError:
        raise AnalysisError("hard-axis fit: the readings do not constrain every parameter") from None
    return fit.x, cov


def _check_one_branch(hk: float, offset: float, delta: float, freeze: float) -> None:
    """Refuse a loop whose wells mix thermally with nearly equal weights: below Hk the readings then lie
    between the branches by an amount the equilibrium model does not hold to a few per cent. The weights
    differ by e^{−4Δ|h_z|·m_z} at the field where mixing begins (Δ(1 − h)² = ``freeze``)."""
    h_on = max(1.0 - np.sqrt(freeze / delta), 0.0)
    imbalance = 4.0 * delta * abs(offset) / hk * np.sqrt(1.0 - h_on**2)
    if imbalance < MIN_IMBALANCE:
        raise AnalysisError(f"the two wells mix thermally with nearly equal weights above {h_on * hk * 1e3:.0f} mT "
                            f"(axial field {offset * 1e3:.2g} mT too small to hold one branch): Hk is not "
                            "determined; tilt the field off the hard axis by a degree, or integrate for less time")


def switching_fields(field: np.ndarray, resistance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Switching fields (T along the sweep) of the P→AP and the AP→P jumps of one angle's readings in time
    order (:func:`~mtjhw.analysis.loops.branch_switches`: each jump is judged against its branch's own
    smooth change, which a tilted field adds)."""
    b = np.asarray(field, dtype=float)
    switches = branch_switches(np.asarray(resistance, dtype=float))
    fields = {d: np.array([0.5 * (b[s.last_old] + b[s.first_new]) for s in switches if s.direction == d])
              for d in (1, -1)}
    return fields[1], fields[-1]


def mean_switching_field(angle: np.ndarray, direction: np.ndarray, hk: float, delta: float, offset: float,
                         tau0: float, sweep_rate: float) -> np.ndarray:
    """Mean switching field (T along ``angle``, rad) of a sweep from 0 at ``sweep_rate`` (T/s), thermally
    activated over the Stoner–Wohlfarth barrier Δ·B at the rate g·e^{−ΔB}/``tau0``: ``direction`` −1 for AP→P,
    +1 for P→AP (at H·cos ψ > 0 and < 0). Survival S = exp(−∫ rate dH/rate_H); mean = ∫ S dH.

    g = B(2 − √B) is Brown's high-barrier prefactor (1 − x)²(1 + x) of the axial barrier Δ(1 − x)² at the
    same barrier (as :func:`mtjhw.analysis.thermal.escape_rate` with the ``brown`` law; 1 at zero field), held
    at 1/Δ where the barrier is ~1 kBT and the formula fails."""
    angle, direction = np.broadcast_arrays(np.asarray(angle, dtype=float), np.asarray(direction, dtype=float))
    reach = 1.05 * hk * sw.switching_field(angle)[:, None] + np.abs(offset)
    sign = -direction * np.sign(np.cos(angle))
    h = sign[:, None] * reach * np.linspace(0.0, 1.0, GRID)[None, :]
    w = sw.wells(*sw.reduced_field(h, angle[:, None], hk, offset))
    barrier = np.where(direction[:, None] < 0, w.barrier_ap, w.barrier_p)
    step = reach / (GRID - 1)
    rate = np.maximum(barrier * (2 - np.sqrt(barrier)), 1 / delta) * np.exp(-delta * barrier) / tau0
    exposure = cumulative_trapezoid(rate, dx=1.0, axis=1, initial=0.0) * step / sweep_rate
    return sign * trapezoid(np.exp(-exposure), dx=1.0, axis=1) * step[:, 0]


def fit_astroid(angle: np.ndarray, field: np.ndarray, direction: np.ndarray, tau0: float, sweep_rate: float,
                delta: float | None = None) -> dict[str, float]:
    """``hk`` (T), ``delta`` (fitted, or the given one) and ``h_offset`` (T) from switching fields ``field`` (T
    along ``angle``, rad; ``direction`` as in :func:`mean_switching_field`), with ``<key>_err`` (1σ, from the
    scatter about the model)."""
    angle, field, direction = (np.asarray(v, dtype=float) for v in (angle, field, direction))
    if np.unique(np.round(angle, 6)).size < 3 or field.size < 6:
        raise AnalysisError("an astroid needs switching fields at 3 angles or more (and both directions)")
    span = 0.5 * (np.max(field) - np.min(field))
    h_z = field * np.cos(angle)
    h_mid = 0.5 * (np.mean(h_z[direction < 0]) + np.mean(h_z[direction > 0]))

    def model(_x: np.ndarray, hk: float, offset: float, *rest: float) -> np.ndarray:
        return mean_switching_field(angle, direction, hk, rest[0] if rest else delta, offset, tau0, sweep_rate)

    p0, low, high = [2.0 * span, h_mid], [0.3 * span, -span], [20.0 * span, span]
    if delta is None:
        p0, low, high = p0 + [40.0], low + [3.0], high + [500.0]
    values, errors = fit_curve(model, angle, field, p0, bounds=(low, high), what="astroid fit")
    out = {"hk": float(values[0]), "hk_err": float(errors[0]), "h_offset": float(values[1]),
           "h_offset_err": float(errors[1])}
    if delta is None:
        return out | {"delta": float(values[2]), "delta_err": float(errors[2])}
    return out | {"delta": float(delta), "delta_err": 0.0}
