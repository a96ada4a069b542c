"""Stanford Research SR860 lock-in amplifier: PyMeasure's driver as the LockIn role, with harmonic detection and
its sine output limited."""

from __future__ import annotations

import math

from pymeasure.instruments.srs import SR860 as _PyMeasureSR860

from .lockin import LockInReadings
from .safety import SafetyLimitError, SafetyLimits
from .safety_gate import GateLimits, Rule, install, sr830_units

_SINE_MIN = 1e-9  # V rms: the sine output's smallest amplitude
#: V rms the gate assumes at power-on and after ``*RST`` until ``SLVL`` is sent: the largest default of the family
_RESET_SINE = 1.0
_PEAK = math.sqrt(2.0)


class SR860(LockInReadings, _PyMeasureSR860):
    """Fills the :class:`~mtjhw.instruments.roles.LockIn` role; reference external (the RF source's AM clock) or,
    for harmonic detection, internal with the sine output driving the DUT; X/Y read together (``SNAP?``).

    ``harmonic`` (``HARM``, 1–99) selects the detected harmonic of the reference: 1 for the spin-diode signal under
    AM, 2 for the second-order response of a junction excited by the sine output. The sine output (``SLVL``,
    V rms, on the DC level ``SOFF``, V) is a voltage on a cable to the DUT: every message passes a safety gate that
    follows both and holds the output's extremes, ``SOFF`` ± √2·``SLVL``, to ``max_voltage`` (it assumes a 1 V rms
    sine until ``SLVL`` is sent). The output is never off, so ``*RST`` is refused under a limit below the peak of a
    1 V rms sine. The aux outputs (``AUXV``) are not wired to the DUT and are not limited.
    """

    #: ``SLVL`` is rms: × 2√2 for the peak-to-peak amplitude the gate's level rules follow.
    safety_rules = (Rule("SLVL", "amplitude", scale=2 * _PEAK), Rule("SOFF", "offset"))

    def __init__(self, adapter, name: str = "SR860 lock-in amplifier", limits: SafetyLimits | None = None,
                 **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, name, **kwargs)
        self.limits = limits or SafetyLimits()
        install(self, self.safety_rules, GateLimits.from_safety(self.limits),
                levels=(_PEAK * _RESET_SINE, -_PEAK * _RESET_SINE, math.inf), units=sr830_units)

    def arm_protection(self) -> None:
        """The SR860 has no output limit of its own: where the output's peak is above the bench limit, the DC level
        to 0 V and the sine amplitude down to the largest the limit allows; both are then written as they are, so
        that the gate follows the instrument's own levels from here on."""
        limit = self.limits.max_voltage
        if not math.isfinite(limit):
            return
        allowed = math.floor(limit / _PEAK * 1e9) * 1e-9
        if allowed < _SINE_MIN:
            raise SafetyLimitError(f"{self.name}: its smallest sine output, 1 nV rms, peaks above the bench limit "
                                   f"of {limit:g} V")
        offset, amplitude = float(self.ask("SOFF?")), float(self.ask("SLVL?"))
        if abs(offset) + _PEAK * amplitude > limit:
            offset, amplitude = 0.0, min(amplitude, allowed)
            self.write("SOFF 0")
        self.write(f"SLVL {amplitude:.9e}")
        self.write(f"SOFF {offset:.4f}")

    def set_excitation(self, amplitude: float, offset: float = 0.0) -> None:
        """Sine output of ``amplitude`` (V rms) on the DC level ``offset`` (V), referenced internally, for harmonic
        detection of the DUT's response; refused before anything is sent where |offset| + √2·amplitude exceeds
        ``max_voltage``."""
        if not _SINE_MIN <= amplitude <= 2.0 or not -5.0 <= offset <= 5.0:
            raise ValueError(f"{self.name}: the sine output takes 1 nV–2 V rms on a DC level of ±5 V, got "
                             f"{amplitude:g} V rms on {offset:g} V")
        peak = abs(offset) + _PEAK * amplitude
        if peak > self.limits.max_voltage:
            raise SafetyLimitError(f"{self.name}: sine output peaks at {peak:g} V, above the bench limit of "
                                   f"{self.limits.max_voltage:g} V")
        self.write("SOFF 0")  # never both at their new values on the way
        self.write(f"SLVL {amplitude:.9e}")
        self.write(f"SOFF {offset:.4f}")
        self.write("RSRC 0")

    def configure(self, time_constant: float, sensitivity: float) -> None:
        """External reference, voltage input, ``time_constant`` (s) and ``sensitivity`` (V full scale), each rounded
        up to the instrument's next setting."""
        self.write("RSRC 1")
        self.write("IVMD 0")
        self.time_constant = time_constant
        self.sensitivity = sensitivity

