"""Virtual Newport ESP300 motion controller with a rotation stage on each of its three axes.

Protocol (ESP300 user's manual, chapter 3): a command is ``[xx]CC[nn[,nn]]`` — the axis number, two letters, the
parameters — and one line may hold several, ``;``-separated; white space is ignored; ``?`` after the letters makes
a query (``TP``, tell position, needs none). Each reply is a line of its own. The ESP has no IEEE 488.2 status
model: errors wait in a buffer of ten, read oldest first with ``TE?`` (the code) or ``TB?`` (``code, time stamp,
text``; the time stamp here is the bench time in ms) and "0" / ``NO ERROR DETECTED`` when it is empty; a command in
error is not executed.
General errors are 1–41 (6: command does not exist, 7: parameter out of range, 9: axis number out of range,
37: axis number missing, 38: command parameter missing), an axis error is the axis number followed by two digits
(``113``: axis 1, motor not enabled; ``106``/``107``: beyond the positive/negative software limit; ``110``: maximum
velocity exceeded).

Motion: a move runs at the programmed velocity (``VA``, at most ``VU``) on the bench clock: it takes |Δ|/v of
simulated time (acceleration is not modelled) and ``MD?`` answers 0 until it is done. ``WS`` waits (the bench's
time passes) until the axis stops; ``ST`` and ``MF`` stop it where it is. Positions are in the unit ``SN`` sets
(degrees at power-on) from the origin ``DH`` defines; the motors are on at power-on, as the bench leaves them.
The stage on axis ``axis`` carries the sample: the field's angle from the DUT's easy axis is its mechanical angle
plus ``mount_offset`` (degrees), set as ``bench.field_angle`` at every message the twin handles (where the DUT has
field-angle physics; a DUT without it is turned to no effect).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from mtjhw.simulators.bench import VirtualBench

from .base import BenchInstrument

log = logging.getLogger(__name__)

#: ``SN`` codes of the angular units → degrees per unit (8: gradian).
UNITS = {7: 1.0, 8: 0.9, 9: 180.0 / math.pi, 10: 0.18 / math.pi, 11: 1.8e-4 / math.pi}
GENERAL_ERRORS = {6: "COMMAND DOES NOT EXIST", 7: "PARAMETER OUT OF RANGE", 9: "AXIS NUMBER OUT OF RANGE",
                  27: "COMMAND NOT ALLOWED", 37: "AXIS NUMBER MISSING", 38: "COMMAND PARAMETER MISSING"}
AXIS_ERRORS = {1: "PARAMETER OUT OF RANGE", 6: "POSITIVE SOFTWARE LIMIT DETECTED",
               7: "NEGATIVE SOFTWARE LIMIT DETECTED", 10: "MAXIMUM VELOCITY EXCEEDED", 13: "MOTOR NOT ENABLED"}
AXES = (1, 2, 3)
BUFFER = 10  #: errors the buffer holds; later ones are lost until it is read
_UNIT = re.compile(r"(\d*)([A-Za-z]{2})(\?)?(.*)")  #: a command once its white space is removed
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class EspError(Exception):
    """A command the ESP refuses: ``code`` goes into its error buffer."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(code)


@dataclass
class Stage:
    """Axis ``number``: a move from ``origin`` to ``target`` (mechanical degrees) begun at ``start`` (s) at
    ``speed`` (°/s); ``zero`` is the mechanical angle of position 0, ``velocity`` and ``max_velocity`` in °/s,
    ``left``/``right`` the software limits (degrees of position)."""

    number: int
    origin: float = 0.0
    target: float = 0.0
    start: float = 0.0
    speed: float = 1.0
    zero: float = 0.0
    home: float = 0.0  #: the last position ``DH`` defined (unit of the time)
    velocity: float = 20.0
    max_velocity: float = 40.0
    left: float = -3600.0
    right: float = 3600.0
    unit: int = 7
    motor: bool = True

    def angle(self, now: float) -> float:
        """Mechanical angle (degrees) at bench time ``now``."""
        travelled = self.speed * max(0.0, now - self.start)
        return self.target if travelled >= abs(self.target - self.origin) else \
            self.origin + math.copysign(travelled, self.target - self.origin)

    def done(self, now: float) -> bool:
        return self.angle(now) == self.target

    def remaining(self, now: float) -> float:
        """Seconds until the move is done."""
        return abs(self.target - self.angle(now)) / self.speed

    def move(self, target: float, now: float) -> None:
        """Start a move to mechanical angle ``target`` from where the stage is."""
        if not self.motor:
            raise self.error(13)
        position = target - self.zero
        if position > self.right:
            raise self.error(6)
        if position < self.left:
            raise self.error(7)
        self.origin, self.target, self.start, self.speed = self.angle(now), target, now, self.velocity

    def error(self, code: int) -> EspError:
        """Axis error ``code`` (two digits) of this axis."""
        return EspError(100 * self.number + code)

    def halt(self, now: float) -> None:
        self.origin = self.target = self.angle(now)

    def to_unit(self, degrees: float) -> float:
        return degrees / UNITS[self.unit]

    def from_unit(self, value: float) -> float:
        return value * UNITS[self.unit]


