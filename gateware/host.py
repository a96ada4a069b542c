"""Host access to the gateware's registers: one small protocol, a board backend and a simulation backend.

``read(offset) -> int`` and ``write(offset, value)`` on byte offsets of 32-bit registers: on a PYNQ board
:class:`MmioBus` wraps ``pynq.MMIO`` (imported only there); in CI :class:`SimulatedAxiBus` drives an AXI-Lite
master against the Amaranth simulation of the same gateware; on the ULX3S
:class:`~mtjhw.gateware.serial_bus.SerialBus` sends the UART bridge's frames. Host classes (:class:`RegisterFile`
and the per-block classes built on it) only see the protocol, so the same code runs on all of them.
"""

from __future__ import annotations

from typing import Any, Protocol

from .axi_lite import OKAY, AxiLiteRegisters
from .registers import RegisterMap
from .sim_thread import SimulationThread


class BusError(RuntimeError):
    """The slave answered an access with an error response (unmapped or read-only register)."""


class RegisterBus(Protocol):
    def read(self, offset: int) -> int: ...

    def write(self, offset: int, value: int) -> None: ...


class MmioBus:
    """``pynq.MMIO`` (or any object with ``read(offset)``/``write(offset, value)``) at the bank's base address."""

    def __init__(self, base_address: int | None = None, length: int = 0x1000, mmio: Any = None) -> None:
        if mmio is None:
            try:
                from pynq import MMIO
            except ImportError:
                raise ImportError("pynq is not installed: on a PYNQ board `pip install mtjhw[pynq]`") from None
            mmio = MMIO(base_address, length)
        self.mmio = mmio

    def read(self, offset: int) -> int:
        return int(self.mmio.read(offset)) & 0xFFFFFFFF

    def write(self, offset: int, value: int) -> None:
        self.mmio.write(offset, int(value) & 0xFFFFFFFF)


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


class RegisterFile:
    """Registers by name over any :class:`RegisterBus`, whole words or by field:
    ``write("ENGINE_CTRL", train=1, label=3)``, ``read_fields("ENGINE_STATUS")["busy"]``."""

    def __init__(self, bus: RegisterBus, register_map: RegisterMap) -> None:
        self.bus, self.map = bus, register_map

    def read(self, name: str) -> int:
        return self.bus.read(self.map[name].offset)

    def read_fields(self, name: str) -> dict[str, int]:
        """The register's field values by name (signed fields as signed integers)."""
        return self.map[name].unpack(self.read(name))

    def write(self, name: str, value: int | None = None, /, **fields: int) -> None:
        """Write the word ``value``, or the word packed from ``fields`` (fields not named take their reset)."""
        register = self.map[name]
        if register.access != "rw":
            raise PermissionError(f"register {name} is read-only")
        if value is not None and fields:
            raise TypeError(f"register {name}: write a whole word or fields, not both")
        self.bus.write(register.offset, register.pack(**fields) if value is None else value)
