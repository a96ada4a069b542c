"""Sigmoid transfer curves of stochastic neurons: p(I) = 1 / (1 + exp(−(I − i50)/w)).

For a p-bit switching by Néel–Brown activation with n = 1 and no net field, p_AP = r_P→AP/(r_P→AP + r_AP→P)
= 1/(1 + exp(2ΔI/Ic0)) exactly: a sigmoid of width −Ic0/(2Δ) (slope Δ/(2Ic0)); n = 2 doubles the slope, and a net
field shifts the curve (bending it slightly for n = 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from . import AnalysisError
from .fitting import fit_curve


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
    result = least_squares(lambda q: sigmoid(x, *q) - p, [x50_guess, width_guess], x_scale=[np.ptp(x)] * 2)
    if not result.success:
        raise AnalysisError(f"sigmoid fit did not converge: {result.message}")
    return SigmoidFit(float(result.x[0]), float(result.x[1]))


@dataclass
class TransferFit:
    """A stochastic neuron's transfer curve: p_AP(I) a sigmoid (``x50`` A, ``width`` A) between P and AP levels
    that depend on the bias, with the 1σ errors of each."""

    x50: float
    width: float
    r_p: float  #: Ω at zero bias
    r_ap: float  #: Ω at zero bias
    errors: dict[str, float]
    _levels: tuple[float, float, float, float, float]  # r_p, c_p, r_ap, c_ap, current scale

    @property
    def slope(self) -> float:
        """|dp/dI| at i50 = 1/(4|w|) (1/A)."""
        return 1.0 / (4.0 * abs(self.width))

    def levels(self, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """R_P and R_AP (Ω) at ``current`` (A)."""
        r_p, c_p, r_ap, c_ap, scale = self._levels
        x2 = (np.asarray(current, dtype=float) / scale) ** 2
        return r_p * (1 + c_p * x2), r_ap * (1 + c_ap * x2)

    def occupation(self, current: np.ndarray, resistance: np.ndarray) -> np.ndarray:
        """AP occupation of mean ``resistance`` readings at ``current``, between the levels at that bias."""
        low, high = self.levels(current)
        return (np.asarray(resistance, dtype=float) - low) / (high - low)


def fit_transfer(current: np.ndarray, resistance: np.ndarray, sigma: np.ndarray | None = None) -> TransferFit:
    """Transfer curve from mean resistances at input currents (``sigma``: their 1σ errors, Ω).

    The mean resistance is R_P(I) + p_AP(I)·(R_AP(I) − R_P(I)): each level falls with bias as TMR does (MgO:
    R_AP far more than R_P), modelled as R(1 + c·I²) for the small biases of a p-bit, and p_AP a sigmoid. Taking
    the levels from the readings at the range ends instead biases the slope high by several percent, since
    R_AP there is below its value near zero current. :class:`AnalysisError` unless the curve crosses p = 1/2 with
    saturated readings on both sides.
    """
    i, r = np.asarray(current, dtype=float), np.asarray(resistance, dtype=float)
    if i.size < 7:
        raise AnalysisError("need >= 7 input currents for a transfer curve with bias-dependent levels")
    rough = (r - r.min()) / np.ptp(r) if np.ptp(r) > 0 else np.zeros_like(r)
    start = fit_sigmoid(i, rough)
    scale = float(np.max(np.abs(i)))

    def model(x: np.ndarray, r_p: float, c_p: float, r_ap: float, c_ap: float, x50: float, width: float
              ) -> np.ndarray:
        p = sigmoid(x, x50, width)
        x2 = (x / scale) ** 2
        return (1 - p) * r_p * (1 + c_p * x2) + p * r_ap * (1 + c_ap * x2)

    values, cov = fit_curve(model, i, r, [r.min(), 0.0, r.max(), 0.0, start.x50, start.width], sigma=sigma,
                            what="transfer-curve fit", covariance=True)
    err = np.sqrt(np.diag(cov))
    r_p, c_p, r_ap, c_ap, x50, width = (float(v) for v in values)
    return TransferFit(x50, width, r_p, r_ap, {"x50": float(err[4]), "width": float(err[5]), "r_p": float(err[0]),
                                              "r_ap": float(err[2])}, (r_p, c_p, r_ap, c_ap, scale))
