"""Newport ESP300-family motion controller with a rotation stage: PyMeasure's driver as the Rotator role.

The ESP's commands are two letters after an axis number and before their parameters (``1PA45``, ``1TP``,
``1MD?``), ``;``-separated on a line; errors wait in a buffer read with ``TB?`` (code, time stamp, text) — an axis
error's code is the axis number followed by two digits (``113``: axis 1, motor not enabled). From the ESP300 user's
manual, chapter 3 (command set) and its error-message appendix.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Callable

from pymeasure.instruments.newport import ESP300

from .errors import InstrumentError
from .safety import SafetyLimits
from .safety_gate import GateLimits, Rule, install

_COMMAND = re.compile(r"(\d*)([A-Za-z]{2})(\??)(.*)")  #: axis number, mnemonic, query mark, parameters
_DEGREE = 7  #: ``SN`` code of degrees
#: Commands the limited axis may not receive under angle limits: each moves or re-labels it beyond what the gate
#: can follow.
_UNFOLLOWED = {"OR": "a home search turns the stage through angles the gate cannot check",
               "MT": "a move to a travel limit ends where the gate cannot check",
               "MV": "a move without an end ends where the gate cannot check",
               "DH": "redefining the position moves the angles the limits are held on"}


def esp_units(axis: int) -> Callable[[str], list[tuple[str, str]]]:
    """A splitter of ESP messages for the safety gate, reading them as the ESP does (white space ignored): each
    ``;``-separated command as (mnemonic, parameters), the mnemonic suffixed with its axis number unless it is
    ``axis`` (so a rule's bare mnemonic speaks of that axis alone) and with ``?`` for a query (``TP`` is one, with or
    without it)."""

    def units(message: str) -> list[tuple[str, str]]:
        found = []
        for text in re.split(r"[;\r\n]", message):
            text = re.sub(r"\s+", "", text)
            if text.startswith("*"):  # a common command (*IDN?, *RST)
                found.append((text.upper(), ""))
                continue
            match = _COMMAND.fullmatch(text)
            if match is None:
                continue
            number, mnemonic, query, args = match.groups()
            mnemonic = mnemonic.upper()
            suffix = "" if number and int(number) == axis else number or "0"
            query = "?" if query or mnemonic == "TP" else ""
            found.append((mnemonic + suffix + query, args.strip()))
        return found

    return units


class NewportESP300(ESP300):
    """Fills the :class:`~mtjhw.instruments.roles.Rotator` role with the rotation stage on ``axis`` (1–3).

    On connect the axis is set to degrees and its motor enabled; angles at the role's interface are in rad. Every
    message passes a safety gate that holds the stage to the bench's ``min_angle`` … ``max_angle``: an absolute
    move (``PA``) on its value, a relative one (``PR``) on where it ends from the position last read at rest; under
    these limits the axis's unit stays degrees and home searches, moves without an end, position redefinitions and
    controller resets are refused. :meth:`arm_protection` sets the ESP's own travel limits to the bench's. Waits
    (for the stage to stop) use ``sleep`` by ``clock``: wall time unless the bench gives its own.
    """

    #: a bare mnemonic speaks of the driver's axis (:func:`esp_units`), ``RS#`` of the controller
    safety_rules = (Rule("PA", "angle_absolute"), Rule("PR", "angle_relative"), Rule("SL", "angle_limit"),
                    Rule("SR", "angle_limit"), Rule("TP", "angle_position"), Rule("MD", "angle_done"),
                    Rule("SN", "keyword", allowed=(str(_DEGREE),), reason="the angle limits are held in degrees"),
                    *(Rule(mnemonic, "refused", reason=reason) for mnemonic, reason in _UNFOLLOWED.items()),
                    Rule("RS#", "refused", reason="a controller reset counts the position from where the stage stands"))

    def __init__(self, adapter, name: str = "Newport ESP300 motion controller", axis: int = 1,
                 limits: SafetyLimits | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, **kwargs) -> None:
        if axis not in (1, 2, 3):
            raise ValueError(f"{name}: axis must be 1, 2 or 3 (got {axis!r})")
        kwargs.setdefault("read_termination", "\r\n")
        with warnings.catch_warnings():  # PyMeasure asks whether the ESP300 speaks SCPI: it does not
            warnings.filterwarnings("ignore", "It is not known whether this device support", FutureWarning)
            super().__init__(adapter, name, **kwargs)
        self.limits = limits or SafetyLimits()
        self.stage = {1: self.x, 2: self.y, 3: self.phi}[axis]
        self.clock, self.sleep = clock, sleep
        install(self, self.safety_rules, GateLimits(min_angle=math.degrees(self.limits.min_angle),
                                        max_angle=math.degrees(self.limits.max_angle)), units=esp_units(axis))
        self.stage.write(f"SN{_DEGREE}")
        self.stage.enable()
        self.raise_errors()
        if self.stage.motion_done:
            self.measure_angle()  # the gate learns where the stage rests

    def arm_protection(self) -> None:
        """The ESP's own software travel limits (``SL``, ``SR``) at the bench's angle limits, rounded inwards to
        1 µ°, so that they hold without this host: the ESP refuses a move beyond them (error x06/x07)."""
        low, high = (math.degrees(limit) for limit in (self.limits.min_angle, self.limits.max_angle))
        commands = [f"SL{math.ceil(low * 1e6) / 1e6:.6f}"] if math.isfinite(low) else []
        commands += [f"SR{math.floor(high * 1e6) / 1e6:.6f}"] if math.isfinite(high) else []
        for command in commands:
            self.stage.write(command)
        if commands:
            self.raise_errors()

    def set_clock(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        """The clock (s) and the wait by which :meth:`rotate_to` waits for the stage."""
        self.clock, self.sleep = clock, sleep

    def raise_errors(self) -> None:
        """Drain the error buffer (``TB?``); raise :class:`InstrumentError` with the ESP's own texts if it held any."""
        errors = []
        for _ in range(100):  # the buffer holds at most 10 entries: a bound against a reply that never reads 0
            code, _, text = (part.strip() for part in self.ask("TB?").split(",", 2))
            if int(code) == 0:
                break
            errors.append((int(code), text))
        if errors:
            raise InstrumentError(self.name, errors)

    def rotate_to(self, angle: float, timeout: float = 600.0, interval: float = 0.05) -> None:
        """Absolute move to ``angle`` (rad); returns once the stage has stopped (polling every ``interval`` s, at
        most ``timeout`` s, else ``TimeoutError``); raises :class:`InstrumentError` with the controller's error
        text if it refused the move or stopped on an error."""
        self.stage.write(f"PA{math.degrees(self.limits.angle(angle)):.6f}")
        self.raise_errors()
        start = self.clock()
        while not self.stage.motion_done:
            if self.clock() - start > timeout:
                self.stop()
                raise TimeoutError(f"{self.name}: axis {self.stage.axis} still moving after {timeout:g} s; stopped")
            self.sleep(interval)
        self.raise_errors()
        self.measure_angle()  # the gate learns where the stage rests

    def measure_angle(self) -> float:
        """Present angle of the stage (rad)."""
        return math.radians(float(self.stage.position))

    def stop(self) -> None:
        """Stop the axis (``ST``, decelerating); safe in any state."""
        self.stage.write("ST")
