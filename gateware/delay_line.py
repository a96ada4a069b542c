"""The TDC's tapped delay line in silicon: a Zynq-7000 carry chain sampled by flip-flops.

The stop (comparator edge) enters the carry-in of a chain of CARRY4 primitives whose select inputs are all 1, so
the edge ripples up the chain at ~``CARRY_BIT_DELAY`` per bit. Every ``carry4_per_tap`` primitives a tap is taken
and sampled at each clock edge, then registered once more against metastability (the TDC sees the taps one
cycle late, a constant offset that calibration removes with the rest). The chain's real delays vary with
placement, voltage and temperature: code-density calibration (:mod:`mtjhw.gateware.calibration`) measures them.

Amaranth's simulator treats ``Instance`` primitives as black boxes, so simulations drive the TDC's ``taps_in``
from :class:`mtjhw.gateware.tdc.DelayLineModel` instead; this component is only elaborated for board builds.
"""

from __future__ import annotations

from amaranth import Cat, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

CARRY_BIT_DELAY = 17e-12  # s, nominal CARRY4 propagation per bit on a -1 speed grade (order of magnitude)


def carry4_per_tap(taps: int, clock_period: float) -> int:
    """CARRY4 primitives between taps so that the chain spans about one clock period."""
    return max(1, round(clock_period / taps / (4 * CARRY_BIT_DELAY)))


class CarryChainDelayLine(wiring.Component):
    def __init__(self, taps: int, carry4_per_tap: int) -> None:
        if taps < 2 or carry4_per_tap < 1:
            raise ValueError("need taps >= 2 and carry4_per_tap >= 1")
        self.n_taps, self.per_tap = taps, carry4_per_tap
        super().__init__({"stop": In(1), "taps": Out(taps)})

    def elaborate(self, platform) -> Module:
        m = Module()
        carry_in = self.stop
        sampled = []
        for tap in range(self.n_taps):
            for stage in range(self.per_tap):
                carry_out = Signal(4, name=f"carry_{tap}_{stage}")
                first = tap == 0 and stage == 0
                m.submodules[f"carry4_{tap}_{stage}"] = Instance(
                    "CARRY4", i_CI=0 if first else carry_in, i_CYINIT=carry_in if first else 0, i_DI=0, i_S=0b1111,
                    o_CO=carry_out)
                carry_in = carry_out[3]
            sample = Signal(name=f"tap_{tap}")
            m.d.sync += sample.eq(carry_in)
            sampled.append(sample)
        m.d.sync += self.taps.eq(Cat(*sampled))
        return m
