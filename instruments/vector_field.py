"""A vector field from one bipolar supply per axis, each closed-loop on its own axis of a three-axis probe.

Axes: x in-plane along the write current (the DUT's hard axis), y in-plane across it, z the easy axis. A bench
fills ``magnet_x`` and ``magnet_z`` (and ``magnet_y``) with supplies and ``vector_gaussmeter`` with a three-axis
probe; each axis is a :class:`~mtjhw.instruments.field_controller.MagnetFieldController` on its probe axis, so
that each supply's safety gate holds its own current and ramp-rate limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .field_controller import MagnetFieldController
from .roles import MagnetSupply, VectorProbe
from .safety import SafetyLimits

#: bench roles of the axis supplies → axis
AXIS_ROLES = {"magnet_x": "x", "magnet_y": "y", "magnet_z": "z"}
_AXES = ("x", "y", "z")


def components(magnitude: float, polar: float, azimuth: float = 0.0) -> dict[str, float]:
    """(x, y, z) components (T) of ``magnitude`` (T) at ``polar`` from z and ``azimuth`` from x (rad)."""
    for name, angle in (("polar", polar), ("azimuth", azimuth)):
        if not math.isfinite(angle):
            raise ValueError(f"{name} must be a finite angle in rad (got {angle!r})")
    s = math.sin(polar)
    return {"x": magnitude * s * math.cos(azimuth), "y": magnitude * s * math.sin(azimuth),
            "z": magnitude * math.cos(polar)}


class AxisProbe:
    """One axis of a three-axis probe as a single-axis :class:`~mtjhw.instruments.roles.FieldProbe`."""

    def __init__(self, probe: VectorProbe, axis: str) -> None:
        self.probe, self.channel = probe, axis.upper()

    def measure_field(self) -> float:
        """Field (T) along this axis."""
        return self.probe.measure_axis(self.channel)


class VectorFieldController:
    """Fills :class:`~mtjhw.instruments.roles.VectorFieldController` with one closed loop per axis (``axes``:
    "x", "y", "z" → the loop of that axis; x and z at least) and the three-axis ``probe``.

    A change is ramped along the straight line from the last set vector to the new one (so the magnitude never
    exceeds the larger of the two) in steps of ``ramp_step`` s, no axis faster than ``limits.field_ramp_rate``;
    then each axis is corrected on its probe axis. ``sleep`` waits on the bench clock. :attr:`line` offers the
    field along one direction, for procedures written for a magnet and a rotation stage.
    """

    def __init__(self, axes: dict[str, MagnetFieldController], probe: VectorProbe, *,
                 limits: SafetyLimits | None = None, sleep: Callable[[float], None], ramp_step: float = 0.05) -> None:
        missing = {"x", "z"} - set(axes)
        if missing or not set(axes) <= set(_AXES):
            raise ValueError(f"a vector field needs supplies on x and z (and optionally y); got {sorted(axes)}")
        self.axes, self.probe = axes, probe
        self.limits = limits or SafetyLimits()
        self.sleep, self.ramp_step = sleep, ramp_step
        self._set = dict.fromkeys(axes, 0.0)  # T per axis, the last vector set
        self.line = FieldLine(self)

    @classmethod
    def from_supplies(cls, supplies: dict[str, tuple[MagnetSupply, float]], probe: VectorProbe, *,
                      limits: SafetyLimits | None = None, sleep: Callable[[float], None],
                      clock: Callable[[], float] | None = None) -> VectorFieldController:
        """One loop per axis from ``supplies`` (axis → (supply, coil constant T/A)) on ``probe``'s axes."""
        axes = {axis: MagnetFieldController(supply, AxisProbe(probe, axis), coil_constant, limits=limits,
                                            sleep=sleep, clock=clock)
                for axis, (supply, coil_constant) in supplies.items()}
        return cls(axes, probe, limits=limits, sleep=sleep)

    def _target(self, magnitude: float, polar: float, azimuth: float) -> dict[str, float]:
        """The per-axis set points (T) of the vector, checked against every limit before anything is sent."""
        self.limits.field(magnitude)
        target = components(magnitude, polar, azimuth)
        for axis, value in target.items():
            if axis not in self.axes and abs(value) > 1e-9 * max(abs(magnitude), 1e-30):
                raise ValueError(f"the vector ({magnitude:g} T, polar {polar:g}, azimuth {azimuth:g} rad) needs a "
                                 f"{axis} component ({value:.4g} T): add instruments.magnet_{axis} to the bench file")
            self.limits.field(value)
        return {axis: target[axis] for axis in self.axes}

    def _ramp(self, target: dict[str, float]) -> None:
        """Step every axis together along the line to ``target`` (T per axis), within the ramp rate."""
        rate = self.limits.field_ramp_rate
        largest = max(abs(target[a] - self._set[a]) for a in self.axes)
        steps = 1 if math.isinf(rate) else max(1, math.ceil(largest / (rate * self.ramp_step)))
        start = dict(self._set)
        for k in range(1, steps + 1):
            for axis, loop in self.axes.items():
                loop.step_field(start[axis] + (target[axis] - start[axis]) * k / steps)
            self._set = {a: start[a] + (target[a] - start[a]) * k / steps for a in self.axes}
            if steps > 1:
                self.sleep(self.ramp_step)

    def step_field(self, magnitude: float, polar: float, azimuth: float = 0.0) -> None:
        """Set every supply for the vector open-loop (ramped, within the limits), without reading the probe."""
        self._ramp(self._target(magnitude, polar, azimuth))

    def set_field(self, magnitude: float, polar: float, azimuth: float = 0.0) -> None:
        target = self._target(magnitude, polar, azimuth)
        self._ramp(target)
        for axis, loop in self.axes.items():
            loop.set_field(target[axis])

    def measure_field(self) -> tuple[float, float, float]:
        return self.probe.measure_vector()

    def zero(self) -> None:
        """Ramp the vector to zero, then every supply to zero current and off (each attempted whatever fails)."""
        errors = []
        try:
            self._ramp(dict.fromkeys(self.axes, 0.0))
        except Exception as exc:  # keep going: every supply must be ramped down and switched off
            errors.append(exc)
        for loop in self.axes.values():
            try:
                loop.shutdown()
            except Exception as exc:
                errors.append(exc)
        self._set = dict.fromkeys(self.axes, 0.0)
        if errors:
            raise errors[0]


