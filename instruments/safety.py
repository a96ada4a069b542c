"""Device-safe limits, checked in software before a command is sent to an instrument."""

from __future__ import annotations

import math
from dataclasses import dataclass


class SafetyLimitError(ValueError):
    """A requested setting would exceed the bench's device-safe limits; nothing was sent."""


@dataclass(frozen=True)
class SafetyLimits:
    """Limits that protect the DUT: ``max_voltage`` V across it, ``max_current`` A through it,
    ``max_field`` T at it, ``field_ramp_rate`` T/s of the magnet and ``max_rf_power`` W of microwave power out of
    a source. Defaults impose nothing."""

    max_voltage: float = math.inf
    max_current: float = math.inf
    max_field: float = math.inf
    field_ramp_rate: float = math.inf
    max_rf_power: float = math.inf

    def __post_init__(self) -> None:
        for name in ("max_voltage", "max_current", "max_field", "field_ramp_rate", "max_rf_power"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"safety.{name} must be a positive number, got {value!r}")

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
