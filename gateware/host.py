"""Host access to the gateware's registers: one small protocol, a board backend and a simulation backend.

``read(offset) -> int`` and ``write(offset, value)`` on byte offsets of 32-bit registers: on a PYNQ board
:class:`MmioBus` wraps ``pynq.MMIO`` (imported only there); in CI :class:`~mtjhw.gateware.sim_bus.SimulatedAxiBus`
drives an AXI-Lite master against the Amaranth simulation of the same gateware; on the ULX3S
:class:`~mtjhw.gateware.serial_bus.SerialBus` sends the UART bridge's frames. Host classes (:class:`RegisterFile`
and the per-block classes built on it) only see the protocol, so the same code runs on all of them. This module
needs neither Amaranth nor numpy.
"""

from __future__ import annotations

from typing import Any, Protocol

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
