"""Microwave analysis: Lorentzian emission lines, ST-FMR symmetric/antisymmetric lineshapes, Kittel, damping and
the spin-torque damping of a DC bias; every fitted value comes with its 1σ uncertainty.

Kittel (in-plane): f = (γ/2π)·√(μ0H·(μ0H + μ0Meff)). The spin torque drives a resonance whose half width is
constant in *frequency* across the line, so the field-swept line is a Lorentzian in the Kittel-mapped variable
x = (f_K(H) − f_K(Hr))/(f_K'(Hr)·ΔH), not in H − Hr (the difference biases ΔH0 by +0.1 mT on a 1 T film). Its
half width in field is μ0ΔH = μ0ΔH0 + (2πf/γ)·(α − s·I/(μ0Hr + μ0Meff/2)) under a DC bias I, s = a_J(−cos β)/I
the anti-damping torque per ampere, so the threshold is I_th(H) = α(μ0H + μ0Meff/2)/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.constants import GAMMA_E

from . import AnalysisError
from .fitting import fit_curve

GAMMA_HZ_PER_T = GAMMA_E / (2 * math.pi)
#: a resonance must rise this many noise standard deviations above the residual scatter
_MIN_SIGNIFICANCE = 5.0
#: residuals of a line the model describes are white: their scatter is that of their point-to-point differences/√2
#: (robust estimate, median absolute deviation); residuals this many times smoother, and above _MAX_MISFIT of the
#: line's amplitude, mean the trace is not the model's line
_MAX_RESIDUAL_SMOOTHNESS = 3.0
_MAX_MISFIT = 0.01


def lorentzian(f: np.ndarray, amplitude: float, f0: float, hwhm: float, floor: float) -> np.ndarray:
    return amplitude / (1 + ((f - f0) / hwhm) ** 2) + floor


def linear_fit(design: np.ndarray, y: np.ndarray, sigma: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares y ≈ design @ c: (c, covariance). With ``sigma`` (1σ of each y) the covariance is
    scaled by the reduced χ² when there are spare points (the scatter, not only the stated errors)."""
    a, b = np.asarray(design, dtype=float), np.asarray(y, dtype=float)
    w = np.ones_like(b) if sigma is None else 1 / np.asarray(sigma, dtype=float)
    aw, bw = a * w[:, None], b * w
    coef, *_ = np.linalg.lstsq(aw, bw, rcond=None)
    cov = np.linalg.pinv(aw.T @ aw)
    dof = b.size - a.shape[1]
    if dof > 0:
        chi2 = float(np.sum((bw - aw @ coef) ** 2)) / dof
        cov = cov * (chi2 if sigma is None else max(chi2, 1.0))
    elif sigma is None:
        cov = np.full_like(cov, np.inf)
    return coef, cov


@dataclass
class EmissionLine:
    frequency: float  # Hz
    linewidth: float  # Hz, full width at half maximum
    power: float  # W in the line (integrated over frequency), at the analyzer input
    peak: float  # W per trace point at the maximum
    frequency_err: float = math.inf  # Hz
    linewidth_err: float = math.inf  # Hz


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
    (amp, f0, hwhm, fl), err = fit_curve(lorentzian, f, p, [p[k] - floor, f[k], width_guess, floor],
                                         what="Lorentzian fit")
    line_power = float(np.sum(p - fl) * (f[1] - f[0]) / enbw)
    return EmissionLine(float(f0), 2 * abs(hwhm), line_power, float(p[k]), float(err[1]), 2 * float(err[2]))


def kittel_frequency(h: np.ndarray, mu0_meff: float) -> np.ndarray:
    h = np.asarray(h, dtype=float)
    return GAMMA_HZ_PER_T * np.sqrt(h * (h + mu0_meff))


def kittel_field(f: np.ndarray, mu0_meff: float) -> np.ndarray:
    """Resonance field (T) at frequency ``f`` (Hz): the inverse of :func:`kittel_frequency`."""
    y = (np.asarray(f, dtype=float) / GAMMA_HZ_PER_T) ** 2
    return (np.sqrt(mu0_meff**2 + 4 * y) - mu0_meff) / 2


