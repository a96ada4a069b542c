"""PyMeasure-style validators that refuse (never clamp) values outside safety limits."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .safety import SafetyLimitError


def limited(quantity: str, unit: str) -> Callable[[float, Sequence[float]], float]:
    """A validator for a dynamic control whose ``values`` are the allowed [min, max] of ``quantity``."""

    def validate(value: float, values: Sequence[float]) -> float:
        low, high = min(values), max(values)
        if not low <= value <= high:
            raise SafetyLimitError(f"{quantity} {value:g} {unit} is outside the allowed range "
                                   f"[{low:g}, {high:g}] {unit} (instrument range or bench safety limit)")
        return value

    return validate
