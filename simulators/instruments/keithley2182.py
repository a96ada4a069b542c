"""Virtual Keithley 2182A nanovoltmeter across the DUT of a virtual bench.

Follows the SCPI chapter of the 2182A user's manual for what PyMeasure's ``Keithley2182`` and the 6221's delta
modes use: the active channel (``:SENSe:CHANnel``, 0 the internal temperature sensor), the function
(``:SENSe:FUNCtion 'VOLT'``, answered ``"VOLT:DC"``), NPLC, per-channel ranges (autorange), relative offsets,
``:READ?``/``:FETCh?`` readings (``+1.234567E-03``), the trigger count and delay, the reading buffer and its
statistics (``:CALC2``). Replies end with CR on a byte stream, as PyMeasure's driver expects.

The input sees the DUT's voltage plus what a nanovoltmeter's leads add: a thermoelectric EMF (an offset of
:attr:`Keithley2182.thermal_offset` V with a slow drift, an Ornstein–Uhlenbeck process of
:attr:`Keithley2182.drift` V rms and :attr:`Keithley2182.drift_time` s, seeded from the bench's seed) and white
noise of :attr:`Keithley2182.noise_density` V/√Hz over the integration time. A DC reading carries the offset; the
6221's current reversal (delta, pulse delta) cancels it and its linear drift.
"""

from __future__ import annotations

import math

import numpy as np

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Boolean, ChannelSetting, Enum, Integer, Numeric, ScpiError, Setting, command

from .base import BenchInstrument

LINE_FREQUENCY = 50.0  # Hz
CHANNEL1_RANGES = (0.01, 0.1, 1.0, 10.0, 100.0)  # V
CHANNEL2_RANGES = (0.1, 1.0, 10.0)  # V
OVERFLOW = 9.9e37  #: an overflowed reading
_INTERNAL_TEMPERATURE = 29.5  # °C, :SENSe:TEMPerature:RTEMperature?
_STATISTICS = {"MEAN": np.mean, "MAXIMUM": np.max, "MINIMUM": np.min, "SDEVIATION": lambda x: np.std(x, ddof=1),
               "PKPK": np.ptp}


def number(value: float) -> str:
    """A reading as the 2182A sends it (``+1.234567E-03``)."""
    return f"{value:+.6E}"


class ThermalEMF:
    """The EMF of the input leads (V): ``offset`` plus an Ornstein–Uhlenbeck drift of ``rms`` V and correlation
    time ``tau`` s, evaluated on the bench clock from its own seeded stream."""

    def __init__(self, offset: float, rms: float, tau: float, seed: int | None) -> None:
        self.offset, self.rms, self.tau = offset, rms, tau
        self.rng = np.random.default_rng(None if seed is None else [seed, 2182])
        self.time, self.state = 0.0, rms * float(self.rng.standard_normal())

    def at(self, t: float) -> float:
        """EMF at bench time ``t`` (s); times before the last one asked for give the last value."""
        dt = t - self.time
        if dt > 0:
            decay = math.exp(-dt / self.tau)
            kick = math.sqrt(1 - decay * decay) * float(self.rng.standard_normal())
            self.state = self.state * decay + self.rms * kick
            self.time = t
        return self.offset + self.state


