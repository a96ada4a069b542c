"""Device-safe limits, checked in software before a command is sent to an instrument."""

from __future__ import annotations

import math
from dataclasses import dataclass


class SafetyLimitError(ValueError):
    """A requested setting would exceed the bench's device-safe limits; nothing was sent."""


@dataclass(frozen=True)
class SafetyLimits:
    """Limits that protect the DUT: ``max_voltage`` V across it, ``max_current`` A through it,
    ``max_field`` T at it, ``field_ramp_rate`` T/s of the magnet, ``max_rf_power`` W of microwave power out of
    a source, ``max_temperature`` K of the sample stage and ``min_angle`` … ``max_angle`` rad of a rotation
    stage. Defaults impose nothing."""

    max_voltage: float = math.inf
    max_current: float = math.inf
    max_field: float = math.inf
    field_ramp_rate: float = math.inf
    max_rf_power: float = math.inf
    max_temperature: float = math.inf
    min_angle: float = -math.inf
    max_angle: float = math.inf

    def __post_init__(self) -> None:
        for name in ("max_voltage", "max_current", "max_field", "field_ramp_rate", "max_rf_power", "max_temperature"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"safety.{name} must be a positive number, got {value!r}")
        if not (isinstance(self.min_angle, (int, float)) and isinstance(self.max_angle, (int, float))
                and self.min_angle < self.max_angle):
            raise ValueError(f"safety.min_angle must be a number below safety.max_angle, got {self.min_angle!r} and "
                             f"{self.max_angle!r}")

    def check(self, quantity: str, value: float, limit: float, unit: str) -> float:
        """Return ``value`` if |value| ≤ ``limit``, else raise :class:`SafetyLimitError` naming ``quantity``."""
        if not math.isfinite(value) or abs(value) > limit:
            raise SafetyLimitError(f"{quantity} {value:g} {unit} exceeds the bench safety limit of ±{limit:g} {unit}")
        return value

    def voltage(self, value: float) -> float:
        return self.check("voltage", value, self.max_voltage, "V")

    def current(self, value: float) -> float:
        return self.check("current", value, self.max_current, "A")

    def field(self, value: float) -> float:
        return self.check("field", value, self.max_field, "T")

    def rf_power(self, watts: float) -> float:
        return self.check("RF power", watts, self.max_rf_power, "W")

    def temperature(self, kelvin: float) -> float:
        return self.check("temperature", kelvin, self.max_temperature, "K")

    def angle(self, radians: float) -> float:
        """Return ``radians`` if within ``min_angle`` … ``max_angle``, else raise :class:`SafetyLimitError`."""
        if not (math.isfinite(radians) and self.min_angle <= radians <= self.max_angle):
            raise SafetyLimitError(f"angle {radians:g} rad is outside the bench safety limits {self.min_angle:g} … "
                                   f"{self.max_angle:g} rad")
        return radians
