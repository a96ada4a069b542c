"""Virtual Keysight 81160A pulse/function generator and 33522B (33500 series) waveform generator, two channels
each, driving the DUT through the bias tee.

Each twin answers its own manual's command tree: the 81160A its ``[:SOURce]:VOLTage[1|2]``, ``:PULSe:WIDTh[1|2]``,
``:BURSt[1|2]``, ``:ARM:SOURce[1|2]``, ``:OUTPut[1|2]`` headers (channel suffix on the subsystem node, ``SOURce``
takes none) with the 33250A-compatible ``[:SOURce]:FUNCtion[1|2]:PULSe`` and ``:APPLy[1|2]`` forms; the 33522B
its ``[SOURce[1|2]:]…``, ``OUTPut[1|2]``, ``TRIGger[1|2]`` headers, NR3 replies with 15 decimals and ``+0,"No
error"``. A numeric suffix where the header takes none, or a channel that does not exist, is -114 (header suffix
out of range), as on the real instruments. Levels (amplitude/offset/high/low, in Vpp, Vrms or dBm) are one coupled
pair per channel, checked against the level window for the programmed load and, while ``VOLTage:LIMit:STATe`` is
on, against the output's own voltage limits (-221 outside them; limits from the 81160A's manual and PyMeasure's
driver, the 33500 series' ``VOLTage:LIMit:HIGH|LOW|STATe`` from its programming reference); pulse width, duty
cycle and period are coupled as the ``PULSe:HOLD`` setting says.

Bursts: a bus or manual trigger (``*TRG``; ``:TRIGger<n>`` for channel n alone) fires ``NCYCles`` periods on every
channel whose output is on, whose function is pulse, whose burst is enabled and whose trigger waits for the bus (33522B
``TRIGger:SOURce BUS``; 81160A ``:ARM:SOURce MANual|EXTernal`` or ``:TRIGger:SOURce BUS|EXTernal``). The
channels' pulses add at the DUT (a combiner into the bias tee's AC port), and each period start is a trigger-out
edge for instruments armed on the trigger line.

Voltage at the DUT: the pulse's high−low swing (the AC-coupled port blocks any DC level; inverted polarity makes
it negative, the idle level being the high one), scaled by (R + 50 Ω)/R for an output programmed for a load R
(``:OUTPut:LOAD``; doubled for 50 Ω) since the DUT is high-impedance; with ``LOAD INF`` the programmed level is
what the DUT sees.
"""

from __future__ import annotations

import math
import re
import struct
from abc import ABC, abstractmethod
from typing import ClassVar

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.pulses import PulseTrain
from mtjhw.simulators.scpi import (
    Boolean,
    ChannelSetting,
    Enum,
    ErrorQueue,
    Integer,
    Numeric,
    Raw,
    ScpiError,
    Setting,
    String,
    Variadic,
    command,
)
from mtjhw.simulators.scpi.parameters import SCPI_INFINITY

from .base import BenchInstrument

_CHANNELS = (1, 2)
_INF = SCPI_INFINITY  # what a query answers for an infinite load or count
_HIGH_Z = 1e37  # a load at or above this is high impedance
_SQRT2, _SQRT3 = math.sqrt(2.0), math.sqrt(3.0)
#: Peak-to-peak over rms voltage of each waveform (noise, arbitrary and user waveforms counted as sine).
_CREST = {"SQUARE": 2.0, "PULSE": 2.0, "RAMP": 2 * _SQRT3, "TRIANGLE": 2 * _SQRT3, "DC": 1.0}
_BLOCK = re.compile(r"(?<=[\s,])#([1-9])")


def _extract_blocks(message: str) -> tuple[str, list[bytes]]:
    """``message`` with each IEEE 488.2 definite-length block replaced by a ``#BLOCK<i>`` token, and the blocks'
    bytes (the engine splits program data at ``,`` and ``;``, which a binary block may contain). A block must be
    followed by a separator or the end of the message, else -103."""
    parts: list[str] = []
    blocks: list[bytes] = []
    pos = 0
    while (m := _BLOCK.search(message, pos)) is not None:
        digits_end = m.end() + int(m.group(1))
        digits = message[m.end():digits_end]
        if len(digits) < int(m.group(1)) or not digits.isdigit():
            parts.append(message[pos:m.end()])
            pos = m.end()
            continue
        end = digits_end + int(digits)
        if message[end:end + 1] not in ("", ";", ",", " ", "\t"):
            raise ScpiError(-103, f"{message[end:end + 12]!r} right after a {int(digits)}-byte block")
        parts += [message[pos:m.start()], f"#BLOCK{len(blocks)}"]
        blocks.append(message[digits_end:end].encode("latin-1"))
        pos = end
    parts.append(message[pos:])
    return "".join(parts), blocks


class _Number(Numeric):
    """A number in its range or, with ``infinity``, INFinity (9.9E+37, what a load or a count can be); with
    ``nr3`` answered as the 33500 series does, NR3 with 15 decimals (``+1.000000000000000E+03``)."""

    def __init__(self, default: float | None = None, minimum: float = -math.inf, maximum: float = math.inf,
                 unit: str = "", *, integer: bool = False, infinity: bool = False, nr3: bool = False) -> None:
        super().__init__(default, minimum, maximum, unit, integer=integer, infinity=infinity)
        self.nr3 = nr3

    def format(self, value: float) -> str:
        return f"{float(value):+.15E}" if self.nr3 else super().format(value)


