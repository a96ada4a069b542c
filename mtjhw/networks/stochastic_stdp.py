"""Unsupervised WTA spiking network on compound stochastic MTJ synapses with stochastic STDP (Zhang et al. 2016).

Inputs are rate-coded spike trains (a pixel x ∈ [0, 1] spikes with probability x·``max_rate`` per step). Each
input reaches each output LIF neuron through a compound synapse of ``n_devices`` binary MTJs in parallel; its
weight is its conductance less a reference column (``reference`` × n_devices AP conductances, subtracted by the
sense circuit), so a synapse with every device AP still weighs a little. The output neurons are the
winner-take-all layer of :class:`mtjhw.networks.spiking.WinnerTakeAllLayer` (leaky integration of the drive
normalised by each neuron's total synaptic weight, first to threshold wins, lateral inhibition silences the rest).

Stochastic STDP (simplified): when the winner fires, every synapse whose input spiked before it gets a
potentiation pulse, every other one a depression pulse; each device switches (AP → P, resp. P → AP) with its own
Néel–Brown probability 1 − exp(−(t/τ0)·exp(−Δ_d(1 − |I|/Ic0))) in a pulse of amplitude I and width t. The
amplitudes are set to give the nominal device the probabilities ``p_potentiate`` and ``p_depress``; device
Δ spread (``sigma_delta``) and cycle-to-cycle amplitude jitter (``sigma_pulse``) spread the probabilities.
Output neurons are labelled afterwards from the training data.

Energies, from the device physics: an STDP event pulses every device of the winner's synapses, each
dissipating I²·R·t_pulse with R its state's resistance before the pulse (t_pulse 10 ns, I ≈ 53 µA, the Néel–Brown
amplitude for the set probability); the part in the devices that switched is kept apart. A read applies V_read =
0.1 V for t_read = 5 ns to the row of every input spike: V_read²·t_read·Σ_j G_ij over its device and reference
columns. Device values are the physics engine's defaults (R_P 5 kΩ, TMR 120 %, Ic0 60 µA, τ0 1 ns, Δ 40 as in
``synapse.CompoundParams``). The LIF neurons are ideal leaky integrators: their energy and the peripherals'
(pulse generators, sense circuit) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P, escape_rate, switching_probability
from mtjhw.simulators.physics.tmr import resistance as tmr_resistance

from .spiking import WinnerTakeAllLayer

FLOAT_LEARNING_RATE = 0.05  #: the float layer's starting learning rate


def rate_spikes(x: np.ndarray, steps: int, max_rate: float, rng: np.random.Generator) -> np.ndarray:
    """(samples, steps, n) Bernoulli spike trains, P(spike per step) = x·max_rate for ``x`` (samples, n) in [0, 1]."""
    return rng.random((len(x), steps, x.shape[1])) < max_rate * np.asarray(x)[:, None, :]


def first_to_fire(layer: WinnerTakeAllLayer, spikes: np.ndarray, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(winner, step it fired) of ``layer`` for each spike train of ``spikes`` (samples, steps, n_inputs): the
    rule of :meth:`WinnerTakeAllLayer.winner` run on a batch, the leaky sums v_t = Σ_k leak^(t−k)·drive_k in
    closed form (the last step and the highest membrane where no neuron reached threshold)."""
    weights = (layer.weights / layer.weights.sum(axis=1, keepdims=True)).T
    decay = layer.leak ** np.arange(spikes.shape[1])[:, None]
    winners, fired = [], []
    for start in range(0, len(spikes), chunk):
        v = np.cumsum(spikes[start:start + chunk] @ weights / decay, axis=1) * decay
        crossed = v.max(axis=2) >= layer.threshold
        step = np.where(crossed.any(axis=1), np.argmax(crossed, axis=1), spikes.shape[1] - 1)
        winners.append(np.argmax(v[np.arange(len(v)), step], axis=1))
        fired.append(step)
    return np.concatenate(winners), np.concatenate(fired)


