"""SCPI-99 / IEEE 488.2 error codes and the bounded error queue read by ``SYST:ERR?``."""

from __future__ import annotations

from collections import deque

#: Standard negative error codes and their messages (SCPI-99 vol. 2, §21.8).
STANDARD_ERRORS: dict[int, str] = {
    0: "No error",
    -100: "Command error",
    -101: "Invalid character",
    -102: "Syntax error",
    -103: "Invalid separator",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -120: "Numeric data error",
    -131: "Invalid suffix",
    -141: "Invalid character data",
    -151: "Invalid string data",
    -200: "Execution error",
    -211: "Trigger ignored",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -230: "Data corrupt or stale",
    -240: "Hardware error",
    -300: "Device-specific error",
    -350: "Queue overflow",
    -363: "Input buffer overrun",
    -410: "Query INTERRUPTED",
    -420: "Query UNTERMINATED",
}


class ScpiError(Exception):
    """An SCPI error raised while parsing or executing a command; the engine queues it, never propagates it."""

    def __init__(self, code: int, info: str = "") -> None:
        self.code = code
        self.info = info
        super().__init__(self.text)

    @property
    def text(self) -> str:
        base = STANDARD_ERRORS.get(self.code, "Device-specific error")
        return f"{base}; {self.info}" if self.info else base


class ErrorQueue:
    """FIFO of (code, message) with SCPI overflow semantics: when full, the newest entry becomes -350."""

    def __init__(self, size: int = 10) -> None:
        self.size = size
        self._queue: deque[tuple[int, str]] = deque()

    def push(self, code: int, message: str) -> None:
        if len(self._queue) >= self.size:
            self._queue[-1] = (-350, STANDARD_ERRORS[-350])
            return
        self._queue.append((code, message))

    def pop(self) -> tuple[int, str]:
        return self._queue.popleft() if self._queue else (0, STANDARD_ERRORS[0])

    def clear(self) -> None:
        self._queue.clear()

    def __len__(self) -> int:
        return len(self._queue)
