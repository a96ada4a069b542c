"""Virtual Lake Shore Model 425 gaussmeter with a Hall probe at the DUT position.

Follows chapter 6 of the Model 425 user's manual. The 425 speaks Lake Shore's own command set, not SCPI: flat
headers (``RDGFIELD?``, ``UNIT 2``), IEEE 488.2 common commands and status registers, and no error queue — a
command it refuses only sets a bit of the Standard Event Status Register (``*ESR?``: CME for an unknown header or
a missing parameter, EXE for a value out of range) and a refused query sends nothing. ``SYST:ERR?`` and
``*OPT?`` are therefore unknown headers here. Replies end with CR LF. The twin still records every refusal in its
``errors`` queue, for tests to inspect; nothing on the wire reads it.
"""

from __future__ import annotations

import math

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Integer, Numeric, ScpiError, Setting, command
from mtjhw.simulators.scpi.instrument import STB_ESB, STB_MSS

from .base import BenchInstrument

#: UNIT codes → reading per tesla: gauss, tesla, oersted (in air), ampere per metre.
_PER_TESLA = {1: 1e4, 2: 1.0, 3: 1e4, 4: 1.0 / (4e-7 * math.pi)}
#: RANGE codes → full scale (G) with the high-sensitivity probe; the display resolves 1/35000 of it.
_RANGES_G = {1: 35.0, 2: 350.0, 3: 3500.0, 4: 35000.0}
#: Limit of the alarm and relative set points: ±350 kG (T).
_SETPOINT_LIMIT_T = 35.0
#: Probe type (``TYPE?``): 40 = high sensitivity, the probe whose ranges are 35 G … 35 kG.
_PROBE_TYPE = 40
#: OPST? operational status bits.
OPST_OVERLOAD, OPST_NEW_READING, OPST_ALARM, OPST_CAL_ERROR, OPST_ZERO_DONE = 0x02, 0x04, 0x08, 0x40, 0x80


def lakeshore_number(value: float) -> str:
    """A reading or set point in the 425's ``±nnn.nnnE±nn`` style (five significant digits)."""
    return f"{value:+.4E}"


