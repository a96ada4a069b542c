"""Host access to the registers over a serial line, through the gateware's :mod:`~mtjhw.gateware.uart_bridge`.

:class:`SerialBus` is a :class:`~mtjhw.gateware.host.RegisterBus`: the host classes (``Accelerator``,
``TrainingEngineHost``, ``TdcHost``) run on it unchanged. It talks to any byte stream with pyserial's
``write(bytes)`` and ``read(n)`` (which returns fewer bytes on its time-out): a ``serial.Serial``
(:meth:`SerialBus.open`, pyserial imported only there) or the simulated UART of the CI tests.
"""

from __future__ import annotations

from typing import Protocol

from .host import BusError
from .uart_bridge import BAD_COMMAND, OKAY, READ, WRITE

BAUD = 1_000_000  # bit/s: the ULX3S build's UART (100 clock cycles per bit at 100 MHz)


class ByteStream(Protocol):
    def write(self, data: bytes) -> int | None: ...

    def read(self, size: int) -> bytes: ...


class SerialBus:
    """32-bit register reads and writes as bridge frames over ``stream``."""

    def __init__(self, stream: ByteStream) -> None:
        self.stream = stream

    @classmethod
    def open(cls, port: str, baudrate: int = BAUD, timeout: float = 1.0) -> SerialBus:
        """A bus on serial ``port`` (``/dev/ttyUSB0``, or a pyserial URL such as ``socket://host:port``) at
        ``baudrate`` bit/s, ``timeout`` s per reply."""
        try:
            import serial
        except ImportError:
            raise ImportError("pyserial is not installed: `pip install pyserial` (mtjhw[gateware])") from None
        return cls(serial.serial_for_url(port, baudrate=baudrate, timeout=timeout))

    def read(self, offset: int) -> int:
        reply = self._transact(bytes([READ]) + _word(offset), 5, f"read at {offset:#x}")
        return int.from_bytes(reply[1:], "little")

    def write(self, offset: int, value: int) -> None:
        self._transact(bytes([WRITE]) + _word(offset) + _word(value & 0xFFFFFFFF), 1, f"write at {offset:#x}")

    def _transact(self, request: bytes, reply_size: int, what: str) -> bytes:
        self.stream.write(request)
        reply = self.stream.read(reply_size)
        if reply[:1] == bytes([BAD_COMMAND]):
            raise BusError(f"{what}: the bridge did not recognise the command (out of step with the host?)")
        if len(reply) < reply_size:
            raise TimeoutError(f"{what}: {len(reply)} of {reply_size} reply bytes came back (no bridge on the "
                               "line, wrong baud rate, or the board is not configured)")
        if reply[0] != OKAY:
            raise BusError(f"{what}: slave error response {reply[0]}")
        return reply


def _word(value: int) -> bytes:
    if not 0 <= value < 1 << 32:
        raise ValueError(f"{value:#x} does not fit a 32-bit bus word")
    return value.to_bytes(4, "little")
