"""One safety gate in front of a driver's adapter: every outgoing message is checked against the bench limits.

A driver declares :class:`Rule` s once, in the manual's SCPI notation (``[:SOURce[1]]:VOLTage[:LEVel]``: upper
case is the short form, ``[...]`` an optional node, ``#``, ``<n>`` or ``[1]`` after a name a numeric suffix;
``*RCL`` a common command). :class:`SafetyGate` wraps the adapter, so PyMeasure properties, channel objects, role
methods and raw ``write()`` all pass it: each message is split into its program units (SCPI's ``;``-separated
ones by default, the SR830's with :func:`sr830_units`), each header matched against the rules, its values parsed
(SI-prefixed units, keywords refused for limited quantities) and checked. A unit beyond a limit raises
:class:`~mtjhw.instruments.safety.SafetyLimitError` before anything is sent.

The gate follows the state that gives a value its meaning, from the instrument's power-on defaults (which a
driver's ``arm_protection`` makes true): pulse levels and loads, the magnet set point and when it last changed
(set points closer in time than the field ramp rate allows are delayed), an RF source's power offset, reference
and AM (the peak output is what is checked); ``*RST`` and presets return it to the defaults. An instrument may
refuse a unit (out of its range, or after an error earlier in the message), so an RF setting sent counts as the
worse of the old and the new value until a reply to its query tells the gate which: the CW power is known only
from such a reply, and nothing that raises the output over it (AM on, a lower offset) passes before one. A rotation
stage's position is followed the same way: as the range it may stop in, a point once read at rest.
"""

from __future__ import annotations

import copy
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .safety import SafetyLimitError, SafetyLimits

_NODE = re.compile(r"(\[)?:?([A-Za-z]+)(#|<n>|\[\d+\]|\[<n>\])?")
_UNIT = re.compile(r"(\S+)\s*(.*)", re.DOTALL)  # header, then any white space, then the arguments
_HEADER_NODE = re.compile(r"([A-Za-z]+)(\d*)$")
_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$")
_SCPI_HEADER = re.compile(r"[A-Za-z0-9:*?]+")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_SR830_UNIT = re.compile(r"(\*?[A-Z]{3,4})(\?)?(.*)")  # the SR830's mnemonic, query mark and arguments
_PREFIX = {"": 1.0, "P": 1e-12, "N": 1e-9, "U": 1e-6, "M": 1e-3, "K": 1e3, "MA": 1e6, "G": 1e9}
_HIGH_Z = 1e37  # Ω: a load at or above this is high impedance
_EPS = 1e-5  # relative tolerance of the comparisons: drivers format with %g (6 significant digits)
#: the Keithley 2450's overvoltage protection levels (V), ``:SOURce:VOLTage:PROTection PROT<n>``
OVP_LEVELS = (2, 5, 10, 20, 40, 60, 80, 100, 120, 140, 160, 180)

#: What each kind of rule limits, and the unit its values are written in.
KINDS = {"voltage": "V", "current": "A", "rf_level": "DBM", "rf_power": "DBM", "rf_ceiling": "DBM", "rf_offset": "DB",
         "rf_reference": "DBM", "rf_reference_state": "", "am_depth": "PCT", "am_state": "",
         "magnet_current": "A", "magnet_output": "", "high": "V", "low": "V", "amplitude": "V", "offset": "V",
         "load": "OHM", "level_unit": "", "apply": "V", "apply_dc": "V", "unfollowed": "", "keyword": "",
         "ovp": "", "refused": "", "reset": "", "temperature": "K", "angle_absolute": "", "angle_relative": "",
         "angle_limit": "", "angle_position": "", "angle_done": ""}
_LEVEL_KINDS = ("high", "low", "amplitude", "offset", "load", "level_unit", "apply", "apply_dc", "unfollowed")
_RF_KINDS = ("rf_level", "rf_power", "rf_offset", "rf_reference", "rf_reference_state", "am_depth", "am_state")
#: a rotation stage's moves (absolute, relative), its own travel limits, the queries of its position and of the end
#: of its motion
_ANGLE_KINDS = ("angle_absolute", "angle_relative", "angle_limit", "angle_position", "angle_done")
#: kinds whose query reply the gate learns from
_LEARNED = ("magnet_current", *_RF_KINDS, "angle_position", "angle_done")
_SETTING_KINDS = ("keyword", "ovp", "refused")


@dataclass(frozen=True)
class _Node:
    short: str
    long: str
    optional: bool
    suffix: bool

    def accepts(self, name: str, suffix: str) -> bool:
        return name.upper() in (self.short, self.long) and (not suffix or self.suffix)


