"""Spiking networks with stochastic MTJ neurons: population coding by p-bits and an unsupervised WTA layer.

A superparamagnetic MTJ under a bias current is a p-bit: read at intervals longer than its dwell times its
state is P with probability σ((I − I50)/s), the occupation of the Néel–Brown telegraph process. A population
of p-bits whose bias offsets tile an input range encodes a value as a pattern of firing probabilities; device
variation (Δ, Rp, Ic0 spread) distorts the tuning curves. The output layer is a set of leaky integrate-and-fire
neurons with lateral inhibition (winner-take-all) that learn prototypes with a competitive STDP rule; their
classes are assigned afterwards from the training labels (unsupervised learning, supervised labelling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams


@dataclass
class PbitPopulation:
    """``n_features`` × ``per_feature`` sMTJ p-bits; feature values in [0, 1] map to currents across
    ±``current_span`` (A) around each p-bit's own offset, offsets tiling the range. ``variation`` is the relative
    device-to-device spread (uniform ±) of Δ, Rp and Ic0."""

    n_features: int
    per_feature: int = 12
    delta: float = 3.0
    ic0: float = 40e-6
    current_span: float = 30e-6
    variation: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        n = self.n_features * self.per_feature
        spread = lambda: 1 + self.variation * rng.uniform(-1, 1, n)  # noqa: E731
        self.devices = TelegraphMTJ(TelegraphParams(delta=self.delta * spread(), ic0=self.ic0 * spread(),
                                                    r_p=5000.0 * spread(), h_offset=0.0), n=n)
        centres = np.linspace(0, 1, self.per_feature)
        self.offsets = np.tile(centres, self.n_features)

    def currents(self, x: np.ndarray) -> np.ndarray:
        """(samples, n) bias currents (A) for features ``x`` (samples, n_features) in [0, 1]."""
        values = np.repeat(np.asarray(x, dtype=float), self.per_feature, axis=1)
        return 2 * self.current_span * (values - self.offsets)

    def firing_probability(self, x: np.ndarray) -> np.ndarray:
        """P(state = P) of every p-bit for every sample: the telegraph process's equilibrium occupation."""
        i = self.currents(x)
        r_p, r_ap = np.empty_like(i), np.empty_like(i)
        for k, row in enumerate(i):
            r_p[k], r_ap[k] = self.devices.rates(current=row)
        return r_ap / (r_p + r_ap)

    @property
    def n_outputs(self) -> int:
        return 2 * self.n_features * self.per_feature

    def spikes(self, x: np.ndarray, steps: int, rng: np.random.Generator) -> np.ndarray:
        """(samples, steps, 2n) spike trains: each p-bit sampled every step (dwell times ≪ step) and read
        differentially, a spike on its P line when it is P and on its AP line when it is AP, so every feature
        drives the same number of lines whatever its value."""
        p = self.firing_probability(x)
        state_p = rng.random((p.shape[0], steps, p.shape[1])) < p[:, None, :]
        return np.concatenate([state_p, ~state_p], axis=2)


@dataclass
class WinnerTakeAllLayer:
    """``n_outputs`` LIF neurons with lateral inhibition (winner-take-all). Synaptic weights of each neuron are
    normalised to sum 1; the membrane integrates the weighted input spikes with leak factor ``leak`` per step
    and fires at ``threshold``; the first to fire wins the sample and moves its weights toward the presynaptic
    spike rates (competitive STDP). Weights start at the rates of ``n_outputs`` random training samples."""

    n_inputs: int
    n_outputs: int = 24
    leak: float = 0.99
    threshold: float = 24.0
    learning_rate: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.weights = rng.uniform(0.0, 1.0, (self.n_outputs, self.n_inputs))
        self.labels = np.zeros(self.n_outputs, dtype=int)

    def initialise(self, rates: np.ndarray) -> None:
        """Start each neuron's weights at one sample's input spike rates (n_outputs, n_inputs)."""
        self.weights = np.array(rates, dtype=float) + 1e-3

    def winner(self, spikes: np.ndarray) -> int:
        """Index of the first output neuron to cross threshold for one sample's spike train (steps, n_inputs)."""
        drive = spikes @ (self.weights / self.weights.sum(axis=1, keepdims=True)).T  # (steps, n_outputs)
        v = np.zeros(self.n_outputs)
        for step in drive:
            v = self.leak * v + step
            if v.max() >= self.threshold:
                return int(np.argmax(v))
        return int(np.argmax(v))

    def learn(self, spikes: np.ndarray) -> int:
        j = self.winner(spikes)
        rates = spikes.mean(axis=0)
        self.weights[j] += self.learning_rate * (rates - self.weights[j])
        return j

    def assign_labels(self, winners: np.ndarray, labels: np.ndarray, n_classes: int) -> None:
        counts = np.zeros((self.n_outputs, n_classes))
        np.add.at(counts, (winners, labels), 1)
        self.labels = np.argmax(counts, axis=1)


def train_and_test(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
                   variation: float = 0.0, delta: float = 3.0, epochs: int = 5, steps: int = 80,
                   n_outputs: int = 24, seed: int = 0) -> dict[str, float]:
    """Train the two-layer network unsupervised on features normalised to [0, 1], label its output neurons
    from the training labels, and score the winners' labels on the test set."""
    rng = np.random.default_rng(seed)
    population = PbitPopulation(x_train.shape[1], delta=delta, variation=variation, seed=seed)
    layer = WinnerTakeAllLayer(population.n_outputs, n_outputs=n_outputs, seed=seed)
    first = rng.choice(len(x_train), layer.n_outputs, replace=False)
    layer.initialise(population.spikes(x_train[first], steps, rng).mean(axis=1))
    for epoch in range(epochs):
        layer.learning_rate = 0.05 * (1 - epoch / epochs) + 0.005
        for k in rng.permutation(len(x_train)):
            layer.learn(population.spikes(x_train[k:k + 1], steps, rng)[0])
    train_winners = np.array([layer.winner(s) for s in population.spikes(x_train, steps, rng)])
    layer.assign_labels(train_winners, y_train, int(y_train.max()) + 1)
    test_winners = np.array([layer.winner(s) for s in population.spikes(x_test, steps, rng)])
    return {"accuracy": float(np.mean(layer.labels[test_winners] == y_test)),
            "train_accuracy": float(np.mean(layer.labels[train_winners] == y_train))}


def cross_validate(x: np.ndarray, y: np.ndarray, folds: int = 5, repeats: int = 1, seed: int = 0,
                   **settings: float) -> float:
    """Mean test accuracy of :func:`train_and_test` over ``repeats`` × ``folds``-fold cross-validation."""
    scores = []
    for repeat in range(repeats):
        order = np.random.default_rng(seed + 1000 * repeat).permutation(len(x))
        for fold in range(folds):
            test = order[fold::folds]
            train = np.setdiff1d(order, test)
            scores.append(train_and_test(x[train], y[train], x[test], y[test], seed=seed + 100 * repeat + fold,
                                         **settings)["accuracy"])
    return float(np.mean(scores))
