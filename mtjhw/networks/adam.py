"""Adam (Kingma & Ba 2015; β₁ = 0.9, β₂ = 0.999, ε = 1e-8), the optimiser of the networks trained in software."""

from __future__ import annotations

import numpy as np


class Adam:
    """Adam on a list of arrays, updated in place, at rate ``lr`` unless a step gives its own."""

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.params, self.lr, self.step = params, lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def update(self, grads: list[np.ndarray], lr: float | None = None) -> None:
        """One step along ``grads`` (in the order of ``params``)."""
        self.step += 1
        rate = self.lr if lr is None else lr
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= rate * (m / (1 - 0.9**self.step)) / (np.sqrt(v / (1 - 0.999**self.step)) + 1e-8)
