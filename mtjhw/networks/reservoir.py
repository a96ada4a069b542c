"""Reservoir computing with spintronic nodes: one spin-torque oscillator with delayed feedback (time
multiplexing), or a physical layer of superparamagnetic MTJs (:class:`SmtjReservoir`).

The input sample u_k is held for one delay τ = N·θ; during the j-th of the N slots of length θ the oscillator
is driven by I = I_dc + ΔI·(m_j·u_k + η·x̂_{k−1,j}), with m a fixed random mask and x̂ the (normalised) response
of the same virtual node one delay earlier. The response x_{k,j} is the oscillator's normalised power at the
end of the slot: slots shorter than the oscillator's relaxation time couple neighbouring virtual nodes, and the
delayed feedback gives memory of earlier samples. A ridge readout on the N virtual nodes does the task.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.neel_brown import STATE_AP
from mtjhw.simulators.physics.stno import STNO, STNOParams
from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams

from .readout import RidgeReadout, quantize


@dataclass
class StnoReservoir:
    """A delayed-feedback reservoir on ``stno`` at ``field`` (T).

    ``n_virtual`` virtual nodes of ``theta_relax`` oscillator relaxation times each, bias ``i_dc`` and input
    scale ``i_in`` in units of the threshold current, feedback strength ``feedback``, ``steps_per_node``
    integration steps per virtual node, ``adc_bits`` of the response digitiser (None: ideal).
    """

    stno: STNO
    field: float = 0.05
    n_virtual: int = 50
    theta_relax: float = 3.0
    i_dc: float = 1.5
    i_in: float = 2.0
    feedback: float = 0.5
    steps_per_node: int = 10
    adc_bits: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_virtual < 2 or self.steps_per_node < 1:
            raise ValueError("n_virtual must be >= 2 and steps_per_node >= 1")
        rng = np.random.default_rng(self.seed)
        self.mask = rng.choice([-1.0, 1.0], self.n_virtual) * rng.uniform(0.5, 1.0, self.n_virtual)
        gamma = float(self.stno.damping_rate(self.field))
        q = float(self.stno.nonlinear_damping(self.field))
        relax = 1.0 / (2 * gamma * (self.i_dc + q))  # linear relaxation time of the power at the bias point
        self.dt = self.theta_relax * relax / self.steps_per_node
        self.i_th = float(self.stno.threshold_current(self.field))
        self.p_dc = float(self.stno.power(self.i_dc * self.i_th, self.field))

    def states(self, inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Virtual-node responses (len(inputs), n_virtual) for an input sequence scaled to [−1, 1]."""
        u = np.asarray(inputs, dtype=float)
        out = np.empty((u.size, self.n_virtual))
        previous = np.zeros(self.n_virtual)
        state = None
        spread = max(self.p_dc, 1e-3)
        for k, value in enumerate(u):
            drive = self.i_dc + self.i_in * (self.mask * value + self.feedback * previous)
            currents = np.repeat(np.clip(drive, 0.0, None) * self.i_th, self.steps_per_node)
            trace, state = self.stno.power_response(currents, self.dt, self.field, rng, state)
            x = trace[self.steps_per_node - 1::self.steps_per_node]
            x = quantize(x, self.adc_bits, 0.0, 1.0)
            out[k] = x
            previous = (x - self.p_dc) / spread
        return out


