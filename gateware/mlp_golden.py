"""Bit-exact golden model of the fixed-point MLP training engine (forward pass, backpropagation, SGD).

Integers throughout, as the gateware computes them: weights, biases and activations are signed ``width``-bit
numbers with ``frac`` fractional bits (Q(width−frac).frac); products are accumulated at full precision and
rescaled with an arithmetic right shift (floor), results saturate to ``width`` bits. The activation is the
hard sigmoid σ(z) = clip(z/4 + 1/2, 0, 1) (a shift and an add; derivative 1/4 inside, 0 outside). The loss is
the squared error, the output delta (a − t)·σ'(z); the update is W −= (δ ⊗ a) >> (frac + lr_shift) (and the
same for the bias), a learning rate of 2^−lr_shift with no multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FixedFormat:
    width: int = 16
    frac: int = 10

    @property
    def one(self) -> int:
        return 1 << self.frac

    @property
    def low(self) -> int:
        return -(1 << (self.width - 1))

    @property
    def high(self) -> int:
        return (1 << (self.width - 1)) - 1

    def saturate(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.low, self.high).astype(np.int64)

    def quantize(self, x: np.ndarray) -> np.ndarray:
        return self.saturate(np.floor(np.asarray(x, dtype=float) * self.one))


#: Q6.10 in 16 bits.
DEFAULT_FORMAT = FixedFormat()


def hard_sigmoid(z: np.ndarray, fmt: FixedFormat) -> np.ndarray:
    return np.clip((z >> 2) + (fmt.one >> 1), 0, fmt.one).astype(np.int64)


def hard_sigmoid_slope_mask(z: np.ndarray, fmt: FixedFormat) -> np.ndarray:
    """1 where the hard sigmoid is in its linear region (derivative 1/4), else 0."""
    a = (z >> 2) + (fmt.one >> 1)
    return ((a > 0) & (a < fmt.one)).astype(np.int64)


class GoldenMLP:
    """Fixed-point MLP with layer ``sizes`` (inputs first), trained one sample at a time."""

    def __init__(self, sizes: tuple[int, ...], fmt: FixedFormat = DEFAULT_FORMAT, lr_shift: int = 3,
                 seed: int = 0) -> None:
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError("need at least an input and an output layer, each with >= 1 unit")
        rng = np.random.default_rng(seed)
        self.sizes, self.fmt, self.lr_shift = tuple(sizes), fmt, lr_shift
        self.weights = [fmt.quantize(rng.uniform(-0.5, 0.5, (b, a))) for a, b in zip(sizes[:-1], sizes[1:],
                                                                                       strict=True)]
        self.biases = [np.zeros(b, dtype=np.int64) for b in sizes[1:]]

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(pre-activations z, activations a) of every layer for input ``x`` (Q format integers)."""
        fmt = self.fmt
        activations, pre = [np.asarray(x, dtype=np.int64)], []
        for w, b in zip(self.weights, self.biases, strict=True):
            z = fmt.saturate(((w @ activations[-1]) >> fmt.frac) + b)
            pre.append(z)
            activations.append(hard_sigmoid(z, fmt))
        return pre, activations

    def predict(self, x: np.ndarray) -> int:
        return int(np.argmax(self.forward(x)[1][-1]))

    def step(self, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        """One training step on input ``x`` and ``target`` (Q format); returns the output activations."""
        pre, act = self.forward(x)
        self._backward(pre, act, target)
        return act[-1]

    def step_measured(self, x: np.ndarray, z: np.ndarray, target: np.ndarray) -> np.ndarray:
        """A training step of a single-layer network whose pre-activations ``z`` (Q format, bias not included)
        were measured elsewhere (on a device array); returns the output activations."""
        if len(self.weights) != 1:
            raise ValueError("measured pre-activations drive single-layer networks only")
        pre = [self.fmt.saturate(np.asarray(z, dtype=np.int64) + self.biases[0])]
        act = [np.asarray(x, dtype=np.int64), hard_sigmoid(pre[0], self.fmt)]
        self._backward(pre, act, target)
        return act[-1]

    def _backward(self, pre: list[np.ndarray], act: list[np.ndarray], target: np.ndarray) -> None:
        fmt = self.fmt
        delta = fmt.saturate(((act[-1] - np.asarray(target, dtype=np.int64)) >> 2) * hard_sigmoid_slope_mask(
            pre[-1], fmt))
        for layer in reversed(range(len(self.weights))):
            w = self.weights[layer]
            previous = None
            if layer:
                back = fmt.saturate((w.T @ delta) >> fmt.frac)
                previous = fmt.saturate((back >> 2) * hard_sigmoid_slope_mask(pre[layer - 1], fmt))
            self.weights[layer] = fmt.saturate(w - (np.outer(delta, act[layer]) >> (fmt.frac + self.lr_shift)))
            self.biases[layer] = fmt.saturate(self.biases[layer] - (delta >> self.lr_shift))
            if previous is not None:
                delta = previous
