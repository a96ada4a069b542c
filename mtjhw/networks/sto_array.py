"""Reservoir computing on an array of coupled spin-torque oscillators (after Kanao et al., "Reservoir computing
on spin-torque oscillator array", Phys. Rev. Applied 12, 024052 (2019)), with its short-term-memory and
parity-check capacities.

Each oscillator is the universal auto-oscillator of :mod:`mtjhw.simulators.physics.stno` (complex amplitude c,
power |c|², nonlinear frequency shift N·|c|², nonlinear damping Q, thermal noise), integrated with its compiled
Heun scheme (:func:`mtjhw.simulators.physics.stno_kernel.amplitude_run`). The oscillators of a chain are coupled
by their dipolar fields, K_ij = ``coupling``·Γ_G·e^{iφ}/|i − j|³ (the field of a dipole falls as r⁻³; the default
1.5 Γ_G is γ·8 mT between neighbours, :meth:`StoArrayReservoir.coupling_field`: closely packed pillars). The input
u_k modulates each oscillator's DC current during step k, I_i = I_dc·(1 + ``i_in``·w_i·(2u_k − 1)) with random
weights w and I_dc,i spread uniformly by ±``bias_spread`` around I_dc. The readout (what Kanao et al. stress:
reservoir computing in the synchronised state) has two parts, each averaged over each of ``taps`` parts of the
step: every oscillator's power |c_i|² (its magnetoresistance envelope, from an envelope detector), and, with
``phase_readout``, the in-phase and quadrature outputs Re, Im of c_{i+1}·c_i* (a mixer with a 90° hybrid and a
low-pass filter on each neighbouring pair's microwave signals). The powers relax in about one step and forget
fast; the phase differences of the synchronised chain relax through the coupling only, and the input reaches
them through the nonlinear frequency shift N·|c|², so they hold the longer memory. Device-to-device variation:
a relative spread ``sigma`` of the free-layer volume and of μ0Meff (so of the threshold current, the frequency
and the nonlinearity).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, replace

import numpy as np

from mtjhw.simulators.physics.constants import GAMMA_E, KB
from mtjhw.simulators.physics.stno import STNO, STNOParams
from mtjhw.simulators.physics.stno_kernel import amplitude_run

from .readout import RidgeReadout
from .smtj_waves import Reservoir

#: the oscillators: a 200 nm pillar, 1.5 nm free layer (4× the default volume: a quarter of its thermal noise),
#: R_P 50 Ω (RA ≈ 1.6 Ω·µm², a low-RA oscillator junction: 2 × I_th ≈ 11 mA stays below 1 V)
PILLAR = STNOParams(volume=4.8e-23, r_p=50.0)


@dataclass
class StoArrayReservoir:
    """``n_oscillators`` STOs (``params``) in a chain at in-plane ``field`` (T), bias ``i_dc`` and modulation
    depth ``i_in`` (units of the nominal threshold current), nearest-neighbour dipolar coupling ``coupling``
    (units of Γ_G) of phase ``coupling_phase`` (rad); each input step lasts ``step_relax`` power relaxation
    times 1/(2Γ_G(ζ + Q)), integrated in ``steps_per_input`` Heun steps."""

    n_oscillators: int = 16
    field: float = 0.05
    i_dc: float = 2.0
    i_in: float = 0.2
    bias_spread: float = 0.02
    coupling: float = 1.5
    coupling_phase: float = 1.5
    step_relax: float = 1.0
    steps_per_input: int = 24
    taps: int = 2
    phase_readout: bool = True
    sigma: float = 0.05
    params: STNOParams = dataclasses.field(default_factory=lambda: replace(PILLAR))
    seed: int = 0

    def __post_init__(self) -> None:
        n = self.n_oscillators
        if n < 1 or self.taps < 1 or self.steps_per_input % self.taps:
            raise ValueError("need n_oscillators >= 1 and steps_per_input a multiple of taps >= 1")
        rng = np.random.default_rng(self.seed)
        base = self.params
        spread = 1 + self.sigma * rng.standard_normal((2, n))
        self.oscillators = [STNO(replace(base, volume=base.volume * max(v, 0.2), mu0_meff=base.mu0_meff * max(m, 0.2)))
                            for v, m in zip(*spread, strict=True)]
        self.w_in = rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 1.0, n)
        nominal = STNO(base)
        i_th = float(nominal.threshold_current(self.field))
        self.i_bias = self.i_dc * i_th * (1 + self.bias_spread * rng.uniform(-1.0, 1.0, n))  # A, per oscillator
        gamma = float(nominal.damping_rate(self.field))
        relax = 1.0 / (2 * gamma * (self.i_dc + float(nominal.nonlinear_damping(self.field))))  # at the nominal bias
        self.step_time = self.step_relax * relax  # s per input step
        self.dt = self.step_time / self.steps_per_input
        self.coefs = self._coefficients()
        distance = np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
        np.fill_diagonal(distance, np.inf)
        self.k = self.coupling * gamma * np.exp(1j * self.coupling_phase) / distance**3

    def _coefficients(self) -> dict[str, np.ndarray]:
        """Per-oscillator terms of the model equation (rad/s, 1/s) and the rotating frame's detunings."""
        h = self.field
        osc = self.oscillators
        c = {"shift": np.array([2 * math.pi * float(o.nonlinear_shift(h)) for o in osc]),
             "gamma": np.array([float(o.damping_rate(h)) for o in osc]),
             "q": np.array([float(o.nonlinear_damping(h)) for o in osc]),
             "kt": np.array([KB * o.params.temperature / float(o.energy_scale(h)) for o in osc]),
             "i_th": np.array([float(o.threshold_current(h)) for o in osc]),
             "p0": np.array([float(o.power(i, h)) for o, i in zip(osc, self.i_bias, strict=True)])}
        w0 = np.array([2 * math.pi * float(o.fmr_frequency(h)) for o in osc])
        w_gen = np.array([2 * math.pi * float(o.frequency(i, h)) for o, i in zip(osc, self.i_bias, strict=True)])
        c["detuning"] = w0 - float(np.mean(w_gen))
        return c

    def currents(self, inputs: np.ndarray) -> np.ndarray:
        """DC currents (A), (len(inputs), n_oscillators), for binary or [0, 1] inputs."""
        u = np.asarray(inputs, dtype=float)
        return self.i_bias * np.clip(1 + self.i_in * np.outer(2 * u - 1, self.w_in), 0.0, None)

    def states(self, inputs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Readout features (len(inputs), :attr:`n_features`): per tap, the powers |c_i|², then (with
        ``phase_readout``) Re and Im of c_{i+1}·c_i*, each averaged over its part of the step."""
        c0 = self.coefs
        n = self.n_oscillators
        zetas = self.currents(inputs) / c0["i_th"]
        amp = np.sqrt(np.maximum(c0["p0"], c0["kt"])).astype(complex)
        force = np.zeros(n, dtype=complex)
        rows = np.empty((self.steps_per_input, n), dtype=complex)
        out = np.empty((len(zetas), self.n_features))
        for k, zeta in enumerate(zetas):
            normals = rng.standard_normal((self.steps_per_input, n, 2))
            amplitude_run(amp, c0["detuning"], c0["shift"], c0["gamma"], np.ascontiguousarray(zeta), c0["q"],
                          c0["kt"], self.k, force, self.dt, normals, 1, rows)
            out[k] = self._features(rows)
        return out

    @property
    def n_features(self) -> int:
        """Readout features per input step."""
        per_tap = self.n_oscillators + (2 * (self.n_oscillators - 1) if self.phase_readout else 0)
        return self.taps * per_tap

    def _features(self, rows: np.ndarray) -> np.ndarray:
        """The detectors' outputs for one step of amplitudes ``rows`` (steps_per_input, n)."""
        parts = [np.abs(rows) ** 2]
        if self.phase_readout:
            mixed = rows[:, 1:] * np.conj(rows[:, :-1])
            parts += [mixed.real, mixed.imag]
        signals = np.concatenate(parts, axis=1)
        return signals.reshape(self.taps, -1, signals.shape[1]).mean(axis=1).ravel()

    def coupling_field(self) -> float:
        """The nearest-neighbour coupling as a field (T), |K_{i,i+1}|/γ: the dynamic dipolar field it stands for
        (a few mT between closely packed pillars)."""
        return float(abs(self.k[0, 1]) / GAMMA_E) if self.n_oscillators > 1 else 0.0

    def max_junction_voltage(self) -> float:
        """The largest DC voltage (V) across a junction: the top of the input's modulation, I·R(I)."""
        top = self.i_bias * (1 + self.i_in * np.abs(self.w_in))
        return max(i * float(o.resistance(i)) for o, i in zip(self.oscillators, top, strict=True))

    def dc_energy_per_step(self) -> float:
        """Energy (J) per input step: the DC power Σ_i I_i²·R_i(I_i) of the array at the bias point (the
        modulation averages out to first order) times the step time; R the junctions' bias-dependent DC
        resistance (:meth:`STNO.resistance`)."""
        power = sum(i**2 * float(o.resistance(i)) for o, i in zip(self.oscillators, self.i_bias, strict=True))
        return power * self.step_time


def capacities(x: np.ndarray, u: np.ndarray, max_delay: int, washout: int, n_train: int,
               alpha: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Short-term-memory and parity-check capacities per delay d = 1 … ``max_delay``: the squared correlation, on
    the test rows (after ``washout + n_train``), of a ridge readout of the features ``x`` trained to give u_{k−d}
    (STM) or (u_{k−d} + … + u_k) mod 2 (parity). Sum them for the capacities C_STM and C_PC."""
    train = slice(washout, washout + n_train)
    test = slice(washout + n_train, len(u))
    stm, pc = np.empty(max_delay), np.empty(max_delay)
    for d in range(1, max_delay + 1):
        delayed = np.concatenate([np.zeros(d), u[:-d]])
        window = sum(np.concatenate([np.zeros(j), u[:len(u) - j]]) for j in range(d + 1))
        for store, target in ((stm, delayed), (pc, window % 2)):
            readout = RidgeReadout(alpha=alpha).fit(x[train], target[train])
            store[d - 1] = _r2(readout.predict(x[test]), target[test])
    return stm, pc


def _r2(predicted: np.ndarray, target: np.ndarray) -> float:
    """Squared correlation coefficient (0 where either is constant)."""
    if np.std(predicted) == 0 or np.std(target) == 0:
        return 0.0
    return float(np.corrcoef(predicted, target)[0, 1] ** 2)


def memory_task(reservoir: Reservoir, n_steps: int, max_delay: int, washout: int = 100, train_fraction: float = 0.6,
                alpha: float = 1e-6, seed: int = 0) -> dict[str, float | list[float]]:
    """C_STM and C_PC of ``reservoir`` (anything with ``states``) driven by ``n_steps`` random bits."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 2, n_steps).astype(float)
    x = reservoir.states(u, rng)
    n_train = int(train_fraction * (n_steps - washout))
    stm, pc = capacities(x, u, max_delay, washout, n_train, alpha)
    return {"stm_capacity": float(stm.sum()), "pc_capacity": float(pc.sum()),
            "stm_by_delay": stm.tolist(), "pc_by_delay": pc.tolist()}