@dataclass(frozen=True)
class StochasticSynapseParams:
    """Compound stochastic synapse: devices per synapse, their switching physics and spread (SI)."""

    n_devices: int = 9  #: binary MTJs in parallel per synapse
    delta: float = 40.0  #: mean thermal stability factor
    sigma_delta: float = 1.0  #: σ of Δ, device to device
    tau0: float = 1e-9  #: attempt time, s
    ic0: float = 60e-6  #: critical current, A
    t_pulse: float = 10e-9  #: STDP pulse width, s
    p_potentiate: float = 0.1  #: nominal device's AP → P probability per potentiation pulse
    p_depress: float = 0.05  #: nominal device's P → AP probability per depression pulse
    sigma_pulse: float = 0.02  #: relative cycle-to-cycle jitter of the pulse amplitude
    r_p: float = 5000.0  #: median R_P, Ω
    sigma_log_rp: float = 0.05  #: lognormal σ of R_P
    tmr: float = 1.2
    reference: float = 0.9  #: reference column, in nominal AP conductances per device
    v_read: float = 0.1  #: read voltage of a spiking input row, V
    t_read: float = 5e-9  #: read time of one input spike, s

    def amplitude(self, probability: float) -> float:
        """Pulse current (A) that switches the nominal device with ``probability`` in ``t_pulse``."""
        i = 1 - np.log(self.t_pulse / (self.tau0 * -np.log1p(-probability))) / self.delta
        return float(i * self.ic0)

    @property
    def g_ap(self) -> float:
        """Nominal AP conductance, S."""
        return 1 / (self.r_p * (1 + self.tmr))


@dataclass
class StochasticWTA(WinnerTakeAllLayer):
    """:class:`WinnerTakeAllLayer` whose weights are compound stochastic MTJ synapses (``weights`` follows the
    devices: conductance less the reference, S) and whose learning is stochastic STDP on the devices."""

    synapse: StochasticSynapseParams = field(default_factory=StochasticSynapseParams)
    window: int = 3  #: steps before (and at) the post spike in which a pre spike counts as pre-before-post

    def __post_init__(self) -> None:
        super().__post_init__()
        s = self.synapse
        rng = self.rng = np.random.default_rng(self.seed + 7)
        shape = (self.n_outputs, self.n_inputs, s.n_devices)
        self.delta = np.maximum(s.delta + s.sigma_delta * rng.standard_normal(shape), 1.0)
        self.r_p = s.r_p * np.exp(s.sigma_log_rp * rng.standard_normal(shape))
        self.state = np.where(rng.random(shape) < 0.5, STATE_P, STATE_AP)
        self.scale_probabilities(1.0)
        self.write_energy: list[float] = []  #: J per STDP event, every device of the winner's synapses pulsed
        self.switch_energy: list[float] = []  #: J per STDP event in the devices that switched
        self.switched: list[int] = []  #: devices switched per STDP event
        self._sync()

    def scale_probabilities(self, scale: float) -> None:
        """Set the pulse amplitudes for ``scale`` × the nominal switching probabilities (annealing)."""
        s = self.synapse
        self.amplitudes = (s.amplitude(scale * s.p_potentiate), s.amplitude(scale * s.p_depress))

    def device_probabilities(self, probability: float) -> np.ndarray:
        """Each AP device's switching probability in the pulse that switches the nominal one with ``probability``
        (the spread that Δ variation makes)."""
        s = self.synapse
        return switching_probability(escape_rate(STATE_AP, self.delta, s.tau0, current=s.amplitude(probability),
                                                 ic0=s.ic0), s.t_pulse)

    def conductance(self) -> np.ndarray:
        """(n_outputs, n_inputs, n_devices) device conductances (S)."""
        return 1 / tmr_resistance(self.r_p, self.synapse.tmr, self.state.astype(float))

    def _sync(self, rows: slice | int = slice(None)) -> None:
        s = self.synapse
        g = 1 / tmr_resistance(self.r_p[rows], s.tmr, self.state[rows].astype(float))
        self.weights[rows] = g.sum(axis=-1) - s.reference * s.n_devices * s.g_ap

    def initialise(self, rates: np.ndarray) -> None:
        """Each device of neuron j's synapse from input i starts P with probability rates[j, i]."""
        self.state = np.where(self.rng.random(self.state.shape) < np.asarray(rates)[..., None], STATE_P, STATE_AP)
        self._sync()

    def fire(self, spikes: np.ndarray) -> tuple[int, int]:
        """(winner, step it fired) for one sample's spike train (steps, n_inputs)."""
        winners, steps = first_to_fire(self, spikes[None])
        return int(winners[0]), int(steps[0])

    def winner(self, spikes: np.ndarray) -> int:
        return self.fire(spikes)[0]

    def learn(self, spikes: np.ndarray) -> int:
        """Stochastic STDP on the winner's synapses; records the write energies (I²·R·t_pulse with R the state's
        before the pulse) and the devices switched."""
        s = self.synapse
        j, step = self.fire(spikes)
        before = spikes[max(0, step + 1 - self.window):step + 1].any(axis=0)[:, None]  # pre-before-post, per input
        amplitude = np.where(before, *self.amplitudes) * (1 + s.sigma_pulse * self.rng.standard_normal(
            self.state[j].shape))
        state = self.state[j]
        candidate = np.where(before, state == STATE_AP, state == STATE_P)
        rate = escape_rate(state, self.delta[j], s.tau0, current=np.where(before, amplitude, -amplitude), ic0=s.ic0)
        flip = candidate & (self.rng.random(state.shape) < switching_probability(rate, s.t_pulse))
        resistance = tmr_resistance(self.r_p[j], s.tmr, state.astype(float))
        pulse_energy = amplitude ** 2 * resistance * s.t_pulse
        self.write_energy.append(float(np.sum(pulse_energy)))
        self.switch_energy.append(float(np.sum(pulse_energy[flip])))
        self.switched.append(int(flip.sum()))
        self.state[j] = np.where(flip, -state, state)
        self._sync(j)
        return j

    def read_energy(self, spikes: np.ndarray) -> float:
        """J to read one sample's spike train (steps, n_inputs): V_read²·t_read·Σ_j G_ij per input spike, over the
        device columns and the reference column."""
        s = self.synapse
        per_row = self.conductance().sum(axis=(0, 2)) + self.n_outputs * s.reference * s.n_devices * s.g_ap
        return float(spikes.sum(axis=0) @ per_row * s.v_read ** 2 * s.t_read)


