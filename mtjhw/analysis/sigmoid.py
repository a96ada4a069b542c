"""Sigmoid transfer curves of stochastic neurons: p(I) = 1 / (1 + exp(−(I − i50)/w))."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit

from . import AnalysisError


def sigmoid(x: np.ndarray, x50: float, width: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(np.asarray(x, dtype=float) - x50) / width))


@dataclass
class SigmoidFit:
    x50: float
    width: float  # same unit as x; negative for a falling curve

    @property
    def slope(self) -> float:
        """|dp/dx| at x50 = 1/(4|w|)."""
        return 1.0 / (4.0 * abs(self.width))


def fit_sigmoid(x: np.ndarray, p: np.ndarray) -> SigmoidFit:
    """Least-squares sigmoid; :class:`AnalysisError` unless the data rise or fall through p = 1/2 with points on
    both sides of it."""
    x, p = np.asarray(x, dtype=float), np.asarray(p, dtype=float)
    if x.size < 4:
        raise AnalysisError("need >= 4 points for a sigmoid fit")
    if not (np.any(p < 0.4) and np.any(p > 0.6)):
        raise AnalysisError("the transfer curve does not cross p = 1/2 in the measured range: widen the input "
                            "range around the switching point")
    rising = np.corrcoef(x, p)[0, 1] > 0
    x50_guess = float(np.interp(0.5, p if rising else p[::-1], x if rising else x[::-1]))
    width_guess = (np.ptp(x) / 8) * (1 if rising else -1)
    try:
        (x50, width), _ = curve_fit(sigmoid, x, p, p0=[x50_guess, width_guess], maxfev=10000)
    except RuntimeError as exc:
        raise AnalysisError(f"sigmoid fit did not converge: {exc}") from None
    return SigmoidFit(float(x50), float(width))
