"""Forward-forward training (Hinton 2022) of an MTJ network, hardware in the loop, beside backprop on the same devices.

Every layer is a pair of MTJ crossbars (:class:`mtjhw.simulators.physics.crossbar.CrossbarArray`, device-to-device
spread of Rp and TMR, stuck cells, relative read noise) read by current summation: the inputs are word-line
voltages ``v_read``·x (x in [0, 1], one extra row at 1 for the bias), the bit lines sit at virtual ground and the
differential current I⁺ − I⁻ of a column pair is the layer's measured pre-activation (the array's
``read_parallel_columns`` without wire resistance, batched over samples, with its relative read noise). A synapse
is ``cells`` binary MTJs in parallel (on ``cells`` rows that share the input), so each crossbar stores ``cells + 1``
conductance levels and a weight 2·cells + 1: w = (n⁺ − n⁻)·w_max/cells with n± the P cells (thermometer code).
Training keeps a floating-point copy of the weights in software and, after every mini-batch, programs the cells
whose target state changed with Néel–Brown current pulses and verify (the pulses are counted: the write energy).

Forward-forward: the label is embedded in the input (one-hot, appended); each layer maximises its goodness
g = mean(h²) (h = ReLU of the measured pre-activation) on positive data (the true label) and minimises it on
negative data (a wrong label): its loss is softplus(−α(g⁺ − g⁻)) of the goodness gap of a positive and a negative
sample (the symmetric form of Lee & Song, "SymBa", arXiv:2303.08418, which converges faster and more stably than
Hinton's threshold loss softplus(∓(g − θ)) here); its weight update uses only its own inputs and its own measured
outputs, no backward pass through the devices. The next layer sees h/max(h), so the goodness itself does
not pass on. Inference embeds each label in turn and picks the one of largest goodness summed over the layers.
Backprop: the same devices and forward pass, a softmax output layer, the gradient computed in software from the
measured activations and the software weights.

Energy (per read of a cell, per conversion, per pulse):

- a cell read dissipates V²·G over ``t_read`` = 10 ns (an assumed read window: MRAM sense times are a few to
  tens of ns);
- each differential column pair is converted once per read by an 8-bit ADC: :data:`ADC_ENERGY`, from a Walden
  figure of merit of 10 fJ per conversion step, conservative for SAR ADCs (B. Murmann, "ADC Performance Survey
  1997–2023", lists SAR designs at a few fJ per step): 2⁸ × 10 fJ ≈ 2.6 pJ;
- a write pulse of amplitude I and width t into a cell of resistance R (its state before the pulse) dissipates
  I²·R·t (defaults 100 µA, 10 ns: Ic0 = 60 µA and Néel–Brown success ≈ 1 − e⁻¹⁰ per pulse).

Digital peripherals (Adam update, normalisation) are left out, as in :mod:`mtjhw.networks.energy`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.tmr import resistance

from .adam import Adam

ADC_ENERGY = 2.6e-12  #: J per 8-bit conversion (see the module docstring)


@dataclass(frozen=True)
class Devices:
    """The crossbars of a layer: device ``params``, ``cells`` binary MTJs per synapse, weight range ±``w_max``,
    read bias ``v_read`` (V) for ``t_read`` (s), write pulses of ``write_amplitude`` (A) and ``write_width`` (s)
    with up to ``max_attempts`` per programming, ``adc_energy`` J per conversion."""

    params: CrossbarParams = field(default_factory=lambda: CrossbarParams(read_noise=0.005))
    cells: int = 4
    w_max: float = 0.5
    v_read: float = 0.1
    t_read: float = 10e-9
    write_amplitude: float = 100e-6
    write_width: float = 10e-9
    max_attempts: int = 5
    adc_energy: float = ADC_ENERGY

    def __post_init__(self) -> None:
        if self.params.r_wire:
            raise ValueError("the batched read has no wire network: use CrossbarParams(r_wire=0)")
        if self.cells < 1 or not self.w_max > 0:
            raise ValueError(f"need cells >= 1 and w_max > 0, got {self.cells} and {self.w_max}")

    @property
    def unit(self) -> float:
        """Differential current (A) of a weight 1 at input 1: v_read·(G_P − G_AP)·cells/w_max, nominal cells."""
        p = self.params
        return self.v_read * (1 / p.r_p - 1 / (p.r_p * (1 + p.tmr))) * self.cells / self.w_max


@dataclass
class Ledger:
    """What the devices did: column conversions, energy dissipated in reads (J), write pulses and their energy."""

    conversions: int = 0
    read_energy: float = 0.0
    pulses: int = 0
    write_energy: float = 0.0

    def energy(self, adc_energy: float) -> float:
        """J in all: reads, ``adc_energy`` per conversion, writes."""
        return self.read_energy + self.conversions * adc_energy + self.write_energy

    def since(self, before: Ledger) -> Ledger:
        return Ledger(self.conversions - before.conversions, self.read_energy - before.read_energy,
                      self.pulses - before.pulses, self.write_energy - before.write_energy)

    def copy(self) -> Ledger:
        return Ledger(self.conversions, self.read_energy, self.pulses, self.write_energy)


class Layer:
    """``n_in`` → ``n_out`` with a bias; on ``devices`` (a crossbar pair), or exact floating point if None."""

    def __init__(self, n_in: int, n_out: int, devices: Devices | None, ledger: Ledger, rng: np.random.Generator):
        self.weights = rng.normal(0.0, 1.0 / np.sqrt(n_in + 1), (n_in + 1, n_out))  #: software copy, bias last
        self.devices, self.ledger = devices, ledger
        if devices is not None:
            rows = (n_in + 1) * devices.cells
            self.arrays = tuple(CrossbarArray(rows, n_out, devices.params, rng) for _ in range(2))
            self._g_states = [{s: 1 / resistance(a.r_p, a.tmr, float(s), 0.0, devices.params.v_half)
                               for s in (STATE_P, STATE_AP)} for a in self.arrays]
            self.program(rng)

    def levels(self) -> np.ndarray:
        """(n_in + 1, n_out) stored weight levels n⁺ − n⁻ in −cells … cells."""
        d = self.devices
        return np.clip(np.rint(self.weights / d.w_max * d.cells), -d.cells, d.cells).astype(int)

    def program(self, rng: np.random.Generator) -> None:
        """Write the levels of the software weights into the cells (thermometer code), pulse by pulse, verified."""
        d = self.devices
        if d is None:
            return
        q = self.levels()
        order = np.arange(d.cells)[None, :, None]
        self._g = []
        for array, g, n in zip(self.arrays, self._g_states, (np.maximum(q, 0), np.maximum(-q, 0)), strict=True):
            target = np.where(order < n[:, None, :], STATE_P, STATE_AP).reshape(array.rows, array.cols)
            for _ in range(d.max_attempts):
                todo = (array.state != target) & (array.stuck == 0)
                if not todo.any():
                    break
                r_before = 1 / np.where(array.state == STATE_P, g[STATE_P], g[STATE_AP])[todo]
                self.ledger.pulses += int(todo.sum())
                self.ledger.write_energy += d.write_amplitude**2 * d.write_width * float(r_before.sum())
                array.program(target, rng, d.write_amplitude, d.write_width, max_attempts=1)
            cell = np.where(array.broken, 1 / array.r_short, np.where(array.state == STATE_P, g[STATE_P], g[STATE_AP]))
            self._g.append(cell.reshape(-1, d.cells, array.cols).sum(axis=1))

    def forward(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(n, n_out) pre-activations of inputs ``x`` (n, n_in) in [0, 1], as the column currents measure them."""
        x1 = np.hstack([x, np.ones((len(x), 1))])
        d = self.devices
        if d is None:
            return x1 @ self.weights
        v = d.v_read * x1
        currents = [v @ g for g in self._g]
        if d.params.read_noise:
            currents = [i * (1 + d.params.read_noise * rng.standard_normal(i.shape)) for i in currents]
        self.ledger.read_energy += d.t_read * float(np.sum((v * v) @ (self._g[0] + self._g[1])))
        self.ledger.conversions += x.shape[0] * self.weights.shape[1]
        return (currents[0] - currents[1]) / d.unit


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def max_normalise(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(h / max(h), max(h)) per sample: the next layer's inputs in [0, 1]."""
    m = np.maximum(h.max(axis=1, keepdims=True), 1e-12)
    return h / m, m


class DeviceNetwork(ABC):
    """Layers ``sizes[0]`` → … → ``sizes[-1]`` on ``devices`` (None: floating point), weights clipped to ±w_max."""

    def __init__(self, sizes: tuple[int, ...], devices: Devices | None, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.devices = devices
        self.ledger = Ledger()
        self.layers = [Layer(a, b, devices, self.ledger, self.rng) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.optimiser: Adam | None = None

    def apply(self, grads: list[np.ndarray], lr: float) -> None:
        """One Adam step of the software weights, then program the devices."""
        if self.optimiser is None:
            self.optimiser = Adam([layer.weights for layer in self.layers], lr)
        self.optimiser.update(grads)
        w_max = self.devices.w_max if self.devices is not None else np.inf
        for layer in self.layers:
            np.clip(layer.weights, -w_max, w_max, out=layer.weights)
            layer.program(self.rng)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == y))

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class labels of ``x`` through the devices."""


class ForwardForwardNet(DeviceNetwork):
    """Forward-forward network: inputs with the one-hot label appended, ``hidden`` layers, loss sharpness
    ``alpha`` (per unit of goodness, mean h²)."""

    def __init__(self, n_inputs: int, hidden: tuple[int, ...], n_classes: int, devices: Devices | None,
                 alpha: float = 16.0, seed: int = 0) -> None:
        super().__init__((n_inputs + n_classes, *hidden), devices, seed)
        self.n_classes, self.alpha = n_classes, alpha

    def embed(self, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return np.hstack([x, np.eye(self.n_classes)[labels]])

    def goodness(self, x: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
        """Each layer's goodness mean(h²) for inputs ``x`` with ``labels`` embedded."""
        a, out = self.embed(x, labels), []
        for layer in self.layers:
            h = relu(layer.forward(a, self.rng))
            out.append(np.mean(h * h, axis=1))
            a, _ = max_normalise(h)
        return out

    def predict(self, x: np.ndarray) -> np.ndarray:
        scores = [sum(self.goodness(x, np.full(len(x), label))) for label in range(self.n_classes)]
        return np.argmax(np.stack(scores, axis=1), axis=1)

    def local_gradients(self, x: np.ndarray, labels: np.ndarray, wrong: np.ndarray) -> list[np.ndarray]:
        """Every layer's gradient of its own loss softplus(−α(g⁺ − g⁻)) from its inputs and measured outputs."""
        a, grads = [self.embed(x, labels), self.embed(x, wrong)], []
        ones = np.ones((len(x), 1))
        for layer in self.layers:
            h = [relu(layer.forward(inputs, self.rng)) for inputs in a]
            g = [np.mean(hk * hk, axis=1) for hk in h]
            weight = self.alpha / (1 + np.exp(np.clip(self.alpha * (g[0] - g[1]), -50, 50)))
            dz = [sign * weight[:, None] * 2 * hk / hk.size for sign, hk in zip((-1, 1), h, strict=True)]
            grads.append(sum(np.hstack([inputs, ones]).T @ d for inputs, d in zip(a, dz, strict=True)))
            a = [max_normalise(hk)[0] for hk in h]
        return grads

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int, lr: float = 0.05, batch: int = 64) -> None:
        """Positive (true label) and negative (a random wrong label) data per mini-batch, layers trained locally."""
        for _ in range(epochs):
            for idx in np.array_split(self.rng.permutation(len(x)), max(1, len(x) // batch)):
                wrong = (y[idx] + self.rng.integers(1, self.n_classes, len(idx))) % self.n_classes
                self.apply(self.local_gradients(x[idx], y[idx], wrong), lr)


class BackpropNet(DeviceNetwork):
    """The same devices and forward pass (ReLU, h/max(h) between layers), a softmax output layer, trained by
    backprop computed in software from the measured activations."""

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """(inputs of every layer, pre-activations, per-sample maxima of the hidden activations)."""
        inputs, zs, maxima, a = [], [], [], x
        for k, layer in enumerate(self.layers):
            inputs.append(a)
            zs.append(layer.forward(a, self.rng))
            if k < len(self.layers) - 1:
                a, m = max_normalise(relu(zs[-1]))
                maxima.append(m)
        return inputs, zs, maxima

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.forward(x)[1][-1], axis=1)

    def gradients(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        inputs, zs, maxima = self.forward(x)
        scores = zs[-1] - zs[-1].max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        dz = (p - np.eye(p.shape[1])[y]) / len(x)
        grads = []
        for k in reversed(range(len(self.layers))):
            grads.append(np.hstack([inputs[k], np.ones((len(x), 1))]).T @ dz)
            if k:
                da = dz @ self.layers[k].weights[:-1].T
                a, m = inputs[k], maxima[k - 1]
                dh = da / m
                top = np.argmax(a, axis=1)
                dh[np.arange(len(x)), top] -= np.sum(da * a, axis=1) / m[:, 0]
                dz = dh * (zs[k - 1] > 0)
        return grads[::-1]

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int, lr: float = 0.05, batch: int = 64) -> None:
        for _ in range(epochs):
            for idx in np.array_split(self.rng.permutation(len(x)), max(1, len(x) // batch)):
                self.apply(self.gradients(x[idx], y[idx]), lr)
