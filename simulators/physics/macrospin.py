"""Macrospin stochastic Landau–Lifshitz–Gilbert–Slonczewski (sLLGS) model of an MTJ free layer.

A batch of independent junctions is integrated at once; every parameter may be a scalar (shared) or an
array with one entry per junction (device-to-device variability). Units are SI, fields are μ0H in tesla.

Physics (per junction, m the free-layer unit vector, p the fixed reference-layer polarisation):

- uniaxial anisotropy field ``hk``·(m·u)u (or ``ku`` in J/m³ with hk = 2Ku/Ms), demagnetisation −μ0Ms N·m,
  external DC + RF field, Oersted field proportional to the junction current;
- Slonczewski STT: damping-like field a_J = ħηI / (2e Ms t A) / (1 + λ m·p) and field-like b_J = β a_J;
- SOT: a_SOT = ħθ_SH I_SOT / (2e Ms t A_HM) along σ, field-like part ``sot_fl_ratio``·a_SOT;
- thermal field with per-component variance 2αkBT / (γ Ms V Δt) (tesla²), Stratonovich (Heun) integration.

Sign convention (as in :mod:`mtjhw.simulators.physics.neel_brown`): positive junction current pulls m towards p,
i.e. favours the parallel state. Sun's zero-temperature critical current for a perpendicular junction is
Ic0 = 2eα Ms V μ0Hk,eff / (ħη) = (4eαkBT/ħη)·Δ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import ArrayLike

from . import macrospin_kernel as k
from .constants import E_CHARGE, GAMMA_E, HBAR, KB, MU0
from .tmr import resistance as tmr_resistance


@dataclass
class MacrospinParams:
    """Physical parameters of the free layer and junction (scalars or one entry per device).

    Vector parameters take shape (3,) or (n, 3); they are normalised where they are directions.
    """

    ms: ArrayLike = 1.0e6  #: saturation magnetisation, A/m
    thickness: ArrayLike = 1.5e-9  #: free-layer thickness, m
    diameter: ArrayLike = 50e-9  #: pillar diameter (circular), m
    alpha: ArrayLike = 0.01  #: Gilbert damping
    hk: ArrayLike = 0.1  #: uniaxial anisotropy field 2Ku/Ms, T (ignored when ``ku`` is given)
    ku: ArrayLike | None = None  #: uniaxial anisotropy energy density, J/m³
    easy_axis: ArrayLike = (0.0, 0.0, 1.0)
    demag: ArrayLike = (0.0, 0.0, 0.0)  #: demagnetising factors (Nx, Ny, Nz), sum 1 or all 0
    reference: ArrayLike = (0.0, 0.0, 1.0)  #: reference-layer polarisation direction p
    eta: ArrayLike = 0.6  #: STT efficiency η (spin polarisation)
    stt_fl_ratio: ArrayLike = 0.0  #: field-like / damping-like STT ratio β
    stt_asymmetry: ArrayLike = 0.0  #: Slonczewski λ in a_J/(1 + λ m·p), |λ| < 1
    theta_sh: ArrayLike = 0.0  #: spin Hall angle of the SOT line
    sot_sigma: ArrayLike = (0.0, 1.0, 0.0)  #: SOT spin polarisation direction σ
    sot_cross_section: ArrayLike = 1.0e-15  #: cross-section of the heavy-metal line, m²
    sot_fl_ratio: ArrayLike = 0.0  #: field-like / damping-like SOT ratio
    oersted_per_ampere: ArrayLike = (0.0, 0.0, 0.0)  #: uniform Oersted field per junction current, T/A
    temperature: ArrayLike = 300.0  #: K
    r_p: ArrayLike = 5000.0  #: parallel resistance, Ω
    tmr: ArrayLike = 1.2  #: zero-bias TMR ratio
    v_half: ArrayLike = 0.5  #: bias at which the TMR halves, V

    @property
    def area(self) -> np.ndarray:
        """Junction area, m²."""
        return math.pi * np.asarray(self.diameter, dtype=float) ** 2 / 4.0

    @property
    def volume(self) -> np.ndarray:
        """Free-layer volume, m³."""
        return self.area * np.asarray(self.thickness, dtype=float)

    def anisotropy_field(self) -> np.ndarray:
        """Uniaxial anisotropy field μ0Hk = 2Ku/Ms, T."""
        if self.ku is not None:
            return 2.0 * np.asarray(self.ku, dtype=float) / np.asarray(self.ms, dtype=float)
        return np.asarray(self.hk, dtype=float)

    def effective_anisotropy_field(self) -> np.ndarray:
        """μ0Hk,eff along the easy axis: anisotropy minus the demagnetising difference along the axis, T.

        Exact for a uniaxial shape around the easy axis (e.g. easy axis z with Nx = Ny, the p-MTJ case);
        otherwise the mean of the two transverse demagnetising factors is used.
        """
        u = _unit(self.easy_axis)
        n = np.asarray(self.demag, dtype=float)
        along = np.sum(n * u**2, axis=-1)
        # the perpendicular factor seen when m tilts away from the axis: mean of the other two
        across = (np.sum(n, axis=-1) - along) / 2.0
        return self.anisotropy_field() - MU0 * np.asarray(self.ms, dtype=float) * (along - across)

    def delta(self) -> np.ndarray:
        """Thermal stability factor Δ = Ms V μ0Hk,eff / (2 kB T)."""
        return (
            np.asarray(self.ms, dtype=float)
            * self.volume
            * self.effective_anisotropy_field()
            / (2.0 * KB * np.asarray(self.temperature, dtype=float))
        )

    def ic0(self) -> np.ndarray:
        """Sun's zero-temperature critical current 2eα Ms V μ0Hk,eff / (ħη), A."""
        return (
            2.0
            * E_CHARGE
            * np.asarray(self.alpha, dtype=float)
            * np.asarray(self.ms, dtype=float)
            * self.volume
            * self.effective_anisotropy_field()
            / (HBAR * np.asarray(self.eta, dtype=float))
        )

    def brown_dwell_time(self) -> np.ndarray:
        """Brown's high-barrier mean dwell time (1+α²)/(αγμ0Hk,eff)·√(π/Δ)·e^Δ, s."""
        a = np.asarray(self.alpha, dtype=float)
        d = self.delta()
        return (1 + a**2) / (a * GAMMA_E * self.effective_anisotropy_field()) * np.sqrt(np.pi / d) * np.exp(d)

    def kittel_frequency(self, field_t: ArrayLike) -> np.ndarray:
        """FMR frequency (Hz) for a field along the easy axis, f = (γ/2π)(μ0H + μ0Hk,eff)."""
        return (
            GAMMA_E / (2 * math.pi) * (np.asarray(field_t, dtype=float) + self.effective_anisotropy_field())
        )


