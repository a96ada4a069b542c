"""Keithley 6221 current source driving delta and pulse-delta resistance readings with its 2182A nanovoltmeter.

The 2182A hangs off the 6221's RS-232 port (null-modem cable) and Trigger Link, as the 6220/6221 Reference
Manual wires delta mode: the 6221 alternates its current, triggers the 2182A and stores the three-point readings,
which cancel the thermoelectric offset of the leads and its linear drift. So one driver, this one, fills the
``resistance`` role; the 2182A needs no GPIB address of its own, and commands reach it through
``:SYSTem:COMMunicate:SERial:SEND``. (A 2182A on GPIB alone is PyMeasure's ``Keithley2182``; the twin answers it.)

Every message passes the safety gate: currents (DC level, delta and pulse-delta levels, waveform amplitude and
offset) beyond the bench's ``max_current`` and a voltage compliance beyond its ``max_voltage`` are refused before
anything is sent; :meth:`Keithley6221.arm_protection` sets the compliance at ``max_voltage``, and again after every
``*RST`` (which returns it to 10 V).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from pymeasure.instruments.keithley import Keithley6221 as _PyMeasureKeithley6221

from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import GateLimits, Rule, install

I_MAX = 0.105  # A, the 6221's largest output
COMPLIANCE_RANGE = (0.1, 105.0)  # V
MODES = ("delta", "pulse-delta")
PULSE_WIDTH_RANGE = (50e-6, 12e-3)  # s
OVERFLOW = 9.9e37  # an overflowed or invalid reading
_SOURCE = "[:SOURce]"


class Keithley6221(RaisesInstrumentErrors, _PyMeasureKeithley6221):
    """6221 with a 2182A on its serial link, filling :class:`~mtjhw.instruments.roles.ResistanceMeter`;
    ``compliance`` (V) is the voltage compliance of the readings, at most the bench's ``max_voltage``."""

    safety_rules = (
        Rule(f"{_SOURCE}:CURRent[:LEVel][:IMMediate][:AMPLitude]", "current"),
        Rule(f"{_SOURCE}:CURRent:COMPliance", "voltage", floor=COMPLIANCE_RANGE[0]),
        Rule(f"{_SOURCE}:CURRent:STARt", "current"), Rule(f"{_SOURCE}:CURRent:STOP", "current"),
        Rule(f"{_SOURCE}:LIST:CURRent[:APPend]", "current"),
        Rule(f"{_SOURCE}:DELTa:HIGH", "current"), Rule(f"{_SOURCE}:DELTa:LOW", "current"),
        Rule(f"{_SOURCE}:PDELta:HIGH", "current"), Rule(f"{_SOURCE}:PDELta:LOW", "current"),
        Rule(f"{_SOURCE}:DCONductance:STARt", "current"), Rule(f"{_SOURCE}:DCONductance:STOP", "current"),
        Rule(f"{_SOURCE}:WAVE:AMPLitude", "current"), Rule(f"{_SOURCE}:WAVE:OFFSet", "current"),
        Rule(f"{_SOURCE}:WAVE:ARM", "refused",
             reason="a waveform peaks at its amplitude plus its offset, which the gate does not add up"),
        Rule("*RST", "voltage", preset=10.0),  # the reset's compliance
        Rule("*RCL", "refused", reason="recalls a saved setup, whose levels and compliance the gate cannot check"),
    )

    def __init__(self, adapter, name: str = "Keithley 6221 current source with 2182A", compliance: float = 10.0,
                 limits: SafetyLimits | None = None, **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, name, **kwargs)
        self.limits = limits or SafetyLimits()
        low, high = COMPLIANCE_RANGE
        self.compliance = min(compliance, high, self.limits.max_voltage)
        if not low <= self.compliance:
            raise ValueError(f"compliance {self.compliance:g} V is below the 6221's {low:g} V (or the bench's "
                             f"max_voltage is): it cannot source current")
        self.reading_timeout = 60.0  #: s a reading may take
        self.poll = 0.05  #: s between polls of the buffer
        self.sleep: Callable[[float], None] = time.sleep
        self._mode = "delta"
        self._step = 0.0
        install(self, self.safety_rules, GateLimits.from_safety(self.limits))

    def arm_protection(self) -> None:
        """The 6221's voltage compliance at ``max_voltage`` (the most the DUT sees whatever the host sends as a
        current), again after every reset."""
        if math.isfinite(self.limits.max_voltage):
            self.write(f":SOUR:CURR:COMP {self.compliance:g}")
            self.check_errors()
        self.adapter.after_reset = self.arm_protection

    # ----------------------------------------------------------------- ResistanceMeter role
    def configure(self, current: float, mode: str = "delta", nplc: float = 1.0, pulse_width: float = 1e-3) -> None:
        """Readings at ±``current`` A (delta) or 0/``current`` A pulses of ``pulse_width`` s (pulse-delta), the
        2182A integrating ``nplc`` power-line cycles per point (delta); refused beyond the limits unsent."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not 0 < current <= I_MAX:
            raise ValueError(f"current must be in (0, {I_MAX:g}] A, got {current!r}")
        if not 0.01 <= nplc <= 50:
            raise ValueError(f"nplc must be 0.01..50, got {nplc!r}")
        if mode == "pulse-delta" and not PULSE_WIDTH_RANGE[0] <= pulse_width <= PULSE_WIDTH_RANGE[1]:
            raise ValueError(f"pulse_width must be {PULSE_WIDTH_RANGE[0]:g}..{PULSE_WIDTH_RANGE[1]:g} s, "
                             f"got {pulse_width!r}")
        self.limits.current(current)
        self.write(f":SOUR:SWE:ABOR;:SOUR:CURR:COMP {self.compliance:g};:UNIT OHMS;:TRAC:POIN 1;:SOUR:SWE:COUN 1")
        self.write(f':SYST:COMM:SER:SEND ":SENS:FUNC \'VOLT\';:SENS:CHAN 1;:SENS:VOLT:NPLC {nplc:g}"')
        if mode == "delta":
            self.write(f":SOUR:DELT:HIGH {current:g};:SOUR:DELT:LOW {-current:g};:SOUR:DELT:DEL 0.002;"
                       ":SOUR:DELT:COUN 1;:SOUR:DELT:CAB ON")
        else:
            delay = max(pulse_width / 2, 16e-6)
            self.write(f":SOUR:PDEL:HIGH {current:g};:SOUR:PDEL:LOW 0;:SOUR:PDEL:WIDT {pulse_width:g};"
                       f":SOUR:PDEL:SDEL {delay:g};:SOUR:PDEL:COUN 1;:SOUR:PDEL:INT 5;:SOUR:PDEL:LME 2;"
                       ":SOUR:PDEL:RANG BEST")
        self._mode, self._step = mode, current
        self.check_errors()

    def measure_resistance(self) -> float:
        """One delta (or pulse-delta) reading (Ω): arm, start, wait for it in the buffer, read it, abort."""
        if not self._step:
            raise RuntimeError(f"{self.name}: configure() before measure_resistance()")
        self.write(":TRAC:CLE;" + (":SOUR:DELT:ARM" if self._mode == "delta" else ":SOUR:PDEL:ARM") + ";:INIT:IMM")
        start = time.monotonic()
        while int(self.ask(":TRAC:POIN:ACT?")) < 1:
            if time.monotonic() - start > self.reading_timeout:
                self.delta_abort()
                raise TimeoutError(f"{self.name}: no {self._mode} reading after {self.reading_timeout:g} s")
            self.sleep(self.poll)
        reading = float(self.values(":TRAC:DATA?")[0])
        self.delta_abort()
        self.check_errors()
        if abs(reading) >= OVERFLOW:
            raise RuntimeError(f"{self.name}: {self._mode} reading overflowed (compliance {self.compliance:g} V "
                               f"at {self._step:g} A?)")
        return reading

    def output_off(self) -> None:
        """Stop any delta run, zero the DC level and switch the output off (each attempted even if one fails)."""
        try:
            self.write(":SOUR:SWE:ABOR;:SOUR:CURR 0")
        finally:
            self.write(":OUTP OFF")