def _nr3(default: float | None = None, minimum: float = -math.inf, maximum: float = math.inf, unit: str = "",
         **kwargs: bool) -> _Number:
    """A 33500-series number (NR3, 15 decimals)."""
    return _Number(default, minimum, maximum, unit, nr3=True, **kwargs)


_REPLY_33500 = _nr3()  # the 33500 series' reply format of computed values
_REPLY_81160A = Numeric()  # the 81160A's


class _PulseGenerator(BenchInstrument, ABC):
    """What both generators share: coupled levels, the pulse period/width/duty-cycle coupling, user waveform
    memory, the burst model and the bench coupling. A subclass declares the settings (``shape``, ``high``, ``low``,
    ``unit``, ``period``, ``width``, ``hold``, ``delay``, ``burst``, ``cycles``, ``output``, ``load``, ``polarity``)
    under its own headers and says which channels a bus trigger fires (:meth:`_armed`)."""

    #: Level window (±V) and largest amplitude (Vpp), both into 50 Ω; they scale by 2R/(R + 50 Ω). The smallest
    #: amplitude (33522B 1 mVpp, 81160A 50 mVpp into 50 Ω) is not enforced: mtjhw's switching procedure
    #: calibrates with 1 mV pulses into a high-impedance load (``mtjhw.procedures.switching_probability``).
    level_max_50: ClassVar[float] = 5.0
    amplitude_max_50: ClassVar[float] = 10.0
    #: The DAC range of waveform data (±counts) and the number of points a waveform must have.
    dac_max: ClassVar[int] = 32767
    min_points: ClassVar[int] = 8

    def __init__(self, bench: VirtualBench) -> None:
        self.bursts_fired = 0
        self.actions: list[str] = []  #: commands accepted without a modelled effect (beeps, phase sync …)
        self._blocks: list[bytes] = []
        super().__init__(bench)

    # ----------------------------------------------------------------- parsing helpers
    def handle(self, message: str) -> str | bytes | None:
        try:
            text, self._blocks = _extract_blocks(message)
        except ScpiError as err:
            self.push_error(err.code, err.text)
            return None
        return super().handle(text)

    @staticmethod
    def _channel(n: int) -> int:
        if n not in _CHANNELS:
            raise ScpiError(-114, f"channel {n} (this instrument has 1, 2)")
        return n

    def _block(self, token: str) -> bytes | None:
        """The bytes of a ``#BLOCK<i>`` token, None for any other token."""
        m = re.fullmatch(r"#BLOCK(\d+)", token)
        return self._blocks[int(m.group(1))] if m else None

    def _dac_points(self, tokens: list[str]) -> list[float]:
        """Waveform points in [-1, 1] from DAC counts: comma-separated integers or one block of int16, most
        significant byte first (``FORMat:BORDer NORMal``, the default)."""
        block = self._block(tokens[0]) if len(tokens) == 1 else None
        if block is not None:
            counts = list(struct.unpack(f">{len(block) // 2}h", block[: len(block) // 2 * 2]))
        else:
            counts = [Integer(0, -self.dac_max, self.dac_max).parse(t) for t in tokens]
        if any(abs(c) > self.dac_max for c in counts):
            raise ScpiError(-222, f"DAC value outside ±{self.dac_max}")
        return self._checked_points([c / self.dac_max for c in counts])

    def _checked_points(self, points: list[float]) -> list[float]:
        if len(points) < self.min_points:
            raise ScpiError(-109, f"{len(points)} points, a waveform needs at least {self.min_points}")
        return points

    # ----------------------------------------------------------------- levels
    def _load_scale(self, ch: int) -> float:
        """Programmed level into the load over the level into 50 Ω: 2R/(R + 50 Ω)."""
        load = self.load[ch]
        return 2.0 if load >= _HIGH_Z else 2.0 * load / (load + 50.0)

    def _crest(self, ch: int) -> float:
        return _CREST.get(self.shape[ch], 2 * _SQRT2)

    def _to_vpp(self, ch: int, value: float) -> float:
        """An amplitude in the channel's unit (``VOLTage:UNIT``) as Vpp."""
        unit = self.unit[ch]
        if unit == "VRMS":
            return value * self._crest(ch)
        if unit == "DBM":
            return math.sqrt(self._dbm_load(ch) * 1e-3 * 10 ** (value / 10)) * self._crest(ch)
        return value

    def _from_vpp(self, ch: int, vpp: float) -> float:
        unit = self.unit[ch]
        if unit == "VRMS":
            return vpp / self._crest(ch)
        if unit == "DBM":
            vrms = vpp / self._crest(ch)
            return 10 * math.log10(vrms ** 2 / (self._dbm_load(ch) * 1e-3)) if vrms > 0 else -_INF
        return vpp

    def _dbm_load(self, ch: int) -> float:
        if self.load[ch] >= _HIGH_Z:
            raise ScpiError(-221, "dBm needs a finite output load (OUTPut:LOAD)")
        return self.load[ch]

    def _check_unit(self, ch: int) -> None:
        """``after`` hook of ``VOLTage:UNIT``."""
        if self.unit[ch] == "DBM":
            self._dbm_load(ch)

    def _set_levels(self, ch: int, high: float, low: float) -> None:
        """Program ``high`` and ``low`` (V into the programmed load) after checking them against the level window."""
        scale = self._load_scale(ch)
        window, eps = self.level_max_50 * scale, 1e-9
        if max(abs(high), abs(low)) > window + eps:
            raise ScpiError(-222, f"levels {low:g}..{high:g} V outside ±{window:g} V for this load")
        if high - low > self.amplitude_max_50 * scale + eps:
            raise ScpiError(-222, f"amplitude {high - low:g} Vpp above {self.amplitude_max_50 * scale:g} Vpp")
        if high < low:
            raise ScpiError(-221, f"high level {high:g} V below low level {low:g} V")
        self._check_limits(ch, high, low)
        self.high[ch], self.low[ch] = high, low

    def _check_limits(self, ch: int, high: float, low: float) -> None:
        """The output's own voltage limits (``VOLTage:LIMit``, settings ``limit_high``, ``limit_low``,
        ``limit_state``), in the programmed levels' terms: while on, levels outside them are refused (-221)."""
        if self.limit_state[ch] and not self.limit_low[ch] <= low <= high <= self.limit_high[ch]:
            raise ScpiError(-221, f"Settings conflict; levels {low:g}..{high:g} V outside the voltage limits "
                                  f"{self.limit_low[ch]:g}..{self.limit_high[ch]:g} V")

    def _check_limit_state(self, ch: int) -> None:
        """A limit (or switching them on) that the present levels would break is refused (-221)."""
        self._check_limits(ch, self.high[ch], self.low[ch])

    def _amplitude(self, ch: int) -> float:
        return self._from_vpp(ch, self.high[ch] - self.low[ch])

    def _offset(self, ch: int) -> float:
        return 0.5 * (self.high[ch] + self.low[ch])

    def _set_amplitude(self, ch: int, value: float) -> None:
        half, offset = 0.5 * self._to_vpp(ch, value), self._offset(ch)
        self._set_levels(ch, offset + half, offset - half)

    def _set_offset(self, ch: int, value: float) -> None:
        half = 0.5 * (self.high[ch] - self.low[ch])
        self._set_levels(ch, value + half, value - half)

    def _set_load(self, ch: int, value: float) -> None:
        """A new expected load: the output stays as it is, so the programmed levels rescale to the new load."""
        old = self._load_scale(ch)
        self.load[ch] = value
        ratio = self._load_scale(ch) / old
        self.high[ch], self.low[ch] = self.high[ch] * ratio, self.low[ch] * ratio

    # ----------------------------------------------------------------- pulse timing
    def _set_period(self, ch: int, value: float) -> None:
        """A new pulse period; with ``PULSe:HOLD DCYCle`` the width follows to keep the duty cycle."""
        if self.hold[ch] == "DCYCLE":
            self.width[ch] *= value / self.period[ch]
        self.period[ch] = value

    def _set_frequency(self, ch: int, value: float) -> None:
        self._set_period(ch, 1.0 / value)

    def _duty_cycle(self, ch: int) -> float:
        return 100.0 * self.width[ch] / self.period[ch]

    def _set_duty_cycle(self, ch: int, value: float) -> None:
        self.width[ch] = value / 100.0 * self.period[ch]

    # ----------------------------------------------------------------- bursts
    @abstractmethod
    def _armed(self, ch: int) -> bool:
        """Whether channel ``ch`` waits for a bus trigger."""

    def _armed_channels(self, channels: tuple[int, ...]) -> list[int]:
        return [ch for ch in channels if self.output[ch] and self.burst[ch] and self.shape[ch] == "PULSE"
                and self._armed(ch)]

    def fire(self, channels: tuple[int, ...] = _CHANNELS) -> None:
        """Run one burst on those of ``channels`` that are armed (``*TRG``: all; ``TRIGger<n>``: channel n)."""
        channels = self._armed_channels(channels)
        if not channels:
            raise ScpiError(-211, "no channel has output on, a pulse burst and a bus/manual trigger")
        periods = {self.period[ch] for ch in channels}
        counts = {self.cycles[ch] for ch in channels}
        if len(periods) > 1 or len(counts) > 1:
            raise ScpiError(-221, "channels in one burst need the same period and cycle count")
        period, count = periods.pop(), counts.pop()
        if count >= _INF:
            raise ScpiError(-221, "an infinite burst never ends")
        trains = []
        for ch in channels:
            if self.delay[ch] + self.width[ch] > period:
                raise ScpiError(-221, f"channel {ch}: delay + width exceed the period")
            sign = -1.0 if self.polarity[ch] == "INVERTED" else 1.0
            swing = sign * (self.high[ch] - self.low[ch]) * 2.0 / self._load_scale(ch)
            trains.append(PulseTrain(swing, self.width[ch], self.delay[ch]))
        self.bench.pulse_burst(trains, period, int(count))
        self.bursts_fired += 1

    @command("*TRG")
    def _trg(self) -> None:
        self.fire()

    @command(":TRIGger#[:IMMediate]")
    def _trigger(self, ch: int) -> None:
        self.fire((self._channel(ch),))


class Keysight81160A(_PulseGenerator):
    """Two-channel 330 MHz pulse/function/arbitrary generator (option 002); width 1.5 ns … 999.5 s, period
    3.03 ns … 10⁶ s, levels ±5 V into 50 Ω (±10 V into high impedance), 14-bit user waveforms."""

    idn = ("Agilent Technologies", "81160A", "DE49A00123", "2.0.1.0")
    installed_options = ("002",)
    level_max_50, amplitude_max_50 = 5.0, 5.0
    dac_max, min_points = 8191, 2
    nonvolatile_slots: ClassVar[int] = 4

    shape = ChannelSetting("[:SOURce]:FUNCtion#[:SHAPe]", Enum(["SINusoid", "SQUare", "RAMP", "PULSe", "NOISe",
                                                                "DC", "USER"], "SINusoid"))
    user_waveform = ChannelSetting("[:SOURce]:FUNCtion#:USER", Raw("VOLATILE"), read_only=True)
    square_duty = ChannelSetting("[:SOURce]:FUNCtion#:SQUare:DCYCle", Numeric(50.0, 0.0001515, 99.9998485))
    ramp_symmetry = ChannelSetting("[:SOURce]:FUNCtion#:RAMP:SYMMetry", Numeric(100.0, 0.0, 100.0))
    period = ChannelSetting("[:SOURce]:PULSe:PERiod#", Numeric(1e-6, 3.03e-9, 1e6, "S"), read_only=True)
    width = ChannelSetting("[:SOURce]:PULSe:WIDTh#", Numeric(100e-9, 1.5e-9, 999.5, "S"))
    hold = ChannelSetting("[:SOURce]:PULSe:HOLD#", Enum(["WIDTh", "DCYCle", "TDELay"], "WIDTh"))
    delay = ChannelSetting("[:SOURce]:PULSe:DELay#", Numeric(0.0, 0.0, 999.0, "S"))
    leading = ChannelSetting("[:SOURce]:PULSe:TRANsition#[:LEADing]", Numeric(2.5e-9, 1e-9, 1e3, "S"))
    trailing = ChannelSetting("[:SOURce]:PULSe:TRANsition#:TRAiling", Numeric(2.5e-9, 1e-9, 1e3, "S"))
    high = ChannelSetting("[:SOURce]:VOLTage#[:LEVel][:IMMediate]:HIGH", Numeric(0.5), read_only=True)
    low = ChannelSetting("[:SOURce]:VOLTage#[:LEVel][:IMMediate]:LOW", Numeric(0.0), read_only=True)
    unit = ChannelSetting("[:SOURce]:VOLTage#:UNIT", Enum(["VPP", "VRMS", "DBM"], "VPP"), after="_check_unit")
    limit_high = ChannelSetting("[:SOURce]:VOLTage#:LIMit[:HIGH]", Numeric(5.0, -9.99, 10.0, "V"),
                                after="_check_limit_state")
    limit_low = ChannelSetting("[:SOURce]:VOLTage#:LIMit:LOW", Numeric(-5.0, -10.0, 9.99, "V"),
                               after="_check_limit_state")
    limit_state = ChannelSetting("[:SOURce]:VOLTage#:LIMit:STATe", Boolean(False), after="_check_limit_state")
    phase = ChannelSetting("[:SOURce]:PHASe#[:ADJust]", Numeric(0.0, -360.0, 360.0, "DEG"))
    burst = ChannelSetting("[:SOURce]:BURSt#[:STATe]", Boolean(False))
    burst_mode = ChannelSetting("[:SOURce]:BURSt#:MODE", Enum(["TRIGgered", "GATed"], "TRIGgered"))
    cycles = ChannelSetting("[:SOURce]:BURSt#:NCYCles", Integer(1, 1, 2_147_483_647))
    burst_period = ChannelSetting("[:SOURce]:BURSt#:INTernal:PERiod", Numeric(1e-3, 3.03e-9, 1e6, "S"))
    arm = ChannelSetting(":ARM:SOURce#", Enum(["IMMediate", "INTernal2", "EXTernal", "MANual"], "IMMediate"))
    trigger_source = ChannelSetting(":TRIGger#:SOURce", Enum(["IMMediate", "INTernal", "INTernal2", "EXTernal",
                                                               "BUS"], "IMMediate"))
    output = ChannelSetting(":OUTPut#[:NORMal][:STATe]", Boolean(False))
    load = ChannelSetting(":OUTPut#:LOAD", _Number(50.0, 0.3, 1e6, "OHM", infinity=True), read_only=True)
    polarity = ChannelSetting(":OUTPut#:POLarity", Enum(["NORMal", "INVerted"], "NORMal"))
    coupling = ChannelSetting(":TRACe:CHANnel#[:STATe]", Boolean(False))

    def __init__(self, bench: VirtualBench) -> None:
        self.waveforms: dict[str, list[float]] = {}  #: "VOLATILE" and the stored user waveforms: points in [-1, 1]
        super().__init__(bench)

    def _armed(self, ch: int) -> bool:
        return self.arm[ch] in ("MANUAL", "EXTERNAL") or self.trigger_source[ch] in ("BUS", "EXTERNAL")

    @command(":TRIGger#:COUNt", Integer(None, 1, 2_147_483_647))
    def _trigger_count_set(self, ch: int, value: int) -> None:
        """The burst count under its trigger-subsystem name: sets ``BURSt:NCYCles``, and a count above 1 is a burst."""
        self.cycles[self._channel(ch)] = value
        self.burst[ch] = value > 1

    @command(":TRIGger#:COUNt?")
    def _trigger_count_query(self, ch: int) -> str:
        return str(self.cycles[self._channel(ch)])

    # ----------------------------------------------------------------- levels
    @command("[:SOURce]:VOLTage#[:LEVel][:IMMediate][:AMPLitude]", Numeric(None, unit="V"))
    def _amplitude_set(self, ch: int, value: float) -> None:
        self._set_amplitude(self._channel(ch), value)

    @command("[:SOURce]:VOLTage#[:LEVel][:IMMediate][:AMPLitude]?")
    def _amplitude_query(self, ch: int) -> str:
        return _REPLY_81160A.format(self._amplitude(self._channel(ch)))

    @command("[:SOURce]:VOLTage#[:LEVel][:IMMediate]:OFFSet", Numeric(None, unit="V"))
    def _offset_set(self, ch: int, value: float) -> None:
        self._set_offset(self._channel(ch), value)

    @command("[:SOURce]:VOLTage#[:LEVel][:IMMediate]:OFFSet?")
    def _offset_query(self, ch: int) -> str:
        return _REPLY_81160A.format(self._offset(self._channel(ch)))

    @command("[:SOURce]:VOLTage#[:LEVel][:IMMediate]:HIGH", Numeric(None, unit="V"))
    def _high_set(self, ch: int, value: float) -> None:
        self._set_levels(self._channel(ch), value, self.low[ch])

    @command("[:SOURce]:VOLTage#[:LEVel][:IMMediate]:LOW", Numeric(None, unit="V"))
    def _low_set(self, ch: int, value: float) -> None:
        self._set_levels(self._channel(ch), self.high[ch], value)

    @command(":OUTPut#:LOAD", _Number(None, 0.3, 1e6, "OHM", infinity=True))
    def _load_set(self, ch: int, value: float) -> None:
        self._set_load(self._channel(ch), value)

    # ----------------------------------------------------------------- timing
    @command("[:SOURce]:PULSe:PERiod#", Numeric(None, 3.03e-9, 1e6, "S"))
    def _period_set(self, ch: int, value: float) -> None:
        self._set_period(self._channel(ch), value)

    @command("[:SOURce]:FREQuency#[:CW]", Numeric(None, 1e-6, 500e6, "HZ"))
    def _frequency_set(self, ch: int, value: float) -> None:
        self._set_frequency(self._channel(ch), value)

    @command("[:SOURce]:FREQuency#[:CW]?")
    def _frequency_query(self, ch: int) -> str:
        return _REPLY_81160A.format(1.0 / self.period[self._channel(ch)])

    @command("[:SOURce]:PULSe:DCYCle#", Numeric(None, 0.0, 100.0))
    @command("[:SOURce]:FUNCtion#:PULSe:DCYCle", Numeric(None, 0.0, 100.0))
    def _duty_set(self, ch: int, value: float) -> None:
        self._set_duty_cycle(self._channel(ch), value)

    @command("[:SOURce]:PULSe:DCYCle#?")
    @command("[:SOURce]:FUNCtion#:PULSe:DCYCle?")
    def _duty_query(self, ch: int) -> str:
        return _REPLY_81160A.format(self._duty_cycle(self._channel(ch)))

    @command("[:SOURce]:FUNCtion#:PULSe:WIDTh", Numeric(None, 1.5e-9, 999.5, "S"))
    def _compat_width_set(self, ch: int, value: float) -> None:
        self.width[self._channel(ch)] = value

    @command("[:SOURce]:FUNCtion#:PULSe:WIDTh?")
    def _compat_width_query(self, ch: int) -> str:
        return _REPLY_81160A.format(self.width[self._channel(ch)])

    @command("[:SOURce]:FUNCtion#:PULSe:HOLD", Enum(["WIDTh", "DCYCle", "TDELay"]))
    def _compat_hold_set(self, ch: int, value: str) -> None:
        self.hold[self._channel(ch)] = value

    @command("[:SOURce]:FUNCtion#:PULSe:HOLD?")
    def _compat_hold_query(self, ch: int) -> str:
        return type(self).hold.param.format(self.hold[self._channel(ch)])

    @command("[:SOURce]:FUNCtion#:PULSe:TRANsition", Numeric(None, 1e-9, 1e3, "S"))
    def _compat_edges_set(self, ch: int, value: float) -> None:
        self.leading[self._channel(ch)] = self.trailing[ch] = value

    @command("[:SOURce]:FUNCtion#:PULSe:TRANsition?")
    def _compat_edges_query(self, ch: int) -> str:
        return _REPLY_81160A.format(self.leading[self._channel(ch)])

    # ----------------------------------------------------------------- APPLy
    def _apply(self, ch: int, shape: str, frequency: float, amplitude: float, offset: float) -> None:
        """``APPLy``: function, frequency, amplitude and offset in one command, then the output on."""
        ch = self._channel(ch)
        self.shape[ch] = shape
        self._set_frequency(ch, frequency)
        if shape == "DC":
            self._set_levels(ch, offset, offset)
        else:
            half = 0.5 * self._to_vpp(ch, amplitude)
            self._set_levels(ch, offset + half, offset - half)
        self.output[ch] = True

    _APPLY = (Numeric(1e6, 1e-6, 500e6, "HZ", optional=True), Numeric(1.0, 0.0, 10.0, "", optional=True),
              Numeric(0.0, -10.0, 10.0, "V", optional=True))

    @command("[:SOURce]:APPLy#:SINusoid", *_APPLY)
    def _apply_sin(self, ch: int, *values: float) -> None:
        self._apply(ch, "SINUSOID", *values)

    @command("[:SOURce]:APPLy#:SQUare", *_APPLY)
    def _apply_square(self, ch: int, *values: float) -> None:
        self._apply(ch, "SQUARE", *values)

    @command("[:SOURce]:APPLy#:RAMP", *_APPLY)
    def _apply_ramp(self, ch: int, *values: float) -> None:
        self._apply(ch, "RAMP", *values)

    @command("[:SOURce]:APPLy#:PULSe", *_APPLY)
    def _apply_pulse(self, ch: int, *values: float) -> None:
        self._apply(ch, "PULSE", *values)

    @command("[:SOURce]:APPLy#:NOISe", *_APPLY)
    def _apply_noise(self, ch: int, *values: float) -> None:
        self._apply(ch, "NOISE", *values)

    @command("[:SOURce]:APPLy#:DC", *_APPLY)
    def _apply_dc(self, ch: int, *values: float) -> None:
        self._apply(ch, "DC", *values)

    @command("[:SOURce]:APPLy#:USER", *_APPLY)
    def _apply_user(self, ch: int, *values: float) -> None:
        self._apply(ch, "USER", *values)

    # ----------------------------------------------------------------- user waveforms
    @command("[:SOURce]:FUNCtion#:USER", Raw())
    def _user_set(self, ch: int, name: str) -> None:
        name = name.upper()
        if name != "VOLATILE" and name not in self.waveforms:
            raise ScpiError(-224, f"no user waveform named {name}")
        self.user_waveform[self._channel(ch)] = name

    @command(":DATA#:DAC", Raw(), Variadic(Raw(), 1))
    def _dac(self, ch: int, target: str, tokens: list[str]) -> None:
        """Waveform data in DAC counts (±8191, or a big-endian int16 block) into volatile memory."""
        self._channel(ch)
        if target.upper() != "VOLATILE":
            raise ScpiError(-224, f"'{target}' (data go to VOLATILE)")
        self.waveforms["VOLATILE"] = self._dac_points(tokens)

    @command(":DATA#:COPY", Raw(), Raw())
    def _copy(self, ch: int, name: str, source: str) -> None:
        self._channel(ch)
        name = name.upper()
        if source.upper() != "VOLATILE" or "VOLATILE" not in self.waveforms:
            raise ScpiError(-221, "nothing in volatile memory to copy")
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,11}", name):
            raise ScpiError(-224, f"waveform name '{name}' (a letter, then up to 11 letters, digits or _)")
        if name not in self.waveforms and self._free_slots() == 0:
            raise ScpiError(-221, "non-volatile waveform memory full")
        self.waveforms[name] = list(self.waveforms["VOLATILE"])

    @command(":DATA#:DELete", Raw())
    def _delete(self, ch: int, name: str) -> None:
        self._channel(ch)
        if self.waveforms.pop(name.upper(), None) is None:
            raise ScpiError(-224, f"no user waveform named {name}")

    def _stored_names(self) -> list[str]:
        return [n for n in self.waveforms if n != "VOLATILE"]

    def _free_slots(self) -> int:
        return self.nonvolatile_slots - len(self._stored_names())

    @command(":DATA#:NVOLatile:CATalog?")
    def _catalog(self, ch: int) -> str:
        self._channel(ch)
        return ",".join(f'"{n}"' for n in self._stored_names()) or '""'

    @command(":DATA#:NVOLatile:FREE?")
    def _free(self, ch: int) -> str:
        self._channel(ch)
        return str(self._free_slots())


class Keysight33500B(_PulseGenerator):
    """33522B: two channels, 30 MHz, pulse width 16 ns … 10⁶ s, levels ±5 V into 50 Ω (±10 V into high
    impedance), up to 10 Vpp into 50 Ω, 16-bit arbitrary waveforms, a 20-entry error queue.

    The 33500 has no pulse delay: a channel's trigger delay (``TRIGger<n>:DELay``) starts its burst late, which
    places its pulses that far into each period relative to a channel triggered with it."""

    idn = ("Agilent Technologies", "33522B", "MY52301234", "4.00-1.19-2.00-58-00")
    level_max_50, amplitude_max_50 = 5.0, 10.0

    shape = ChannelSetting("[:SOURce#]:FUNCtion", Enum(["SINusoid", "SQUare", "TRIangle", "RAMP", "PULSe", "PRBS",
                                                        "NOISe", "ARBitrary", "DC"], "SINusoid"))
    frequency_mode = ChannelSetting("[:SOURce#]:FREQuency:MODE", Enum(["CW", "LIST", "SWEep", "FIXed"], "CW"))
    phase = ChannelSetting("[:SOURce#]:PHASe", _nr3(0.0, -360.0, 360.0, "DEG"))
    high = ChannelSetting("[:SOURce#]:VOLTage[:LEVel][:IMMediate]:HIGH", _nr3(0.05), read_only=True)
    low = ChannelSetting("[:SOURce#]:VOLTage[:LEVel][:IMMediate]:LOW", _nr3(-0.05), read_only=True)
    unit = ChannelSetting("[:SOURce#]:VOLTage:UNIT", Enum(["VPP", "VRMS", "DBM"], "VPP"), after="_check_unit")
    limit_high = ChannelSetting("[:SOURce#]:VOLTage:LIMit:HIGH", _nr3(5.0, -10.0, 10.0, "V"),
                                after="_check_limit_state")
    limit_low = ChannelSetting("[:SOURce#]:VOLTage:LIMit:LOW", _nr3(-5.0, -10.0, 10.0, "V"),
                               after="_check_limit_state")
    limit_state = ChannelSetting("[:SOURce#]:VOLTage:LIMit:STATe", Boolean(False), after="_check_limit_state")
    square_duty = ChannelSetting("[:SOURce#]:FUNCtion:SQUare:DCYCle", _nr3(50.0, 0.01, 99.99))
    ramp_symmetry = ChannelSetting("[:SOURce#]:FUNCtion:RAMP:SYMMetry", _nr3(100.0, 0.0, 100.0))
    period = ChannelSetting("[:SOURce#]:FUNCtion:PULSe:PERiod", _nr3(1e-3, 33e-9, 1e6, "S"), read_only=True)
    width = ChannelSetting("[:SOURce#]:FUNCtion:PULSe:WIDTh", _nr3(100e-6, 16e-9, 1e6, "S"))
    hold = ChannelSetting("[:SOURce#]:FUNCtion:PULSe:HOLD", Enum(["WIDTh", "DCYCle"], "WIDTh"))
    leading = ChannelSetting("[:SOURce#]:FUNCtion:PULSe:TRANsition:LEADing", _nr3(10e-9, 8.4e-9, 1e-6, "S"))
    trailing = ChannelSetting("[:SOURce#]:FUNCtion:PULSe:TRANsition:TRAiling", _nr3(10e-9, 8.4e-9, 1e-6, "S"))
    arb = ChannelSetting("[:SOURce#]:FUNCtion:ARBitrary", String("INT:\\BUILTIN\\EXP_RISE.ARB"), read_only=True)
    arb_rate = ChannelSetting("[:SOURce#]:FUNCtion:ARBitrary:SRATe", _nr3(40e3, 1e-6, 250e6))
    arb_advance = ChannelSetting("[:SOURce#]:FUNCtion:ARBitrary:ADVance", Enum(["TRIGger", "SRATe"], "SRATe"))
    arb_filter = ChannelSetting("[:SOURce#]:FUNCtion:ARBitrary:FILTer", Enum(["NORMal", "STEP", "OFF"], "STEP"))
    burst = ChannelSetting("[:SOURce#]:BURSt[:STATe]", Boolean(False))
    burst_mode = ChannelSetting("[:SOURce#]:BURSt:MODE", Enum(["TRIGgered", "GATed"], "TRIGgered"))
    cycles = ChannelSetting("[:SOURce#]:BURSt:NCYCles", _nr3(1, 1, 1e8, integer=True, infinity=True))
    burst_period = ChannelSetting("[:SOURce#]:BURSt:INTernal:PERiod", _nr3(10e-3, 1e-6, 8000.0, "S"))
    burst_phase = ChannelSetting("[:SOURce#]:BURSt:PHASe", _nr3(0.0, -360.0, 360.0, "DEG"))
    gate_polarity = ChannelSetting("[:SOURce#]:BURSt:GATE:POLarity", Enum(["NORMal", "INVerted"], "NORMal"))
    output = ChannelSetting(":OUTPut#[:STATe]", Boolean(False))
    load = ChannelSetting(":OUTPut#:LOAD", _nr3(50.0, 1.0, 10e3, "OHM", infinity=True), read_only=True)
    polarity = ChannelSetting(":OUTPut#:POLarity", Enum(["NORMal", "INVerted"], "NORMal"))
    sync = Setting(":OUTPut:SYNC[:STATe]", Boolean(True))
    sync_source = Setting(":OUTPut:SYNC:SOURce", Enum(["CH1", "CH2"], "CH1"))
    trigger_out = Setting(":OUTPut:TRIGger[:STATe]", Boolean(False))
    trigger_out_slope = Setting(":OUTPut:TRIGger:SLOPe", Enum(["POSitive", "NEGative"], "POSitive"))
    trigger_out_source = Setting(":OUTPut:TRIGger:SOURce", Enum(["CH1", "CH2"], "CH1"))
    trigger_source = ChannelSetting(":TRIGger#:SOURce", Enum(["IMMediate", "EXTernal", "TIMer", "BUS"],
                                                              "IMMediate"))
    trigger_slope = ChannelSetting(":TRIGger#:SLOPe", Enum(["POSitive", "NEGative"], "POSitive"))
    trigger_count = ChannelSetting(":TRIGger#:COUNt", _nr3(1, 1, 1e6, integer=True, infinity=True))
    delay = ChannelSetting(":TRIGger#:DELay", _nr3(0.0, 0.0, 1000.0, "S"))
    trigger_timer = ChannelSetting(":TRIGger#:TIMer", _nr3(1.0, 1e-6, 8000.0, "S"))
    display = Setting(":DISPlay[:STATe]", Boolean(True))
    display_text = Setting(":DISPlay:TEXT[:DATA]", String(""))
    beeper = Setting(":SYSTem:BEEPer:STATe", Boolean(True))

    def __init__(self, bench: VirtualBench) -> None:
        #: each channel's volatile arbitrary-waveform memory: name (upper case) → points in [-1, 1]
        self.waveforms: dict[int, dict[str, list[float]]] = {ch: {} for ch in _CHANNELS}
        super().__init__(bench)
        self.errors = ErrorQueue(20)

    def _armed(self, ch: int) -> bool:
        return self.trigger_source[ch] == "BUS"

    @command(":SYSTem:ERRor[:NEXT]?")
    def _system_error(self) -> str:
        code, text = self.errors.pop()
        return f'{code:+d},"{text}"'

    @command("*TST?")
    def _tst(self) -> str:
        return "+0"

    @command(":DISPlay:TEXT:CLEar")
    def _display_clear(self) -> None:
        self.display_text = ""

    @command(":SYSTem:BEEPer[:IMMediate]")
    def _beep(self) -> None:
        self.actions.append("beep")

    @command("[:SOURce#]:PHASe:SYNChronize")
    def _phase_sync(self, ch: int) -> None:
        self._channel(ch)
        self.actions.append("phase sync")

    # ----------------------------------------------------------------- levels
    @command("[:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", _nr3(None, unit="V"))
    def _amplitude_set(self, ch: int, value: float) -> None:
        self._set_amplitude(self._channel(ch), value)

    @command("[:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?")
    def _amplitude_query(self, ch: int) -> str:
        return _REPLY_33500.format(self._amplitude(self._channel(ch)))

    @command("[:SOURce#]:VOLTage[:LEVel][:IMMediate]:OFFSet", _nr3(None, unit="V"))
    def _offset_set(self, ch: int, value: float) -> None:
        self._set_offset(self._channel(ch), value)

    @command("[:SOURce#]:VOLTage[:LEVel][:IMMediate]:OFFSet?")
    def _offset_query(self, ch: int) -> str:
        return _REPLY_33500.format(self._offset(self._channel(ch)))

    @command("[:SOURce#]:VOLTage[:LEVel][:IMMediate]:HIGH", _nr3(None, unit="V"))
    def _high_set(self, ch: int, value: float) -> None:
        self._set_levels(self._channel(ch), value, self.low[ch])

    @command("[:SOURce#]:VOLTage[:LEVel][:IMMediate]:LOW", _nr3(None, unit="V"))
    def _low_set(self, ch: int, value: float) -> None:
        self._set_levels(self._channel(ch), self.high[ch], value)

    @command(":OUTPut#:LOAD", _nr3(None, 1.0, 10e3, "OHM", infinity=True))
    def _load_set(self, ch: int, value: float) -> None:
        self._set_load(self._channel(ch), value)

    # ----------------------------------------------------------------- timing
    @command("[:SOURce#]:FUNCtion:PULSe:PERiod", _nr3(None, 33e-9, 1e6, "S"))
    def _period_set(self, ch: int, value: float) -> None:
        self._set_period(self._channel(ch), value)

    @command("[:SOURce#]:FREQuency[:CW]", _nr3(None, 1e-6, 30e6, "HZ"))
    def _frequency_set(self, ch: int, value: float) -> None:
        self._set_frequency(self._channel(ch), value)

    @command("[:SOURce#]:FREQuency[:CW]?")
    def _frequency_query(self, ch: int) -> str:
        return _REPLY_33500.format(1.0 / self.period[self._channel(ch)])

    @command("[:SOURce#]:FUNCtion:PULSe:DCYCle", _nr3(None, 0.0, 100.0))
    def _duty_set(self, ch: int, value: float) -> None:
        self._set_duty_cycle(self._channel(ch), value)

    @command("[:SOURce#]:FUNCtion:PULSe:DCYCle?")
    def _duty_query(self, ch: int) -> str:
        return _REPLY_33500.format(self._duty_cycle(self._channel(ch)))

    @command("[:SOURce#]:FUNCtion:PULSe:TRANsition[:BOTH]", _nr3(None, 8.4e-9, 1e-6, "S"))
    def _edges_set(self, ch: int, value: float) -> None:
        self.leading[self._channel(ch)] = self.trailing[ch] = value

    @command("[:SOURce#]:FUNCtion:PULSe:TRANsition[:BOTH]?")
    def _edges_query(self, ch: int) -> str:
        return _REPLY_33500.format(self.leading[self._channel(ch)])

    # ----------------------------------------------------------------- arbitrary waveforms
    @command("[:SOURce#]:FUNCtion:ARBitrary", Raw())
    def _arb_set(self, ch: int, name: str) -> None:
        if name.upper() not in self.waveforms[self._channel(ch)] and not name.upper().startswith("INT:\\BUILTIN\\"):
            raise ScpiError(-224, f"no arbitrary waveform named {name} in channel {ch}'s volatile memory")
        self.arb[ch] = name

    def _store_arb(self, ch: int, name: str, points: list[float]) -> None:
        if name.upper() in self.waveforms[ch]:
            raise ScpiError(-221, f"arbitrary waveform {name} is already in channel {ch}'s volatile memory")
        self.waveforms[ch][name.upper()] = points

    @command("[:SOURce#]:DATA:ARBitrary[1]", Raw(), Variadic(Numeric(None, -1.0, 1.0), 1))
    def _data_arb(self, ch: int, name: str, points: list[float]) -> None:
        self._store_arb(self._channel(ch), name, self._checked_points(points))

    @command("[:SOURce#]:DATA:ARBitrary[1]:DAC", Raw(), Variadic(Raw(), 1))
    def _data_dac(self, ch: int, name: str, tokens: list[str]) -> None:
        self._store_arb(self._channel(ch), name, self._dac_points(tokens))

    @command("[:SOURce#]:DATA:VOLatile:CLEar")
    def _volatile_clear(self, ch: int) -> None:
        self.waveforms[self._channel(ch)].clear()
        self.arb[ch] = type(self).arb.param.default

    @command("[:SOURce#]:DATA:VOLatile:CATalog?")
    def _volatile_catalog(self, ch: int) -> str:
        return ",".join(f'"{n}"' for n in self.waveforms[self._channel(ch)]) or '""'
