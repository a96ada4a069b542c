"""Lake Shore 425 gaussmeter: PyMeasure's driver plus readings in tesla and overload detection."""

from __future__ import annotations

from pymeasure.instruments.lakeshore import LakeShore425 as _PyMeasureLakeShore425

_TO_TESLA = {"G": 1e-4, "T": 1.0, "Oe": 1e-4, "A/m": 4e-7 * 3.141592653589793}


class ProbeOverloadError(RuntimeError):
    """The field exceeds the gaussmeter's present range."""


class LakeShore425(_PyMeasureLakeShore425):
    """Model 425; :meth:`measure_field` returns tesla whatever unit the front panel shows."""

    def __init__(self, adapter, name: str = "LakeShore 425 Gaussmeter", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, name, **kwargs)
        self._unit: str | None = None

    def measure_field(self) -> float:
        """Field at the probe (T)."""
        if self._unit is None:
            self._unit = self.unit
        reply = self.ask("RDGFIELD?").strip()
        if reply.upper().startswith("OL"):
            raise ProbeOverloadError(f"{self.name}: field beyond the present range; use auto range")
        return float(reply) * _TO_TESLA[self._unit]