@dataclass
class Waveform:
    """Scalar drive (A): dc + rf·sin(2πf t + φ) + a rectangular pulse train (single pulse if period ≤ 0)."""

    dc: ArrayLike = 0.0
    rf_amplitude: ArrayLike = 0.0
    rf_frequency: ArrayLike = 0.0  #: Hz
    rf_phase: ArrayLike = 0.0  #: rad
    pulse_amplitude: ArrayLike = 0.0
    pulse_period: ArrayLike = 0.0  #: s
    pulse_width: ArrayLike = 0.0  #: s
    pulse_delay: ArrayLike = 0.0  #: s

    def value(self, t: ArrayLike) -> np.ndarray:
        """The waveform at times ``t`` (s), for checking and plotting."""
        t = np.asarray(t, dtype=float)
        v = np.asarray(self.dc, dtype=float) + np.asarray(self.rf_amplitude, dtype=float) * np.sin(
            2 * np.pi * np.asarray(self.rf_frequency, dtype=float) * t
            + np.asarray(self.rf_phase, dtype=float)
        )
        tau = t - np.asarray(self.pulse_delay, dtype=float)
        period = np.asarray(self.pulse_period, dtype=float)
        tau_mod = np.where(period > 0, np.mod(tau, np.where(period > 0, period, 1.0)), tau)
        on = (tau >= 0) & (tau_mod < np.asarray(self.pulse_width, dtype=float))
        return v + np.where(on, np.asarray(self.pulse_amplitude, dtype=float), 0.0)


