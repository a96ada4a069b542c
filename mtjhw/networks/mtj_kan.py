"""A Kolmogorov–Arnold network whose learnable univariate functions are p-bit transfer curves, and its MLP twin.

Each edge (i → j) of a KAN layer is φ(x) = Σ_b c_b·p_b(I_unit·(a_b x + d_b)): ``basis`` superparamagnetic MTJs
(p-bits), each biased by a current set from the edge's input with its own learnable scale a_b and offset d_b, read
out as its occupation p_b (the time-averaged probability of P) and weighted by a learnable c_b; a node sums its
edges (Liu et al., "KAN", arXiv:2404.19756, with the B-splines replaced by device curves). p(I) is the equilibrium
occupation r_AP→P/(r_P→AP + r_AP→P) of the Néel–Brown telegraph process of
:class:`mtjhw.simulators.physics.telegraph.TelegraphMTJ`, for each device with its own Δ and Ic0 (device-to-device
variation): nominally the logistic σ(2Δ·I/Ic0), so I_unit = Ic0/(2Δ) makes it σ(u). The curves are characterised
once (tabulated on a grid of bias currents) and training uses each device's own curve and slope; at inference
each p-bit is read ``samples`` times, every ``sample_period``, and its measured occupation is the fraction of
reads in P (binomial read noise: the reads are independent because the period exceeds 4 correlation times
1/(r_P + r_AP) ≤ τ0·e^Δ/2 for Δ ≤ 3.9).

The MLP twin has the same devices as activations: one p-bit per hidden neuron, driven by I_unit·(W x + b).

Energy per inference, per p-bit: its bias current I through its mean resistance for ``samples``·``sample_period``
(I²·R·t), plus :data:`SENSE_ENERGY` per read; and :data:`MAC_ENERGY` per multiply-accumulate of the digital
periphery (the bias codes a·x + d of the KAN, W x + b of the MLP, and the weighted sums of occupations):

- :data:`MAC_ENERGY` = 0.23 pJ: an 8-bit integer multiply (0.2 pJ) plus add (0.03 pJ) at 45 nm (M. Horowitz,
  "Computing's energy problem", ISSCC 2014);
- :data:`SENSE_ENERGY` = 50 fJ per read: an estimate for a latch sense amplifier comparing the junction with a
  reference (StrongARM latches dissipate tens of fJ per decision in 65–28 nm CMOS).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams

from .adam import Adam

MAC_ENERGY = 0.23e-12  #: J per 8-bit multiply-accumulate (see the module docstring)
SENSE_ENERGY = 50e-15  #: J per p-bit read (see the module docstring)
U_MAX = 12.0  #: the tabulated drive range ±U_MAX in units of I_unit (= ±2 Ic0 at nominal Δ = 3)


@dataclass(frozen=True)
class Pbits:
    """p-bit devices: nominal ``delta`` (kBT), ``ic0`` (A), ``r_p`` (Ω), ``tmr``, ``tau0`` (s), relative
    device-to-device spread ``variation`` (normal σ) of Δ and Ic0, ``samples`` reads every ``sample_period`` (s)
    per inference (None: the exact occupation, an ideal read)."""

    delta: float = 3.0
    ic0: float = 40e-6
    r_p: float = 5000.0
    tmr: float = 1.2
    tau0: float = 1e-9
    variation: float = 0.05
    samples: int | None = 64
    sample_period: float = 100e-9

    @property
    def i_unit(self) -> float:
        """A: the bias current per unit of drive u, Ic0/(2Δ) at the nominal device."""
        return self.ic0 / (2 * self.delta)


class PbitBank:
    """``n`` p-bits with their transfer curves tabulated from the telegraph physics on ``grid`` points in ±U_MAX;
    ``pbits=None``: the ideal logistic σ(u) (the floating-point network)."""

    def __init__(self, n: int, pbits: Pbits | None, seed: int = 0, grid: int = 241) -> None:
        self.n, self.pbits = n, pbits
        self.du = 2 * U_MAX / (grid - 1)
        if pbits is None:
            return
        rng = np.random.default_rng(seed)
        spread = lambda: np.maximum(1 + pbits.variation * rng.standard_normal(n), 0.2)  # noqa: E731
        self.devices = TelegraphMTJ(TelegraphParams(delta=pbits.delta * spread(), ic0=pbits.ic0 * spread(),
                                                    tau0=pbits.tau0, r_p=pbits.r_p, tmr=pbits.tmr), n=n)
        table = np.empty((n, grid))
        for k, u in enumerate(np.linspace(-U_MAX, U_MAX, grid)):
            r_p, r_ap = self.devices.rates(current=u * pbits.i_unit)
            table[:, k] = r_ap / (r_p + r_ap)
        self.table = table.ravel()
        self.slopes = (np.diff(table, axis=1) / self.du).ravel()
        self._row = np.arange(n) * grid  #: offset of each device's curve in ``table``
        self._slope_row = np.arange(n) * (grid - 1)
        self._last = grid - 2  #: the last segment of a curve

    def curve(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(occupation, d occupation / du) of every device at drives ``u`` (..., n)."""
        if self.pbits is None:
            p = 0.5 * (1 + np.tanh(0.5 * u))
            return p, p * (1 - p)
        pos = (np.clip(u, -U_MAX, U_MAX) + U_MAX) / self.du
        k = np.minimum(pos.astype(int), self._last)
        slope = np.take(self.slopes, self._slope_row + k)
        value = np.take(self.table, self._row + k) + (pos - k) * self.du * slope
        return value, np.where(np.abs(u) < U_MAX, slope, 0.0)

    def read(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Occupations as measured: the fraction of ``samples`` independent reads in P (exact if ideal)."""
        p, _ = self.curve(u)
        if self.pbits is None or self.pbits.samples is None:
            return p
        return rng.binomial(self.pbits.samples, np.clip(p, 0, 1)) / self.pbits.samples

    def energy(self, u: np.ndarray) -> float:
        """J of one read-out of every device at drives ``u`` (n,): bias I²·⟨R⟩·t plus a sense per read."""
        pb = self.pbits
        if pb is None:
            return 0.0
        p, _ = self.curve(u)
        samples = pb.samples or 1
        mean_r = pb.r_p * (p + (1 - p) * (1 + pb.tmr))
        bias = (u * pb.i_unit) ** 2 * mean_r * samples * pb.sample_period
        return float(np.sum(bias) + u.size * samples * SENSE_ENERGY)


class Network(ABC):
    """Shared training (softmax cross-entropy, Adam, mini-batches) and read-out of the two models."""

    params: list[np.ndarray]

    def logits(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Outputs with exact occupations (``rng`` None) or as the devices are read (``rng``)."""
        return self._forward(x, rng)[0]

    def predict(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return np.argmax(self.logits(x, rng), axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator | None = None) -> float:
        return float(np.mean(self.predict(x, rng) == y))

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int, lr: float = 0.01, batch: int = 64,
              seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        optimiser = Adam(self.params, lr)
        for _ in range(epochs):
            for idx in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
                out, cache = self._forward(x[idx], None)
                p = np.exp(out - out.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                optimiser.update(self._backward(cache, (p - np.eye(out.shape[1])[y[idx]]) / len(idx)))

    @abstractmethod
    def _forward(self, x: np.ndarray, rng: np.random.Generator | None) -> tuple[np.ndarray, list]:
        """(scores, cache for the backward pass); devices sampled with ``rng`` (None: exact occupations)."""

    @abstractmethod
    def _backward(self, cache: list, grad: np.ndarray) -> list[np.ndarray]:
        """Gradients of the parameters, in :attr:`params` order, from the scores' gradient ``grad``."""


class KANLayer:
    """``n_in`` × ``n_out`` edges, each the sum of ``basis`` p-bit curves with learnable a, d, c."""

    def __init__(self, n_in: int, n_out: int, basis: int, pbits: Pbits | None, rng: np.random.Generator,
                 seed: int) -> None:
        shape = (n_in, n_out, basis)
        self.a = rng.normal(0.0, 2.0, shape)
        self.d = rng.uniform(-3.0, 3.0, shape)
        self.c = rng.normal(0.0, 1.0 / np.sqrt(n_in * basis), shape)
        self.bank = PbitBank(n_in * n_out * basis, pbits, seed)

    def drives(self, x: np.ndarray) -> np.ndarray:
        return self.a * x[:, :, None, None] + self.d

    def forward(self, x: np.ndarray, rng: np.random.Generator | None) -> tuple[np.ndarray, tuple]:
        u = self.drives(x)
        flat = u.reshape(len(x), -1)
        p, slope = self.bank.curve(flat)
        if rng is not None:
            p = self.bank.read(flat, rng)
        p, slope = p.reshape(u.shape), slope.reshape(u.shape)
        return np.einsum("sijb,ijb->sj", p, self.c), (x, p, slope)

    def backward(self, cache: tuple, grad: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """([dL/da, dL/dd, dL/dc], dL/dx) for dL/dy ``grad`` (samples, n_out)."""
        x, p, slope = cache
        g = grad[:, None, :, None] * self.c * slope  # dL/du
        return [np.einsum("sijb,si->ijb", g, x), g.sum(axis=0), np.einsum("sj,sijb->ijb", grad, p)], \
            np.einsum("sijb,ijb->si", g, self.a)


class MTJKAN(Network):
    """KAN ``sizes[0]`` → … → ``sizes[-1]`` with ``basis`` p-bits per edge (``pbits`` None: ideal σ)."""

    def __init__(self, sizes: tuple[int, ...], basis: int, pbits: Pbits | None, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.layers = [KANLayer(a, b, basis, pbits, rng, seed + k)
                       for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))]
        self.params = [p for layer in self.layers for p in (layer.a, layer.d, layer.c)]

    @property
    def n_parameters(self) -> int:
        return sum(p.size for p in self.params)

    def _forward(self, x: np.ndarray, rng: np.random.Generator | None) -> tuple[np.ndarray, list]:
        cache = []
        for layer in self.layers:
            x, c = layer.forward(x, rng)
            cache.append(c)
        return x, cache

    def _backward(self, cache: list, grad: np.ndarray) -> list[np.ndarray]:
        grads: list[list[np.ndarray]] = []
        for layer, c in zip(reversed(self.layers), reversed(cache), strict=True):
            g, grad = layer.backward(c, grad)
            grads.insert(0, g)
        return [g for layer_grads in grads for g in layer_grads]

    def inference_energy(self, x: np.ndarray) -> dict[str, float]:
        """J per inference, averaged over ``x``: p-bit bias and reads, digital MACs (a·x + d per device,
        c·p per device)."""
        devices = sum(layer.bank.n for layer in self.layers)
        pbit, u = 0.0, x
        for layer in self.layers:
            drives = layer.drives(u).reshape(len(u), -1)
            pbit += sum(layer.bank.energy(row) for row in drives) / len(u)
            u, _ = layer.forward(u, None)
        return _energy_dict(pbit, 2 * devices, devices)


class PbitMLP(Network):
    """MLP ``sizes`` with a p-bit per hidden neuron as its activation (``pbits`` None: ideal σ), linear output."""

    def __init__(self, sizes: tuple[int, ...], pbits: Pbits | None, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.weights = [rng.normal(0.0, 1.0 / np.sqrt(a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.biases = [np.zeros(b) for b in sizes[1:]]
        self.banks = [PbitBank(b, pbits, seed + k) for k, b in enumerate(sizes[1:-1])]
        self.params = self.weights + self.biases

    @property
    def n_parameters(self) -> int:
        return sum(p.size for p in self.params)

    def _forward(self, x: np.ndarray, rng: np.random.Generator | None) -> tuple[np.ndarray, list]:
        cache = []
        for w, b, bank in zip(self.weights[:-1], self.biases[:-1], self.banks, strict=True):
            z = x @ w + b
            cache.append(x)
            x, slope = bank.curve(z)
            if rng is not None:
                x = bank.read(z, rng)
            cache.append(slope)
        cache.append(x)
        return x @ self.weights[-1] + self.biases[-1], cache

    def _backward(self, cache: list, grad: np.ndarray) -> list[np.ndarray]:
        gw, gb = [], []
        for k in reversed(range(len(self.weights))):
            x = cache[2 * k]
            gw.insert(0, x.T @ grad)
            gb.insert(0, grad.sum(axis=0))
            if k:
                grad = (grad @ self.weights[k].T) * cache[2 * k - 1]
        return gw + gb

    def inference_energy(self, x: np.ndarray) -> dict[str, float]:
        """J per inference, averaged over ``x``: hidden p-bits' bias and reads, one digital MAC per weight."""
        pbit, u = 0.0, x
        for w, b, bank in zip(self.weights[:-1], self.biases[:-1], self.banks, strict=True):
            z = u @ w + b
            pbit += sum(bank.energy(row) for row in z) / len(u)
            u, _ = bank.curve(z)
        return _energy_dict(pbit, sum(w.size for w in self.weights), sum(bank.n for bank in self.banks))


def _energy_dict(pbit: float, macs: int, devices: int) -> dict[str, float]:
    return {"energy_per_inference": pbit + macs * MAC_ENERGY, "pbit_energy": pbit, "macs": macs,
            "mac_energy": MAC_ENERGY, "pbits": devices, "sense_energy_per_read": SENSE_ENERGY}
