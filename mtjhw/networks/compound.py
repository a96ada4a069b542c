"""All-spin ANN: compound-MTJ synapses and current-switched MTJ neurons (after Zhang et al. 2016).

Synapse: ``n_devices`` binary MTJs in parallel, so its conductance takes ``n_devices + 1`` levels,
G = k·G_P + (N − k)·G_AP with k devices in P. A signed weight is a differential pair (G⁺ − G⁻ = (k⁺ − k⁻)·ΔG,
the AP baselines cancel); every device has its own R_P (lognormal) and TMR (normal), and a fraction may be stuck
in P or AP whatever it was programmed to. An input x ∈ [0, 1] is a read voltage x·V_read on its row; a column
carries I = V_read·Σ x_i (G⁺_ij − G⁻_ij), amplified by a fixed gain into the neuron.

Neuron: an MTJ switched by a current pulse of width t (Néel–Brown, n = 1). Its switching probability,
P(I) = 1 − exp(−(t/τ0)·exp(−Δ(1 − I/Ic0))), is a sigmoid-like (Gumbel) function of the current: with the
neuron biased at I50 (P = ½) and the column's pre-activation z added as I = Ic0·(i50 + z/Δ),
P = 1 − exp(−ln 2·e^z) for a nominal device (up to I = Ic0, z = ln(t/(τ0 ln 2)), beyond which the rate
saturates at 1/τ0 and P at 1 − e^(−t/τ0)). The float network is trained offline with exactly that
activation, then mapped onto the devices. Every neuron has its own Δ and Ic0. The output layer is read by a
current comparator (winner-take-all on the ten column currents).

Energy per inference, from the device physics: the array reads are the Joule heat of the devices under their
read voltages, Σ (x_i·V_read)²·G_ij·t_read, with V_read = 0.1 V and t_read the neuron pulse (10 ns: the column
current drives the neuron for its pulse); each neuron dissipates I²·R_AP·t_pulse in its switching pulse and,
when it switched, I²·R_P·t_pulse in a reset pulse. Both repeat for every stochastic trial. Device values are the
defaults of the physics engine (R_P 5 kΩ, TMR 120 %, V_half 0.5 V as in ``crossbar.CrossbarParams``; Ic0 60 µA,
τ0 1 ns, Δ 40 as in ``synapse.CompoundParams``). Left out: the peripherals (the gain stage into the neurons, the
output comparator, the counters of the trials), which any memory technology needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P, escape_rate, switching_probability
from mtjhw.simulators.physics.tmr import resistance as tmr_resistance

LN2 = float(np.log(2.0))


def mtj_activation(z: np.ndarray) -> np.ndarray:
    """The nominal MTJ neuron's switching probability at pre-activation ``z``: 1 − exp(−ln 2·e^z)."""
    return -np.expm1(-LN2 * np.exp(np.minimum(z, 30.0)))


def mtj_activation_slope(z: np.ndarray) -> np.ndarray:
    """d/dz of :func:`mtj_activation`."""
    u = LN2 * np.exp(np.minimum(z, 30.0))
    return u * np.exp(-u)


