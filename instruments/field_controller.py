"""Closed-loop field control: a bipolar supply driving a magnet, corrected by a gaussmeter at the DUT."""

from __future__ import annotations

import math
from collections.abc import Callable

from .kepco import KepcoBOP
from .lakeshore import LakeShore425
from .safety import SafetyLimits


class FieldNotReachedError(RuntimeError):
    """The field did not settle within tolerance after the allowed corrections."""


class _WaitedTime:
    """A clock (s) that counts only the waits made through it: it never runs ahead of the bench's own clock,
    whatever that is, so set points spaced by it are never closer than by the bench's."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep
        self.elapsed = 0.0

    def now(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.elapsed += max(seconds, 0.0)
        self._sleep(seconds)


class MagnetFieldController:
    """Fills the :class:`~mtjhw.instruments.roles.FieldController` role with a supply and a field probe.

    ``coil_constant`` (T/A) gives the open-loop current for a field; the loop then corrects with the probe
    until |B − target| ≤ ``tolerance`` (T). Changes are ramped in steps of ``ramp_step`` seconds so that the
    field never changes faster than ``limits.field_ramp_rate``; ``sleep`` waits (wall time on a real bench,
    simulated time on the virtual one). Targets beyond ``limits.max_field`` are refused before anything is sent.
    The supply's safety gate holds every set point to the ramp rate as well, by ``clock`` (s, the bench's;
    without it the time waited through this controller, which may make set points wait longer than needed).
    """

    def __init__(self, supply: KepcoBOP, probe: LakeShore425, coil_constant: float, *,
                 limits: SafetyLimits | None = None, sleep: Callable[[float], None],
                 clock: Callable[[], float] | None = None, tolerance: float = 2e-4, settle_time: float = 0.1,
                 ramp_step: float = 0.05, max_corrections: int = 6) -> None:
        if not coil_constant > 0:
            raise ValueError("coil_constant (T/A) must be > 0")
        self.supply = supply
        self.probe = probe
        self.coil_constant = coil_constant
        self.limits = limits or SafetyLimits()
        waited = _WaitedTime(sleep) if clock is None else None
        self.sleep = sleep if waited is None else waited.sleep
        self.tolerance = tolerance
        self.settle_time = settle_time
        self.ramp_step = ramp_step
        self.max_corrections = max_corrections
        self._current = 0.0
        self._offset = 0.0  # T: measured minus coil_constant·current (remanence, ambient), learned from the probe
        self._configured = False
        rate = self.limits.field_ramp_rate / coil_constant  # A/s
        supply.set_max_current(1.1 * self.limits.max_field / coil_constant, rate * ramp_step, rate)
        supply.set_clock(clock or waited.now, self.sleep)

    def _configure(self) -> None:
        if not self._configured:
            self.supply.configure_current_mode()
            self._current = float(self.supply.current_setpoint)
            self.supply.output_enabled = True
            self._configured = True

    def _ramp_current(self, target_current: float) -> None:
        """Step the supply to ``target_current`` (A) without exceeding the field ramp rate."""
        delta_b = abs(target_current - self._current) * self.coil_constant
        rate = self.limits.field_ramp_rate
        steps = 1 if math.isinf(rate) else max(1, math.ceil(delta_b / (rate * self.ramp_step)))
        start = self._current
        for k in range(1, steps + 1):
            current = start + (target_current - start) * k / steps
            self.supply.current_setpoint = current
            self._current = current
            if steps > 1:
                self.sleep(self.ramp_step)

    def set_field(self, target: float) -> float:
        self.step_field(target)
        for _ in range(self.max_corrections + 1):
            self.sleep(self.settle_time)
            measured = self.measure_field()
            self._offset = measured - self._current * self.coil_constant  # settled: learn remanence/ambient
            if abs(target - measured) <= self.tolerance:
                return measured
            self.step_field(target)
        raise FieldNotReachedError(f"field {measured:.6g} T after {self.max_corrections} corrections "
                                   f"(target {target:.6g} T, tolerance {self.tolerance:g} T)")

    def step_field(self, target: float) -> None:
        """Set the supply for ``target`` (T) from the coil constant and the offset learned at the last settled
        :meth:`set_field`, without waiting or reading the probe: for sweeps that record the probe themselves at
        every point (the field then lags and may deviate by the remanence). Ramp-rate and field limits apply."""
        self.limits.field(target)
        self._configure()
        self._ramp_current((target - self._offset) / self.coil_constant)

    def measure_field(self) -> float:
        """Probe reading (T)."""
        return self.probe.measure_field()

    def shutdown(self) -> None:
        """Ramp to zero current, from wherever the supply is (also a current an earlier session left), and switch
        the supply off (attempted even after errors)."""
        try:
            if not self._configured:
                self._current = float(self.supply.current_setpoint)
            self._ramp_current(0.0)
        finally:
            self.supply.output_enabled = False
            self._configured = False