def parse_pattern(pattern: str) -> tuple[_Node, ...]:
    """The nodes of a header in SCPI manual notation."""
    nodes = []
    for opening, name, suffix in _NODE.findall(pattern):
        short = "".join(c for c in name if c.isupper())
        nodes.append(_Node(short, name.upper(), bool(opening), bool(suffix)))
    return tuple(nodes)


def _matches(pattern: tuple[_Node, ...], header: tuple[tuple[str, str], ...]) -> bool:
    if not pattern:
        return not header
    node, rest = pattern[0], pattern[1:]
    if header and node.accepts(*header[0]) and _matches(rest, header[1:]):
        return True
    return node.optional and _matches(rest, header)


@dataclass(frozen=True)
class Rule:
    """Header ``pattern`` (manual notation) whose values are limited as ``kind`` (a key of :data:`KINDS`);
    values below ``floor`` are raised to it by the instrument (a compliance minimum), so they count as ``floor``."""

    pattern: str
    kind: str
    floor: float = 0.0
    count: int | None = None  #: only the first ``count`` arguments are levels (e.g. a sweep's start, stop)
    skip: int = 0  #: the first ``skip`` arguments address what is set (a loop, an input): not levels
    #: what the instrument accepts (a load in Ω): the gate refuses the rest too, so as to keep following it
    bounds: tuple[float, float] = (-math.inf, math.inf)
    scale: float = 1.0  #: a value counts as value × scale (a sine's rms amplitude, for its peak: √2)
    step: float = 0.0  #: the instrument rounds values to multiples of ``step``; a tie counts rounded up
    preset: float | None = None  #: the value a ``*RST`` rule's reset sets (checked unless the driver re-arms)
    allowed: tuple[str, ...] = ()  #: a ``keyword`` rule's accepted arguments (upper case)
    reason: str = ""  #: why a ``refused`` or ``keyword`` rule refuses, for the error message
    #: an ``ovp`` rule taking volts: the instrument's protection levels (V), a value selecting the highest level at
    #: or below it (the lowest at least), none above the last; empty: the 2450's ``PROT<n>`` keywords
    levels: tuple[float, ...] = ()
    nodes: tuple[_Node, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}; known: {', '.join(KINDS)}")
        object.__setattr__(self, "nodes", parse_pattern(self.pattern))


@dataclass
class _Channel:
    """Pulse levels of one output as the gate has seen them: high/low (V at a high-impedance DUT), load (Ω)."""

    high: float
    low: float
    load: float

    @property
    def scale(self) -> float:
        """Voltage at a high-impedance DUT per programmed volt: (R + 50 Ω)/R."""
        return _scale(self.load)


@dataclass
class _RF:
    """An RF source's settings that turn a set value (dBm) into its peak output, each the worst the instrument
    may have: the offset (dB, displayed minus output), the reference (dBm, added while on), each AM path's
    (depth 0–1, on) — a depth the gate has not seen counts as 100 % — and the highest power set point (dBm) by
    rule pattern (the CW level only once read back)."""

    offset: float = 0.0
    reference: float = 0.0
    reference_on: bool = False
    am: dict[int, list] = field(default_factory=dict)
    powers: dict[str, float] = field(default_factory=dict)

    def gain(self) -> float:
        """dB from a set value to the peak output: reference − offset, plus 20·log10(1 + m) with AM of depth m."""
        depth = sum(depth for depth, on in self.am.values() if on)
        return (self.reference if self.reference_on else 0.0) - self.offset + 20.0 * math.log10(1.0 + depth)


@dataclass
class _State:
    """What the gate follows: pulse channels, the magnet set point (A), the RF settings, and the range a rotation
    stage may stop in (its unit; None until read at rest) with whether it was last read as stopped."""

    channels: dict[int, _Channel] = field(default_factory=dict)
    magnet: float = 0.0
    rf: _RF = field(default_factory=_RF)
    angle: tuple[float, float] | None = None
    stopped: bool = False


@dataclass
class _Message:
    """What one message does besides its values: the largest magnet change (A), its number of set points,
    whether it resets the instrument, and the (rule, header) of its last query when the gate learns from it."""

    ramp: float = 0.0
    setpoints: int = 0
    reset: bool = False
    pending: tuple[Rule, str] | None = None


def split_units(message: str) -> list[tuple[str, str]]:
    """(absolute header, argument text) of each ``;``-separated program unit, resolving SCPI's relative paths."""
    units, path = [], ""
    for text in _split(message, ";"):
        text = text.strip()
        if not text:
            continue
        header, args = _UNIT.match(text).groups()
        if header.startswith("*"):
            units.append((header, args))
            continue
        if header.startswith(":"):
            header = header[1:]
        elif path:
            header = f"{path}:{header}"
        path = header.rpartition(":")[0]
        units.append((header, args.strip()))
    return units


