"""Lake Shore 460 three-channel gaussmeter: the X, Y and Z axes of a three-axis Hall probe (neither PyMeasure nor
QCoDeS has a driver for it; the commands are those of its manual's remote-operation chapter)."""

from __future__ import annotations

from pymeasure.instruments import Instrument
from pymeasure.instruments.validators import strict_discrete_set

#: FIELDM? multipliers (a space, stripped to "", for none).
_MULTIPLIERS = {"u": 1e-6, "µ": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3}
_PER_UNIT = {"G": 1e-4, "T": 1.0}


class ProbeOverloadError(RuntimeError):
    """A probe axis reads beyond its present range."""


class LakeShore460(Instrument):
    """Model 460; :meth:`measure_axis` and :meth:`measure_vector` return tesla whatever unit it shows."""

    channel = Instrument.control(
        "CHNL?", "CHNL %s", "Control the channel the channel commands act on: X, Y, Z or V (the vector magnitude).",
        validator=strict_discrete_set, values=["X", "Y", "Z", "V"])
    auto_range = Instrument.control(
        "AUTO?", "AUTO %d", "Control whether the selected channel ranges automatically (bool).",
        validator=strict_discrete_set, values={True: 1, False: 0}, map_values=True)
    range = Instrument.control(
        "RANGE?", "RANGE %d", "Control the selected channel's range, 0 (the highest: 30 kG with the high-sensitivity "
        "probe) … 3 (the lowest: 30 G); setting it ends auto range.",
        validator=strict_discrete_set, values=[0, 1, 2, 3], cast=int)
    field_mantissa = Instrument.measurement(
        "FIELD?", "Measure the selected channel's reading in the unit, before its multiplier (str; OL on overload).",
        cast=str)

    def __init__(self, adapter, name: str = "Lake Shore 460 gaussmeter", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\r\n")
        kwargs.setdefault("write_termination", "\r\n")
        super().__init__(adapter, name, includeSCPI=False, **kwargs)
        self._unit: str | None = None

    @property
    def unit(self) -> str:
        """Control the unit of the readings: G (gauss) or T (tesla); kept to convert readings to tesla."""
        self._unit = self.ask("UNIT?").strip()
        return self._unit

    @unit.setter
    def unit(self, value: str) -> None:
        self.write(f"UNIT {strict_discrete_set(value, ['G', 'T'])}")
        self._unit = value

    def measure_axis(self, channel: str) -> float:
        """Field (T) on ``channel``: X, Y, Z or V."""
        self.channel = channel
        unit = self._unit or self.unit
        mantissa = self.field_mantissa.strip()
        if mantissa.upper().startswith("OL"):
            raise ProbeOverloadError(f"{self.name}: channel {channel} beyond its present range; use auto range")
        multiplier = self.ask("FIELDM?").strip()
        return float(mantissa) * _MULTIPLIERS[multiplier] * _PER_UNIT[unit]

    def measure_vector(self) -> tuple[float, float, float]:
        """(Bx, By, Bz) at the probe (T)."""
        return self.measure_axis("X"), self.measure_axis("Y"), self.measure_axis("Z")
