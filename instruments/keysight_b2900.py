"""Keysight B2900 series source/measure units (B2901A, B2902A, B2911A, B2912A): one channel as the source-meter.

PyMeasure has no B2900 driver (its ``AgilentB2980`` is the B2980 electrometer family, another command set), so the
channel's commands are declared here in PyMeasure's style; QCoDeS's ``KeysightB2962A`` speaks the same SCPI and is
the third-party driver the conformance suite runs against the twin.
"""

from __future__ import annotations

import math

import numpy as np
from pymeasure.instruments import Channel, Instrument, SCPIMixin
from pymeasure.instruments.validators import strict_discrete_set

from ._validators import limited
from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import GateLimits, Rule, install

V_MAX, I_MAX = 210.0, 3.03  # V, A: the largest output ranges (3 A pulsed; DC up to 1.515 A)
_LIST_CHUNK = 100  # values per :SOUR:LIST command (keeps messages short on every interface)
_MAX_SWEEP = 2500  # points in one list (the B2900's list length)
_MAX_COUNT = 100_000  # trigger count
_SOURCE, _SENSE = "[:SOURce#]", "[:SENSe#]"
_ON_OFF = {True: 1, False: 0}


class KeysightB2900Channel(Channel):
    """One SMU channel: levels and compliances are dynamic controls bounded by the instrument's ranges and the
    bench's safety limits (a value outside raises :class:`~mtjhw.instruments.safety.SafetyLimitError` unsent)."""

    source_mode = Channel.control(
        ":SOUR{ch}:FUNC:MODE?", ":SOUR{ch}:FUNC:MODE %s", "Control the source function (VOLT or CURR).",
        validator=strict_discrete_set, values=["VOLT", "CURR"])
    source_voltage = Channel.control(
        ":SOUR{ch}:VOLT?", ":SOUR{ch}:VOLT %g", "Control the source voltage (V).",
        validator=limited("source voltage", "V"), values=[-V_MAX, V_MAX], dynamic=True)
    source_current = Channel.control(
        ":SOUR{ch}:CURR?", ":SOUR{ch}:CURR %g", "Control the source current (A).",
        validator=limited("source current", "A"), values=[-I_MAX, I_MAX], dynamic=True)
    compliance_current = Channel.control(
        ":SENS{ch}:CURR:PROT?", ":SENS{ch}:CURR:PROT %g", "Control the current compliance (A) of voltage sourcing.",
        validator=limited("compliance current", "A"), values=[0.0, I_MAX], dynamic=True)
    compliance_voltage = Channel.control(
        ":SENS{ch}:VOLT:PROT?", ":SENS{ch}:VOLT:PROT %g", "Control the voltage compliance (V) of current sourcing.",
        validator=limited("compliance voltage", "V"), values=[0.0, V_MAX], dynamic=True)
    output_enabled = Channel.control(
        ":OUTP{ch}?", ":OUTP{ch} %d", "Control whether the output is on.",
        validator=strict_discrete_set, values=_ON_OFF, map_values=True)
    output_protection = Channel.control(
        ":OUTP{ch}:PROT?", ":OUTP{ch}:PROT %d",
        "Control whether the output switches off when a compliance is reached (the instrument's own protection).",
        validator=strict_discrete_set, values=_ON_OFF, map_values=True)
    current_tripped = Channel.measurement(
        ":SENS{ch}:CURR:PROT:TRIP?", "Measure whether the current compliance is reached (voltage sourcing).",
        values=_ON_OFF, map_values=True)
    voltage_tripped = Channel.measurement(
        ":SENS{ch}:VOLT:PROT:TRIP?", "Measure whether the voltage compliance is reached (current sourcing).",
        values=_ON_OFF, map_values=True)


