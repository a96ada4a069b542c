"""Microwave analysis: Lorentzian emission lines, ST-FMR symmetric/antisymmetric lineshapes, Kittel and damping.

Kittel (in-plane): f = (γ/2π)·√(μ0H·(μ0H + μ0Meff)); field-swept ST-FMR linewidth (half width at half maximum)
μ0ΔH = μ0ΔH0 + (2π/γ)·α·f, so α = γ/(2π) × slope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit

from mtjhw.simulators.physics.constants import GAMMA_E

from . import AnalysisError

GAMMA_HZ_PER_T = GAMMA_E / (2 * math.pi)


def lorentzian(f: np.ndarray, amplitude: float, f0: float, hwhm: float, floor: float) -> np.ndarray:
    return amplitude / (1 + ((f - f0) / hwhm) ** 2) + floor


@dataclass
class EmissionLine:
    frequency: float  # Hz
    linewidth: float  # Hz, full width at half maximum
    power: float  # W in the line (integrated over frequency), at the analyzer input
    peak: float  # W per trace point at the maximum


def fit_emission(f: np.ndarray, power_w: np.ndarray, enbw: float) -> EmissionLine:
    """Lorentzian fit of a spectrum in W per point (resolution bandwidth of noise bandwidth ``enbw`` Hz);
    :class:`AnalysisError` when no line stands above the noise."""
    f, p = np.asarray(f, dtype=float), np.asarray(power_w, dtype=float)
    floor = float(np.median(np.concatenate([p[: p.size // 10], p[-p.size // 10:]])))
    noise = float(np.std(np.concatenate([p[: p.size // 10], p[-p.size // 10:]])))
    k = int(np.argmax(p))
    if p[k] - floor < 10 * max(noise, 1e-30):
        raise AnalysisError("no emission line above the noise floor")
    half = p > floor + (p[k] - floor) / 2
    width_guess = max(np.ptp(f[half]) / 2, f[1] - f[0])
    try:
        (amp, f0, hwhm, fl), _ = curve_fit(lorentzian, f, p, p0=[p[k] - floor, f[k], width_guess, floor],
                                          maxfev=20000)
    except RuntimeError as exc:
        raise AnalysisError(f"Lorentzian fit did not converge: {exc}") from None
    hwhm = abs(hwhm)
    line_power = float(np.sum(p - fl) * (f[1] - f[0]) / enbw)
    return EmissionLine(float(f0), 2 * hwhm, line_power, float(p[k]))


def fmr_lineshape(h: np.ndarray, s: float, a: float, h_res: float, dh: float, offset: float) -> np.ndarray:
    """V(H) = S·ΔH²/((H−Hr)²+ΔH²) + A·ΔH(H−Hr)/((H−Hr)²+ΔH²) + offset (fields μ0H in T, ΔH the HWHM)."""
    x = np.asarray(h, dtype=float) - h_res
    d = x**2 + dh**2
    return s * dh**2 / d + a * dh * x / d + offset


@dataclass
class FmrLine:
    h_res: float
    dh: float
    s: float
    a: float


def fit_fmr_line(h: np.ndarray, v: np.ndarray) -> FmrLine:
    """Symmetric + antisymmetric Lorentzian fit of a field-swept ST-FMR trace."""
    h, v = np.asarray(h, dtype=float), np.asarray(v, dtype=float)
    offset = float(np.median(v))
    k = int(np.argmax(np.abs(v - offset)))
    if abs(v[k] - offset) < 10 * float(np.std(np.diff(v))):
        raise AnalysisError("no resonance above the noise in the field sweep")
    try:
        popt, _ = curve_fit(fmr_lineshape, h, v, p0=[v[k] - offset, 0.0, h[k], max(np.ptp(h) / 20, 1e-4), offset],
                            maxfev=20000)
    except RuntimeError as exc:
        raise AnalysisError(f"ST-FMR lineshape fit did not converge: {exc}") from None
    s, a, h_res, dh, _ = popt
    if not h.min() < h_res < h.max():
        raise AnalysisError("the resonance lies outside the swept field range")
    return FmrLine(float(h_res), float(abs(dh)), float(s), float(a))


def kittel_frequency(h: np.ndarray, mu0_meff: float) -> np.ndarray:
    h = np.asarray(h, dtype=float)
    return GAMMA_HZ_PER_T * np.sqrt(h * (h + mu0_meff))


def fit_kittel(f: np.ndarray, h_res: np.ndarray) -> float:
    """μ0Meff (T) from resonance fields at frequencies f (γ of a free electron)."""
    f, h = np.asarray(f, dtype=float), np.asarray(h_res, dtype=float)
    if f.size < 2:
        raise AnalysisError("need resonances at >= 2 frequencies for the Kittel fit")
    # f²/(γ/2π)² = H² + H·Meff is linear in Meff
    y = (f / GAMMA_HZ_PER_T) ** 2 - h**2
    return float(np.sum(y * h) / np.sum(h * h))


def fit_damping(f: np.ndarray, dh: np.ndarray) -> tuple[float, float]:
    """(α, μ0ΔH0 in T) from the field linewidths (HWHM) vs frequency."""
    if np.asarray(f).size < 2:
        raise AnalysisError("need linewidths at >= 2 frequencies for the damping fit")
    slope, intercept = np.polyfit(np.asarray(f, dtype=float), np.asarray(dh, dtype=float), 1)
    if slope <= 0:
        raise AnalysisError("the linewidth does not grow with frequency: damping is unconstrained")
    return float(slope * GAMMA_HZ_PER_T), float(intercept)


def oscillator_frequency(current: np.ndarray, f0: float, shift: float, i_th: float, q: float) -> np.ndarray:
    """Auto-oscillator frequency f0 + N·p with p = (I/i_th − 1)/(I/i_th + Q) above threshold, f0 below."""
    z = np.asarray(current, dtype=float) / i_th
    return f0 + shift * np.clip(z - 1, 0, None) / (z + q)


def fit_oscillator_threshold(current: np.ndarray, frequency: np.ndarray) -> tuple[float, float, float, float]:
    """(i_th A, Q, f0 Hz, N Hz) from the emission frequency vs current: flat at the FMR frequency f0 below the
    threshold, shifted by N·p above it. The frequency is measured far more precisely than the line power, and
    is free of the bias dependence of the TMR that distorts the power."""
    i, f = np.asarray(current, dtype=float), np.asarray(frequency, dtype=float)
    ok = np.isfinite(f)
    i, f = i[ok], f[ok]
    if i.size < 5:
        raise AnalysisError("fewer than 5 resolved emission lines: widen the current or frequency range")
    f_low = f[np.argmin(i)]
    moved = np.abs(f - f_low) > 5e-3 * abs(f_low)  # well beyond the scatter of broad sub-threshold lines
    if moved.sum() < 3 or (~moved).sum() < 1:
        raise AnalysisError("no threshold in the current range: the frequency must be flat at low current and "
                            "shift above the threshold (extend the range to both sides)")
    first = i[moved].min()
    shift_guess = (f[np.argmax(i)] - f_low) * 2
    try:
        (f0, shift, i_th, q), _ = curve_fit(
            oscillator_frequency, i, f, p0=[f_low, shift_guess, 0.95 * first, 1.0],
            bounds=([0.0, -np.inf, i.min(), 0.0], [np.inf, np.inf, i.max(), 100.0]), maxfev=20000)
    except RuntimeError as exc:
        raise AnalysisError(f"threshold fit did not converge: {exc}") from None
    return float(i_th), float(q), float(f0), float(shift)
