"""Code-density calibration of the TDC's delay line, run from the host.

Stops arriving at times uniformly distributed over the clock period hit each fine bin in proportion to its
width: with N hits, bin i is w_i = T·n_i/N wide. The differential non-linearity is DNL_i = w_i/LSB − 1 and the
integral non-linearity INL_i the running sum; the bin-to-time table maps every fine value to the centre of its
bin, so calibrated times carry no systematic error from the chain's non-uniformity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Calibration:
    clock_period: float
    taps: int
    widths: np.ndarray  # s, fine bin i = stop passed i taps before the edge

    @property
    def lsb(self) -> float:
        return self.clock_period / self.taps

    @property
    def dnl(self) -> np.ndarray:
        """DNL per fine bin (LSB)."""
        return self.widths / self.lsb - 1

    @property
    def inl(self) -> np.ndarray:
        """INL at each bin's upper edge (LSB)."""
        return np.cumsum(self.dnl)

    def times(self, codes: np.ndarray) -> np.ndarray:
        """Calibrated intervals (s) for codes k·taps − fine: k·T minus the centre of the fine bin."""
        codes = np.asarray(codes, dtype=np.int64)
        k = -(-codes // self.taps)  # ceil
        fine = k * self.taps - codes
        lower = np.concatenate([[0.0], np.cumsum(self.widths)])
        return k * self.clock_period - (lower[fine] + self.widths[np.minimum(fine, self.taps - 1)] / 2)


def code_density(codes: np.ndarray, taps: int, clock_period: float) -> Calibration:
    """Calibrate from codes of stops uniformly distributed in time (e.g. from an unrelated oscillator)."""
    codes = np.asarray(codes, dtype=np.int64)
    if codes.size < 100 * taps:
        raise ValueError(f"need at least {100 * taps} hits for {taps} bins, got {codes.size}")
    fine = (-codes) % taps  # fine = k·taps − code
    counts = np.bincount(fine, minlength=taps + 1)[:taps].astype(float)
    if np.any(counts == 0):
        raise ValueError("some fine bins were never hit: the hits are not spread over the clock period")
    return Calibration(clock_period, taps, clock_period * counts / counts.sum())
