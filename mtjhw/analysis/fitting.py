"""Least-squares fits that report their 1σ uncertainties, and fail with an :class:`AnalysisError`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import curve_fit

from . import AnalysisError


def fit_curve(model: Callable[..., np.ndarray], x: np.ndarray, y: np.ndarray, p0: Sequence[float],
              bounds: tuple[Sequence[float], Sequence[float]] | None = None, sigma: np.ndarray | None = None,
              what: str = "fit", covariance: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Parameters of ``model(x, *p)`` fitted to ``y`` and their standard errors from the covariance (the
    covariance matrix itself with ``covariance``).

    Without ``sigma`` the covariance is scaled by the residual scatter (errors from the data's own noise); with
    ``sigma`` (absolute 1σ of each ``y``) it is taken as it is. :class:`AnalysisError` (naming ``what``) when the
    fit does not converge or a parameter is not constrained (infinite variance).
    """
    kwargs = {"bounds": bounds} if bounds is not None else {"maxfev": 20000}
    try:
        values, cov = curve_fit(model, x, y, p0=list(p0), sigma=sigma, absolute_sigma=sigma is not None, **kwargs)
    except (RuntimeError, ValueError) as exc:
        raise AnalysisError(f"{what} did not converge: {exc}") from None
    errors = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(errors)):
        raise AnalysisError(f"{what}: the data do not constrain every parameter (infinite covariance)")
    return values, (cov if covariance else errors)


def fit_polynomial(x: np.ndarray, y: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """np.polyfit coefficients (highest power first) and their covariance matrix (from the residual scatter).
    The degree is lowered to what the points allow (covariance needs two more points than coefficients)."""
    degree = max(0, min(degree, x.size - 3, np.unique(x).size - 1))
    if degree == 0:
        spread = np.std(y, ddof=1) if y.size > 1 else np.inf
        return np.array([np.mean(y)]), np.array([[spread**2 / y.size]])
    return np.polyfit(x, y, degree, cov=True)


def median_error(x: np.ndarray) -> float:
    """Standard error of the median of ``x`` (normal samples: √(π/2)·σ/√n)."""
    return float(np.sqrt(np.pi / 2) * np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("inf")
