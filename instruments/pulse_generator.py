"""Pulse generators (Keysight 81150A/81160A, 33500B): PyMeasure's drivers plus bursts of DUT-safe pulses."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

from pymeasure.instruments.agilent import Agilent33500
from pymeasure.instruments.keysight import Keysight81160A as _PyMeasureKeysight81160A

from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import GateLimits, Rule, install, pulse_level_rules


class _BurstPulses(RaisesInstrumentErrors, ABC):
    """The PulseGenerator role over a generator's SCPI, shared by the 81160A and 33500B drivers: subclasses
    give the per-channel command string of one armed pulse burst."""

    min_width, max_period = 2.5e-9, 1000.0
    default_name = "pulse generator"
    safety_rules: tuple[Rule, ...] = ()
    #: power-on levels as programmed: high V, low V, expected load Ω
    power_on_levels: tuple[float, float, float] = (0.0, 0.0, 50.0)

    def __init__(self, adapter, name: str | None = None, limits: SafetyLimits | None = None, **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 20000)
        super().__init__(adapter, name or self.default_name, **kwargs)
        self.limits = limits or SafetyLimits()
        install(self, self.safety_rules, GateLimits.from_safety(self.limits), self.power_on_levels)

    @abstractmethod
    def _burst_commands(self, ch: int, high: float, polarity: str, period: float, width: float, delay: float,
                        count: int) -> str:
        """The commands arming one channel's burst."""

    def setup_pulse(self, channel: int, amplitude: float, width: float, period: float, count: int,
                    delay: float = 0.0) -> None:
        """Arm ``channel`` (1 or 2) for a manually triggered burst of ``count`` pulses of ``amplitude`` V (sign =
        polarity) and ``width`` s, ``delay`` s into each ``period`` s."""
        if channel not in (1, 2):
            raise ValueError(f"channel must be 1 or 2, got {channel}")
        self.limits.voltage(amplitude)
        if not (self.min_width <= width and delay >= 0 and delay + width <= period <= self.max_period):
            raise ValueError(f"pulse of {width:g} s at {delay:g} s does not fit a {period:g} s period "
                             f"(width >= {self.min_width:g} s, period <= {self.max_period:g} s)")
        if not 1 <= count <= 1_000_000:
            raise ValueError(f"count must be 1..1000000, got {count}")
        polarity = "INV" if amplitude < 0 else "NORM"
        self.write(self._burst_commands(channel, abs(amplitude), polarity, period, width, delay, count))
        self.check_errors()

    def fire(self) -> None:
        """Trigger the armed burst and wait until it is out."""
        self.write("*TRG")
        self.ask("*OPC?")

    def output_off(self) -> None:
        """Both outputs off (each attempted)."""
        try:
            self.write(self._output_off_command(1))
        finally:
            self.write(self._output_off_command(2))

    def _output_off_command(self, ch: int) -> str:
        return f":OUTP{ch} OFF"

    def arm_protection(self) -> None:
        """Set each output's own voltage limit at ±``max_voltage`` (10 V at most), the outputs programmed for a
        high-impedance DUT (so that the limit is the DUT's voltage) and their levels first brought inside it (0 V
        and at most 0.1 V, low or high first as the present high level says, so that they never cross nor pass
        the limit on the way); again after every reset, which restores the power-on levels with the outputs off."""
        if math.isfinite(self.limits.max_voltage):
            self.write(";".join(self._limit_commands(ch, min(self.limits.max_voltage, 10.0)) for ch in (1, 2)))
            self.check_errors()
        self.adapter.after_reset = self.arm_protection

    @abstractmethod
    def _limit_commands(self, ch: int, limit: float) -> str:
        """The commands that set channel ``ch``'s levels inside ±``limit`` V and its voltage limit there (its
        present high level read first)."""


#: What every generator refuses under a limit: a recalled state holds levels and output states.
_RECALLS = (Rule("*RCL", "refused", reason="recalls a saved state, whose levels the gate cannot check"),
            Rule(":MMEMory:LOAD:STATe", "refused", reason="recalls a stored state, whose levels the gate cannot check"))