def _kittel_slope(h: np.ndarray, mu0_meff: float) -> np.ndarray:
    """df_K/dH (Hz/T)."""
    return GAMMA_HZ_PER_T * (2 * h + mu0_meff) / (2 * np.sqrt(h * (h + mu0_meff)))


def fmr_lineshape(h: np.ndarray, s: float, a: float, h_res: float, dh: float, offset: float,
                  mu0_meff: float | None = None, damping: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """V(H) = S/(1 + x²) + A·x/(1 + x²) + offset with x = (H − Hr)/ΔH (fields μ0H in T, ΔH the HWHM).

    With ``mu0_meff`` (T): the line of a resonance of half width σ(H) in frequency, whose response scales as
    1/σ — its damping part σ_d(H) = (γ/2π)(α(μ0H + μ0Meff/2) − s·I) for ``damping`` = (α, s·I in T), the rest
    of ΔH constant in field: σ(H) = σ_d(H) + f_K'(H)(ΔH − σ_d(Hr)/f_K'(Hr)), x = (f_K(H) − f_K(Hr))/σ(H) and
    V = (σ(Hr)/σ(H))(S + A·r(H)·x)/(1 + x²) + offset, the field-like part growing as r = Ω⊥(H)/Ω⊥(Hr),
    Ω⊥ = √(1 + μ0Meff/μ0H) (Liu et al., PRL 106, 036601 (2011))."""
    h = np.asarray(h, dtype=float)
    if mu0_meff is None or not h_res > 0:
        return (s + a * (x := (h - h_res) / dh)) / (1 + x**2) + offset
    hp = np.maximum(h, 1e-6)
    alpha, torque = damping

    def width(field):
        return GAMMA_HZ_PER_T * (alpha * (field + mu0_meff / 2) - torque)

    rest = dh - width(h_res) / _kittel_slope(h_res, mu0_meff)
    sigma = width(hp) + _kittel_slope(hp, mu0_meff) * rest
    x = (kittel_frequency(hp, mu0_meff) - kittel_frequency(h_res, mu0_meff)) / sigma
    ratio = np.sqrt((1 + mu0_meff / hp) / (1 + mu0_meff / h_res))
    return (width(h_res) + _kittel_slope(h_res, mu0_meff) * rest) / sigma * (s + a * ratio * x) / (1 + x**2) + offset


@dataclass
class FmrLine:
    """One field-swept resonance: Hr (T), ΔH (T, HWHM), S and A (V), each with its 1σ error, the fitted offset
    (V) and the residual noise (V rms) off the fitted line."""

    h_res: float
    dh: float
    s: float
    a: float
    h_res_err: float
    dh_err: float
    s_err: float
    a_err: float
    offset: float
    noise: float


def fit_fmr_line(h: np.ndarray, v: np.ndarray, mu0_meff: float | None = None,
                 damping: tuple[float, float] = (0.0, 0.0)) -> FmrLine:
    """Symmetric + antisymmetric Lorentzian fit of a field-swept ST-FMR trace; with ``mu0_meff`` and ``damping``
    in the form of :func:`fmr_lineshape` (from the fits of a first pass).

    The noise is the scatter of the residuals of the fit, so the line's own slope does not count as noise;
    :class:`AnalysisError` when the line is not significant, lies outside the sweep, is narrower than the field
    step or wider than the sweep, a parameter is unconstrained, or (Kittel-mapped) the residuals are not white
    and above 1 % of the line (a step, a second mode)."""
    order = np.argsort(h)
    h, v = np.asarray(h, dtype=float)[order], np.asarray(v, dtype=float)[order]
    if h.size < 8:
        raise AnalysisError(f"an ST-FMR line needs >= 8 points, got {h.size}")
    wings = np.concatenate([v[: max(h.size // 10, 2)], v[-max(h.size // 10, 2):]])
    offset = float(np.median(wings))
    k = int(np.argmax(np.abs(v - offset)))
    if v[k] == offset:
        raise AnalysisError("no resonance in the field sweep: the trace is flat")
    above = np.abs(v - offset) > abs(v[k] - offset) / 2
    width = max(np.ptp(h[above]) / 2, float(np.median(np.diff(h))))

    def model(hh, s, a, h_res, dh, off):
        return fmr_lineshape(hh, s, a, h_res, dh, off, mu0_meff, damping)

    popt, err = fit_curve(model, h, v, [v[k] - offset, 0.0, h[k], width, offset], what="ST-FMR lineshape fit")
    s, a, h_res, dh, off = popt
    residuals = v - model(h, *popt)
    noise = float(np.std(residuals, ddof=popt.size))
    amplitude = float(np.max(np.abs(model(h, *popt) - off)))  # of the line within the sweep
    _check_fmr_line(h, abs(dh), h_res, amplitude, noise, err)
    steps = np.diff(residuals)
    white = 1.4826 * float(np.median(np.abs(steps - np.median(steps)))) / math.sqrt(2)  # robust to a jump
    smooth = noise / max(white, 1e-300)
    if mu0_meff is not None and smooth > _MAX_RESIDUAL_SMOOTHNESS and noise > _MAX_MISFIT * amplitude:
        raise AnalysisError(f"the lineshape does not describe the trace (residuals {smooth:.1f}× their point-to-point "
                            "scatter: a step, a second mode, or a bias above the threshold)")
    return FmrLine(float(h_res), float(abs(dh)), float(s), float(a), float(err[2]), float(err[3]), float(err[0]),
                   float(err[1]), float(off), noise)


def _check_fmr_line(h: np.ndarray, dh: float, h_res: float, amplitude: float, noise: float, err: np.ndarray) -> None:
    """Refuse a fitted line the trace does not constrain."""
    if not amplitude > _MIN_SIGNIFICANCE * noise:
        raise AnalysisError(f"no resonance above the noise in the field sweep (line {amplitude:.3g} V, "
                            f"residual noise {noise:.3g} V)")
    if not h.min() < h_res < h.max():
        raise AnalysisError(f"the resonance ({h_res:.4g} T) lies outside the swept field range")
    if not dh > float(np.median(np.diff(h))) / 2:
        raise AnalysisError(f"the line (ΔH {dh:.3g} T) is narrower than the field step: sweep finer")
    if not dh < np.ptp(h) / 2:
        raise AnalysisError(f"the line (ΔH {dh:.3g} T) is wider than the sweep: widen the field range")
    if not err[3] < dh:
        raise AnalysisError("the ST-FMR fit leaves the linewidth unconstrained")


def fit_kittel(f: np.ndarray, h_res: np.ndarray, h_err: np.ndarray | None = None) -> tuple[float, float]:
    """(μ0Meff, its error) in T from resonance fields at frequencies f (γ of a free electron), weighted by the
    fields' errors ``h_err``: f²/(γ/2π)² − H² = H·Meff."""
    f, h = np.asarray(f, dtype=float), np.asarray(h_res, dtype=float)
    if f.size < 2:
        raise AnalysisError("need resonances at >= 2 frequencies for the Kittel fit")
    y = (f / GAMMA_HZ_PER_T) ** 2 - h**2
    meff = float(np.sum(y * h) / np.sum(h * h))
    sigma = None if h_err is None else (2 * h + meff) * np.maximum(np.asarray(h_err, dtype=float), 1e-12)
    coef, cov = linear_fit(h[:, None], y, sigma)
    return float(coef[0]), float(math.sqrt(cov[0, 0]))


@dataclass
class Damping:
    """Linewidth analysis: α, μ0ΔH0 (T) and, with a DC bias, the anti-damping torque per ampere s (T/A); 1σ errors
    and the (α, s) covariance."""

    alpha: float
    dh0: float
    alpha_err: float
    dh0_err: float
    s: float = math.nan
    s_err: float = math.nan
    cov_alpha_s: float = math.nan

    def threshold(self, field: float, mu0_meff: float) -> tuple[float, float]:
        """(I_th A, its error) at ``field`` (T): α(μ0H + μ0Meff/2)/s."""
        i_th = self.alpha * (field + mu0_meff / 2) / self.s
        rel2 = ((self.alpha_err / self.alpha) ** 2 + (self.s_err / self.s) ** 2
                - 2 * self.cov_alpha_s / (self.alpha * self.s))
        return float(i_th), float(abs(i_th) * math.sqrt(max(rel2, 0.0)))


def fit_damping(f: np.ndarray, dh: np.ndarray, dh_err: np.ndarray | None = None, h_res: np.ndarray | None = None,
                current: np.ndarray | None = None, mu0_meff: float | None = None) -> Damping:
    """α and μ0ΔH0 from the field linewidths (HWHM, T) vs frequency (Hz); with DC bias currents ``current`` (A,
    one per line, not all 0) also s from μ0ΔH = μ0ΔH0 + (2πf/γ)(α − s·I/(μ0Hr + μ0Meff/2))."""
    f, y = np.asarray(f, dtype=float), np.asarray(dh, dtype=float)
    x = f / GAMMA_HZ_PER_T
    columns = [x, np.ones_like(x)]
    biased = current is not None and np.any(np.asarray(current) != 0)
    if biased:
        if h_res is None or mu0_meff is None:
            raise ValueError("the bias dependence needs the resonance fields and μ0Meff")
        columns.append(-x * np.asarray(current, dtype=float) / (np.asarray(h_res, dtype=float) + mu0_meff / 2))
    if f.size < len(columns) + 1:
        raise AnalysisError(f"need linewidths at >= {len(columns) + 1} lines for the damping fit, got {f.size}")
    if np.ptp(f) == 0:
        raise AnalysisError("the linewidths are all at one frequency: damping is unconstrained")
    coef, cov = linear_fit(np.stack(columns, axis=1), y, dh_err)
    err = np.sqrt(np.diag(cov))
    if coef[0] <= 0 or coef[0] < 2 * err[0]:
        raise AnalysisError(f"the linewidth does not grow with frequency (α = {coef[0]:.3g} ± {err[0]:.2g}): "
                            "damping is unconstrained")
    out = Damping(float(coef[0]), float(coef[1]), float(err[0]), float(err[1]))
    if biased:
        out.s, out.s_err, out.cov_alpha_s = float(coef[2]), float(err[2]), float(cov[0, 2])
    return out


def oscillator_frequency(current: np.ndarray, f0: float, shift: float, i_th: float, q: float) -> np.ndarray:
    """Auto-oscillator frequency f0 + N·p with p = (I/i_th − 1)/(I/i_th + Q) above threshold, f0 below."""
    z = np.asarray(current, dtype=float) / i_th
    return f0 + shift * np.clip(z - 1, 0, None) / (z + q)


def fit_oscillator_threshold(current: np.ndarray, frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """([i_th A, Q, f0 Hz, N Hz], their errors) from the emission frequency vs current: flat at the FMR
    frequency f0 below the threshold, shifted by N·p above it. The frequency is measured far more precisely
    than the line power, and is free of the bias dependence of the TMR that distorts the power. The errors come
    from the scatter about the fit (the lines' own errors miss the bias of a Lorentzian on a Gaussian line)."""
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
    scale = np.array([f_low, f_low, i.max(), 1.0])  # fitted in units of these: a well-conditioned covariance

    def scaled(x, *p):
        return oscillator_frequency(x * i.max(), *(np.array(p) * scale)) / f_low

    values, errors = fit_curve(scaled, i / i.max(), f / f_low, [1.0, shift_guess / f_low, 0.95 * first / i.max(), 1.0],
                               bounds=([0.0, -np.inf, i.min() / i.max(), -0.99], [np.inf, np.inf, 1.0, 100.0]),
                               what="threshold fit")
    return (values * scale)[[2, 3, 0, 1]], (errors * scale)[[2, 3, 0, 1]]
