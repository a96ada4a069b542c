"""A UART line into an Amaranth simulation, as a byte stream for :class:`~mtjhw.gateware.serial_bus.SerialBus`.

:class:`SimulatedUart` drives the design's receive line bit by bit (8N1, ``divider`` clock cycles per bit) and a
background testbench decodes its transmit line into a buffer, so replies that start while a request is still
being sent are not lost. :func:`simulated_uart_accelerator` puts the UART bridge and the accelerator in the
simulator behind the same :class:`~mtjhw.gateware.accelerator_host.Accelerator` that runs on a board.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .accelerator_host import Accelerator, TdcHost
from .serial_bus import SerialBus
from .sim_thread import SimulationThread
from .top import DEFAULT_CONFIG, TopConfig
from .uart_bridge import UartAccelerator


class SimulatedUart(SimulationThread):
    """The byte stream on ``toplevel``'s UART lines ``rx`` (driven) and ``tx`` (decoded); a read waits at most
    ``read_timeout`` clock cycles for its bytes and returns those that came, as pyserial does."""

    def __init__(self, toplevel: Any, divider: int, clock_period: float = 10e-9, read_timeout: int = 1_000_000,
                 background: tuple = ()) -> None:
        self.line_in, self.line_out = toplevel.rx, toplevel.tx
        self.divider, self.read_timeout = divider, read_timeout
        self._received = bytearray()
        super().__init__(toplevel, clock_period, (*background, self._listen))

    async def _listen(self, ctx) -> None:
        while True:
            while ctx.get(self.line_out):
                await ctx.tick()
            await ctx.tick().repeat(self.divider // 2)  # the middle of the start bit
            bits = []
            for _ in range(9):  # eight data bits and the stop bit
                await ctx.tick().repeat(self.divider)
                bits.append(ctx.get(self.line_out))
            if bits[8]:
                self._received.append(sum(bit << i for i, bit in enumerate(bits[:8])))

    async def _do_write(self, ctx, data: bytes) -> None:
        for byte in data:
            for bit in (0, *(byte >> i & 1 for i in range(8)), 1):
                ctx.set(self.line_in, bit)
                await ctx.tick().repeat(self.divider)

    async def _do_read(self, ctx, size: int) -> bytes:
        waited = 0
        while len(self._received) < size and waited < self.read_timeout:
            await self._tick(ctx)
            waited += 1
        reply = bytes(self._received[:size])
        del self._received[:size]
        return reply

    def write(self, data: bytes) -> int:
        self._call("write", bytes(data))
        return len(data)

    def read(self, size: int) -> bytes:
        return self._call("read", size)


@contextmanager
def simulated_uart_accelerator(config: TopConfig = DEFAULT_CONFIG, divider: int = 8,
                               timeout: float = 600.0) -> Iterator[Accelerator]:
    """The accelerator and its UART bridge in the Amaranth simulator, reached through :class:`SerialBus`."""
    with SimulatedUart(UartAccelerator(config, divider), divider, TdcHost.clock_period) as line:
        yield Accelerator(SerialBus(line), config, timeout)