class Keithley2182(BenchInstrument):
    """Virtual 2182A: channel 1 across the DUT (channel 2 reads the same voltage), DC volts with thermal EMF."""

    idn = ("KEITHLEY INSTRUMENTS INC.", "MODEL 2182A", "1234567", "C02  /A02")
    reply_termination = "\r"
    thermal_offset = 5e-6  #: V, the leads' thermoelectric offset
    drift = 1e-6  #: V rms of its slow drift
    drift_time = 120.0  #: s, the drift's correlation time
    noise_density = 6e-9  #: V/√Hz, white input noise

    channel = Setting(":SENSe:CHANnel", Integer(1, 0, 2))
    function = Setting(":SENSe:FUNCtion", Enum(["VOLTage", "TEMPerature"], "VOLTage",
                                               responses={"VOLTAGE": '"VOLT:DC"', "TEMPERATURE": '"TEMP"'}))
    nplc = Setting(":SENSe:VOLTage[:DC]:NPLCycles", Numeric(5.0, 0.01, 50.0))
    temperature_nplc = Setting(":SENSe:TEMPerature:NPLCycles", Numeric(5.0, 0.01, 50.0))
    voltage_range = ChannelSetting(":SENSe:VOLTage[:DC]:CHANnel#:RANGe[:UPPer]", Numeric(100.0, 0.0, 120.0))
    voltage_autorange = ChannelSetting(":SENSe:VOLTage[:DC]:CHANnel#:RANGe:AUTO", Boolean(True))
    voltage_reference = ChannelSetting(":SENSe:VOLTage[:DC]:CHANnel#:REFerence", Numeric(0.0, -120.0, 120.0))
    voltage_reference_on = ChannelSetting(":SENSe:VOLTage[:DC]:CHANnel#:REFerence:STATe", Boolean(False))
    temperature_reference = ChannelSetting(":SENSe:TEMPerature:CHANnel#:REFerence", Numeric(0.0, -273.0, 1800.0))
    temperature_reference_on = ChannelSetting(":SENSe:TEMPerature:CHANnel#:REFerence:STATe", Boolean(False))
    thermocouple = Setting(":SENSe:TEMPerature:TCouple[:TYPE]", Enum(["B", "E", "J", "K", "N", "R", "S", "T"], "J"))
    reference_junction = Setting(":SENSe:TEMPerature:RJUNction:RSELect", Enum(["SIMulated", "INTernal"], "INTernal",
                                                                              responses={"SIMULATED": "SIM",
                                                                                         "INTERNAL": "INT"}))
    simulated_junction = Setting(":SENSe:TEMPerature:RJUNction:SIMulated", Numeric(23.0, 0.0, 60.0))
    autozero = Setting(":SYSTem:AZERo[:STATe]", Boolean(True))
    display = Setting(":DISPlay:ENABle", Boolean(True))
    trigger_count = Setting(":TRIGger:COUNt", Integer(1, 1, 9999))
    trigger_delay = Setting(":TRIGger:DELay", Numeric(0.0, 0.0, 999999.999, "S"))
    trigger_source = Setting(":TRIGger:SOURce", Enum(["IMMediate", "BUS", "TIMer", "MANual", "EXTernal"],
                                                     "IMMediate"))
    buffer_size = Setting(":TRACe:POINts", Integer(100, 2, 1024))
    buffer_feed = Setting(":TRACe:FEED", Enum(["SENSe", "CALCulate", "NONE"], "SENSe"))
    buffer_control = Setting(":TRACe:FEED:CONTrol", Enum(["NEXT", "NEVer"], "NEVer"))
    statistic = Setting(":CALCulate2:FORMat", Enum(["MEAN", "SDEViation", "MAXimum", "MINimum", "PKPK", "NONE"],
                                                   "MEAN"))
    statistic_on = Setting(":CALCulate2:STATe", Boolean(False))
    data_format = Setting(":FORMat[:DATA]", Enum(["ASCii"], "ASCii"))

    def __init__(self, bench: VirtualBench) -> None:
        self.emf = ThermalEMF(self.thermal_offset, self.drift, self.drift_time, bench.seed)
        self.buffer: list[float] = []
        self.last = math.nan
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.buffer = []
        self.last = math.nan

    # ----------------------------------------------------------------- the input
    def measure(self, aperture: float) -> float:
        """Integrate the input for ``aperture`` s under the present drive; return the volts it reads (before
        any relative offset)."""
        bench = self.bench
        start = bench.time
        v, _ = bench.advance(aperture)
        v *= 1.0 + bench.dut.reading_noise(bench.rng, aperture * LINE_FREQUENCY, start, aperture)
        white = self.noise_density / math.sqrt(2.0 * aperture) * float(bench.rng.standard_normal())
        return v + self.emf.at(start + aperture / 2) + white

    def _reading(self) -> float:
        """One reading of the active channel and function, stored in the buffer while it is enabled."""
        if self.function == "TEMPERATURE" or self.channel == 0:
            self.bench.advance(self.temperature_nplc / LINE_FREQUENCY)
            value = _INTERNAL_TEMPERATURE + 0.01 * float(self.bench.rng.standard_normal())
            if self.channel and self.temperature_reference_on[self.channel]:
                value -= self.temperature_reference[self.channel]
        else:
            value = self.measure(self.nplc / LINE_FREQUENCY)
            if self.voltage_reference_on[self.channel]:
                value -= self.voltage_reference[self.channel]
            if self._overflows(value):
                value = OVERFLOW
        if self.buffer_control == "NEXT" and len(self.buffer) < self.buffer_size:
            self.buffer.append(value)
        self.last = value
        return value

    def _overflows(self, value: float) -> bool:
        """Whether ``value`` (V) is beyond 120 % of a fixed range's full scale (read as +9.9E37)."""
        ch = self.channel
        return not self.voltage_autorange[ch] and abs(value) > 1.2 * self.voltage_range[ch]

    # ----------------------------------------------------------------- readings
    @command(":READ?")
    def _read(self) -> str:
        return ",".join(number(self._reading()) for _ in range(self.trigger_count))

    @command(":FETCh?")
    def _fetch(self) -> str:
        if math.isnan(self.last):
            raise ScpiError(-230, "no reading yet")
        return number(self.last)

    @command(":SENSe:DATA[:LATest]?")
    def _latest(self) -> str:
        return self._fetch()

    @command(":SENSe:TEMPerature:RTEMperature?")
    def _internal_temperature(self) -> str:
        return number(_INTERNAL_TEMPERATURE)

    @command(":SENSe:VOLTage[:DC]:CHANnel#:REFerence:ACQuire")
    def _acquire_voltage(self, ch: int | None) -> None:
        ch = ch or 1
        if self.voltage_reference_on[ch]:
            self.settings["voltage_reference"][ch] = self.measure(self.nplc / LINE_FREQUENCY)

    @command(":SENSe:TEMPerature:CHANnel#:REFerence:ACQuire")
    def _acquire_temperature(self, ch: int | None) -> None:
        ch = ch or 1
        if self.temperature_reference_on[ch]:
            self.settings["temperature_reference"][ch] = _INTERNAL_TEMPERATURE

    @command(":SENSe:VOLTage[:DC]:RANGe:AUTO", Boolean(True))
    def _autorange_active(self, on: bool) -> None:
        self.settings["voltage_autorange"][max(self.channel, 1)] = on

    @command(":SYSTem:LFRequency?")
    def _line_frequency(self) -> str:
        return f"{LINE_FREQUENCY:g}"

    # ----------------------------------------------------------------- buffer and statistics
    @command(":TRACe:CLEar")
    def _clear(self) -> None:
        self.buffer = []

    @command(":TRACe:DATA?")
    def _data(self) -> str:
        if not self.buffer:
            raise ScpiError(-230, "the buffer is empty")
        return ",".join(number(v) for v in self.buffer)

    @command(":CALCulate2:IMMediate?")
    def _statistic(self) -> str:
        if len(self.buffer) < 2 or self.statistic == "NONE":
            raise ScpiError(-230, "no buffer statistics (fewer than two readings stored)")
        return number(float(_STATISTICS[self.statistic](np.asarray(self.buffer))))

    @command(":INITiate[:IMMediate]")
    def _initiate(self) -> None:
        for _ in range(self.trigger_count):
            self._reading()

    @command(":ABORt")
    def _abort(self) -> None:
        """Nothing runs in the background of the twin."""

    @command(":STATus:PRESet")
    def _status_preset(self) -> None:
        """The event enable registers to their presets (nothing is enabled in the twin)."""

    @command(":STATus:MEASurement:ENABle", Integer(0, 0, 65535))
    def _measurement_enable(self, value: int) -> None:
        """Buffer-full events are not signalled by the twin."""

    @command(":STATus:QUEue:CLEar")
    def _queue_clear(self) -> None:
        self.errors.clear()
