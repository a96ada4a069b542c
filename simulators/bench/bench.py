"""The virtual probe station: one DUT, an electromagnet, a thermal stage, a simulated clock, and the bias the SMU
applies.

Every virtual instrument of a bench holds a reference to it. Time advances only through :meth:`advance`
(instruments call it for integration time, source delays and sweeps; procedures call it through the bench's
``sleep``), unless the bench runs in real time, when it first catches up with the wall clock.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from .bias import Bias
from .cryostat import ThermalStage
from .devices import TwoTerminalDevice
from .magnet import Electromagnet
from .pmtj import PerpendicularMTJ
from .pulses import PulseTrain, TriggerListener, period_timeline
from .rf import RfDrive

#: K: the stage's temperature is set on the DUT in steps of this (and exactly once settled).
TEMPERATURE_STEP = 0.01
#: rad: with an x-axis magnet the field's direction is set on the DUT (``field_angle``) in steps of this.
ANGLE_STEP = 1e-3
#: T: a field weaker than this has no direction the DUT's angle follows (it keeps the last one).
ANGLE_MIN_FIELD = 1e-4


class VirtualBench:
    """Shared physical state of a set of virtual instruments.

    ``dut`` is a bench device model (:class:`~mtjhw.simulators.bench.devices.TwoTerminalDevice`), ``magnet``
    the field source, ``stage`` the sample stage a temperature controller heats (default: settled at the DUT's
    temperature, heater off; it sets ``dut.temperature`` in steps of :data:`TEMPERATURE_STEP` as it changes),
    ``seed`` seeds every random draw, ``realtime`` makes simulated time follow wall time
    (for external clients over TCP that wait in wall time).
    """

    def __init__(self, dut: TwoTerminalDevice | None = None, magnet: Electromagnet | None = None, *,
                 stage: ThermalStage | None = None, seed: int | None = 0, realtime: bool = False,
                 ambient_field: float = 0.0) -> None:
        self.dut = dut if dut is not None else PerpendicularMTJ()
        self.magnet = magnet if magnet is not None else Electromagnet()
        self.magnet_x: Electromagnet | None = None  # the in-plane magnet of a vector field, see axis_magnet
        self.stage = stage if stage is not None else ThermalStage(float(getattr(self.dut, "temperature", 300.0)))
        self._stage_pushed = round(self.stage.temperature, 2)  # K last set on the DUT
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.lock = threading.RLock()
        self.time = 0.0
        self.ambient_field = ambient_field
        self.realtime = realtime
        self._wall_origin = time.monotonic()
        self._bias_source: object | None = None
        self._bias = Bias.open_circuit()
        self._roles: dict[int, str] = {}  # id(source) → the role it fills (see wire)
        self._pulse_voltage = 0.0  # V added through the bias tee's AC port while a pulse is on
        self.rf = RfDrive()  # microwave drive through the AC port
        self.trigger_listeners: list[TriggerListener] = []

    def reseed(self, *key: int) -> None:
        """Draw every random number that follows from (seed, ``*key``), e.g. per point of a procedure, so that a run
        resumed at that point measures what an uninterrupted one would. An unseeded bench stays unseeded."""
        if self.seed is not None:
            self.rng = np.random.default_rng([self.seed, *key])

    # ----------------------------------------------------------------- drive
    @property
    def field(self) -> float:
        """Field at the DUT (T): magnet plus ambient; with an x-axis magnet, the field along ``field_angle``
        (which follows the field's direction in the x–z plane)."""
        if self.magnet_x is None:
            return self.magnet.field + self.ambient_field
        bx, _, bz = self.field_vector
        angle = self.dut.field_angle
        return bx * math.sin(angle) + bz * math.cos(angle)

    @property
    def field_vector(self) -> tuple[float, float, float]:
        """(Bx, By, Bz) at the DUT (T): x in-plane along the write current (the hard axis), z the easy axis
        (:attr:`magnet` and the ambient field); no magnet drives y."""
        bx = 0.0 if self.magnet_x is None else self.magnet_x.field
        return bx, 0.0, self.magnet.field + self.ambient_field

    def axis_magnet(self, axis: str) -> Electromagnet:
        """The electromagnet along ``axis``: "z" is :attr:`magnet`; "x" (made on first use, like it) turns the
        field in the x–z plane, where the DUT's field-angle physics is; "y" is refused (out of that plane)."""
        if axis == "z":
            return self.magnet
        if axis != "x":
            raise ValueError(f"no simulated magnet along {axis!r}: the DUT's field-angle physics is in the x–z "
                             "plane (x in-plane along the write current, z the easy axis); use magnet_x and "
                             "magnet_z")
        if not hasattr(self.dut, "field_angle"):
            raise ValueError(f"the DUT model {type(self.dut).__name__} has no field-angle physics for an x-axis "
                             "magnet to turn (use dut.model pmtj)")
        if self.magnet_x is None:
            z = self.magnet
            self.magnet_x = Electromagnet(z.coil_constant, z.resistance, z.time_constant, z.remanence,
                                          z.saturation)
        return self.magnet_x

    def _magnets_settling(self) -> bool:
        return self.magnet.settling() or (self.magnet_x is not None and self.magnet_x.settling())

    def _advance_magnets(self, duration: float) -> None:
        """Step the magnets; with an x-axis one, the DUT's ``field_angle`` follows the field's direction (the
        line nearest the last angle, so that it turns continuously) in steps of :data:`ANGLE_STEP`."""
        self.magnet.advance(duration)
        if self.magnet_x is None:
            return
        self.magnet_x.advance(duration)
        bx, _, bz = self.field_vector
        if math.hypot(bx, bz) < ANGLE_MIN_FIELD:
            return
        last = self.dut.field_angle
        angle = math.atan2(bx, bz)
        angle += math.pi * round((last - angle) / math.pi)
        if abs(angle - last) >= ANGLE_STEP:
            self.dut.field_angle = angle

    @property
    def field_angle(self) -> float:
        """Angle (rad) of the applied field from the DUT's easy axis, in the plane of the easy axis and the write
        current (0: along the easy axis, π/2: in-plane, the hard axis); a rotation stage turns it."""
        return float(getattr(self.dut, "field_angle", 0.0))

    @field_angle.setter
    def field_angle(self, angle: float) -> None:
        if not hasattr(self.dut, "field_angle"):
            raise ValueError(f"the DUT model {type(self.dut).__name__} has no field-angle physics")
        self.dut.field_angle = float(angle)

    @property
    def bias(self) -> Bias:
        """The source-meter's bias (the DC port of the bias tee)."""
        return self._bias

    @property
    def effective_bias(self) -> Bias:
        """The bias the DUT sees: the DC source plus any pulse on the AC port (a voltage in series, unless the
        DUT routes pulses to a write path of its own); none from a source whose matrix rows the switch no longer
        routes to the DUT (:meth:`wire`)."""
        if not self._source_routed():
            return Bias.open_circuit()
        if self._pulse_voltage == 0.0 or not getattr(self.dut, "pulses_in_series", True):
            return self._bias
        dc = self._bias
        v_dc = dc.level if dc.mode == "V" else self.dut.operating_point(dc)[0]
        return Bias("V", v_dc + self._pulse_voltage)

    def wire(self, source: object, role: str) -> None:
        """``source`` (an instrument) fills ``role``: a DUT behind a switch matrix (an array) is driven by it
        through the matrix rows of that role. Sources never wired are the source-meter's (role "smu")."""
        self._roles[id(source)] = role

    def _role_of(self, source: object) -> str:
        return self._roles.get(id(source), "smu")

    def _source_routed(self) -> bool:
        """Whether the biasing source's rows are those the DUT presents (always, for a DUT without a matrix)."""
        bus = getattr(self.dut, "bus", None)
        return bus is None or self._bias_source is None or self._role_of(self._bias_source) == bus

    def apply_bias(self, source: object, bias: Bias) -> None:
        """Connect ``source`` (an instrument) to the DUT with ``bias``; one source drives it at a time (an array
        presents the cells the switch routes to that source's rows)."""
        self._bias_source = source
        self._bias = bias
        drive_from = getattr(self.dut, "drive_from", None)
        if drive_from is not None:
            drive_from(self._role_of(source))

    def release_bias(self, source: object) -> None:
        """Disconnect ``source`` (output off): the DUT is left open."""
        if self._bias_source is source:
            self._bias_source = None
            self._bias = Bias.open_circuit()

    def route(self, closed: set[str]) -> None:
        """The switch matrix changed: tell a DUT that is wired through it (an array) which crosspoints are closed."""
        connect = getattr(self.dut, "connect", None)
        if connect is not None:
            connect(closed)

    # ----------------------------------------------------------------- pulses
    def pulse_burst(self, trains: list[PulseTrain], period: float, count: int) -> None:
        """Run ``count`` periods of ``trains`` through the bias tee; every armed trigger listener takes its
        window once per period at its delay (e.g. a source-meter reading after the write pulse).

        A two-state DUT under a static field runs the whole burst in one exact Markov-chain pass
        (``run_timeline``) when every listener can take its readings in bulk; otherwise each step is simulated
        in turn."""
        if count < 1 or not period > 0:
            raise ValueError("a burst needs count >= 1 and period > 0")
        with self.lock:
            steps = period_timeline(trains, period, list(self.trigger_listeners))
            run_timeline = getattr(self.dut, "run_timeline", None)
            bulk = all(step.listener is None or step.listener.record is not None for step in steps)
            if run_timeline is not None and bulk and not self._magnets_settling():
                dc = self._bias
                v_dc = dc.level if dc.mode == "V" else self.dut.operating_point(dc)[0]
                fractions = run_timeline([(s.duration, s.voltage, s.listener is not None) for s in steps], count,
                                         dc, v_dc, self.field, self.rng)
                self.time += count * sum(s.duration for s in steps)
                self._advance_stage(count * sum(s.duration for s in steps))
                listeners = [s.listener for s in steps if s.listener is not None]
                for listener, fraction in zip(listeners, fractions, strict=True):
                    listener.record(fraction)
                return
            for _ in range(count):
                for step in steps:
                    if step.listener is not None:
                        step.listener.fire()
                    else:
                        self._pulse_for(step.voltage, step.duration)

    def _pulse_for(self, voltage: float, duration: float) -> None:
        if duration > 0:
            self._pulse_voltage = self.dut.ac_voltage = voltage
            try:
                self.advance(duration)
            finally:
                self._pulse_voltage = self.dut.ac_voltage = 0.0

    # ----------------------------------------------------------------- time
    def catch_up(self) -> None:
        """In real-time mode, advance the simulation to the wall clock."""
        if self.realtime:
            lag = (time.monotonic() - self._wall_origin) - self.time
            if lag > 0:
                self.advance(lag)

    def advance(self, duration: float) -> tuple[float, float]:
        """Let ``duration`` (s) pass under the present drive; return the DUT's time-averaged (V, I)."""
        if duration < 0:
            raise ValueError("duration must be >= 0")
        with self.lock:
            bias = self.effective_bias
            if duration == 0:
                return self.dut.advance(0.0, bias, self.field, self.rng)
            if not self._magnets_settling() and not self.stage.changing():  # the common case: one interval
                self.time += duration
                return self._with_rf(*self.dut.advance(duration, bias, self.field, self.rng))
            v_sum = i_sum = 0.0
            remaining = duration
            while remaining > 0:
                # While the magnet or the stage settles, step in fractions of its time constant so that the DUT
                # sees the ramp.
                step = min(remaining, self._settling_step())
                self._advance_magnets(step / 2)
                self._advance_stage(step / 2)
                v, i = self.dut.advance(step, bias, self.field, self.rng)
                self._advance_magnets(step / 2)
                self._advance_stage(step / 2)
                v_sum += v * step
                i_sum += i * step
                remaining -= step
            self.time += duration
            return self._with_rf(v_sum / duration, i_sum / duration)

    def _settling_step(self) -> float:
        """Longest step (s) that follows the magnet and the stage: a quarter of the time constant of each that is
        still changing."""
        magnet = self.magnet.time_constant / 4 if self._magnets_settling() else math.inf
        return min(magnet, self.stage.time_constant / 4 if self.stage.changing() else math.inf)

    def _advance_stage(self, duration: float) -> None:
        """Step the stage; a change of at least :data:`TEMPERATURE_STEP` is set on the DUT (which recomputes its
        physics at every change), the settled temperature always."""
        if not self.stage.changing():
            return
        self.stage.advance(duration)
        pushed = round(self.stage.temperature / TEMPERATURE_STEP) * TEMPERATURE_STEP
        if not self.stage.changing():
            pushed = self.stage.temperature
        if pushed != self._stage_pushed and hasattr(self.dut, "temperature"):
            self.dut.temperature = pushed
        self._stage_pushed = pushed

    def _with_rf(self, v: float, i: float) -> tuple[float, float]:
        """Add the DC voltage the DUT rectifies from the microwave drive (spin-torque diode effect)."""
        rectify = getattr(self.dut, "rectified_voltage", None)
        if rectify is None or not self.rf.on:
            return v, i
        return v + rectify(self.rf.frequency, self.field, self.rf.mean_power), i