class ESP300(BenchInstrument):
    """Virtual ESP300 with a rotation stage on axes 1–3; the one on ``axis`` turns the sample in the field."""

    idn = ("Newport", "ESP300", "0", "3.08")
    reply_termination = "\r\n"

    def __init__(self, bench: VirtualBench, axis: int = 1, mount_offset: float = 0.0) -> None:
        if axis not in AXES:
            raise ValueError(f"esp300: axis must be 1, 2 or 3 (got {axis!r})")
        self.axis, self.mount_offset = axis, mount_offset
        super().__init__(bench)

    def reset(self) -> None:
        """Power-on state: settings to their defaults, the error buffer empty, each stage still where it stands (its
        position counted from there)."""
        super().reset()
        standing = {n: stage.angle(self.bench.time) for n, stage in getattr(self, "stages", {}).items()}
        self.stages = {n: Stage(n) for n in AXES}
        for n, angle in standing.items():
            stage = self.stages[n]
            stage.origin = stage.target = stage.zero = angle
        self.errors.clear()
        self._turn_sample()

    # ----------------------------------------------------------------- messages
    def handle(self, message: str) -> str | None:
        """Execute one line; the replies, one a line (None when there are none)."""
        with self.bench.lock:
            self.bench.catch_up()
            replies = []
            for unit in re.split(r"[;\r\n]", message):
                unit = re.sub(r"\s+", "", unit)
                if unit:
                    try:
                        reply = self._execute(unit)
                    except EspError as err:
                        self._push(err.code)
                        continue
                    except Exception:  # a bug in the twin must not take the server down
                        log.exception("virtual ESP300 failed on %r", unit)
                        self._push(27)
                        continue
                    if reply is not None:
                        replies.append(reply)
            self._turn_sample()
            return "\r\n".join(replies) or None

    def _push(self, code: int) -> None:
        """Into the error buffer: (code, "time stamp, text")."""
        if len(self.errors) < BUFFER:
            self.errors.push(code, f"{self.bench.time * 1e3:.0f}, {self.error_text(code)}")

    @staticmethod
    def error_text(code: int) -> str:
        """The ESP's text of error ``code``."""
        if code > 100:
            return f"AXIS-{code // 100} {AXIS_ERRORS[code % 100]}"
        return GENERAL_ERRORS[code]

    def _execute(self, unit: str) -> str | None:
        if unit.upper() == "*IDN?":
            return self._version("")
        if unit.upper() == "*RST":
            self.reset()
            return None
        match = _UNIT.fullmatch(unit)
        if match is None:
            raise EspError(6)
        number, mnemonic, query, args = match.groups()
        name = mnemonic.upper() + ("?" if query else "")
        if name in _CONTROLLER:
            return _CONTROLLER[name](self, args)
        if name not in _AXIS:
            raise EspError(6)
        if not number:
            if name == "ST":
                for stage in self.stages.values():
                    stage.halt(self.bench.time)
                return None
            raise EspError(37)
        if int(number) not in AXES:
            raise EspError(9)
        return _AXIS[name](self, int(number), args)

    # ----------------------------------------------------------------- physics
    def _turn_sample(self) -> None:
        """The field's angle follows the sample stage."""
        if hasattr(self.bench.dut, "field_angle"):
            angle = self.stages[self.axis].angle(self.bench.time)
            self.bench.field_angle = math.radians(angle + self.mount_offset)

    def _position(self, axis: int) -> str:
        stage = self.stages[axis]
        return f"{stage.to_unit(stage.angle(self.bench.time) - stage.zero):.5f}"

    # ----------------------------------------------------------------- axis commands
    def _pa(self, axis: int, args: str) -> None:
        stage = self.stages[axis]
        stage.move(stage.from_unit(_number(args)) + stage.zero, self.bench.time)

    def _pr(self, axis: int, args: str) -> None:
        stage = self.stages[axis]
        stage.move(stage.target + stage.from_unit(_number(args)), self.bench.time)

    def _target(self, axis: int, args: str) -> str:
        stage = self.stages[axis]
        return f"{stage.to_unit(stage.target - stage.zero):.5f}"

    def _motion_done(self, axis: int, args: str) -> str:
        return "1" if self.stages[axis].done(self.bench.time) else "0"

    def _motor(self, axis: int, on: bool) -> None:
        stage = self.stages[axis]
        if not on:
            stage.halt(self.bench.time)
        stage.motor = on

    def _velocity(self, axis: int, args: str) -> None:
        stage, value = self.stages[axis], self.stages[axis].from_unit(_number(args))
        if value <= 0:
            raise self.stages[axis].error(1)
        if value > stage.max_velocity:
            raise self.stages[axis].error(10)
        stage.velocity = value

    def _max_velocity(self, axis: int, args: str) -> None:
        stage, value = self.stages[axis], self.stages[axis].from_unit(_number(args))
        if value <= 0:
            raise self.stages[axis].error(1)
        stage.max_velocity, stage.velocity = value, min(stage.velocity, value)

    def _units(self, axis: int, args: str) -> None:
        code = _number(args)
        if code not in UNITS:
            raise self.stages[axis].error(1)
        self.stages[axis].unit = int(code)

    def _limit(self, axis: int, args: str, side: str) -> None:
        stage = self.stages[axis]
        setattr(stage, side, stage.from_unit(_number(args)))

    def _define_home(self, axis: int, args: str) -> None:
        stage, now = self.stages[axis], self.bench.time
        value = _number(args) if args else 0.0
        stage.halt(now)
        stage.zero, stage.home = stage.angle(now) - stage.from_unit(value), value

    def _home_search(self, axis: int, args: str) -> None:
        """``OR``: to the home switch at mechanical 0, which is then position 0."""
        if args and _number(args) not in range(7):
            raise EspError(7)
        stage = self.stages[axis]
        stage.zero = 0.0
        stage.move(0.0, self.bench.time)

    def _wait_for_stop(self, axis: int, args: str) -> None:
        """``WS``: the bench's time passes until the axis has stopped, then ``args`` ms more."""
        delay = _number(args) / 1e3 if args else 0.0
        if delay < 0:
            raise EspError(7)
        self.bench.advance(self.stages[axis].remaining(self.bench.time) + delay)

    # ----------------------------------------------------------------- controller commands
    def _error_code(self, args: str) -> str:
        return str(self.errors.pop()[0])

    def _error_message(self, args: str) -> str:
        if not len(self.errors):
            return f"0, {self.bench.time * 1e3:.0f}, NO ERROR DETECTED"
        code, text = self.errors.pop()
        return f"{code}, {text}"

    def _version(self, args: str) -> str:
        return f"{self.idn[1]} Version {self.idn[3]} 09/09/02"

    def _controller_reset(self, args: str) -> None:
        self.reset()


