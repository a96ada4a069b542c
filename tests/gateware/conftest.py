"""Fixtures of the gateware tests."""

import pytest

from mtjhw.gateware.host import MmioBus


class WordArray:
    """Shaped like pynq.MMIO: read(offset) / write(offset, value) on a word array (unwritten words read 0)."""

    def __init__(self) -> None:
        self.words: dict[int, int] = {}

    def read(self, offset: int) -> int:
        return self.words.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        self.words[offset] = value


@pytest.fixture
def mmio_bus() -> MmioBus:
    """The board's register bus over a plain word array instead of ``pynq.MMIO``."""
    return MmioBus(mmio=WordArray())
