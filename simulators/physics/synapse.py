"""Multi-level MTJ synapses: a domain-wall MTJ and compound synapses of binary stochastic MTJs.

Domain-wall MTJ (``dw-synapse``): a domain wall in the free layer sits at one of ``n_sites`` pinning sites
along a track of length ``track_length``; the part of the free layer beyond the wall is parallel to the
reference layer, so the two regions conduct in parallel and G = x·G_p + (1 − x)·G_ap with x the wall's
fractional position. A current pulse of amplitude I and width t moves the wall towards the P end (I > 0,
potentiation/LTP) or the AP end (I < 0, depression/LTD):

- flow above the depinning current, |I| ≥ ``i_dep``: distance = ``mobility``·(|I| − i_dep)·t·(1 + σ_c2c·ξ)
  (cycle-to-cycle noise ξ ~ N(0, 1)), and the wall stops at the last pinning site it reaches;
- creep below it: thermally activated hops between sites at rate (1/τ0)·exp(−``pin_delta``·(1 − |I|/i_dep)),
  a Poisson number of hops per pulse.

Site positions are jittered device-to-device (``site_jitter``, fraction of the mean spacing).

Compound synapse: ``n_devices`` binary MTJs per synapse, in parallel (conductances add) or in series
(resistances add); each pulse switches each device with its Néel–Brown probability (sampled exactly by
:class:`mtjhw.simulators.physics.telegraph.TelegraphMTJ`), with the pulse amplitude jittered per device and pulse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .neel_brown import STATE_AP, STATE_P
from .telegraph import TelegraphMTJ, TelegraphParams
from .tmr import resistance as tmr_resistance


@dataclass
class DomainWallParams:
    """Domain-wall MTJ synapse parameters (SI)."""

    r_p: float = 5000.0  #: resistance with the whole free layer parallel, Ω
    tmr: float = 1.2  #: zero-bias TMR ratio
    v_half: float = 0.5  #: V
    n_sites: int = 16  #: pinning sites (levels = n_sites)
    track_length: float = 400e-9  #: m
    i_dep: float = 100e-6  #: depinning current, A
    mobility: float = 1.0e6  #: wall velocity per ampere above depinning, (m/s)/A
    pin_delta: float = 30.0  #: pinning barrier at zero current, kBT
    tau0: float = 1e-9  #: attempt time of a hop, s
    sigma_c2c: float = 0.1  #: relative cycle-to-cycle spread of the flow distance
    site_jitter: float = 0.1  #: device-to-device jitter of site positions, fraction of the spacing

    def __post_init__(self):
        if self.n_sites < 2:
            raise ValueError(f"n_sites must be ≥ 2, got {self.n_sites}")
        for name in ("r_p", "track_length", "i_dep", "tau0", "v_half"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("tmr", "mobility", "pin_delta", "sigma_c2c"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        if not 0 <= self.site_jitter < 0.5:
            raise ValueError(f"site_jitter must be in [0, 0.5), got {self.site_jitter}")


class DomainWallSynapse:
    """A batch of ``n`` domain-wall MTJ synapses; ``site`` (n,) is each wall's pinning-site index
    (0: AP end, lowest conductance; n_sites − 1: P end, highest)."""

    def __init__(
        self, params: DomainWallParams | None = None, n: int = 1, rng: np.random.Generator | None = None
    ):
        self.params = p = params if params is not None else DomainWallParams()
        if n < 1:
            raise ValueError(f"n must be ≥ 1, got {n}")
        self.n = n
        spacing = p.track_length / (p.n_sites - 1)
        nominal = np.arange(p.n_sites) * spacing
        jitter = np.zeros((n, p.n_sites))
        if p.site_jitter > 0:
            if rng is None:
                raise ValueError("rng is required when site_jitter > 0 (device-to-device variability)")
            jitter[:, 1:-1] = rng.uniform(-p.site_jitter, p.site_jitter, (n, p.n_sites - 2)) * spacing
        self.sites = nominal + jitter  #: (n, n_sites) site positions, m
        self.site = np.zeros(n, dtype=int)

    @property
    def position(self) -> np.ndarray:
        """Fractional wall position x ∈ [0, 1] (share of the free layer parallel to the reference)."""
        return self.sites[np.arange(self.n), self.site] / self.params.track_length

    def conductance(self, voltage: ArrayLike = 0.0) -> np.ndarray:
        """Conductance (S) at bias ``voltage`` (V): the P and AP regions in parallel."""
        p = self.params
        g_p = 1.0 / p.r_p
        g_ap = 1.0 / tmr_resistance(p.r_p, p.tmr, -1.0, voltage, p.v_half)
        x = self.position
        return x * g_p + (1 - x) * g_ap

    def resistance(self, voltage: ArrayLike = 0.0) -> np.ndarray:
        return 1.0 / self.conductance(voltage)

    def hop_rate(self, current: ArrayLike) -> np.ndarray:
        """Thermally activated hop rate (1/s) below depinning, in the direction the current pushes."""
        p = self.params
        i = np.minimum(np.abs(np.asarray(current, dtype=float)) / p.i_dep, 1.0)
        return np.exp(-p.pin_delta * (1 - i)) / p.tau0

    def apply_pulse(self, amplitude: ArrayLike, width: float, rng: np.random.Generator) -> np.ndarray:
        """Apply a current pulse (A, s) to every synapse; returns the signed number of sites moved."""
        p = self.params
        if not width >= 0:
            raise ValueError(f"width must be ≥ 0 s, got {width}")
        amp = np.broadcast_to(np.asarray(amplitude, dtype=float), (self.n,))
        direction = np.sign(amp).astype(int)
        rows = np.arange(self.n)
        start = self.site.copy()
        flow = np.abs(amp) >= p.i_dep
        # flow: travel a noisy distance and stop at the last site reached
        dist = p.mobility * (np.abs(amp) - p.i_dep) * width
        dist = np.maximum(dist * (1 + p.sigma_c2c * rng.standard_normal(self.n)), 0.0)
        here = self.sites[rows, start]
        target = here + direction * dist
        reached_up = np.sum(self.sites <= target[:, None] + 1e-15, axis=1) - 1
        reached_down = p.n_sites - np.sum(self.sites >= target[:, None] - 1e-15, axis=1)
        new_flow = np.where(direction > 0, np.maximum(reached_up, start), np.minimum(reached_down, start))
        # creep: Poisson number of hops
        hops = rng.poisson(self.hop_rate(amp) * width)
        new_creep = start + direction * hops
        new = np.where(flow, new_flow, new_creep)
        self.site = np.clip(new, 0, p.n_sites - 1)
        return self.site - start


@dataclass
class CompoundParams:
    """Compound synapse of binary MTJs: device parameters plus arrangement and noise."""

    n_devices: int = 8  #: binary MTJs per synapse (levels = n_devices + 1)
    arrangement: str = "parallel"  #: "parallel" (conductances add) or "series" (resistances add)
    delta: float = 40.0
    sigma_delta: float = 2.0  #: device-to-device spread of Δ (normal, absolute)
    tau0: float = 1e-9  #: s
    ic0: float = 60e-6  #: A
    n_current: float = 1.0
    r_p: float = 5000.0  #: Ω
    tmr: float = 1.2
    v_half: float = 0.5  #: V
    sigma_pulse: float = 0.02  #: cycle-to-cycle relative jitter of the pulse amplitude

    def __post_init__(self):
        if self.n_devices < 1:
            raise ValueError(f"n_devices must be ≥ 1, got {self.n_devices}")
        if self.arrangement not in ("parallel", "series"):
            raise ValueError(f"arrangement must be 'parallel' or 'series', got {self.arrangement!r}")
        if self.sigma_delta < 0 or self.sigma_pulse < 0:
            raise ValueError("sigma_delta and sigma_pulse must be ≥ 0")


class CompoundSynapse:
    """A batch of ``n`` compound synapses, each of ``n_devices`` stochastic binary MTJs (all start AP)."""

    def __init__(
        self, params: CompoundParams | None = None, n: int = 1, rng: np.random.Generator | None = None
    ):
        self.params = p = params if params is not None else CompoundParams()
        if n < 1:
            raise ValueError(f"n must be ≥ 1, got {n}")
        self.n = n
        k = p.n_devices
        delta = np.full(n * k, p.delta)
        if p.sigma_delta > 0:
            if rng is None:
                raise ValueError("rng is required when sigma_delta > 0 (device-to-device variability)")
            delta = np.maximum(delta + p.sigma_delta * rng.standard_normal(n * k), 1.0)
        tp = TelegraphParams(
            delta=delta, tau0=p.tau0, ic0=p.ic0, n_current=p.n_current, r_p=p.r_p, tmr=p.tmr, v_half=p.v_half
        )
        self.devices = TelegraphMTJ(tp, n=n * k, state=STATE_AP)

    @property
    def states(self) -> np.ndarray:
        """(n, n_devices) device states (±1)."""
        return self.devices.state.reshape(self.n, self.params.n_devices)

    @property
    def level(self) -> np.ndarray:
        """Number of devices in P per synapse (0 … n_devices)."""
        return np.sum(self.states == STATE_P, axis=1)

    def conductance(self, voltage: ArrayLike = 0.0) -> np.ndarray:
        """Synapse conductance (S); ``voltage`` (V) is the bias across each device (parallel) or the
        synapse (series, shared in proportion to the device resistances at low bias)."""
        p = self.params
        r = tmr_resistance(p.r_p, p.tmr, self.states.astype(float), 0.0, p.v_half)
        if p.arrangement == "series":
            v_dev = np.asarray(voltage, dtype=float) * r / np.sum(r, axis=1, keepdims=True)
            r = tmr_resistance(p.r_p, p.tmr, self.states.astype(float), v_dev, p.v_half)
            return 1.0 / np.sum(r, axis=1)
        r = tmr_resistance(p.r_p, p.tmr, self.states.astype(float), voltage, p.v_half)
        return np.sum(1.0 / r, axis=1)

    def apply_pulse(self, amplitude: ArrayLike, width: float, rng: np.random.Generator) -> np.ndarray:
        """Apply a pulse of ``amplitude`` (A through each device; > 0 potentiates towards P) to every
        synapse; returns the change of level per synapse."""
        p = self.params
        before = self.level
        amp = np.repeat(np.broadcast_to(np.asarray(amplitude, dtype=float), (self.n,)), p.n_devices)
        if p.sigma_pulse > 0:
            amp = amp * (1 + p.sigma_pulse * rng.standard_normal(amp.size))
        self.devices.apply_pulse(amp, width, rng)
        return self.level - before