def _number(args: str) -> float:
    """The one numeric parameter of a command."""
    if not args:
        raise EspError(38)
    if not _NUMBER.fullmatch(args):
        raise EspError(7)
    return float(args)


def _reading(unit_of: str) -> Callable[[ESP300, int, str], str]:
    """A query answering one of a stage's settings in the present unit (``unit_of``: the attribute, degrees)."""
    def query(self: ESP300, axis: int, args: str) -> str:
        stage = self.stages[axis]
        return f"{stage.to_unit(getattr(stage, unit_of)):.5f}"
    return query


_AXIS = {
    "PA": ESP300._pa, "PR": ESP300._pr, "PA?": ESP300._target, "PR?": ESP300._target, "DP?": ESP300._target,
    "TP": lambda self, axis, args: self._position(axis), "TP?": lambda self, axis, args: self._position(axis),
    "MD?": ESP300._motion_done,
    "MO": lambda self, axis, args: self._motor(axis, True), "MF": lambda self, axis, args: self._motor(axis, False),
    "MO?": lambda self, axis, args: "1" if self.stages[axis].motor else "0",
    "ST": lambda self, axis, args: self.stages[axis].halt(self.bench.time),
    "VA": ESP300._velocity, "VA?": _reading("velocity"), "VU": ESP300._max_velocity, "VU?": _reading("max_velocity"),
    "SN": ESP300._units, "SN?": lambda self, axis, args: str(self.stages[axis].unit),
    "SL": lambda self, axis, args: self._limit(axis, args, "left"), "SL?": _reading("left"),
    "SR": lambda self, axis, args: self._limit(axis, args, "right"), "SR?": _reading("right"),
    "DH": ESP300._define_home, "DH?": lambda self, axis, args: f"{self.stages[axis].home:.5f}",
    "OR": ESP300._home_search, "WS": ESP300._wait_for_stop,
}
_CONTROLLER = {"TE?": ESP300._error_code, "TB?": ESP300._error_message, "VE?": ESP300._version,
               "RS": ESP300._controller_reset}
