"""Microwave signal generators filling one :class:`~mtjhw.instruments.roles.RFSource` role.

Keysight N5183B MXG and R&S SMB100A are driven here (PyMeasure has neither); PyMeasure's ``Agilent8257D`` and
``AnritsuMG3692C`` are adapted. The role takes SI and dBm explicitly named: ``set_frequency`` (Hz),
``set_power_dbm`` (dBm at the instrument's output) — checked against the instrument's range and the bench's
``max_rf_power`` (W) before anything is sent.

Every message passes a safety gate that checks the peak output power: the set value − the power offset (+ the
reference while on), raised by (1 + m)² under AM of depth m, for the CW power, the power sweep's start and stop
and power lists; other power units, exponential AM depths, recalls of saved states and switching off the
instrument's own ceiling are refused under a limit. :meth:`arm_protection` makes the gate's assumptions true
(no offset, no reference, AM off) and arms the instrument's own power ceiling where it has one.
"""

from __future__ import annotations

import math

from pymeasure.instruments import Instrument, SCPIMixin
from pymeasure.instruments.agilent import Agilent8257D as _PyMeasureAgilent8257D
from pymeasure.instruments.anritsu import AnritsuMG3692C as _PyMeasureAnritsuMG3692C

from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import GateLimits, Rule, install
from .units import dbm_to_watts

_SOURCE = "[:SOURce[1]]"
#: The headers (Keysight, R&S and Anritsu dialects together) that set, or change the meaning of, the power.
RF_RULES = (
    Rule(f"{_SOURCE}:POWer[:LEVel][:IMMediate][:AMPLitude]", "rf_level"),
    Rule(f"{_SOURCE}:POWer:STARt", "rf_power"), Rule(f"{_SOURCE}:POWer:STOP", "rf_power"),
    Rule(f"{_SOURCE}:LIST:POWer", "rf_power"),
    Rule(f"{_SOURCE}:POWer[:LEVel][:IMMediate]:OFFSet", "rf_offset"),
    Rule(f"{_SOURCE}:POWer:REFerence", "rf_reference"),
    Rule(f"{_SOURCE}:POWer:REFerence:STATe", "rf_reference_state"),
    Rule(f"{_SOURCE}:AM#[:DEPTh][:LINear]", "am_depth"), Rule(f"{_SOURCE}:AM#:STATe", "am_state"),
    Rule(f"{_SOURCE}:AM#[:DEPTh]:EXPonential", "refused", reason="an AM depth in dB, which the gate does not follow"),
    Rule(f"{_SOURCE}:AM#:TYPE", "keyword", allowed=("LIN", "LINEAR"), reason="an AM depth in dB"),
    Rule(":UNIT:POWer", "keyword", allowed=("DBM",), reason="powers in another unit, which the gate does not follow"),
    Rule(f"{_SOURCE}:POWer:USER:MAX", "rf_ceiling"), Rule(f"{_SOURCE}:POWer:LIMit[:AMPLitude]", "rf_ceiling"),
    Rule(f"{_SOURCE}:POWer:USER:ENABle", "keyword", allowed=("ON", "1"),
         reason="switches the instrument's own power ceiling off"),
    Rule(":SYSTem:PRESet", "reset"),
    Rule("*RCL", "refused", reason="recalls a saved state, whose power the gate cannot check"),
    Rule(":MMEMory:LOAD:STATe", "refused", reason="recalls a stored state, whose power the gate cannot check"),
)


class RangeError(ValueError):
    """A request outside the instrument's own range."""


