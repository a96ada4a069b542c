"""A physical reservoir of single superparamagnetic MTJs on waveform tasks (after the stochastic-magnet
reservoir of Ganguly, Camsari & Ghosh: p-bit / superparamagnetic-MTJ nodes read as time averages).

Each of ``n_devices`` junctions (Néel–Brown telegraph switching, :class:`TelegraphMTJ`) carries the current
I_j = Ic0·(b_j + ``i_in``·w_j·u_k + ``coupling``·Σ_l J_jl m_l) during input step k, with w random input weights,
b_j a random bias (its operating point on the sigmoid), J a random coupling matrix and m_l = 1 − 2a_l the
previous step's mean magnetisation of device l. Spin torque tilts a device's P/AP occupancy toward the drive; the
occupancy relaxes over about one dwell time τ = τ0·e^Δ, each device's own memory (Δ differs from device to
device, so do the memories). A device's response is its time-averaged state over the step: the fraction a_j of
the step spent in AP, read by sampling the state ``samples_per_step`` times (a low-pass-filtered read signal).
A ridge readout on the responses (and those of the last few steps) does the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams

from .readout import RidgeReadout


class Reservoir(Protocol):
    """Anything with node responses ``states(inputs, rng) -> (len(inputs), n)`` (sMTJ, STO, echo-state)."""

    def states(self, inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray: ...


@dataclass
class SmtjWaveReservoir:
    """``n_devices`` superparamagnetic MTJs of mean thermal stability ``delta`` and relative spread
    ``sigma_delta`` (normal, device to device); each input step lasts ``read_time`` nominal zero-bias dwell times
    τ0·e^Δ (τ0 = 1 ns); bias, input and coupling currents in units of Ic0 (module docstring)."""

    n_devices: int = 32
    delta: float = 5.0
    sigma_delta: float = 0.1
    read_time: float = 2.0
    i_bias: float = 0.6
    i_in: float = 0.8
    coupling: float = 0.0
    samples_per_step: int = 24
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_devices < 1 or self.samples_per_step < 1 or not self.read_time > 0:
            raise ValueError("need n_devices >= 1, samples_per_step >= 1 and read_time > 0")
        rng = np.random.default_rng(self.seed)
        self.w_in = rng.choice([-1.0, 1.0], self.n_devices) * rng.uniform(0.3, 1.0, self.n_devices)
        self.bias = rng.uniform(-self.i_bias, self.i_bias, self.n_devices)
        j = rng.standard_normal((self.n_devices, self.n_devices)) / np.sqrt(self.n_devices)
        np.fill_diagonal(j, 0.0)
        self.j = j
        deltas = np.maximum(self.delta * (1 + self.sigma_delta * rng.standard_normal(self.n_devices)), 0.5)
        self.params = TelegraphParams(delta=deltas)
        self.step_time = float(self.read_time * 1e-9 * np.exp(self.delta))  # s per input step

    def run(self, inputs: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(AP fractions (len(inputs), n_devices), energy per step (len(inputs),) in J) for inputs in [−1, 1].

        The escape rates out of P and AP under each step's currents are the devices' own
        (:meth:`TelegraphMTJ.rates`); the state at the sampling instants follows from them exactly (the two-state
        Markov chain's transition probabilities over a sampling interval), so no switch is missed or invented."""
        devices = TelegraphMTJ(self.params, n=self.n_devices)
        ic0 = float(np.asarray(self.params.ic0))
        sub = self.step_time / self.samples_per_step
        ap = rng.random(self.n_devices) < 0.5
        out = np.empty((len(inputs), self.n_devices))
        energy = np.empty(len(inputs))
        m = np.zeros(self.n_devices)
        for k, u in enumerate(np.asarray(inputs, dtype=float)):
            current = ic0 * (self.bias + self.i_in * self.w_in * u + self.coupling * (self.j @ m))
            r_p, r_ap = devices.rates(current)
            occupancy = r_p / (r_p + r_ap)  # stationary AP probability under this drive
            decay = np.exp(-(r_p + r_ap) * sub)
            count = np.zeros(self.n_devices)
            for row in rng.random((self.samples_per_step, self.n_devices)):
                ap = row < occupancy + (ap - occupancy) * decay
                count += ap
            out[k] = count / self.samples_per_step
            m = 1.0 - 2.0 * out[k]
            energy[k] = step_energy(current, out[k], self.params, self.step_time)
        return out, energy

    def states(self, inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Time-averaged AP occupancies (len(inputs), n_devices)."""
        return self.run(inputs, rng)[0]


def step_energy(current: np.ndarray, ap_fraction: np.ndarray, params: TelegraphParams, step_time: float) -> float:
    """Joule energy (J) of one input step: Σ_j I_j²·R_j·t_step, R_j the time-averaged resistance
    R_P(1 − a_j) + R_AP·a_j with R_AP = R_P(1 + TMR) (zero-bias TMR, :class:`TelegraphParams` defaults:
    R_P 5 kΩ, TMR 120 %), ``current`` in A, ``step_time`` in s. The bias is the read current too."""
    r_p, tmr = float(np.asarray(params.r_p)), float(np.asarray(params.tmr))
    resistance = r_p * (1 - ap_fraction) + r_p * (1 + tmr) * ap_fraction
    return float(np.sum(current**2 * resistance) * step_time)


def embed(x: np.ndarray, history: int) -> np.ndarray:
    """Features of step k: the responses of steps k, k−1, …, k−history+1 side by side (len(x) − history + 1 rows)."""
    return np.column_stack([x[history - 1 - d:len(x) - d] for d in range(history)])


def nmse(predicted: np.ndarray, target: np.ndarray) -> float:
    """Normalised mean square error mean((ŷ − y)²)/var(y)."""
    return float(np.mean((predicted - target) ** 2) / np.var(target))


def regression_nmse(x: np.ndarray, y: np.ndarray, washout: int, train_fraction: float, alpha: float) -> float:
    """Test NMSE of a ridge readout fitted on the first ``train_fraction`` of the rows after ``washout``."""
    n_train = washout + int(train_fraction * (len(y) - washout))
    readout = RidgeReadout(alpha=alpha).fit(x[washout:n_train], y[washout:n_train])
    return nmse(readout.predict(x[n_train:]), y[n_train:])


def sine(n_steps: int, period: int) -> np.ndarray:
    """sin(2πk/period) for k = 0 … n_steps − 1."""
    return np.sin(2 * np.pi * np.arange(n_steps) / period)


def square_from_sine(reservoir: Reservoir, n_steps: int = 600, period: int = 16, history: int = 1,
                     alpha: float = 1e-3, seed: int = 0) -> float:
    """NMSE of reconstructing the square wave (+1 over the sine's first half period, −1 over the second) from
    the sine input (test half)."""
    u = sine(n_steps, period)
    x = embed(reservoir.states(u, np.random.default_rng(seed)), history)
    target = np.where(np.arange(n_steps) % period < period / 2, 1.0, -1.0)[history - 1:]
    return regression_nmse(x, target, period, 0.5, alpha)


def sine_prediction(reservoir: Reservoir, horizon: int, n_steps: int = 600, period: int = 16, history: int = 1,
                    alpha: float = 1e-3, seed: int = 0) -> float:
    """NMSE of predicting the sine input ``horizon`` steps ahead from the responses up to now (test half)."""
    u = sine(n_steps + horizon, period)
    x = embed(reservoir.states(u[:n_steps], np.random.default_rng(seed)), history)
    target = u[history - 1 + horizon:]
    return regression_nmse(x, target, period, 0.5, alpha)
