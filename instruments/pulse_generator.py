"""Keysight 81160A pulse generator: PyMeasure's driver plus bursts of DUT-safe rectangular pulses."""

from __future__ import annotations

import math

from pymeasure.instruments.keysight import Keysight81160A as _PyMeasureKeysight81160A

from .safety import SafetyLimits


class Keysight81160A(_PyMeasureKeysight81160A):
    """Fills the :class:`~instruments.roles.PulseGenerator` role.

    Amplitudes are the voltage at the DUT: outputs are set for a high-impedance load (``:OUTP:LOAD INF``), the
    DUT being much larger than 50 Ω, idle at 0 V, with the polarity inverted for negative pulses. Every amplitude
    is checked against the bench's ``max_voltage`` and widths against the instrument before anything is sent.
    """

    min_width, max_period = 2.5e-9, 1000.0

    def __init__(self, adapter, name: str = "Keysight 81160A", limits: SafetyLimits | None = None, **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 20000)
        super().__init__(adapter, name, **kwargs)
        self.limits = limits or SafetyLimits()

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
        ch = channel
        self.write(f":FUNC{ch} PULS;:OUTP{ch}:LOAD INF;:OUTP{ch}:POL {polarity};:VOLT{ch}:LOW 0;"
                   f":VOLT{ch}:HIGH {abs(amplitude):.6g};:PULS:PER{ch} {period:.9g};:PULS:WIDT{ch} {width:.9g};"
                   f":PULS:DEL{ch} {delay:.9g};:BURS{ch}:STAT ON;:BURS{ch}:NCYC {count};:ARM:SOUR{ch} MAN;"
                   f":OUTP{ch} ON")
        self.check_errors()

    def fire(self) -> None:
        """Trigger the armed burst and wait until it is out."""
        self.write("*TRG")
        self.ask("*OPC?")

    def output_off(self) -> None:
        """Both outputs off (each attempted)."""
        try:
            self.write(":OUTP1 OFF")
        finally:
            self.write(":OUTP2 OFF")

    def check_errors(self) -> list:
        errors = super().check_errors()
        if errors:
            raise RuntimeError(f"{self.name} reported: {errors}")
        return errors

    @staticmethod
    def period_for(widths: list[float], gap: float) -> float:
        """A period that holds pulses of ``widths`` one after another with ``gap`` s between them."""
        return math.fsum(widths) + gap * (len(widths) + 1)
