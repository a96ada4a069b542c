"""An iron-yoke electromagnet driven by a bipolar supply: field lags the current and keeps some remanence."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Electromagnet:
    """Field at the DUT (T) from coil current (A).

    ``coil_constant`` T/A, ``resistance`` Ω and ``time_constant`` s (L/R) of the coil, ``remanence`` T left by
    the yoke in the direction of the last excursion beyond ``saturation`` T. The field relaxes exponentially to
    ``coil_constant·I ± remanence`` after every change of current.
    """

    coil_constant: float = 0.03
    resistance: float = 2.0
    time_constant: float = 0.02
    remanence: float = 0.0015
    saturation: float = 0.05
    _current: float = 0.0
    _field: float = 0.0
    _yoke: int = 0  # sign of the remanent magnetisation, 0 when virgin

    def __post_init__(self) -> None:
        for name in ("coil_constant", "resistance", "time_constant"):
            if not getattr(self, name) > 0:
                raise ValueError(f"magnet {name} must be > 0")

    @property
    def current(self) -> float:
        return self._current

    @property
    def field(self) -> float:
        """Present field at the DUT (T)."""
        return self._field

    def target(self) -> float:
        return self.coil_constant * self._current + self.remanence * self._yoke

    def set_current(self, current: float) -> None:
        self._current = current
        b = self.coil_constant * current
        if abs(b) > self.saturation:
            self._yoke = 1 if b > 0 else -1

    def settling(self, tolerance: float = 1e-5) -> bool:
        return abs(self._field - self.target()) > tolerance

    def advance(self, duration: float) -> None:
        target = self.target()
        self._field = target + (self._field - target) * math.exp(-duration / self.time_constant)
