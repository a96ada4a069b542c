"""Trainers: the backward pass and the weight update, given the forward pass measured on the array.

:class:`FloatTrainer` is the float (numpy) reference: a softmax layer over binary weights kept as float shadow
weights (straight-through estimator), with digital biases. :class:`GoldenTrainer` is the FPGA training engine's
bit-exact golden model (fixed-point shadow weights, hard-sigmoid, shift learning rate); :class:`GatewareTrainer`
runs the same steps on the training engine itself, through its host class (the simulated gateware in CI, the FPGA
on a board). All implement ``step``/``scores``/``binary_weights``/``state``/``load``.
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

    def weights(self) -> np.ndarray:
        """Analog weights in [−1, 1] for multi-level arrays."""
        return np.clip(self.shadow, -1.0, 1.0)

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


class GoldenTrainer:
    """The FPGA engine's arithmetic (:class:`mtjhw.gateware.mlp_golden.GoldenMLP`) as the HIL trainer: the measured
    dot products, scaled by ``gain``/√n_inputs, enter as fixed-point pre-activations; the engine's delta and
    shift-rate update act on fixed-point shadow weights whose signs are programmed into the array. Keep
    ``gain`` such that the pre-activations stay within the hard sigmoid's linear range (|z| ≲ 2), where the
    engine's gradient lives."""

    def __init__(self, n_inputs: int, n_outputs: int, lr_shift: int = 3, gain: float = 0.5, seed: int = 0) -> None:
        from mtjhw.gateware.mlp_golden import DEFAULT_FORMAT, GoldenMLP

        self.model = GoldenMLP((n_inputs, n_outputs), DEFAULT_FORMAT, lr_shift=lr_shift, seed=seed)
        self.fmt = DEFAULT_FORMAT
        self.scale = gain / math.sqrt(n_inputs)
        self.targets = self.fmt.quantize(np.eye(n_outputs) * 0.9 + 0.05)

    def binary_weights(self) -> np.ndarray:
        return np.where(self.model.weights[0].T >= 0, 1.0, -1.0)

    def weights(self) -> np.ndarray:
        """Analog weights in [−1, 1] (the fixed-point shadow weights) for multi-level arrays."""
        return np.clip(self.model.weights[0].T / self.fmt.one, -1.0, 1.0)

    def _pre(self, dots: np.ndarray) -> np.ndarray:
        return self.fmt.quantize(self.scale * np.asarray(dots, dtype=float))

    def scores(self, dots: np.ndarray) -> np.ndarray:
        return (self._pre(dots) + self.model.biases[0]).astype(float)

    def step(self, x: np.ndarray, dots: np.ndarray, label: int) -> float:
        a = self.model.step_measured(self.fmt.quantize(x), self._pre(dots), self.targets[label])
        return float(np.sum(((a - self.targets[label]) / self.fmt.one) ** 2))

    def state(self) -> dict[str, np.ndarray]:
        return {"weights": self.model.weights[0].copy(), "bias": self.model.biases[0].copy()}

    def load(self, state: dict[str, np.ndarray]) -> None:
        self.model.weights[0] = np.array(state["weights"], dtype=np.int64)
        self.model.biases[0] = np.array(state["bias"], dtype=np.int64)


class GatewareTrainer(GoldenTrainer):
    """The training engine as the HIL trainer: each step pushes the inputs and the measured pre-activations to the
    engine (a :class:`mtjhw.gateware.accelerator_host.TrainingEngineHost`, on the simulated bus or a board) and lets it
    run the delta and the update; the weights are read back when the array is to be programmed. The engine must hold a
    ``n_inputs`` → ``n_outputs`` network; it starts from the same weights as :class:`GoldenTrainer` with
    the same seed, so the two train identically."""

    def __init__(self, engine, n_inputs: int, n_outputs: int, lr_shift: int = 3, gain: float = 0.5,
                 seed: int = 0) -> None:
        super().__init__(n_inputs, n_outputs, lr_shift=lr_shift, gain=gain, seed=seed)
        config = engine.config
        if config.sizes != (n_inputs, n_outputs) or config.lr_shift != lr_shift or config.fmt != self.fmt:
            raise ValueError(f"the engine holds {config.sizes} with lr_shift {config.lr_shift} in "
                             f"Q{config.fmt.width - config.fmt.frac}.{config.fmt.frac}; this trainer needs "
                             f"({n_inputs}, {n_outputs}) with lr_shift {lr_shift} in Q6.10")
        self.engine = engine
        engine.set_targets(int(self.targets[0, 0]), int(self.targets[0, 1]))
        engine.load(self.model)
        self._stale = False

    def _sync(self) -> None:
        if self._stale:
            self.model.weights, self.model.biases = self.engine.parameters()
            self._stale = False

    def binary_weights(self) -> np.ndarray:
        self._sync()
        return super().binary_weights()

    def weights(self) -> np.ndarray:
        self._sync()
        return super().weights()

    def scores(self, dots: np.ndarray) -> np.ndarray:
        self._sync()
        return super().scores(dots)

    def step(self, x: np.ndarray, dots: np.ndarray, label: int) -> float:
        outcome = self.engine.step(self.fmt.quantize(x), label, z=self._pre(dots))
        self._stale = True
        return float(np.sum(((outcome.outputs - self.targets[label]) / self.fmt.one) ** 2))

    def state(self) -> dict[str, np.ndarray]:
        self._sync()
        return super().state()

    def load(self, state: dict[str, np.ndarray]) -> None:
        super().load(state)
        self.engine.load(self.model)
        self._stale = False
