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
from scipy.signal import lfilter

from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams


@dataclass
class PbitPopulation:
    """``n_features`` × ``per_feature`` sMTJ p-bits; feature values in [0, 1] map to currents across
    ±``current_span`` (A) around each p-bit's own offset, offsets tiling the range. ``variation`` is the relative
    device-to-device spread (uniform ±) of Δ, Rp and Ic0, and of the loop shift (stray field of the reference
    layer), uniform within ±``variation``·``offset_spread``·Hk: it moves the p-bit's p = 1/2 point by about
    2·h·Ic0, the dominant mismatch of sMTJ p-bits."""

    n_features: int
    per_feature: int = 12
    delta: float = 3.0
    ic0: float = 40e-6
    current_span: float = 30e-6
    variation: float = 0.0
    offset_spread: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        n = self.n_features * self.per_feature
        spread = lambda: 1 + self.variation * rng.uniform(-1, 1, n)  # noqa: E731
        hk = 0.08  # T, the junctions' anisotropy field
        h_offset = self.variation * self.offset_spread * hk * rng.uniform(-1, 1, n)
        self.devices = TelegraphMTJ(TelegraphParams(delta=self.delta * spread(), ic0=self.ic0 * spread(),
                                                    r_p=5000.0 * spread(), hk=hk, h_offset=h_offset), n=n)
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

    def step_time(self, correlation_times: float = 5.0) -> float:
        """Sampling interval (s): ``correlation_times`` × the slowest device's telegraph correlation time
        1/(r_P→AP + r_AP→P) at zero bias, so successive samples are independent (correlation e⁻⁵ < 1 %)."""
        rate_p, rate_ap = self.devices.rates(current=0.0)
        return float(correlation_times / np.min(rate_p + rate_ap))

    def energy(self, x: np.ndarray, steps: int) -> dict[str, float]:
        """Mean energy (J) of encoding one sample of ``x`` for ``steps`` samples: the Joule heat of every
        p-bit's bias current, I²·R̄ per :meth:`step_time`, R̄ = R_P·(1 + TMR·(1 − p)) its time-averaged
        resistance (the state is sensed by that same current, so reading adds nothing here). The WTA layer's
        digital accumulate and the comparators are left out, as in :mod:`mtjhw.networks.energy`."""
        params = self.devices.params
        p = self.firing_probability(x)
        r_mean = np.asarray(params.r_p) * (1 + np.asarray(params.tmr) * (1 - p))
        per_step = float(np.mean(np.sum(self.currents(x) ** 2 * r_mean, axis=1))) * self.step_time()
        return {"energy_per_inference": per_step * steps, "energy_per_step": per_step,
                "step_time": self.step_time(), "pbits": self.n_features * self.per_feature, "steps": steps}

    @property
    def n_outputs(self) -> int:
        return 2 * self.n_features * self.per_feature

    def spikes(self, x: np.ndarray, steps: int, rng: np.random.Generator) -> np.ndarray:
        """(samples, steps, 2n) spike trains: each p-bit sampled every step (dwell times ≪ step) and read
        differentially, a spike on its P line when it is P and on its AP line when it is AP, so every feature
        drives the same number of lines whatever its value."""
        return sample_spikes(self.firing_probability(x), steps, rng)


def sample_spikes(p: np.ndarray, steps: int, rng: np.random.Generator) -> np.ndarray:
    """(samples, steps, 2n) differential spike trains of p-bits firing with probabilities ``p`` (samples, n)."""
    state_p = rng.random((p.shape[0], steps, p.shape[1])) < p[:, None, :]
    return np.concatenate([state_p, ~state_p], axis=2)


def ideal_rates(p: np.ndarray, steps: int, rng: np.random.Generator) -> np.ndarray:
    """(samples, 1, 2n): the deterministic encoder, each line driven by its firing probability itself (the
    noise-free limit of :func:`sample_spikes`; ``steps`` and ``rng`` unused, same call)."""
    return np.concatenate([p, 1 - p], axis=1)[:, None, :]


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
        """Index of the first output neuron to cross threshold for one sample's spike train (steps, n_inputs);
        the most charged one if none does."""
        drive = spikes @ (self.weights / self.weights.sum(axis=1, keepdims=True)).T  # (steps, n_outputs)
        v = lfilter([1.0], [1.0, -self.leak], drive, axis=0)  # v_t = leak·v_(t−1) + drive_t, v_(−1) = 0
        crossed = np.flatnonzero(v.max(axis=1) >= self.threshold)
        return int(np.argmax(v[crossed[0] if len(crossed) else -1]))

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
                   n_outputs: int = 24, per_feature: int = 12, threshold_per_step: float = 0.3,
                   learning_rate: float = 0.05, ideal: bool = False, seed: int = 0) -> dict[str, float]:
    """Train the two-layer network unsupervised on features normalised to [0, 1], label its output neurons
    from the training labels, and score the winners' labels on the test set. ``steps`` p-bit samples per
    sample, the output threshold ``threshold_per_step``·``steps``; the STDP rate falls linearly from
    ``learning_rate`` over the epochs (to 0.005 above zero). ``ideal``: the deterministic encoder
    (:func:`ideal_rates`) in place of the sampled p-bits, the float version of the same network."""
    rng = np.random.default_rng(seed)
    population = PbitPopulation(x_train.shape[1], per_feature=per_feature, delta=delta, variation=variation,
                                seed=seed)
    layer = WinnerTakeAllLayer(population.n_outputs, n_outputs=n_outputs, threshold=threshold_per_step * steps,
                               seed=seed)
    encode = ideal_rates if ideal else sample_spikes
    p_train, p_test = population.firing_probability(x_train), population.firing_probability(x_test)
    first = rng.choice(len(x_train), layer.n_outputs, replace=False)
    layer.initialise(encode(p_train[first], steps, rng).mean(axis=1))
    for epoch in range(epochs):
        layer.learning_rate = learning_rate * (1 - epoch / epochs) + 0.005
        for k in rng.permutation(len(x_train)):
            layer.learn(encode(p_train[k:k + 1], steps, rng)[0])
    train_winners = np.array([layer.winner(s) for s in encode(p_train, steps, rng)])
    layer.assign_labels(train_winners, y_train, int(y_train.max()) + 1)
    test_winners = np.array([layer.winner(s) for s in encode(p_test, steps, rng)])
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
