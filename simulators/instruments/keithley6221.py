"""Virtual Keithley 6221 AC and DC current source with a 2182A nanovoltmeter on its RS-232 and Trigger Link.

Follows the 6220/6221 Reference Manual for DC current sourcing (level, compliance, range, output, shield and
earth settings), delta mode (``:SOURce:DELTa:HIGH/LOW/DELay/COUNt``, ``:SOURce:SWEep:COUNt``, compliance abort,
cold switching, ``:SOURce:DELTa:ARM``, ``:INITiate``, ``:SOURce:SWEep:ABORt``), pulse delta
(``:SOURce:PDELta:HIGH/LOW/WIDTh/SDELay/COUNt/INTerval/LMEasure/RANGe``, ``:SOURce:PDELta:ARM``), the reading
buffer (``:TRACe:DATA?`` answers reading and timestamp per point, the default ``:FORMat:ELEMents``), reading units
(``:UNIT V|OHMS|W|SIEM``), the waveform settings PyMeasure reads, and the serial link to the 2182A
(``:SYSTem:COMMunicate:SERial:SEND "<command>"``, ``:SYSTem:COMMunicate:SERial:ENTer?``).

The source drives the bench DUT as a current source (``bench.apply_bias``), clamped at the voltage compliance. A
delta run alternates ``HIGH`` and ``LOW``, waits the delta delay after each change, and has the 2182A integrate for
its NPLC; each reading is the three-point average ``(V1 − 2·V2 + V3)/4`` of a moving window (sign of the first
point), ``count + 2`` voltages for ``count`` readings. A reading with any voltage taken in compliance is an overflow
(+9.9E37), and with compliance abort on the run stops there. A pulse-delta reading is ``V_high − (V_low1 +
V_low2)/2`` of a low–high–low triple, the 2182A integrating for the pulse width less the source delay. In OHMS a
reading is divided by the current step (half of HIGH − LOW in delta, HIGH − LOW in pulse delta). Each run advances
the bench clock by its duration; the run is complete when ``:INITiate`` returns.
"""

from __future__ import annotations

import math

from mtjhw.simulators.bench import Bias, VirtualBench
from mtjhw.simulators.scpi import Boolean, Enum, Integer, Numeric, Raw, ScpiError, Setting, String, Variadic, command

from .base import BenchInstrument
from .keithley2182 import LINE_FREQUENCY, OVERFLOW, Keithley2182

I_MAX = 0.105  # A
_BUFFER = 65536  # readings


def number(value: float) -> str:
    """A number as the 6221 sends it (``+1.234567E-03``)."""
    return f"{value:+.6E}"


def _current(default: float, low: float = -I_MAX, high: float = I_MAX) -> Numeric:
    return Numeric(default, low, high, "A")


