"""Keithley 2400 SourceMeter (SCPI): PyMeasure's driver plus safety limits, list sweeps and trigger-link readings.

The role logic is :class:`~mtjhw.instruments.source_meter.SourceMeterMixin`; this module is the 2400's dialect:
compliance as ``:SENSe:<function>:PROTection``, levels as ``:SOURce:<function>:LEVel``, ``:READ?`` answering the
``:FORMat:ELEMents`` PyMeasure sets (V, I, R, time, status per reading), list sweeps of at most 100 points per
``:SOURce:LIST`` run (longer sweeps in several runs), triggered readings into the 2500-reading ``:TRACe`` buffer.
"""

from __future__ import annotations

import math

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley2400 as _PyMeasureKeithley2400

from ._validators import limited
from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import Rule, ovp_level
from .source_meter import SourceMeterMixin

_LIST_POINTS = 100  # points in one :SOUR:LIST (2400 User's Manual, SOURce subsystem)
_ELEMENTS = 5  # values per reading: VOLT, CURR, RES, TIME, STAT (PyMeasure's :FORMat:ELEMents)
#: the 2400's V-source protection levels (V); a value between two selects the lower, above 160 V: NONE (210 V)
OVP_LEVELS = (20, 40, 60, 80, 100, 120, 160)
_SOURCE, _SENSE = "[:SOURce[1]]", "[:SENSe[1]]"


