"""McCulloch–Pitts neurons whose activation is an MTJ's transfer curve (review §3.2, eqs. 7–8).

An M-P neuron forms its pre-activation as a current, I = Σ_j w_j·x_j + b (weights and bias in amperes per unit
input), and passes it through a device:

- **Sigmoid from a p-bit** (:class:`PBitNeuron`): a superparamagnetic MTJ telegraphs between P and AP; the
  current tilts its Néel–Brown barriers, E_P = Δ(1 + h)²(1 + i)ⁿ out of P and E_AP = Δ(1 − h)²(1 − i)ⁿ out of AP
  (i = I/Ic0, h = (H − h_offset)/Hk; positive current favours P), so the time it spends in P is

      p_P(I) = r_AP→P / (r_P→AP + r_AP→P) = 1 / (1 + exp(E_AP − E_P)),

  for n = 1 and h = 0 the logistic sigmoid σ(2Δ·I/Ic0) (n = 2: σ(4Δ·I/Ic0)), eq. 7's form with gain 2Δ/Ic0.
  The neuron's output is its time-averaged state over a read window (the sigmoid, with the telegraph's
  sampling noise), or its state at the end of the window (a binary stochastic neuron with that probability).
- **ReLU from a spin-Hall-driven domain wall** (:class:`SotReluNeuron`): the pre-activation current flows
  through the heavy-metal line under a domain-wall track; the damping-like spin-orbit torque moves the (Néel)
  wall by v = μ_SH·(I − i_dep) above the depinning current, with the 1D-model mobility μ_SH =
  (π/2)(γΔ_w/α)·a_DL per ampere (Thiaville et al., EPL 100, 57002 (2012), in the DMI-stabilised regime below
  saturation; a_DL from :meth:`mtjhw.simulators.physics.sot.SOTParams.dl_field_per_ampere`). A pulse of
  ``pulse_width`` from the reset position moves it x = μ_SH·max(I − i_dep, 0)·t_p, and the read MTJ over the
  track (G = G_AP + (G_P − G_AP)·x/L) gives

      y = min(max(I − i_dep, 0)·μ_SH·t_p / L, 1),

  eq. 8's ReLU with threshold i_dep, clipped at the track's end; thermally activated creep below depinning
  rounds the knee and the pinning sites quantise y in steps of 1/(n_sites − 1)
  (:class:`mtjhw.simulators.physics.synapse.DomainWallSynapse`). Negative currents push the wall against its
  reset end: y = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .constants import GAMMA_E
from .neel_brown import STATE_AP, STATE_P, barrier
from .sot import SOTParams
from .synapse import DomainWallParams, DomainWallSynapse
from .telegraph import TelegraphMTJ, TelegraphParams


def pbit_occupation(current: ArrayLike, delta: ArrayLike, ic0: ArrayLike, n_current: float = 1.0,
                    h: ArrayLike = 0.0) -> np.ndarray:
    """p_P at ``current`` (A) of a Néel–Brown p-bit (Δ in kBT, ``ic0`` A, field ``h`` in units of Hk):
    1/(1 + exp(E_AP − E_P)), exact for the model with one attempt time."""
    i = np.asarray(current, dtype=float) / np.asarray(ic0, dtype=float)
    h = np.asarray(h, dtype=float)
    e_p = barrier(delta, -h, -i, n_current)  # positive drive stabilises P
    e_ap = barrier(delta, h, i, n_current)
    return 1.0 / (1.0 + np.exp(e_ap - e_p))


def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic σ(x) = 1/(1 + e^−x) (review eq. 7)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def relu(x: ArrayLike) -> np.ndarray:
    """max(x, 0) (review eq. 8)."""
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def fraction_in_p(initial: np.ndarray, switches: list[np.ndarray], t_start: float, t_end: float) -> np.ndarray:
    """Fraction of [t_start, t_end] each device spent in P, from its ``initial`` state (±1) and switch times."""
    out = np.empty(len(switches))
    for k, (s0, times) in enumerate(zip(initial, switches, strict=True)):
        edges = np.concatenate(([t_start], times, [t_end]))
        dwell = np.diff(edges)
        in_p = dwell[0::2].sum() if s0 == STATE_P else dwell[1::2].sum()
        out[k] = in_p / (t_end - t_start)
    return out


class _MPNeuron:
    """Weights (A per unit input) and a bias (A): the pre-activation current of a batch of inputs."""

    def __init__(self, weights: ArrayLike, bias: float = 0.0) -> None:
        self.weights = np.atleast_1d(np.asarray(weights, dtype=float))
        self.bias = float(bias)

    def current(self, x: ArrayLike) -> np.ndarray:
        """Pre-activation current (A) for inputs ``x`` (batch, inputs) or (inputs,)."""
        return np.atleast_2d(np.asarray(x, dtype=float)) @ self.weights + self.bias


class PBitNeuron(_MPNeuron):
    """M-P neuron with a p-bit (superparamagnetic MTJ, Néel–Brown physics of
    :class:`~mtjhw.simulators.physics.telegraph.TelegraphMTJ`) as its sigmoid activation. ``params`` must be in
    the Néel–Brown mode (no ``alpha``), where :func:`pbit_occupation` is the exact transfer curve."""

    def __init__(self, weights: ArrayLike, bias: float = 0.0, params: TelegraphParams | None = None) -> None:
        super().__init__(weights, bias)
        self.params = params or TelegraphParams(delta=5.0, ic0=20e-6, tau0=1e-9, n_current=1.0)
        if self.params.alpha is not None:
            raise ValueError("PBitNeuron uses the Néel–Brown p-bit (TelegraphParams without alpha)")

    def expected(self, x: ArrayLike) -> np.ndarray:
        """The activation p_P of each input: the sigmoid the device's rates give (parameters given per device
        apply one per input)."""
        p = self.params
        n = float(p.n_current if p.n_current is not None else 1.0)
        h = -np.asarray(p.h_offset, dtype=float) / np.asarray(p.hk, dtype=float)
        return pbit_occupation(self.current(x), np.asarray(p.delta, dtype=float), np.asarray(p.ic0, dtype=float),
                               n, h)

    def read(self, x: ArrayLike, window: float, rng: np.random.Generator,
             binary: bool = False) -> np.ndarray:
        """The activation measured by the device: its time-averaged P occupation over ``window`` s (from
        equilibrium at each input's current), or with ``binary`` its state (1 P, 0 AP) at the window's end."""
        current = self.current(x)
        mtj = TelegraphMTJ(self.params, n=current.size)
        mtj.state = np.where(rng.random(current.size) < self.expected(x), STATE_P, STATE_AP)
        record = mtj.advance(window, rng, current=current, record=True)
        if binary:
            return (mtj.state == STATE_P).astype(float)
        return fraction_in_p(record.initial_state, record.switch_times, record.t_start, record.t_end)


def sot_wall_mobility(sot: SOTParams, wall_width: float) -> float:
    """Wall velocity per ampere, (m/s)/A, of a Néel wall driven by the spin Hall torque of ``sot``'s write line:
    (π/2)(γΔ_w/α)·a_DL per ampere (1D model, DMI-stabilised wall below saturation; ``wall_width`` Δ_w in m)."""
    return math.pi / 2 * GAMMA_E * wall_width / sot.alpha * abs(sot.dl_field_per_ampere())


@dataclass(frozen=True)
class ReluParams:
    """Spin-Hall domain-wall ReLU device (SI): the track (``track_length`` m with ``n_sites`` pinning sites,
    depinning current ``i_dep`` A, pinning barrier ``pin_delta`` kBT with attempt time ``tau0`` s, cycle-to-cycle
    spread ``sigma_c2c`` and device-to-device site jitter ``site_jitter``), the wall's ``mobility`` (m/s)/A, the
    write ``pulse_width`` s, and the read MTJ (``r_p`` Ω, ``tmr``)."""

    i_dep: float = 50e-6
    mobility: float = 2e6
    pulse_width: float = 2e-9
    track_length: float = 400e-9
    n_sites: int = 101
    pin_delta: float = 30.0
    tau0: float = 1e-9
    sigma_c2c: float = 0.0
    site_jitter: float = 0.0
    r_p: float = 5000.0
    tmr: float = 1.2

    @classmethod
    def from_sot(cls, sot: SOTParams, wall_width: float = 5e-9, **kwargs: float) -> ReluParams:
        """The device on ``sot``'s write line and free layer: mobility from :func:`sot_wall_mobility`."""
        return cls(mobility=sot_wall_mobility(sot, wall_width), **kwargs)

    @property
    def gain(self) -> float:
        """Slope of the ReLU above threshold, 1/A: μ·t_p/L."""
        return self.mobility * self.pulse_width / self.track_length

    def synapse_params(self) -> DomainWallParams:
        return DomainWallParams(r_p=self.r_p, tmr=self.tmr, n_sites=self.n_sites, track_length=self.track_length,
                                i_dep=self.i_dep, mobility=self.mobility, pin_delta=self.pin_delta, tau0=self.tau0,
                                sigma_c2c=self.sigma_c2c, site_jitter=self.site_jitter)


class SotReluNeuron(_MPNeuron):
    """M-P neuron with a spin-Hall-driven domain-wall MTJ as its ReLU activation; ``devices`` copies (one per
    input of a batch, each with its own site jitter drawn from ``rng``)."""

    def __init__(self, weights: ArrayLike, bias: float = 0.0, params: ReluParams | None = None,
                 devices: int = 1, rng: np.random.Generator | None = None) -> None:
        super().__init__(weights, bias)
        self.params = params or ReluParams()
        self.device = DomainWallSynapse(self.params.synapse_params(), n=devices, rng=rng)

    def expected(self, x: ArrayLike) -> np.ndarray:
        """The flow-regime activation min(relu(I − i_dep)·gain, 1) of each input (no creep, continuous)."""
        p = self.params
        return np.minimum(relu(self.current(x) - p.i_dep) * p.gain, 1.0)

    def read(self, x: ArrayLike, rng: np.random.Generator) -> np.ndarray:
        """The activation the device gives: reset the wall to the AP end, apply the pre-activation current for
        ``pulse_width``, read the wall's fractional position from the MTJ's conductance."""
        current = self.current(x)
        if current.size != self.device.n:
            raise ValueError(f"{current.size} inputs for {self.device.n} devices")
        self.device.site[:] = 0
        g_ap = self.device.conductance()
        self.device.apply_pulse(current, self.params.pulse_width, rng)
        g_p = 1.0 / self.params.r_p
        return (self.device.conductance() - g_ap) / (g_p - g_ap)