class _RFSourceRole(RaisesInstrumentErrors):
    """Range/safety checks and the role methods over ``_frequency_command`` / ``_power_command`` formats."""

    f_range: tuple[float, float] = (9e3, 20e9)
    p_range: tuple[float, float] = (-130.0, 19.0)
    _frequency_command = ":FREQ %.6f"
    _power_command = ":POW %.2f"
    _output_command = ":OUTP %d"
    #: internal AM (rate Hz, depth %), its switch and pulse modulation in the model's dialect; ``{on}`` is 0 or 1
    _am_command = ":AM:INT:FREQ {frequency:g};:AM:DEPT {depth:g}"
    _am_state_command = ":AM:STAT {on}"
    _pulse_command = ":PULM:STAT {on}"
    #: the master switch every modulation needs, sent when one is switched on (it also gates the others)
    _modulation_on = ";:OUTP:MOD 1"
    #: what :meth:`arm_protection` sends: no offset, no reference, AM off, and the ceiling at ``{dbm}`` where the
    #: model has one (the MXG's user maximum; the PSG has none we know of)
    _arm_command = ":POW:OFFS 0;:POW:REF:STAT OFF;:AM:STAT OFF"
    default_name = "RF source"
    safety_rules = RF_RULES

    def __init__(self, adapter, name: str | None = None, limits: SafetyLimits | None = None, **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, name or self.default_name, **kwargs)
        self.limits = limits or SafetyLimits()
        install(self, self.safety_rules, GateLimits.from_safety(self.limits))

    def arm_protection(self) -> None:
        """Make the safety gate's assumptions true and arm the instrument's own power ceiling at ``max_rf_power``
        (rounded down to 0.01 dB), so that it holds whatever the host does next; again after every preset."""
        if math.isfinite(self.limits.max_rf_power):
            dbm = math.floor(100.0 * 10.0 * math.log10(self.limits.max_rf_power / 1e-3)) / 100.0
            self.write(self._arm_command.format(dbm=dbm))
            self.check_errors()
            self.ask(":POW?")  # the gate learns the level from the reply
        self.adapter.after_reset = self.arm_protection

    def set_frequency(self, frequency: float) -> None:
        """CW frequency (Hz)."""
        low, high = self.f_range
        if not low <= frequency <= high:
            raise RangeError(f"{self.name}: frequency {frequency:g} Hz outside {low:g} … {high:g} Hz")
        self.write(self._frequency_command % frequency)

    def set_power_dbm(self, power_dbm: float) -> None:
        """Output level (dBm at the instrument's connector)."""
        low, high = self.p_range
        if not low <= power_dbm <= high:
            raise RangeError(f"{self.name}: power {power_dbm:g} dBm outside {low:g} … {high:g} dBm")
        self.limits.rf_power(float(dbm_to_watts(power_dbm)))
        self.write(self._power_command % power_dbm)

    def set_amplitude_modulation(self, on: bool, frequency: float = 1e3, depth: float = 1.0) -> None:
        """Internal AM at ``frequency`` Hz with ``depth`` 0–1 (what a lock-in demodulates). Under a power limit
        the depth and level are read back before AM is switched on, and its state after: the safety gate judges
        the peak output by the instrument's replies."""
        if not 0 <= depth <= 1:
            raise RangeError(f"AM depth {depth:g} outside 0 … 1")
        limited = math.isfinite(self.limits.max_rf_power)
        self.write(self._am_command.format(frequency=frequency, depth=100 * depth))
        if limited and on:
            self.ask(":AM:DEPT?")
            self.ask(":POW?")
        command = self._am_state_command.format(on=int(on))
        self.write(command + self._modulation_on if on else command)
        if limited:
            self.ask(":AM:STAT?")

    def set_pulse_modulation(self, on: bool) -> None:
        """Pulse modulation from the source's pulse input or generator."""
        command = self._pulse_command.format(on=int(on))
        self.write(command + self._modulation_on if on else command)

    def output_on(self) -> None:
        self.write(self._output_command % 1)

    def output_off(self) -> None:
        self.write(self._output_command % 0)


class KeysightN5183B(_RFSourceRole, SCPIMixin, Instrument):
    """Keysight MXG N5183B analog signal generator (9 kHz – 20 GHz, −130 … +19 dBm)."""

    frequency = Instrument.measurement(":FREQ?", "Get the CW frequency (Hz).")
    power_dbm = Instrument.measurement(":POW?", "Get the output level (dBm).")
    output_enabled = Instrument.measurement(":OUTP?", "Get whether the RF output is on.", cast=bool)
    _arm_command = ":POW:OFFS 0;:POW:REF:STAT OFF;:AM:STAT OFF;:POW:USER:MAX {dbm:.2f};:POW:USER:ENAB ON"
    default_name = "Keysight N5183B"


class RohdeSchwarzSMB100A(KeysightN5183B):
    """R&S SMB100A (B112: 100 kHz – 12.75 GHz, −145 … +18 dBm)."""

    f_range = (100e3, 12.75e9)
    p_range = (-145.0, 18.0)
    _am_command = ":AM:SOUR INT;:LFO:FREQ {frequency:g};:AM:DEPT {depth:g}"
    _modulation_on = ";:MOD:STAT 1"
    _arm_command = ":POW:OFFS 0;:AM:STAT OFF;:POW:LIM {dbm:.2f}"  # R&S: the limit outlives presets and *RST
    default_name = "R&S SMB100A"


class Agilent8257D(_RFSourceRole, _PyMeasureAgilent8257D):
    """PyMeasure's E8257D with the RFSource role (250 kHz – 20 GHz)."""

    f_range = (250e3, 20e9)
    p_range = (-135.0, 25.0)
    _frequency_command = ":FREQ %e Hz;"
    _power_command = ":POW %g dBm;"
    _output_command = ":OUTPUT %d;"
    default_name = "Agilent E8257D"


class AnritsuMG3692C(_RFSourceRole, _PyMeasureAnritsuMG3692C):
    """PyMeasure's MG3692C with the RFSource role (2 – 20 GHz)."""

    f_range = (2e9, 20e9)
    p_range = (-20.0, 20.0)
    _frequency_command = ":FREQUENCY %e Hz;"
    _power_command = ":POWER %g dBm;"
    _output_command = ":OUTPUT %d;"
    _am_command = ":AM:SOUR INT;:AM:INT:FREQ {frequency:g};:AM:DEPT {depth:g}"
    _modulation_on = ""  # no master switch
    _arm_command = ":AM:STAT OFF"  # no power ceiling, offset or reference in its command set that we know of
    default_name = "Anritsu MG3692C"
