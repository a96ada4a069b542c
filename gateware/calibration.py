"""Code-density calibration of the TDC's delay line, run from the host.

Stops arriving at times uniformly distributed over the clock period hit each fine bin in proportion to its
width: with N hits, bin f (the stop passed f taps, f ≥ 1) is w_f = T·n_f/N wide. The chain is longer than a
period, so only the bins of one period are ever hit: their number is the chain's used length (``bins``, which
the host writes to the gateware), and the taps beyond it are excluded, not missing. A chain shorter than the
period cannot be calibrated to its resolution: every stop it cannot hold reads "all taps passed", one bin as
wide as the shortfall, and :func:`code_density` warns (:class:`ShortChainWarning`) with the coverage it found.
The differential non-linearity is DNL_f = w_f/LSB − 1 with LSB = T/bins, the integral non-linearity INL the
running sum; the bin-to-time table maps every fine value to the centre of its bin, so calibrated times carry no
systematic error from the chain's non-uniformity.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


class ShortChainWarning(UserWarning):
    """The delay line is shorter than the clock period: its last bin holds the rest of the period."""


@dataclass(frozen=True)
class Calibration:
    """Bin widths (s) of one clock period ``clock_period`` (s) of a ``taps``-tap chain: ``widths[f − 1]`` is fine
    value f; ``short`` when the stops ran off the chain's end."""

    clock_period: float
    taps: int
    widths: np.ndarray
    short: bool = False

    @classmethod
    def nominal(cls, clock_period: float, taps: int, bins: int | None = None) -> Calibration:
        """Equal bins, ``bins`` (default ``taps``) to a period: the table before any measurement."""
        bins = taps if bins is None else bins
        return cls(clock_period, taps, np.full(bins, clock_period / bins))

    @property
    def bins(self) -> int:
        """Fine bins in a clock period (the chain's used length)."""
        return self.widths.size

    @property
    def lsb(self) -> float:
        """Mean bin width (s)."""
        return self.clock_period / self.bins

    @property
    def dnl(self) -> np.ndarray:
        """DNL per fine bin (LSB)."""
        return self.widths / self.lsb - 1

    @property
    def inl(self) -> np.ndarray:
        """INL at each bin's upper edge (LSB)."""
        return np.cumsum(self.dnl)

    def times(self, codes: np.ndarray, bins: int | None = None) -> np.ndarray:
        """Calibrated intervals (s) for codes k·bins − fine taken with ``bins`` per period (default: this
        calibration's): k·T minus the centre of the fine bin, up to the chain's constant input delay."""
        period_bins = self.bins if bins is None else bins
        codes = np.asarray(codes, dtype=np.int64)
        k = codes // period_bins + 1
        fine = np.clip(period_bins - codes % period_bins, 1, self.bins)
        lower = np.concatenate([[0.0], np.cumsum(self.widths)])
        return k * self.clock_period - (lower[fine - 1] + self.widths[fine - 1] / 2)


def code_density(codes: np.ndarray, taps: int, clock_period: float) -> Calibration:
    """Calibrate from codes of stops uniformly distributed in time (e.g. from an unrelated oscillator), taken with
    ``bins`` = ``taps`` per period (the gateware's reset value: every fine value decodes)."""
    codes = np.asarray(codes, dtype=np.int64).ravel()
    if codes.size == 0 or np.any(codes < 0):
        raise ValueError("need non-negative TDC codes")
    fine = taps - codes % taps
    counts = np.bincount(fine, minlength=taps + 1)[1:].astype(float)
    bins = int(np.flatnonzero(counts).max()) + 1
    if codes.size < 100 * bins:
        raise ValueError(f"need at least {100 * bins} hits for the {bins} bins of a clock period, got {codes.size}")
    calibration = Calibration(clock_period, taps, clock_period * counts[:bins] / codes.size, short=bins == taps)
    if calibration.short:
        last = calibration.widths[-1]
        warnings.warn(f"the delay line covers only {1 - last / clock_period:.0%} of the {clock_period * 1e9:g} ns "
                      f"clock period: {last / clock_period:.0%} of the stops passed all {taps} taps and read as one "
                      f"{last * 1e12:.0f} ps bin; lengthen the chain (more CARRY4) or sample with a faster clock",
                      ShortChainWarning, stacklevel=2)
    return calibration