def sr830_units(message: str) -> list[tuple[str, str]]:
    """The SR830's units, as it reads them: split at ``;`` and line ends, white space anywhere removed, a 3–4
    letter mnemonic (``*`` for common commands), ``?`` for a query, then the arguments (``SLVL0.1``)."""
    units = []
    for text in re.split(r"[;\r\n]", message):
        match = _SR830_UNIT.fullmatch(re.sub(r"\s+", "", text).upper())
        if match:
            units.append((match.group(1) + (match.group(2) or ""), match.group(3)))
    return units


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside quotes."""
    parts, current, quote = [], [], ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == separator:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def parse_value(token: str, unit: str, header: str) -> float:
    """The number in ``token`` in ``unit`` (SI prefixes accepted; ``DBM`` for dBm, ``W`` then converted to dBm);
    keywords (MIN, MAX, DEF, INF, NAN, UP, DOWN) and other units are refused for a limited quantity."""
    match = _NUMBER.match(token.strip())
    if not match:
        raise SafetyLimitError(f"{header} {token.strip()!r}: only a number can be checked against the bench limit")
    value, suffix = float(match.group(1)), match.group(2).upper()
    if unit == "DBM" and suffix.endswith("W") and suffix[:-1] in _PREFIX and suffix != "DBW":
        watts = value * _PREFIX[suffix[:-1]]
        return 10.0 * math.log10(watts / 1e-3) if watts > 0 else -math.inf
    if suffix in ("MHZ", "MOHM"):
        suffix = "MA" + suffix[1:]
    if suffix in ("", unit):
        return value
    if unit and suffix.endswith(unit) and suffix[:-len(unit)] in _PREFIX:
        return value * _PREFIX[suffix[:-len(unit)]]
    raise SafetyLimitError(f"{header} {token.strip()!r}: unit {suffix!r} is not {unit}")


def _boolean(token: str, header: str) -> bool:
    """ON/1 or OFF/0; anything else cannot be followed, so it is refused."""
    text = token.strip().upper()
    if text not in ("ON", "1", "OFF", "0"):
        raise SafetyLimitError(f"{header} {token.strip()!r}: only ON, OFF, 1 or 0 can be followed by the gate")
    return text in ("ON", "1")


def ovp_level(max_voltage: float, levels: tuple[float, ...] = OVP_LEVELS) -> int | None:
    """The smallest overvoltage protection level (V) of ``levels`` (default: the 2450's) at or above
    ``max_voltage``; None above the highest."""
    return next((level for level in levels if level >= max_voltage * (1 - _EPS)), None)


def _is_scpi(header: str, args: str) -> bool:
    """Whether a unit reads as SCPI: a header of mnemonics, and no assignment or indexing (TSP's Lua) after it."""
    plain = _QUOTED.sub("", args).strip()
    return bool(_SCPI_HEADER.fullmatch(header)) and "=" not in plain and not plain.startswith((".", "[", "("))


@dataclass
class GateLimits:
    """What the gate refuses beyond: DUT ``voltage`` V, ``current`` A, ``rf_power`` W, the magnet supply's
    ``magnet_current`` A, its largest single step ``magnet_step`` A and its ramp rate ``magnet_rate`` A/s, a
    temperature controller's set point ``temperature`` K, and a rotation stage's angle ``min_angle`` …
    ``max_angle`` (in the stage's unit). ``inf`` imposes nothing."""

    voltage: float = math.inf
    current: float = math.inf
    rf_power: float = math.inf
    magnet_current: float = math.inf
    magnet_step: float = math.inf
    magnet_rate: float = math.inf
    temperature: float = math.inf
    min_angle: float = -math.inf
    max_angle: float = math.inf

    @classmethod
    def from_safety(cls, limits: SafetyLimits) -> GateLimits:
        return cls(limits.max_voltage, limits.max_current, limits.max_rf_power)

    @property
    def active(self) -> bool:
        """Whether any limit is set (settings the gate cannot follow are refused then)."""
        return any(math.isfinite(value) for value in vars(self).values())


class SafetyGate:
    """Stands in for a PyMeasure adapter; refuses any message whose program units exceed ``limits``.

    ``levels`` gives each pulse output's power-on (high V, low V, load Ω) as programmed; ``units`` splits a
    message as the instrument does; ``scpi_only`` refuses units that are not SCPI (a TSP instrument's Lua) under
    a limit. The gate follows the state its messages set (and ``*RST``), and learns the magnet set point from
    replies to its queries; magnet set points wait ``clock``/``sleep`` time for the ramp rate; ``after_reset``
    runs after a reset has been sent (a driver re-arms its instrument's protection). Anything else is delegated
    to the wrapped adapter."""

    def __init__(self, adapter: Any, rules: tuple[Rule, ...], limits: GateLimits,
                 levels: tuple[float, float, float] = (0.0, 0.0, _HIGH_Z), *,
                 units: Callable[[str], list[tuple[str, str]]] = split_units, scpi_only: bool = False) -> None:
        self.adapter = adapter
        self.rules = rules
        self.limits = limits
        self.units = units
        self.scpi_only = scpi_only
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], None] = time.sleep
        self.after_reset: Callable[[], None] | None = None
        self._defaults = levels
        self._state = _State()
        self._last_change = -math.inf  #: clock time of the last magnet change sent
        self._pending_query: tuple[Rule, str] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)

    @property
    def magnet_current(self) -> float:
        """A, the last set point sent or read back."""
        return self._state.magnet

    # ----------------------------------------------------------------- the adapter interface
    def write(self, command: str, **kwargs: Any) -> None:
        self._send(command, lambda: self.adapter.write(command, **kwargs))

    def write_bytes(self, content: bytes, **kwargs: Any) -> None:
        self._send(content.decode("ascii", errors="replace"), lambda: self.adapter.write_bytes(content, **kwargs))

    def write_binary_values(self, command: str, values: Any, *args: Any, **kwargs: Any) -> None:
        self._send(command, lambda: self.adapter.write_binary_values(command, values, *args, **kwargs))

    def read(self, **kwargs: Any) -> str:
        reply = self.adapter.read(**kwargs)
        if self._pending_query is not None:
            (rule, header), self._pending_query = self._pending_query, None
            try:
                self._learn(rule, header, [float(v) for v in reply.strip().split(";")[-1].split(",")])
            except ValueError:
                pass
        return reply

    def _learn(self, rule: Rule, header: str, values: list[float]) -> None:
        """What a reply to a query of ``rule``'s header says the instrument has (powers in dBm)."""
        state, rf, kind = self._state, self._state.rf, rule.kind
        if kind == "magnet_current":
            state.magnet = values[0]
        elif kind == "angle_done":
            state.stopped = values[0] == 1
        elif kind == "angle_position":
            if state.stopped:
                state.angle = (values[0], values[0])
        elif kind in ("rf_level", "rf_power"):
            rf.powers[rule.pattern] = max(values)
        elif kind == "rf_offset":
            rf.offset = values[0]
        elif kind == "rf_reference":
            rf.reference = values[0]
        elif kind == "rf_reference_state":
            rf.reference_on = values[0] != 0
        elif kind == "am_depth":
            rf.am.setdefault(_node_suffix(header, "AM"), [1.0, False])[0] = values[0] / 100.0
        else:
            rf.am.setdefault(_node_suffix(header, "AM"), [1.0, False])[1] = values[0] != 0

    def _send(self, message: str, send: Callable[[], None]) -> None:
        """Check ``message``, wait for the ramp rate, send it, then keep the state it sets."""
        state, note = self._admit(message)
        self._wait_for_ramp(note.ramp)
        send()
        self._state, self._pending_query = state, note.pending
        if note.ramp > 0:
            self._last_change = self.clock()
        if note.reset and self.after_reset is not None:
            self.after_reset()

    def _wait_for_ramp(self, change: float) -> None:
        """Sleep until a magnet change of ``change`` A, counted from the last one, is no faster than the rate."""
        rate = self.limits.magnet_rate
        if change <= 0 or not math.isfinite(rate):
            return
        wait = change / rate - (self.clock() - self._last_change)
        if wait > _EPS * change / rate:
            self.sleep(wait)

    # ----------------------------------------------------------------- checking
    def rule_for(self, header: str) -> Rule | None:
        """The rule whose pattern ``header`` (absolute, without ``?``) matches, if any."""
        if header.startswith("*"):
            return next((rule for rule in self.rules if rule.pattern.upper() == header.upper()), None)
        nodes = []
        for part in header.split(":"):
            match = _HEADER_NODE.match(part)
            if not match:
                return None
            nodes.append((match.group(1), match.group(2)))
        return next((rule for rule in self.rules
                     if not rule.pattern.startswith("*") and _matches(rule.nodes, tuple(nodes))), None)

    def _admit(self, message: str) -> tuple[_State, _Message]:
        """Check every unit of ``message`` on a copy of the gate's state: the state it would leave, and what the
        message does besides (nothing is kept unless all units pass and it is sent)."""
        state, note = copy.deepcopy(self._state), _Message()
        for header, args in self.units(message):
            if self.scpi_only and self.limits.active and not _is_scpi(header, args):
                raise SafetyLimitError(f"{(header + ' ' + args).strip()[:60]!r}: not an SCPI command (TSP?); "
                                       "the gate checks SCPI only, so it is refused under the bench limits")
            rule = self.rule_for(header.rstrip("?"))
            if header.endswith("?"):
                note.pending = (rule, header) if rule is not None and rule.kind in _LEARNED else None
                continue
            note.pending = None  # a reply tells the state before this unit, not after it
            if header.upper() == "*RST" or (rule is not None and rule.kind == "reset"):
                self._reset(header, state, note)
            elif rule is not None:
                if note.reset and self.after_reset is not None:
                    raise SafetyLimitError(f"{header}: after a reset in the same message, before the instrument's "
                                           "protection is re-armed; send the reset on its own, nothing was sent")
                self._check(rule, header, args, state, note)
        return state, note

    def _reset(self, header: str, state: _State, note: _Message) -> None:
        """A reset steps the magnet to 0 and returns the gate's state to the defaults (RF settings to the worse of
        the defaults and what they were: the reset may not run after an error earlier in its message). Refused
        when the magnet step is beyond a ramp step, or when the defaults (the ``*RST`` rules' presets, the power-on
        pulse levels) are beyond the limits, unless a driver re-arms the instrument right after (``after_reset``:
        its outputs are off in between). Refused under angle limits: a rotation stage then counts its position from
        where it stands, which the limits cannot follow."""
        if any(rule.kind in _ANGLE_KINDS for rule in self.rules) and \
                (math.isfinite(self.limits.min_angle) or math.isfinite(self.limits.max_angle)):
            raise SafetyLimitError(f"{header}: a reset counts the stage's position from where it stands, which the "
                                   "angle limits cannot follow; refused under them, nothing was sent")
        self._refuse_magnet_jump(header, state.magnet)
        note.ramp, note.reset = max(note.ramp, abs(state.magnet)), True
        state.channels, state.magnet = {}, 0.0
        state.rf.offset, state.rf.reference = min(state.rf.offset, 0.0), max(state.rf.reference, 0.0)  # the worse
        if self.after_reset is not None:
            return
        for rule in self.rules:
            if rule.pattern.upper() == header.upper() and rule.preset is not None:
                self._check_values(rule, header, "")
        if any(rule.kind in _LEVEL_KINDS for rule in self.rules) and math.isfinite(self.limits.voltage):
            for level in self._defaults[:2]:
                level *= _scale(self._defaults[2])
                _refuse_above(header, abs(level), self.limits.voltage, "V", f"the power-on level {level:g} V "
                              "at the DUT (arm the instrument's protection to allow a reset)")

    def _check(self, rule: Rule, header: str, args: str, state: _State, note: _Message) -> None:
        """Refuse ``args`` of ``header`` beyond the limits; update ``state`` and ``note``."""
        kind = rule.kind
        if kind in _LEVEL_KINDS:
            if math.isfinite(self.limits.voltage):
                self._check_level(rule, header, args, state.channels)
        elif kind == "magnet_current":
            state.magnet = self._check_magnet(header, args, note)
        elif kind == "magnet_output":
            self._refuse_magnet_jump(header, state.magnet)
            note.ramp = max(note.ramp, abs(state.magnet))
        elif kind in _RF_KINDS:
            if math.isfinite(self.limits.rf_power):
                self._check_rf(rule, header, args, state.rf)
        elif kind in _SETTING_KINDS:
            if self.limits.active:
                self._check_setting(rule, header, args)
        elif kind in _ANGLE_KINDS:
            self._check_angle(rule, header, args, state)
        else:
            self._check_values(rule, header, args)

    def _check_angle(self, rule: Rule, header: str, args: str, state: _State) -> None:
        """A move ends at its value (absolute) or at the followed range shifted by it (relative): refused unless
        that lies within the angle limits (a relative one also before the position was read at rest); the range
        then spans where the stage may stop, as a move can be stopped or refused on its way. The stage's own
        travel limits (``angle_limit``) may not lie beyond the bench's."""
        state.stopped = state.stopped and rule.kind == "angle_limit"
        low, high = self.limits.min_angle, self.limits.max_angle
        if not (math.isfinite(low) or math.isfinite(high)):
            return
        value = parse_value(args, "", header)
        if rule.kind == "angle_relative":
            if state.angle is None:
                raise SafetyLimitError(f"{header} {args.strip()}: a relative move from a position the gate has not "
                                       "read at rest; read the position once the stage stopped, nothing was sent")
            ends = (state.angle[0] + value, state.angle[1] + value)
        else:
            ends = (value, value)
        tolerance = _EPS * max([1.0] + [abs(limit) for limit in (low, high) if math.isfinite(limit)])
        what = "a travel limit" if rule.kind == "angle_limit" else "a move ending"
        for end in ends:
            if not low - tolerance <= end <= high + tolerance:
                raise SafetyLimitError(f"{header} {args.strip()}: {what} at {end:g}, outside the bench limits "
                                       f"{low:g} … {high:g} (the stage's unit); nothing was sent")
        if state.angle is not None and rule.kind != "angle_limit":
            state.angle = (min(state.angle[0], *ends), max(state.angle[1], *ends))

    def _check_values(self, rule: Rule, header: str, args: str) -> None:
        """Voltages, currents and RF ceilings: each value (or the rule's preset), rounded and scaled."""
        kind, unit = rule.kind, KINDS[rule.kind]
        limit = self.limits.rf_power if kind == "rf_ceiling" else getattr(self.limits, kind)
        if not math.isfinite(limit):
            return
        tokens = [f"{rule.preset!r}"] if rule.preset is not None else _split(args, ",")[rule.skip:][:rule.count]
        for token in tokens:
            value = parse_value(token, unit, header)
            if not rule.bounds[0] <= value <= rule.bounds[1]:
                why = rule.reason or "outside what the instrument accepts"
                raise SafetyLimitError(f"{header} {token.strip()}: {why}; refused under the bench limits, nothing was "
                                       "sent")
            if kind == "rf_ceiling":
                _refuse_above(header, 1e-3 * 10.0 ** (value / 10.0), limit, "W", f"{value:g} dBm")
                continue
            magnitude = max(_rounded(value, rule.step) * rule.scale, rule.floor)
            what = f"{value:g} {unit}" + (f" (a peak of {magnitude:.4g} {unit})" if rule.scale != 1.0 else "") + \
                ("; the value it resets to" if rule.preset is not None else "")
            _refuse_above(header, magnitude, limit, unit, what)

    def _check_setting(self, rule: Rule, header: str, args: str) -> None:
        """Settings the gate refuses under any limit: recalls, other languages or units, a weaker protection."""
        token = (args if not rule.skip else _argument(args, rule.skip)).strip().strip("'\"").upper()
        if rule.kind == "refused":
            raise SafetyLimitError(f"{header}: {rule.reason or 'not followed by the gate'}; refused under the bench "
                                   "limits, nothing was sent")
        if rule.kind == "keyword" and token not in rule.allowed:
            raise SafetyLimitError(f"{header} {args.strip()}: {rule.reason or 'not followed by the gate'}; only "
                                   f"{' or '.join(rule.allowed)} under the bench limits, nothing was sent")
        if rule.kind == "ovp" and rule.levels and math.isfinite(self.limits.voltage):
            self._check_ovp_volts(rule, header, args)
        elif rule.kind == "ovp" and math.isfinite(self.limits.voltage):
            level = ovp_level(self.limits.voltage)
            match = re.fullmatch(r"PROT(\d+)", token)
            if level is not None and not (match and int(match.group(1)) <= level):
                raise SafetyLimitError(f"{header} {args.strip()}: overvoltage protection above PROT{level}, the "
                                       f"level for the bench limit of {self.limits.voltage:g} V; nothing was sent")

    def _check_ovp_volts(self, rule: Rule, header: str, args: str) -> None:
        """A protection given in volts: refused when the level it selects is above the bench limit's."""
        level = ovp_level(self.limits.voltage, rule.levels)
        if level is None:
            return
        value = abs(parse_value(args, "V", header))
        selected = math.inf if value > rule.levels[-1] * (1 + _EPS) else \
            max([rule.levels[0], *(x for x in rule.levels if x <= value * (1 + _EPS))])
        if selected > level:
            raise SafetyLimitError(f"{header} {args.strip()}: overvoltage protection above {level:g} V, the level "
                                   f"for the bench limit of {self.limits.voltage:g} V; nothing was sent")

    def _check_rf(self, rule: Rule, header: str, args: str, rf: _RF) -> None:
        """Update the RF settings to the worse of old and new (the instrument may not take the new), then refuse
        any set point whose peak output exceeds the limit, and a raised output over an unread CW power."""
        before, kind = rf.gain(), rule.kind
        if kind in ("rf_level", "rf_power"):
            points = [parse_value(t, "DBM", header) for t in _split(args, ",")[:rule.count]]
            for point in points:
                self._refuse_peak(header, point, before)
            if rule.pattern in rf.powers or kind == "rf_power":
                rf.powers[rule.pattern] = max(points + [rf.powers.get(rule.pattern, -math.inf)])
            return
        if kind == "rf_offset":
            rf.offset = min(rf.offset, parse_value(args, "DB", header))
        elif kind == "rf_reference":
            rf.reference = max(rf.reference, parse_value(args, "DBM", header))
        elif kind == "rf_reference_state":
            rf.reference_on = rf.reference_on or _boolean(args, header)
        else:
            path = rf.am.setdefault(_node_suffix(header, "AM"), [1.0, False])
            if kind == "am_depth":
                path[0] = max(path[0], parse_value(args, "PCT", header) / 100.0)
            else:
                path[1] = path[1] or _boolean(args, header)
        gain = rf.gain()
        level = next((r.pattern for r in self.rules if r.kind == "rf_level"), "")
        if gain > before and level not in rf.powers:
            raise SafetyLimitError(f"{header} {args.strip()}: raises the output by {gain - before:.3g} dB over a "
                                   "power the gate has not read back; query the power (:POW?) first, nothing was "
                                   "sent")
        for point in rf.powers.values():
            self._refuse_peak(header, point, gain)

    def _refuse_peak(self, header: str, point: float, gain: float) -> None:
        peak = point + gain
        what = f"{point:g} dBm" + (f" (a peak output of {peak:.4g} dBm)" if gain else "")
        _refuse_above(header, 1e-3 * 10.0 ** (peak / 10.0), self.limits.rf_power, "W", what)

    def _check_magnet(self, header: str, args: str, note: _Message) -> float:
        """A set point within the current limit, one step from the set point before the message, and the only
        one of its message when the rate is limited (several cannot be spaced in time)."""
        limits, start = self.limits, self._state.magnet
        if math.isinf(limits.magnet_current) and math.isinf(limits.magnet_step) and math.isinf(limits.magnet_rate):
            return start
        value = parse_value(args, "A", header)
        _refuse_above(header, abs(value), limits.magnet_current, "A", f"{value:g} A")
        _refuse_above(header, abs(value - start), limits.magnet_step, "A",
                      f"a step of {value - start:g} A (from {start:g} A)", "per step (field ramp rate)")
        note.setpoints += 1
        if note.setpoints > 1 and math.isfinite(limits.magnet_rate):
            raise SafetyLimitError(f"{header}: a second magnet set point in one message cannot be held to the field "
                                   "ramp rate; send one per message, nothing was sent")
        note.ramp = max(note.ramp, abs(value - start))
        return value

    def _refuse_magnet_jump(self, header: str, magnet: float) -> None:
        """Switching the output, or resetting, steps the magnet between 0 and its set point: refused when that
        is larger than one ramp step."""
        if any(rule.kind == "magnet_current" for rule in self.rules):
            _refuse_above(header, abs(magnet), self.limits.magnet_step, "A",
                          f"a jump between 0 A and the set point {magnet:g} A", "per step (field ramp rate)")

    def _check_level(self, rule: Rule, header: str, args: str, channels: dict[int, _Channel]) -> None:
        kind, ch = rule.kind, _channel_number(header)
        if kind == "unfollowed":
            raise SafetyLimitError(f"{header}: sets levels the gate cannot follow on this instrument; refused under "
                                   "a voltage limit, nothing was sent")
        state = channels.setdefault(ch, _Channel(self._defaults[0] * _scale(self._defaults[2]),
                                                 self._defaults[1] * _scale(self._defaults[2]), self._defaults[2]))
        if kind == "level_unit":
            if args.strip().upper() != "VPP":
                raise SafetyLimitError(f"{header} {args.strip()}: levels are checked in VPP only")
            return
        if kind == "load":
            token = args.strip().upper()
            load = _HIGH_Z if token in ("INF", "INFINITY") else parse_value(token, "OHM", header)
            if load < _HIGH_Z and not rule.bounds[0] <= load <= rule.bounds[1]:
                raise SafetyLimitError(f"{header} {args.strip()}: a load outside {rule.bounds[0]:g} … "
                                       f"{rule.bounds[1]:g} Ω, which the instrument refuses; nothing was sent")
            state.load = load
            return  # the output stays as it is: the programmed levels rescale, the DUT sees the same
        if kind in ("apply", "apply_dc"):
            self._check_apply(kind, header, args, state)
            return
        value = parse_value(args, "V", header) * state.scale * rule.scale
        centre, half = 0.5 * (state.high + state.low), 0.5 * (state.high - state.low)
        high, low = {"high": (value, state.low), "low": (state.high, value), "amplitude": (centre + value / 2,
                     centre - value / 2), "offset": (value + half, value - half)}[kind]
        _refuse_crossed(header, high, low)
        for level, old in ((high, state.high), (low, state.low)):
            if level != old:  # a level the command leaves as it was is not refused
                _refuse_above(header, abs(level), self.limits.voltage, "V", f"a level of {level:g} V at the DUT")
        state.high, state.low = high, low

    def _check_apply(self, kind: str, header: str, args: str, state: _Channel) -> None:
        """``APPLy:<shape> frequency, amplitude, offset``: both levels set at once (DC: both at the offset)."""
        values = [*_split(args, ","), "DEF", "DEF", "DEF"]
        offset = parse_value(values[2], "V", header) * state.scale
        half = 0.0 if kind == "apply_dc" else 0.5 * parse_value(values[1], "V", header) * state.scale
        _refuse_crossed(header, offset + half, offset - half)
        for level in (offset + half, offset - half):
            _refuse_above(header, abs(level), self.limits.voltage, "V", f"a level of {level:g} V at the DUT")
        state.high, state.low = offset + half, offset - half


