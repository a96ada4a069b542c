"""Lake Shore Model 336 temperature controller: PyMeasure's 3xx driver filling the temperature role.

One control loop (heater output 1 or 2) regulates on one sensor input (A–D), both named in the bench file. Set
points pass the safety gate, which refuses any beyond the bench's ``max_temperature`` before it is sent, and the
controller's own temperature limit (``TLIMIT``: every output off above it) is armed at the same value.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from pymeasure.instruments.lakeshore import LakeShore3xx

from .safety import SafetyLimits
from .safety_gate import GateLimits, Rule, install

HEATER_RANGES = {"low": 1, "medium": 2, "high": 3}
#: K/min: the set point ramp rates the 336 takes (0 is "no ramp").
RAMP_RANGE = (0.1, 100.0)


class LakeShore336(LakeShore3xx):
    """Model 336 on ``loop`` (heater output 1 or 2) controlling from ``sensor`` (input A–D) on ``heater_range``
    (low, medium or high); waits go through ``sleep`` by ``clock`` (wall time unless the bench gives its own)."""

    safety_rules = (
        Rule("SETP", "temperature", skip=1),
        Rule("TLIMIT", "temperature", skip=1, bounds=(1e-3, math.inf),
             reason="a limit of 0 K switches the controller's own temperature limit off"),
        Rule("OUTMODE", "keyword", skip=1, allowed=("0", "1"),
             reason="zone and open-loop modes heat whatever the set point"),
        Rule("INTYPE", "keyword", skip=5, allowed=("1",), reason="set points are checked in kelvin"),
        Rule("ZONE", "refused", reason="a zone table sets heater ranges the gate cannot follow"),
    )

    def __init__(self, adapter, name: str = "Lake Shore 336 temperature controller", loop: int = 1,
                 sensor: str = "A", heater_range: str = "high", limits: SafetyLimits | None = None,
                 **kwargs) -> None:
        if loop not in (1, 2):
            raise ValueError(f"loop must be heater output 1 or 2, got {loop!r}")
        if str(sensor).upper() not in ("A", "B", "C", "D"):
            raise ValueError(f"sensor must be input A, B, C or D, got {sensor!r}")
        if heater_range not in HEATER_RANGES:
            raise ValueError(f"heater_range must be one of {', '.join(HEATER_RANGES)}, got {heater_range!r}")
        super().__init__(adapter, name, **kwargs)
        self.loop, self.sensor, self.heater_range = loop, str(sensor).upper(), heater_range
        self.limits = limits or SafetyLimits()
        self.poll = 1.0  #: s between readings while waiting
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], None] = time.sleep
        self._configured = False
        gate = install(self, self.safety_rules, GateLimits(temperature=self.limits.max_temperature))
        gate.after_reset = self.arm_protection  # *RST returns the controller's own limit to 0 K (off)

    @property
    def _output(self):
        return getattr(self, f"output_{self.loop}")

    @property
    def _input(self):
        return getattr(self, f"input_{self.sensor}")

    def set_clock(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        """The clock (s) and the wait that :meth:`wait_for_stable` polls by (the bench's)."""
        self.clock, self.sleep = clock, sleep

    def arm_protection(self) -> None:
        """The controller's own limit on the control sensor at ``max_temperature``: every output off above it,
        whatever this host does."""
        if math.isfinite(self.limits.max_temperature):
            self.write(f"TLIMIT {self.sensor},{self.limits.max_temperature:g}")

    def set_temperature(self, kelvin: float, ramp: float | None = None) -> None:
        """Set point ``kelvin`` (K) in closed loop, reached as a step or at ``ramp`` K/s (the set point ramps from
        the present temperature); refused beyond ``max_temperature`` before anything is sent."""
        self.limits.temperature(kelvin)
        if ramp is not None and not RAMP_RANGE[0] <= ramp * 60.0 <= RAMP_RANGE[1]:
            raise ValueError(f"ramp {ramp:g} K/s is outside the 336's {RAMP_RANGE[0]:g}–{RAMP_RANGE[1]:g} K/min")
        if not self._configured:
            self.write(f"OUTMODE {self.loop},1,{'ABCD'.index(self.sensor) + 1},0")
            self._configured = True
        self.write(f"RAMP {self.loop},0,0")
        if ramp is not None:
            self.write(f"SETP {self.loop},{self.measure_temperature():.3f}")
            self.write(f"RAMP {self.loop},1,{ramp * 60.0:.1f}")
        self.write(f"SETP {self.loop},{kelvin:.3f}")
        self.write(f"RANGE {self.loop},{HEATER_RANGES[self.heater_range]}")

    def measure_temperature(self) -> float:
        """Control sensor reading (K)."""
        return float(self._input.kelvin)

    def wait_for_stable(self, tolerance: float = 0.1, timeout: float = 1800.0, hold: float = 10.0) -> float:
        """Poll every :attr:`poll` s until |T − set point| ≤ ``tolerance`` (K) has held ``hold`` s; return T (K).
        ``TimeoutError`` after ``timeout`` s, with the reading and the heater output."""
        if not (tolerance > 0 and timeout >= 0 and hold >= 0):
            raise ValueError("wait_for_stable needs tolerance > 0 K, timeout >= 0 s and hold >= 0 s")
        setpoint = float(self._output.setpoint)
        start = self.clock()
        since = None
        while True:
            kelvin, now = self.measure_temperature(), self.clock()
            since = (since if since is not None else now) if abs(kelvin - setpoint) <= tolerance else None
            if since is not None and now - since >= hold:
                return kelvin
            if now - start >= timeout:
                raise TimeoutError(
                    f"{self.name}: {kelvin:.3f} K after {timeout:g} s, not within {tolerance:g} K of the set point "
                    f"{setpoint:g} K for {hold:g} s (heater at {float(self._output.output):.0f} % of the "
                    f"{self.heater_range} range)")
            self.sleep(self.poll)

    def heater_off(self) -> None:
        """Both heater outputs off (range 0)."""
        self.write("RANGE 1,0;RANGE 2,0")
