"""Virtual Keithley 2450 SourceMeter, SCPI command set (not TSP), wired to the DUT of a virtual bench.

Implements, from the 2450 Reference Manual, what PyMeasure's and QCoDeS's 2450 drivers and our own driver use:
source and sense functions (``:SENS:FUNC "VOLT:DC"`` as well as ``'VOLT'``), levels, limits (compliance) with
trip flags, fixed ranges selected from the expected magnitude (setting one turns autorange off; autorange follows
the level and the readings), NPLC, source delays (setting one turns auto delay off), source and measure user
delays, ``:READ?``, ``:MEASure?``, ``:FETCh?`` (which answer the last reading only, with any buffer elements),
output state, reading buffers (``:TRACe``: fixed capacity, oldest readings overwritten, statistics), linear and list
sweeps and the SimpleLoop and LogicTrigger trigger models run by ``:INITiate``. Overvoltage protection
(``:SOURce:VOLTage:PROTection PROT2`` … ``PROT180`` or ``NONE``, reset to ``NONE``) clamps the output voltage at
its level in either source function, setting its trip flag. ``*LANG`` is kept through ``*RST``
(it lives in nonvolatile memory); the 2450 has no ``*OPT?``. Readings advance the bench's simulated time by the
integration time. What any SMU twin does (DUT operating point, compliance, noise, trigger listener, buffers)
is :class:`~mtjhw.simulators.instruments.source_meter.SourceMeterTwin`; this module is the 2450's dialect.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import numpy as np

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import (
    Boolean,
    Enum,
    Integer,
    Numeric,
    Raw,
    ScpiError,
    ScpiInstrument,
    Setting,
    String,
    Variadic,
    command,
)
from mtjhw.simulators.scpi.commands import CommandEntry
from mtjhw.simulators.scpi.parameters import mnemonic_matches, unquote

from .source_meter import LINE_FREQUENCY, ManualSetting, Range, Reading, ReadingBuffer, SourceMeterTwin, fitting_range

V_MAX, I_MAX = 210.0, 1.05
# Fixed ranges (Reference Manual, source and measure range commands); each holds 105 % of its full scale.
CURRENT_RANGES = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # A
VOLTAGE_RANGES = (0.02, 0.2, 2.0, 20.0, 200.0)  # V
RESISTANCE_RANGES = (20.0, 200.0, 2e3, 2e4, 2e5, 2e6, 2e7, 2e8)  # Ω
_ELEMENTS = ["READing", "SOURce", "RELative", "SEConds", "FRACtional", "UNIT", "SOURUNIT", "STATus",
             "SOURSTATus", "TSTamp", "DATE", "TIME", "FORMatted", "SOURFORMatted"]
_UNITS = {"VOLTAGE": "Volt DC", "CURRENT": "Amp DC", "RESISTANCE": "Ohm"}
_SYMBOLS = {"Volt DC": "V", "Amp DC": "A", "Ohm": "Ohm"}
_PREFIXES = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p"))
_OVERFLOW = 9.9e37  # what the 2450 reports for a reading it cannot make (resistance at zero current)
PROTECTION_LEVELS = (2, 5, 10, 20, 40, 60, 80, 100, 120, 140, 160, 180)  # V, :SOURce:VOLTage:PROTection PROT<n>


def number(value: float) -> str:
    """A reading as the 2450 sends it in ASCII format (``-1.950789E-08``)."""
    return f"{value:.6E}"


def formatted(value: float, unit: str) -> str:
    """A value as the front panel shows it (``-016.084 nA``): engineering prefix, sign, three decimals."""
    symbol = _SYMBOLS[unit]
    if not math.isfinite(value) or abs(value) >= 1e12:
        return f"{value:+.3E} {symbol}"
    scale, prefix = next(((s, p) for s, p in _PREFIXES if abs(value) >= s), (1.0, ""))
    return f"{value / scale:+08.3f} {prefix}{symbol}"


class SenseFunction(Enum):
    """The measure function as the 2450 takes it: ``"VOLTage[:DC]"``, ``"CURRent[:DC]"`` or ``"RESistance"``,
    quoted or not; queries answer ``"VOLT:DC"``, ``"CURR:DC"``, ``"RES"``."""

    def __init__(self, default: str) -> None:
        super().__init__(["VOLTage", "CURRent", "RESistance"], default,
                         responses={"VOLTAGE": '"VOLT:DC"', "CURRENT": '"CURR:DC"', "RESISTANCE": '"RES"'})

    def parse(self, token: str) -> str:
        inner = unquote(token)
        name, _, suffix = (inner if inner is not None else token).partition(":")
        function = super().parse(name)
        if suffix and (function == "RESISTANCE" or not mnemonic_matches(suffix, "DC")):
            raise ScpiError(-224, f"'{token}' (expected \"VOLT[:DC]\", \"CURR[:DC]\" or \"RES\")")
        return function


def _delay() -> Numeric:
    return Numeric(0.0, 0.0, 1e4, "S")


class Keithley2450(SourceMeterTwin):
    """Virtual Keithley 2450 connected to ``bench``'s DUT (two-wire, front terminals)."""

    idn = ("KEITHLEY INSTRUMENTS", "MODEL 2450", "04096331", "1.7.12b")
    withdrawn = ("*OPT?",)  # not among the 2450's common commands

    source_function = Setting(":SOURce[1]:FUNCtion[:MODE]", Enum(["VOLTage", "CURRent"], "VOLTage"),
                              after="_apply")
    source_voltage = Setting(":SOURce[1]:VOLTage[:LEVel][:IMMediate][:AMPLitude]",
                             Numeric(0.0, -V_MAX, V_MAX, "V"), after="_level_changed")
    source_current = Setting(":SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]",
                             Numeric(0.0, -I_MAX, I_MAX, "A"), after="_level_changed")
    current_limit = Setting(":SOURce[1]:VOLTage:ILIMit[:LEVel]", Numeric(1.05e-4, 1e-9, I_MAX, "A"),
                            after="_apply")
    voltage_limit = Setting(":SOURce[1]:CURRent:VLIMit[:LEVel]", Numeric(21.0, 0.02, V_MAX, "V"),
                            after="_apply")
    voltage_protection = Setting(":SOURce[1]:VOLTage:PROTection[:LEVel]",
                                 Enum([*(f"PROT{n}" for n in PROTECTION_LEVELS), "NONE"], "NONE"), after="_apply")
    source_voltage_range = ManualSetting(":SOURce[1]:VOLTage:RANGe", Range(VOLTAGE_RANGES, 2.0, "V"),
                                         "source_voltage_autorange")
    source_voltage_autorange = Setting(":SOURce[1]:VOLTage:RANGe:AUTO", Boolean(True))
    source_current_range = ManualSetting(":SOURce[1]:CURRent:RANGe", Range(CURRENT_RANGES, 1e-4, "A"),
                                         "source_current_autorange")
    source_current_autorange = Setting(":SOURce[1]:CURRent:RANGe:AUTO", Boolean(True))
    source_voltage_delay = ManualSetting(":SOURce[1]:VOLTage:DELay", _delay(), "source_voltage_delay_auto")
    source_current_delay = ManualSetting(":SOURce[1]:CURRent:DELay", _delay(), "source_current_delay_auto")
    source_voltage_delay_auto = Setting(":SOURce[1]:VOLTage:DELay:AUTO", Boolean(True))
    source_current_delay_auto = Setting(":SOURce[1]:CURRent:DELay:AUTO", Boolean(True))
    source_voltage_readback = Setting(":SOURce[1]:VOLTage:READ:BACK", Boolean(True))
    source_current_readback = Setting(":SOURce[1]:CURRent:READ:BACK", Boolean(True))
    sense_function = Setting("[:SENSe[1]]:FUNCtion[:ON]", SenseFunction("CURRent"))
    nplc_current = Setting("[:SENSe[1]]:CURRent[:DC]:NPLCycles", Numeric(1.0, 0.01, 10.0))
    nplc_voltage = Setting("[:SENSe[1]]:VOLTage[:DC]:NPLCycles", Numeric(1.0, 0.01, 10.0))
    nplc_resistance = Setting("[:SENSe[1]]:RESistance:NPLCycles", Numeric(1.0, 0.01, 10.0))
    sense_current_range = ManualSetting("[:SENSe[1]]:CURRent[:DC]:RANGe[:UPPer]", Range(CURRENT_RANGES, 1e-4, "A"),
                                        "sense_current_autorange")
    sense_voltage_range = ManualSetting("[:SENSe[1]]:VOLTage[:DC]:RANGe[:UPPer]", Range(VOLTAGE_RANGES, 0.2, "V"),
                                        "sense_voltage_autorange")
    sense_resistance_range = ManualSetting("[:SENSe[1]]:RESistance:RANGe[:UPPer]",
                                           Range(RESISTANCE_RANGES, 2e5, "OHM"), "sense_resistance_autorange")
    sense_current_autorange = Setting("[:SENSe[1]]:CURRent[:DC]:RANGe:AUTO", Boolean(True))
    sense_voltage_autorange = Setting("[:SENSe[1]]:VOLTage[:DC]:RANGe:AUTO", Boolean(True))
    sense_resistance_autorange = Setting("[:SENSe[1]]:RESistance:RANGe:AUTO", Boolean(True))
    rsense_current = Setting("[:SENSe[1]]:CURRent[:DC]:RSENse", Boolean(False))
    rsense_voltage = Setting("[:SENSe[1]]:VOLTage[:DC]:RSENse", Boolean(False))
    rsense_resistance = Setting("[:SENSe[1]]:RESistance:RSENse", Boolean(False))
    autozero_current = Setting("[:SENSe[1]]:CURRent[:DC]:AZERo[:STATe]", Boolean(True))
    autozero_voltage = Setting("[:SENSe[1]]:VOLTage[:DC]:AZERo[:STATe]", Boolean(True))
    autozero_resistance = Setting("[:SENSe[1]]:RESistance:AZERo[:STATe]", Boolean(True))
    average_current = Setting("[:SENSe[1]]:CURRent[:DC]:AVERage[:STATe]", Boolean(False))
    average_voltage = Setting("[:SENSe[1]]:VOLTage[:DC]:AVERage[:STATe]", Boolean(False))
    average_count_current = Setting("[:SENSe[1]]:CURRent[:DC]:AVERage:COUNt", Integer(10, 1, 100))
    average_count_voltage = Setting("[:SENSe[1]]:VOLTage[:DC]:AVERage:COUNt", Integer(10, 1, 100))
    average_tcontrol_current = Setting("[:SENSe[1]]:CURRent[:DC]:AVERage:TCONtrol",
                                       Enum(["REPeat", "MOVing"], "REPeat"))
    average_tcontrol_voltage = Setting("[:SENSe[1]]:VOLTage[:DC]:AVERage:TCONtrol",
                                       Enum(["REPeat", "MOVing"], "REPeat"))
    sense_count = Setting("[:SENSe[1]]:COUNt", Integer(1, 1, 300000))
    output = Setting(":OUTPut[1][:STATe]", Boolean(False), after="_apply")
    output_voltage_off_mode = Setting(":OUTPut[1]:VOLTage:SMODe", Enum(["HIMPedance", "NORMal", "ZERO", "GUARd"],
                                                                       "NORMal"))
    output_current_off_mode = Setting(":OUTPut[1]:CURRent:SMODe", Enum(["HIMPedance", "NORMal", "ZERO", "GUARd"],
                                                                       "NORMal"))
    terminals = Setting(":ROUTe:TERMinals", Enum(["FRONt", "REAR"], "FRONt"))
    data_format = Setting(":FORMat[:DATA]", Enum(["ASCii"], "ASCii"))
    language = Setting("*LANG", Enum(["SCPI", "TSP", "SCPI2400"], "SCPI"))

    def __init__(self, bench: VirtualBench) -> None:
        self.source_list: dict[str, list[float]] = {"VOLTAGE": [], "CURRENT": []}
        self._pending_sweep: tuple[str, list[float], float, int] | None = None
        self._logic_trigger: tuple[int, bool, float, str] | None = None
        self._user_delays: dict[tuple[str, str, int], float] = {}
        self._clock_origin = time.time()  # wall-clock time (s since the epoch) at the bench's time zero
        super().__init__(bench)

    # ----------------------------------------------------------------- state
    def reset(self) -> None:
        language = self.settings.get("language")
        super().reset()
        if language is not None:
            self.settings["language"] = language  # *LANG is stored in nonvolatile memory, not reset
        self.buffers = {"defbuffer1": ReadingBuffer("defbuffer1", 100000),
                        "defbuffer2": ReadingBuffer("defbuffer2", 100000)}
        self.source_list = {"VOLTAGE": [], "CURRENT": []}
        self._user_delays = {}
        self._pending_sweep = None
        self._logic_trigger = None
        self._apply()

    @staticmethod
    def _parse_arguments(entry: CommandEntry, arg_text: str) -> list[Any]:
        """The engine's parsing, except that ``:TRACe:MAKE`` takes an empty trailing style as omitted: QCoDeS
        sends ``:TRACe:MAKE 'name', 100, `` and a real 2450 creates the buffer (QCoDeS's 2450 example)."""
        if entry.key == "TRACE:MAKE":
            arg_text = arg_text.rstrip().removesuffix(",")
        return ScpiInstrument._parse_arguments(entry, arg_text)

    def _level_changed(self) -> None:
        """A new source level: an autoranging source moves to the range that holds it."""
        if self.source_voltage_autorange:
            self.settings["source_voltage_range"] = fitting_range(VOLTAGE_RANGES, self.source_voltage)
        if self.source_current_autorange:
            self.settings["source_current_range"] = fitting_range(CURRENT_RANGES, self.source_current)
        self._apply()

    def _protection(self) -> float:
        """The overvoltage protection level (V), infinite with ``NONE``."""
        level = self.voltage_protection
        return math.inf if level == "NONE" else float(level[4:])

    def _noise_floor(self) -> tuple[float, float]:
        return self.sense_voltage_range, self.sense_current_range

    def _nplc(self, function: str) -> float:
        return {"CURRENT": self.nplc_current, "VOLTAGE": self.nplc_voltage,
                "RESISTANCE": self.nplc_resistance}[function]

    def _source_delay(self) -> float:
        if self.source_function == "VOLTAGE":
            return 0.0 if self.source_voltage_delay_auto else self.source_voltage_delay
        return 0.0 if self.source_current_delay_auto else self.source_current_delay

    # ----------------------------------------------------------------- measuring
    def measure(self, function: str | None = None, buffer: str = "defbuffer1") -> Reading:
        """Make ``:SENSe:COUNt`` readings of ``function`` (default: the sense function), store them in ``buffer``
        and return the last one."""
        function = function or self.sense_function
        buf = self._buffer(buffer)
        nplc = self._nplc(function)
        unit = _UNITS[function]
        source_unit = _UNITS[self.source_function]
        reading = None
        for _ in range(self.sense_count):
            v, i = self._integrate(nplc / LINE_FREQUENCY, nplc)
            value = {"VOLTAGE": v, "CURRENT": i}.get(function, v / i if i != 0 else _OVERFLOW)
            source = v if self.source_function == "VOLTAGE" else i
            status = 0x02 if self.tripped else 0  # bit 1: source limit reached
            reading = Reading(value, source, self.bench.time, unit, source_unit, status)
            buf.append(reading)
        self._autorange(function, reading.value)
        return reading

    def _autorange(self, function: str, value: float) -> None:
        """An autoranging measurement settles on the range that holds its reading."""
        name = function.lower()
        if self.settings[f"sense_{name}_autorange"]:
            ranges = {"CURRENT": CURRENT_RANGES, "VOLTAGE": VOLTAGE_RANGES, "RESISTANCE": RESISTANCE_RANGES}[function]
            self.settings[f"sense_{name}_range"] = fitting_range(ranges, value)

    def _format(self, readings: Iterable[Reading], elements: list[str], first: Reading) -> str:
        """Readings with the requested buffer elements (READing alone when none), comma-separated;
        RELative times count from ``first``, the oldest reading in the buffer."""
        elements = elements or ["READING"]
        return ",".join(self._element(r, e, first) for r in readings for e in elements)

    def _element(self, reading: Reading, element: str, first: Reading) -> str:
        stamp = datetime.fromtimestamp(self._clock_origin + reading.time, timezone.utc)
        renderers: dict[str, Callable[[], str]] = {
            "READING": lambda: number(reading.value),
            "SOURCE": lambda: number(reading.source),
            "RELATIVE": lambda: f"{reading.time - first.time:.9f}",
            "SECONDS": lambda: str(int(stamp.timestamp())),
            "FRACTIONAL": lambda: f"{stamp.microsecond / 1e6:.9f}",
            "UNIT": lambda: reading.unit,
            "SOURUNIT": lambda: reading.source_unit,
            "STATUS": lambda: str(reading.status),
            "SOURSTATUS": lambda: str(reading.status),
            "TSTAMP": lambda: stamp.strftime("%m/%d/%Y %H:%M:%S.%f"),
            "DATE": lambda: stamp.strftime("%m/%d/%Y"),
            "TIME": lambda: stamp.strftime("%H:%M:%S"),
            "FORMATTED": lambda: formatted(reading.value, reading.unit),
            "SOURFORMATTED": lambda: formatted(reading.source, reading.source_unit),
        }
        return renderers[element]()

    def _latest(self, reading: Reading, buffer: str, elements: list[str]) -> str:
        """The answer of READ?, MEASure? and FETCh?: the last reading only, whatever the count."""
        return self._format([reading], elements, self._buffer(buffer).readings[0])

    _READ_ARGS = (String("defbuffer1", optional=True), Variadic(Enum(_ELEMENTS), maximum=14))

    @command(":READ?", *_READ_ARGS)
    def _read(self, buffer: str, elements: list[str]) -> str:
        return self._latest(self.measure(None, buffer), buffer, elements)

    @command(":MEASure?", *_READ_ARGS)
    def _measure_query(self, buffer: str, elements: list[str]) -> str:
        return self._latest(self.measure(None, buffer), buffer, elements)

    @command(":MEASure:VOLTage[:DC]?", *_READ_ARGS)
    def _measure_voltage(self, buffer: str, elements: list[str]) -> str:
        self.sense_function = "VOLTAGE"
        return self._latest(self.measure("VOLTAGE", buffer), buffer, elements)

    @command(":MEASure:CURRent[:DC]?", *_READ_ARGS)
    def _measure_current(self, buffer: str, elements: list[str]) -> str:
        self.sense_function = "CURRENT"
        return self._latest(self.measure("CURRENT", buffer), buffer, elements)

    @command(":MEASure:RESistance?", *_READ_ARGS)
    def _measure_resistance(self, buffer: str, elements: list[str]) -> str:
        self.sense_function = "RESISTANCE"
        return self._latest(self.measure("RESISTANCE", buffer), buffer, elements)

    @command(":FETCh?", *_READ_ARGS)
    def _fetch(self, buffer: str, elements: list[str]) -> str:
        buf = self._buffer(buffer)
        if not buf.readings:
            raise ScpiError(-230, f"buffer '{buffer}' is empty")
        return self._latest(buf.readings[-1], buffer, elements)

    # ----------------------------------------------------------------- limits and delays
    @command(":SOURce[1]:VOLTage:ILIMit[:LEVel]:TRIPped?")
    def _ilim_tripped(self) -> str:
        return "1" if self.tripped and self.source_function == "VOLTAGE" else "0"

    @command(":SOURce[1]:CURRent:VLIMit[:LEVel]:TRIPped?")
    def _vlim_tripped(self) -> str:
        return "1" if self.tripped and self.source_function == "CURRENT" else "0"

    @command(":SOURce[1]:VOLTage:PROTection:TRIPped?")
    def _protection_tripped(self) -> str:
        return "1" if self.protection_tripped else "0"

    def _set_user_delay(self, block: str, function: str, n: int, value: float) -> None:
        if not 1 <= n <= 5:
            raise ScpiError(-114, f"user delay {n} (1 to 5)")
        self._user_delays[(block, function, n)] = value

    def _user_delay(self, block: str, function: str, n: int) -> str:
        if not 1 <= n <= 5:
            raise ScpiError(-114, f"user delay {n} (1 to 5)")
        return number(self._user_delays.get((block, function, n), 0.0))

    @command(":SOURce[1]:VOLTage:DELay:USER#", _delay())
    def _set_user_delay_v(self, n: int, value: float) -> None:
        self._set_user_delay("SOURCE", "VOLTAGE", n, value)

    @command(":SOURce[1]:VOLTage:DELay:USER#?")
    def _get_user_delay_v(self, n: int) -> str:
        return self._user_delay("SOURCE", "VOLTAGE", n)

    @command(":SOURce[1]:CURRent:DELay:USER#", _delay())
    def _set_user_delay_i(self, n: int, value: float) -> None:
        self._set_user_delay("SOURCE", "CURRENT", n, value)

    @command(":SOURce[1]:CURRent:DELay:USER#?")
    def _get_user_delay_i(self, n: int) -> str:
        return self._user_delay("SOURCE", "CURRENT", n)

    @command("[:SENSe[1]]:VOLTage[:DC]:DELay:USER#", _delay())
    def _set_measure_delay_v(self, n: int, value: float) -> None:
        self._set_user_delay("MEASURE", "VOLTAGE", n, value)

    @command("[:SENSe[1]]:VOLTage[:DC]:DELay:USER#?")
    def _get_measure_delay_v(self, n: int) -> str:
        return self._user_delay("MEASURE", "VOLTAGE", n)

    @command("[:SENSe[1]]:CURRent[:DC]:DELay:USER#", _delay())
    def _set_measure_delay_i(self, n: int, value: float) -> None:
        self._set_user_delay("MEASURE", "CURRENT", n, value)

    @command("[:SENSe[1]]:CURRent[:DC]:DELay:USER#?")
    def _get_measure_delay_i(self, n: int) -> str:
        return self._user_delay("MEASURE", "CURRENT", n)

    @command("[:SENSe[1]]:RESistance:DELay:USER#", _delay())
    def _set_measure_delay_r(self, n: int, value: float) -> None:
        self._set_user_delay("MEASURE", "RESISTANCE", n, value)

    @command("[:SENSe[1]]:RESistance:DELay:USER#?")
    def _get_measure_delay_r(self, n: int) -> str:
        return self._user_delay("MEASURE", "RESISTANCE", n)

    # ----------------------------------------------------------------- buffers
    @command(":TRACe:MAKE", String(), Integer(0, 10, 11_000_000),
             Enum(["STANdard", "COMPact", "FULL", "WRITable", "FULLWRITable"], "STANdard", optional=True))
    def _trace_make(self, name: str, size: int, style: str) -> None:
        if name in self.buffers:
            raise ScpiError(-221, f"buffer '{name}' exists")
        self.buffers[name] = ReadingBuffer(name, size)

    @command(":TRACe:DELete", String())
    def _trace_delete(self, name: str) -> None:
        if name in ("defbuffer1", "defbuffer2"):
            raise ScpiError(-221, "default buffers cannot be deleted")
        self._buffer(name)
        del self.buffers[name]

    @command(":TRACe:POINts", Integer(0, 10, 11_000_000), String("defbuffer1", optional=True))
    def _trace_points(self, size: int, name: str) -> None:
        self._buffer(name).resize(size)

    @command(":TRACe:POINts?", String("defbuffer1", optional=True))
    def _trace_points_query(self, name: str) -> str:
        return str(self._buffer(name).capacity)

    @command(":TRACe:ACTual?", String("defbuffer1", optional=True))
    def _trace_actual(self, name: str) -> str:
        return str(len(self._buffer(name).readings))

    @command(":TRACe:ACTual:STARt?", String("defbuffer1", optional=True))
    def _trace_actual_start(self, name: str) -> str:
        return "1" if self._buffer(name).readings else "0"

    @command(":TRACe:ACTual:END?", String("defbuffer1", optional=True))
    def _trace_actual_end(self, name: str) -> str:
        return str(len(self._buffer(name).readings))

    @command(":TRACe:CLEar", String("defbuffer1", optional=True))
    def _trace_clear(self, name: str) -> None:
        self._buffer(name).readings.clear()

    @command(":TRACe:TRIGger", String("defbuffer1", optional=True))
    def _trace_trigger(self, name: str) -> None:
        self.measure(None, name)

    @command(":TRACe:DATA?", Integer(1, 1, 11_000_000), Integer(1, 1, 11_000_000),
             String("defbuffer1", optional=True), Variadic(Enum(_ELEMENTS), maximum=14))
    def _trace_data(self, start: int, end: int, name: str, elements: list[str]) -> str:
        buf = self._buffer(name)
        return self._format(buf.span(start, end), elements, buf.readings[0])

    @command(":TRACe:STATistics:AVERage?", String("defbuffer1", optional=True))
    def _stat_average(self, name: str) -> str:
        return number(float(np.mean(self._buffer(name).values())))

    @command(":TRACe:STATistics:MAXimum?", String("defbuffer1", optional=True))
    def _stat_max(self, name: str) -> str:
        return number(float(np.max(self._buffer(name).values())))

    @command(":TRACe:STATistics:MINimum?", String("defbuffer1", optional=True))
    def _stat_min(self, name: str) -> str:
        return number(float(np.min(self._buffer(name).values())))

    @command(":TRACe:STATistics:PK2Pk?", String("defbuffer1", optional=True))
    def _stat_peak_to_peak(self, name: str) -> str:
        return number(float(np.ptp(self._buffer(name).values())))

    @command(":TRACe:STATistics:STDDev?", String("defbuffer1", optional=True))
    def _stat_std(self, name: str) -> str:
        values = self._buffer(name).values()
        return number(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0)

    # ----------------------------------------------------------------- sweeps and trigger model
    @command(":SOURce[1]:LIST:VOLTage", Variadic(Numeric(0.0, -V_MAX, V_MAX, "V"), minimum=1, maximum=2500))
    def _list_voltage(self, values: list[float]) -> None:
        self.source_list["VOLTAGE"] = list(values)

    @command(":SOURce[1]:LIST:CURRent", Variadic(Numeric(0.0, -I_MAX, I_MAX, "A"), minimum=1, maximum=2500))
    def _list_current(self, values: list[float]) -> None:
        self.source_list["CURRENT"] = list(values)

    @command(":SOURce[1]:LIST:VOLTage:APPend", Variadic(Numeric(0.0, -V_MAX, V_MAX, "V"), minimum=1))
    def _list_voltage_append(self, values: list[float]) -> None:
        if len(self.source_list["VOLTAGE"]) + len(values) > 100000:
            raise ScpiError(-222, "source list longer than 100000 points")
        self.source_list["VOLTAGE"].extend(values)

    @command(":SOURce[1]:LIST:CURRent:APPend", Variadic(Numeric(0.0, -I_MAX, I_MAX, "A"), minimum=1))
    def _list_current_append(self, values: list[float]) -> None:
        if len(self.source_list["CURRENT"]) + len(values) > 100000:
            raise ScpiError(-222, "source list longer than 100000 points")
        self.source_list["CURRENT"].extend(values)

    @command(":SOURce[1]:LIST:VOLTage?")
    def _list_voltage_query(self) -> str:
        return ",".join(f"{v:+.6E}" for v in self.source_list["VOLTAGE"])

    @command(":SOURce[1]:LIST:CURRent?")
    def _list_current_query(self) -> str:
        return ",".join(f"{v:+.6E}" for v in self.source_list["CURRENT"])

    @command(":SOURce[1]:LIST:VOLTage:POINts?")
    def _list_voltage_points(self) -> str:
        return str(len(self.source_list["VOLTAGE"]))

    @command(":SOURce[1]:LIST:CURRent:POINts?")
    def _list_current_points(self) -> str:
        return str(len(self.source_list["CURRENT"]))

    def _linear(self, function: str, start: float, stop: float, points: int, delay: float, count: int,
                dual: bool, buffer: str) -> None:
        self._buffer(buffer)
        step = (stop - start) / (points - 1) if points > 1 else 0.0
        levels = [start + k * step for k in range(points)]
        if dual:
            levels = levels + levels[::-1]
        self._arm_sweep(function, levels, delay, count, buffer)

    def _arm_sweep(self, function: str, levels: list[float], delay: float, count: int, buffer: str) -> None:
        self.settings["source_function"] = function
        limit = V_MAX if function == "VOLTAGE" else I_MAX
        if any(abs(x) > limit for x in levels):
            raise ScpiError(-222, "sweep level out of range")
        self._pending_sweep = (buffer, levels, delay, count)

    _SWEEP_LINEAR = (Numeric(0.0), Numeric(0.0), Integer(2, 2, 100000), Numeric(-1.0, -1.0, 1e4, "S", optional=True),
                     Integer(1, 0, 268435455, optional=True), Enum(["AUTO", "BEST", "FIXed"], "BEST", optional=True),
                     Boolean(False, optional=True), Boolean(False, optional=True),
                     String("defbuffer1", optional=True))

    @command(":SOURce[1]:SWEep:VOLTage:LINear", *_SWEEP_LINEAR)
    def _sweep_voltage(self, start, stop, points, delay, count, rtype, fail_abort, dual, buffer) -> None:
        self._linear("VOLTAGE", start, stop, points, delay, count, dual, buffer)

    @command(":SOURce[1]:SWEep:CURRent:LINear", *_SWEEP_LINEAR)
    def _sweep_current(self, start, stop, points, delay, count, rtype, fail_abort, dual, buffer) -> None:
        self._linear("CURRENT", start, stop, points, delay, count, dual, buffer)

    _SWEEP_LIST = (Integer(1, 1, 100000, optional=True), Numeric(-1.0, -1.0, 1e4, "S", optional=True),
                   Integer(1, 0, 268435455, optional=True), Boolean(False, optional=True),
                   String("defbuffer1", optional=True))

    @command(":SOURce[1]:SWEep:VOLTage:LIST", *_SWEEP_LIST)
    def _sweep_voltage_list(self, start_index, delay, count, fail_abort, buffer) -> None:
        levels = self.source_list["VOLTAGE"][start_index - 1:]
        if not levels:
            raise ScpiError(-221, "source list is empty")
        self._arm_sweep("VOLTAGE", levels, delay, count, buffer)

    @command(":SOURce[1]:SWEep:CURRent:LIST", *_SWEEP_LIST)
    def _sweep_current_list(self, start_index, delay, count, fail_abort, buffer) -> None:
        levels = self.source_list["CURRENT"][start_index - 1:]
        if not levels:
            raise ScpiError(-221, "source list is empty")
        self._arm_sweep("CURRENT", levels, delay, count, buffer)

    @command(":TRIGger:LOAD", Raw(), Variadic(Raw()))
    def _trigger_load(self, model: str, args: list[str]) -> None:
        if model.upper() not in ("SIMPLELOOP", "EMPTY", "LOGICTRIGGER"):
            raise ScpiError(-224, f"trigger model '{model}' is not supported (SimpleLoop, LogicTrigger, Empty)")
        if model.upper() == "EMPTY":
            self._pending_sweep = None
            self._logic_trigger = None
            return
        if model.upper() == "LOGICTRIGGER":
            # "LogicTrigger", <digInLine>, <digOutLine>, <count>, <clear>, <delay>, <bufferName>
            try:
                count, clear, delay = int(float(args[2])), int(float(args[3])), float(args[4])
            except (IndexError, ValueError):
                raise ScpiError(-109, "LogicTrigger takes <in>, <out>, <count>, <clear>, <delay>[, <buffer>]") from None
            buffer = args[5] if len(args) > 5 else "defbuffer1"
            self._buffer(buffer)
            if count < 1 or delay < 0:
                raise ScpiError(-222, "LogicTrigger count must be >= 1 and delay >= 0")
            self._pending_sweep = None
            self._logic_trigger = (count, bool(clear), delay, buffer)
            return
        try:
            count = int(float(args[0])) if args else 1
            delay = float(args[1]) if len(args) > 1 else 0.0
        except ValueError:
            raise ScpiError(-104, "SimpleLoop takes <count>[, <delay>[, <buffer>]]") from None
        buffer = args[2] if len(args) > 2 else "defbuffer1"
        self._buffer(buffer)
        self._pending_sweep = (buffer, [self._level()] * count, delay, 1)

    @command(":INITiate[:IMMediate]")
    def _initiate(self) -> None:
        """Run the armed sweep or trigger model to completion (simulated time, instantly in wall time); a
        LogicTrigger model instead waits on the trigger line: one reading per incoming trigger."""
        if self._logic_trigger is not None:
            self._arm_logic_trigger()
            return
        if self._pending_sweep is None:
            self.measure()
            return
        buffer, levels, delay, count = self._pending_sweep
        self._buffer(buffer).readings.clear()  # a trigger-model run starts with an empty buffer
        self._run_levels(levels, delay, count, lambda: self.measure(None, buffer))

    def _arm_logic_trigger(self) -> None:
        count, clear, delay, buffer = self._logic_trigger
        if clear:
            self._buffer(buffer).readings.clear()
        if not self.output:
            raise ScpiError(-221, "LogicTrigger needs the output on")
        function = self.sense_function

        def record(v: np.ndarray, i: np.ndarray) -> None:
            values = {"VOLTAGE": v, "CURRENT": i}.get(function, v / np.where(i == 0, np.nan, i))
            sources = v if self.source_function == "VOLTAGE" else i
            unit, source_unit = _UNITS[function], _UNITS[self.source_function]
            buf = self._buffer(buffer)
            for value, source in zip(values, sources, strict=True):
                buf.append(Reading(float(value), float(source), self.bench.time, unit, source_unit, 0))

        self._listen(count, delay, self._nplc(function), lambda: self.measure(None, buffer), record)

    @command(":TRIGger:STATe?")
    def _trigger_state(self) -> str:
        return "WAITING;WAITING;" if self._listener is not None else "IDLE;IDLE;"

    @command(":ABORt")
    def _abort(self) -> None:
        if self._listener is not None:
            self._disarm()

    @command("*TRG")
    def _trg(self) -> None:
        self.measure()

    # ----------------------------------------------------------------- housekeeping
    @command(":SYSTem:LFRequency?")
    def _line_frequency(self) -> str:
        return str(int(LINE_FREQUENCY))

    @command(":SENSe[1]:AZERo:ONCE")
    def _autozero_once(self) -> None:
        self.bench.advance(0.1)

    @command(":STATus:PRESet")
    def _status_preset(self) -> None:
        self.ese = 0

    @command(":STATus:CLEar")
    def _status_clear(self) -> None:
        self.esr = 0

    @command(":SYSTem:CLEar")
    def _system_clear(self) -> None:
        self.errors.clear()

    @command(":SYSTem:BEEPer[:IMMediate]", Numeric(1000.0, 20, 8000, "HZ"), Numeric(0.1, 0.001, 100, "S"))
    def _beep(self, frequency: float, duration: float) -> None:
        return None
