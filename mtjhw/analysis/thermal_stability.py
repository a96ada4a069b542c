"""Δ(T) and Hk(T) of a perpendicular free layer: the switching fields at each temperature, then the
Callen–Callen model across temperatures.

At each temperature Δ and μ0Hk come from the Sharrock maximum-likelihood fit of every switch along field sweeps
at several rates (:func:`mtjhw.analysis.thermal.fit_field_sweeps`). Across temperatures they follow, with
m(T) = Ms(T)/Ms(T_ref) = (1 − u·(T/T_ref)^{3/2})/(1 − u), u = (T_ref/T_C)^{3/2} (Bloch),

    Δ(T) = Δ_ref·m^n·T_ref/T,   μ0Hk(T) = Hk_ref·m^{n−1}

(K ∝ Ms^n, Callen & Callen, J. Phys. Chem. Solids 27, 1271 (1966); Δ = KV/kBT, Hk = 2K/Ms). Δ_ref and Hk_ref
are fixed by the data near T_ref; n and T_C only by how Δ·T and Hk change together (Δ·T/Hk ∝ Ms), which needs
a wide span of temperatures and precise points: each is reported only when the data constrain it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import AnalysisError
from .fitting import fit_curve
from .loops import two_states
from .thermal import FieldSweepFit, fit_field_sweeps

#: Δ_ref and Hk_ref are reported when constrained to this relative 1σ error (rh-loop's bar for Δ and Hk), n and T_C
#: to :data:`MAX_SHAPE_ERROR`. At 10 % numbers 11 % off came back: 3 loops constrain Hk to 5–7 % only, and over
#: devices the per-temperature values scatter 1.25 × their stated σ about a bias of a few % (the fastest sweep's
#: points last about the magnet's settling time, a field path between readings the fit does not model).
MAX_RELATIVE_ERROR = 0.05
MAX_SHAPE_ERROR = 0.3
#: bounds of the Callen–Callen exponent in the fit
EXPONENT_BOUNDS = (1.0, 6.0)


def sweep_fit(time: np.ndarray, field: np.ndarray, resistance: np.ndarray, segment: np.ndarray, tau0: float,
              law: str) -> FieldSweepFit:
    """Δ and μ0Hk of one temperature from field sweeps: readings in time order, ``segment`` labelling each
    branch of each loop at each rate (:func:`mtjhw.analysis.thermal.fit_field_sweeps`)."""
    is_ap, _, _ = two_states(resistance)
    return fit_field_sweeps(time, field, is_ap, segment, tau0, law)


def callen_callen(temperature: np.ndarray, t_ref: float, ln_delta: float, ln_hk: float, n: float, u: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(ln Δ, ln μ0Hk) at ``temperature`` (K) of the model in the module docstring."""
    t = np.asarray(temperature, dtype=float)
    ln_m = np.log((1 - u * (t / t_ref) ** 1.5) / (1 - u))
    return ln_delta + n * ln_m + np.log(t_ref / t), ln_hk + (n - 1) * ln_m


@dataclass
class ThermalStabilityFit:
    """Δ_ref, μ0Hk_ref (T) at ``t_ref`` (K), the exponent n and T_C (K), each with its 1σ error (NaN where the
    data do not constrain it, ``limits`` saying why)."""

    t_ref: float
    delta: float
    delta_err: float
    hk: float
    hk_err: float
    exponent: float
    exponent_err: float
    t_curie: float
    t_curie_err: float
    limits: str
    best: tuple[float, ...]  #: the best-fit (ln Δ_ref, ln Hk_ref, n, u), constrained or not

    def curve(self, temperature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Δ, μ0Hk in T) of the best fit at ``temperature`` (K)."""
        ln_delta, ln_hk = callen_callen(temperature, self.t_ref, *self.best)
        return np.exp(ln_delta), np.exp(ln_hk)


def fit_thermal_stability(temperature: np.ndarray, delta: np.ndarray, delta_err: np.ndarray, hk: np.ndarray,
                          hk_err: np.ndarray, t_ref: float) -> ThermalStabilityFit:
    """Weighted least squares of ln Δ and ln Hk at each ``temperature`` (K) to the Callen–Callen model.

    :class:`AnalysisError` with fewer than two temperatures, or when Δ_ref or Hk_ref is not constrained to
    :data:`MAX_RELATIVE_ERROR`; n and T_C are NaN (with the reason in ``limits``) when not constrained to
    :data:`MAX_SHAPE_ERROR` or when the fit sits at a bound of the model.
    """
    t = np.asarray(temperature, dtype=float)
    if np.unique(np.round(t, 1)).size < 2:
        raise AnalysisError("Δ(T) needs Δ and Hk at two or more temperatures: add temperatures")
    u_max = 0.999 * (t_ref / t.max()) ** 1.5  # Ms > 0 at every temperature measured
    y = np.concatenate([np.log(delta), np.log(hk)])
    sigma = np.concatenate([np.asarray(delta_err) / delta, np.asarray(hk_err) / hk])
    p0 = [math.log(np.interp(t_ref, t, delta)), math.log(np.interp(t_ref, t, hk)), 2.5, min(0.16, u_max / 2)]
    bounds = ([-np.inf, -np.inf, EXPONENT_BOUNDS[0], 0.0], [np.inf, np.inf, EXPONENT_BOUNDS[1], u_max])
    values, cov = fit_curve(lambda _x, *p: np.concatenate(callen_callen(t, t_ref, *p)), t, y, p0, bounds=bounds,
                            sigma=sigma, what="Δ(T), Hk(T) fit", covariance=True)
    err = np.sqrt(np.diag(cov))
    d, h = math.exp(values[0]), math.exp(values[1])
    if not (err[0] <= MAX_RELATIVE_ERROR and err[1] <= MAX_RELATIVE_ERROR):
        raise AnalysisError(f"Δ and Hk at {t_ref:g} K are not constrained to {MAX_RELATIVE_ERROR:.0%} (Δ ± "
                            f"{err[0]:.0%}, Hk ± {err[1]:.0%}): run more loops, or measure closer to t_ref")
    n, u = float(values[2]), float(values[3])
    t_c = t_ref / u ** (2 / 3) if u > 0 else math.inf
    t_c_err = t_c * 2 / 3 * float(err[3]) / u if u > 0 else math.inf
    at_bound = not (EXPONENT_BOUNDS[0] < n < EXPONENT_BOUNDS[1] and 0 < u < u_max)
    shape_ok = not at_bound and err[2] <= MAX_SHAPE_ERROR * n and t_c_err <= MAX_SHAPE_ERROR * t_c
    limits = "ok" if shape_ok else (
        f"n and T_C are not constrained to {MAX_SHAPE_ERROR:.0%} (n {n:.3g} ± {err[2]:.2g}, T_C {t_c:.4g} ± "
        f"{t_c_err:.2g} K{', at a bound of the model' if at_bound else ''}): only Δ and Hk at t_ref are; "
        "measure over a wider span of temperatures")
    nan = float("nan")
    return ThermalStabilityFit(t_ref, d, d * float(err[0]), h, h * float(err[1]), n if shape_ok else nan,
                               float(err[2]) if shape_ok else nan, t_c if shape_ok else nan,
                               t_c_err if shape_ok else nan, limits, tuple(float(v) for v in values))
