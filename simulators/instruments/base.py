"""Common base of the virtual instruments of one virtual bench."""

from __future__ import annotations

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import ScpiInstrument


class BenchInstrument(ScpiInstrument):
    """A virtual instrument wired to ``bench``: every message is handled under the bench's lock, after the
    bench has caught up with the wall clock when it runs in real time."""

    def __init__(self, bench: VirtualBench) -> None:
        self.bench = bench
        super().__init__()

    def handle(self, message: str) -> str | bytes | None:
        with self.bench.lock:
            self.bench.catch_up()
            return super().handle(message)