class Keithley6221(BenchInstrument):
    """Virtual 6221 sourcing current through ``bench``'s DUT, its 2182A (:attr:`nanovoltmeter`) across it."""

    idn = ("KEITHLEY INSTRUMENTS INC.", "MODEL 6221", "4109876", "D03  /700x")

    output = Setting(":OUTPut[:STATe]", Boolean(False), after="_apply")
    shield = Setting(":OUTPut:ISHield", Enum(["OLOW", "GUARd"], "OLOW", responses={"GUARD": "GUAR"}))
    low_to_earth = Setting(":OUTPut:LTEarth", Boolean(False))
    source_delay = Setting(":SOURce:DELay", Numeric(1e-3, 1e-3, 999999.999, "S"))
    source_current = Setting(":SOURce:CURRent[:LEVel][:IMMediate][:AMPLitude]", _current(0.0), after="_apply")
    compliance = Setting(":SOURce:CURRent:COMPliance", Numeric(10.0, 0.1, 105.0, "V"), after="_apply")
    source_range = Setting(":SOURce:CURRent:RANGe", _current(0.1))
    source_autorange = Setting(":SOURce:CURRent:RANGe:AUTO", Boolean(False))
    unit = Setting(":UNIT[:VOLTage][:DC]", Enum(["V", "OHMS", "W", "SIEMens"], "V", responses={"SIEMENS": "SIEM"}))
    delta_high = Setting(":SOURce:DELTa:HIGH", _current(1e-3, 0.0), after="_delta_high_set")
    delta_low = Setting(":SOURce:DELTa:LOW", _current(-1e-3, high=0.0))
    delta_delay = Setting(":SOURce:DELTa:DELay", Numeric(2e-3, 1e-3, 9999.999, "S"))
    delta_count = Setting(":SOURce:DELTa:COUNt", Integer(100, 1, 65536))
    sweep_count = Setting(":SOURce:SWEep:COUNt", Integer(1, 1, 65536))
    compliance_abort = Setting(":SOURce:DELTa:CABort", Boolean(False))
    cold_switch = Setting(":SOURce:DELTa:CSWitch", Boolean(False))
    pulse_high = Setting(":SOURce:PDELta:HIGH", _current(1e-3))
    pulse_low = Setting(":SOURce:PDELta:LOW", _current(0.0))
    pulse_width = Setting(":SOURce:PDELta:WIDTh", Numeric(110e-6, 50e-6, 12e-3, "S"))
    pulse_source_delay = Setting(":SOURce:PDELta:SDELay", Numeric(100e-6, 16e-6, 11.966e-3, "S"))
    pulse_count = Setting(":SOURce:PDELta:COUNt", Integer(100, 1, 65636))
    pulse_interval = Setting(":SOURce:PDELta:INTerval", Integer(5, 5, 999999))  # power-line cycles
    pulse_low_measurements = Setting(":SOURce:PDELta:LMEasure", Integer(2, 1, 2))
    pulse_ranging = Setting(":SOURce:PDELta:RANGing", Enum(["BEST", "FIXed"], "BEST", responses={"FIXED": "FIX"}))
    wave_function = Setting(":SOURce:WAVE:FUNCtion", Enum(["SINe", "SQUare", "RAMP", "ARB1", "ARB2", "ARB3", "ARB4"],
                                                          "SINe", responses={"SINE": "SIN", "SQUARE": "SQU"}))
    wave_frequency = Setting(":SOURce:WAVE:FREQuency", Numeric(1e3, 1e-3, 1e5, "HZ"))
    wave_amplitude = Setting(":SOURce:WAVE:AMPLitude", _current(2e-12, 2e-12))
    wave_offset = Setting(":SOURce:WAVE:OFFSet", _current(0.0))
    wave_duty_cycle = Setting(":SOURce:WAVE:DCYCle", Numeric(50.0, 0.0, 100.0))
    wave_duration_time = Setting(":SOURce:WAVE:DURation:TIME", Numeric(1.0, 100e-9, 999999.999, "S"))
    wave_duration_cycles = Setting(":SOURce:WAVE:DURation:CYCLes", Numeric(1e3, 1e-3, 99999999900.0))
    wave_ranging = Setting(":SOURce:WAVE:RANGing", Enum(["BEST", "FIXed"], "BEST", responses={"FIXED": "FIX"}))
    phase_marker_on = Setting(":SOURce:WAVE:PMARker:STATe", Boolean(False))
    phase_marker = Setting(":SOURce:WAVE:PMARker[:LEVel]", Numeric(0.0, -180.0, 180.0))
    phase_marker_line = Setting(":SOURce:WAVE:PMARker:OLINe", Integer(1, 1, 6))
    display = Setting(":DISPlay:ENABle", Boolean(True))
    measurement_enable = Setting(":STATus:MEASurement:ENABle", Integer(0, 0, 65535))
    operation_enable = Setting(":STATus:OPERation:ENABle", Integer(0, 0, 65535))
    questionable_enable = Setting(":STATus:QUEStionable:ENABle", Integer(0, 0, 65535))
    buffer_size = Setting(":TRACe:POINts", Integer(100, 1, _BUFFER))
    data_format = Setting(":FORMat[:DATA]", Enum(["ASCii"], "ASCii"))
    serial_baud = Setting(":SYSTem:COMMunicate:SERial:BAUD", Integer(19200, 300, 19200))

    def __init__(self, bench: VirtualBench) -> None:
        self.nanovoltmeter = Keithley2182(bench)  #: the 2182A on the RS-232 link, across the DUT
        self.armed: str | None = None  # "delta" or "pulse-delta" once armed
        self.buffer: list[tuple[float, float]] = []  # (reading, timestamp s)
        self.serial_reply = ""
        self.measurement_events = 0
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.armed, self.buffer, self.serial_reply, self.measurement_events = None, [], "", 0
        self._apply()

    # ----------------------------------------------------------------- the source
    def _delta_high_set(self) -> None:
        """Setting HIGH sets LOW to −HIGH, as on the instrument."""
        self.settings["delta_low"] = -self.delta_high

    def _drive(self, level: float) -> bool:
        """Source ``level`` A through the DUT, clamped at the compliance voltage; whether it is clamped."""
        bias = Bias("I", level)
        v, _ = self.bench.dut.operating_point(bias)
        clamped = abs(v) > self.compliance
        if clamped:
            bias = Bias("V", math.copysign(self.compliance, v))
        self.bench.apply_bias(self, bias)
        return clamped

    def _apply(self) -> None:
        """The DC state: the level through the DUT while the output is on, the DUT left open otherwise."""
        if self.output:
            self._drive(self.source_current)
        else:
            self.bench.release_bias(self)

    # ----------------------------------------------------------------- delta and pulse delta
    @command(":SOURce:DELTa:ARM")
    def _delta_arm(self) -> None:
        self._arm("delta")

    @command(":SOURce:PDELta:ARM")
    def _pulse_arm(self) -> None:
        self._arm("pulse-delta")

    def _arm(self, mode: str) -> None:
        if self.armed:
            raise ScpiError(-221, f"{self.armed} is already armed (:SOURce:SWEep:ABORt first)")
        self.armed = mode
        self.settings["output"] = True

    @command(":SOURce:DELTa:ARM?")
    def _delta_armed(self) -> str:
        return "1" if self.armed == "delta" else "0"

    @command(":SOURce:PDELta:ARM?")
    def _pulse_armed(self) -> str:
        return "1" if self.armed == "pulse-delta" else "0"

    @command(":SOURce:DELTa:NVPResent?")
    def _nanovoltmeter_present(self) -> str:
        return "1"

    @command(":INITiate[:IMMediate]")
    def _initiate(self) -> None:
        if self.armed is None:
            raise ScpiError(-221, "nothing armed (:SOURce:DELTa:ARM or :SOURce:PDELta:ARM first)")
        readings = []
        for _ in range(self.sweep_count):
            readings += self._delta_run() if self.armed == "delta" else self._pulse_run()
        t0 = readings[0][1]  # the first reading is timestamped at zero
        self.buffer = [(r, t - t0) for r, t in readings][: self.buffer_size]
        self.measurement_events |= 0x200  # buffer full
        self._drive(0.0)

    def _reading(self, volts: float, step: float) -> float:
        """A delta reading in the selected unit, from ``volts`` per ``step`` A."""
        if self.unit == "V":
            return volts
        ohms = volts / step if step else OVERFLOW
        if self.unit == "OHMS":
            return ohms
        return step * step * ohms if self.unit == "W" else (1.0 / ohms if ohms else OVERFLOW)

    def _volts_at(self, level: float, settle: float, aperture: float) -> tuple[float, float]:
        """Switch to ``level`` A, wait ``settle`` s, integrate ``aperture`` s: (V, bench time at the end); the
        volts are an overflow where the source is in compliance."""
        clamped = self._drive(level)
        self.bench.advance(settle)
        volts = self.nanovoltmeter.measure(aperture)
        return (OVERFLOW if clamped else volts), self.bench.time

    def _finish(self, volts: float, step: float, out: list[tuple[float, float]], t: float) -> bool:
        """Store one reading of ``volts`` (an overflow stays one); whether the run goes on (compliance abort
        stops it at the first overflow)."""
        overflow = volts == OVERFLOW
        out.append((OVERFLOW if overflow else self._reading(volts, step), t))
        return not (overflow and self.compliance_abort)

    def _delta_run(self) -> list[tuple[float, float]]:
        aperture = self.nanovoltmeter.nplc / LINE_FREQUENCY
        levels = [self.delta_high if k % 2 == 0 else self.delta_low for k in range(self.delta_count + 2)]
        points = [self._volts_at(level, self.delta_delay, aperture) for level in levels]
        step = (self.delta_high - self.delta_low) / 2
        out: list[tuple[float, float]] = []
        for k in range(self.delta_count):
            (v1, _), (v2, _), (v3, t) = points[k:k + 3]
            sign = 1.0 if k % 2 == 0 else -1.0
            volts = OVERFLOW if OVERFLOW in (v1, v2, v3) else sign * (v1 - 2 * v2 + v3) / 4
            if not self._finish(volts, step, out, t):
                break
        return out

    def _pulse_run(self) -> list[tuple[float, float]]:
        aperture = max(self.pulse_width - self.pulse_source_delay, 10e-6)
        rest = self.pulse_interval / LINE_FREQUENCY - self.pulse_width
        out: list[tuple[float, float]] = []
        for _ in range(self.pulse_count):
            low1, _ = self._volts_at(self.pulse_low, max(rest, 0.0), aperture)
            high, _ = self._volts_at(self.pulse_high, self.pulse_source_delay, aperture)
            low2, t = self._volts_at(self.pulse_low, self.pulse_source_delay, aperture)
            if self.pulse_low_measurements == 1:
                low2 = low1
            volts = OVERFLOW if OVERFLOW in (low1, high, low2) else high - (low1 + low2) / 2
            if not self._finish(volts, self.pulse_high - self.pulse_low, out, t):
                break
        return out

    @command(":SOURce:SWEep:ABORt")
    def _abort(self) -> None:
        self.armed = None
        self._apply()

    # ----------------------------------------------------------------- readings and buffer
    @command(":SENSe[1]:DATA[:LATest]?")
    def _latest(self) -> str:
        return number(self.buffer[-1][0] if self.buffer else OVERFLOW)

    @command(":TRACe:DATA?")
    def _data(self) -> str:
        if not self.buffer:
            raise ScpiError(-230, "the buffer is empty")
        return ",".join(f"{number(r)},{number(t)}" for r, t in self.buffer)

    @command(":TRACe:POINts:ACTual?")
    def _actual(self) -> str:
        return str(len(self.buffer))

    @command(":TRACe:CLEar")
    def _clear(self) -> None:
        self.buffer = []

    @command(":FORMat:ELEMents", Variadic(Raw(), 1))
    def _elements(self, elements: list[str]) -> None:
        if [e.upper() for e in elements] not in (["READ", "TST"], ["READING", "TSTAMP"], ["DEF"], ["DEFAULT"]):
            raise ScpiError(-221, "the twin answers the default elements (READing, TSTamp) only")

    @command(":STATus:MEASurement[:EVENt]?")
    def _measurement_events(self) -> str:
        events, self.measurement_events = self.measurement_events, 0
        return str(events)

    @command(":STATus:OPERation[:EVENt]?")
    def _operation_events(self) -> str:
        return "0"

    @command(":STATus:QUEStionable[:EVENt]?")
    def _questionable_events(self) -> str:
        return "0"

    @command(":STATus:PRESet")
    def _status_preset(self) -> None:
        for name in ("measurement_enable", "operation_enable", "questionable_enable"):
            self.settings[name] = 0

    @command(":STATus:QUEue:CLEar")
    def _queue_clear(self) -> None:
        self.errors.clear()

    # ----------------------------------------------------------------- the 2182A link
    @command(":SYSTem:COMMunicate:SERial:SEND", String())
    def _serial_send(self, text: str) -> None:
        """Pass ``text`` to the 2182A; its reply (if any) waits for ``:SYSTem:COMMunicate:SERial:ENTer?``."""
        if self.armed:
            raise ScpiError(-221, "the 2182A is under delta control while armed")
        reply = self.nanovoltmeter.handle(text)
        if reply is not None:
            self.serial_reply = reply if isinstance(reply, str) else reply.decode()

    @command(":SYSTem:COMMunicate:SERial:ENTer?")
    def _serial_enter(self) -> str:
        reply, self.serial_reply = self.serial_reply, ""
        return reply

    # ----------------------------------------------------------------- waveform and system
    @command(":SOURce:WAVE:ARM")
    def _wave_arm(self) -> None:
        raise ScpiError(-221, "waveforms are not simulated (delta and DC sourcing are)")

    @command(":SOURce:WAVE:ABORt")
    def _wave_abort(self) -> None:
        """No waveform runs in the twin."""

    @command(":SYSTem:BEEPer[:IMMediate]", Numeric(1e3, 65.0, 2e6), Numeric(1.0, 0.0, 7.9))
    def _beep(self, frequency: float, duration: float) -> None:
        """A beep has no effect on the bench."""
