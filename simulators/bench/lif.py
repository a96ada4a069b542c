"""Domain-wall MTJ LIF neuron as a bench DUT: the ``dw-lif`` model.

The neuron (:class:`mtjhw.simulators.physics.lif.DomainWallLifNeuron`) is wired as a two-terminal device: the
source-meter's current flows along the free-layer track (``r_track`` Ω), where above depinning it drives the
domain wall towards the read MTJ, and on through the read MTJ's pillar in series (R_P = ``r_p`` Ω, R_AP =
R_P·(1 + ``tmr``)). The read MTJ is AP while the wall integrates and leaks; when the wall reaches it the neuron
fires and the pillar is P for the ``t_reset`` s the wall takes to reset. So under a current bias the scope across
the DUT sees V = I·(r_track + R_AP) with dips of I·(R_AP − R_P), one per spike, and a source-meter reading the
average over its window. Under a voltage bias the input current while integrating is V/(r_track + R_AP).
"""

from __future__ import annotations

import math

import numpy as np

from mtjhw.simulators.physics.lif import DomainWallLifNeuron, LifParams

from .bias import Bias
from .devices import TwoTerminalDevice

#: Plausible ranges (SI) of the parameters this model adds to the catalogue's
#: (:data:`mtjhw.simulators.bench.models.PLAUSIBLE`): outside them, a unit mistake.
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "mobility": (1e2, 1e10, "(m/s)/A"),
    "tau_leak": (1e-12, 1e-3, "s"),
    "x_threshold": (1e-9, 1e-3, "m"),
    "t_reset": (0.0, 1e-3, "s"),
    "sigma_threshold": (0.0, 0.5, "(relative)"),
    "r_track": (1.0, 1e7, "Ω"),
}

#: Wall position (relative to the threshold) below which it has leaked back to the start.
AT_REST = 1e-12
#: Spikes beyond which a constant-input interval is advanced by whole periods instead of spike by spike.
EXACT_SPIKES = 2000