@dataclass
class SmtjReservoir:
    """``n_nodes`` groups of superparamagnetic MTJs (Néel–Brown telegraph switching, :class:`TelegraphMTJ`)
    driven in parallel by the input: node j carries I_j = (b_j + ``i_in``·m_j·u_k)·Ic0 during the sample window
    ``window`` (in mean zero-bias dwell times τ0·e^Δ), with m a fixed random mask and b_j a fixed bias drawn
    uniformly in ±``i_bias`` (nodes at different operating points give the readout different nonlinearities).
    Spin torque tilts each junction's P/AP occupancy toward the drive; it relaxes over about a dwell time, so the
    state still remembers the previous samples. A node's ``devices_per_node`` junctions share its mask (their
    summed read signal averages the telegraph noise); its response is the group's AP occupancy over the window
    (the read signal low-pass filtered, sampled at ``samples_per_window`` points). ``sigma_delta`` is the
    device-to-device spread of Δ (relative, normal), the variation of real sMTJ populations."""

    n_nodes: int = 40
    devices_per_node: int = 16
    delta: float = 5.0
    sigma_delta: float = 0.0
    window: float = 3.0
    i_bias: float = 0.5
    i_in: float = 0.4
    samples_per_window: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_nodes < 2 or self.samples_per_window < 1 or not self.window > 0:
            raise ValueError("need n_nodes >= 2, samples_per_window >= 1 and window > 0")
        rng = np.random.default_rng(self.seed)
        self.mask = rng.choice([-1.0, 1.0], self.n_nodes) * rng.uniform(0.3, 1.0, self.n_nodes)
        self.bias = rng.uniform(-self.i_bias, self.i_bias, self.n_nodes)
        n = self.n_nodes * self.devices_per_node
        deltas = np.maximum(self.delta * (1 + self.sigma_delta * rng.standard_normal(n)), 0.5)
        self.params = TelegraphParams(delta=deltas)
        self.dwell = float(1e-9 * np.exp(self.delta))  # s, nominal zero-bias mean dwell time

    def states(self, inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Node responses (len(inputs), n_nodes) for an input sequence scaled to [−1, 1]."""
        n = self.n_nodes * self.devices_per_node
        devices = TelegraphMTJ(self.params, n=n, state=rng.choice([1, -1], n))
        ic0 = float(np.asarray(self.params.ic0))
        step = self.window * self.dwell / self.samples_per_window
        mask = np.repeat(self.mask, self.devices_per_node)
        bias = np.repeat(self.bias, self.devices_per_node)
        out = np.empty((len(inputs), self.n_nodes))
        for k, value in enumerate(np.asarray(inputs, dtype=float)):
            current = ic0 * (bias + self.i_in * mask * value)
            occupancy = np.zeros(n)
            for _ in range(self.samples_per_window):
                devices.advance(step, rng, current=current)
                occupancy += devices.state == STATE_AP
            out[k] = occupancy.reshape(self.n_nodes, -1).mean(axis=1) / self.samples_per_window
        return out


def sine_square_task(n_periods: int, points_per_period: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Random sequence of sine and square periods (inputs in [−1, 1]) and per-sample labels (1 = square)."""
    phase = 2 * np.pi * np.arange(points_per_period) / points_per_period
    sine, square = np.sin(phase), np.where(phase < np.pi, 1.0, -1.0)
    kinds = rng.integers(0, 2, n_periods)
    inputs = np.concatenate([square if k else sine for k in kinds])
    labels = np.repeat(kinds, points_per_period).astype(float)
    return inputs, labels


def classify_waveforms(reservoir: StnoReservoir | SmtjReservoir, n_periods: int = 300, points_per_period: int = 8,
                       train_fraction: float = 0.5, seed: int = 0, reservoir_history: int = 2,
                       alpha: float = 1e-5) -> dict[str, float]:
    """Train the ridge readout on the first part of a sine/square sequence and test on the rest; accuracy per
    sample (the first period is a washout and not scored). The readout sees the virtual nodes of the last
    ``reservoir_history`` delays; ``alpha`` is the ridge regularisation (larger for noisier nodes)."""
    rng = np.random.default_rng(seed)
    inputs, labels = sine_square_task(n_periods, points_per_period, rng)
    x = reservoir.states(inputs, rng)
    # the readout sees the node responses of the last ``history`` delays: the waveform's local shape
    h = reservoir_history
    features = np.column_stack([x[h - 1 - d:len(x) - d] for d in range(h)])
    y = labels[h - 1:]
    n_train = int(train_fraction * len(y))
    readout = RidgeReadout(alpha=alpha).fit(features[points_per_period:n_train], y[points_per_period:n_train])
    predicted = readout.predict(features[n_train:]) > 0.5
    train_pred = readout.predict(features[points_per_period:n_train]) > 0.5
    return {"accuracy": float(np.mean(predicted == (y[n_train:] > 0.5))),
            "train_accuracy": float(np.mean(train_pred == (y[points_per_period:n_train] > 0.5))),
            "test_samples": int(len(y) - n_train)}


def default_stno(temperature: float = 300.0) -> STNO:
    """The oscillator of the reservoir reproduction: an in-plane MTJ STNO (mtjhw.simulators.physics defaults)."""
    return STNO(STNOParams(temperature=temperature))
