"""Virtual Keithley 707B switching mainframe with 7174A 8×12 matrix cards, driven by TSP statements.

The 707B has no SCPI command set: it runs TSP, Lua chunks built on the instrument's command library. This twin
compiles and runs the part of Lua a remote user sends — function calls, assignments to variables and attributes,
``print(...)`` — over the library of the 707B/708B reference manual: ``channel.close/open/exclusiveclose/
exclusiveslotclose/getclose/getcount/setdelay/getdelay``, ``channel.pattern.setimage/getimage/delete``,
``channel.connectrule``, ``channel.connectsequential``, ``errorqueue.clear/count/next``, ``localnode`` (model,
serial number, firmware, line frequency, node, prompts, ``reset``), ``format.asciiprecision``, ``beeper``,
``display.clear/settext``, ``reset()``, ``waitcomplete()``, ``opc()``, ``delay()``, ``tostring``/``tonumber``,
``printnumber``. IEEE 488.2 common commands (``*IDN?``, ``*RST``, ``*CLS``, ``*OPC?``, ``*STB?``, …) are sent alone.

A message is one chunk: it is compiled first (a syntax error, -285, runs none of it), then its statements run in
order until one fails (-286 for a Lua runtime error, -1115 for a bad channel list); the rest is skipped. Errors go
to the error queue that ``errorqueue.next()`` reads as code, message, severity (20: recoverable) and node.
``print`` writes its values separated by tabs, numbers with ``format.asciiprecision`` significant digits, ``nil``
for none. Channels are named slot-row-column, ``"1A01"`` … ``"6H12"``; lists are comma-separated and may hold ranges
(``"1A01:1A12"``), pattern names, and — where the manual allows it (open, getclose) — ``"slotN"``/``"allslots"``.
Every switching command takes the relays' settling time (3 ms) plus the largest user delay of the channels it
closes on the bench's clock; :attr:`closed` is what the virtual bench routes through.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import ErrorQueue

from .tsp_lua import Attribute, Parser, Table, TspError, argument, lua_type, runtime_error, tokenize
from .tsp_status import TspStatus

SLOTS, ROWS, COLUMNS = 6, "ABCDEFGH", 12
_CHANNEL = re.compile(r"^([1-6])([A-H])(\d{2})$", re.I)
_PATTERN_NAME = re.compile(r"^[A-Za-z_]\w*$")
SEVERITY_RECOVERABLE = 20  # "possible invalid user input; operation continues"
NODE = 1  # TSP-Link node number of a stand-alone instrument
BREAK_BEFORE_MAKE, MAKE_BEFORE_BREAK = 1, 2


def _channel_error(item: str, why: str = "") -> TspError:
    return TspError(-1115, f"invalid channel list entry '{item}'" + (f": {why}" if why else ""))


def _slot_channels(slot: int) -> set[str]:
    return {f"{slot}{r}{c:02d}" for r in ROWS for c in range(1, COLUMNS + 1)}


def parse_channel_list(text: str, patterns: Mapping[str, set[str]] | None = None, *, slots: bool = True) -> set[str]:
    """Channels of a 707B channel list ("1A01,1B02:1B04", "slot2", "allslots", pattern names); ``slots=False``
    refuses "slotN"/"allslots", as the closing commands do."""
    out: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        low = item.lower()
        if low == "allslots" or re.fullmatch(r"slot[0-9]{1,3}", low):
            if not slots:
                raise _channel_error(item, "a slot cannot be closed as a whole")
            chosen = range(1, SLOTS + 1) if low == "allslots" else [int(low[4:])]
            if not all(1 <= s <= SLOTS for s in chosen):
                raise _channel_error(item, f"slots are 1-{SLOTS}")
            out |= set().union(*(_slot_channels(s) for s in chosen))
        elif patterns is not None and item in patterns:
            out |= patterns[item]
        else:
            out |= _channel_range(item)
    return out


def _channel_range(item: str) -> set[str]:
    """One channel ("1A01") or a rectangular range of one slot ("1A01:1B12")."""
    ends = [_CHANNEL.match(e.strip()) for e in item.split(":")]
    if len(ends) > 2 or not all(ends):
        raise _channel_error(item)
    points = [(m.group(1), m.group(2).upper(), int(m.group(3))) for m in ends if m]
    if not all(1 <= column <= COLUMNS for _, _, column in points):
        raise _channel_error(item, f"columns are 01-{COLUMNS}")
    (s1, r1, c1), (s2, r2, c2) = points[0], points[-1]
    if s1 != s2:
        raise _channel_error(item, "a range must stay within one slot")
    rows = ROWS[min(ROWS.index(r1), ROWS.index(r2)):max(ROWS.index(r1), ROWS.index(r2)) + 1]
    return {f"{s1}{r}{c:02d}" for r in rows for c in range(min(c1, c2), max(c1, c2) + 1)}


class Keithley707B(TspStatus):
    """Virtual 707B: closed crosspoints, user delays and patterns, the TSP error queue, and the bench it belongs to."""

    idn = ("Keithley Instruments Inc.", "Model 707B", "04161337", "01.40a")
    reply_termination = "\n"
    settle_time = 3e-3  # s, reed relay settling per switching command
    line_frequency = 60.0  # Hz

    def __init__(self, bench: VirtualBench) -> None:
        self.bench = bench
        self.errors = ErrorQueue()
        self.closed: set[str] = set()
        self.close_counts: dict[str, int] = {}
        self.patterns: dict[str, set[str]] = {}
        self.variables: dict[str, Any] = {}
        self.prompts = 0
        self.node = NODE
        self._init_status()
        self.display_text = ""
        self.beeps: list[tuple[float, float]] = []  # (duration s, frequency Hz) of every beeper.beep()
        self._output: list[str] = []
        self.library = self._library()
        self.reset()

    def reset(self) -> None:
        """``reset()``/``*RST``: every channel open, delays and attributes back to their defaults."""
        self.closed = set()
        self.delays: dict[str, float] = {}
        self.connect_rule = BREAK_BEFORE_MAKE
        self.connect_sequential = 0
        self.ascii_precision = 10
        self.beeper_enable = 1
        self.bench.route(self.closed)

    # ----------------------------------------------------------------- messages
    def handle(self, message: str) -> str | None:
        with self.bench.lock:
            self.bench.catch_up()
            text = message.strip()
            lines = self._common(text) if text.startswith("*") else self._run(text)
            if self.prompts:
                lines.append("TSP?" if len(self.errors) else "TSP>")
            return "\n".join(lines) if lines else None

    def device_clear(self) -> None:
        """Device clear: nothing of a message is pending between messages."""

    def _push(self, err: TspError) -> None:
        self.errors.push(err.code, err.message)

    def _run(self, text: str) -> list[str]:
        """Compile the chunk, then run its statements until one fails."""
        self._output = []
        try:
            statements = Parser(tokenize(text)).chunk()
        except TspError as err:
            self._push(err)
            return []
        for statement in statements:
            try:
                self._statement(statement)
            except TspError as err:
                self._push(err)
                break
        return self._output

    # ----------------------------------------------------------------- evaluation
    def _statement(self, statement: tuple) -> None:
        if statement[0] == "call":
            self._evaluate(statement[1], many=True)
            return
        _, targets, expressions = statement
        values = self._values(expressions)
        for i, target in enumerate(targets):
            self._assign(target, values[i] if i < len(values) else None)

    def _values(self, expressions: list[tuple]) -> list[Any]:
        """Values of an expression list: the last expression gives all its values, the others one each."""
        out = [self._evaluate(e) for e in expressions[:-1]]
        return out + (self._evaluate(expressions[-1], many=True) if expressions else [])

    def _evaluate(self, expr: tuple, many: bool = False) -> Any:
        kind = expr[0]
        if kind == "call":
            results = self._call(expr)
            return results if many else (results[0] if results else None)
        value = self._single(expr)
        return [value] if many else value

    def _single(self, expr: tuple) -> Any:
        kind = expr[0]
        if kind == "const":
            return expr[1]
        if kind == "paren":
            return self._evaluate(expr[1])
        if kind == "neg":
            value = self._evaluate(expr[1])
            if lua_type(value) != "number":
                raise runtime_error(f"attempt to perform arithmetic on a {lua_type(value)} value")
            return -value
        if kind == "name":
            return self.variables.get(expr[1], self.library.get(expr[1]))
        if kind == "binary":
            return self._binary(expr[1], self._evaluate(expr[2]), self._evaluate(expr[3]))
        table, key = self._evaluate(expr[1]), self._evaluate(expr[2])
        if not isinstance(table, Table):
            raise runtime_error(f"attempt to index {self._describe(expr[1])} (a {lua_type(table)} value)")
        field = table.fields.get(key)
        return field.get() if isinstance(field, Attribute) else field

    def _binary(self, op: str, left: Any, right: Any) -> Any:
        """Lua arithmetic on numbers (strings of numbers convert) and '..' on strings and numbers."""
        if op == "..":
            if any(lua_type(v) not in ("string", "number") for v in (left, right)):
                bad = next(v for v in (left, right) if lua_type(v) not in ("string", "number"))
                raise runtime_error(f"attempt to concatenate a {lua_type(bad)} value")
            return "".join(v if isinstance(v, str) else self.format_number(v) for v in (left, right))
        a, b = self._tonumber([left]), self._tonumber([right])
        if a is None or b is None:
            bad = left if a is None else right
            raise runtime_error(f"attempt to perform arithmetic on a {lua_type(bad)} value")
        if op == "/":
            return a / b if b else math.copysign(math.inf, a) if a else math.nan
        return {"+": a + b, "-": a - b, "*": a * b}[op]

    def _call(self, expr: tuple) -> list[Any]:
        function = self._evaluate(expr[1])
        if not callable(function) or isinstance(function, Table):
            raise runtime_error(f"attempt to call {self._describe(expr[1])} (a {lua_type(function)} value)")
        result = function(self._values(expr[2]))
        return list(result) if isinstance(result, tuple) else ([] if result is None else [result])

    def _assign(self, target: tuple, value: Any) -> None:
        if target[0] == "name":
            self.variables[target[1]] = value
            return
        table, key = self._evaluate(target[1]), self._evaluate(target[2])
        if not isinstance(table, Table):
            raise runtime_error(f"attempt to index {self._describe(target[1])} (a {lua_type(table)} value)")
        field = table.fields.get(key)
        if not isinstance(field, Attribute) or field.set is None:
            raise runtime_error(f"attempt to modify read-only field `{key}' of `{table.name}'")
        field.set(value)

    @staticmethod
    def _describe(expr: tuple) -> str:
        """How Lua names the value of ``expr`` in an error ("global `x'", "field `y'")."""
        if expr[0] == "name":
            return f"global `{expr[1]}'"
        if expr[0] == "index" and expr[2][0] == "const":
            return f"field `{expr[2][1]}'"
        return "a value"

    def format_value(self, value: Any) -> str:
        """A value as ``print`` writes it."""
        if value is None:
            return "nil"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return self.format_number(value)
        if isinstance(value, str):
            return value
        return f"{lua_type(value)}: 0x{id(value):08x}"

    def format_number(self, value: float) -> str:
        if math.isinf(value) or math.isnan(value):
            return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan")
        return f"{value:.{self.ascii_precision}g}"

    # ----------------------------------------------------------------- the command library
    def _library(self) -> dict[str, Any]:
        def attribute(name: str, allowed: Iterable[float]) -> Attribute:
            choices = set(allowed)
            return Attribute(lambda: getattr(self, name), lambda v: setattr(self, name, self._choice(v, choices)))

        channel = Table("channel", {
            "close": self._close, "open": self._open, "exclusiveclose": self._exclusive_close,
            "exclusiveslotclose": self._exclusive_slot_close, "getclose": self._get_close,
            "getcount": self._get_count, "setdelay": self._set_delay, "getdelay": self._get_delay,
            "connectrule": attribute("connect_rule", (0, BREAK_BEFORE_MAKE, MAKE_BEFORE_BREAK)),
            "connectsequential": attribute("connect_sequential", (0, 1)),
            "OFF": 0, "ON": 1, "BREAK_BEFORE_MAKE": BREAK_BEFORE_MAKE, "MAKE_BEFORE_BREAK": MAKE_BEFORE_BREAK,
            "pattern": Table("pattern", {"setimage": self._set_pattern, "getimage": self._get_pattern,
                                         "delete": self._delete_pattern})})
        errorqueue = Table("errorqueue", {"clear": lambda args: self.errors.clear(),
                                          "count": Attribute(lambda: len(self.errors)), "next": self._next_error})
        localnode = Table("localnode", {
            "model": Attribute(lambda: self.idn[1].split()[-1]), "serialno": Attribute(lambda: self.idn[2]),
            "revision": Attribute(lambda: self.idn[3]), "linefreq": Attribute(lambda: self.line_frequency),
            "node": attribute("node", range(1, 65)), "prompts": attribute("prompts", (0, 1)),
            "reset": lambda args: self.reset()})
        formats = Table("format", {"asciiprecision": attribute("ascii_precision", range(1, 17))})
        beeper = Table("beeper", {"enable": attribute("beeper_enable", (0, 1)), "ON": 1, "OFF": 0,
                                  "beep": self._beep})
        display = Table("display", {"clear": lambda args: setattr(self, "display_text", ""),
                                    "settext": self._set_text})
        return {"channel": channel, "errorqueue": errorqueue, "localnode": localnode, "format": formats,
                "beeper": beeper, "display": display, "print": self._print, "printnumber": self._print_number,
                "reset": lambda args: self.reset(), "waitcomplete": lambda args: None,
                "opc": lambda args: self._opc(), "delay": self._delay, "tostring": self._tostring,
                "tonumber": self._tonumber}

    @staticmethod
    def _choice(value: Any, choices: set[float]) -> int:
        if lua_type(value) != "number":
            raise runtime_error(f"bad argument #1 to `assign' (number expected, got {lua_type(value)})")
        if value not in choices:
            raise runtime_error(f"attribute value {value:g} out of range")
        return int(value)

    def _print(self, args: list[Any]) -> None:
        self._output.append("\t".join(self.format_value(v) for v in args))

    def _print_number(self, args: list[Any]) -> None:
        numbers = [argument(args, i, "printnumber", "number") for i in range(max(1, len(args)))]
        self._output.append(", ".join(self.format_number(v) for v in numbers))

    def _tostring(self, args: list[Any]) -> str:
        if not args:
            raise runtime_error("bad argument #1 to `tostring' (value expected)")
        return self.format_value(args[0])

    @staticmethod
    def _tonumber(args: list[Any]) -> float | None:
        value = args[0] if args else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def _delay(self, args: list[Any]) -> None:
        seconds = argument(args, 0, "delay", "number")
        if not 0 <= seconds < math.inf:  # 0/0 or 1e999 would stop the bench's clock for good
            raise runtime_error("bad argument #1 to `delay' (delay must be >= 0)")
        self.bench.advance(seconds)

    def _beep(self, args: list[Any]) -> None:
        duration = argument(args, 0, "beep", "number")
        frequency = argument(args, 1, "beep", "number")
        if self.beeper_enable:
            self.beeps.append((duration, frequency))

    def _set_text(self, args: list[Any]) -> None:
        self.display_text = argument(args, 0, "settext", "string")

    def _next_error(self, args: list[Any]) -> tuple[Any, ...]:
        code, message = self.errors.pop()
        if code == 0:
            return (0, "Queue Is Empty", 0, 0)
        return (code, message, SEVERITY_RECOVERABLE, self.node)

    # ----------------------------------------------------------------- switching
    def _channels(self, args: list[Any], function: str, *, slots: bool) -> set[str]:
        text = argument(args, 0, function, "string")
        if not text.strip():
            raise _channel_error(text, "empty channel list")
        return parse_channel_list(text, self.patterns, slots=slots)

    def _switch(self, closed: set[str]) -> None:
        """Make ``closed`` the closed set: relays move, settle (twice when breaking before making), and wait the
        largest user delay of the channels that close."""
        opening, closing = self.closed - closed, closed - self.closed
        for ch in closing:
            self.close_counts[ch] = self.close_counts.get(ch, 0) + 1
        self.closed = closed
        self.bench.route(self.closed)
        settles = 2 if opening and closing and self.connect_rule == BREAK_BEFORE_MAKE else 1
        delay = max((self.delays.get(ch, 0.0) for ch in closing), default=0.0)
        self.bench.advance(settles * self.settle_time + delay)

    def _close(self, args: list[Any]) -> None:
        self._switch(self.closed | self._channels(args, "close", slots=False))

    def _open(self, args: list[Any]) -> None:
        self._switch(self.closed - self._channels(args, "open", slots=True))

    def _exclusive_close(self, args: list[Any]) -> None:
        text = argument(args, 0, "exclusiveclose", "string")
        self._switch(parse_channel_list(text, self.patterns, slots=False) if text.strip() else set())

    def _exclusive_slot_close(self, args: list[Any]) -> None:
        wanted = self._channels(args, "exclusiveslotclose", slots=False)
        slots = {ch[0] for ch in wanted}
        self._switch({ch for ch in self.closed if ch[0] not in slots} | wanted)

    def _get_close(self, args: list[Any]) -> tuple[str | None]:
        """The closed channels of the list, ';'-separated, or nil (a returned value, which print writes)."""
        return (";".join(sorted(self.closed & self._channels(args, "getclose", slots=True))) or None,)

    def _get_count(self, args: list[Any]) -> str:
        channels = sorted(self._channels(args, "getcount", slots=True))
        return ",".join(str(self.close_counts.get(ch, 0)) for ch in channels)

    def _set_delay(self, args: list[Any]) -> None:
        channels = self._channels(args, "setdelay", slots=True)
        seconds = argument(args, 1, "setdelay", "number")
        if not 0 <= seconds <= 1e4:
            raise runtime_error("bad argument #2 to `setdelay' (delay must be 0 to 10000 s)")
        self.delays.update(dict.fromkeys(channels, float(seconds)))

    def _get_delay(self, args: list[Any]) -> str:
        channels = sorted(self._channels(args, "getdelay", slots=True))
        return ",".join(self.format_number(self.delays.get(ch, 0.0)) for ch in channels)

    def _set_pattern(self, args: list[Any]) -> None:
        channels = self._channels(args, "setimage", slots=False)
        name = argument(args, 1, "setimage", "string")
        if not _PATTERN_NAME.match(name) or name.lower() == "allslots" or re.match(r"slot\d", name, re.I):
            raise runtime_error(f"bad argument #2 to `setimage' (invalid pattern name '{name}')")
        self.patterns[name] = channels

    def _get_pattern(self, args: list[Any]) -> str:
        name = argument(args, 0, "getimage", "string")
        if name not in self.patterns:
            raise _channel_error(name, "no such pattern")
        return ";".join(sorted(self.patterns[name]))

    def _delete_pattern(self, args: list[Any]) -> None:
        name = argument(args, 0, "delete", "string")
        if self.patterns.pop(name, None) is None:
            raise _channel_error(name, "no such pattern")
