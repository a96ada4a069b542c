"""Resistance-noise spectra: Welch PSDs averaged in logarithmic bands, and the fit of white + 1/f + Lorentzians.

Across bias points k at DC voltages V_k the voltage-noise spectra are fitted together,

    S_k(f) = W_k + (|V_k|/V_ref)^β · V_ref² · [C·(f_ref/f)^γ/f_ref + Σ_j 4 v_j/(2π f_j) / (1 + (f/f_j)²)],

with an amplifier/read white level W_k per point, the 1/f coefficient C = α_H/A of Hooge's law (1/f_ref·C at
f_ref, the band's geometric centre), Lorentzians of corner f_j (Hz) and relative variance v_j (a defect of ΔR/R
a occupied a fraction p of the time: v = a² p(1 − p)), and the bias exponent β (2 for resistance noise, 0 for an
amplifier's). The fit is in ln S with each band weighted by its number of averaged periodogram values n (the
variance of the log of such a mean is 1/n; its bias ψ(n) − ln n is taken off). Two fits: γ and β free (they are
reported), then Hooge's law, γ = 1 and β = 2 (α_H/A, the corners and amplitudes). The number of Lorentzians is
given or chosen by the Bayesian information criterion χ² + (parameters)·ln(bands).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import welch
from scipy.special import digamma

from . import AnalysisError

#: logarithmic bands per decade of frequency
BANDS_PER_DECADE = 10
#: highest frequency kept, a fraction of the sample rate: samples averaged over their interval lose sinc²(f/fs)
#: (≥ 0.99 here) and what the record's finite length aliases stays negligible
FIT_FRACTION = 0.05
#: lowest FFT bin kept: the Hann window leaks the steep low end of 1/f into the first bins
FIRST_BIN = 3
#: most Lorentzians the information criterion considers
MAX_LORENTZIANS = 3


def band_edges(nperseg: int) -> np.ndarray:
    """FFT-bin edges of the logarithmic bands for segments of ``nperseg`` samples: band b holds bins
    edges[b]..edges[b + 1] − 1, from :data:`FIRST_BIN` up to :data:`FIT_FRACTION` of the sample rate. It depends on
    ``nperseg`` alone, so the number of bands is known before anything is measured."""
    top = int(nperseg * FIT_FRACTION)
    if top < FIRST_BIN + 4:
        raise ValueError(f"segments of {nperseg} samples leave too few frequencies below {FIT_FRACTION:g}·fs")
    decades = np.log10((top + 1) / FIRST_BIN)
    return np.unique(np.round(np.geomspace(FIRST_BIN, top + 1, int(np.ceil(decades * BANDS_PER_DECADE)) + 1)
                              ).astype(int))


def welch_bands(records: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-sided PSD (units²/Hz) of ``records`` (records × samples at ``fs`` Hz) by Welch's method (Hann window,
    ``nperseg`` samples per segment, 50 % overlap, each segment's mean removed), averaged over the records and
    over the bins of each band: (band frequency Hz — the harmonic mean of its bins, at which a 1/f spectrum equals
    its band average —, PSD, effective number of independent periodogram values averaged: Hann periodograms of
    adjacent bins correlate by 4/9 and of the next bins by 1/36, those of half-overlapping segments by 1/9)."""
    records = np.atleast_2d(np.asarray(records, dtype=float))
    if records.shape[1] < nperseg:
        raise ValueError(f"records of {records.shape[1]} samples are shorter than one segment ({nperseg})")
    f, p = welch(records, fs, window="hann", nperseg=nperseg, noverlap=nperseg // 2, detrend="constant", axis=-1)
    p = p.mean(axis=0)
    segments = records.shape[0] * ((records.shape[1] - nperseg) // (nperseg // 2) + 1)
    edges = band_edges(nperseg)
    freq = np.array([1.0 / np.mean(1.0 / f[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    psd = np.array([p[a:b].mean() for a, b in zip(edges[:-1], edges[1:], strict=True)])
    bins = np.diff(edges).astype(float)
    per_band = bins**2 / (bins + 8 * np.maximum(bins - 1, 0) / 9 + np.maximum(bins - 2, 0) / 18)
    per_record = segments / records.shape[0]
    overlap = per_record**2 / (per_record + 2 * (per_record - 1) / 9)
    return freq, psd, per_band * overlap * records.shape[0]


@dataclass
class NoiseFit:
    """Result of :func:`fit_noise` (SI; ``_err`` one standard error)."""

    hooge_over_area: float  #: α_H/A of Hooge's law (γ = 1, β = 2)
    hooge_over_area_err: float
    gamma: float  #: spectral exponent of the 1/f part (free fit)
    gamma_err: float
    exponent: float  #: bias exponent β of the resistance noise, S ∝ |V|^β (NaN with one bias point)
    exponent_err: float
    corners: np.ndarray  #: Lorentzian corner frequencies, Hz (ascending)
    corners_err: np.ndarray
    rtn_rms: np.ndarray  #: relative rms √v of each Lorentzian's resistance fluctuation
    rtn_rms_err: np.ndarray
    white: np.ndarray  #: white level W_k of each bias point, V²/Hz
    f_ref: float  #: Hz

    def components(self, frequency: np.ndarray, voltage: float, white: float) -> dict[str, np.ndarray]:
        """The Hooge-law model's parts (V²/Hz) at DC ``voltage`` V with white level ``white``."""
        f = np.asarray(frequency, dtype=float)
        parts = {"white": np.full(f.shape, white), "1/f": voltage**2 * self.hooge_over_area / f}
        for j, (fc, rms) in enumerate(zip(self.corners, self.rtn_rms, strict=True)):
            parts[f"Lorentzian {j + 1}"] = voltage**2 * 4 * rms**2 / (2 * np.pi * fc) / (1 + (f / fc) ** 2)
        return parts


@dataclass
class _Spectra:
    """Band frequencies, PSDs and weights of all bias points, concatenated."""

    f: np.ndarray
    psd: np.ndarray
    weight: np.ndarray
    point: np.ndarray  #: bias-point index of each band
    voltage: np.ndarray  #: |V| of each bias point
    v_ref: float
    f_ref: float


def _model(p: np.ndarray, s: _Spectra, n_lor: int) -> np.ndarray:
    k = len(s.voltage)
    white = np.exp(p[:k])[s.point]
    c, gamma, beta = np.exp(p[k]), p[k + 1], p[k + 2]
    shape = c * (s.f_ref / s.f) ** gamma / s.f_ref
    for j in range(n_lor):
        fc, v = np.exp(p[k + 3 + 2 * j]), np.exp(p[k + 4 + 2 * j])
        shape = shape + 4 * v / (2 * np.pi * fc) / (1 + (s.f / fc) ** 2)
    return white + (s.voltage[s.point] / s.v_ref) ** beta * s.v_ref**2 * shape


def _fit(s: _Spectra, p0: np.ndarray, free: np.ndarray, n_lor: int):
    """Weighted least squares in ln S over the ``free`` parameters; (parameters, covariance of the free ones, χ²)."""
    k = len(s.voltage)
    low = np.full(p0.size, -np.inf)
    high = np.full(p0.size, np.inf)
    floor, top = np.log(s.psd.min()), np.log(s.psd.max())
    low[:k], high[:k] = floor - 30, top + 2  # white levels
    low[k], high[k] = p0[k] - 30, p0[k] + 30  # C
    low[k + 4::2], high[k + 4::2] = -80.0, 0.0  # Lorentzian variances
    low[k + 1], high[k + 1] = 0.2, 3.0  # γ
    low[k + 2], high[k + 2] = -1.0, 5.0  # β
    low[k + 3::2], high[k + 3::2] = np.log(s.f.min() / 3), np.log(s.f.max() * 3)  # corners
    p0 = np.clip(p0, low + 1e-9, high - 1e-9)

    measured = np.log(s.psd) - (digamma(s.weight) - np.log(s.weight))  # E ln of a mean of n exponentials

    def residuals(q: np.ndarray) -> np.ndarray:
        p = p0.copy()
        p[free] = q
        return np.sqrt(s.weight) * (measured - np.log(_model(p, s, n_lor)))

    res = least_squares(residuals, p0[free], bounds=(low[free], high[free]), x_scale="jac", method="trf")
    p = p0.copy()
    p[free] = res.x
    chi2 = float(np.sum(res.fun**2))
    dof = max(s.f.size - int(free.sum()), 1)
    cov = np.linalg.pinv(res.jac.T @ res.jac) * max(chi2 / dof, 1.0)
    return p, cov, chi2


def _start(s: _Spectra) -> np.ndarray:
    """Initial parameters: whites from each point's lowest level, C from the low end, no Lorentzians."""
    k = len(s.voltage)
    whites = [np.log(0.3 * s.psd[s.point == n].min()) for n in range(k)]
    low = s.f <= np.quantile(s.f, 0.2)
    c = np.median(s.psd[low] * s.f[low] / s.voltage[s.point[low]] ** 2)
    return np.array([*whites, np.log(c), 1.0, 2.0])


def _add_lorentzian(s: _Spectra, p: np.ndarray, free: np.ndarray, n_lor: int):
    """Best fit with one more Lorentzian, started at each band's frequency in turn (its amplitude from the
    excess there): (parameters, covariance, χ², free mask)."""
    model = _model(p, s, n_lor)
    excess = np.log(s.psd) - np.log(model)
    best = None
    for fc in np.geomspace(s.f.min(), s.f.max(), 8):
        near = np.abs(np.log(s.f / fc)) < 0.35
        if not near.any():
            continue
        ratio = max(np.exp(excess[near].mean()) - 1, 0.05)
        level = np.mean(model[near] / s.voltage[s.point[near]] ** 2)
        q0 = np.concatenate([p, [np.log(fc), np.log(ratio * level * np.pi * fc)]])
        trial = _fit(s, q0, np.concatenate([free, [True, True]]), n_lor + 1)
        if best is None or trial[2] < best[2]:
            best = trial
    return (*best, np.concatenate([free, [True, True]]))


def _bic(fit: tuple, s: _Spectra) -> float:
    """Bayesian information criterion of a fit (parameters, covariance, χ², free mask)."""
    return fit[2] + fit[3].sum() * np.log(s.f.size)


def fit_noise(frequency: np.ndarray, psd: np.ndarray, weight: np.ndarray, point: np.ndarray, voltage: np.ndarray,
              lorentzians: int | None = None) -> NoiseFit:
    """Fit the spectra (band ``frequency`` Hz, ``psd`` V²/Hz, ``weight`` averages, bias-``point`` index into
    ``voltage`` V) with white + 1/f + Lorentzians (see the module docstring); ``lorentzians`` None: chosen by the
    information criterion among 0..:data:`MAX_LORENTZIANS`."""
    point = np.asarray(point, dtype=int)
    voltage = np.abs(np.asarray(voltage, dtype=float))
    if np.any(voltage <= 0) or not np.all(np.isfinite(psd)) or np.any(np.asarray(psd) <= 0):
        raise AnalysisError("noise spectra need a non-zero DC voltage at every bias point and positive PSDs")
    if frequency.size < 8 * len(voltage):
        raise AnalysisError(f"{frequency.size} bands for {len(voltage)} bias points: record longer segments")
    s = _Spectra(np.asarray(frequency, float), np.asarray(psd, float), np.asarray(weight, float), point, voltage,
                 float(np.exp(np.log(voltage).mean())), float(np.sqrt(frequency.min() * frequency.max())))
    k = len(voltage)
    free = np.ones(k + 3, dtype=bool)
    free[k + 2] = k > 1  # the bias exponent needs two bias points
    fits = [(*_fit(s, _start(s), free, 0), free)]
    wanted = MAX_LORENTZIANS if lorentzians is None else lorentzians
    while len(fits) <= wanted:
        fits.append(_add_lorentzian(s, fits[-1][0], fits[-1][3], len(fits) - 1))
        if lorentzians is None and _bic(fits[-1], s) >= _bic(fits[-2], s):
            break  # one more Lorentzian does not pay for its parameters
    n_lor = int(np.argmin([_bic(fit, s) for fit in fits])) if lorentzians is None else lorentzians
    p_free, cov_free, _chi2, mask = fits[n_lor]
    errors = np.full(mask.size, np.nan)
    errors[mask] = np.sqrt(np.maximum(np.diag(cov_free), 0.0))
    hooge = mask.copy()
    hooge[k + 1] = hooge[k + 2] = False
    p0 = p_free.copy()
    p0[k + 1], p0[k + 2] = 1.0, 2.0
    p, cov, _ = _fit(s, p0, hooge, n_lor)
    err = np.full(mask.size, np.nan)
    err[hooge] = np.sqrt(np.maximum(np.diag(cov), 0.0))
    return _result(p, err, p_free, errors, k, n_lor, s.f_ref)


def _result(p: np.ndarray, err: np.ndarray, p_free: np.ndarray, free_err: np.ndarray, k: int, n_lor: int,
            f_ref: float) -> NoiseFit:
    """The Hooge-law fit ``p`` (errors ``err``) with γ and β from the free fit ``p_free`` (``free_err``)."""
    corners = np.exp(p[k + 3::2][:n_lor])
    rms = np.sqrt(np.exp(p[k + 4::2][:n_lor]))
    order = np.argsort(corners)
    c = np.exp(p[k])
    return NoiseFit(
        hooge_over_area=float(c), hooge_over_area_err=float(c * err[k]),
        gamma=float(p_free[k + 1]), gamma_err=float(free_err[k + 1]),
        exponent=float(p_free[k + 2]) if np.isfinite(free_err[k + 2]) else np.nan,
        exponent_err=float(free_err[k + 2]),
        corners=corners[order], corners_err=(corners * err[k + 3::2][:n_lor])[order],
        rtn_rms=rms[order], rtn_rms_err=(rms * err[k + 4::2][:n_lor] / 2)[order],
        white=np.exp(p[:k]), f_ref=f_ref)