class Keithley2400(RaisesInstrumentErrors, SourceMeterMixin, _PyMeasureKeithley2400):
    """Keithley 2400 in SCPI, filling the :class:`~mtjhw.instruments.roles.SourceMeter` role.

    Levels and compliances are PyMeasure dynamic controls limited to the instrument's range and the bench's
    :class:`~mtjhw.instruments.safety.SafetyLimits`; values outside raise
    :class:`~mtjhw.instruments.safety.SafetyLimitError` before anything is sent.
    """

    voltage_range, current_range = 210.0, 1.05
    compliance_minimum = (1e-9, 2e-4)  # 0.1 % of the lowest measure range (1 µA, 200 mV)
    max_readings = 2500  # the :TRACe buffer

    source_voltage = Instrument.control(
        ":SOUR:VOLT?", ":SOUR:VOLT:LEV %g", "Control the source voltage (V).",
        validator=limited("source voltage", "V"), values=[-210, 210], dynamic=True)
    source_current = Instrument.control(
        ":SOUR:CURR?", ":SOUR:CURR:LEV %g", "Control the source current (A).",
        validator=limited("source current", "A"), values=[-1.05, 1.05], dynamic=True)
    compliance_current = Instrument.control(
        ":SENS:CURR:PROT?", ":SENS:CURR:PROT %g", "Control the current compliance (A) of the voltage source.",
        validator=limited("compliance current", "A"), values=[1e-9, 1.05], dynamic=True)
    compliance_voltage = Instrument.control(
        ":SENS:VOLT:PROT?", ":SENS:VOLT:PROT %g", "Control the voltage compliance (V) of the current source.",
        validator=limited("compliance voltage", "V"), values=[2e-4, 210], dynamic=True)

    #: every header that sets a level, a compliance or the protection
    safety_rules = (
        Rule(f"{_SOURCE}:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "voltage"),
        Rule(f"{_SOURCE}:CURRent[:LEVel][:IMMediate][:AMPLitude]", "current"),
        Rule(f"{_SOURCE}:VOLTage[:LEVel]:TRIGgered[:AMPLitude]", "voltage"),
        Rule(f"{_SOURCE}:CURRent[:LEVel]:TRIGgered[:AMPLitude]", "current"),
        Rule(f"{_SENSE}:CURRent[:DC]:PROTection[:LEVel]", "current", floor=1e-9),
        Rule(f"{_SENSE}:VOLTage[:DC]:PROTection[:LEVel]", "voltage", floor=2e-4),
        Rule(f"{_SOURCE}:LIST:VOLTage", "voltage"),
        Rule(f"{_SOURCE}:LIST:CURRent", "current"),
        *(Rule(f"{_SOURCE}:{f}:{node}", kind) for f, kind in (("VOLTage", "voltage"), ("CURRent", "current"))
          for node in ("STARt", "STOP", "CENTer", "SPAN", "STEP")),
        Rule(f"{_SOURCE}:VOLTage:PROTection[:LEVel]", "ovp", levels=OVP_LEVELS),
        Rule("*RST", "voltage", preset=21.0), Rule("*RST", "current", preset=1.05e-4),  # the reset's compliances
        Rule(":SYSTem:PRESet", "voltage", preset=21.0), Rule(":SYSTem:PRESet", "current", preset=1.05e-4),
        Rule("*RCL", "refused", reason="recalls a saved setup, whose levels and limits the gate cannot check"),
        Rule(f"{_SOURCE}:MEMory:RECall", "refused",
             reason="recalls stored source settings, whose levels and limits the gate cannot check"),
    )

    def __init__(self, adapter, name: str = "Keithley 2400 SourceMeter", limits: SafetyLimits | None = None,
                 **kwargs) -> None:
        super().__init__(adapter, name, **kwargs)
        self._init_limits(limits)

    def arm_protection(self) -> None:
        """Set the 2400's own limits from the bench's, so that they hold whatever the host does next: V-source
        protection at the smallest level ≥ ``max_voltage`` (none above 160 V), the current compliance at
        ``max_current`` and the voltage compliance at ``max_voltage`` (not below the 2400's 0.2 mV minimum); again
        after every reset, which restores the defaults (output off, 105 µA, 21 V, protection NONE)."""
        limits, commands = self.limits, []
        if (level := ovp_level(limits.max_voltage, OVP_LEVELS)) is not None:
            commands.append(f":SOUR:VOLT:PROT {level}")
        if math.isfinite(limits.max_current):
            commands.append(f":SENS:CURR:PROT {min(1.05, limits.max_current):g}")
        if 2e-4 <= limits.max_voltage < math.inf:
            commands.append(f":SENS:VOLT:PROT {min(210.0, limits.max_voltage):g}")
        if commands:
            self.write(";".join(commands))
            self.check_errors()
        self.adapter.after_reset = self.arm_protection

    # ----------------------------------------------------------------- SourceMeterMixin hooks
    def _configure_source(self, mode: str, compliance: float, nplc: float) -> None:
        sense = "CURR" if mode == "VOLT" else "VOLT"
        self.write(f":SOUR:FUNC {mode};:SOUR:{mode}:MODE FIX;:SOUR:{mode}:RANG:AUTO 1;"
                   f":SENS:FUNC:CONC 1;:SENS:FUNC 'VOLT','CURR';:SENS:{sense}:RANG:AUTO 1;:SENS:{sense}:NPLC {nplc:g};"
                   f":SENS:{sense}:PROT {compliance:g}")

    def _zero_level(self) -> None:
        self.write(f":SOUR:{self._mode}:MODE FIX;:SOUR:{self._mode}:LEV 0")

    def _read_pair(self) -> tuple[float, float]:
        self.write(":TRIG:COUN 1;:ARM:COUN 1;:TRIG:SOUR IMM")
        v, i = self.values(":READ?")[:2]
        return self._as_vi(v, i)  # (V, I) → (source, reading): the same swap

    def _run_sweep(self, levels: np.ndarray, delay: float) -> tuple[np.ndarray, np.ndarray]:
        """List sweeps of up to 100 points, each one ``:READ?`` (one reading per point)."""
        runs = [self._run_list(levels[k:k + _LIST_POINTS], delay) for k in range(0, levels.size, _LIST_POINTS)]
        self.write(f":SOUR:{self._mode}:MODE FIX")
        data = np.concatenate(runs)
        return self._as_vi(data[0::_ELEMENTS], data[1::_ELEMENTS])

    def _run_list(self, levels: np.ndarray, delay: float) -> np.ndarray:
        self.write(f":SOUR:LIST:{self._mode} " + ",".join(f"{x:.6g}" for x in levels))
        self.write(f":SOUR:{self._mode}:MODE LIST;:SOUR:DEL {delay:g};:TRIG:SOUR IMM;:ARM:COUN 1;"
                   f":TRIG:COUN {levels.size}")
        return np.asarray(self.values(":READ?"), dtype=float)

    def _arm_readings(self, count: int, delay: float) -> None:
        """One reading per trigger-link input edge (line 1), ``delay`` s after it, into the cleared buffer."""
        self.write(f":TRAC:FEED:CONT NEV;:TRAC:CLE;:TRAC:POIN {count};:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;"
                   f":ARM:COUN 1;:TRIG:SOUR TLIN;:TRIG:ILIN 1;:TRIG:DEL {delay:g};:TRIG:COUN {count};:INIT")

    def _fetch_pairs(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        data = np.asarray(self.values(":TRAC:DATA?"), dtype=float)[:count * _ELEMENTS]
        return self._as_vi(data[0::_ELEMENTS], data[1::_ELEMENTS])
