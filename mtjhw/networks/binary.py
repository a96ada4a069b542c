"""Binary neural networks on MTJ crossbars read by resistance summation and a TDC (Jung et al. 2022 scheme).

Each binary weight w ∈ {−1, +1} is a pair of MTJs storing w and −w (P for +1); the binary input x selects one
of the pair, so the selected device is P exactly when x·w = +1 (XNOR). A column of selected devices in series
has R = Σ R_selected: the number of matches, hence the dot product x·w, is read as a resistance. The column
charges a capacitor through R, and a TDC converts the charging time t = R·C·ln(V/(V − V_th)) into a code.
Long columns are read in segments of ``segment`` cells whose partial counts add up digitally.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams

from .adam import Adam
from .energy import TDC_ENERGY, InferenceEnergy, crossbar_inference_energy


def sign(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, 1.0, -1.0)


class BinaryMLP:
    """A binary-weight, binary-activation perceptron ``sizes[0]`` → … → ``sizes[-1]`` (hidden: sign neurons,
    output: scores), trained with the straight-through estimator and Adam on float latent weights.

    Training batch-normalises every hidden pre-activation; at its end the normalisation (statistics of the
    whole training set) is folded into one threshold (``bias``) per neuron and its sign into the neuron's
    weights, so inference is sign(x·W/√n + b): what a crossbar column and a digital comparator compute.
    ``binary=False`` makes the float network of the same size (float weights, tanh hidden neurons, batch norm
    folded the same way): the software ceiling."""

    def __init__(self, sizes: tuple[int, ...], seed: int = 0, binary: bool = True) -> None:
        if len(sizes) < 2:
            raise ValueError("need at least an input and an output size")
        rng = np.random.default_rng(seed)
        self.sizes = tuple(sizes)
        self.binary = binary
        scale = 0.1 if binary else 1.0
        self.latent = [rng.uniform(-scale, scale, (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.bias = [np.zeros(b) for b in sizes[1:]]
        self.output_gain = np.array(1.0)  #: softmax temperature of the output scores (training only)
        self._gamma = [np.ones(n) for n in sizes[1:-1]]
        self._beta = [np.zeros(n) for n in sizes[1:-1]]

    @property
    def weights(self) -> list[np.ndarray]:
        """The weights the crossbar stores: ±1 (binary) or the float ones."""
        return [sign(w) for w in self.latent] if self.binary else list(self.latent)

    def _activation(self, z: np.ndarray) -> np.ndarray:
        return sign(z) if self.binary else np.tanh(z)

    def preactivations(self, x: np.ndarray, dot=None) -> list[np.ndarray]:
        """Normalised pre-activations of every layer; ``dot(layer, inputs) -> x·W`` computes the dot products
        (default: exact arithmetic; a crossbar substitutes its measured ones)."""
        dot = dot or (lambda k, a: a @ self.weights[k])
        out, a = [], np.asarray(x, dtype=float)
        for k in range(len(self.latent)):
            z = dot(k, a) / math.sqrt(self.sizes[k]) + self.bias[k]
            out.append(z)
            a = self._activation(z)
        return out

    def predict(self, x: np.ndarray, dot=None) -> np.ndarray:
        return np.argmax(self.preactivations(x, dot)[-1], axis=1)

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int = 40, lr: float = 0.01, batch: int = 64,
              input_flips: float = 0.0, seed: int = 0) -> list[float]:
        """Fit on inputs ``x`` (±1) and integer labels ``y`` with Adam at a rate decaying from ``lr`` on a
        cosine; every training input bit is flipped with probability ``input_flips`` (noise against
        over-fitting). Folds the batch norm at the end; returns the training accuracy per epoch."""
        rng = np.random.default_rng(seed)
        adam = Adam(self.latent + self.bias[-1:] + self._gamma + self._beta + [self.output_gain], lr)
        history, targets = [], np.eye(self.sizes[-1])[y]
        for epoch in range(epochs):
            rate = lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
            for idx in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
                flips = np.where(rng.random((len(idx), x.shape[1])) < input_flips, -1.0, 1.0)
                adam.update(self._gradients(x[idx] * flips, targets[idx]), rate)
                if self.binary:
                    for w in self.latent:
                        np.clip(w, -1, 1, out=w)
            history.append(float(np.mean(np.argmax(self._scores(self._forward(x)[0][-1]), axis=1) == y)))
        self._fold(x)
        return history

    def _forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Training pass, batch norm on the hidden layers with the statistics of ``x``: (activations,
        normalised pre-activations, their standard deviations)."""
        acts, normed, stds = [x], [], []
        for k, w in enumerate(self.weights[:-1]):
            z = acts[-1] @ w / math.sqrt(self.sizes[k])
            stds.append(np.sqrt(z.var(axis=0) + 1e-5))
            normed.append((z - z.mean(axis=0)) / stds[-1])
            acts.append(self._activation(self._gamma[k] * normed[-1] + self._beta[k]))
        return acts, normed, stds

    def _scores(self, a: np.ndarray) -> np.ndarray:
        """The output layer's normalised pre-activations for hidden activations ``a``."""
        return a @ self.weights[-1] / math.sqrt(self.sizes[-2]) + self.bias[-1]

    def _gradients(self, x: np.ndarray, target: np.ndarray) -> list[np.ndarray]:
        """Gradients of the softmax cross-entropy, in the order of the parameters given to Adam."""
        acts, normed, stds = self._forward(x)
        z = self._scores(acts[-1])
        p = np.exp(self.output_gain * (z - z.max(axis=1, keepdims=True)))
        p /= p.sum(axis=1, keepdims=True)
        error = (p - target) / len(x)
        grad_gain = np.array(np.sum(error * z))
        delta = self.output_gain * error
        grads_w = [acts[-1].T @ delta / math.sqrt(self.sizes[-2])]
        grad_bias = delta.sum(axis=0)
        grads_gamma, grads_beta = [], []
        for k in reversed(range(len(self.latent) - 1)):
            back = delta @ self.weights[k + 1].T / math.sqrt(self.sizes[k + 1])
            h = self._gamma[k] * normed[k] + self._beta[k]
            dh = back * (np.abs(h) <= 1.0) if self.binary else back * (1 - acts[k + 1] ** 2)  # STE of sign()
            grads_gamma.append((dh * normed[k]).sum(axis=0))
            grads_beta.append(dh.sum(axis=0))
            dn = dh * self._gamma[k]
            delta = (dn - dn.mean(axis=0) - normed[k] * (dn * normed[k]).mean(axis=0)) / stds[k]
            grads_w.append(acts[k].T @ delta / math.sqrt(self.sizes[k]))
        return grads_w[::-1] + [grad_bias] + grads_gamma[::-1] + grads_beta[::-1] + [grad_gain]

    def _fold(self, x: np.ndarray) -> None:
        """Fold each hidden batch norm (statistics μ, s over ``x``) into thresholds and weights. Binary:
        sign(γ(z − μ)/s + β) = sign(σ·z + βs/|γ| − σμ) with σ = sign(γ) moved into the column's weights.
        Float: the column's weights scale by γ/s and b = β − γμ/s."""
        a = x
        for k in range(len(self.latent) - 1):
            z = a @ self.weights[k] / math.sqrt(self.sizes[k])
            mean, std = z.mean(axis=0), np.sqrt(z.var(axis=0) + 1e-5)
            g, b = self._gamma[k], self._beta[k]
            if self.binary:
                flip = sign(g)
                self.latent[k] *= flip
                self.bias[k] = b * std / np.maximum(np.abs(g), 1e-12) - flip * mean
            else:
                self.latent[k] *= g / std
                self.bias[k] = b - g * mean / std
            self._gamma[k], self._beta[k] = np.ones_like(g), np.zeros_like(b)
            a = self._activation(a @ self.weights[k] / math.sqrt(self.sizes[k]) + self.bias[k])


