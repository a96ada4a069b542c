"""Virtual Keithley 2400 SourceMeter (SCPI), wired to the DUT of a virtual bench: the 2400's dialect on
:class:`~mtjhw.simulators.instruments.source_meter.SourceMeterTwin`.

From the 2400 Series User's Manual, what PyMeasure's and QCoDeS's 2400 drivers and our own driver use: source
function, levels (``:SOURce:<function>:LEVel``) and modes (``FIXed``/``LIST``), compliance as
``:SENSe:<function>:PROTection`` (a magnitude, at least 0.1 % of the lowest measure range) with trip flags, V-source
protection (``:SOURce:VOLTage:PROTection``: 20, 40, 60, 80, 100, 120, 160 V, the lower one for a value between, NONE
above 160 V), fixed and auto ranges, NPLC (one value for every function, as on the 2400), concurrent sense
functions, ``:FORMat:ELEMents``, the arm and trigger layers (``:ARM:COUNt`` × ``:TRIGger:COUNt`` readings per
``:READ?``/``:INITiate``; trigger-link input for pulsed work, one reading per edge on the bench's trigger line), the
``:TRACe`` buffer (2500 readings) and ``:CALCulate3`` statistics over it. ``*RST`` defaults: output off, voltage
source at 0 V, 105 µA and 21 V compliance, protection NONE, 1 NPLC. A reading is V, I, R, time, status
(``9.91E37`` for a value not measured); the output stays on after a reading (auto output-off is off after a reset).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Boolean, Enum, Integer, Numeric, Raw, ScpiError, Setting, Variadic, command

from .keithley2450 import SenseFunction
from .source_meter import LINE_FREQUENCY, ManualSetting, Range, ReadingBuffer, SourceMeterTwin, fitting_range

V_MAX, I_MAX = 210.0, 1.05
CURRENT_RANGES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # A
VOLTAGE_RANGES = (0.2, 2.0, 20.0, 200.0)  # V
RESISTANCE_RANGES = (20.0, 200.0, 2e3, 2e4, 2e5, 2e6, 2e7, 2e8)  # Ω
PROTECTION_LEVELS = (20.0, 40.0, 60.0, 80.0, 100.0, 120.0, 160.0)  # V; above: NONE (210 V)
NOT_MEASURED = 9.91e37  # what the 2400 sends for a value it did not measure
BUFFER_SIZE = 2500
_ELEMENTS = ("VOLTage", "CURRent", "RESistance", "TIME", "STATus")
_FUNCTIONS = {"VOLTAGE": '"VOLT:DC"', "CURRENT": '"CURR:DC"', "RESISTANCE": '"RES"'}
_COMPLIANCE_BIT, _OVP_BIT = 8, 16  # status word bits 3 (in compliance) and 4 (V-source protection reached)


@dataclass
class Sample:
    """One 2400 reading: the five :FORMat:ELEMents."""

    voltage: float
    current: float
    resistance: float
    time: float  # s on the bench clock
    status: int


class Number(Numeric):
    """A number as the 2400 answers it (``1.050000E-04``)."""

    def format(self, value: float) -> str:
        return f"{float(value):.6E}"


class Compliance(Number):
    """A compliance: stored as a magnitude, at least ``floor`` (0.1 % of the lowest measure range)."""

    def __init__(self, default: float, top: float, floor: float, unit: str) -> None:
        super().__init__(default, -top, top, unit)
        self.floor = floor

    def parse(self, token: str) -> float:
        return max(abs(super().parse(token)), self.floor)


class Protection(Number):
    """The V-source protection: the highest level at or below the value (the lowest at least), NONE above
    160 V, answered in volts (NONE as 210 V)."""

    def __init__(self) -> None:
        super().__init__(V_MAX, -V_MAX, V_MAX, "V", specials={"NONE": V_MAX})

    def parse(self, token: str) -> float:
        value = abs(super().parse(token))
        if value > PROTECTION_LEVELS[-1]:
            return V_MAX
        return max([PROTECTION_LEVELS[0], *(level for level in PROTECTION_LEVELS if level <= value)])


def _text(value: float) -> str:
    return f"{value:.6E}"


class Keithley2400(SourceMeterTwin):
    """Virtual Keithley 2400 connected to ``bench``'s DUT (two-wire, front terminals)."""

    idn = ("KEITHLEY INSTRUMENTS INC.", "MODEL 2400", "4103921", "C32   Oct  4 2010 14:20:11/A02  /S/K")

    source_function = Setting(":SOURce[1]:FUNCtion[:MODE]", Enum(["VOLTage", "CURRent"], "VOLTage"), after="_apply")
    source_voltage = Setting(":SOURce[1]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", Number(0.0, -V_MAX, V_MAX, "V"),
                             after="_level_changed")
    source_current = Setting(":SOURce[1]:CURRent[:LEVel][:IMMediate][:AMPLitude]", Number(0.0, -I_MAX, I_MAX, "A"),
                             after="_level_changed")
    source_voltage_mode = Setting(":SOURce[1]:VOLTage:MODE", Enum(["FIXed", "LIST"], "FIXed"))
    source_current_mode = Setting(":SOURce[1]:CURRent:MODE", Enum(["FIXed", "LIST"], "FIXed"))
    current_limit = Setting("[:SENSe[1]]:CURRent[:DC]:PROTection[:LEVel]", Compliance(1.05e-4, I_MAX, 1e-9, "A"),
                            after="_apply")
    voltage_limit = Setting("[:SENSe[1]]:VOLTage[:DC]:PROTection[:LEVel]", Compliance(21.0, V_MAX, 2e-4, "V"),
                            after="_apply")
    voltage_protection = Setting(":SOURce[1]:VOLTage:PROTection[:LEVel]", Protection(), after="_apply")
    source_voltage_range = ManualSetting(":SOURce[1]:VOLTage:RANGe", Range(VOLTAGE_RANGES, 20.0, "V"),
                                         "source_voltage_autorange")
    source_voltage_autorange = Setting(":SOURce[1]:VOLTage:RANGe:AUTO", Boolean(True))
    source_current_range = ManualSetting(":SOURce[1]:CURRent:RANGe", Range(CURRENT_RANGES, 1e-4, "A"),
                                         "source_current_autorange")
    source_current_autorange = Setting(":SOURce[1]:CURRent:RANGe:AUTO", Boolean(True))
    source_delay = ManualSetting(":SOURce[1]:DELay", Number(0.0, 0.0, 999.9999, "S"), "source_delay_auto")
    source_delay_auto = Setting(":SOURce[1]:DELay:AUTO", Boolean(True))
    auto_output_off = Setting(":SOURce[1]:CLEar:AUTO", Boolean(False))
    sense_current_range = ManualSetting("[:SENSe[1]]:CURRent[:DC]:RANGe[:UPPer]", Range(CURRENT_RANGES, 1e-4, "A"),
                                        "sense_current_autorange")
    sense_voltage_range = ManualSetting("[:SENSe[1]]:VOLTage[:DC]:RANGe[:UPPer]", Range(VOLTAGE_RANGES, 20.0, "V"),
                                        "sense_voltage_autorange")
    sense_resistance_range = ManualSetting("[:SENSe[1]]:RESistance:RANGe[:UPPer]",
                                           Range(RESISTANCE_RANGES, 2e5, "OHM"), "sense_resistance_autorange")
    sense_current_autorange = Setting("[:SENSe[1]]:CURRent[:DC]:RANGe:AUTO", Boolean(True))
    sense_voltage_autorange = Setting("[:SENSe[1]]:VOLTage[:DC]:RANGe:AUTO", Boolean(True))
    sense_resistance_autorange = Setting("[:SENSe[1]]:RESistance:RANGe:AUTO", Boolean(True))
    resistance_mode = Setting("[:SENSe[1]]:RESistance:MODE", Enum(["MANual", "AUTO"], "MANual"))
    concurrent = Setting("[:SENSe[1]]:FUNCtion:CONCurrent", Boolean(True))
    average = Setting("[:SENSe[1]]:AVERage[:STATe]", Boolean(False))
    average_count = Setting("[:SENSe[1]]:AVERage:COUNt", Integer(10, 1, 100))
    average_tcontrol = Setting("[:SENSe[1]]:AVERage:TCONtrol", Enum(["REPeat", "MOVing"], "REPeat"))
    output = Setting(":OUTPut[1][:STATe]", Boolean(False), after="_apply")
    output_off_mode = Setting(":OUTPut[1]:SMODe", Enum(["HIMPedance", "NORMal", "ZERO", "GUARd"], "NORMal"))
    remote_sense = Setting(":SYSTem:RSENse", Boolean(False))
    line_frequency = Setting(":SYSTem:LFRequency", Enum(["50", "60"], "50"))
    line_frequency_auto = Setting(":SYSTem:LFRequency:AUTO", Boolean(False))
    terminals = Setting(":ROUTe:TERMinals", Enum(["FRONt", "REAR"], "FRONt"))
    display = Setting(":DISPlay:ENABle", Boolean(True))
    data_format = Setting(":FORMat[:DATA]", Enum(["ASCii"], "ASCii"))
    arm_count = Setting(":ARM[:SEQuence[1]][:LAYer[1]]:COUNt", Integer(1, 1, BUFFER_SIZE))
    arm_source = Setting(":ARM[:SEQuence[1]][:LAYer[1]]:SOURce",
                         Enum(["IMMediate", "TLINk", "TIMer", "MANual", "BUS", "NSTest", "PSTest", "BSTest"],
                              "IMMediate"))
    arm_timer = Setting(":ARM[:SEQuence[1]][:LAYer[1]]:TIMer", Number(0.1, 0.001, 99999.99, "S"))
    arm_input_line = Setting(":ARM[:SEQuence[1]][:LAYer[1]][:TCONfigure]:ILINe", Integer(1, 1, 4))
    arm_output_line = Setting(":ARM[:SEQuence[1]][:LAYer[1]][:TCONfigure]:OLINe", Integer(2, 1, 4))
    arm_output = Setting(":ARM[:SEQuence[1]][:LAYer[1]][:TCONfigure]:OUTPut",
                         Enum(["TENTer", "TEXit", "NONE"], "NONE"))
    trigger_count = Setting(":TRIGger[:SEQuence[1]]:COUNt", Integer(1, 1, BUFFER_SIZE))
    trigger_delay = Setting(":TRIGger[:SEQuence[1]]:DELay", Number(0.0, 0.0, 999.9999, "S"))
    trigger_source = Setting(":TRIGger[:SEQuence[1]]:SOURce", Enum(["IMMediate", "TLINk"], "IMMediate"))
    trigger_input_line = Setting(":TRIGger[:SEQuence[1]][:TCONfigure]:ILINe", Integer(1, 1, 4))
    trigger_output_line = Setting(":TRIGger[:SEQuence[1]][:TCONfigure]:OLINe", Integer(2, 1, 4))
    trigger_output = Setting(":TRIGger[:SEQuence[1]][:TCONfigure]:OUTPut",
                             Enum(["SOURce", "DELay", "SENSe", "NONE"], "NONE"))
    trace_points = Setting(":TRACe:POINts", Integer(100, 1, BUFFER_SIZE), after="_resize_trace")
    trace_feed = Setting(":TRACe:FEED", Enum(["SENSe", "SENSe1", "CALCulate", "CALCulate1", "CALCulate2"], "SENSe"))
    trace_control = Setting(":TRACe:FEED:CONTrol", Enum(["NEVer", "NEXT"], "NEVer"))

    def __init__(self, bench: VirtualBench) -> None:
        self.functions: list[str] = []
        self.elements: list[str] = []
        self.source_list: dict[str, list[float]] = {"VOLTAGE": [], "CURRENT": []}
        self.nplc = 1.0
        self.autozero = True
        self.statistic = "MEAN"
        self._last: list[Sample] = []
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.functions = ["CURRENT"]
        self.elements = [e.upper() for e in _ELEMENTS]
        self.source_list = {"VOLTAGE": [], "CURRENT": []}
        self.nplc = 1.0
        self.autozero = True
        self.statistic = "MEAN"
        self._last = []
        self.buffers = {"trace": ReadingBuffer("trace", self.trace_points)}
        self._apply()

    # ----------------------------------------------------------------- SourceMeterTwin hooks
    def _protection(self) -> float:
        return math.inf if self.voltage_protection >= V_MAX else self.voltage_protection

    def _noise_floor(self) -> tuple[float, float]:
        return self.sense_voltage_range, self.sense_current_range

    def _source_delay(self) -> float:
        return 0.0 if self.source_delay_auto else self.source_delay

    def _level_changed(self) -> None:
        """A new level: an autoranging source moves to the range that holds it."""
        for function, ranges in (("voltage", VOLTAGE_RANGES), ("current", CURRENT_RANGES)):
            if self.settings[f"source_{function}_autorange"]:
                self.settings[f"source_{function}_range"] = fitting_range(ranges, self.settings[f"source_{function}"])
        self._apply()

    def _resize_trace(self) -> None:
        self.buffers["trace"].resize(self.trace_points)

    # ----------------------------------------------------------------- readings
    def reading(self) -> Sample:
        """One reading of the source and every sense function on (stored when the buffer is fed)."""
        v, i = self._integrate(self.nplc / LINE_FREQUENCY, self.nplc)
        source_v = self.source_function == "VOLTAGE"
        r = v / i if "RESISTANCE" in self.functions and i != 0 else NOT_MEASURED
        v = v if source_v or "VOLTAGE" in self.functions else NOT_MEASURED
        i = i if not source_v or "CURRENT" in self.functions else NOT_MEASURED
        status = (_COMPLIANCE_BIT if self.tripped else 0) | (_OVP_BIT if self.protection_tripped else 0)
        reading = Sample(v, i, r, self.bench.time, status)
        if self.trace_control == "NEXT":
            self._store(reading)
        return reading

    def _store(self, reading: Sample) -> None:
        buf = self.buffers["trace"]
        buf.append(reading)
        if len(buf.readings) == buf.capacity:
            self.settings["trace_control"] = "NEVER"  # a full buffer stops storing

    def _format(self, readings: list[Sample]) -> str:
        return ",".join(_text(float(getattr(r, e.lower()))) for r in readings for e in self.elements)

    def _run(self) -> list[Sample]:
        """One pass through the arm and trigger layers: arm count × trigger count readings (the source list, in
        LIST mode), the output left on."""
        if not self.output:
            raise ScpiError(-221, "output off")
        if self.trigger_source == "TLINK":
            self._arm_trigger_link()
            return []
        mode = self.settings[f"source_{self.source_function.lower()}_mode"]
        points = self.arm_count * self.trigger_count
        if mode == "LIST":
            levels = self.source_list[self.source_function]
            if len(levels) < points:
                raise ScpiError(-221, f"list of {len(levels)} points for {points} readings")
            readings: list[Sample] = []
            self._run_levels(levels[:points], self._source_delay() + self.trigger_delay, 1,
                             lambda: readings.append(self.reading()))
            return readings
        return [self._after_delay() for _ in range(points)]

    def _after_delay(self) -> Sample:
        wait = self._source_delay() + self.trigger_delay
        if wait > 0:
            self.bench.advance(wait)
        return self.reading()

    def _arm_trigger_link(self) -> None:
        """Trigger link: one reading per edge of the bench's trigger line, into the buffer."""
        count = self.arm_count * self.trigger_count
        self.settings["trace_control"] = "NEXT"

        def record(v: np.ndarray, i: np.ndarray) -> None:
            for vv, ii in zip(v, i, strict=True):
                self._store(Sample(float(vv), float(ii), NOT_MEASURED, self.bench.time, 0))

        self._listen(count, self.trigger_delay, self.nplc, self.reading, record)

    @command(":READ?")
    def _read(self) -> str:
        if self.trigger_source == "TLINK":
            raise ScpiError(-221, "trigger link: a reading per trigger, with :INITiate and :TRACe:DATA?")
        return self._format(self._run())

    @command(":INITiate[:IMMediate]")
    def _initiate(self) -> None:
        self._last = self._run()

    @command(":FETCh?")
    def _fetch(self) -> str:
        if not self._last:
            raise ScpiError(-230, "no readings")
        return self._format(self._last)

    def _measure(self, function: str) -> str:
        """``:MEASure:<function>?``: that function alone, the output on, one reading."""
        self.functions = [function]
        self.settings["output"] = True
        self._apply()
        return self._format([self.reading()])

    @command(":MEASure:VOLTage[:DC]?")
    def _measure_voltage(self) -> str:
        return self._measure("VOLTAGE")

    @command(":MEASure:CURRent[:DC]?")
    def _measure_current(self) -> str:
        return self._measure("CURRENT")

    @command(":MEASure:RESistance?")
    def _measure_resistance(self) -> str:
        return self._measure("RESISTANCE")

    @command("*TRG")
    def _trg(self) -> None:
        if self.trigger_source != "TLINK":
            self._last = [self.reading()] if self.output else []

    @command(":ABORt")
    def _abort(self) -> None:
        self._disarm()

    @command(":TRIGger:CLEar")
    def _trigger_clear(self) -> None:
        return None

    # ----------------------------------------------------------------- sense functions and format
    @command("[:SENSe[1]]:FUNCtion[:ON]", Variadic(SenseFunction("CURRent"), 1, 3))
    def _functions_on(self, functions: list[str]) -> None:
        self.functions = list(dict.fromkeys((self.functions if self.concurrent else []) + functions))

    @command("[:SENSe[1]]:FUNCtion[:ON]?")
    def _functions_query(self) -> str:
        return ",".join(_FUNCTIONS[f] for f in self.functions)

    @command("[:SENSe[1]]:FUNCtion:OFF", Variadic(SenseFunction("CURRent"), 1, 3))
    def _functions_off(self, functions: list[str]) -> None:
        self.functions = [f for f in self.functions if f not in functions]

    @command("[:SENSe[1]]:FUNCtion[:ON]:ALL")
    def _functions_all(self) -> None:
        self.functions = ["VOLTAGE", "CURRENT", "RESISTANCE"]

    @command("[:SENSe[1]]:FUNCtion:OFF:ALL")
    def _functions_none(self) -> None:
        self.functions = []

    @command("[:SENSe[1]]:CURRent[:DC]:NPLCycles", Number(1.0, 0.01, 10.0))
    @command("[:SENSe[1]]:VOLTage[:DC]:NPLCycles", Number(1.0, 0.01, 10.0))
    @command("[:SENSe[1]]:RESistance:NPLCycles", Number(1.0, 0.01, 10.0))
    def _set_nplc(self, value: float) -> None:
        self.nplc = value  # one integration time for every function

    @command("[:SENSe[1]]:CURRent[:DC]:NPLCycles?")
    @command("[:SENSe[1]]:VOLTage[:DC]:NPLCycles?")
    @command("[:SENSe[1]]:RESistance:NPLCycles?")
    def _nplc_query(self) -> str:
        return _text(self.nplc)

    @command(":FORMat:ELEMents[:SENSe[1]]", Variadic(Enum(list(_ELEMENTS)), 1, 5))
    def _set_elements(self, elements: list[str]) -> None:
        self.elements = [e for e in (e.upper() for e in _ELEMENTS) if e in elements]  # the 2400's fixed order

    @command(":FORMat:ELEMents[:SENSe[1]]?")
    def _elements_query(self) -> str:
        return ",".join(e[:4] for e in self.elements)

    # ----------------------------------------------------------------- limits, protection, housekeeping
    @command("[:SENSe[1]]:CURRent[:DC]:PROTection:TRIPped?")
    def _current_tripped(self) -> str:
        return "1" if self.tripped and self.source_function == "VOLTAGE" else "0"

    @command("[:SENSe[1]]:VOLTage[:DC]:PROTection:TRIPped?")
    def _voltage_tripped(self) -> str:
        return "1" if self.tripped and self.source_function == "CURRENT" else "0"

    @command(":SYSTem:AZERo[:STATe]", Raw())
    def _autozero(self, state: str) -> None:
        if state.upper() == "ONCE":
            self.bench.advance(0.1)
        else:
            self.autozero = Boolean().parse(state)

    @command(":SYSTem:AZERo[:STATe]?")
    def _autozero_query(self) -> str:
        return "1" if self.autozero else "0"

    @command(":SYSTem:PRESet")
    def _preset(self) -> None:
        self.reset()

    @command(":STATus:PRESet")
    def _status_preset(self) -> None:
        self.ese = 0

    @command(":SYSTem:BEEPer[:IMMediate]", Number(1000.0, 65, 2e6, "HZ"), Number(0.1, 0, 7.9, "S"))
    def _beep(self, frequency: float, duration: float) -> None:
        return None

    # ----------------------------------------------------------------- source list, buffer, statistics
    @command(":SOURce[1]:LIST:VOLTage", Variadic(Number(0.0, -V_MAX, V_MAX, "V"), 1, 100))
    def _list_voltage(self, values: list[float]) -> None:
        self.source_list["VOLTAGE"] = list(values)

    @command(":SOURce[1]:LIST:CURRent", Variadic(Number(0.0, -I_MAX, I_MAX, "A"), 1, 100))
    def _list_current(self, values: list[float]) -> None:
        self.source_list["CURRENT"] = list(values)

    @command(":SOURce[1]:LIST:VOLTage:POINts?")
    def _list_voltage_points(self) -> str:
        return str(len(self.source_list["VOLTAGE"]))

    @command(":SOURce[1]:LIST:CURRent:POINts?")
    def _list_current_points(self) -> str:
        return str(len(self.source_list["CURRENT"]))

    @command(":TRACe:CLEar")
    def _trace_clear(self) -> None:
        self.buffers["trace"].readings.clear()

    @command(":TRACe:POINts:ACTual?")
    def _trace_actual(self) -> str:
        return str(len(self.buffers["trace"].readings))

    @command(":TRACe:DATA?")
    def _trace_data(self) -> str:
        readings = list(self.buffers["trace"].readings)
        if not readings:
            raise ScpiError(-230, "the buffer is empty")
        return self._format(readings)

    @staticmethod
    def _calculate3(n: int) -> None:
        if n != 3:
            raise ScpiError(-113, f":CALCulate{n}: only CALCulate3 (buffer statistics) is simulated")

    @command(":CALCulate#:FORMat", Enum(["MEAN", "SDEViation", "MAXimum", "MINimum", "PKPK"]))
    def _set_statistic(self, n: int, statistic: str) -> None:
        self._calculate3(n)
        self.statistic = statistic

    @command(":CALCulate#:FORMat?")
    def _statistic_query(self, n: int) -> str:
        self._calculate3(n)
        return self.statistic[:4] if self.statistic != "SDEVIATION" else "SDEV"

    @command(":CALCulate#:DATA?")
    def _statistics(self, n: int) -> str:
        """The statistic of each element over the buffer (V, I, R; the time and status elements are left out)."""
        self._calculate3(n)
        readings = list(self.buffers["trace"].readings)
        if not readings:
            raise ScpiError(-230, "the buffer is empty")
        values = np.array([[r.voltage, r.current, r.resistance] for r in readings])
        statistic = {"MEAN": np.mean, "MAXIMUM": np.max, "MINIMUM": np.min, "PKPK": np.ptp,
                     "SDEVIATION": lambda x, axis: np.std(x, axis=axis, ddof=1) if len(x) > 1 else np.zeros(3)}
        stats = statistic[self.statistic](values, axis=0)
        wanted = [k for k, e in enumerate(("VOLTAGE", "CURRENT", "RESISTANCE")) if e in self.elements]
        return ",".join(_text(float(stats[k])) for k in wanted)
