"""Time-to-digital converter: coarse clock counter plus a tapped delay line, and its bit-exact golden model.

The start is synchronous (the readout launches the RC charge on a clock edge); the stop (the comparator edge)
is not. The stop runs down a chain of ``taps`` delay elements that flip-flops sample at every clock edge: at the
first edge after the stop, the number of taps it has passed, ``fine``, measures the time from the stop to that
edge. With ``k`` clock periods from start to that edge the code is ``k·taps − fine``: one LSB is nominally
``clock_period / taps`` and codes grow monotonically with the interval.

In silicon the chain is the FPGA's carry logic (CARRY4 on a Zynq-7000); in simulation the Amaranth simulator
treats such primitives as black boxes, so :class:`DelayLineModel` stands in for it: it turns a stop time into the
thermometer code the flip-flops would capture, with per-tap delays that carry the chain's non-uniformity.
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out


class DelayLineModel:
    """A chain of ``taps`` delays summing to ``clock_period`` (s); ``nonuniformity`` is the relative spread of
    the tap delays (uniform ±), drawn from ``rng``. The chain's real delays are unknown to the host, which learns
    them by code-density calibration."""

    def __init__(self, taps: int, clock_period: float, nonuniformity: float = 0.0,
                 rng: np.random.Generator | None = None) -> None:
        if taps < 2 or not clock_period > 0 or not 0 <= nonuniformity < 1:
            raise ValueError("need taps >= 2, clock_period > 0 and 0 <= nonuniformity < 1")
        rng = rng if rng is not None else np.random.default_rng(0)
        weights = 1 + nonuniformity * rng.uniform(-1, 1, taps)
        self.taps, self.clock_period = taps, clock_period
        self.delays = clock_period * weights / weights.sum()
        self.edges = np.cumsum(self.delays)  # time for the stop to pass each tap

    def passed(self, time_before_edge: np.ndarray) -> np.ndarray:
        """Taps the stop has passed when the edge samples, ``time_before_edge`` (s) after the stop."""
        return np.searchsorted(self.edges, np.asarray(time_before_edge, dtype=float), side="right")

    def thermometer(self, time_before_edge: float) -> int:
        """The sampled chain as an integer (bit i set: tap i passed)."""
        return (1 << int(self.passed(time_before_edge))) - 1


def golden_codes(intervals: np.ndarray, line: DelayLineModel) -> np.ndarray:
    """Bit-exact TDC codes for start-to-stop ``intervals`` (s, > 0): k·taps − fine."""
    t = np.asarray(intervals, dtype=float)
    if np.any(t <= 0):
        raise ValueError("intervals must be > 0 s (the stop follows the start)")
    k = np.ceil(t / line.clock_period).astype(np.int64)
    fine = line.passed(k * line.clock_period - t)
    return k * line.taps - fine


class TDC(wiring.Component):
    """Coarse counter + delay-line interpolator.

    ``start`` (one cycle, synchronous) arms a measurement; ``taps_in`` is the delay line as the flip-flops
    sampled it this cycle (all zero until the stop arrives); the code leaves on the ``codes`` stream. A code that
    would not fit ``code_width`` bits saturates at the largest code (timeout).
    """

    def __init__(self, taps: int = 16, code_width: int = 16) -> None:
        self.taps = taps
        self.code_width = code_width
        super().__init__({
            "start": In(1),
            "taps_in": In(taps),
            "busy": Out(1),
            "codes": Out(stream.Signature(code_width)),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        taps, width = self.taps, self.code_width
        coarse = Signal(width + 1)
        running = Signal()
        limit = (1 << width) - 1
        fine = Signal(range(taps + 1))
        # fine = popcount of the thermometer code: the sampled chain is all ones below the stop's position
        m.d.comb += fine.eq(sum(self.taps_in[i] for i in range(taps)))
        m.d.comb += self.busy.eq(running)
        with m.If(self.codes.valid & self.codes.ready):
            m.d.sync += self.codes.valid.eq(0)
        with m.If(self.start):
            m.d.sync += [coarse.eq(1), running.eq(1)]
        with m.Elif(running):
            with m.If(self.taps_in != 0):
                code = coarse * taps - fine
                m.d.sync += [self.codes.payload.eq(code), self.codes.valid.eq(1), running.eq(0)]
            with m.Elif(coarse * taps > limit):
                m.d.sync += [self.codes.payload.eq(limit), self.codes.valid.eq(1), running.eq(0)]
            with m.Else():
                m.d.sync += coarse.eq(coarse + 1)
        return m
