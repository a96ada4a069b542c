"""The register protocol against the Amaranth simulation: :class:`SimulatedAxiBus`, an AXI-Lite master in the
simulator behind the same ``read(offset)``/``write(offset, value)`` as :class:`~mtjhw.gateware.host.MmioBus` on a
board, so the host classes run unchanged on both.
"""

from __future__ import annotations

from typing import Any

from .axi_lite import OKAY, AxiLiteRegisters
from .host import BusError
from .sim_thread import SimulationThread


class SimulatedAxiBus(SimulationThread):
    """An AXI-Lite master driving ``slave`` in the Amaranth simulator, on a background thread; accesses block
    until the simulated transaction completes. ``clock_period`` s; close (or use as a context manager) to end."""

    def __init__(self, slave: AxiLiteRegisters | Any, clock_period: float = 10e-9, toplevel: Any = None,
                 background: tuple = ()) -> None:
        """``slave`` has the AXI-Lite ports by their short names (an :class:`AxiLiteRegisters`, or
        ``AcceleratorTop.axi`` with ``toplevel`` the top); ``background`` testbenches run alongside (e.g. an
        analog front-end model)."""
        self.slave = slave
        super().__init__(toplevel if toplevel is not None else slave, clock_period, background, timeout=60.0)

    async def _do_write(self, ctx, offset: int, value: int) -> int:
        s = self.slave
        ctx.set(s.awaddr, offset)
        ctx.set(s.awvalid, 1)
        ctx.set(s.wdata, value)
        ctx.set(s.wstrb, 0xF)
        ctx.set(s.wvalid, 1)
        ctx.set(s.bready, 1)
        aw_done = w_done = False
        while True:
            aw_done |= bool(ctx.get(s.awready))
            w_done |= bool(ctx.get(s.wready))
            await self._tick(ctx)
            if aw_done:
                ctx.set(s.awvalid, 0)
            if w_done:
                ctx.set(s.wvalid, 0)
            if ctx.get(s.bvalid):
                response = ctx.get(s.bresp)
                await self._tick(ctx)
                ctx.set(s.bready, 0)
                return response

    async def _do_read(self, ctx, offset: int) -> tuple[int, int]:
        s = self.slave
        ctx.set(s.araddr, offset)
        ctx.set(s.arvalid, 1)
        ctx.set(s.rready, 1)
        accepted = False
        while True:
            accepted |= bool(ctx.get(s.arready))
            await self._tick(ctx)
            if accepted:
                ctx.set(s.arvalid, 0)
            if ctx.get(s.rvalid):
                data, response = ctx.get(s.rdata), ctx.get(s.rresp)
                await self._tick(ctx)
                ctx.set(s.rready, 0)
                return response, data

    def read(self, offset: int) -> int:
        response, data = self._call("read", offset)
        if response != OKAY:
            raise BusError(f"read at {offset:#x}: slave error response {response}")
        return data

    def write(self, offset: int, value: int) -> None:
        response = self._call("write", offset, int(value) & 0xFFFFFFFF)
        if response != OKAY:
            raise BusError(f"write at {offset:#x}: slave error response {response}")
