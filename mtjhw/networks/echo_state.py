"""A floating-point echo-state network (tanh), the software ceiling of the spintronic reservoirs: the same
``states(inputs, rng)`` interface, so the same tasks and ridge readout run on it unchanged."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class EchoStateNetwork:
    """x_k = (1 − ``leak``)·x_{k−1} + ``leak``·tanh(W x_{k−1} + ``input_scale``·w_in·u_k + b), W random with
    spectral radius ``spectral_radius`` and a fraction ``density`` of non-zero weights (Jaeger's ESN)."""

    n_nodes: int = 32
    spectral_radius: float = 0.9
    input_scale: float = 1.0
    leak: float = 1.0
    density: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_nodes < 1 or not 0 < self.leak <= 1:
            raise ValueError("need n_nodes >= 1 and 0 < leak <= 1")
        rng = np.random.default_rng(self.seed)
        w = rng.standard_normal((self.n_nodes, self.n_nodes)) * (rng.random((self.n_nodes, self.n_nodes))
                                                                  < self.density)
        radius = float(np.max(np.abs(np.linalg.eigvals(w)))) if self.n_nodes > 1 else abs(float(w[0, 0]))
        self.weights = w * (self.spectral_radius / radius) if radius > 0 else w
        self.w_in = rng.uniform(-1.0, 1.0, self.n_nodes)
        self.bias = rng.uniform(-0.2, 0.2, self.n_nodes)

    def states(self, inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Node states (len(inputs), n_nodes) for an input sequence; ``rng`` is unused (noise-free)."""
        x = np.zeros(self.n_nodes)
        out = np.empty((len(inputs), self.n_nodes))
        for k, u in enumerate(np.asarray(inputs, dtype=float)):
            pre = self.weights @ x + self.input_scale * self.w_in * u + self.bias
            x = (1 - self.leak) * x + self.leak * np.tanh(pre)
            out[k] = x
        return out
