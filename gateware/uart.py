"""An 8N1 UART: a receiver and a transmitter with a fixed clocks-per-bit divider (amaranth-stdio is not on PyPI).

Bytes travel as streams (``valid``/``ready``). The line idles high; a frame is a start bit (low), eight data bits
LSB first and a stop bit (high), each ``divider`` clock cycles long (``divider = f_clk / baud``; 100 at 100 MHz and
1 Mbaud). The receiver synchronises its line with two flip-flops, samples each bit in its middle and drops
frames whose stop bit is low (framing errors, e.g. a break or a wrong baud rate).
"""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import cdc, stream, wiring
from amaranth.lib.wiring import In, Out


def _check_divider(divider: int) -> None:
    if divider < 4:
        raise ValueError(f"UART divider must be >= 4 clock cycles per bit, got {divider}")


class UartRx(wiring.Component):
    """``rx`` line in, received bytes out on ``data``; a byte not taken before the next one ends is replaced."""

    def __init__(self, divider: int) -> None:
        _check_divider(divider)
        self.divider = divider
        super().__init__({"rx": In(1, init=1), "data": Out(stream.Signature(8))})

    def elaborate(self, platform) -> Module:
        m = Module()
        line = Signal(init=1)
        m.submodules.sync_rx = cdc.FFSynchronizer(self.rx, line, init=1)
        timer = Signal(range(self.divider))
        bits = Signal(range(9))
        shift = Signal(8)
        with m.If(self.data.ready):
            m.d.sync += self.data.valid.eq(0)
        with m.FSM():
            with m.State("idle"):
                with m.If(~line):
                    m.d.sync += [timer.eq(self.divider // 2 - 1), bits.eq(0)]
                    m.next = "start"
            with m.State("start"):  # the middle of the start bit: still low, or it was a glitch
                m.d.sync += timer.eq(timer - 1)
                with m.If((timer == 0) & line):
                    m.next = "idle"
                with m.Elif(timer == 0):
                    m.d.sync += timer.eq(self.divider - 1)
                    m.next = "data"
            with m.State("data"):
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    m.d.sync += [timer.eq(self.divider - 1), shift.eq(line << 7 | shift >> 1), bits.eq(bits + 1)]
                    with m.If(bits == 7):
                        m.next = "stop"
            with m.State("stop"):
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    with m.If(line):
                        m.d.sync += [self.data.payload.eq(shift), self.data.valid.eq(1)]
                    m.next = "idle"
        return m


class UartTx(wiring.Component):
    """Bytes in on ``data``, the ``tx`` line out."""

    def __init__(self, divider: int) -> None:
        _check_divider(divider)
        self.divider = divider
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        timer = Signal(range(self.divider))
        frame = Signal(10, init=0x3FF)  # the bits still to send, LSB first; all ones when idle
        left = Signal(range(11))
        m.d.comb += [self.tx.eq(frame[0]), self.data.ready.eq(left == 0)]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [frame.eq(1 << 9 | self.data.payload << 1), left.eq(10), timer.eq(self.divider - 1)]
        with m.Elif(left != 0):
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 0):
                m.d.sync += [frame.eq(1 << 9 | frame >> 1), left.eq(left - 1), timer.eq(self.divider - 1)]
        return m