@dataclass
class Drive:
    """Time-dependent drive of a batch: junction current, SOT current (A) and field (T, vector).

    ``voltage`` (V) drives the junction by its voltage instead of ``current`` (which must then stay zero): the
    current is V·G(m·p, V) at every step, following the magnetisation (bias-dependent TMR).
    """

    current: Waveform = field(default_factory=Waveform)
    sot_current: Waveform = field(default_factory=Waveform)
    field_dc: ArrayLike = (0.0, 0.0, 0.0)  #: T
    field_rf: ArrayLike = (0.0, 0.0, 0.0)  #: T, amplitude vector of field_rf·sin(2πf t + φ)
    field_rf_frequency: ArrayLike = 0.0  #: Hz
    field_rf_phase: ArrayLike = 0.0  #: rad
    voltage: Waveform | None = None  #: V, instead of ``current``


@dataclass
class Trajectory:
    """Recorded magnetisation: ``t`` (n_rec,) in s and ``m`` (n_devices, n_rec, 3)."""

    t: np.ndarray
    m: np.ndarray


def _unit(v: ArrayLike) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    norm = np.linalg.norm(a, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("direction vectors (easy_axis, reference, sot_sigma) must be non-zero")
    return a / norm


def _column(x: ArrayLike, n: int, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] not in (1, n)):
        raise ValueError(f"{name} must be a scalar or have one entry per device ({n}), got shape {a.shape}")
    return np.broadcast_to(a, (n,))


