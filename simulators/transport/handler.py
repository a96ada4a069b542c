"""The interface a virtual instrument offers to the transports."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class EndOnly(bytes):
    """A binary response the instrument ends with END (EOI) alone, no terminator character (the SR830's
    ``TRCB?``/``TRCL?`` transfers): readers take exactly the bytes they asked for."""


@runtime_checkable
class MessageHandler(Protocol):
    """A virtual instrument as the transports see it.

    ``handle(message)`` gets one complete program message (termination stripped; it may hold several
    ';'-joined commands) and returns the response without termination (str, or bytes for IEEE 488.2
    definite-length blocks), or None when the message produced no response. It never raises for bad input.
    The transports end each response with the terminator, except an :class:`EndOnly` one.

    Optional methods, used when present: ``device_clear()`` (viClear: clear input/output state) and
    ``status_byte() -> int`` (the IEEE 488.2 status byte, for viReadSTB).
    """

    def handle(self, message: str) -> str | bytes | None: ...
