"""One safety gate in front of a driver's adapter: every outgoing message is checked against the bench limits.

A driver declares :class:`Rule` s once, in the manual's SCPI notation (``[:SOURce[1]]:VOLTage[:LEVel]``: upper
case is the short form, ``[...]`` an optional node, ``#``, ``<n>`` or ``[1]`` after a name a numeric suffix).
:class:`SafetyGate` wraps the adapter, so PyMeasure properties, channel objects, role methods and raw
``write()`` all pass it: each message is split into its ``;``-separated program units, each header matched
against the rules, its values parsed (SI-prefixed units, keywords refused for limited quantities) and checked.
A unit beyond a limit raises :class:`~mtjhw.instruments.safety.SafetyLimitError` before anything is sent.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .safety import SafetyLimitError, SafetyLimits

_NODE = re.compile(r"(\[)?:?([A-Za-z]+)(#|<n>|\[\d+\]|\[<n>\])?")
_UNIT = re.compile(r"(\S+)\s*(.*)", re.DOTALL)  # header, then any white space, then the arguments
_HEADER_NODE = re.compile(r"([A-Za-z]+)(\d*)$")
_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$")
_PREFIX = {"": 1.0, "P": 1e-12, "N": 1e-9, "U": 1e-6, "M": 1e-3, "K": 1e3, "MA": 1e6, "G": 1e9}
_HIGH_Z = 1e37  # Ω: a load at or above this is high impedance
_EPS = 1e-5  # relative tolerance of the comparisons: drivers format with %g (6 significant digits)

#: What each kind of rule limits, and the unit its values are written in.
KINDS = {"voltage": "V", "current": "A", "rf_power": "DBM", "magnet_current": "A", "magnet_output": "",
         "high": "V", "low": "V", "amplitude": "V", "offset": "V", "load": "OHM", "level_unit": "",
         "apply": "V", "apply_dc": "V", "unfollowed": ""}
_LEVEL_KINDS = ("high", "low", "amplitude", "offset", "load", "level_unit", "apply", "apply_dc", "unfollowed")


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
    #: what the instrument accepts (a load in Ω): the gate refuses the rest too, so as to keep following it
    bounds: tuple[float, float] = (-math.inf, math.inf)
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
        return 1.0 if self.load >= _HIGH_Z else (self.load + 50.0) / self.load


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


@dataclass
class GateLimits:
    """What the gate refuses beyond: DUT ``voltage`` V, ``current`` A, ``rf_power`` W, the magnet supply's
    ``magnet_current`` A and its largest single step ``magnet_step`` A. ``inf`` imposes nothing."""

    voltage: float = math.inf
    current: float = math.inf
    rf_power: float = math.inf
    magnet_current: float = math.inf
    magnet_step: float = math.inf

    @classmethod
    def from_safety(cls, limits: SafetyLimits) -> GateLimits:
        return cls(limits.max_voltage, limits.max_current, limits.max_rf_power)


class SafetyGate:
    """Stands in for a PyMeasure adapter; refuses any message whose program units exceed ``limits``.

    ``levels`` gives each pulse output's power-on (high V, low V, load Ω) as programmed; the gate follows the
    levels, loads and the magnet set point it passes (and ``*RST``), and learns the set point from replies to its
    queries. Anything else is delegated to the wrapped adapter."""

    def __init__(self, adapter: Any, rules: tuple[Rule, ...], limits: GateLimits,
                 levels: tuple[float, float, float] = (0.0, 0.0, _HIGH_Z)) -> None:
        self.adapter = adapter
        self.rules = rules
        self.limits = limits
        self._defaults = levels
        self._channels: dict[int, _Channel] = {}
        self.magnet_current = 0.0  #: A, the last set point sent or read back
        self._pending_query: Rule | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)

    # ----------------------------------------------------------------- the adapter interface
    def write(self, command: str, **kwargs: Any) -> None:
        self._admit(command)
        self.adapter.write(command, **kwargs)

    def write_bytes(self, content: bytes, **kwargs: Any) -> None:
        self._admit(content.decode("ascii", errors="replace"))
        self.adapter.write_bytes(content, **kwargs)

    def write_binary_values(self, command: str, values: Any, *args: Any, **kwargs: Any) -> None:
        self._admit(command)
        self.adapter.write_binary_values(command, values, *args, **kwargs)

    def read(self, **kwargs: Any) -> str:
        reply = self.adapter.read(**kwargs)
        if self._pending_query is not None:
            self._pending_query = None
            try:
                self.magnet_current = float(reply.strip().split(",")[0])
            except ValueError:
                pass
        return reply

    # ----------------------------------------------------------------- checking
    def rule_for(self, header: str) -> Rule | None:
        """The rule whose pattern ``header`` (absolute, without ``?``) matches, if any."""
        nodes = []
        for part in header.split(":"):
            match = _HEADER_NODE.match(part)
            if not match:
                return None
            nodes.append((match.group(1), match.group(2)))
        return next((rule for rule in self.rules if _matches(rule.nodes, tuple(nodes))), None)

    def _admit(self, message: str) -> None:
        """Check every unit of ``message`` on a copy of the gate's state; keep the state only if all pass."""
        channels, magnet = copy.deepcopy(self._channels), self.magnet_current
        pending = None
        for header, args in split_units(message):
            if header.upper() == "*RST":
                self._refuse_magnet_jump(header, magnet)
                channels, magnet = {}, 0.0
                continue
            query = header.endswith("?")
            rule = self.rule_for(header.rstrip("?"))
            if rule is None:
                continue
            if query:
                pending = rule if rule.kind == "magnet_current" else None
                continue
            magnet = self._check(rule, header, args, channels, magnet)
        self._channels, self.magnet_current, self._pending_query = channels, magnet, pending

    def _check(self, rule: Rule, header: str, args: str, channels: dict[int, _Channel], magnet: float) -> float:
        """Refuse ``args`` of ``header`` beyond the limits; update ``channels`` and return the magnet set point."""
        kind, unit = rule.kind, KINDS[rule.kind]
        if kind in _LEVEL_KINDS:
            if math.isfinite(self.limits.voltage):
                self._check_level(rule, header, args, channels)
            return magnet
        if kind == "magnet_current":
            return self._check_magnet(header, args, magnet)
        if kind == "magnet_output":
            self._refuse_magnet_jump(header, magnet)
            return magnet
        limit = getattr(self.limits, kind)
        if not math.isfinite(limit):
            return magnet
        for token in _split(args, ",")[:rule.count]:
            value = parse_value(token, unit, header)
            if kind == "rf_power":
                watts = 1e-3 * 10.0 ** (value / 10.0)
                _refuse_above(header, watts, limit, "W", f"{value:g} dBm")
            else:
                _refuse_above(header, max(abs(value), rule.floor), limit, unit, f"{value:g} {unit}")
        return magnet

    def _check_magnet(self, header: str, args: str, magnet: float) -> float:
        if math.isinf(self.limits.magnet_current) and math.isinf(self.limits.magnet_step):
            return magnet
        value = parse_value(args, "A", header)
        _refuse_above(header, abs(value), self.limits.magnet_current, "A", f"{value:g} A")
        start = self.magnet_current  # several set points in one message are one step, from the set point before it
        _refuse_above(header, abs(value - start), self.limits.magnet_step, "A",
                      f"a step of {value - start:g} A (from {start:g} A)", "per step (field ramp rate)")
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
        value = parse_value(args, "V", header) * state.scale
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