def _refuse_crossed(header: str, high: float, low: float) -> None:
    """The instrument refuses a high level below the low one; the gate refuses it too, so as to keep following
    the instrument's levels (had it passed, the next offset or amplitude would be checked around wrong levels)."""
    if high < low:
        raise SafetyLimitError(f"{header}: high level {high:g} V below low level {low:g} V at the DUT; nothing was "
                               "sent")


def _argument(args: str, index: int) -> str:
    """Argument ``index`` (from 0) of a unit's comma-separated ``args``; empty when it has fewer."""
    values = _split(args, ",")
    return values[index] if index < len(values) else ""


def _scale(load: float) -> float:
    return 1.0 if load >= _HIGH_Z else (load + 50.0) / load


def _rounded(value: float, step: float) -> float:
    """|value| rounded to a multiple of ``step`` as the instrument rounds it, a tie counted up (0: unrounded)."""
    return abs(value) if step <= 0 else math.floor(abs(value) / step + 0.5 + 1e-9) * step


def _channel_number(header: str) -> int:
    """The first numeric suffix in ``header`` (channel 1 when there is none)."""
    for part in header.split(":"):
        match = _HEADER_NODE.match(part)
        if match and match.group(2):
            return int(match.group(2))
    return 1


def _node_suffix(header: str, name: str) -> int:
    """The numeric suffix of node ``name`` in ``header`` (1 when it has none)."""
    for part in header.split(":"):
        match = _HEADER_NODE.match(part)
        if match and match.group(1).upper() == name:
            return int(match.group(2) or 1)
    return 1


