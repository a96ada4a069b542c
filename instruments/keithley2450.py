"""Keithley 2450 SourceMeter: PyMeasure's driver plus safety limits, LAN termination and buffered sweeps."""

from __future__ import annotations

import math

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley2450 as _PyMeasureKeithley2450

from ._validators import limited
from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import GateLimits, Rule, install, ovp_level

_LIST_CHUNK = 100  # values per :SOUR:LIST command (keeps messages short on every interface)
_MAX_SWEEP = 100_000  # points in one list (instrument buffer size)
_SOURCE = "[:SOURce[1]]"


class Keithley2450(RaisesInstrumentErrors, _PyMeasureKeithley2450):
    """Keithley 2450 in its SCPI command set, filling the :class:`~mtjhw.instruments.roles.SourceMeter` role.

    Levels and compliances are PyMeasure dynamic controls whose allowed range is the intersection of the
    instrument's range and the bench's :class:`~mtjhw.instruments.safety.SafetyLimits`; values outside raise
    :class:`~mtjhw.instruments.safety.SafetyLimitError` before anything is sent.
    """

    source_voltage = Instrument.control(
        ":SOUR:VOLT?", ":SOUR:VOLT:LEV %g", "Control the source voltage (V).",
        validator=limited("source voltage", "V"), values=[-210, 210], dynamic=True)
    source_current = Instrument.control(
        ":SOUR:CURR?", ":SOUR:CURR:LEV %g", "Control the source current (A).",
        validator=limited("source current", "A"), values=[-1.05, 1.05], dynamic=True)
    compliance_current = Instrument.control(
        ":SOUR:VOLT:ILIM?", ":SOUR:VOLT:ILIM %g", "Control the current limit (A) when sourcing voltage.",
        validator=limited("compliance current", "A"), values=[1e-9, 1.05], dynamic=True)
    compliance_voltage = Instrument.control(
        ":SOUR:CURR:VLIM?", ":SOUR:CURR:VLIM %g", "Control the voltage limit (V) when sourcing current.",
        validator=limited("compliance voltage", "V"), values=[0.02, 210], dynamic=True)

    #: every header that sets a level or a compliance (the VLIM minimum is 0.02 V: a lower one counts as 0.02 V)
    safety_rules = (
        Rule(f"{_SOURCE}:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "voltage"),
        Rule(f"{_SOURCE}:CURRent[:LEVel][:IMMediate][:AMPLitude]", "current"),
        Rule(f"{_SOURCE}:VOLTage:ILIMit[:LEVel]", "current", floor=1e-9),
        Rule(f"{_SOURCE}:CURRent:VLIMit[:LEVel]", "voltage", floor=0.02),
        Rule(f"{_SOURCE}:LIST:VOLTage[:APPend]", "voltage"),
        Rule(f"{_SOURCE}:LIST:CURRent[:APPend]", "current"),
        Rule(f"{_SOURCE}:SWEep:VOLTage:LINear[:STEP]", "voltage", count=2),
        Rule(f"{_SOURCE}:SWEep:CURRent:LINear[:STEP]", "current", count=2),
        Rule(f"{_SOURCE}:SWEep:VOLTage:LOGarithmic", "voltage", count=2),
        Rule(f"{_SOURCE}:SWEep:CURRent:LOGarithmic", "current", count=2),
        Rule(f"{_SOURCE}:VOLTage:PROTection[:LEVel]", "ovp"),  # no weaker than what arm_protection sets
        Rule("*RST", "voltage", preset=21.0), Rule("*RST", "current", preset=1.05e-4),  # the reset's compliances
        Rule("*LANG", "keyword", allowed=("SCPI",), reason="another command language, which the gate cannot read"),
        Rule("*RCL", "refused", reason="recalls a saved setup, whose levels and limits the gate cannot check"),
        Rule(f"{_SOURCE}:CONFiguration:LIST:RECall", "refused",
             reason="recalls stored source settings, whose levels and limits the gate cannot check"),
    )

    def __init__(self, adapter, name: str = "Keithley 2450 SourceMeter", limits: SafetyLimits | None = None,
                 **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 10000)
        super().__init__(adapter, name, **kwargs)
        self.limits = limits or SafetyLimits()
        self._mode = "VOLT"
        self.apply_limits(self.limits)

    def apply_limits(self, limits: SafetyLimits) -> None:
        """Restrict levels and compliances to ``limits`` (and the instrument's own ranges), in the validators and
        in the safety gate every message passes."""
        self.limits = limits
        install(self, self.safety_rules, GateLimits.from_safety(limits), scpi_only=True)  # TSP is refused
        v, i = min(210.0, limits.max_voltage), min(1.05, limits.max_current)
        self._level_range = {"VOLT": (-v, v), "CURR": (-i, i)}
        self.source_voltage_values = [-v, v]
        self.source_current_values = [-i, i]
        self.compliance_current_values = [1e-9, i]
        self.compliance_voltage_values = [0.02, max(0.02, v)]  # below 0.02 V the gate refuses every VLIM

    def arm_protection(self) -> None:
        """Set the 2450's own limits from the bench's, so that they hold whatever the host does next: overvoltage
        protection at the smallest level ≥ ``max_voltage``, the current limit of voltage sourcing at
        ``max_current`` and the voltage limit of current sourcing at ``max_voltage`` (not below the 2450's 20 mV
        minimum: current sourcing is refused by the gate then); again after every reset, which restores the
        defaults (output off, 105 µA, 21 V, no protection)."""
        limits, commands = self.limits, []
        if (level := ovp_level(limits.max_voltage)) is not None:
            commands.append(f":SOUR:VOLT:PROT PROT{level}")
        if math.isfinite(limits.max_current):
            commands.append(f":SOUR:VOLT:ILIM {min(1.05, limits.max_current):g}")
        if 0.02 <= limits.max_voltage < math.inf:
            commands.append(f":SOUR:CURR:VLIM {min(210.0, limits.max_voltage):g}")
        if commands:
            self.write(";".join(commands))
            self.check_errors()
        self.adapter.after_reset = self.arm_protection

    # ----------------------------------------------------------------- SourceMeter role
    def source_voltage_mode(self, compliance_current: float, nplc: float = 1.0) -> None:
        self.compliance_current = compliance_current  # validated before anything else is sent
        self.write(":SOUR:FUNC VOLT;:SOUR:VOLT:RANG:AUTO 1;:SENS:FUNC 'CURR';:SENS:CURR:RANG:AUTO 1;"
                   f":SENS:CURR:NPLC {nplc:g};:SOUR:VOLT:ILIM {compliance_current:g}")
        self._mode = "VOLT"
        self.check_errors()

    def source_current_mode(self, compliance_voltage: float, nplc: float = 1.0) -> None:
        self.compliance_voltage = compliance_voltage
        self.write(":SOUR:FUNC CURR;:SOUR:CURR:RANG:AUTO 1;:SENS:FUNC 'VOLT';:SENS:VOLT:RANG:AUTO 1;"
                   f":SENS:VOLT:NPLC {nplc:g};:SOUR:CURR:VLIM {compliance_voltage:g}")
        self._mode = "CURR"
        self.check_errors()

    def set_level(self, level: float) -> None:
        if self._mode == "VOLT":
            self.source_voltage = level
        else:
            self.source_current = level

    def output_on(self) -> None:
        self.enable_source()

    def output_off(self) -> None:
        """Zero the level and switch the output off (best effort: both are attempted even if one fails)."""
        try:
            self.write(":SOUR:VOLT:LEV 0" if self._mode == "VOLT" else ":SOUR:CURR:LEV 0")
        finally:
            self.disable_source()

    def measure(self) -> tuple[float, float]:
        source, reading = self.values(':READ? "defbuffer1", SOUR, READ')
        return (source, reading) if self._mode == "VOLT" else (reading, source)

    def sweep(self, levels: np.ndarray, delay: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Buffered list sweep in one trigger-model run; returns (V, I) per level."""
        levels = np.asarray(levels, dtype=float)
        if not 1 <= levels.size <= _MAX_SWEEP:
            raise ValueError(f"a sweep takes 1..{_MAX_SWEEP} levels, got {levels.size}")
        low, high = self._level_range[self._mode]
        bad = levels[~((levels >= low) & (levels <= high))]  # NaN too
        if bad.size:
            limited("sweep level", "V" if self._mode == "VOLT" else "A")(float(bad[0]), [low, high])
        chunks = [levels[k:k + _LIST_CHUNK] for k in range(0, levels.size, _LIST_CHUNK)]
        for n, chunk in enumerate(chunks):
            verb = "" if n == 0 else ":APP"
            self.write(f":SOUR:LIST:{self._mode}{verb} " + ",".join(f"{x:.6g}" for x in chunk))
        self.write(':TRAC:CLE "defbuffer1"')
        self.write(f':SOUR:SWE:{self._mode}:LIST 1, {delay:g}, 1, OFF, "defbuffer1"')
        self.write(":INIT")
        self.ask("*OPC?")  # returns when the sweep is complete
        data = np.asarray(self.values(f':TRAC:DATA? 1, {levels.size}, "defbuffer1", SOUR, READ'), dtype=float)
        source, reading = data[0::2], data[1::2]
        self.check_errors()
        return (source, reading) if self._mode == "VOLT" else (reading, source)

    def arm_triggered_readings(self, count: int, delay: float = 0.0) -> None:
        """LogicTrigger model: one reading per trigger-line edge, ``delay`` s after it, into defbuffer1 (cleared);
        fetch them with :meth:`fetch_readings` once the triggering instrument is done."""
        if not 1 <= count <= 100_000:
            raise ValueError(f"count must be 1..100000, got {count}")
        self.write(f':TRIG:LOAD "LogicTrigger", 1, 2, {count}, 1, {delay:g}, "defbuffer1";:INIT')
        self.check_errors()

    def fetch_readings(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(V, I) of the first ``count`` readings in defbuffer1 (one transfer)."""
        data = np.asarray(self.values(f':TRAC:DATA? 1, {count}, "defbuffer1", SOUR, READ'), dtype=float)
        source, reading = data[0::2], data[1::2]
        return (source, reading) if self._mode == "VOLT" else (reading, source)

