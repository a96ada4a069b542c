"""Small fake instruments for the transport tests: enough SCPI to tell messages and responses apart.

(A helper module, not a conftest, so that its name cannot clash with other test folders' modules.)"""

from __future__ import annotations

import threading

IDN = "MTJHW,FAKE-INSTRUMENT,0001,1.0"


class FakeInstrument:
    """Answers ``*IDN?``, ``VOLT?`` (after ``VOLT <value>``), ``COUNT?`` (messages handled so far), ``BLK?``
    (a definite-length block holding a newline byte) and echoes any other query ending in '?' (``ECHO?``
    style) as its own text; commands give no response. Records every message and device clear."""

    BLOCK_DATA = bytes([0, 10, 13, 35, 255, 10])

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.clears = 0
        self.volt = "0"
        self.stb = 0

    def handle(self, message: str) -> str | bytes | None:
        self.messages.append(message)
        if message == "*IDN?":
            return IDN
        if message.startswith("VOLT "):
            self.volt = message[5:]
            return None
        if message == "VOLT?":
            return self.volt
        if message == "COUNT?":
            return str(len(self.messages))
        if message == "BLK?":
            return b"#16" + self.BLOCK_DATA
        if message.endswith("?") and message.isascii() and message.isprintable():
            return message
        return None

    def device_clear(self) -> None:
        self.clears += 1

    def status_byte(self) -> int:
        return self.stb


class LockProbingInstrument(FakeInstrument):
    """Records, for every message, whether ``lock`` was held by the caller (probed from another thread)."""

    def __init__(self, lock: threading.RLock) -> None:
        super().__init__()
        self.lock = lock
        self.held: list[bool] = []

    def handle(self, message: str) -> str | bytes | None:
        result: list[bool] = []

        def probe() -> None:
            acquired = self.lock.acquire(blocking=False)
            if acquired:
                self.lock.release()
            result.append(not acquired)

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        self.held.append(result[0])
        return super().handle(message)


class SharedCounter:
    """Physics shared by several instruments of one bench: a non-atomic read-modify-write counter."""

    def __init__(self) -> None:
        self.value = 0


class CountingInstrument:
    """``INC`` adds one to the shared counter in a deliberately racy way; ``VAL?`` reads it."""

    def __init__(self, counter: SharedCounter) -> None:
        self.counter = counter

    def handle(self, message: str) -> str | None:
        if message == "INC":
            value = self.counter.value
            threading.Event().wait(1e-5)  # give other threads the chance to interleave
            self.counter.value = value + 1
            return None
        if message == "VAL?":
            return str(self.counter.value)
        return None
