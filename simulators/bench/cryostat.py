"""The sample stage of a cryostat (or a heated chuck): a heater under closed-loop control over a cold bath.

The stage exchanges heat with a bath at ``base_temperature`` through a thermal resistance R and has a heat
capacity C; the heater delivers P. Its temperature obeys C·dT/dt = P − (T − T_base)/R. A controller tuned for a
clean first-order approach (no overshoot) makes the closed loop relax to the (ramping) set point with the time
constant τ: dT/dt = (T_target − T)/τ, where the heater then delivers P·R = T_target − T_base. The heater can only
heat, and its range caps the power: T_target is the set point clamped to [T_base, T_max(range)], with the high
range reaching ``heater_limit`` and each range below a decade less power (as the Model 336's 100 W / 10 W / 1 W
ranges into one heater).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Heater power of each range (0 off, 1 low, 2 medium, 3 high) as a fraction of the high range.
RANGE_POWER = {0: 0.0, 1: 0.01, 2: 0.1, 3: 1.0}
#: K: the stage counts as settled (and stops being stepped) within this of its target.
SETTLED = 1e-4


@dataclass
class ThermalStage:
    """Stage temperature (K) under a heater with set point, ramp and range.

    ``base_temperature`` K with the heater off, ``heater_limit`` K reached at full power on the high range (None:
    200 K above the base), ``time_constant`` s of the closed-loop approach. ``ramp_rate`` K/s moves the
    controller's set point towards ``setpoint`` (0: a step). Above ``trip`` K (a controller's temperature limit)
    the heater switches off and ``tripped`` is set. Starts settled at the base, heater off.
    """

    base_temperature: float = 300.0
    heater_limit: float | None = None
    time_constant: float = 30.0
    setpoint: float = field(init=False)
    ramp_rate: float = 0.0
    heater_range: int = 0
    trip: float = math.inf
    tripped: bool = False
    temperature: float = field(init=False)
    ramped: float = field(init=False)  #: K, the set point as the ramp has moved it so far
    #: known to be at rest (cleared by any change): what keeps an idle stage free on the bench
    settled: bool = field(init=False, default=False, repr=False)

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name != "settled":
            object.__setattr__(self, "settled", False)

    def __post_init__(self) -> None:
        if self.heater_limit is None:
            self.heater_limit = self.base_temperature + 200.0
        if not 0 < self.base_temperature < self.heater_limit:
            raise ValueError("the stage needs 0 < base_temperature < heater_limit (K)")
        if not self.time_constant > 0:
            raise ValueError("the stage time_constant must be > 0 s")
        self.temperature = self.setpoint = self.ramped = self.base_temperature

    def reachable(self) -> float:
        """Highest temperature (K) the present heater range can hold."""
        return self.base_temperature + (self.heater_limit - self.base_temperature) * RANGE_POWER[self.heater_range]

    def target(self) -> float:
        """Where the stage is heading now (K): the ramped set point within what the heater can do."""
        return min(max(self.ramped, self.base_temperature), self.reachable())

    def heater_fraction(self) -> float:
        """Heater power as a fraction of its range's maximum (P·R = T_target − T_base), 0 with the heater off."""
        if self.heater_range == 0:
            return 0.0
        return (self.target() - self.base_temperature) / (self.reachable() - self.base_temperature)

    def ramping(self) -> bool:
        return self.ramped != self.setpoint

    def set_setpoint(self, kelvin: float) -> None:
        """New set point (K): ramped towards at ``ramp_rate``, or a step."""
        self.setpoint = kelvin
        if self.ramp_rate <= 0:
            self.ramped = kelvin

    def changing(self) -> bool:
        """Whether time still changes the stage (it is not stepped otherwise); remembered until a change."""
        if self.settled:
            return False
        moving = self.ramping() or abs(self.temperature - self.target()) > SETTLED
        self.settled = not moving
        return moving

    def _ramp(self, duration: float) -> None:
        step = self.ramp_rate * duration if self.ramp_rate > 0 else math.inf
        self.ramped = min(self.setpoint, self.ramped + step) if self.setpoint > self.ramped else \
            max(self.setpoint, self.ramped - step)

    def advance(self, duration: float) -> None:
        """Let ``duration`` s pass, in steps of at most τ/8 over which the target moves at a constant rate r:
        exact for a fixed or ramping target, T − s → −rτ + (T₀ − s₀ + rτ)·e^(−t/τ)."""
        tau = self.time_constant
        while duration > 0 and self.changing():
            step = min(duration, tau / 8)
            start = self.target()
            self._ramp(step)
            end = self.target()
            lag = (end - start) / step * tau
            self.temperature = end - lag + (self.temperature - start + lag) * math.exp(-step / tau)
            duration -= step
            if self.temperature > self.trip:  # off as it crosses (the cooling in the rest of the step neglected)
                self.temperature, self.heater_range, self.tripped = self.trip, 0, True
        if not self.changing():
            self.temperature = self.target()
            self.settled = True