class KeysightB2900(RaisesInstrumentErrors, SCPIMixin, Instrument):
    """A B2900 series SMU whose channel ``channel`` (1, or 2 on a B2902A/B2912A) fills the
    :class:`~mtjhw.instruments.roles.SourceMeter` role; ``ch_1``/``ch_2`` are the channels themselves."""

    ch_1 = Instrument.ChannelCreator(KeysightB2900Channel, 1)
    ch_2 = Instrument.ChannelCreator(KeysightB2900Channel, 2)

    #: every header that sets a level, a compliance or a list, on either channel
    safety_rules = (
        Rule(f"{_SOURCE}:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "voltage"),
        Rule(f"{_SOURCE}:CURRent[:LEVel][:IMMediate][:AMPLitude]", "current"),
        Rule(f"{_SOURCE}:VOLTage[:LEVel]:TRIGgered[:AMPLitude]", "voltage"),
        Rule(f"{_SOURCE}:CURRent[:LEVel]:TRIGgered[:AMPLitude]", "current"),
        Rule(f"{_SOURCE}:LIST:VOLTage[:APPend]", "voltage"),
        Rule(f"{_SOURCE}:LIST:CURRent[:APPend]", "current"),
        Rule(f"{_SOURCE}:VOLTage:STARt", "voltage"), Rule(f"{_SOURCE}:VOLTage:STOP", "voltage"),
        Rule(f"{_SOURCE}:CURRent:STARt", "current"), Rule(f"{_SOURCE}:CURRent:STOP", "current"),
        *(Rule(f"{_SOURCE}:{function}:{node}", "refused",
               reason="sets a sweep by its centre and span, whose end levels the gate does not follow; use STARt/STOP")
          for function in ("VOLTage", "CURRent") for node in ("CENTer", "SPAN")),
        Rule(f"{_SENSE}:CURRent[:DC]:PROTection[:LEVel]", "current"),
        Rule(f"{_SENSE}:VOLTage[:DC]:PROTection[:LEVel]", "voltage"),
        *(Rule(f"{_SENSE}:{function}[:DC]:PROTection[:LEVel]:{side}", kind)
          for function, kind in (("CURRent", "current"), ("VOLTage", "voltage")) for side in ("POSitive", "NEGative")),
        Rule(":OUTPut#:PROTection[:STATe]", "keyword", allowed=("ON", "1"),
             reason="switches off the output protection that arm_protection set"),
        Rule("*RST", "voltage", preset=2.0), Rule("*RST", "current", preset=1e-4),  # the reset's compliances
        Rule("*RCL", "refused", reason="recalls a saved setup, whose levels and limits the gate cannot check"),
        Rule(":MMEMory:LOAD:STATe", "refused",
             reason="loads a saved setup, whose levels and limits the gate cannot check"),
    )

    def __init__(self, adapter, name: str = "Keysight B2900 SMU", limits: SafetyLimits | None = None,
                 channel: int = 1, **kwargs) -> None:
        if channel not in (1, 2):
            raise ValueError(f"channel: must be 1 or 2 (got {channel!r})")
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 10000)
        super().__init__(adapter, name, **kwargs)
        self.channel = channel
        self.smu: KeysightB2900Channel = self.ch_1 if channel == 1 else self.ch_2
        self._mode = "VOLT"
        self.apply_limits(limits or SafetyLimits())

    def apply_limits(self, limits: SafetyLimits) -> None:
        """Restrict levels and compliances of both channels to ``limits`` (and the instrument's ranges), in the
        validators and in the safety gate every message passes."""
        self.limits = limits
        install(self, self.safety_rules, GateLimits.from_safety(limits))  # SCPI only: no TSP to refuse
        v, i = min(V_MAX, limits.max_voltage), min(I_MAX, limits.max_current)
        self._level_range = {"VOLT": (-v, v), "CURR": (-i, i)}
        for ch in (self.ch_1, self.ch_2):
            ch.source_voltage_values = [-v, v]
            ch.source_current_values = [-i, i]
            ch.compliance_current_values = [0.0, i]
            ch.compliance_voltage_values = [0.0, v]

    def arm_protection(self) -> None:
        """Set the channel's own protection from the bench's limits: compliances at ``max_current`` and
        ``max_voltage`` and the output protection on (the output switches off when a compliance is reached); again
        after every reset, which restores 100 µA, 2 V and the protection off."""
        c, limits = self.channel, self.limits
        commands = [f":OUTP{c}:PROT ON"]
        if math.isfinite(limits.max_current):
            commands.append(f":SENS{c}:CURR:PROT {min(I_MAX, limits.max_current):g}")
        if math.isfinite(limits.max_voltage):
            commands.append(f":SENS{c}:VOLT:PROT {min(V_MAX, limits.max_voltage):g}")
        self.write(";".join(commands))
        self.check_errors()
        self.adapter.after_reset = self.arm_protection

    # ----------------------------------------------------------------- SourceMeter role
    def _source_mode(self, source: str, compliance: float, nplc: float) -> None:
        """Source ``source`` (VOLT/CURR), measure the other with ``compliance`` and ``nplc``; readings as (V, I)."""
        sense = "CURR" if source == "VOLT" else "VOLT"
        quantity, unit = ("current", "A") if sense == "CURR" else ("voltage", "V")
        limited(f"compliance {quantity}", unit)(compliance, [0.0, self._level_range[sense][1]])
        c = self.channel
        self.write(f":SOUR{c}:FUNC:MODE {source};:SOUR{c}:{source}:MODE FIX;:SOUR{c}:{source}:RANG:AUTO 1;"
                   f':SENS{c}:FUNC "VOLT","CURR";:SENS{c}:{sense}:RANG:AUTO 1;:SENS{c}:{sense}:NPLC {nplc:g};'
                   f":SENS{c}:{sense}:PROT {compliance:g};:FORM:ELEM:SENS VOLT,CURR")
        self._mode = source
        self.check_errors()

    def source_voltage_mode(self, compliance_current: float, nplc: float = 1.0) -> None:
        self._source_mode("VOLT", compliance_current, nplc)

    def source_current_mode(self, compliance_voltage: float, nplc: float = 1.0) -> None:
        self._source_mode("CURR", compliance_voltage, nplc)

    def set_level(self, level: float) -> None:
        if self._mode == "VOLT":
            self.smu.source_voltage = level
        else:
            self.smu.source_current = level

    def output_on(self) -> None:
        self.smu.output_enabled = True

    def output_off(self) -> None:
        """Zero the level and switch the output off (best effort: both are attempted even if one fails)."""
        try:
            self.write(f":SOUR{self.channel}:{self._mode} 0")
        finally:
            self.smu.output_enabled = False

    def measure(self) -> tuple[float, float]:
        voltage, current = self.values(f":MEAS? (@{self.channel})")
        return voltage, current

    def _pairs(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        data = np.asarray(self.values(f":FETC:ARR? (@{self.channel})"), dtype=float)
        return data[0:2 * count:2], data[1:2 * count:2]

    def sweep(self, levels: np.ndarray, delay: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """List sweep in one triggered run (source each level, wait ``delay`` s, measure); returns (V, I)."""
        levels = np.asarray(levels, dtype=float)
        if not 1 <= levels.size <= _MAX_SWEEP:
            raise ValueError(f"a sweep takes 1..{_MAX_SWEEP} levels, got {levels.size}")
        low, high = self._level_range[self._mode]
        bad = levels[~((levels >= low) & (levels <= high))]  # NaN too
        if bad.size:
            limited("sweep level", "V" if self._mode == "VOLT" else "A")(float(bad[0]), [low, high])
        c, mode = self.channel, self._mode
        for n in range(0, levels.size, _LIST_CHUNK):
            verb = "" if n == 0 else ":APP"
            self.write(f":SOUR{c}:LIST:{mode}{verb} " + ",".join(f"{x:.6g}" for x in levels[n:n + _LIST_CHUNK]))
        self.write(f":SOUR{c}:{mode}:MODE LIST;:TRIG{c}:SOUR AINT;:TRIG{c}:COUN {levels.size};"
                   f":TRIG{c}:TRAN:DEL 0;:TRIG{c}:ACQ:DEL {delay:g};:INIT (@{c})")
        self.ask("*OPC?")  # returns when the sweep is complete
        voltage, current = self._pairs(levels.size)
        self.write(f":SOUR{c}:{mode}:MODE FIX")
        self.check_errors()
        return voltage, current

    def arm_triggered_readings(self, count: int, delay: float = 0.0) -> None:
        """One acquisition per edge on the trigger input (EXT1), ``delay`` s after it, ``count`` times, at the
        present level; fetch them with :meth:`fetch_readings` once the triggering instrument is done."""
        if not 1 <= count <= _MAX_COUNT:
            raise ValueError(f"count must be 1..{_MAX_COUNT}, got {count}")
        c = self.channel
        self.write(f":SOUR{c}:{self._mode}:MODE FIX;:TRIG{c}:TRAN:SOUR AINT;:TRIG{c}:TRAN:COUN 1;"
                   f":TRIG{c}:ACQ:SOUR EXT1;:TRIG{c}:ACQ:COUN {count};:TRIG{c}:ACQ:DEL {delay:g};:INIT (@{c})")
        self.check_errors()

    def fetch_readings(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(V, I) of the first ``count`` triggered readings (one transfer)."""
        return self._pairs(count)
