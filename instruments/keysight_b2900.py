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
from .safety_gate import Rule
from .source_meter import SourceMeterMixin

V_MAX, I_MAX = 210.0, 3.03  # V, A: the largest output ranges (3 A pulsed; DC up to 1.515 A)
_LIST_CHUNK = 100  # values per :SOUR:LIST command (keeps messages short on every interface)
_MAX_SWEEP = 2500  # points in one list (the B2900's list length)
_SOURCE, _SENSE = "[:SOURce#]", "[:SENSe#]"
_ON_OFF = {True: 1, False: 0}


class KeysightB2900Channel(Channel):
    """One SMU channel's function, output and protection (its levels and limits pass the safety gate; the bench
    channel's are also the driver's validated controls)."""

    source_mode = Channel.control(
        ":SOUR{ch}:FUNC:MODE?", ":SOUR{ch}:FUNC:MODE %s", "Control the source function (VOLT or CURR).",
        validator=strict_discrete_set, values=["VOLT", "CURR"])
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


def _channel_control(header: str, docs: str, quantity: str, unit: str, values: list[float]) -> property:
    """A dynamic control of the bench channel's ``header`` (channel 1's here; ``__init__`` sets the channel)."""
    return Instrument.control(header.format(ch=1) + "?", header.format(ch=1) + " %g", docs,
                              validator=limited(quantity, unit), values=values, dynamic=True)


#: the bench channel's level and compliance headers, by control
_CHANNEL_HEADERS = {"source_voltage": ":SOUR{ch}:VOLT", "source_current": ":SOUR{ch}:CURR",
                    "compliance_current": ":SENS{ch}:CURR:PROT", "compliance_voltage": ":SENS{ch}:VOLT:PROT"}


class KeysightB2900(RaisesInstrumentErrors, SourceMeterMixin, SCPIMixin, Instrument):
    """A B2900 series SMU whose channel ``channel`` (1, or 2 on a B2902A/B2912A) fills the
    :class:`~mtjhw.instruments.roles.SourceMeter` role (the role logic is
    :class:`~mtjhw.instruments.source_meter.SourceMeterMixin`; this class is the B2900's dialect);
    ``ch_1``/``ch_2`` are the channels themselves."""

    voltage_range, current_range = V_MAX, I_MAX
    compliance_minimum = (0.0, 0.0)
    gate_scpi_only = False  # SCPI only, no other language to refuse; channel lists "(@1)" follow headers

    source_voltage = _channel_control(_CHANNEL_HEADERS["source_voltage"], "Control the source voltage (V).",
                                      "source voltage", "V", [-V_MAX, V_MAX])
    source_current = _channel_control(_CHANNEL_HEADERS["source_current"], "Control the source current (A).",
                                      "source current", "A", [-I_MAX, I_MAX])
    compliance_current = _channel_control(_CHANNEL_HEADERS["compliance_current"],
                                          "Control the current compliance (A) of voltage sourcing.",
                                          "compliance current", "A", [0.0, I_MAX])
    compliance_voltage = _channel_control(_CHANNEL_HEADERS["compliance_voltage"],
                                          "Control the voltage compliance (V) of current sourcing.",
                                          "compliance voltage", "V", [0.0, V_MAX])

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
        super().__init__(adapter, name, **kwargs)
        self.channel = channel
        self.smu: KeysightB2900Channel = self.ch_1 if channel == 1 else self.ch_2
        for control, header in _CHANNEL_HEADERS.items():
            setattr(self, f"{control}_get_command", header.format(ch=channel) + "?")
            setattr(self, f"{control}_set_command", header.format(ch=channel) + " %g")
        self._init_limits(limits)

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

    def enable_source(self) -> None:
        """Switch the bench channel's output on."""
        self.smu.output_enabled = True

    def disable_source(self) -> None:
        """Switch the bench channel's output off."""
        self.smu.output_enabled = False

    def sweep(self, levels: np.ndarray, delay: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """List sweep in one triggered run (source each level, wait ``delay`` s, measure); returns (V, I). A list
        holds at most 2500 levels."""
        if np.size(levels) > _MAX_SWEEP:
            raise ValueError(f"a sweep takes 1..{_MAX_SWEEP} levels, got {np.size(levels)}")
        return super().sweep(levels, delay)

    # ----------------------------------------------------------------- SourceMeterMixin hooks
    def _configure_source(self, mode: str, compliance: float, nplc: float) -> None:
        c, sense = self.channel, "CURR" if mode == "VOLT" else "VOLT"
        self.write(f":SOUR{c}:FUNC:MODE {mode};:SOUR{c}:{mode}:MODE FIX;:SOUR{c}:{mode}:RANG:AUTO 1;"
                   f':SENS{c}:FUNC "VOLT","CURR";:SENS{c}:{sense}:RANG:AUTO 1;:SENS{c}:{sense}:NPLC {nplc:g};'
                   f":SENS{c}:{sense}:PROT {compliance:g};:FORM:ELEM:SENS VOLT,CURR")

    def _zero_level(self) -> None:
        self.write(f":SOUR{self.channel}:{self._mode} 0")

    def _as_pair(self, voltage, current):
        """(source, reading) from the B2900's (V, I) element order."""
        return (voltage, current) if self._mode == "VOLT" else (current, voltage)

    def _read_pair(self) -> tuple[float, float]:
        voltage, current = self.values(f":MEAS? (@{self.channel})")
        return self._as_pair(voltage, current)

    def _run_sweep(self, levels: np.ndarray, delay: float) -> tuple[np.ndarray, np.ndarray]:
        c, mode = self.channel, self._mode
        for n in range(0, levels.size, _LIST_CHUNK):
            verb = "" if n == 0 else ":APP"
            self.write(f":SOUR{c}:LIST:{mode}{verb} " + ",".join(f"{x:.6g}" for x in levels[n:n + _LIST_CHUNK]))
        self.write(f":SOUR{c}:{mode}:MODE LIST;:TRIG{c}:SOUR AINT;:TRIG{c}:COUN {levels.size};"
                   f":TRIG{c}:TRAN:DEL 0;:TRIG{c}:ACQ:DEL {delay:g};:INIT (@{c})")
        self.ask("*OPC?")  # returns when the sweep is complete
        pairs = self._fetch_pairs(levels.size)
        self.write(f":SOUR{c}:{mode}:MODE FIX")
        return pairs

    def _arm_readings(self, count: int, delay: float) -> None:
        """One acquisition per edge on the trigger input EXT1, ``delay`` s after it, at the present level."""
        c = self.channel
        self.write(f":SOUR{c}:{self._mode}:MODE FIX;:TRIG{c}:TRAN:SOUR AINT;:TRIG{c}:TRAN:COUN 1;"
                   f":TRIG{c}:ACQ:SOUR EXT1;:TRIG{c}:ACQ:COUN {count};:TRIG{c}:ACQ:DEL {delay:g};:INIT (@{c})")

    def _fetch_pairs(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        data = np.asarray(self.values(f":FETC:ARR? (@{self.channel})"), dtype=float)
        return self._as_pair(data[0:2 * count:2], data[1:2 * count:2])
