"""Spikes in a sampled voltage: a neuron's read-out that dips from its resting level while it fires.

Two levels are found by iterated splitting at their midpoint (the resting one is the upper, the spike one the
lower); a spike begins where the trace falls through the midpoint after it has risen above the upper hysteresis
threshold, so noise about the midpoint counts once. The rate comes from the intervals between onsets, so a
capture's ragged ends do not bias it; the spike width from the area of the dips between the first and the last
onset (exact for samples that average the voltage over their interval).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The levels must stand this many noise standard deviations apart for the trace to hold spikes at all.
MIN_CONTRAST = 10.0


@dataclass(frozen=True)
class SpikeTrain:
    """Spikes of one capture: onset times (s from the first sample), the rate (Hz) and its standard error, the
    mean interval and spread (s), the mean spike width (s), and the resting and spike levels (V)."""

    onsets: np.ndarray
    rate: float
    rate_err: float
    interval: float
    interval_std: float
    width: float
    rest_level: float
    spike_level: float


def _levels(v: np.ndarray) -> tuple[float, float, float]:
    """(lower, upper level, robust noise σ of the upper one) of a trace, by splitting at the midpoint."""
    low, high = np.percentile(v, [0.5, 99.5])
    for _ in range(5):
        mid = 0.5 * (low + high)
        lower, upper = v[v < mid], v[v >= mid]
        if lower.size == 0 or upper.size == 0:
            break
        low, high = float(np.median(lower)), float(np.median(upper))
    upper = v[v >= 0.5 * (low + high)]
    sigma = 1.4826 * float(np.median(np.abs(upper - np.median(upper))))
    return float(low), float(high), sigma


def _in_spike(v: np.ndarray, low: float, high: float, hysteresis: float) -> np.ndarray:
    """Schmitt-trigger state of each sample (True: in a spike), thresholds ``hysteresis``·(high − low)/2 about
    the midpoint; samples between them keep the state before (the first ones: resting)."""
    mid, half = 0.5 * (low + high), 0.5 * hysteresis * (high - low)
    decided = np.where(v < mid - half, 1, np.where(v > mid + half, 0, -1))
    index = np.where(decided >= 0, np.arange(v.size), 0)
    last = np.maximum.accumulate(index)
    state = np.where(decided[last] >= 0, decided[last], 0)
    state[: np.argmax(decided >= 0)] = 0
    return state.astype(bool)


def _onsets(v: np.ndarray, state: np.ndarray, dt: float, mid: float) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) where each spike falls through the midpoint, interpolated between samples, and the index of
    its first sample in the spike state."""
    k = np.flatnonzero(~state[:-1] & state[1:]) + 1
    before, at = v[k - 1], v[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(np.where(before != at, (before - mid) / (before - at), 0.0), 0.0, 1.0)
    return (k - 1 + frac) * dt, k


def detect_spikes(v: np.ndarray, dt: float, hysteresis: float = 0.3) -> SpikeTrain | None:
    """The spikes of a trace ``v`` (V) sampled every ``dt`` s; None when it shows no spike at all (one level).
    A rate needs three onsets: with one or two the rate is NaN."""
    v = np.asarray(v, dtype=float)
    low, high, sigma = _levels(v)
    if high - low < MIN_CONTRAST * max(sigma, 1e-12 * abs(high)):
        return None
    state = _in_spike(v, low, high, hysteresis)
    onsets, first_samples = _onsets(v, state, dt, 0.5 * (low + high))
    interior = state[1:-1] & state[:-2] & state[2:]
    spike_level = float(np.median(v[1:-1][interior])) if interior.any() else low
    if onsets.size < 3:
        return SpikeTrain(onsets, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), high,
                          spike_level)
    intervals = np.diff(onsets)
    mean, std = float(intervals.mean()), float(intervals.std(ddof=1))
    # the onsets' timing carries the sampling's quantisation, dt/√12 each
    mean_err = float(np.sqrt(std**2 / intervals.size + dt**2 / 6 / intervals.size**2))
    # from the sample before the first spike's to that before the last's: every spike but the last, whole
    area = float(np.sum(high - v[first_samples[0] - 1:first_samples[-1] - 1])) * dt
    width = area / (high - spike_level) / intervals.size
    return SpikeTrain(onsets, 1 / mean, mean_err / mean**2, mean, std, width, high, spike_level)
