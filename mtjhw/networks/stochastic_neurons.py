"""Binary stochastic neurons (BSNs) made of superparamagnetic MTJs, and a perceptron whose hidden layers are BSNs.

A superparamagnetic MTJ driven by a current I fluctuates between P and AP; read at intervals longer than its dwell
times it is P with the equilibrium occupation of the Néel–Brown telegraph process, k_AP→P/(k_P→AP + k_AP→P). With
n = 1 and no stray field that is σ(2Δ·I/Ic0): a neuron whose input current is its pre-activation z scaled by
Ic0/(2Δ) fires (reads P, state 1) with probability σ(z). Device-to-device spread of Δ and Ic0 changes each
neuron's slope, a stray field h_offset shifts it (the occupation becomes σ(Δ(4h + 2i(1 + h²))), h = h_offset/Hk).

The network is trained offline in numpy on the nominal neuron (σ), with sampled binary hidden states in the
forward pass and the expected activation's derivative σ' in the backward pass (the straight-through estimator of
stochastic binary networks). Inference samples the devices: each read advances the telegraph process of every
junction for ``t_read`` under its input current (:class:`mtjhw.simulators.physics.telegraph.TelegraphMTJ`, exact,
so successive reads are as correlated as the devices make them) and takes its state; a prediction averages the
output scores of ``reads`` forward passes.

Energy (documented in :meth:`SmtjNeurons.read_energy` and :func:`synapse_energy`): a neuron read dissipates V²/R
over ``t_read`` in its junction (V = I·R, the input current is also the sense current; zero-bias R of the state
read, an upper estimate since R_AP falls with bias); the synaptic currents are supplied by a read source at
``v_read`` for the same time. Sense inverters and digital accumulation are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mtjhw.simulators.physics.neel_brown import STATE_P
from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams
from mtjhw.simulators.physics.tmr import resistance as tmr_resistance

from .adam import Adam

V_READ = 0.1  #: V, read voltage of the synapse rows: a typical MTJ-crossbar read bias, well below v_half (0.5 V)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass(frozen=True)
class SmtjNeuronParams:
    """Nominal sMTJ neuron (Néel–Brown, n = 1) and its device-to-device spread.

    Δ = 3 with τ0 = 1 ns gives dwell times of e³ τ0 ≈ 20 ns, the nanosecond telegraph noise of low-barrier
    in-plane junctions (Hayakawa et al., PRL 126, 117202 (2021): ~8 ns); ``t_read`` = 100 ns is then about ten
    correlation times. ``sigma_delta`` and ``sigma_ic0`` are lognormal relative spreads, ``sigma_offset`` the
    standard deviation of the stray field (T) along the easy axis."""

    delta: float = 3.0
    ic0: float = 20e-6  #: A
    tau0: float = 1e-9  #: s
    hk: float = 0.08  #: T
    r_p: float = 5000.0  #: Ω
    tmr: float = 1.2
    t_read: float = 100e-9  #: s, time each read drives the junction
    sigma_delta: float = 0.0
    sigma_ic0: float = 0.0
    sigma_offset: float = 0.0  #: T

    def varied(self, spread: float, offset: float | None = None) -> SmtjNeuronParams:
        """The same junction with relative spread ``spread`` of Δ and Ic0 and a stray-field σ ``offset`` (T)."""
        return replace(self, sigma_delta=spread, sigma_ic0=spread,
                       sigma_offset=self.sigma_offset if offset is None else offset)

    @property
    def current_scale(self) -> float:
        """A per unit of pre-activation: the current at which the nominal neuron fires with probability σ(1)."""
        return self.ic0 / (2.0 * self.delta)


class SmtjNeurons:
    """``n`` sMTJ neurons, their Δ, Ic0 and stray fields drawn once from ``seed``."""

    def __init__(self, n: int, params: SmtjNeuronParams | None = None, seed: int = 0) -> None:
        self.params = p = params or SmtjNeuronParams()
        rng = np.random.default_rng(seed)
        self.n = n
        self.delta = p.delta * np.exp(p.sigma_delta * rng.standard_normal(n))
        self.ic0 = p.ic0 * np.exp(p.sigma_ic0 * rng.standard_normal(n))
        self.h_offset = p.sigma_offset * rng.standard_normal(n)

    def devices(self, batch: int, rng: np.random.Generator) -> TelegraphMTJ:
        """The junctions, once per input of a batch of ``batch`` (each input is read on its own time), their
        states drawn at random (what the previous input left)."""
        p = self.params
        tile = lambda a: np.tile(a, batch)  # noqa: E731
        params = TelegraphParams(delta=tile(self.delta), ic0=tile(self.ic0), h_offset=tile(self.h_offset),
                                 tau0=p.tau0, hk=p.hk, r_p=p.r_p, tmr=p.tmr)
        return TelegraphMTJ(params, n=batch * self.n, state=rng.choice([-1, 1], batch * self.n))

    def current(self, z: np.ndarray) -> np.ndarray:
        """Input currents (A) for pre-activations ``z``."""
        return np.asarray(z, dtype=float) * self.params.current_scale

    def probability(self, z: np.ndarray) -> np.ndarray:
        """P(state = P) of every neuron (last axis) at pre-activations ``z`` (batch, n): the occupation."""
        z = np.atleast_2d(z)
        devices = self.devices(len(z), np.random.default_rng(0))
        r_p, r_ap = devices.rates(current=self.current(z).ravel())
        return (r_ap / (r_p + r_ap)).reshape(z.shape)

    def read(self, devices: TelegraphMTJ, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One read: drive ``devices`` (from :meth:`devices`) for ``t_read`` at pre-activations ``z`` (batch, n);
        their states, 1 for P and 0 for AP."""
        devices.advance(self.params.t_read, rng, current=self.current(z).ravel())
        return (devices.state == STATE_P).astype(float).reshape(z.shape)

    def count(self, z: np.ndarray, reads: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``reads`` reads at pre-activations ``z`` (batch, n), each state drawn from the occupation: (the number
        of reads each neuron was P, the energy (J) of all of them). Reads ``t_read`` apart are independent: the
        correlation time 1/(k_P + k_AP) is at most τ0·e^Δ whatever the current (20 ns for the nominal junction),
        so successive reads correlate by e^(−5) or less."""
        count = rng.binomial(reads, self.probability(z))
        energy = (self.read_energy(z, np.ones_like(count)) * count
                  + self.read_energy(z, np.zeros_like(count)) * (reads - count))
        return count, energy

    def read_energy(self, z: np.ndarray, states: np.ndarray) -> np.ndarray:
        """J per read of each neuron: V²/R·t_read = I²R·t_read at the input current I, with the zero-bias
        resistance of the state read (``states`` 1 = P)."""
        p = self.params
        r = tmr_resistance(p.r_p, p.tmr, np.where(states > 0.5, 1.0, -1.0), 0.0, 0.5)
        return self.current(z) ** 2 * r * p.t_read


def synapse_energy(inputs: np.ndarray, weights: np.ndarray, current_scale: float, t_read: float,
                   v_read: float = V_READ) -> np.ndarray:
    """J per read of each input's synaptic array: the read source at ``v_read`` (V) delivers every synaptic
    current |x_i·w_ij|·``current_scale`` (A) for ``t_read`` (s). A lower estimate for a differential pair of
    cells, which draws the current of both."""
    return v_read * current_scale * t_read * (np.abs(inputs) @ np.abs(weights)).sum(axis=1)


class StochasticMLP:
    """A perceptron ``sizes[0]`` → … → ``sizes[-1]``: hidden layers of binary stochastic neurons (σ firing
    probability), a linear output layer of class scores."""

    def __init__(self, sizes: tuple[int, ...], seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.sizes = tuple(sizes)
        self.weights = [rng.normal(0, 1 / np.sqrt(a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.bias = [np.zeros(b) for b in sizes[1:]]

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int = 60, lr: float = 0.003, batch: int = 32,
              stochastic: bool = True, seed: int = 0) -> None:
        """Softmax cross-entropy with Adam; ``stochastic``: sampled binary hidden states (straight-through σ'),
        else the float network (hidden activations σ)."""
        rng = np.random.default_rng(seed)
        targets = np.eye(self.sizes[-1])[y]
        adam = Adam(self.weights + self.bias, lr)
        for _ in range(epochs):
            for idx in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
                adam.update(self._gradients(x[idx], targets[idx], rng if stochastic else None))

    def _gradients(self, x: np.ndarray, targets: np.ndarray, rng: np.random.Generator | None) -> list[np.ndarray]:
        acts, probs = [x], []
        for w, b in zip(self.weights[:-1], self.bias[:-1], strict=True):
            p = sigmoid(acts[-1] @ w + b)
            probs.append(p)
            acts.append(p if rng is None else (rng.random(p.shape) < p).astype(float))
        z = acts[-1] @ self.weights[-1] + self.bias[-1]
        s = np.exp(z - z.max(axis=1, keepdims=True))
        d = (s / s.sum(axis=1, keepdims=True) - targets) / len(x)
        gw, gb = [], []
        for k in range(len(self.weights) - 1, -1, -1):
            gw.insert(0, acts[k].T @ d)
            gb.insert(0, d.sum(axis=0))
            if k:
                d = (d @ self.weights[k].T) * probs[k - 1] * (1 - probs[k - 1])
        return gw + gb

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Class scores of the float network (expected activations)."""
        a = np.asarray(x, dtype=float)
        for w, b in zip(self.weights[:-1], self.bias[:-1], strict=True):
            a = sigmoid(a @ w + b)
        return a @ self.weights[-1] + self.bias[-1]

    def hardware_neurons(self, params: SmtjNeuronParams, seed: int = 0) -> list[SmtjNeurons]:
        """One sMTJ neuron per hidden unit, each layer's devices drawn from its own seed."""
        return [SmtjNeurons(n, params, seed + k) for k, n in enumerate(self.sizes[1:-1])]

    def sample_scores(self, x: np.ndarray, neurons: list[SmtjNeurons], reads: int, rng: np.random.Generator
                      ) -> tuple[np.ndarray, float]:
        """(class scores of each of ``reads`` successive forward passes through the sampled devices, (reads,
        batch, classes); mean energy per pass (J): neuron reads plus synaptic currents)."""
        x = np.asarray(x, dtype=float)
        devices = [layer.devices(len(x), rng) for layer in neurons]
        scores, energy = np.empty((reads, len(x), self.sizes[-1])), np.zeros(len(x))
        for r in range(reads):
            a = x
            for k, layer in enumerate(neurons):
                z = a @ self.weights[k] + self.bias[k]
                energy += synapse_energy(a, self.weights[k], layer.params.current_scale, layer.params.t_read)
                a = layer.read(devices[k], z, rng)
                energy += layer.read_energy(z, a).sum(axis=1)
            energy += synapse_energy(a, self.weights[-1], layer.params.current_scale, layer.params.t_read)
            scores[r] = a @ self.weights[-1] + self.bias[-1]
        return scores, float(energy.mean()) / reads

    def accuracy(self, x: np.ndarray, y: np.ndarray, neurons: list[SmtjNeurons] | None = None, reads: int = 16,
                 seed: int = 0) -> float:
        """Test accuracy: of the float network without ``neurons``, else of the sMTJ network, each prediction
        the mean score of ``reads`` sampled passes."""
        if neurons is None:
            return float(np.mean(np.argmax(self.scores(x), axis=1) == y))
        return float(accuracy_by_reads(self.sample_scores(x, neurons, reads, np.random.default_rng(seed))[0],
                                       y)[-1])


def accuracy_by_reads(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Accuracy of predictions averaging the first 1, 2, … of the passes ``scores`` (reads, batch, classes)."""
    running = np.cumsum(scores, axis=0)
    return np.mean(np.argmax(running, axis=2) == y, axis=1)