class LifNeuronDevice(TwoTerminalDevice):
    """A DW-MTJ LIF neuron (``model: dw-lif``) with its read MTJ in series with the track.

    Parameters (SI): those of :class:`~mtjhw.simulators.physics.lif.LifParams` (``i_dep`` A, ``mobility``
    (m/s)/A, ``tau_leak`` s, ``x_threshold`` m, ``t_reset`` s, ``sigma_threshold``, ``r_track`` Ω), the read MTJ's
    ``r_p`` Ω and ``tmr``, ``read_noise``, the breakdown ``v_breakdown`` V, ``gamma_breakdown`` 1/V,
    ``weibull_beta``, ``r_short`` Ω and ``seed`` (of the barrier's life; the threshold spread draws from the
    bench's random stream, afresh whenever the wall has leaked back to the start). An input held for more than
    :data:`EXACT_SPIKES` spikes is advanced by whole periods in the middle (exact without threshold spread, in the
    mean with it)."""

    def __init__(self, *, i_dep: float = LifParams.i_dep, mobility: float = LifParams.mobility,
                 tau_leak: float = LifParams.tau_leak, x_threshold: float = LifParams.x_threshold,
                 t_reset: float = LifParams.t_reset, sigma_threshold: float = LifParams.sigma_threshold,
                 r_track: float = LifParams.r_track, r_p: float = 500.0, tmr: float = 1.5,
                 read_noise: float = 2e-4, v_breakdown: float = 1.5, r_short: float = 150.0,
                 weibull_beta: float = 2.0, gamma_breakdown: float = 20.0, seed: int = 0) -> None:
        super().__init__(read_noise, v_breakdown, r_short, weibull_beta=weibull_beta,
                         gamma_breakdown=gamma_breakdown, seed=seed)
        values = {"mobility": mobility, "tau_leak": tau_leak, "x_threshold": x_threshold, "t_reset": t_reset,
                  "sigma_threshold": sigma_threshold, "r_track": r_track}
        for key, value in values.items():
            low, high, unit = PLAUSIBLE[key]
            if not low <= value <= high:
                raise ValueError(f"{key} = {value!r} is outside the plausible range {low:g}..{high:g} {unit}")
        if not (r_p > 0 and tmr >= 0):
            raise ValueError(f"r_p must be > 0 and tmr >= 0, got {r_p!r}, {tmr!r}")
        self.params = LifParams(i_dep, mobility, tau_leak, x_threshold, t_reset, sigma_threshold, r_track)
        self.neuron = DomainWallLifNeuron(self.params, np.random.default_rng(seed))
        self.r_p, self.r_ap = r_p, r_p * (1.0 + tmr)
        self.clock = 0.0  #: s the device has been advanced
        self.last_spike = -math.inf  #: device time (s) of the latest spike
        self._skipped = 0  # periods the last interval advanced in bulk
        self._fresh = False  # the neuron was started afresh at this rest already

    @property
    def spiking(self) -> bool:
        """Whether the read MTJ is P now (the wall under it, resetting after a spike)."""
        return self.clock < self.last_spike + self.params.t_reset

    def resistance(self, voltage: float) -> float:
        return self.params.r_track + (self.r_p if self.spiking else self.r_ap)

    def input_current(self, bias: Bias) -> float:
        """Current (A) along the track while the wall integrates (the read MTJ AP) under ``bias``."""
        return bias.level if bias.mode == "I" else bias.level / (self.params.r_track + self.r_ap)

    def advance(self, duration: float, bias: Bias, field_t: float, rng: np.random.Generator) -> tuple[float, float]:
        if duration <= 0:
            return self.operating_point(bias)
        start = self.clock
        return self._mean_operating_point(bias, self._p_fraction(self._run(duration, bias, rng), start, duration))

    def voltage_record(self, n: int, dt: float, bias: Bias, rng: np.random.Generator) -> np.ndarray:
        """``n`` samples ``dt`` s apart of the voltage across the DUT from now on, each averaged over its
        interval (what a scope across it records); the device advances by n·dt."""
        start = self.clock
        spikes = self._run(n * dt, bias, rng, exact=True)
        edges = np.arange(n + 1) * dt
        p_time = np.diff(self._p_time_until(edges, spikes - start))
        r_total = self.params.r_track + self.r_ap - (self.r_ap - self.r_p) * p_time / dt
        if bias.mode == "V":
            return np.full(n, bias.level)
        return bias.level * r_total

    # ----------------------------------------------------------------- internals
    def _run(self, duration: float, bias: Bias, rng: np.random.Generator, exact: bool = False) -> np.ndarray:
        """Advance the neuron ``duration`` s under ``bias``; the device times (s) of the P stretches' starts
        that overlap the interval (the spike before it, if still resetting, and those in it). Unless ``exact``,
        whole periods in the middle of a long stretch are skipped and counted in ``_skipped``: the P time
        of the spike run before the skip and that of the spike in progress after it are the same."""
        self._check_breakdown(bias, duration)
        self._skipped = 0  # periods advanced in bulk during this interval
        previous = [self.last_spike] if self.spiking else []
        if self.broken:
            self.clock += duration
            return np.array(previous)
        if not self._fresh and not self.spiking and self.neuron.position <= AT_REST * self.params.x_threshold:
            # the wall is back at the start: a new cycle, its threshold drawn afresh (so a point measured from
            # rest does not depend on the points before it)
            self.neuron, self._fresh = DomainWallLifNeuron(self.params, rng), True
        self.neuron.rng = rng
        current = np.array([self.input_current(bias)])
        period = float(self.params.interval(current[0]))
        start = self.clock
        if exact or duration <= EXACT_SPIKES * period:
            spikes = list(start + self.neuron.run(current, duration))
        else:  # run two periods, skip whole ones (the phase is unchanged), run the rest
            head = 2 * period
            spikes = list(start + self.neuron.run(current, head))
            self._skipped = int((duration - head) // period) - 1
            skip = self._skipped * period
            if spikes:  # where the last of the skipped periods fired
                self.last_spike = spikes[-1] + skip
            spikes += list(start + head + skip + self.neuron.run(current, duration - head - skip))
        self.clock = start + duration
        self._fresh = self._fresh and not spikes and self.neuron.position <= AT_REST * self.params.x_threshold
        if spikes:
            self.last_spike = max(self.last_spike, spikes[-1])
        return np.array(previous + spikes)

    def _p_time_until(self, t: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """P time (s) in [0, t] for each ``t`` (relative to the interval's start), from the sorted,
        non-overlapping P stretches starting at ``starts`` (relative) and lasting ``t_reset``."""
        width = self.params.t_reset
        if starts.size == 0 or width == 0:
            return np.zeros_like(t)
        k = np.searchsorted(starts, t, side="right")  # stretches begun by t
        full = np.concatenate([[0.0], np.cumsum(np.full(starts.size, width))])
        before = full[np.maximum(k - 1, 0)]  # stretches complete before the latest one
        partial = np.where(k > 0, np.clip(t - starts[np.maximum(k - 1, 0)], 0.0, width), 0.0)
        return np.maximum(before + partial - np.maximum(-starts[0], 0.0) * (k > 0), 0.0)

    def _p_fraction(self, starts: np.ndarray, start: float, duration: float) -> float:
        """Fraction of [start, start + duration] the read MTJ spent P."""
        p_time = float(self._p_time_until(np.array([duration]), starts - start)[0])
        return min((p_time + self._skipped * self.params.t_reset) / duration, 1.0)

    def _mean_operating_point(self, bias: Bias, fraction_p: float) -> tuple[float, float]:
        """Time-averaged (V, I) with the read MTJ P for ``fraction_p`` of the time."""
        if self.broken:
            return self.operating_point(bias)
        r_ap, r_p = self.params.r_track + self.r_ap, self.params.r_track + self.r_p
        if bias.mode == "I":
            return bias.level * (fraction_p * r_p + (1 - fraction_p) * r_ap), bias.level
        return bias.level, bias.level * (fraction_p / r_p + (1 - fraction_p) / r_ap)
