"""Host access to the gateware's registers: one small protocol, a board backend and a simulation backend.

``read(offset) -> int`` and ``write(offset, value)`` on byte offsets of 32-bit registers: on a PYNQ board
:class:`MmioBus` wraps ``pynq.MMIO`` (imported only there); in CI :class:`SimulatedAxiBus` drives an AXI-Lite
master against the Amaranth simulation of the same gateware. Host classes (:class:`RegisterFile` and the
per-block classes built on it) only see the protocol, so the same code runs on both.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Protocol

from amaranth.sim import Simulator

from .axi_lite import OKAY, AxiLiteRegisters
from .registers import RegisterMap


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


class SimulatedAxiBus:
    """An AXI-Lite master driving ``slave`` in the Amaranth simulator, on a background thread; accesses block
    until the simulated transaction completes. ``clock_period`` s; close (or use as a context manager) to end."""

    def __init__(self, slave: AxiLiteRegisters | Any, clock_period: float = 10e-9, toplevel: Any = None,
                 background: tuple = ()) -> None:
        """``slave`` has the AXI-Lite ports by their short names (an :class:`AxiLiteRegisters`, or
        ``AcceleratorTop.axi`` with ``toplevel`` the top); ``background`` testbenches run alongside (e.g. an
        analog front-end model)."""
        self.slave = slave
        self.cycles = 0
        self._requests: queue.Queue = queue.Queue()
        self._replies: queue.Queue = queue.Queue()
        sim = Simulator(toplevel if toplevel is not None else slave)
        sim.add_clock(clock_period)
        sim.add_testbench(self._serve)
        for process in background:
            sim.add_testbench(process, background=True)
        self._thread = threading.Thread(target=sim.run, daemon=True)
        self._thread.start()

    async def _serve(self, ctx) -> None:
        s = self.slave
        while True:
            request = self._requests.get()  # blocks the simulation until the host asks for something
            if request is None:
                return
            kind, offset, value = request
            if kind == "write":
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
                    await ctx.tick()
                    self.cycles += 1
                    if aw_done:
                        ctx.set(s.awvalid, 0)
                    if w_done:
                        ctx.set(s.wvalid, 0)
                    if ctx.get(s.bvalid):
                        response = ctx.get(s.bresp)
                        await ctx.tick()
                        self.cycles += 1
                        ctx.set(s.bready, 0)
                        self._replies.put(("write", response, 0))
                        break
            else:
                ctx.set(s.araddr, offset)
                ctx.set(s.arvalid, 1)
                ctx.set(s.rready, 1)
                accepted = False
                while True:
                    accepted |= bool(ctx.get(s.arready))
                    await ctx.tick()
                    self.cycles += 1
                    if accepted:
                        ctx.set(s.arvalid, 0)
                    if ctx.get(s.rvalid):
                        data, response = ctx.get(s.rdata), ctx.get(s.rresp)
                        await ctx.tick()
                        self.cycles += 1
                        ctx.set(s.rready, 0)
                        self._replies.put(("read", response, data))
                        break

    def _transact(self, kind: str, offset: int, value: int = 0) -> int:
        if not self._thread.is_alive():
            raise RuntimeError("the simulation has ended")
        self._requests.put((kind, offset, value))
        _, response, data = self._replies.get(timeout=60)
        if response != OKAY:
            raise BusError(f"{kind} at {offset:#x}: slave error response {response}")
        return data

    def read(self, offset: int) -> int:
        return self._transact("read", offset)

    def write(self, offset: int, value: int) -> None:
        self._transact("write", offset, int(value) & 0xFFFFFFFF)

    def close(self) -> None:
        self._requests.put(None)
        self._thread.join(timeout=10)

    def __enter__(self) -> SimulatedAxiBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RegisterFile:
    """Registers by name over any :class:`RegisterBus`."""

    def __init__(self, bus: RegisterBus, register_map: RegisterMap) -> None:
        self.bus, self.map = bus, register_map

    def read(self, name: str) -> int:
        return self.bus.read(self.map[name].offset)

    def write(self, name: str, value: int) -> None:
        register = self.map[name]
        if register.access != "rw":
            raise PermissionError(f"register {name} is read-only")
        self.bus.write(register.offset, value)
