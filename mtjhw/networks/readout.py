"""Linear readouts trained in closed form (ridge regression), as reservoir computing uses them."""

from __future__ import annotations

import numpy as np


def quantize(x: np.ndarray, bits: int | None, low: float, high: float) -> np.ndarray:
    """Uniform ``bits``-bit quantisation of ``x`` over [low, high] (an ADC/TDC); None leaves x unchanged."""
    if bits is None:
        return x
    levels = 2**bits - 1
    code = np.clip(np.round((x - low) / (high - low) * levels), 0, levels)
    return low + code * (high - low) / levels


class RidgeReadout:
    """y = [x, 1]·W fitted by ridge regression with regularisation ``alpha``."""

    def __init__(self, alpha: float = 1e-6) -> None:
        if alpha < 0:
            raise ValueError("alpha must be >= 0")
        self.alpha = alpha
        self.weights: np.ndarray | None = None

    @staticmethod
    def _design(x: np.ndarray) -> np.ndarray:
        return np.column_stack([x, np.ones(len(x))])

    def fit(self, x: np.ndarray, y: np.ndarray) -> RidgeReadout:
        a = self._design(np.asarray(x, dtype=float))
        scale = np.trace(a.T @ a) / a.shape[1]
        self.weights = np.linalg.solve(a.T @ a + self.alpha * scale * np.eye(a.shape[1]), a.T @ np.asarray(y, float))
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.weights is None:
            raise RuntimeError("fit the readout first")
        return self._design(np.asarray(x, dtype=float)) @ self.weights
