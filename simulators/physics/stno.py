"""Spin-torque nano-oscillator (universal nonlinear auto-oscillator) and spin-torque diode (ST-FMR).

In-plane MTJ, free layer along an in-plane bias field μ0H (T, > 0). Slavin–Tiberkevich model for the complex
spin-wave amplitude c (power p = |c|²):

    dc/dt = −i ω(p) c − Γ₊(p) c + Γ₋(p) c + ξ(t),   ω(p) = ω0 + 2π·N·p,
    Γ₊ = Γ_G (1 + Q p),  Γ₋ = Γ_G ζ (1 − p),  ζ = I / I_th,  ⟨ξ ξ*⟩ = 2 Γ₊(p) (kBT/λ) δ(t − t'),

with ω0 the in-plane Kittel frequency 2π(γ/2π)√(μ0H(μ0H + μ0Meff)), Γ_G = αγ(μ0H + μ0Meff/2) and oscillator
energy E = λp, λ = Ms V ω0/γ. Above threshold p0 = (ζ − 1)/(ζ + Q); the generation linewidth (FWHM, rad/s)
is Γ₊(p0)(kBT/E(p0))(1 + ν²), ν = 2πN / (Γ_G (Q + ζ)). Below threshold the mode is a thermally driven
damped oscillator with ⟨p⟩ = kBT / (λ(1 − ζ)).

The free layer precesses on a cone of half-angle ψ, cos ψ = 1 − 2p, around its equilibrium; the reference
layer makes an angle ``ref_angle`` with that axis, so m·p_ref = cos β cos ψ + sin β sin ψ cos φ and the
junction voltage is I·R(m·p_ref) with the TMR model.

The spin-torque diode is the linear response of the same magnet to an RF current: the damping-like torque
(field a_J per ampere) gives a symmetric Lorentzian, the field-like torque (β a_J) an antisymmetric one; the
formula is checked against the macrospin sLLGS engine driven by the same RF current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import quad

from .constants import E_CHARGE, GAMMA_E, HBAR, KB
from .tmr import resistance as tmr_resistance


@dataclass
class STNOParams:
    """Parameters of the oscillator (DESIGN.md §3 names; SI units, fields μ0H in T)."""

    r_p: float = 600.0  #: parallel resistance, Ω
    tmr: float = 1.0  #: zero-bias TMR ratio
    v_half: float = 0.5  #: V
    alpha: float = 0.01  #: Gilbert damping
    mu0_meff: float = 1.0  #: effective magnetisation, T
    dh0: float = 1.0e-3  #: inhomogeneous linewidth (half width in field), T
    i_th: float = 1.0e-3  #: threshold current of auto-oscillation, A
    nonlinearity: float = -3.0e9  #: frequency shift per unit normalised power N, Hz
    q: float = 1.0  #: nonlinear damping coefficient Q
    temperature: float = 300.0  #: K
    ms: float = 1.1e6  #: saturation magnetisation, A/m
    volume: float = 1.57e-23  #: free-layer volume, m³
    ref_angle: float = math.pi / 2  #: angle between free-layer equilibrium and reference layer, rad
    eta: float = 0.5  #: STT efficiency (for the diode torques)
    stt_fl_ratio: float = 0.3  #: field-like / damping-like torque ratio β (diode)

    def __post_init__(self):
        for name in ("r_p", "alpha", "mu0_meff", "i_th", "ms", "volume", "v_half"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("tmr", "dh0", "q", "temperature", "eta"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {getattr(self, name)}")


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
    if np.any(h <= 0):
        raise ValueError("field (in-plane bias μ0H along the easy axis) must be > 0 T")
    return h


class STNO:
    """Spin-torque nano-oscillator and spin-torque diode of one in-plane MTJ."""

    def __init__(self, params: STNOParams | None = None):
        self.params = params if params is not None else STNOParams()

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
        """λ = Ms V ω0/γ (J): oscillator energy per unit normalised power."""
        return self.params.ms * self.params.volume * 2 * math.pi * self.fmr_frequency(field) / GAMMA_E

    # auto-oscillation ----------------------------------------------------------------------------------
    def power(self, current: ArrayLike) -> np.ndarray:
        """Deterministic normalised power p0 = (ζ − 1)/(ζ + Q) above threshold, 0 below."""
        z = np.asarray(current, dtype=float) / self.params.i_th
        return np.where(z > 1, (z - 1) / (z + self.params.q), 0.0)

    def mean_power(self, current: float, field: float) -> float:
        """Thermal mean of p from the stationary distribution P(p) ∝ exp(−(λ/kBT)∫(1 − Γ₋/Γ₊)dp).

        Smooth through the threshold; → p0 far above it and → kBT/(λ(1 − ζ)) far below.
        """
        p = self.params
        z = current / p.i_th
        if p.temperature == 0:
            return float(self.power(current))
        beta = float(self.energy_scale(field)) / (KB * p.temperature)

        def log_weight(x):
            # −(λ/kBT) ∫0^x (1 − ζ(1−u)/(1+Qu)) du, in closed form
            if p.q > 0:
                integral = x - z * ((1 + p.q) * np.log1p(p.q * x) / p.q**2 - x / p.q)
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
        return quad(lambda x: x * weight(x), 0, 1, points=pts, limit=200)[0] / norm

    def frequency(self, current: ArrayLike, field: ArrayLike) -> np.ndarray:
        """Generation frequency f0 + N·p0 (Hz); the FMR frequency below threshold."""
        return self.fmr_frequency(field) + self.params.nonlinearity * self.power(current)

    def nu(self, current: ArrayLike, field: ArrayLike) -> np.ndarray:
        """Dimensionless nonlinear frequency shift ν = 2πN / (Γ_G (Q + ζ))."""
        z = np.asarray(current, dtype=float) / self.params.i_th
        return 2 * math.pi * self.params.nonlinearity / (self.damping_rate(field) * (self.params.q + z))

    def linewidth(self, current: float, field: float) -> float:
        """Spectral FWHM (Hz).

        Above threshold: the Kim–Tiberkevich–Slavin generation linewidth Γ₊(p̄)(kBT/λp̄)(1 + ν²) at the
        thermal mean power p̄ (finite at threshold). At and below threshold: the damped-oscillator width
        2Γ_G(1 − ζ) plus the inhomogeneous width 2·dω0/dH·dh0. The model is least accurate within a few
        per cent of the threshold, where the two regimes meet.
        """
        p = self.params
        z = current / p.i_th
        g = float(self.damping_rate(field))
        if z <= 1:
            return (2 * g * (1 - z) + 2 * float(self._inhomogeneous_rate(field))) / (2 * math.pi)
        pm = self.mean_power(current, field)
        kt_over_e = KB * p.temperature / (float(self.energy_scale(field)) * pm)
        return g * (1 + p.q * pm) * kt_over_e * (1 + float(self.nu(current, field)) ** 2) / (2 * math.pi)

    def _inhomogeneous_rate(self, field: ArrayLike) -> np.ndarray:
        """dω0/dH · dh0, rad/s."""
        h = _check_field(field)
        meff = self.params.mu0_meff
        return GAMMA_E * (2 * h + meff) / (2 * np.sqrt(h * (h + meff))) * self.params.dh0

    # electrical output ---------------------------------------------------------------------------------
    def _dr_dcos(self, current: float) -> float:
        p = self.params
        c0 = math.cos(p.ref_angle)
        r0 = float(self.resistance(current))
        v = current * r0
        eps = 1e-4
        r_hi = tmr_resistance(p.r_p, p.tmr, min(c0 + eps, 1.0), v, p.v_half)
        r_lo = tmr_resistance(p.r_p, p.tmr, max(c0 - eps, -1.0), v, p.v_half)
        return float((r_hi - r_lo) / (min(c0 + eps, 1.0) - max(c0 - eps, -1.0)))

    def resistance(self, current: ArrayLike = 0.0) -> np.ndarray:
        """DC resistance (Ω) at the equilibrium angle under ``current`` (A), bias-dependent TMR."""
        p = self.params
        c0 = math.cos(p.ref_angle)
        i = np.asarray(current, dtype=float)
        r = tmr_resistance(p.r_p, p.tmr, c0)
        for _ in range(30):
            r = tmr_resistance(p.r_p, p.tmr, c0, i * r, p.v_half)
        return r

    def voltage_psd(self, frequencies: ArrayLike, current: float, field: float) -> np.ndarray:
        """One-sided PSD of the junction's AC voltage (V²/Hz): a Lorentzian at :meth:`frequency` whose area
        is ⟨δV²⟩ = ½ (I·dR/dcos·sin β·2√(p̄(1−p̄)))²."""
        f = np.asarray(frequencies, dtype=float)
        pm = self.mean_power(current, field)
        amp = (
            current * self._dr_dcos(current) * math.sin(self.params.ref_angle) * 2 * math.sqrt(pm * (1 - pm))
        )
        fwhm = self.linewidth(current, field)
        if not fwhm > 0:
            raise ValueError("the PSD needs a finite linewidth: temperature > 0 (or dh0 > 0 below threshold)")
        fg = float(self.frequency(current, field))
        lorentz = (fwhm / (2 * math.pi)) / ((f - fg) ** 2 + (fwhm / 2) ** 2)
        return 0.5 * amp**2 * lorentz

    def psd(self, frequencies: ArrayLike, current: float, field: float, load_ohm: float = 50.0) -> np.ndarray:
        """Power spectral density delivered into a ``load_ohm`` load (W/Hz), as a spectrum analyser sees."""
        r0 = float(self.resistance(current))
        return self.voltage_psd(frequencies, current, field) * load_ohm / (r0 + load_ohm) ** 2

    def simulate(
        self,
        duration: float,
        dt: float,
        current: float,
        field: float,
        rng: np.random.Generator,
        n: int = 1,
        record_every: int = 1,
    ) -> STNOTrace:
        """Integrate the stochastic oscillator equation (Heun, Stratonovich) for ``n`` independent devices.

        The fast carrier ω0 is removed analytically (rotating frame), so ``dt`` only needs to resolve the
        slow dynamics (≪ 1/Γ_G and ≪ 1/(2πN)); the voltage is rebuilt with the carrier at the sample times.
        """
        if dt <= 0 or duration <= 0 or record_every < 1:
            raise ValueError("need dt > 0, duration > 0 and record_every ≥ 1")
        p = self.params
        z = current / p.i_th
        g = float(self.damping_rate(field))
        w0 = 2 * math.pi * float(self.fmr_frequency(field))
        wn = 2 * math.pi * p.nonlinearity
        kt_over_lam = KB * p.temperature / float(self.energy_scale(field))
        n_steps = int(round(duration / dt))

        def drift(a: np.ndarray) -> np.ndarray:
            q = np.abs(a) ** 2
            return (-1j * wn * q - g * (1 + p.q * q) + g * z * (1 - q)) * a

        def noise_amp(a: np.ndarray) -> np.ndarray:
            return np.sqrt(g * (1 + p.q * np.abs(a) ** 2) * kt_over_lam * dt)

        a = np.full(n, math.sqrt(max(float(self.power(current)), kt_over_lam)), dtype=complex)
        n_rec = n_steps // record_every
        rec = np.empty((n, n_rec), dtype=complex)
        for s in range(n_steps):
            xi = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            k1 = drift(a)
            d1 = noise_amp(a)
            pred = a + k1 * dt + d1 * xi
            a = a + 0.5 * (k1 + drift(pred)) * dt + 0.5 * (d1 + noise_amp(pred)) * xi
            if (s + 1) % record_every == 0:
                rec[:, (s + 1) // record_every - 1] = a
        t = dt * record_every * np.arange(1, n_rec + 1)
        c = rec * np.exp(-1j * w0 * t)
        pw = np.clip(np.abs(c) ** 2, 0.0, 1.0)
        cos_psi = 1 - 2 * pw
        sin_psi = 2 * np.sqrt(pw * (1 - pw))
        b = p.ref_angle
        cos_theta = math.cos(b) * cos_psi + math.sin(b) * sin_psi * np.cos(np.angle(c))
        r0 = float(self.resistance(current))
        r = tmr_resistance(p.r_p, p.tmr, cos_theta, current * r0, p.v_half)
        return STNOTrace(t=t, c=c, voltage=current * r)

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
        p = self.params
        zeta = np.ascontiguousarray(np.asarray(currents, dtype=float) / p.i_th)
        kt_over_lam = KB * p.temperature / float(self.energy_scale(field))
        if state is None:
            state = (math.sqrt(max(float(self.power(currents[0])), kt_over_lam)), 0.0)
        normals = rng.standard_normal((zeta.size, 2))
        trace, re, im = power_trace(zeta, dt, float(self.damping_rate(field)), p.q, kt_over_lam, state[0], state[1],
                                    normals)
        return trace, (re, im)

    # spin-torque diode -----------------------------------------------------------------------------------
    def torque_per_ampere(self) -> float:
        """Damping-like spin-torque field per ampere, a_J/I = ħη/(2e Ms V), T/A."""
        p = self.params
        return HBAR * p.eta / (2 * E_CHARGE * p.ms * p.volume)

    def diode_voltage(
        self,
        frequencies: ArrayLike,
        field: ArrayLike,
        rf_power: ArrayLike,
        source_impedance: float = 50.0,
    ) -> np.ndarray:
        """Rectified DC voltage (V) of the spin-torque diode (ST-FMR) vs RF frequency (Hz), field (T) and
        available RF power (W) of a ``source_impedance`` source.

        Linear response of the macrospin near resonance (the damping-like torque acts on the free layer
        as an out-of-plane field a_J·sin β, the field-like one as an in-plane transverse field β a_J·sin β):
        V_dc = ½ I_rf² sin²β (dR/dcos θ) (γ a_J / 2σ) [S(f) − β Ω_⊥ A(f)] with S = 1/(1 + x²),
        A = x/(1 + x²), x = (ω − ω0)/σ, σ = Γ_G + dω0/dH·dh0 and Ω_⊥ = γ(μ0H + μ0Meff)/ω0.
        """
        s_amp, a_amp, f0, hwhm = self.diode_lineshape(field, rf_power, source_impedance)
        x = (np.asarray(frequencies, dtype=float) - f0) / hwhm
        return s_amp / (1 + x**2) + a_amp * x / (1 + x**2)

    def diode_lineshape(
        self, field: ArrayLike, rf_power: ArrayLike, source_impedance: float = 50.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(symmetric amplitude V, antisymmetric amplitude V, resonance frequency Hz, half width Hz)."""
        p = self.params
        h = _check_field(field)
        prf = np.asarray(rf_power, dtype=float)
        if np.any(prf < 0):
            raise ValueError("rf_power must be ≥ 0 W")
        r0 = float(self.resistance(0.0))
        i_rf = 2 * np.sqrt(2 * prf * source_impedance) / (source_impedance + r0)  # amplitude, A
        w0 = 2 * math.pi * self.fmr_frequency(h)
        sigma = self.damping_rate(h) + self._inhomogeneous_rate(h)
        omega_perp = GAMMA_E * (h + p.mu0_meff) / w0
        aj = self.torque_per_ampere()
        pref = 0.5 * i_rf**2 * math.sin(p.ref_angle) ** 2 * self._dr_dcos(0.0) * GAMMA_E * aj / (2 * sigma)
        return pref, -pref * p.stt_fl_ratio * omega_perp, w0 / (2 * math.pi), sigma / (2 * math.pi)
