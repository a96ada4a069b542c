"""Virtual Lake Shore 425 gaussmeter with a Hall probe at the DUT position."""

from __future__ import annotations

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Integer, ScpiError, command

from .base import BenchInstrument

#: UNIT codes → factor from tesla; RANGE codes → full scale in gauss.
_UNITS = {1: 1e4, 2: 1.0, 3: 1e4, 4: 1e4 / (4e-3 * 3.141592653589793)}  # G, T, Oe (in air), A/m
_RANGES_G = {1: 35.0, 2: 350.0, 3: 3500.0, 4: 35000.0}


class LakeShore425(BenchInstrument):
    """Virtual 425: ``RDGFIELD?`` in the selected unit, ranges 35 G … 35 kG, auto range, probe zeroing.

    The probe has a small zero offset (``ZPROBE`` removes it) and noise of 0.002 % of the range.
    """

    idn = ("LSCI", "MODEL425", "LSA1234", "1.0")

    def __init__(self, bench: VirtualBench, probe_offset: float = 2e-5) -> None:
        self.probe_offset = probe_offset  # T
        self.zero = 0.0
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.unit = 1
        self.range = 4
        self.auto = True
        self.mode = (1, 0, 1)

    def field(self) -> float:
        """The probe's reading in tesla (offset, zero correction and noise included)."""
        if self.auto:
            g = abs(self.bench.field) * 1e4
            self.range = next((k for k, fs in _RANGES_G.items() if g < 0.95 * fs), 4)
        full_scale_t = _RANGES_G[self.range] * 1e-4
        noise = 2e-5 * full_scale_t * self.bench.rng.standard_normal()
        return self.bench.field + self.probe_offset - self.zero + noise

    @command("RDGFIELD?")
    def _reading(self) -> str:
        b = self.field()
        if abs(b) * 1e4 > _RANGES_G[self.range] * 1.05:
            return "OL"
        return f"{b * _UNITS[self.unit]:+.4E}"

    @command("UNIT", Integer(1, 1, 4))
    def _set_unit(self, value: int) -> None:
        self.unit = value

    @command("UNIT?")
    def _get_unit(self) -> str:
        return str(self.unit)

    @command("RANGE", Integer(4, 1, 4))
    def _set_range(self, value: int) -> None:
        self.range = value
        self.auto = False

    @command("RANGE?")
    def _get_range(self) -> str:
        return str(self.range)

    @command("AUTO")
    def _auto(self) -> None:
        self.auto = True

    @command("RDGMODE", Integer(1, 1, 2), Integer(0, 0, 1), Integer(1, 1, 2))
    def _set_mode(self, mode: int, filt: int, band: int) -> None:
        self.mode = (mode, filt, band)

    @command("RDGMODE?")
    def _get_mode(self) -> str:
        return ",".join(str(v) for v in self.mode)

    @command("ZPROBE")
    def _zprobe(self) -> None:
        if abs(self.bench.field) > 5e-4:
            raise ScpiError(-221, "zero the probe in a zero-gauss chamber (field present)")
        self.zero = self.probe_offset
