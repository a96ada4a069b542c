"""Trainers: the backward pass and the weight update, given the forward pass measured on the array.

:class:`FloatTrainer` is the float (numpy) reference: a softmax layer over binary weights kept as float shadow
weights (straight-through estimator), with digital biases. Other trainers (the FPGA engine or its bit-exact
golden model) implement the same ``step``/``binary_weights``/``state``/``load`` methods.
"""

from __future__ import annotations

import math

import numpy as np


class FloatTrainer:
    """``n_inputs`` → ``n_outputs`` softmax layer; the array computes x·sign(W), this class the rest."""

    def __init__(self, n_inputs: int, n_outputs: int, learning_rate: float = 0.05, gain: float = 4.0,
                 seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.shadow = rng.uniform(-0.1, 0.1, (n_inputs, n_outputs))
        self.bias = np.zeros(n_outputs)
        self.learning_rate, self.gain = learning_rate, gain
        self.scale = gain / math.sqrt(n_inputs)

    def binary_weights(self) -> np.ndarray:
        return np.where(self.shadow >= 0, 1.0, -1.0)

    def scores(self, dots: np.ndarray) -> np.ndarray:
        return self.scale * np.asarray(dots, dtype=float) + self.bias

    def step(self, x: np.ndarray, dots: np.ndarray, label: int) -> float:
        """One SGD step from the measured dot products ``dots`` = x·W; returns the sample's loss."""
        z = self.scores(dots)
        p = np.exp(z - z.max())
        p /= p.sum()
        delta = p.copy()
        delta[label] -= 1.0
        self.shadow -= self.learning_rate * self.scale * np.outer(x, delta)
        np.clip(self.shadow, -1.0, 1.0, out=self.shadow)
        self.bias -= self.learning_rate * delta
        return float(-math.log(max(p[label], 1e-300)))

    def state(self) -> dict[str, np.ndarray]:
        return {"shadow": self.shadow.copy(), "bias": self.bias.copy()}

    def load(self, state: dict[str, np.ndarray]) -> None:
        self.shadow = np.array(state["shadow"], dtype=float)
        self.bias = np.array(state["bias"], dtype=float)
