"""Keithley 2450 SourceMeter: PyMeasure's driver plus safety limits, LAN termination and buffered sweeps."""

from __future__ import annotations

import math

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley2450 as _PyMeasureKeithley2450

from ._validators import limited
from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import Rule, ovp_level
from .source_meter import SourceMeterMixin

_LIST_CHUNK = 100  # values per :SOUR:LIST command (keeps messages short on every interface)
_SOURCE = "[:SOURce[1]]"


class Keithley2450(RaisesInstrumentErrors, SourceMeterMixin, _PyMeasureKeithley2450):
    """Keithley 2450 in its SCPI command set, filling the :class:`~mtjhw.instruments.roles.SourceMeter` role.

    Levels and compliances are PyMeasure dynamic controls whose allowed range is the intersection of the
    instrument's range and the bench's :class:`~mtjhw.instruments.safety.SafetyLimits`; values outside raise
    :class:`~mtjhw.instruments.safety.SafetyLimitError` before anything is sent (the role logic is
    :class:`~mtjhw.instruments.source_meter.SourceMeterMixin`; this class is the 2450's dialect).
    """

    voltage_range, current_range, compliance_minimum = 210.0, 1.05, (1e-9, 0.02)

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
        super().__init__(adapter, name, **kwargs)
        self._init_limits(limits)

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

    # ----------------------------------------------------------------- SourceMeterMixin hooks
    def _configure_source(self, mode: str, compliance: float, nplc: float) -> None:
        sense, limit = ("CURR", "ILIM") if mode == "VOLT" else ("VOLT", "VLIM")
        self.write(f":SOUR:FUNC {mode};:SOUR:{mode}:RANG:AUTO 1;:SENS:FUNC '{sense}';:SENS:{sense}:RANG:AUTO 1;"
                   f":SENS:{sense}:NPLC {nplc:g};:SOUR:{mode}:{limit} {compliance:g}")

    def _zero_level(self) -> None:
        self.write(f":SOUR:{self._mode}:LEV 0")

    def _read_pair(self) -> tuple[float, float]:
        source, reading = self.values(':READ? "defbuffer1", SOUR, READ')
        return source, reading

    def _run_sweep(self, levels: np.ndarray, delay: float) -> tuple[np.ndarray, np.ndarray]:
        """List sweep in one trigger-model run, the list sent in chunks."""
        chunks = [levels[k:k + _LIST_CHUNK] for k in range(0, levels.size, _LIST_CHUNK)]
        for n, chunk in enumerate(chunks):
            verb = "" if n == 0 else ":APP"
            self.write(f":SOUR:LIST:{self._mode}{verb} " + ",".join(f"{x:.6g}" for x in chunk))
        self.write(':TRAC:CLE "defbuffer1"')
        self.write(f':SOUR:SWE:{self._mode}:LIST 1, {delay:g}, 1, OFF, "defbuffer1"')
        self.write(":INIT")
        self.ask("*OPC?")  # returns when the sweep is complete
        return self._fetch_pairs(levels.size)

    def _arm_readings(self, count: int, delay: float) -> None:
        """LogicTrigger model: one reading per trigger-line edge into defbuffer1 (cleared)."""
        self.write(f':TRIG:LOAD "LogicTrigger", 1, 2, {count}, 1, {delay:g}, "defbuffer1";:INIT')

    def _fetch_pairs(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        data = np.asarray(self.values(f':TRAC:DATA? 1, {count}, "defbuffer1", SOUR, READ'), dtype=float)
        return data[0::2], data[1::2]