def _refuse_above(header: str, magnitude: float, limit: float, unit: str, what: str, per: str = "") -> None:
    if not magnitude <= limit * (1 + _EPS):
        raise SafetyLimitError(f"{header}: {what} exceeds the bench safety limit of ±{limit:g} {unit} {per}".rstrip()
                               + "; nothing was sent")


def pulse_level_rules(source: str, voltage: str, output: str, apply: str, loads: tuple[float, float],
                      follows_apply: bool = True) -> tuple[Rule, ...]:
    """Level rules of a function generator whose headers read ``{source}:{voltage}…``, ``{output}:LOAD`` (``loads``:
    the finite loads it accepts, Ω) and ``{apply}:<shape>`` (refused unless ``follows_apply``); its own voltage
    limits ``{source}:{voltage}:LIMit…`` may not exceed the bench's nor be switched off."""
    level, limit = f"{source}:{voltage}[:LEVel][:IMMediate]", f"{source}:{voltage}:LIMit"
    shapes = ("SINusoid", "SQUare", "RAMP", "PULSe", "NOISe", "USER")
    return (Rule(f"{level}[:AMPLitude]", "amplitude"), Rule(f"{level}:HIGH", "high"), Rule(f"{level}:LOW", "low"),
            Rule(f"{level}:OFFSet", "offset"), Rule(f"{output}:LOAD", "load", bounds=loads),
            Rule(f"{source}:{voltage}:UNIT", "level_unit"),
            Rule(f"{limit}[:HIGH]", "voltage"), Rule(f"{limit}:LOW", "voltage"),  # the instrument's own limits
            Rule(f"{limit}:STATe", "keyword", allowed=("ON", "1"), reason="switches the instrument's own limit off"),
            Rule(f"{apply}:DC", "apply_dc" if follows_apply else "unfollowed"),
            *(Rule(f"{apply}:{shape}", "apply" if follows_apply else "unfollowed") for shape in shapes))


def install(driver: Any, rules: tuple[Rule, ...], limits: GateLimits,
            levels: tuple[float, float, float] = (0.0, 0.0, _HIGH_Z), **dialect: Any) -> SafetyGate:
    """Put a :class:`SafetyGate` in front of ``driver``'s adapter (once) and return it; ``dialect`` gives the
    gate's ``units`` and ``scpi_only``."""
    gate = driver.adapter if isinstance(driver.adapter, SafetyGate) else None
    if gate is None:
        gate = SafetyGate(driver.adapter, rules, limits, levels, **dialect)
        driver.adapter = gate
    gate.limits = limits
    return gate
