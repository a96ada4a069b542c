"""Rate-coded spiking networks of domain-wall MTJ LIF neurons (:mod:`mtjhw.simulators.physics.lif`).

:class:`DomainWallLifArray` is a population of DW-MTJ neurons advanced together, exactly for piecewise-constant
input as :class:`~mtjhw.simulators.physics.lif.DomainWallLifNeuron` does for one (same wall flow, leak, threshold,
reset and cycle-to-cycle threshold spread), with device-to-device spreads of the threshold position and the wall
mobility, and the Joule energy of every neuron counted.

A layer's pre-activation a (dimensionless) is the synaptic current I = I_rh + ``current_scale``·a into each
neuron, I_rh the nominal rheobase, cut off at 0 by the column driver; the neuron's rate, normalised by its rate
at a = 1, is the activation φ(a) (the analytic f–I curve: 0 below a = 0, a steep onset, then nearly linear).
:class:`RateMLP` trains a two-layer network with that activation (or ReLU, the software reference) and
:class:`SpikingMLP` runs it on DW neurons: the input pixels as DC currents into the hidden neurons, the hidden
spikes filtered by the column's RC (``tau_synapse``) into the output neurons' currents, the class the output
neuron that fires most (ties: the wall nearest its threshold).

Energy (J): every neuron dissipates I²·``r_track`` while it integrates and a reset pulse of :data:`RESET_CURRENT`
for ``t_reset`` after each spike. :data:`RESET_CURRENT` is an assumption: the reset drives the wall back with
the 150 µA the neuron of Wang et al. 2022 integrates at (65 µW through 2.9 kΩ). Synapses and peripherals are
left out (the paper's 508 fJ/spike is the neuron's).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from mtjhw.simulators.physics.lif import LifParams

RESET_CURRENT = 150e-6  #: A, current of the reset pulse (see the module docstring)


def reset_energy(params: LifParams) -> float:
    """Energy (J) of one reset pulse: RESET_CURRENT² · r_track · t_reset."""
    return RESET_CURRENT**2 * params.r_track * params.t_reset


def spike_energy(params: LifParams, current: float) -> float:
    """Energy (J) of one spike at constant ``current`` (A): I²·r_track over the integration time to threshold
    (the interspike interval less the reset) plus the reset pulse."""
    integration = float(params.interval(current)) - params.t_reset
    return current**2 * params.r_track * integration + reset_energy(params)


class DomainWallLifArray:
    """``shape`` DW-MTJ LIF neurons (the last axis: the devices, the others: e.g. samples run at once).
    Devices differ by ``sigma_position`` (relative spread of the threshold position) and ``sigma_mobility``,
    drawn once from ``rng``; ``params.sigma_threshold`` is redrawn after every spike."""

    def __init__(self, params: LifParams, shape: tuple[int, ...], rng: np.random.Generator,
                 sigma_position: float = 0.0, sigma_mobility: float = 0.0) -> None:
        self.params, self.rng, self.shape = params, rng, shape
        n = shape[-1]
        self.x_threshold = params.x_threshold * np.maximum(1 + sigma_position * rng.standard_normal(n), 0.05)
        self.mobility = params.mobility * np.maximum(1 + sigma_mobility * rng.standard_normal(n), 0.05)
        self.position = np.zeros(shape)  #: wall positions, m
        self.refractory = np.zeros(shape)  # s of reset left
        self.threshold = self._draw(np.ones(shape, dtype=bool))
        self.energy = np.zeros(shape)  #: J dissipated so far by each neuron
        self.spikes = 0  #: spikes so far, all neurons

    def _draw(self, which: np.ndarray) -> np.ndarray:
        spread = 1 + self.params.sigma_threshold * self.rng.standard_normal(which.shape)
        return np.where(which, np.broadcast_to(self.x_threshold, which.shape) * np.maximum(spread, 1e-3), 0.0)

    def step(self, current: np.ndarray, dt: float) -> np.ndarray:
        """Advance all neurons by ``dt`` (s) at constant ``current`` (A, ``shape``); the spikes each fired."""
        p = self.params
        current = np.broadcast_to(np.asarray(current, dtype=float), self.shape)
        x_inf = self.mobility * np.maximum(current - p.i_dep, 0.0) * p.tau_leak
        t, fired = np.zeros(self.shape), np.zeros(self.shape, dtype=int)
        integrating = np.zeros(self.shape)
        while True:
            wait = np.minimum(self.refractory, dt - t)
            self.refractory -= wait
            t += wait
            active = t < dt
            if not active.any():
                break
            can = active & (x_inf > self.threshold) & (self.position < self.threshold)
            with np.errstate(divide="ignore", invalid="ignore"):
                to_fire = np.where(can, p.tau_leak * np.log((x_inf - self.position) / (x_inf - self.threshold)),
                                   np.inf)
            fire = can & (t + to_fire <= dt)
            rest = active & ~fire
            left = np.where(rest, dt - t, 0.0)
            self.position = np.where(rest, x_inf + (self.position - x_inf) * np.exp(-left / p.tau_leak),
                                     self.position)
            integrating += left + np.where(fire, to_fire, 0.0)
            t = np.where(rest, dt, np.where(fire, t + to_fire, t))
            if not fire.any():
                break
            fired += fire
            self.position = np.where(fire, 0.0, self.position)
            self.refractory = np.where(fire, p.t_reset, self.refractory)
            self.threshold = np.where(fire, self._draw(fire), self.threshold)
        self.energy += current**2 * p.r_track * integrating + fired * reset_energy(p)
        self.spikes += int(fired.sum())
        return fired

    def closeness(self) -> np.ndarray:
        """Wall position over the current threshold (0 at the start, 1 at firing)."""
        return self.position / self.threshold


def layer_current(params: LifParams, a: np.ndarray, current_scale: float) -> np.ndarray:
    """Synaptic current (A) for pre-activation ``a``: I_rh + current_scale·a, cut off at 0."""
    return np.maximum(params.rheobase + current_scale * a, 0.0)


def reference_rate(params: LifParams, current_scale: float) -> float:
    """Rate (Hz) at a pre-activation of 1, the unit of φ."""
    return float(params.rate(params.rheobase + current_scale))


def dw_activation(params: LifParams, a: np.ndarray, current_scale: float,
                  slope_cap: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """φ(a), the DW neuron's normalised f–I curve, and its slope dφ/da, capped at ``slope_cap`` (the onset is
    infinitely steep: a capped slope trains stably)."""
    p, r_ref = params, reference_rate(params, current_scale)
    current = layer_current(params, a, current_scale)
    rate = np.asarray(p.rate(current)) / r_ref
    x_inf = p.mobility * np.maximum(current - p.i_dep, 0.0) * p.tau_leak
    firing = x_inf > p.x_threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        d_interval = np.where(firing, p.tau_leak * p.x_threshold / (x_inf * (x_inf - p.x_threshold)), 0.0)
    slope = (rate * r_ref) ** 2 * d_interval * p.mobility * p.tau_leak * current_scale / r_ref
    return rate, np.minimum(slope, slope_cap)


@dataclass
class RateMLP:
    """Two-layer rate network ``sizes`` = (inputs, hidden, outputs); hidden activation ``"dw"`` (the DW f–I
    curve, :func:`dw_activation`) or ``"relu"``; softmax cross-entropy, trained by Adam on minibatches."""

    sizes: tuple[int, int, int]
    activation: str = "dw"
    params: LifParams = field(default_factory=LifParams)
    current_scale: float = 50e-6  #: A per unit of pre-activation
    seed: int = 0

    def __post_init__(self) -> None:
        if self.activation not in ("dw", "relu"):
            raise ValueError(f"activation must be 'dw' or 'relu', got {self.activation!r}")
        rng = np.random.default_rng(self.seed)
        n_in, n_hidden, n_out = self.sizes
        self.weights = [rng.normal(0, np.sqrt(2 / n_in), (n_in, n_hidden)),
                        rng.normal(0, np.sqrt(1 / n_hidden), (n_hidden, n_out))]
        self.biases = [np.zeros(n_hidden), np.zeros(n_out)]

    def hidden(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hidden activations and their slopes for inputs ``x`` (samples, inputs)."""
        a = x @ self.weights[0] + self.biases[0]
        if self.activation == "relu":
            return np.maximum(a, 0.0), (a > 0).astype(float)
        return dw_activation(self.params, a, self.current_scale)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.hidden(x)[0] @ self.weights[1] + self.biases[1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(x), axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == y))

    def train(self, x: np.ndarray, y: np.ndarray, epochs: int, lr: float = 2e-3, batch: int = 64) -> None:
        rng = np.random.default_rng(self.seed + 1)
        parameters = [*self.weights, *self.biases]
        moments = [(np.zeros_like(q), np.zeros_like(q)) for q in parameters]
        step = 0
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch):
                k = order[start:start + batch]
                step += 1
                for q, g, (m, v) in zip(parameters, self._gradients(x[k], y[k]), moments, strict=True):
                    m += 0.1 * (g - m)
                    v += 0.001 * (g * g - v)
                    q -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)

    def _gradients(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        h, slope = self.hidden(x)
        z = h @ self.weights[1] + self.biases[1]
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        p /= len(y)
        da = (p @ self.weights[1].T) * slope
        return [x.T @ da, h.T @ p, da.sum(axis=0), p.sum(axis=0)]


@dataclass(frozen=True)
class SpikeResult:
    """A spiking inference run: predictions, the output spike counts, spikes and energy per inference."""

    predictions: np.ndarray
    output_counts: np.ndarray
    spikes_per_inference: float
    energy_per_inference: float  #: J, all neurons
    duration: float  #: s per inference

    @property
    def energy_per_spike(self) -> float:
        return self.energy_per_inference / max(self.spikes_per_inference, 1e-30)

    def accuracy(self, y: np.ndarray) -> float:
        return float(np.mean(self.predictions == y))


@dataclass
class SpikingMLP:
    """A trained :class:`RateMLP` (``"dw"`` activation) run on DW-MTJ LIF neurons for ``steps`` of ``dt`` (s)."""

    model: RateMLP
    steps: int = 100
    dt: float = 2e-9
    tau_synapse: float = 10e-9  #: s, RC of the column that filters the hidden spikes
    sigma_position: float = 0.05
    sigma_mobility: float = 0.05
    sigma_cycle: float = 0.02  #: cycle-to-cycle threshold spread (LifParams.sigma_threshold)
    seed: int = 0

    def run(self, x: np.ndarray) -> SpikeResult:
        m = self.model
        params = replace(m.params, sigma_threshold=self.sigma_cycle)
        rng = np.random.default_rng(self.seed)
        kw = {"sigma_position": self.sigma_position, "sigma_mobility": self.sigma_mobility}
        hidden = DomainWallLifArray(params, (len(x), m.sizes[1]), rng, **kw)
        output = DomainWallLifArray(params, (len(x), m.sizes[2]), rng, **kw)
        r_ref = reference_rate(m.params, m.current_scale)
        i_hidden = layer_current(m.params, x @ m.weights[0] + m.biases[0], m.current_scale)
        trace, counts = np.zeros((len(x), m.sizes[1])), np.zeros((len(x), m.sizes[2]))
        decay = np.exp(-self.dt / self.tau_synapse)
        for _ in range(self.steps):
            i_out = layer_current(m.params, trace @ m.weights[1] + m.biases[1], m.current_scale)
            counts += output.step(i_out, self.dt)
            trace = decay * trace + (1 - decay) * hidden.step(i_hidden, self.dt) / (r_ref * self.dt)
        score = counts + 0.5 * np.minimum(output.closeness(), 1.0)
        n = len(x)
        return SpikeResult(np.argmax(score, axis=1), counts, (hidden.spikes + output.spikes) / n,
                           float(hidden.energy.sum() + output.energy.sum()) / n, self.steps * self.dt)