class LakeShore425(BenchInstrument):
    """Virtual 425: field readings (DC or RMS) in the selected unit, ranges 35 G … 35 kG with auto range, probe
    zeroing, relative mode, max hold, alarm and relay.

    The probe has a small zero offset (``ZPROBE`` removes it, ``ZCLEAR`` restores it) and noise of 0.002 % of the
    range (a quarter of that with the filter on). In RMS mode (``RDGMODE 2,…``) the static bench field has no AC
    part: the reading is the noise alone. ``REL`` (the front panel's relative display) is recorded; ``RDGREL?``
    answers the field minus ``RELSP`` either way.
    """

    idn = ("LSCI", "MODEL425", "4250123", "1.0")
    reply_termination = "\r\n"
    #: the engine's SCPI additions the 425 does not have: no error queue, no SYST:VERS?, no ``*OPT?``
    withdrawn = ("*OPT?", ":SYSTem:ERRor[:NEXT]?", ":SYSTem:ERRor:ALL?", ":SYSTem:ERRor:COUNt?", ":SYSTem:VERSion?")

    unit = Setting("UNIT", Integer(1, 1, 4))
    auto = Setting("AUTO", Integer(1, 0, 1))
    relative = Setting("REL", Integer(0, 0, 1))

    def __init__(self, bench: VirtualBench, probe_offset: float = 2e-5) -> None:
        self.probe_offset = probe_offset  # T
        self.zero = 0.0  # T subtracted by the last ZPROBE
        self._last_query = ""
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.range = 4
        self.mode = (1, 0, 1)  # DC, filter off, wide band
        self.relative_setpoint = 0.0  # T
        self.alarm = (0, 1, 0.0, 0.0, 1, 0, 0)  # off, magnitude, low (T), high (T), outside, no sort, silent
        self.relay = (0, 1)  # off, low alarm
        self.keypad_lock = (0, 123)  # unlocked, lock code
        self.maximum = 0.0  # T, max hold
        self._latched = 0  # OPST event bits since the last OPST?
        self._opst_time = self.bench.time

    # ----------------------------------------------------------------- probe physics
    def present_range(self) -> int:
        """The RANGE code in use: chosen from the present field when auto range is on."""
        if self.auto:
            g = abs(self.bench.field) * 1e4
            self.range = next((k for k, fs in _RANGES_G.items() if g < 0.95 * fs), 4)
        return self.range

    def field(self) -> float:
        """The probe's reading in tesla (offset, zero correction and noise included; RMS of the noise in RMS mode)."""
        full_scale_t = _RANGES_G[self.present_range()] * 1e-4
        noise = 2e-5 * full_scale_t * self.bench.rng.standard_normal() * (0.25 if self.mode[1] else 1.0)
        b = abs(noise) if self.mode[0] == 2 else self.bench.field + self.probe_offset - self.zero + noise
        resolution = full_scale_t / 35000
        b = round(b / resolution) * resolution
        if abs(b) > abs(self.maximum):
            self.maximum = b
        return b

    def overloaded(self, b: float) -> bool:
        return abs(b) * 1e4 > _RANGES_G[self.range] * 1.05

    def _in_unit(self, b: float) -> str:
        return lakeshore_number(b * _PER_TESLA[self.unit])

    def _to_tesla(self, value: float) -> float:
        b = value / _PER_TESLA[self.unit]
        if abs(b) > _SETPOINT_LIMIT_T:
            raise ScpiError(-222, f"{value:g} beyond ±350 kG")
        return b

    def alarms(self, b: float) -> tuple[bool, bool]:
        """(low, high) alarm states for reading ``b`` (T); with the inside option both mean "inside"."""
        on, mode, low, high, outside, _, _ = self.alarm
        if not on:
            return False, False
        value = abs(b) if mode == 1 else b
        if outside == 2:
            inside = low <= value <= high
            return inside, inside
        return value < low, value > high

    # ----------------------------------------------------------------- readings
    @command("RDGFIELD?")
    def _reading(self) -> str:
        b = self.field()
        return "OL" if self.overloaded(b) else self._in_unit(b)

    @command("RDGREL?")
    def _relative_reading(self) -> str:
        return self._in_unit(self.field() - self.relative_setpoint)

    @command("RDGMX?")
    def _max_reading(self) -> str:
        return self._in_unit(self.maximum)

    @command("RDGMNMX?")
    def _min_max_reading(self) -> str:
        return f"{lakeshore_number(0.0)},{self._in_unit(self.maximum)}"  # the 425 always answers 0 for the minimum

    @command("RANGE", Integer(4, 1, 4))
    def _set_range(self, value: int) -> None:
        self.range = value
        self.auto = 0

    @command("RANGE?")
    def _get_range(self) -> str:
        return str(self.present_range())

    @command("RDGMODE", Integer(1, 1, 2), Integer(0, 0, 1), Integer(1, 1, 2))
    def _set_mode(self, mode: int, filt: int, band: int) -> None:
        self.mode = (mode, filt, band)

    @command("RDGMODE?")
    def _get_mode(self) -> str:
        return ",".join(str(v) for v in self.mode)

    @command("TYPE?")
    def _probe_type(self) -> str:
        return str(_PROBE_TYPE)

    # ----------------------------------------------------------------- zero, relative, alarm, relay
    @command("ZPROBE")
    def _zprobe(self) -> None:
        if abs(self.bench.field) > 5e-4:
            self._latched |= OPST_CAL_ERROR
            raise ScpiError(-221, "zero the probe in a zero-gauss chamber (field present)")
        self.zero = self.probe_offset
        self._latched |= OPST_ZERO_DONE

    @command("ZCLEAR")
    def _zclear(self) -> None:
        self.zero = 0.0

    @command("RELSP", Numeric(0.0))
    def _set_relative_setpoint(self, value: float) -> None:
        self.relative_setpoint = self._to_tesla(value)

    @command("RELSP?")
    def _get_relative_setpoint(self) -> str:
        return self._in_unit(self.relative_setpoint)

    @command("ALARM", Integer(0, 0, 1), Integer(1, 1, 2), Numeric(0.0), Numeric(0.0), Integer(1, 1, 2),
             Integer(0, 0, 1), Integer(0, 0, 1))
    def _set_alarm(self, on: int, mode: int, low: float, high: float, outside: int, sort: int, audible: int) -> None:
        self.alarm = (on, mode, self._to_tesla(low), self._to_tesla(high), outside, sort, audible)

    @command("ALARM?")
    def _get_alarm(self) -> str:
        on, mode, low, high, outside, sort, audible = self.alarm
        return f"{on},{mode},{self._in_unit(low)},{self._in_unit(high)},{outside},{sort},{audible}"

    @command("RELAY", Integer(0, 0, 2), Integer(1, 1, 3))
    def _set_relay(self, mode: int, alarm_type: int) -> None:
        self.relay = (mode, alarm_type)

    @command("RELAY?")
    def _get_relay(self) -> str:
        return ",".join(str(v) for v in self.relay)

    @command("RELAYST?")
    def _relay_state(self) -> str:
        mode, alarm_type = self.relay
        low, high = self.alarms(self.field())
        closed = mode == 1 or (mode == 2 and ((alarm_type & 1 and low) or (alarm_type & 2 and high)))
        return "1" if closed else "0"

    @command("OPST?")
    def _operational_status(self) -> str:
        b = self.field()
        status = self._latched | (OPST_OVERLOAD if self.overloaded(b) else 0)
        if any(self.alarms(b)):
            status |= OPST_ALARM
        if self.bench.time > self._opst_time:
            status |= OPST_NEW_READING
        self._latched, self._opst_time = 0, self.bench.time
        return str(status)

    # ----------------------------------------------------------------- front panel and defaults
    @command("LOCK", Integer(0, 0, 1), Integer(123, 0, 999))
    def _set_lock(self, state: int, code: int) -> None:
        self.keypad_lock = (state, code)

    @command("LOCK?")
    def _get_lock(self) -> str:
        return f"{self.keypad_lock[0]},{self.keypad_lock[1]:03d}"

    @command("DFLT", Integer(0, 0, 99))
    def _defaults(self, key: int) -> None:
        if key != 99:
            raise ScpiError(-224, "DFLT needs 99 (guards against an accidental factory reset)")
        self.reset()

    # ----------------------------------------------------------------- status and message handling
    def status_byte(self) -> int:
        """ESB and MSS only: the 425 has no error queue, so no "error available" bit."""
        stb = STB_ESB if self.esr & self.ese else 0
        return stb | (STB_MSS if stb & self.sre else 0)

    def handle(self, message: str) -> str | bytes | None:
        """Also ``?`` alone: the 425 answers the last query again."""
        if message.strip() == "?":
            return super().handle(self._last_query) if self._last_query else None
        if "?" in message:
            self._last_query = message
        return super().handle(message)

