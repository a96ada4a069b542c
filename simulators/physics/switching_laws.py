"""Two-state reduction of the axially symmetric macrospin: escape rates and first-switch laws of junctions.

The event-driven model (:class:`mtjhw.simulators.physics.telegraph.TelegraphMTJ` with ``alpha``) needs, for a
state under a constant drive, the rate of leaving it (Markov dwell times: telegraph noise, long pulses,
field sweeps) and, when the drive has just changed, the distribution of the time of the first switch from
the thermal distribution the previous drive left (ns pulses: crossover and precessional regimes). Both come
from the Fokker–Planck equation of :mod:`mtjhw.simulators.physics.fokker_planck`; this module picks which
one an interval needs and turns the result into times in seconds.

The first switch is exponential with the Markov rate when the barrier under the drive is high
(≥ :data:`HIGH_BARRIER` kBT: a switch that rare is not moved by the intra-well transient), or when the drive
changed too little to move the distribution in the well (a sweep in small steps: the survivors keep their
quasi-stationary distribution), or when the transient of the change is over early in the interval
(:func:`settled`: a magnet settling in ms steps); otherwise it is the Fokker–Planck first-passage distribution
from the Boltzmann distribution of the drive before (its transient, then its exponential tail).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import fokker_planck as fp
from .constants import GAMMA_E
from .tmr import tmr_at_bias

HIGH_BARRIER = 25.0  #: kBT
#: relative change of the well curvature a + b below which a new drive leaves the thermal distribution as it is
SMALL_CHANGE = 0.05
#: an interval is a stationary escape when the transient of a change of drive lasts less than this fraction of it
SETTLED_FRACTION = 1e-3
#: earliest time of a first-switch law's table, as a fraction of the interval (earlier switches are placed
#: by interpolation from its start)
EARLIEST = 1e-3


@dataclass(frozen=True)
class ConstantDrive:
    """A constant drive of the junctions: ``current`` (A), or a ``voltage`` (V) bias instead, and ``field`` (T)."""

    current: ArrayLike = 0.0
    field: ArrayLike = 0.0
    voltage: ArrayLike | None = None


@dataclass(frozen=True)
class SwitchLaw:
    """The first switch out of a state during ``duration`` (s) of constant drive.

    Exponential at ``rate`` (1/s) unless ``cdf`` (probability of a first switch by each of ``times``, s) is given.
    """

    duration: float
    rate: float
    times: np.ndarray | None = None
    cdf: np.ndarray | None = None

    @property
    def probability(self) -> float:
        """Probability of at least one switch by the end of the interval."""
        if self.cdf is None:
            return -math.expm1(-self.rate * self.duration)
        return float(self.cdf[-1])

    def time(self, v: ArrayLike) -> np.ndarray | float:
        """Time (s) of the first switch given that one happens, for ``v`` uniform in [0, 1) (a float for a
        float: the bench draws one at a time)."""
        if self.cdf is not None:
            return np.interp(v * self.cdf[-1], self.cdf, self.times)
        if isinstance(v, float):
            return min(-math.log1p(-v * self.probability) / self.rate, self.duration)
        return np.minimum(-np.log1p(-np.asarray(v, dtype=float) * self.probability) / self.rate, self.duration)


def dynamic_time(alpha: ArrayLike, hk: ArrayLike) -> np.ndarray:
    """τ_D = (1+α²)/(αγμ0Hk) in s: the time unit of the Fokker–Planck equation."""
    a = np.asarray(alpha, dtype=float)
    return (1 + a * a) / (a * GAMMA_E * np.asarray(hk, dtype=float))


def normalised_drive(drive: ConstantDrive, n: int, hk: ArrayLike, h_offset: ArrayLike, ic0: ArrayLike,
                     r_p: ArrayLike, tmr: ArrayLike, v_half: ArrayLike) -> tuple[np.ndarray, ...]:
    """(h, i, g) per device: field over Hk (offset removed), current over Ic0, and under a voltage bias the
    part of the current that follows m_z (I/Ic0 = i + g·m_z, from G = G_avg + G_diff·m_z)."""
    h = (np.asarray(drive.field, dtype=float) - h_offset) / hk
    if drive.voltage is None:
        i, g = np.asarray(drive.current, dtype=float) / ic0, 0.0
    else:
        v = np.asarray(drive.voltage, dtype=float)
        g_p = 1.0 / np.asarray(r_p, dtype=float)
        g_ap = g_p / (1.0 + tmr_at_bias(tmr, v, v_half))
        i, g = v * (g_p + g_ap) / 2 / ic0, v * (g_p - g_ap) / 2 / ic0
    return tuple(np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy() for x in (h, i, g))


def _unique_map(func, *columns: np.ndarray) -> np.ndarray:
    """func applied to the distinct rows of ``columns`` only (batches share parameters and drives)."""
    rows, inverse = np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)
    return func(*rows.T)[inverse.ravel()]


def rates(state: int, delta: np.ndarray, tau_d: np.ndarray, drive: tuple[np.ndarray, ...], n_current: float
          ) -> np.ndarray:
    """Escape rate (1/s) out of ``state`` of every device under the normalised ``drive`` (h, i, g)."""
    a, b = fp.drive_coefficients(state, *drive, n_current=n_current)
    return _unique_map(lambda d, a, b, t: fp.escape_rate(d, a, b) / t, delta, a, b, tau_d)


def _landscapes(state, delta, drive, n_current):
    a, b = fp.drive_coefficients(state, *drive, n_current=n_current)
    return a, b, fp.barrier(delta, a, b)


def settled(state: np.ndarray, duration: float, delta: np.ndarray, tau_d: np.ndarray,
            now: tuple[np.ndarray, ...], before: tuple[np.ndarray, ...], n_current: float) -> np.ndarray:
    """Where the first switch of an interval is the stationary escape (exponential at the Markov rate): the state
    is a minimum under ``now`` and the transient that the change from ``before`` causes is over within
    :data:`SETTLED_FRACTION` of ``duration`` (s). The transient lasts the intra-well relaxation time
    τ_D/(2(a + b)) times e^{|δE|}, δE the change of the barrier in kBT (the excess of the old distribution over
    the new barrier top, which drains at the escape rate times e^{δE}); a magnet settling in ms steps through
    fields that move the barrier by a few kBT on a ns well is stationary, a ns pulse is not."""
    s = np.asarray(state, dtype=float)
    a, b, height = _landscapes(s, delta, now, n_current)
    height_before = _landscapes(s, delta, before, n_current)[2]
    with np.errstate(divide="ignore", over="ignore"):
        transient = tau_d / (2 * (a + b)) * np.exp(np.abs(height - height_before))
    return (a + b > 0) & (transient < SETTLED_FRACTION * duration)


def switch_laws(state: np.ndarray, duration: float, delta: np.ndarray, tau_d: np.ndarray,
                now: tuple[np.ndarray, ...], before: tuple[np.ndarray, ...], n_current: float,
                end_only: bool = False) -> tuple[list[SwitchLaw], np.ndarray]:
    """Laws of the first switch of each device out of its ``state`` (±1 array) over ``duration`` (s) under the
    normalised drive ``now``, from the thermal distribution of the drive ``before``: the distinct laws and,
    per device, the index of its law. ``end_only``: only the probability by the end is wanted (a fit), not
    when the switch happens."""
    s = np.asarray(state, dtype=float)
    a, b, height = _landscapes(s, delta, now, n_current)
    a0, b0 = fp.drive_coefficients(s, *before, n_current=n_current)
    changed = np.abs((a + b) - (a0 + b0)) > SMALL_CHANGE * np.abs(a0 + b0)
    markov = (height >= HIGH_BARRIER) | (~changed & (a + b > 0)) | settled(s, duration, delta, tau_d, now, before,
                                                                           n_current)
    rate = _unique_map(lambda d, a, b, t: fp.escape_rate(d, a, b) / t, delta, a, b, tau_d)
    # where the state counts as left: past the top now (by two widths) and past the separatrix after the
    # interval (field only), where the magnetisation relaxes to the other state
    after_a, after_b = fp.drive_coefficients(s, now[0], 0.0, 0.0, n_current)
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(a > 0, np.clip(-b / a, -1, 1) - 2 / np.sqrt(2 * delta * a),
                       np.where(a + b > 0, -1.0, 1.0))
    absorb = np.clip(np.minimum(top, np.clip(-after_b / after_a, -1, 1)), -0.9, 0.9)
    fallback = ~(a0 + b0 > 0)  # the drive before left no well in this state: start from rest
    a0, b0 = np.where(fallback, 1.0, a0), np.where(fallback, 0.0, b0)
    keys = np.stack([delta, a, b, a0, b0, absorb, tau_d, rate, markov], axis=1)
    rows, which = np.unique(keys, axis=0, return_inverse=True)
    laws = [_law(float(duration), *map(float, row), end_only) for row in rows]
    return laws, which.ravel()


@functools.lru_cache(maxsize=1024)  # benches reopened on the same device meet the same pulses
def _law(duration, delta, a, b, a0, b0, absorb, tau_d, rate, markov, end_only) -> SwitchLaw:
    if markov:
        return SwitchLaw(duration, float(rate))
    times = duration * (np.array([0.0, 1.0]) if end_only else np.concatenate(([0.0], np.geomspace(EARLIEST, 1, 160))))
    passage = fp.FirstPassage(fp.Landscape(delta, a, b), fp.Landscape(delta, a0, b0), float(absorb),
                              duration / tau_d, shortest=times[1] / tau_d)
    cdf = np.maximum.accumulate(passage.probability(times / tau_d))
    return SwitchLaw(duration, float(rate), times, cdf)