def _scale(load: float) -> float:
    return 1.0 if load >= _HIGH_Z else (load + 50.0) / load


def _channel_number(header: str) -> int:
    """The first numeric suffix in ``header`` (channel 1 when there is none)."""
    for part in header.split(":"):
        match = _HEADER_NODE.match(part)
        if match and match.group(2):
            return int(match.group(2))
    return 1


def _refuse_above(header: str, magnitude: float, limit: float, unit: str, what: str, per: str = "") -> None:
    if not magnitude <= limit * (1 + _EPS):
        raise SafetyLimitError(f"{header}: {what} exceeds the bench safety limit of ±{limit:g} {unit} {per}".rstrip()
                               + "; nothing was sent")


def pulse_level_rules(source: str, voltage: str, output: str, apply: str, loads: tuple[float, float],
                      follows_apply: bool = True) -> tuple[Rule, ...]:
    """Level rules of a function generator whose headers read ``{source}:{voltage}…``, ``{output}:LOAD`` (``loads``:
    the finite loads it accepts, Ω) and ``{apply}:<shape>`` (refused unless ``follows_apply``)."""
    level = f"{source}:{voltage}[:LEVel][:IMMediate]"
    shapes = ("SINusoid", "SQUare", "RAMP", "PULSe", "NOISe", "USER")
    return (Rule(f"{level}[:AMPLitude]", "amplitude"), Rule(f"{level}:HIGH", "high"), Rule(f"{level}:LOW", "low"),
            Rule(f"{level}:OFFSet", "offset"), Rule(f"{output}:LOAD", "load", bounds=loads),
            Rule(f"{source}:{voltage}:UNIT", "level_unit"),
            Rule(f"{apply}:DC", "apply_dc" if follows_apply else "unfollowed"),
            *(Rule(f"{apply}:{shape}", "apply" if follows_apply else "unfollowed") for shape in shapes))


def install(driver: Any, rules: tuple[Rule, ...], limits: GateLimits,
            levels: tuple[float, float, float] = (0.0, 0.0, _HIGH_Z)) -> SafetyGate:
    """Put a :class:`SafetyGate` in front of ``driver``'s adapter (once) and return it."""
    gate = driver.adapter if isinstance(driver.adapter, SafetyGate) else None
    if gate is None:
        gate = SafetyGate(driver.adapter, rules, limits, levels)
        driver.adapter = gate
    gate.limits = limits
    return gate
