"""Time-to-digital converter: coarse clock counter plus a carry-chain interpolator, and its bit-exact golden model.

The start is synchronous (the readout launches the RC charge on a clock edge); the stop (the comparator edge)
is not. The stop runs down the delay line (:mod:`mtjhw.gateware.delay_line`), whose every tap is sampled at each
clock edge. At the first edge k after the start whose sample holds any tap, ``fine`` taps read 1: the ones in
the sample, counted by :class:`OnesCounter` so that bubbles (taps read out of order) cost no missing codes.
``fine`` grows with the time from the stop to that edge, and the code is ``k·bins − fine``, where ``bins`` is
the number of fine bins a clock period spans. The chain is longer than a period, so ``bins`` is less than the
taps: the host writes it after calibration (``bins`` = the taps before; codes then are monotonic with gaps).
One LSB is on average ``clock_period / bins``.

The ones-counter is pipelined, so the sample of edge k is counted a few cycles later; the TDC delays its start
by the same latency, and the code is the same as without the pipeline. The code arithmetic is pipelined too
(the edge's base and count held, then subtracted, then clamped: a code leaves three cycles after its edge's
count), so that it meets 100 MHz. Simulations drive ``taps_in`` from
:class:`~mtjhw.gateware.delay_line.DelayLineModel`; :func:`golden_codes` is the bit-exact model. Calibrating a
600-tap chain takes ~100 hits per bin, tens of thousands of simulated measurements, so the readout and host
tests use coarse chains of tens of taps (``DelayLineModel.uniform``) and the full-size ones-counter is checked
on its own against bubbly samples of a 7-series chain (``tests/gateware/test_tdc.py``).
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, Mux, Signal, Value, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .delay_line import DelayLineModel

GROUP = 6  # bits counted in one LUT level (a LUT6 per output bit)


class OnesCounter(wiring.Component):
    """``count`` = the number of ones in ``bits``, ``latency`` cycles later: 6-bit groups counted, then a tree of
    registered pairwise adders."""

    def __init__(self, width: int) -> None:
        if width < 1:
            raise ValueError(f"need at least one bit, got {width}")
        self.width = width
        self.latency = 1 + max(-(-width // GROUP) - 1, 0).bit_length()
        super().__init__({"bits": In(width), "count": Out(range(width + 1))})

    def elaborate(self, platform) -> Module:
        m = Module()
        sums = []
        for start in range(0, self.width, GROUP):
            group = self.bits[start:start + GROUP]
            partial = Signal(range(len(group) + 1), name=f"ones_{start}")
            m.d.sync += partial.eq(sum(group[i] for i in range(len(group))))
            sums.append(partial)
        level = 0
        while len(sums) > 1:
            level += 1
            pairs = [sums[i:i + 2] for i in range(0, len(sums), 2)]
            sums = []
            for j, pair in enumerate(pairs):
                total = Signal(range(sum(1 << len(s) for s in pair)), name=f"sum_{level}_{j}")
                m.d.sync += total.eq(sum(pair))
                sums.append(total)
        m.d.comb += self.count.eq(sums[0])
        return m


def golden_codes(intervals: np.ndarray, line: DelayLineModel, bins: int | None = None,
                 code_width: int = 16) -> np.ndarray:
    """Bit-exact TDC codes for start-to-stop ``intervals`` (s, > 0) with ``bins`` per period (default: the
    taps): k·bins − fine at the first edge k whose sample holds a tap, clamped to 0 .. 2^code_width − 1."""
    t = np.asarray(intervals, dtype=float)
    if np.any(t <= 0):
        raise ValueError("intervals must be > 0 s (the stop follows the start)")
    bins = line.taps if bins is None else bins
    k = np.maximum(np.ceil((t + line.thresholds.min()) / line.clock_period), 1).astype(np.int64)
    fine = line.passed(k * line.clock_period - t)
    return np.clip(k * bins - fine, 0, (1 << code_width) - 1)


class TDC(wiring.Component):
    """Coarse counter + carry-chain interpolator.

    ``start`` (one cycle, synchronous) arms a measurement; ``taps_in`` is the delay line as the flip-flops
    sampled it this cycle (all zero until the stop arrives); ``bins`` is the fine bins per clock period; the code
    leaves on the ``codes`` stream. A code that would not fit ``code_width`` bits saturates at the largest code
    (timeout).
    """

    def __init__(self, taps: int = 32, code_width: int = 16) -> None:
        self.taps = taps
        self.code_width = code_width
        self._counter = OnesCounter(taps)
        super().__init__({
            "start": In(1),
            "taps_in": In(taps),
            "bins": In(16, init=taps),
            "busy": Out(1),
            "codes": Out(stream.Signature(code_width)),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.ones = ones = self._counter
        m.d.comb += ones.bits.eq(self.taps_in)
        started = self._delayed_start(m, ones.latency)
        limit = (1 << self.code_width) - 1
        base = Signal(range(limit + self.taps + (1 << 16)))  # k·bins at edge k of the (delayed) measurement
        running, hit, hit_base, hit_fine = Signal(), Signal(), Signal.like(base), Signal.like(ones.count)
        m.d.sync += hit.eq(0)
        with m.If(started):
            m.d.sync += [base.eq(self.bins), running.eq(1)]
        with m.Elif(running):
            with m.If((ones.count != 0) | (base > limit + self.taps)):  # a stop, or every later code too large
                m.d.sync += [hit.eq(1), hit_base.eq(base), hit_fine.eq(ones.count), running.eq(0)]
            with m.Else():
                m.d.sync += base.eq(base + self.bins)
        valid, code = self._clamped(m, hit, hit_base, hit_fine)
        m.d.comb += self.busy.eq(running | hit | valid)
        with m.If(self.codes.valid & self.codes.ready):
            m.d.sync += self.codes.valid.eq(0)
        with m.If(valid):
            m.d.sync += [self.codes.payload.eq(code), self.codes.valid.eq(1)]
        return m

    def _clamped(self, m: Module, hit: Signal, base: Signal, fine: Signal) -> tuple[Signal, Value]:
        """``base − fine`` registered (``valid`` the cycle after ``hit``), and that clamped to 0 .. 2^code_width − 1
        for the caller to register: the subtraction and the clamp in separate cycles."""
        valid, difference = Signal(), Signal(signed(len(base) + 1))
        m.d.sync += [valid.eq(hit), difference.eq(base - fine)]
        too_large = difference[self.code_width:-1].any()
        return valid, Mux(difference[-1], 0, Mux(too_large, (1 << self.code_width) - 1, difference))

    def _delayed_start(self, m: Module, latency: int) -> Signal:
        """``start`` delayed by the ones-counter's ``latency``, so that each edge's count meets its coarse count."""
        stages = [self.start]
        for i in range(latency):
            stage = Signal(name=f"start_{i + 1}")
            m.d.sync += stage.eq(stages[-1])
            stages.append(stage)
        return stages[-1]
