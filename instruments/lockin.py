"""Stanford Research SR830 lock-in amplifier: PyMeasure's driver as the LockIn role, its sine output limited."""

from __future__ import annotations

import math

from pymeasure.instruments.srs import SR830 as _PyMeasureSR830

from .safety import SafetyLimitError, SafetyLimits
from .safety_gate import GateLimits, Rule, install, sr830_units

_SINE_STEP, _SINE_MIN = 0.002, 0.004  # V rms: the sine output's resolution and smallest amplitude


class LockInReadings:
    """What the ``LockIn`` role adds to PyMeasure's SRS drivers, the same on every model."""

    def settle_time(self) -> float:
        """Time (s) for the output to settle after a change: five time constants."""
        return 5 * float(self.time_constant)

    def read_xy(self) -> tuple[float, float]:
        """In-phase and quadrature components (V rms) at the same instant."""
        x, y = self.snap("X", "Y")
        return float(x), float(y)


class SR830(LockInReadings, _PyMeasureSR830):
    """Fills the :class:`~mtjhw.instruments.roles.LockIn` role; external reference, X/Y read together (SNAP).

    The sine output (``SLVL``, V rms) drives the DUT (the lock-in's excitation through the sample): every message
    passes a safety gate that holds its peak, √2 × the amplitude the SR830 rounds to, to ``max_voltage``. The
    output is never off, so ``*RST`` (1 V rms) and setup recalls (``RSET``) are refused under a lower limit. The
    aux outputs (``AUXV``) are not wired to the DUT on this bench and are not limited.
    """

    safety_rules = (Rule("SLVL", "voltage", scale=math.sqrt(2.0), step=_SINE_STEP),
                    Rule("*RST", "voltage", scale=math.sqrt(2.0), preset=1.0),
                    Rule("RSET", "refused", reason="recalls a saved setup, whose sine amplitude the gate cannot check"))

    def __init__(self, adapter, name: str = "SR830 lock-in amplifier", limits: SafetyLimits | None = None,
                 **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, name, **kwargs)
        self.limits = limits or SafetyLimits()
        install(self, self.safety_rules, GateLimits.from_safety(self.limits), units=sr830_units)

    def arm_protection(self) -> None:
        """The SR830 has no output limit of its own: bring the sine amplitude down to the largest the bench limit
        allows, if it is above, so that what it drives is DUT-safe from the start."""
        limit = self.limits.max_voltage
        if not math.isfinite(limit):
            return
        allowed = math.floor(limit / math.sqrt(2.0) / _SINE_STEP + 1e-9) * _SINE_STEP
        if allowed < _SINE_MIN:
            raise SafetyLimitError(f"{self.name}: its smallest sine output, {_SINE_MIN * 1e3:g} mV rms, peaks above "
                                   f"the bench limit of {limit:g} V")
        if float(self.ask("SLVL?")) > allowed + 1e-9:
            self.write(f"SLVL {allowed:.3f}")

    def configure(self, time_constant: float, sensitivity: float) -> None:
        """External reference, ``time_constant`` (s) and ``sensitivity`` (V full scale), each rounded up to the
        instrument's next setting."""
        self.write("FMOD0")
        self.time_constant = time_constant
        self.sensitivity = sensitivity

