"""Virtual Keysight 81160A pulse/function generator (2 channels) driving the DUT through the bias tee.

Commands follow the 81160A (``:FUNC1 PULS``, ``:VOLT1:HIGH``, ``:PULS:WIDT1``, ``:BURS1:NCYC``, ``:ARM:SOUR1``,
``:OUTP1``) and, for the same settings, the 33500 series' ``SOUR1:…``/``TRIG1:SOUR`` forms. A bus or manual
trigger (``*TRG``, ``:TRIG``) fires a burst of ``NCYC`` periods on every channel whose output is on and whose
burst is enabled; the channels' pulses add at the DUT (a combiner into the bias tee's AC port), and each period
start is a trigger-out edge for instruments armed on the trigger line.

Voltage at the DUT: the pulse's high−low swing (the AC-coupled port blocks any DC level; inverted polarity
makes it negative, the idle level being the high one), doubled when the
output expects a 50 Ω load (``:OUTP:LOAD 50``) since the DUT is high-impedance; with ``:OUTP:LOAD INF`` the
programmed level is what the DUT sees.
"""

from __future__ import annotations

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.pulses import PulseTrain
from mtjhw.simulators.scpi import Boolean, ChannelSetting, Enum, Integer, Numeric, ScpiError, command

from .base import BenchInstrument

_CHANNELS = (1, 2)
_MAX_V = 10.0


class Keysight81160A(BenchInstrument):
    """Two-channel 330 MHz pulse generator; minimum width 2.5 ns, period 3 ns … 1000 s."""

    idn = ("Agilent Technologies", "81160A", "DE49A00123", "2.0.1.0")

    shape = ChannelSetting("[:SOURce#]:FUNCtion#[:SHAPe]", Enum(["SINusoid", "SQUare", "RAMP", "PULSe", "NOISe",
                                                                  "DC", "USER"], "SINusoid"), _CHANNELS)
    high = ChannelSetting("[:SOURce#]:VOLTage#:HIGH", Numeric(0.5, -_MAX_V, _MAX_V, "V"), _CHANNELS)
    low = ChannelSetting("[:SOURce#]:VOLTage#:LOW", Numeric(0.0, -_MAX_V, _MAX_V, "V"), _CHANNELS)
    width = ChannelSetting("[:SOURce#]:PULSe:WIDTh#", Numeric(100e-9, 2.5e-9, 999.5, "S"), _CHANNELS)
    period = ChannelSetting("[:SOURce#]:PULSe:PERiod#", Numeric(1e-6, 3.03e-9, 1000.0, "S"), _CHANNELS)
    delay = ChannelSetting("[:SOURce#]:PULSe:DELay#", Numeric(0.0, 0.0, 999.0, "S"), _CHANNELS)
    burst = ChannelSetting("[:SOURce#]:BURSt#[:STATe]", Boolean(False), _CHANNELS)
    cycles = ChannelSetting("[:SOURce#]:BURSt#:NCYCles", Integer(1, 1, 1_000_000), _CHANNELS)
    burst_mode = ChannelSetting("[:SOURce#]:BURSt#:MODE", Enum(["TRIGgered", "GATed"], "TRIGgered"), _CHANNELS)
    arm = ChannelSetting(":ARM:SOURce#", Enum(["IMMediate", "INTernal2", "EXTernal", "MANual"], "IMMediate"),
                         _CHANNELS)
    trigger_source = ChannelSetting(":TRIGger#:SOURce", Enum(["IMMediate", "EXTernal", "BUS", "TIMer"],
                                                              "IMMediate"), _CHANNELS)
    output = ChannelSetting(":OUTPut#[:STATe]", Boolean(False), _CHANNELS)
    load = ChannelSetting(":OUTPut#:LOAD", Numeric(50.0, 0.3, 9.9e37, "OHM", specials={"INFinity": 9.9e37}),
                          _CHANNELS)
    polarity = ChannelSetting(":OUTPut#:POLarity", Enum(["NORMal", "INVerted"], "NORMal"), _CHANNELS)

    def __init__(self, bench: VirtualBench) -> None:
        super().__init__(bench)
        self.bursts_fired = 0

    def _frequency(self, ch: int) -> float:
        return 1.0 / self.period[ch]

    @command("[:SOURce#]:FREQuency#[:CW]", Numeric(1e6, 1e-3, 330e6, "HZ"))
    def _set_frequency(self, s: int, c: int, value: float) -> None:
        self.period[ChannelSetting.channel(type(self).period, (s, c))] = 1.0 / value

    @command("[:SOURce#]:FREQuency#[:CW]?")
    def _get_frequency(self, s: int, c: int) -> str:
        return f"{self._frequency(ChannelSetting.channel(type(self).period, (s, c))):+.9E}"

    def _armed_channels(self) -> list[int]:
        return [ch for ch in _CHANNELS if self.output[ch] and self.burst[ch] and self.shape[ch] == "PULSE"
                and (self.arm[ch] in ("MANUAL", "EXTERNAL") or self.trigger_source[ch] in ("BUS", "EXTERNAL"))]

    def fire(self) -> None:
        """Run one burst on the armed channels (what ``*TRG`` does)."""
        channels = self._armed_channels()
        if not channels:
            raise ScpiError(-211, "no channel has output, pulse burst and bus/manual arming")
        periods = {self.period[ch] for ch in channels}
        counts = {self.cycles[ch] for ch in channels}
        if len(periods) > 1 or len(counts) > 1:
            raise ScpiError(-221, "channels in one burst need the same period and cycle count")
        period = periods.pop()
        trains = []
        for ch in channels:
            if self.delay[ch] + self.width[ch] > period:
                raise ScpiError(-221, f"channel {ch}: delay + width exceed the period")
            sign = -1.0 if self.polarity[ch] == "INVERTED" else 1.0
            swing = sign * (self.high[ch] - self.low[ch]) * (2.0 if self.load[ch] < 1e6 else 1.0)
            trains.append(PulseTrain(swing, self.width[ch], self.delay[ch]))
        self.bench.pulse_burst(trains, period, counts.pop())
        self.bursts_fired += 1

    @command("*TRG")
    def _trg(self) -> None:
        self.fire()

    @command(":TRIGger[:IMMediate]")
    def _trigger(self) -> None:
        self.fire()


class Keysight33500B(Keysight81160A):
    """Virtual 33522B: the same pulse/burst model, answering its ``SOURce<n>:``/``TRIGger<n>:`` commands."""

    idn = ("Agilent Technologies", "33522B", "MY52301234", "4.00-1.19-2.00-58-00")
