"""Bit-exact golden model of the fixed-point MLP training engine (forward pass, backpropagation, SGD).

Integers throughout, as the gateware computes them: weights, biases and activations are signed ``width``-bit
numbers with ``frac`` fractional bits (Q(width−frac).frac); products are accumulated at full precision and
rescaled with an arithmetic right shift (floor), results saturate to ``width`` bits.

The two shifts of the SGD update (W −= (δ ⊗ a_in) >> (frac + lr_shift), b −= δ >> lr_shift) round as the build
chooses (:data:`ROUNDINGS`, :func:`round_shift`): ``floor`` moves a weight by +1 LSB for any small negative
update while small positive ones vanish (a drift of +0.5 LSB per update on average); ``nearest`` rounds half to
even; ``stochastic`` adds ``shift`` random bits before the floor, so the expected update is exact. The random bits
come from one :func:`xorshift32` generator per MAC lane (and one for the biases), seeded from the host
(:meth:`GoldenMLP.seed_rounding`); the engine draws them in the same order, so stochastic runs stay bit-exact.

The activation returns the activation ``a`` and its derivative ``d`` (both Q format) for a pre-activation
``z``: :class:`HardSigmoid` is piecewise linear, σ(z) = clip(z/4 + 1/2, 0, 1) (a shift and an add; d = 1/4 inside,
0 outside); :class:`LutSigmoid` looks the logistic function and its derivative up in a table indexed by the top
bits of z. The loss is the squared error: the output delta is δ = ((a − t)·d) >> frac, a hidden layer's
δ = ((sat((Wᵀδ') >> frac))·d) >> frac; the update is W −= (δ ⊗ a_in) >> (frac + lr_shift) and b −= δ >> lr_shift,
a learning rate of 2^−lr_shift with no multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FixedFormat:
    width: int = 16
    frac: int = 10

    def __post_init__(self) -> None:
        if not 2 <= self.frac < self.width <= 32:
            raise ValueError(f"need 2 <= frac < width <= 32, got Q{self.width - self.frac}.{self.frac}")

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
    return np.clip((np.asarray(z, dtype=np.int64) >> 2) + (fmt.one >> 1), 0, fmt.one).astype(np.int64)


@dataclass(frozen=True)
class HardSigmoid:
    """σ(z) = clip(z/4 + 1/2, 0, 1): a shift and an add; derivative 1/4 strictly inside (0, 1), else 0."""

    name = "hard-sigmoid"

    def apply(self, z: np.ndarray, fmt: FixedFormat) -> tuple[np.ndarray, np.ndarray]:
        a = hard_sigmoid(z, fmt)
        linear = (a > 0) & (a < fmt.one)
        return a, np.where(linear, fmt.one >> 2, 0).astype(np.int64)


@dataclass(frozen=True)
class LutSigmoid:
    """The logistic function from a table of 2^index_bits entries indexed by clip((z >> step_shift) + N/2): one
    entry per 2^step_shift LSB of z (0.25 for Q.10 with step_shift 8), the value and derivative at the centre of
    each step. Costs a small ROM and one multiplier per delta instead of the hard sigmoid's shift."""

    index_bits: int = 6
    step_shift: int = 8
    name = "lut-sigmoid"

    def tables(self, fmt: FixedFormat) -> tuple[np.ndarray, np.ndarray]:
        n = 1 << self.index_bits
        centres = (np.arange(n) - n // 2 + 0.5) * (1 << self.step_shift) / fmt.one
        s = 1 / (1 + np.exp(-centres))
        return fmt.quantize(s), fmt.quantize(s * (1 - s))

    def index(self, z: np.ndarray) -> np.ndarray:
        n = 1 << self.index_bits
        return np.clip((np.asarray(z, dtype=np.int64) >> self.step_shift) + n // 2, 0, n - 1)

    def apply(self, z: np.ndarray, fmt: FixedFormat) -> tuple[np.ndarray, np.ndarray]:
        values, slopes = self.tables(fmt)
        k = self.index(z)
        return values[k], slopes[k]


Activation = HardSigmoid | LutSigmoid
HARD_SIGMOID = HardSigmoid()


def activation_named(name: str) -> Activation:
    for activation in (HARD_SIGMOID, LutSigmoid()):
        if activation.name == name:
            return activation
    raise ValueError(f"unknown activation {name!r}: choose hard-sigmoid or lut-sigmoid")


ROUNDINGS = ("floor", "nearest", "stochastic")
_MASK32 = 0xFFFFFFFF
_GOLDEN = 0x9E3779B9  # 2^32 / φ: spreads one seed over the lanes' generators


def round_shift(x: np.ndarray, shift: int, rounding: str = "floor", random: np.ndarray | int = 0) -> np.ndarray:
    """x / 2^shift rounded to an integer: ``floor``; ``nearest``, ties to even; ``stochastic``, floor after adding
    ``random`` (uniform in 0..2^shift − 1, one per element)."""
    x = np.asarray(x, dtype=np.int64)
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}: choose one of {', '.join(ROUNDINGS)}")
    if shift == 0 or rounding == "floor":
        return x >> shift
    if rounding == "nearest":
        return (x + (1 << (shift - 1)) - 1 + ((x >> shift) & 1)) >> shift
    return (x + (np.asarray(random, dtype=np.int64) & ((1 << shift) - 1))) >> shift


def xorshift32(state: np.ndarray) -> np.ndarray:
    """Marsaglia's xorshift32 step (13, 17, 5) on uint32 states: a linear-feedback generator, period 2^32 − 1."""
    x = np.asarray(state, dtype=np.uint64)
    x ^= (x << 13) & _MASK32
    x ^= x >> 17
    x ^= (x << 5) & _MASK32
    return x.astype(np.uint64)


def seeded_states(seed: int, count: int) -> np.ndarray:
    """The generators' states after seeding with ``seed`` (32 bits): (seed ⊕ (k + 1)·φ) | 1 for generator k,
    never the stuck all-zero state."""
    if not 0 <= seed <= _MASK32:
        raise ValueError(f"the rounding seed is 32 bits, got {seed}")
    return np.array([(seed ^ ((k + 1) * _GOLDEN & _MASK32)) | 1 for k in range(count)], dtype=np.uint64)


class GoldenMLP:
    """Fixed-point MLP with layer ``sizes`` (inputs first), trained one sample at a time, its updates rounded by
    ``rounding``; ``lanes`` (the engine's MAC lanes) orders the stochastic draws as the engine does."""

    def __init__(self, sizes: tuple[int, ...], fmt: FixedFormat = DEFAULT_FORMAT, lr_shift: int = 3,
                 seed: int = 0, activation: Activation = HARD_SIGMOID, rounding: str = "nearest",
                 lanes: int = 1) -> None:
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError("need at least an input and an output layer, each with >= 1 unit")
        if rounding not in ROUNDINGS:
            raise ValueError(f"unknown rounding {rounding!r}: choose one of {', '.join(ROUNDINGS)}")
        rng = np.random.default_rng(seed)
        self.sizes, self.fmt, self.lr_shift, self.activation = tuple(sizes), fmt, lr_shift, activation
        self.rounding, self.lanes = rounding, int(lanes)
        self.seed_rounding(0)
        self.weights = [fmt.quantize(rng.uniform(-0.5, 0.5, (b, a))) for a, b in zip(sizes[:-1], sizes[1:],
                                                                                       strict=True)]
        self.biases = [np.zeros(b, dtype=np.int64) for b in sizes[1:]]

    @classmethod
    def for_config(cls, config: Any, seed: int = 0) -> GoldenMLP:
        """The golden model of an engine ``config`` (a :class:`~mtjhw.gateware.top.TopConfig` or an
        :class:`~mtjhw.gateware.mlp_engine.MLPEngine`): its sizes, format, learning rate, activation, rounding and
        lanes, weights drawn from ``seed``."""
        return cls(config.sizes, config.fmt, config.lr_shift, seed, config.activation, config.rounding,
                   config.lanes)

    def seed_rounding(self, seed: int) -> None:
        """Seed the stochastic-rounding generators (the engine's ``seed``/``seed_load``; 0 after reset)."""
        self._states = seeded_states(seed, self.lanes + 1)

    @property
    def rounding_states(self) -> np.ndarray:
        """The stochastic-rounding generators' states (32-bit words: one per lane, then the biases')."""
        return self._states.copy()

    @rounding_states.setter
    def rounding_states(self, states: np.ndarray) -> None:
        states = np.asarray(states, dtype=np.uint64)
        if states.shape != (self.lanes + 1,) or states.max() >> 32 or not states.all():
            raise ValueError(f"need {self.lanes + 1} nonzero 32-bit generator states, got {states}")
        self._states = states.copy()

    def _draw(self, rows: int, n_in: int) -> tuple[np.ndarray, np.ndarray]:
        """Random words for a layer's update, in the engine's order: per row, one word per memory word from each
        lane's generator (columns lane, lanes + lane, …), and one per row from the bias generator."""
        words = -(-n_in // self.lanes)
        draws = np.zeros((rows, words, self.lanes), dtype=np.int64)
        states = self._states
        for row in range(rows):
            for word in range(words):
                draws[row, word] = states[:-1]
                states[:-1] = xorshift32(states[:-1])
        bias = np.zeros(rows, dtype=np.int64)
        for row in range(rows):
            bias[row] = states[-1]
            states[-1:] = xorshift32(states[-1:])
        return draws.reshape(rows, words * self.lanes)[:, :n_in], bias

    def _layers(self, x: np.ndarray, pre: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Activations and derivatives, layer by layer, computing the pre-activations after those in ``pre``."""
        fmt = self.fmt
        activations, slopes = [np.asarray(x, dtype=np.int64)], []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if layer == len(pre):
                pre.append(fmt.saturate(((w @ activations[-1]) >> fmt.frac) + b))
            a, d = self.activation.apply(pre[layer], fmt)
            activations.append(a)
            slopes.append(d)
        return activations, slopes

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(pre-activations z, activations a) of every layer for input ``x`` (Q format integers)."""
        pre: list[np.ndarray] = []
        activations, _ = self._layers(x, pre)
        return pre, activations

    def predict(self, x: np.ndarray) -> int:
        return int(np.argmax(self.forward(x)[1][-1]))

    def step(self, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        """One training step on input ``x`` and ``target`` (Q format); returns the output activations."""
        pre: list[np.ndarray] = []
        act, slopes = self._layers(x, pre)
        self._backward(act, slopes, target)
        return act[-1]

    def step_measured(self, x: np.ndarray, z: np.ndarray, target: np.ndarray) -> np.ndarray:
        """A training step whose first-layer pre-activations ``z`` (Q format, bias not included) were measured
        elsewhere (on a device array); the layers after it are computed. Returns the output activations."""
        pre = [self.fmt.saturate(np.asarray(z, dtype=np.int64) + self.biases[0])]
        act, slopes = self._layers(x, pre)
        self._backward(act, slopes, target)
        return act[-1]

    def _backward(self, act: list[np.ndarray], slopes: list[np.ndarray], target: np.ndarray) -> None:
        fmt = self.fmt
        delta = fmt.saturate(((act[-1] - np.asarray(target, dtype=np.int64)) * slopes[-1]) >> fmt.frac)
        for layer in reversed(range(len(self.weights))):
            w = self.weights[layer]
            previous = None
            if layer:
                back = fmt.saturate((w.T @ delta) >> fmt.frac)
                previous = fmt.saturate((back * slopes[layer - 1]) >> fmt.frac)
            draws, bias_draws = self._draw(*w.shape) if self.rounding == "stochastic" else (0, 0)
            step = round_shift(np.outer(delta, act[layer]), fmt.frac + self.lr_shift, self.rounding, draws)
            self.weights[layer] = fmt.saturate(w - step)
            bias_step = round_shift(delta, self.lr_shift, self.rounding, bias_draws)
            self.biases[layer] = fmt.saturate(self.biases[layer] - bias_step)
            if previous is not None:
                delta = previous