@dataclass
class FloatMLP:
    """Float network ``sizes`` = (inputs, hidden, outputs), MTJ activation in the hidden layer, softmax
    cross-entropy on the outputs; weights (a bias row included) clipped to ±``w_max``, the synapses' range."""

    sizes: tuple[int, int, int]
    w_max: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.weights = [rng.normal(0, 1 / np.sqrt(n + 1), (n + 1, m)).clip(-self.w_max, self.w_max)
                        for n, m in zip(self.sizes[:-1], self.sizes[1:], strict=True)]

    @staticmethod
    def with_bias(x: np.ndarray) -> np.ndarray:
        return np.hstack([x, np.ones((len(x), 1))])

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hidden pre-activation, hidden output, output pre-activation)."""
        z1 = self.with_bias(x) @ self.weights[0]
        h = mtj_activation(z1)
        return z1, h, self.with_bias(h) @ self.weights[1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.forward(x)[2], axis=1)

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int = 60, lr: float = 0.01, batch: int = 32) -> None:
        """Adam on mini-batches, weights clipped to ±w_max after every step."""
        rng = np.random.default_rng(self.seed + 1)
        onehot = np.eye(self.sizes[-1])[y]
        moments = [(np.zeros_like(w), np.zeros_like(w)) for w in self.weights]
        step = 0
        for _ in range(epochs):
            for idx in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
                step += 1
                for k, g in enumerate(self._gradients(x[idx], onehot[idx])):
                    m, v = moments[k]
                    m[:] = 0.9 * m + 0.1 * g
                    v[:] = 0.999 * v + 0.001 * g * g
                    update = lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
                    self.weights[k] = np.clip(self.weights[k] - update, -self.w_max, self.w_max)

    def _gradients(self, x: np.ndarray, onehot: np.ndarray) -> list[np.ndarray]:
        z1, h, z2 = self.forward(x)
        p = np.exp(z2 - z2.max(axis=1, keepdims=True))
        d2 = (p / p.sum(axis=1, keepdims=True) - onehot) / len(x)
        d1 = (d2 @ self.weights[1][:-1].T) * mtj_activation_slope(z1)
        return [self.with_bias(x).T @ d1, self.with_bias(h).T @ d2]


@dataclass(frozen=True)
class CompoundParams:
    """Compound synapse array: devices per synapse, device spread and faults (SI)."""

    n_devices: int = 8  #: binary MTJs in parallel per synapse (levels = n_devices + 1)
    r_p: float = 5000.0  #: median R_P, Ω
    sigma_log_rp: float = 0.05  #: lognormal σ of R_P, device to device
    tmr: float = 1.2  #: mean zero-bias TMR
    sigma_tmr: float = 0.05  #: σ of the TMR ratio
    v_half: float = 0.5  #: V, TMR halves at this bias
    stuck: float = 0.0  #: fraction of devices stuck (half in P, half in AP)
    v_read: float = 0.1  #: read voltage of an input at x = 1, V
    t_read: float = 10e-9  #: read time per layer (the neuron pulse), s

    @property
    def delta_g(self) -> float:
        """Nominal G_P − G_AP (S) of one device at V_read: the conductance step of a level."""
        return float(1 / self.r_p - 1 / tmr_resistance(self.r_p, self.tmr, -1.0, self.v_read, self.v_half))


class CompoundArray:
    """One layer: weights (rows, cols) in ±``w_max`` quantised to differential compound synapses on devices drawn
    from ``rng``. ``dot(x)`` gives the column pre-activations z the fixed gain makes of the currents."""

    def __init__(self, weights: np.ndarray, w_max: float, params: CompoundParams, rng: np.random.Generator):
        p = self.params = params
        n = p.n_devices
        level = np.rint(np.abs(weights) / w_max * n).clip(0, n).astype(int)
        target = np.stack([np.where(weights > 0, level, 0), np.where(weights < 0, level, 0)], axis=-1)
        self.levels = target  #: (rows, cols, 2) programmed devices in P, positive and negative side
        state = np.where(np.arange(n) < target[..., None], STATE_P, STATE_AP)  # (rows, cols, 2, n)
        u = rng.random(state.shape)
        state = np.where(u < p.stuck / 2, STATE_P, np.where(u < p.stuck, STATE_AP, state))
        r_p = p.r_p * np.exp(p.sigma_log_rp * rng.standard_normal(state.shape))
        tmr = np.maximum(p.tmr + p.sigma_tmr * rng.standard_normal(state.shape), 0.0)
        g = 1 / tmr_resistance(r_p, tmr, state.astype(float), p.v_read, p.v_half)
        self.g_pair = g.sum(axis=-1)  #: (rows, cols, 2) conductances of the two compound synapses, S
        self.gain = w_max / (n * p.v_read * p.delta_g)  #: pre-activation per ampere of column current

    def currents(self, x: np.ndarray) -> np.ndarray:
        """(samples, cols) differential column currents (A) for inputs ``x`` (samples, rows) in [0, 1]."""
        return self.params.v_read * x @ (self.g_pair[..., 0] - self.g_pair[..., 1])

    def dot(self, x: np.ndarray) -> np.ndarray:
        return self.gain * self.currents(x)

    def read_energy(self, x: np.ndarray) -> np.ndarray:
        """(samples,) energy (J) of the read: Σ (x_i V_read)² · G_ij · t_read over both synapses of a pair."""
        p = self.params
        return (x * p.v_read) ** 2 @ self.g_pair.sum(axis=(1, 2)) * p.t_read


@dataclass(frozen=True)
class NeuronParams:
    """Current-switched MTJ neuron (Néel–Brown, n = 1) and its device spread (SI)."""

    delta: float = 40.0  #: thermal stability factor
    sigma_delta: float = 1.0  #: σ of Δ, neuron to neuron
    ic0: float = 60e-6  #: critical current, A
    sigma_ic0: float = 0.01  #: relative σ of Ic0
    tau0: float = 1e-9  #: attempt time, s
    t_pulse: float = 10e-9  #: switching pulse, s
    r_p: float = 5000.0  #: Ω
    tmr: float = 1.2

    @property
    def i50(self) -> float:
        """Normalised bias current at which the nominal neuron switches with probability ½."""
        return float(1 - np.log(self.t_pulse / (self.tau0 * LN2)) / self.delta)


class MTJNeurons:
    """``n`` MTJ neurons with their own Δ and Ic0 drawn from ``rng``."""

    def __init__(self, n: int, params: NeuronParams, rng: np.random.Generator):
        self.params = p = params
        self.delta = np.maximum(p.delta + p.sigma_delta * rng.standard_normal(n), 1.0)
        self.ic0 = p.ic0 * (1 + p.sigma_ic0 * rng.standard_normal(n))

    def current(self, z: np.ndarray) -> np.ndarray:
        """Neuron current (A): the bias I50 plus the amplified column signal, z/Δ·Ic0 (nominal devices)."""
        p = self.params
        return p.ic0 * (p.i50 + z / p.delta)

    def probability(self, z: np.ndarray) -> np.ndarray:
        """Switching probability of each neuron in its pulse at pre-activation ``z``."""
        p = self.params
        rate = escape_rate(STATE_AP, self.delta, p.tau0, current=self.current(z), ic0=self.ic0)
        return switching_probability(rate, p.t_pulse)

    def energy(self, z: np.ndarray) -> np.ndarray:
        """(samples,) J: the pulse I²·R_AP·t through every neuron plus a reset pulse I²·R_P·t of those that
        switched (in expectation)."""
        p = self.params
        i2t = self.current(z) ** 2 * p.t_pulse
        return np.sum(i2t * (p.r_p * (1 + p.tmr) + self.probability(z) * p.r_p), axis=1)


class AllSpinANN:
    """A trained :class:`FloatMLP` on compound-MTJ arrays with MTJ hidden neurons. ``samples``: stochastic
    trials per inference, each hidden neuron's binary state averaged over them (None: the expectation)."""

    def __init__(self, model: FloatMLP, synapses: CompoundParams, neurons: NeuronParams, seed: int = 0,
                 samples: int | None = None):
        rng = np.random.default_rng(seed)
        self.arrays = [CompoundArray(w, model.w_max, synapses, rng) for w in model.weights]
        self.neurons = MTJNeurons(model.sizes[1], neurons, rng)
        self.samples = samples
        self.rng = np.random.default_rng(seed + 1)

    def hidden(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pre-activation, output) of the hidden layer."""
        z = self.arrays[0].dot(FloatMLP.with_bias(x))
        p = self.neurons.probability(z)
        if self.samples is None:
            return z, p
        return z, self.rng.binomial(self.samples, p) / self.samples

    def predict(self, x: np.ndarray) -> np.ndarray:
        _, h = self.hidden(x)
        return np.argmax(self.arrays[1].currents(FloatMLP.with_bias(h)), axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == y))

    def energy(self, x: np.ndarray) -> dict[str, float]:
        """Mean energy (J) per inference: the two array reads and the hidden neurons' pulses (× ``samples``)."""
        z, h = self.hidden(x)
        trials = self.samples or 1
        read = trials * self.arrays[0].read_energy(FloatMLP.with_bias(x)) \
            + self.arrays[1].read_energy(FloatMLP.with_bias(h))
        neuron = trials * self.neurons.energy(z)
        return {"energy_per_inference": float(np.mean(read + neuron)), "synapse_read_energy": float(np.mean(read)),
                "neuron_energy": float(np.mean(neuron)), "trials": trials}
