"""Spin-torque nano-oscillator (universal nonlinear auto-oscillator) of one in-plane MTJ, its injection locking
and mutual synchronisation, and the spin-torque diode (ST-FMR), from the junction's own torques.

Geometry: the free layer (Ms, volume V, damping α, easy-plane demagnetisation μ0Meff out of the plane, no in-plane
anisotropy) lies along the in-plane bias field μ0H (T, > 0); the reference layer's polarisation lies in the plane
at ``ref_angle`` β from the free layer's equilibrium. The Slonczewski damping-like torque acts as the field
a_J = ħηI/(2e Ms V); positive current pulls the free layer towards the reference (favours P), as in the macrospin.
Its component along the equilibrium, −a_J cos β, opposes the damping, so the threshold is (Slavin & Tiberkevich,
IEEE Trans. Magn. 45, 1875 (2009))

    I_th = 2e α Ms V (μ0H + μ0Meff/2) / (ħ η (−cos β)),

positive for β > π/2, negative for β < π/2 (negative currents drive it), infinite at β = π/2. The model of the
complex spin-wave amplitude c (normalised power p = |c|² = Ω/4π, Ω the solid angle of the orbit) is

    dc/dt = −i ω(p) c − Γ₊(p) c + Γ₋(p) c + ξ(t),   ω(p) = ω0 + 2π·N·p,
    Γ₊ = Γ_G (1 + Q p),  Γ₋ = Γ_G ζ (1 − p),  ζ = I / I_th,  ⟨ξ ξ*⟩ = 2 Γ₊(p) (kBT/λ) δ(t − t'),

with ω0 = γ√(μ0H(μ0H + μ0Meff)), Γ_G = αγ(μ0H + μ0Meff/2) and mode energy E = λp, λ = 2 Ms V ω0/γ (equipartition
of the elliptical mode). N and Q follow from the macrospin's conservative orbits and energy balance to first order
in p (Lindstedt expansion of the LLG orbit, checked against orbits integrated numerically), ω_H = γμ0H,
ω_M = γμ0Meff:

    2πN = −ω_M (ω_H + ω_M/4) / (ω_H + ω_M),   1 + Q = ω_M (ω_M − 4ω_H) / (2 ω0 (2ω_H + ω_M)).

Above μ0H = μ0Meff/4, 1 + Q ≤ 0: the macrospin's onset turns hysteretic, which this model cannot represent; the
derived 1 + Q is held at ≥ 0.1 there (give ``q`` to set it). The field-like torque enters the diode and the
injection drive; its static field (≈ β_FL·α(H + Meff/2)·ζ/|cos β|, a few mT) is left out of the oscillator.

Above threshold p0 = (ζ − 1)/(ζ + Q); the generation linewidth (FWHM, rad/s) is Γ₊(p0)(kBT/E(p0))(1 + ν²),
ν = 2πN / (Γ_G (Q + ζ)), while the power fluctuations relax faster than the phase diffuses, and the Gaussian
line of the frequencies the power fluctuations sweep when they do not (the crossover of Kim et al. 2008).
Below threshold the mode is a thermally driven damped oscillator, ⟨p⟩ = kBT/(λ(1 − ζ)).
The orbit is an ellipse elongated in the plane: the in-plane transverse amplitude is 2√(p(1 − p))·(1 + Meff/H)^¼,
and the junction voltage is I·R(m·p_ref) with the TMR model.

An RF current I_rf sin ωt through the junction drives the mode with the force F = (γ a_rf sin β / 4)
(H/(H + Meff))^¼ √(1 + β_FL²(H + Meff)/H) (a_rf = a_J at I_rf): the oscillator locks to it within
|ω − ω_g| ≤ F√(1 + ν²)/√p0 (Adler's equation in the form of Slavin & Tiberkevich 2009, Sec. VII). Two
oscillators coupled by K c_j in each other's equation (K = |K|e^{iφ}) synchronise for
|ω1 − ω2| ≤ 2|K| |cos φ + ν sin φ|. The spin-torque diode is the linear response of the same mode to the RF
current, under a DC bias with the damping Γ_G(1 − ζ).

Temperature (:func:`at_temperature`): parameters given at t_ref are, at T, Ms·m with Bloch's m = Ms(T)/Ms(t_ref)
and μ0Meff = μ0Ms·m − μ0Hk⊥·m^{n−1}, the perpendicular (interface) anisotropy field μ0Hk⊥ = μ0Ms − μ0Meff at t_ref
scaled as the p-MTJ's Hk (Callen–Callen n, :mod:`~mtjhw.simulators.physics.thermal_scaling`), with its TMR(T) and
R_P(T). The FMR frequency, Γ_G, N, Q, I_th (∝ Ms(H + Meff/2)) and λ follow Ms and Meff; the thermal amplitude,
hence the generation linewidth ∝ kBT/λ, follows T itself. A given ``i_th``, ``nonlinearity`` or ``q`` is held.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import quad, trapezoid

from .constants import E_CHARGE, GAMMA_E, HBAR, KB, MU0
from .thermal_scaling import ThermalScaling
from .tmr import resistance as tmr_resistance

#: lowest 1 + Q used when the derived one is not positive (hysteretic onset above μ0H = μ0Meff/4)
_MIN_ONSET_SLOPE = 0.1
#: Heun steps per block of pre-drawn thermal normals
_CHUNK = 8192


@dataclass
class STNOParams:
    """Parameters of the oscillator (the bench file's names; SI units, fields μ0H in T). ``i_th``, ``nonlinearity``
    and ``q`` left at None follow from the torques, Meff and the field (module docstring)."""

    r_p: float = 600.0  #: parallel resistance, Ω
    tmr: float = 1.0  #: zero-bias TMR ratio
    v_half: float = 0.5  #: V
    alpha: float = 0.01  #: Gilbert damping
    mu0_meff: float = 1.0  #: effective magnetisation, T
    dh0: float = 1.0e-3  #: inhomogeneous linewidth (half width in field), T
    i_th: float | None = None  #: threshold current, A (None: from η, Ms, V, α, field, Meff, ref_angle)
    nonlinearity: float | None = None  #: frequency shift per unit normalised power N, Hz (None: from Meff, H)
    q: float | None = None  #: nonlinear damping coefficient Q (None: from Meff, H)
    temperature: float = 300.0  #: K
    ms: float = 1.1e6  #: saturation magnetisation, A/m
    volume: float = 1.2e-23  #: free-layer volume, m³ (100 nm pillar, 1.5 nm)
    ref_angle: float = 0.6 * math.pi  #: reference layer vs free-layer equilibrium, rad (> π/2: I > 0 drives)
    eta: float = 0.5  #: STT efficiency η
    stt_fl_ratio: float = 0.3  #: field-like / damping-like torque ratio β_FL

    def __post_init__(self):
        for name in ("r_p", "alpha", "mu0_meff", "ms", "volume", "v_half"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("tmr", "dh0", "temperature", "eta"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")
        if self.i_th is not None and not self.i_th > 0:
            raise ValueError(f"i_th must be > 0 A (or None: from the torques), got {self.i_th}")
        if self.q is not None and not self.q > -1:
            raise ValueError(f"q must be > -1 (or None: from Meff and the field), got {self.q}")


def at_temperature(params: STNOParams, scaling: ThermalScaling, temperature: float) -> STNOParams:
    """``params`` (those at ``scaling.t_ref``) at ``temperature`` (K): Ms, μ0Meff, TMR and R_P as the module
    docstring says; ``params`` themselves at t_ref. ValueError where Meff would no longer be positive."""
    temperature = scaling.check(temperature)
    if temperature == scaling.t_ref:
        return replace(params, temperature=temperature)
    m = scaling.magnetisation(temperature)
    mu0_ms = MU0 * params.ms
    meff = mu0_ms * m - (mu0_ms - params.mu0_meff) * scaling.anisotropy_field(temperature)
    if not meff > 0:
        raise ValueError(f"at {temperature:g} K the perpendicular anisotropy overcomes the demagnetisation "
                         f"(μ0Meff {meff:.3g} T): the free layer is no longer in-plane")
    return replace(params, ms=params.ms * m, mu0_meff=meff, r_p=scaling.r_p(params.r_p, temperature),
                   tmr=scaling.tmr(params.tmr, temperature), temperature=temperature)


@dataclass
class STNOTrace:
    """Time-domain output: times ``t`` (s), amplitude ``c`` (n, n_t) and junction voltage (V)."""

    t: np.ndarray
    c: np.ndarray
    voltage: np.ndarray

    @property
    def power(self) -> np.ndarray:
        return np.abs(self.c) ** 2


def _check_field(field: ArrayLike) -> np.ndarray:
    h = np.asarray(field, dtype=float)
    if np.any(~(h > 0)):
        raise ValueError("field (in-plane bias μ0H along the free layer) must be > 0 T")
    return h


def rf_current(rf_power: ArrayLike, resistance: float, source_impedance: float = 50.0) -> np.ndarray:
    """Amplitude (A) of the RF current a source of available power ``rf_power`` (W) and ``source_impedance`` (Ω)
    drives through a junction of ``resistance`` (Ω)."""
    prf = np.asarray(rf_power, dtype=float)
    if np.any(prf < 0):
        raise ValueError("rf_power must be ≥ 0 W")
    return 2 * np.sqrt(2 * prf * source_impedance) / (source_impedance + resistance)


class STNO:
    """Spin-torque nano-oscillator and spin-torque diode of one in-plane MTJ."""

    def __init__(self, params: STNOParams | None = None):
        self.params = params if params is not None else STNOParams()
        # spectrum analysers ask for the same line often
        self._linewidths: dict[tuple[float, float], float] = {}
        self._line_powers: dict[tuple[float, float], float] = {}

    # linear properties -------------------------------------------------------------------------------
    def fmr_frequency(self, field: ArrayLike) -> np.ndarray:
        """In-plane Kittel frequency f = (γ/2π)√(μ0H(μ0H + μ0Meff)), Hz."""
        h = _check_field(field)
        return GAMMA_E / (2 * math.pi) * np.sqrt(h * (h + self.params.mu0_meff))

    def damping_rate(self, field: ArrayLike) -> np.ndarray:
        """Linear damping Γ_G = αγ(μ0H + μ0Meff/2), rad/s (half width of the FMR line without dh0)."""
        h = _check_field(field)
        return self.params.alpha * GAMMA_E * (h + self.params.mu0_meff / 2)

    def energy_scale(self, field: ArrayLike) -> np.ndarray:
        """λ = 2 Ms V ω0/γ (J): mode energy per unit normalised power."""
        return 2 * self.params.ms * self.params.volume * 2 * math.pi * self.fmr_frequency(field) / GAMMA_E

    def torque_per_ampere(self) -> float:
        """Damping-like spin-torque field per ampere, a_J/I = ħη/(2e Ms V), T/A."""
        p = self.params
        return HBAR * p.eta / (2 * E_CHARGE * p.ms * p.volume)

    # coefficients of the oscillator --------------------------------------------------------------------
    def threshold_current(self, field: ArrayLike | None = None) -> np.ndarray:
        """I_th (A) at ``field`` (T): ``i_th`` when given, else 2eαMsV(μ0H + μ0Meff/2)/(ħη(−cos β)) (±inf at
        β = π/2)."""
        p = self.params
        if p.i_th is not None:
            return np.asarray(p.i_th if field is None else np.full(np.shape(field), p.i_th), dtype=float)
        drive = -math.cos(p.ref_angle) * self.torque_per_ampere()  # anti-damping field per ampere, T/A
        with np.errstate(divide="ignore"):
            return self.damping_rate(self._need_field(field, "i_th")) / (GAMMA_E * drive)

    def supercriticality(self, current: ArrayLike, field: ArrayLike | None = None) -> np.ndarray:
        """ζ = I/I_th."""
        return np.asarray(current, dtype=float) / self.threshold_current(field)

    def nonlinear_shift(self, field: ArrayLike | None = None) -> np.ndarray:
        """N (Hz per unit p): ``nonlinearity`` when given, else −(γ/2π)μ0Meff(μ0H + μ0Meff/4)/(μ0H + μ0Meff)."""
        p = self.params
        if p.nonlinearity is not None:
            return np.asarray(p.nonlinearity, dtype=float)
        h, m = self._need_field(field, "nonlinearity"), p.mu0_meff
        return -GAMMA_E / (2 * math.pi) * m * (h + m / 4) / (h + m)

    def nonlinear_damping(self, field: ArrayLike | None = None) -> np.ndarray:
        """Q: ``q`` when given, else the macrospin's 1 + Q = Meff(Meff − 4H)/(2√(H(H + Meff))(2H + Meff)) − 1,
        with 1 + Q held at ≥ 0.1 (hysteretic onset above H = Meff/4)."""
        p = self.params
        if p.q is not None:
            return np.asarray(p.q, dtype=float)
        h, m = self._need_field(field, "q"), p.mu0_meff
        slope = m * (m - 4 * h) / (2 * np.sqrt(h * (h + m)) * (2 * h + m))
        return np.maximum(slope, _MIN_ONSET_SLOPE) - 1

    def _need_field(self, field: ArrayLike | None, name: str) -> np.ndarray:
        if field is None:
            raise ValueError(f"field (T) is needed: {name} follows from the torques at the field (or give {name})")
        return _check_field(field)

    # auto-oscillation ----------------------------------------------------------------------------------
    def power(self, current: ArrayLike, field: ArrayLike | None = None) -> np.ndarray:
        """Deterministic normalised power p0 = (ζ − 1)/(ζ + Q) above threshold, 0 below."""
        z = self.supercriticality(current, field)
        q = self.nonlinear_damping(field)
        return np.where(z > 1, (z - 1) / (z + q), 0.0)

    def mean_power(self, current: float, field: float) -> float:
        """Thermal mean of p from the stationary distribution P(p) ∝ exp(−(λ/kBT)∫(1 − Γ₋/Γ₊)dp).

        Smooth through the threshold; → p0 far above it and → kBT/(λ(1 − ζ)) far below.
        """
        if self.params.temperature == 0:
            return float(self.power(current, field))
        return self._stationary_mean(lambda x: x, current, field)

    def _stationary_mean(self, func, current: float, field: float) -> float:
        """⟨func(p)⟩ over the stationary distribution of the power (T > 0)."""
        z = float(self.supercriticality(current, field))
        q = float(self.nonlinear_damping(field))
        beta = float(self.energy_scale(field)) / (KB * self.params.temperature)

        def log_weight(x):
            # −(λ/kBT) ∫0^x (1 − ζ(1−u)/(1+Qu)) du, in closed form
            if abs(q) > 1e-9:
                integral = x - z * ((1 + q) * np.log1p(q * x) / q**2 - x / q)
            else:
                integral = x - z * (x - x * x / 2)
            return -beta * integral

        grid = np.linspace(0.0, 1.0, 4001)
        lw = log_weight(grid)
        ref, peak = float(np.max(lw)), float(grid[np.argmax(lw)])
        pts = [peak] if 0 < peak < 1 else None

        def weight(x: float) -> float:
            return math.exp(log_weight(x) - ref)

        norm = quad(weight, 0, 1, points=pts, limit=200)[0]
        return quad(lambda x: func(x) * weight(x), 0, 1, points=pts, limit=200)[0] / norm

    def frequency(self, current: ArrayLike, field: ArrayLike) -> np.ndarray:
        """Generation frequency f0 + N·p0 (Hz); the FMR frequency below threshold."""
        return self.fmr_frequency(field) + self.nonlinear_shift(field) * self.power(current, field)

    def nu(self, current: ArrayLike, field: ArrayLike) -> np.ndarray:
        """Dimensionless nonlinear frequency shift ν = 2πN / (Γ_G (Q + ζ))."""
        z = self.supercriticality(current, field)
        return 2 * math.pi * self.nonlinear_shift(field) / (self.damping_rate(field) * (self.nonlinear_damping(field)
                                                                                        + z))

    def linewidth(self, current: float, field: float) -> float:
        """Spectral FWHM (Hz).

        Above threshold: the Kim–Tiberkevich–Slavin generation line (:func:`generation_linewidth`) at the
        thermal mean power p̄ (finite at threshold), Δω0 = Γ₊(p̄)kBT/(λp̄), Γ_p = Γ_G(Q + ζ)p̄. At and below
        threshold: the damped-oscillator width 2Γ_G(1 − ζ) plus the inhomogeneous width 2·dω0/dH·dh0. The model
        is least accurate within a few per cent of the threshold, where the two regimes meet.
        """
        key = (float(current), float(field))
        if key not in self._linewidths:
            self._linewidths[key] = self._linewidth(*key)
        return self._linewidths[key]

    def _linewidth(self, current: float, field: float) -> float:
        z = float(self.supercriticality(current, field))
        g = float(self.damping_rate(field))
        if z <= 1:
            return (2 * g * (1 - z) + 2 * float(self._inhomogeneous_rate(field))) / (2 * math.pi)
        if self.params.temperature == 0:
            return 0.0  # a coherent line
        pm = self.mean_power(current, field)
        q = float(self.nonlinear_damping(field))
        d0 = g * (1 + q * pm) * KB * self.params.temperature / (2 * float(self.energy_scale(field)) * pm)
        return generation_linewidth(d0, float(self.nu(current, field)), g * (q + z) * pm) / (2 * math.pi)

    def _inhomogeneous_rate(self, field: ArrayLike) -> np.ndarray:
        """dω0/dH · dh0, rad/s."""
        h = _check_field(field)
        meff = self.params.mu0_meff
        return GAMMA_E * (2 * h + meff) / (2 * np.sqrt(h * (h + meff))) * self.params.dh0

    # injection locking --------------------------------------------------------------------------------
    def injection_force(self, field: float, rf_amplitude: float) -> float:
        """Force F (1/s) on c of an RF junction current of amplitude ``rf_amplitude`` (A): damping-like and
        field-like torques of the reference's transverse component, projected on the elliptical mode."""
        p = self.params
        h, m = float(_check_field(field)), p.mu0_meff
        a_rf = self.torque_per_ampere() * abs(rf_amplitude)
        ellipse = (h / (h + m)) ** 0.25 * math.sqrt(1 + p.stt_fl_ratio**2 * (h + m) / h)
        return GAMMA_E * a_rf * abs(math.sin(p.ref_angle)) / 4 * ellipse

    def locking_range(self, current: float, field: float, rf_power: float, source_impedance: float = 50.0) -> float:
        """Half width (Hz) of the band of source frequencies around the generation frequency that lock the
        oscillator (Adler): F√(1 + ν²)/(2π√p0); 0 below threshold."""
        p0 = float(self.power(current, field))
        if p0 <= 0:
            return 0.0
        i_rf = float(rf_current(rf_power, float(self.resistance(current)), source_impedance))
        force = self.injection_force(field, i_rf)
        return force * math.sqrt(1 + float(self.nu(current, field)) ** 2) / math.sqrt(p0) / (2 * math.pi)

    def locked_frequency(self, current: float, field: float, rf_frequency: float, rf_power: float,
                         source_impedance: float = 50.0) -> float:
        """Mean oscillation frequency (Hz) beside a source at ``rf_frequency``: the source's inside the locking
        range, pulled towards it outside, f_rf − sign(Δ)√(Δ² − Ω²) (Δ = f_rf − f_g, Ω the locking range)."""
        detuning = rf_frequency - float(self.frequency(current, field))
        half = self.locking_range(current, field, rf_power, source_impedance)
        if abs(detuning) <= half:
            return float(rf_frequency)
        return float(rf_frequency - math.copysign(math.sqrt(detuning**2 - half**2), detuning))

    # electrical output ---------------------------------------------------------------------------------
    def _dr_dcos(self, current: float) -> float:
        """dR/d(m·p_ref) (Ω) at the equilibrium under a fixed ``current`` (A): a current-biased junction."""
        c0 = math.cos(self.params.ref_angle)
        lo, hi = max(c0 - 1e-4, -1.0), min(c0 + 1e-4, 1.0)
        return float((self._resistance_at(hi, current) - self._resistance_at(lo, current)) / (hi - lo))

    def _resistance_at(self, cos_theta: ArrayLike, current: ArrayLike) -> np.ndarray:
        """R (Ω) at ``cos_theta`` under ``current`` (A): V = I·R(V) solved by fixed-point iteration."""
        p = self.params
        i = np.asarray(current, dtype=float)
        r = tmr_resistance(p.r_p, p.tmr, cos_theta)
        for _ in range(30):
            r = tmr_resistance(p.r_p, p.tmr, cos_theta, i * r, p.v_half)
        return r

    def resistance(self, current: ArrayLike = 0.0) -> np.ndarray:
        """DC resistance (Ω) at the equilibrium angle under ``current`` (A), bias-dependent TMR."""
        return self._resistance_at(math.cos(self.params.ref_angle), current)

    def transverse_amplitude(self, power: ArrayLike, field: ArrayLike) -> np.ndarray:
        """In-plane amplitude of the precession across the equilibrium, 2√(p(1 − p))·(1 + Meff/H)^¼ (≤ 1)."""
        pw = np.clip(np.asarray(power, dtype=float), 0.0, 1.0)
        h = _check_field(field)
        return np.minimum(2 * np.sqrt(pw * (1 - pw)) * (1 + self.params.mu0_meff / h) ** 0.25, 1.0)

    def voltage_psd(self, frequencies: ArrayLike, current: float, field: float, rf_frequency: float | None = None,
                    rf_power: float = 0.0, source_impedance: float = 50.0) -> np.ndarray:
        """One-sided PSD of the junction's AC voltage (V²/Hz): a Lorentzian at :meth:`frequency` whose area
        is the :meth:`line_power` of the fundamental; with a source at ``rf_frequency`` (Hz) of available
        ``rf_power`` (W) the line sits where :meth:`line_under_drive` puts it."""
        f = np.asarray(frequencies, dtype=float)
        amp2 = self.line_power(current, field)
        if rf_frequency is None:
            fg, fwhm = float(self.frequency(current, field)), self.linewidth(current, field)
        else:
            fg, fwhm = self.line_under_drive(current, field, rf_frequency, rf_power, source_impedance)
        if not fwhm > 0:
            raise ValueError("the PSD needs a finite linewidth: temperature > 0 (or dh0 > 0 below threshold)")
        lorentz = (fwhm / (2 * math.pi)) / ((f - fg) ** 2 + (fwhm / 2) ** 2)
        return amp2 * lorentz

    def line_power(self, current: float, field: float) -> float:
        """Mean square (V²) of the junction voltage's fundamental: ½|V₁(p)|² (V₁ the first Fourier coefficient
        of I·R(m·p_ref) over the precession phase) averaged over the power's thermal distribution."""
        key = (float(current), float(field))
        if key not in self._line_powers:
            def fundamental2(pw: float) -> float:
                phase = np.linspace(0, 2 * np.pi, 64, endpoint=False)
                v = self.junction_voltage(math.sqrt(pw) * np.exp(1j * phase), current, field)
                return 0.5 * abs(2 * np.mean(v * np.cos(phase))) ** 2

            self._line_powers[key] = (self._stationary_mean(fundamental2, current, field) if self.params.temperature > 0
                                      else fundamental2(float(self.power(current, field))))
        return self._line_powers[key]

    def line_under_drive(self, current: float, field: float, rf_frequency: float, rf_power: float,
                         source_impedance: float = 50.0) -> tuple[float, float]:
        """(centre Hz, FWHM Hz) of the emission line beside a source: pulled, with its free width, outside the
        locking range Ω; inside, at the source's frequency with the free width × D/(D + κ), where the phase
        diffusion D = π·FWHM is held by Adler's stiffness κ = 2π√(Ω² − Δ²) (the free line at the edge of the
        range, the source's coherence deep within it)."""
        fwhm = self.linewidth(current, field)
        detuning = rf_frequency - float(self.frequency(current, field))
        half = self.locking_range(current, field, rf_power, source_impedance)
        if abs(detuning) > half:
            return self.locked_frequency(current, field, rf_frequency, rf_power, source_impedance), fwhm
        diffusion, stiffness = math.pi * fwhm, 2 * math.pi * math.sqrt(half**2 - detuning**2)
        return float(rf_frequency), fwhm * diffusion / (diffusion + stiffness)

    def psd(self, frequencies: ArrayLike, current: float, field: float, load_ohm: float = 50.0,
            **drive: float) -> np.ndarray:
        """Power spectral density delivered into a ``load_ohm`` load (W/Hz), as a spectrum analyser sees;
        ``drive``: ``rf_frequency``, ``rf_power`` of a source the oscillator may lock to (:meth:`voltage_psd`)."""
        r0 = float(self.resistance(current))
        return self.voltage_psd(frequencies, current, field, **drive) * load_ohm / (r0 + load_ohm) ** 2

    def junction_voltage(self, c: np.ndarray, current: float, field: float) -> np.ndarray:
        """Junction voltage (V) for lab-frame amplitudes ``c``: m·p_ref = cos β cos ψ + sin β A(p) cos φ."""
        p = self.params
        pw = np.clip(np.abs(c) ** 2, 0.0, 1.0)
        b = p.ref_angle
        cos_theta = math.cos(b) * (1 - 2 * pw) + math.sin(b) * self.transverse_amplitude(pw, field) * np.cos(
            np.angle(c))
        return current * self._resistance_at(np.clip(cos_theta, -1, 1), current)

    def simulate(self, duration: float, dt: float, current: float, field: float, rng: np.random.Generator,
                 n: int = 1, record_every: int = 1, rf_amplitude: float = 0.0, rf_frequency: float | None = None
                 ) -> STNOTrace:
        """Integrate the stochastic oscillator equation (Heun, Stratonovich) for ``n`` independent devices, driven
        by an RF junction current of ``rf_amplitude`` (A) at ``rf_frequency`` (Hz) when given.

        The fast carrier is removed analytically (rotating frame), so ``dt`` only needs to resolve the
        slow dynamics (≪ 1/Γ_G, ≪ 1/(2πN) and ≪ 1/detuning); the voltage is rebuilt with the carrier.
        """
        return simulate_network([self] * n, [current] * n, field, np.zeros((n, n)), duration, dt, rng,
                                record_every, rf_amplitude, rf_frequency)

    def power_response(self, currents: ArrayLike, dt: float, field: float, rng: np.random.Generator,
                       state: tuple[float, float] | None = None) -> tuple[np.ndarray, tuple[float, float]]:
        """Normalised power p(t) after each of ``len(currents)`` steps of ``dt`` (s) with the junction current
        ``currents[k]`` (A) during step k, thermal noise included.

        Pass the returned state (the oscillator's amplitude) back in to continue the same trajectory; without
        it the oscillator starts in equilibrium at the first current. Relaxation toward p0 takes a few
        1/(2Γ_G(ζ + Q)), which sets how fast an input can modulate the output (reservoir memory).
        """
        from .stno_kernel import power_trace

        if not dt > 0:
            raise ValueError(f"dt must be > 0 s, got {dt}")
        zeta = np.ascontiguousarray(self.supercriticality(np.asarray(currents, dtype=float), field))
        kt_over_lam = KB * self.params.temperature / float(self.energy_scale(field))
        if state is None:
            state = (math.sqrt(max(float(self.power(currents[0], field)), kt_over_lam)), 0.0)
        normals = rng.standard_normal((zeta.size, 2))
        trace, re, im = power_trace(zeta, dt, float(self.damping_rate(field)), float(self.nonlinear_damping(field)),
                                    kt_over_lam, state[0], state[1], normals)
        return trace, (re, im)

    # spin-torque diode -----------------------------------------------------------------------------------
    def diode_voltage(self, frequencies: ArrayLike, field: ArrayLike, rf_power: ArrayLike,
                      source_impedance: float = 50.0, current: float = 0.0) -> np.ndarray:
        """Rectified DC voltage (V) of the spin-torque diode (ST-FMR) vs RF frequency (Hz), field (T) and
        available RF power (W) of a ``source_impedance`` source, under a DC bias ``current`` (A) below threshold.

        Linear response of the macrospin near resonance (the damping-like torque acts on the free layer
        as an out-of-plane field a_J·sin β, the field-like one as an in-plane transverse field β a_J·sin β):
        V_dc = ½ I_rf² sin²β (dR/dcos θ) (γ a_J / 2σ) [S(f) − β Ω_⊥ A(f)] with S = 1/(1 + x²),
        A = x/(1 + x²), x = (ω − ω0)/σ, σ = Γ_G(1 − ζ) + dω0/dH·dh0 and Ω_⊥ = γ(μ0H + μ0Meff)/ω0.
        """
        s_amp, a_amp, f0, hwhm = self.diode_lineshape(field, rf_power, source_impedance, current)
        x = (np.asarray(frequencies, dtype=float) - f0) / hwhm
        return s_amp / (1 + x**2) + a_amp * x / (1 + x**2)

    def diode_lineshape(self, field: ArrayLike, rf_power: ArrayLike, source_impedance: float = 50.0,
                        current: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(symmetric amplitude V, antisymmetric amplitude V, resonance frequency Hz, half width Hz) under a DC
        bias ``current`` (A): the spin torque scales the damping by 1 − ζ."""
        p = self.params
        h = _check_field(field)
        zeta = self.supercriticality(current, h)
        if np.any(zeta >= 1):
            raise ValueError(f"the diode's linear response holds below the threshold: bias {current:g} A is "
                             f"{float(np.max(zeta)):.3g} × I_th")
        i_rf = rf_current(rf_power, float(self.resistance(current)), source_impedance)
        w0 = 2 * math.pi * self.fmr_frequency(h)
        sigma = self.damping_rate(h) * (1 - zeta) + self._inhomogeneous_rate(h)
        omega_perp = GAMMA_E * (h + p.mu0_meff) / w0
        aj = self.torque_per_ampere()
        pref = 0.5 * i_rf**2 * math.sin(p.ref_angle) ** 2 * self._dr_dcos(current) * GAMMA_E * aj / (2 * sigma)
        return pref, -pref * p.stt_fl_ratio * omega_perp, w0 / (2 * math.pi), sigma / (2 * math.pi)


def generation_linewidth(d0: float, nu: float, gamma_p: float) -> float:
    """FWHM (rad/s) of the line of an auto-oscillator of phase diffusion ``d0`` (rad²/s, the half linear width),
    nonlinear frequency shift ``nu`` and power relaxation rate ``gamma_p`` (1/s): the spectrum
    ∫exp(−Δφ²(t)/2)cos ωt dt with the phase variance Δφ²(t) = 2d0[(1 + ν²)|t| − ν²(1 − e^{−2Γ_p|t|})/(2Γ_p)]
    (Kim, Tiberkevich & Slavin, PRL 100, 017207 (2008)): 2d0(1 + ν²) (Lorentzian) when d0ν² ≪ Γ_p,
    4|ν|√(ln 2·d0Γ_p) (Gaussian) when d0ν² ≫ Γ_p."""
    if not (d0 > 0 and gamma_p > 0):
        raise ValueError(f"need d0 > 0 and gamma_p > 0, got {d0}, {gamma_p}")

    def variance(t: np.ndarray) -> np.ndarray:
        return 2 * d0 * ((1 + nu**2) * t + nu**2 * np.expm1(-2 * gamma_p * t) / (2 * gamma_p))

    t_max = 1 / (d0 * (1 + nu**2))
    while float(variance(np.array(t_max))) < 80:  # exp(−40): the correlation has died out
        t_max *= 2
    t = np.linspace(0.0, t_max, 20001)
    weight = np.exp(-variance(t) / 2)

    def spectrum(omega: float) -> float:
        return float(trapezoid(weight * np.cos(omega * t), t))

    half, lo, hi = spectrum(0.0) / 2, 0.0, 10 / t_max
    while spectrum(hi) > half:
        lo, hi = hi, 2 * hi
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if spectrum(mid) > half else (lo, mid)
    return lo + hi


def mutual_locking_range(nu: float, coupling: complex) -> float:
    """Largest frequency mismatch (Hz) |f1 − f2| that two oscillators of nonlinearity ``nu`` coupled by
    ``coupling`` K (rad/s, K c_j in each one's equation) synchronise across: 2|K||cos φ + ν sin φ|/2π."""
    phase = np.angle(coupling)
    return float(2 * abs(coupling) * abs(math.cos(phase) + nu * math.sin(phase)) / (2 * math.pi))


def simulate_network(oscillators: Sequence[STNO], currents: Sequence[float], field: ArrayLike,
                     coupling: ArrayLike, duration: float, dt: float, rng: np.random.Generator,
                     record_every: int = 1, rf_amplitude: ArrayLike = 0.0, rf_frequency: float | None = None
                     ) -> STNOTrace:
    """Coupled oscillators: oscillator i at ``currents[i]`` (A) and ``field`` (T, one or one each) obeys the
    model equation plus Σ_j K_ij c_j (``coupling`` K, (n, n) complex rad/s, zero diagonal) and, when
    ``rf_frequency`` (Hz) is given, the force of an RF junction current of ``rf_amplitude`` (A, one or one
    each). Returns lab-frame amplitudes and junction voltages (n, n_t); ``dt`` must resolve the slow dynamics
    and the spread of frequencies around the rotating frame (the source's, or the mean generation frequency)."""
    from .stno_kernel import amplitude_run

    n = len(oscillators)
    k = np.asarray(coupling, dtype=complex)
    if n < 1 or len(currents) != n or k.shape != (n, n) or np.any(np.diag(k) != 0):
        raise ValueError("need one current per oscillator and an (n, n) coupling with a zero diagonal")
    if not (dt > 0 and duration > 0 and record_every >= 1):
        raise ValueError("need dt > 0, duration > 0 and record_every ≥ 1")
    fields = np.broadcast_to(_check_field(field), (n,))
    w0 = np.array([2 * math.pi * float(o.fmr_frequency(h)) for o, h in zip(oscillators, fields, strict=True)])
    w_gen = [2 * math.pi * float(o.frequency(i, h)) for o, i, h in zip(oscillators, currents, fields, strict=True)]
    w_ref = 2 * math.pi * rf_frequency if rf_frequency is not None else float(np.mean(w_gen))
    force = np.zeros(n, dtype=complex)
    if rf_frequency is not None:
        amps = np.broadcast_to(np.asarray(rf_amplitude, dtype=float), (n,))
        force[:] = [o.injection_force(h, a) for o, h, a in zip(oscillators, fields, amps, strict=True)]
    coefs = {name: np.empty(n) for name in ("shift", "gamma", "zeta", "q", "kt")}
    for i, (o, i_dc, h) in enumerate(zip(oscillators, currents, fields, strict=True)):
        coefs["shift"][i] = 2 * math.pi * float(o.nonlinear_shift(h))
        coefs["gamma"][i] = float(o.damping_rate(h))
        coefs["zeta"][i] = float(o.supercriticality(i_dc, h))
        coefs["q"][i] = float(o.nonlinear_damping(h))
        coefs["kt"][i] = KB * o.params.temperature / float(o.energy_scale(h))
    p0 = [float(o.power(i_dc, h)) for o, i_dc, h in zip(oscillators, currents, fields, strict=True)]
    c = np.sqrt(np.maximum(p0, coefs["kt"])).astype(complex)
    n_steps = int(round(duration / dt))
    rows = np.empty((n_steps // record_every, n), dtype=complex)
    done = 0
    for start in range(0, n_steps - n_steps % record_every, _CHUNK * record_every):
        steps = min(_CHUNK * record_every, n_steps - n_steps % record_every - start)
        out = rows[done:done + steps // record_every]
        done += amplitude_run(c, w0 - w_ref, coefs["shift"], coefs["gamma"], coefs["zeta"], coefs["q"],
                              coefs["kt"], k, force, dt, rng.standard_normal((steps, n, 2)), record_every, out)
    t = dt * record_every * np.arange(1, rows.shape[0] + 1)
    lab = (rows * np.exp(-1j * w_ref * t)[:, None]).T
    voltage = np.array([o.junction_voltage(lab[i], currents[i], fields[i]) for i, o in enumerate(oscillators)])
    return STNOTrace(t=t, c=lab, voltage=voltage)