class FieldLine:
    """The vector field along one direction in the x–z plane, turned like a rotation stage: fills
    :class:`~mtjhw.instruments.roles.FieldController` (the signed field along the direction) and
    :class:`~mtjhw.instruments.roles.Rotator` (the direction's polar angle from the easy axis, rad)."""

    def __init__(self, vector: VectorFieldController) -> None:
        self.vector = vector
        self.angle = 0.0  # rad from z, towards x
        self._field = 0.0  # T along the direction, the last set

    def rotate_to(self, angle: float) -> None:
        """Turn the present field to ``angle`` (rad from the easy axis), closed-loop."""
        self.vector.set_field(self._field, angle)
        self.angle = angle

    def measure_angle(self) -> float:
        """The direction's angle (rad) from the easy axis."""
        return self.angle

    def stop(self) -> None:
        """Nothing moves: the field stays where it was set (``shutdown`` ramps it down)."""

    def set_field(self, target: float) -> float:
        self.vector.set_field(target, self.angle)
        self._field = target
        return self.measure_field()

    def step_field(self, target: float) -> None:
        self.vector.step_field(target, self.angle)
        self._field = target

    def measure_field(self) -> float:
        """Probe field (T) projected on the direction."""
        probe = self.vector.probe
        bx, bz = probe.measure_axis("X"), probe.measure_axis("Z")
        return bx * math.sin(self.angle) + bz * math.cos(self.angle)

    def shutdown(self) -> None:
        self.vector.zero()
        self._field = 0.0
