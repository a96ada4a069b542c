"""Trace physics of the virtual spectrum analyzers: the DUT's emission seen through the resolution filter,
the detectors and the power statistics of a swept analyzer.

Trace: each of the N points covers a bucket of width w = span/(N − 1), seen through a Gaussian resolution filter of
width σ (from the RBW and its type: 3 dB, 6 dB, noise or impulse bandwidth). The DUT power in the cells of a grid is
integrated by adaptive Simpson quadrature, refined only where the PSD has structure, so that a line much narrower
than a cell is still found and integrated; the cumulative power smoothed by the filter gives each cell's filtered
power, which the detector reduces per bucket: average (bucket mean), sample (bucket centre), positive, normal or
auto peak (bucket maximum), negative (bucket minimum). The grid has 4 cells per bucket when the RBW is below twice
the bucket and cells of σ/2 otherwise: memory and time grow with N, never with span/RBW.

Statistics: the displayed power fluctuates like a power detector's. A video sample is Gamma distributed with
max(1, RBW/VBW) degrees of freedom, a bucket holds sweep time·min(RBW, VBW)/N independent ones, which the detector
averages (in the averaging scale: log, power or voltage) or takes the maximum or minimum of; trace averaging and
max/min hold combine sweeps. Emission and noise alike fluctuate so. Each sweep advances the bench's time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

_CELLS_PER_BUCKET = 4
_REFINE_BUDGET = 20000  # PSD evaluations the adaptive quadrature may spend refining, beyond 5 per cell
_MAX_DEPTH = 40  # halvings of a cell at most
_E24 = np.array([1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2,
                 6.8, 7.5, 8.2, 9.1, 10.0])
_FFT_SEGMENT = 10e6  # Hz analysed per FFT segment


@dataclass(frozen=True)
class Emission:
    """The DUT's emission at the analyzer input: its PSD (W/Hz of frequency, Hz) and where its lines are (Hz)."""

    psd: Callable[[np.ndarray], np.ndarray]
    lines: tuple[float, ...] = ()