class Keysight81160A(_BurstPulses, _PyMeasureKeysight81160A):
    """Keysight 81150A/81160A pulse generator filling the :class:`~mtjhw.instruments.roles.PulseGenerator` role.

    Amplitudes are the voltage at the DUT: outputs are set for a high-impedance load (``:OUTP:LOAD INF``), the
    DUT being much larger than 50 Ω, idle at 0 V, with the polarity inverted for negative pulses. Every amplitude
    is checked against the bench's ``max_voltage`` and widths against the instrument before anything is sent.
    """

    default_name = "Keysight 81160A"
    safety_rules = (*pulse_level_rules("[:SOURce]", "VOLTage#", ":OUTPut#", "[:SOURce]:APPLy#", (0.3, 1e6)),
                    *_RECALLS)
    power_on_levels = (0.5, 0.0, 50.0)

    def _burst_commands(self, ch: int, high: float, polarity: str, period: float, width: float, delay: float,
                        count: int) -> str:
        return (f":FUNC{ch} PULS;:OUTP{ch}:LOAD INF;:OUTP{ch}:POL {polarity};:VOLT{ch}:LOW 0;"
                f":VOLT{ch}:HIGH {high:.6g};:PULS:PER{ch} {period:.9g};:PULS:WIDT{ch} {width:.9g};"
                f":PULS:DEL{ch} {delay:.9g};:BURS{ch}:STAT ON;:BURS{ch}:NCYC {count};:ARM:SOUR{ch} MAN;"
                f":OUTP{ch} ON")

    def _limit_commands(self, ch: int, limit: float) -> str:
        """``:VOLTage<n>:LIMit`` (from PyMeasure's 81160A driver; the 81150A/81160A manual's output limits)."""
        low, high = f":VOLT{ch}:LOW 0", f":VOLT{ch}:HIGH {min(limit, 0.1):g}"
        levels = f"{high};{low}" if float(self.ask(f":VOLT{ch}:HIGH?")) < 0 else f"{low};{high}"
        return (f":OUTP{ch}:LOAD INF;:VOLT{ch}:UNIT VPP;{levels};:VOLT{ch}:LIM:HIGH {limit:g};"
                f":VOLT{ch}:LIM:LOW {-limit:g};:VOLT{ch}:LIM:STAT ON")


class Keysight33500B(_BurstPulses, Agilent33500):
    """Keysight/Agilent 33500B waveform generator in pulse mode (16 ns minimum width), same role and
    conventions as :class:`Keysight81160A`, with the 33500 series' ``SOURce<n>:`` commands. The 33500 has no
    pulse delay: the channel's trigger delay starts its burst ``delay`` late, which puts every pulse that far
    into its period relative to the other channel, both being triggered by one ``*TRG``."""

    min_width = 16e-9
    default_name = "Keysight 33500B"
    safety_rules = (*pulse_level_rules("[:SOURce#]", "VOLTage", ":OUTPut#", "[:SOURce#]:APPLy", (1.0, 10e3),
                                       follows_apply=False),  # the 33500's APPLy is not modelled here
                    *_RECALLS)
    power_on_levels = (0.05, -0.05, 50.0)

    def _burst_commands(self, ch: int, high: float, polarity: str, period: float, width: float, delay: float,
                        count: int) -> str:
        return (f"SOUR{ch}:FUNC PULS;:OUTP{ch}:LOAD INF;:OUTP{ch}:POL {polarity};:SOUR{ch}:VOLT:LOW 0;"
                f":SOUR{ch}:VOLT:HIGH {high:.6g};:SOUR{ch}:FUNC:PULS:PER {period:.9g};"
                f":SOUR{ch}:FUNC:PULS:WIDT {width:.9g};:SOUR{ch}:BURS:STAT ON;:SOUR{ch}:BURS:NCYC {count};"
                f":TRIG{ch}:SOUR BUS;:TRIG{ch}:DEL {delay:.9g};:OUTP{ch} ON")

    def _output_off_command(self, ch: int) -> str:
        return f"OUTP{ch} OFF"

    def _limit_commands(self, ch: int, limit: float) -> str:
        """``[SOURce<n>:]VOLTage:LIMit:HIGH|LOW|STATe`` (33500 series programming reference)."""
        low, high = f":SOUR{ch}:VOLT:LOW 0", f":SOUR{ch}:VOLT:HIGH {min(limit, 0.1):g}"
        levels = f"{high};{low}" if float(self.ask(f":SOUR{ch}:VOLT:HIGH?")) < 0 else f"{low};{high}"
        return (f":OUTP{ch}:LOAD INF;:SOUR{ch}:VOLT:UNIT VPP;{levels};:SOUR{ch}:VOLT:LIM:HIGH {limit:g};"
                f":SOUR{ch}:VOLT:LIM:LOW {-limit:g};:SOUR{ch}:VOLT:LIM:STAT ON")