@dataclass
class XnorCrossbar:
    """The MTJ pairs of every layer of a :class:`BinaryMLP`, with device variability, and their TDC readout.

    ``params`` gives the devices' nominal values and spreads (lognormal Rp, TMR, stuck faults …);
    ``segment`` cells per series read, a ``tdc_bits`` TDC (None: ideal time measurement), ``c_load`` F,
    ``v_charge`` and ``v_threshold`` V of the RC readout, ``read_voltage`` V across a segment.
    """

    model: BinaryMLP
    params: CrossbarParams
    segment: int = 16
    tdc_bits: int | None = 4
    c_load: float = 1e-12
    v_charge: float = 1.0
    v_threshold: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.segment < 1:
            raise ValueError("segment must be >= 1")
        rng = np.random.default_rng(self.seed)
        self.pairs = []
        for w in self.model.weights:
            rows, cols = w.shape
            stores_w = CrossbarArray(rows, cols, self.params, rng)
            stores_not_w = CrossbarArray(rows, cols, self.params, rng)
            stores_w.program(w.astype(int), rng, max_attempts=20)
            stores_not_w.program(-w.astype(int), rng, max_attempts=20)
            self.pairs.append((stores_w, stores_not_w))
        p = self.params
        self._k = self.c_load * math.log(self.v_charge / (self.v_charge - self.v_threshold))
        read_v = self.v_charge / 2 / self.segment  # bias across one device while its segment charges
        self._r_p = p.r_p * math.exp(p.sigma_log_rp**2 / 2)
        self._r_ap = self._r_p * (1 + p.tmr / (1 + (read_v / p.v_half) ** 2))
        self._read_v = read_v

    def energy(self, tdc_energy: float = TDC_ENERGY) -> InferenceEnergy:
        """Energy of one inference (RC charging and ``tdc_energy`` J per conversion, :mod:`mtjhw.networks.energy`)."""
        layers = [w.shape for w in self.model.weights]
        return crossbar_inference_energy(layers, self.segment, self.c_load, self.v_charge, self.v_threshold,
                                         tdc_energy)

    def charging_times(self, layer: int, inputs: np.ndarray) -> np.ndarray:
        """(n, segments, outputs) charging times (s) of every series segment for inputs (n, rows) of ±1."""
        a, b = self.pairs[layer]
        r_a, r_b = a.resistances(self._read_v), b.resistances(self._read_v)
        rows = r_a.shape[0]
        n_seg = math.ceil(rows / self.segment)
        pad = n_seg * self.segment - rows
        selected = np.where(inputs[:, :, None] > 0, r_a[None], r_b[None])
        if pad:
            selected = np.concatenate([selected, np.zeros((len(inputs), pad, r_a.shape[1]))], axis=1)
        r_series = selected.reshape(len(inputs), n_seg, self.segment, -1).sum(axis=2)
        return r_series * self._k

    def dot(self, layer: int, inputs: np.ndarray) -> np.ndarray:
        """x·W as the readout measures it: per segment, the TDC code of the charging time → matches."""
        a = self.pairs[layer][0]
        chunk = max(1, 4_000_000 // (a.rows * a.cols))  # bound the (samples, rows, cols) working set
        return np.concatenate([self._dot(layer, inputs[k:k + chunk]) for k in range(0, len(inputs), chunk)])

    def _dot(self, layer: int, inputs: np.ndarray) -> np.ndarray:
        rows = self.pairs[layer][0].rows
        t = self.charging_times(layer, inputs)
        sizes = np.full(t.shape[1], self.segment)
        sizes[-1] = rows - self.segment * (t.shape[1] - 1)
        t_low = sizes[None, :, None] * self._r_p * self._k  # all devices matching (P)
        t_high = sizes[None, :, None] * self._r_ap * self._k
        fraction = (t - t_low) / (t_high - t_low)  # share of mismatching devices
        if self.tdc_bits is not None:
            levels = 2**self.tdc_bits - 1
            fraction = np.clip(np.round(fraction * levels), 0, levels) / levels
        mismatches = np.clip(fraction, 0, 1) * sizes[None, :, None]
        matches = (sizes[None, :, None] - mismatches).sum(axis=1)
        return 2 * matches - rows

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.model.predict(x, self.dot) == y))