def integrate_cells(emission: Emission, edges: np.ndarray, atol_density: float, rtol: float = 1e-4
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Power (W) of ``emission`` in each cell [edges[k], edges[k+1]] and the largest PSD sampled in it.

    Adaptive Simpson: an interval is split while its two Simpson estimates differ by more than ``rtol`` of its
    power and ``atol_density`` times its width, at most ``_MAX_DEPTH`` times; 5 evaluations per cell plus at most
    ``_REFINE_BUDGET``. A cell holding a line (or 0 or 1 Hz, where the emission sets in) starts as two intervals
    meeting there, so that a line far narrower than the cell is seen.
    """
    psd = emission.psd
    n = edges.size - 1
    breaks = [f for f in (*emission.lines, 0.0, 1.0) if edges[0] < f < edges[-1]]
    nodes = np.union1d(edges, breaks) if breaks else edges
    lo, hi = nodes[:-1], nodes[1:]
    cell = np.searchsorted(edges, lo, side="right") - 1
    mid = (lo + hi) / 2
    fa, fm, fb = psd(lo), psd(mid), psd(hi)
    power, peak = np.zeros(n), np.zeros(n)
    np.maximum.at(peak, cell, np.maximum(np.maximum(fa, fb), fm))
    budget = _REFINE_BUDGET
    for depth in range(_MAX_DEPTH + 1):
        if not cell.size:
            break
        q1, q3 = np.split(psd(np.concatenate([(lo + mid) / 2, (mid + hi) / 2])), 2)
        width = hi - lo
        coarse = width / 6 * (fa + 4 * fm + fb)
        fine = width / 12 * (fa + 4 * q1 + 2 * fm + 4 * q3 + fb)
        np.maximum.at(peak, cell, np.maximum(q1, q3))
        done = np.abs(fine - coarse) / 15 <= np.maximum(rtol * np.abs(fine), atol_density * width)
        refine = 4 * int(np.count_nonzero(~done))  # two new evaluations in each half
        if refine > budget or depth == _MAX_DEPTH:
            done[:] = True
        budget -= refine
        np.add.at(power, cell[done], fine[done] + (fine[done] - coarse[done]) / 15)
        keep = ~done
        lo, mid, hi, fa, fm, fb, q1, q3, cell = (a[keep] for a in (lo, mid, hi, fa, fm, fb, q1, q3, cell))
        # the two halves, each with its end points and middle already evaluated
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        fa, fm, fb = np.concatenate([fa, fm]), np.concatenate([q1, q3]), np.concatenate([fm, fb])
        cell = np.concatenate([cell, cell])
        mid = (lo + hi) / 2
    return np.clip(power, 0.0, None), peak


def _smoothed_cumulative(power: np.ndarray, sigma_cells: float) -> np.ndarray:
    """Cumulative power at the cell edges convolved with the filter's normalised Gaussian (σ in cells)."""
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    if sigma_cells < 1e-3:
        return cumulative
    reach = math.ceil(6 * sigma_cells)
    j = np.arange(-reach, reach + 1)
    kernel = special.ndtr((j + 0.5) / sigma_cells) - special.ndtr((j - 0.5) / sigma_cells)
    kernel /= kernel.sum()
    padded = np.pad(cumulative, reach, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def filtered_levels(emission: Emission | None, frequencies: np.ndarray, sigma: float, detector: str,
                    atol_density: float) -> np.ndarray:
    """Mean power (W) each trace point displays of ``emission`` through a Gaussian RBW filter of width ``sigma``.

    ``detector``: "average", "sample", "peak" or "negative"; buckets are centred on ``frequencies`` (evenly spaced).
    """
    points = frequencies.size
    if emission is None:
        return np.zeros(points)
    enbw = math.sqrt(2 * math.pi) * sigma  # noise bandwidth of the filter, peak gain 1
    w = (frequencies[-1] - frequencies[0]) / (points - 1) if points > 1 else 0.0
    if w <= 0 or sigma > 2 * w:  # the filter is wider than a bucket: every detector sees the same smooth level
        h = sigma / 2
        lo = frequencies[0] - w / 2 - 6 * sigma
        cells = math.ceil((frequencies[-1] + w / 2 + 6 * sigma - lo) / h)
        edges = lo + h * np.arange(cells + 1)
        power, _ = integrate_cells(emission, edges, atol_density)
        smoothed = _smoothed_cumulative(power, sigma / h)
        level = enbw / h * np.diff(smoothed)
        return np.interp(frequencies, (edges[:-1] + edges[1:]) / 2, level)
    h = w / _CELLS_PER_BUCKET
    pad = math.ceil(6 * sigma / h)
    edges = frequencies[0] - w / 2 + h * np.arange(-pad, points * _CELLS_PER_BUCKET + pad + 1)
    power, peak = integrate_cells(emission, edges, atol_density)
    level = enbw / h * np.diff(_smoothed_cumulative(power, sigma / h))
    core = slice(pad, pad + points * _CELLS_PER_BUCKET)
    buckets = level[core].reshape(points, _CELLS_PER_BUCKET)
    if detector == "average":
        return buckets.mean(axis=1)
    if detector == "sample":
        return buckets[:, _CELLS_PER_BUCKET // 2 - 1:_CELLS_PER_BUCKET // 2 + 1].mean(axis=1)
    if detector == "negative":
        return buckets.min(axis=1)
    # a feature narrower than a cell peaks at its whole power or at ENBW times its PSD, whichever is less
    narrow = np.minimum(enbw * peak, power)[core].reshape(points, _CELLS_PER_BUCKET)
    return np.maximum(buckets, narrow).max(axis=1)


def _scale(name: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The averaging scale's transform and inverse: log (video), power (RMS) or voltage (scalar)."""
    if name == "log":
        return np.log, np.exp
    if name == "voltage":
        return np.sqrt, np.square
    return (lambda x: x), (lambda x: x)


def _sample_moments(k: float, scale: str) -> tuple[float, float]:
    """Mean and standard deviation of one Gamma(k)/k power sample in the averaging scale."""
    if scale == "log":
        return float(special.digamma(k) - math.log(k)), math.sqrt(float(special.polygamma(1, k)))
    if scale == "voltage":
        mean = math.exp(special.gammaln(k + 0.5) - special.gammaln(k)) / math.sqrt(k)
        return mean, math.sqrt(max(1.0 - mean**2, 0.0))
    return 1.0, 1.0 / math.sqrt(k)


@dataclass(frozen=True)
class Sweep:
    """What one trace acquisition needs: frequencies (Hz), resolution filter, detector and trace combination."""

    start: float
    stop: float
    points: int
    sigma: float  #: Hz, width of the Gaussian resolution filter
    rbw: float
    vbw: float
    sweep_time: float  #: s, one sweep
    detector: str  #: "average", "sample", "peak" or "negative"
    scale: str  #: averaging scale: "log", "power" or "voltage"
    hold: str = "write"  #: how sweeps combine: "write", "average", "max" or "min"
    count: int = 1  #: sweeps combined

    @property
    def frequencies(self) -> np.ndarray:
        return np.linspace(self.start, self.stop, self.points)


def fluctuation(rng: np.random.Generator, sweep: Sweep) -> np.ndarray:
    """Relative displayed power of each point (mean-1 power detector statistics, see the module docstring)."""
    k = max(1.0, sweep.rbw / sweep.vbw)
    per_bucket = max(1.0, sweep.sweep_time * min(sweep.rbw, sweep.vbw) / sweep.points)
    u = np.clip(rng.random(sweep.points), 1e-300, 1 - 1e-16)
    if sweep.detector in ("average", "sample") and sweep.hold in ("write", "average"):
        n = (per_bucket if sweep.detector == "average" else 1.0) * (sweep.count if sweep.hold == "average" else 1)
        return _mean_of_samples(u, k, n, sweep.scale)
    one = _one_sweep_quantile(k, per_bucket, sweep.detector, sweep.scale)
    if sweep.hold == "max":
        return one(np.exp(np.log(u) / sweep.count))
    if sweep.hold == "min":
        return one(-np.expm1(np.log(u) / sweep.count))
    if sweep.hold == "write" or sweep.count == 1:
        return one(u)
    forward, inverse = _scale(sweep.scale)  # average of max/min-detected sweeps: normal approximation
    nodes, weights = np.polynomial.legendre.leggauss(64)
    values = forward(one((nodes + 1) / 2))
    mean = float(np.sum(weights * values) / 2)
    spread = math.sqrt(max(float(np.sum(weights * (values - mean) ** 2) / 2), 0.0))
    return inverse(mean + spread / math.sqrt(sweep.count) * special.ndtri(u))


def _mean_of_samples(u: np.ndarray, k: float, n: float, scale: str) -> np.ndarray:
    """Quantile ``u`` of the average of ``n`` Gamma(k)/k samples taken in ``scale`` (normal beyond one sample
    in the log and voltage scales)."""
    if scale == "power" or n <= 1:
        return special.gammaincinv(k * n, u) / (k * n)
    mean, spread = _sample_moments(k, scale)
    z = mean + spread / math.sqrt(n) * special.ndtri(u)
    return np.exp(z) if scale == "log" else np.square(np.clip(z, 0.0, None))


def _one_sweep_quantile(k: float, n: float, detector: str, scale: str) -> Callable[[np.ndarray], np.ndarray]:
    """Quantile function of one sweep's value at a point: one sample, the mean of the bucket's ``n`` (average
    detector), or their maximum or minimum (peak, negative)."""
    if detector == "peak":
        return lambda u: special.gammaincinv(k, np.exp(np.log(u) / n)) / k
    if detector == "negative":
        return lambda u: special.gammaincinv(k, -np.expm1(np.log(u) / n)) / k
    if detector == "average":
        return lambda u: _mean_of_samples(u, k, n, scale)
    return lambda u: special.gammaincinv(k, u) / k


def auto_sweep_time(span: float, rbw: float, vbw: float, sweep_type: str) -> float:
    """Coupled sweep time (s): swept ≈ 2·span/(RBW·min(RBW, VBW)), FFT ≈ 4/RBW per 10 MHz segment; at least 1 ms."""
    if span <= 0:
        return 1e-3
    if sweep_type == "FFT":
        return max(1e-3, math.ceil(span / _FFT_SEGMENT) * 4 / rbw)
    return max(1e-3, 2 * span / (rbw * min(rbw, vbw)))


def auto_rbw(span: float, ratio: float = 106.0) -> float:
    """Coupled RBW (Hz): span/``ratio`` on the E24 series."""
    target = span / ratio if span > 0 else 3e6
    decade = 10 ** math.floor(math.log10(max(target, 1e-12)))
    return float(_E24[np.argmin(np.abs(_E24 * decade - target))] * decade)