def _vector(x: ArrayLike, n: int, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.shape[-1:] != (3,) or a.ndim > 2 or (a.ndim == 2 and a.shape[0] not in (1, n)):
        raise ValueError(f"{name} must have shape (3,) or ({n}, 3), got {a.shape}")
    return np.broadcast_to(a, (n, 3))


class Macrospin:
    """A batch of ``n`` macrospin junctions integrated by the compiled Heun kernel.

    ``m0`` is the initial magnetisation, (3,) or (n, 3); by default along the easy axis (parallel state).
    """

    def __init__(self, params: MacrospinParams | None = None, n: int = 1, m0: ArrayLike | None = None):
        if n < 1:
            raise ValueError(f"n (number of devices) must be ≥ 1, got {n}")
        self.params = params if params is not None else MacrospinParams()
        self.n = n
        self._prm = self._pack(self.params, n)
        self.m = _unit(_vector(self._prm[:, k.P_AXIS : k.P_AXIS + 3] if m0 is None else m0, n, "m0")).copy()
        self.time = 0.0

    @staticmethod
    def _pack(p: MacrospinParams, n: int) -> np.ndarray:
        for f in fields(p):
            v = getattr(p, f.name)
            if v is not None and not np.all(np.isfinite(np.asarray(v, dtype=float))):
                raise ValueError(f"{f.name} must be finite")
        for name in ("ms", "thickness", "diameter", "alpha", "r_p", "v_half"):
            if np.any(np.asarray(getattr(p, name), dtype=float) <= 0):
                raise ValueError(f"{name} must be > 0")
        if np.any(np.asarray(p.temperature, dtype=float) < 0):
            raise ValueError("temperature must be ≥ 0 K")
        if np.any(np.abs(np.asarray(p.stt_asymmetry, dtype=float)) >= 1):
            raise ValueError("stt_asymmetry λ must satisfy |λ| < 1")
        prm = np.zeros((n, k.N_PRM))
        alpha = _column(p.alpha, n, "alpha")
        ms = _column(p.ms, n, "ms")
        thickness = _column(p.thickness, n, "thickness")
        area = _column(p.area, n, "diameter")
        prm[:, k.P_GAMMA_LL] = GAMMA_E / (1 + alpha**2)
        prm[:, k.P_ALPHA] = alpha
        prm[:, k.P_HK] = _column(p.anisotropy_field(), n, "hk/ku")
        prm[:, k.P_AXIS : k.P_AXIS + 3] = _unit(_vector(p.easy_axis, n, "easy_axis"))
        prm[:, k.P_DEMAG : k.P_DEMAG + 3] = MU0 * ms[:, None] * _vector(p.demag, n, "demag")
        prm[:, k.P_REF : k.P_REF + 3] = _unit(_vector(p.reference, n, "reference"))
        prm[:, k.P_AJ] = HBAR * _column(p.eta, n, "eta") / (2 * E_CHARGE * ms * thickness * area)
        prm[:, k.P_BETA] = _column(p.stt_fl_ratio, n, "stt_fl_ratio")
        prm[:, k.P_LAMBDA] = _column(p.stt_asymmetry, n, "stt_asymmetry")
        prm[:, k.P_SIGMA : k.P_SIGMA + 3] = _unit(_vector(p.sot_sigma, n, "sot_sigma"))
        prm[:, k.P_ASOT] = (
            HBAR
            * _column(p.theta_sh, n, "theta_sh")
            / (2 * E_CHARGE * ms * thickness * _column(p.sot_cross_section, n, "sot_cross_section"))
        )
        prm[:, k.P_BSOT] = _column(p.sot_fl_ratio, n, "sot_fl_ratio")
        prm[:, k.P_OERSTED : k.P_OERSTED + 3] = _vector(p.oersted_per_ampere, n, "oersted_per_ampere")
        prm[:, k.P_GP] = 1.0 / _column(p.r_p, n, "r_p")
        prm[:, k.P_TMR] = _column(p.tmr, n, "tmr")
        prm[:, k.P_VHALF] = _column(p.v_half, n, "v_half")
        # thermal variance per unit 1/Δt: 2αkBT/(γ Ms V)
        prm[:, k.P_THERMAL] = (
            2 * alpha * KB * _column(p.temperature, n, "temperature") / (GAMMA_E * ms * thickness * area)
        )
        return prm

    def _pack_drive(self, drive: Drive) -> np.ndarray:
        n = self.n
        drv = np.zeros((n, k.N_DRV))
        junction = drive.current
        if drive.voltage is not None:
            if any(np.any(np.asarray(getattr(drive.current, f.name)) != 0) for f in fields(Waveform)):
                raise ValueError("a drive has a junction current or a junction voltage, not both")
            junction = drive.voltage
            drv[:, k.D_VOLTAGE] = 1.0
        for base, w in ((k.D_CURRENT, junction), (k.D_SOT, drive.sot_current)):
            for i, f in enumerate(fields(Waveform)):
                drv[:, base + i] = _column(getattr(w, f.name), n, f"waveform {f.name}")
        drv[:, k.D_FIELD_DC : k.D_FIELD_DC + 3] = _vector(drive.field_dc, n, "field_dc")
        drv[:, k.D_FIELD_RF : k.D_FIELD_RF + 3] = _vector(drive.field_rf, n, "field_rf")
        drv[:, k.D_FIELD_FREQ] = _column(drive.field_rf_frequency, n, "field_rf_frequency")
        drv[:, k.D_FIELD_PHASE] = _column(drive.field_rf_phase, n, "field_rf_phase")
        return drv

    def run(
        self,
        duration: float,
        dt: float = 1e-12,
        drive: Drive | None = None,
        rng: np.random.Generator | None = None,
        record_every: int | None = None,
    ) -> Trajectory:
        """Integrate for ``duration`` (s) with step ``dt`` (s) from the current state; time continues.

        Time-dependent drives are evaluated at absolute time (``self.time``). Records m every
        ``record_every`` steps (default: only the final state). ``rng`` seeds the thermal field
        (required unless every device is at 0 K).
        """
        if dt <= 0 or duration < 0:
            raise ValueError(f"dt must be > 0 and duration ≥ 0 (got dt={dt}, duration={duration})")
        n_steps = int(round(duration / dt))
        if record_every is None:
            record_every = max(n_steps, 1)
        if record_every < 1:
            raise ValueError(f"record_every must be ≥ 1, got {record_every}")
        thermal = bool(np.any(self._prm[:, k.P_THERMAL] > 0))
        if thermal and rng is None:
            raise ValueError("rng (numpy Generator) is required at non-zero temperature")
        prm = self._prm.copy()
        prm[:, k.P_THERMAL] = np.sqrt(prm[:, k.P_THERMAL] / dt)
        drv = self._pack_drive(drive if drive is not None else Drive())
        n_rec = n_steps // record_every
        out = np.empty((self.n, n_rec, 3))
        seeds = (
            rng.integers(0, 2**63 - 1, size=self.n, dtype=np.int64).astype(np.uint64)
            if thermal
            else np.zeros(self.n, dtype=np.uint64)
        )
        t_start = self.time
        k.heun_run(self.m, prm, drv, t_start, dt, n_steps, seeds, thermal, record_every, out)
        self.time = t_start + n_steps * dt
        t = t_start + dt * record_every * np.arange(1, n_rec + 1)
        return Trajectory(t=t, m=out)

    def advance(
        self,
        duration: float,
        rng: np.random.Generator | None = None,
        current: ArrayLike = 0.0,
        field: ArrayLike = 0.0,
        voltage: ArrayLike | None = None,
        sot_current: ArrayLike = 0.0,
        dt: float = 1e-12,
    ) -> None:
        """Evolve under a constant drive for ``duration`` (s).

        ``field`` (T) is a scalar along the easy axis or a vector (3,) / (n, 3). With ``voltage`` (V) given,
        the junction current follows the conductance at every step (:class:`Drive` ``voltage``).
        """
        f = np.asarray(field, dtype=float)
        if f.ndim == 0:
            f = f * self._prm[:, k.P_AXIS : k.P_AXIS + 3]
        junction = {"current": Waveform(dc=current)} if voltage is None else {"voltage": Waveform(dc=voltage)}
        drive = Drive(sot_current=Waveform(dc=sot_current), field_dc=f, **junction)
        self.run(duration, dt, drive=drive, rng=rng)

    def cos_theta(self, m: ArrayLike | None = None) -> np.ndarray:
        """m·p, the cosine of the free/reference-layer angle (for ``m`` or the current state)."""
        mm = self.m if m is None else np.asarray(m, dtype=float)
        ref = self._prm[:, k.P_REF : k.P_REF + 3]
        if mm.ndim == 3:
            return np.einsum("nrk,nk->nr", mm, ref)
        return np.einsum("nk,nk->n", mm, ref)

    def resistance(self, m: ArrayLike | None = None, voltage: ArrayLike = 0.0) -> np.ndarray:
        """Junction resistance (Ω) at bias ``voltage`` (V) via the TMR model (bias-dependent)."""
        c = self.cos_theta(m)
        p = self.params
        shape = (self.n,) + (1,) * (c.ndim - 1)
        r_p = np.reshape(_column(p.r_p, self.n, "r_p"), shape)
        tmr = np.reshape(_column(p.tmr, self.n, "tmr"), shape)
        v_half = np.reshape(_column(p.v_half, self.n, "v_half"), shape)
        return tmr_resistance(r_p, tmr, c, voltage, v_half)

    def resistance_at_current(self, current: ArrayLike, m: ArrayLike | None = None) -> np.ndarray:
        """Resistance (Ω) under a junction ``current`` (A): solves V = I·R(V) by fixed-point iteration."""
        i = np.asarray(current, dtype=float)
        r = self.resistance(m)
        for _ in range(30):
            r = self.resistance(m, voltage=i * r)
        return r