def fit_and_score(layer: WinnerTakeAllLayer, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                  y_test: np.ndarray, *, epochs: int, steps: int, max_rate: float, seed: int,
                  final: float = 0.1) -> dict[str, float]:
    """Train ``layer`` unsupervised on rate-coded ``x_train``, label its neurons from the training labels, and
    score the winners' labels on the test set. The learning rate (float) or the switching probabilities (MTJ)
    fall linearly epoch by epoch to ``final`` × their start."""
    rng = np.random.default_rng(seed)
    first = rng.choice(len(x_train), layer.n_outputs, replace=False)
    layer.initialise(x_train[first])
    for epoch in range(epochs):
        scale = 1 - (1 - final) * epoch / max(epochs - 1, 1)
        if isinstance(layer, StochasticWTA):
            layer.scale_probabilities(scale)
        else:
            layer.learning_rate = FLOAT_LEARNING_RATE * scale
        for k in rng.permutation(len(x_train)):
            layer.learn(rate_spikes(x_train[k:k + 1], steps, max_rate, rng)[0])
    train_winners = first_to_fire(layer, rate_spikes(x_train, steps, max_rate, rng))[0]
    layer.assign_labels(train_winners, y_train, int(y_train.max()) + 1)
    test_winners = first_to_fire(layer, rate_spikes(x_test, steps, max_rate, rng))[0]
    return {"accuracy": float(np.mean(layer.labels[test_winners] == y_test)),
            "train_accuracy": float(np.mean(layer.labels[train_winners] == y_train)),
            "active_neurons": int(len(np.unique(train_winners)))}
