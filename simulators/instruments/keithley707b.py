"""Virtual Keithley 707B switching mainframe with 7174A 8×12 matrix cards, driven by TSP statements.

The 707B has no SCPI command set: it runs TSP (Lua) statements. This twin understands the subset switch-matrix
drivers send — ``channel.close/open/exclusiveclose/getclose``, ``reset()``, ``waitcomplete()``,
``errorqueue.clear/count/next``, ``print(...)`` — plus the IEEE 488.2 ``*IDN?``, ``*RST``, ``*CLS``, ``*OPC?``.
Channels are named slot-row-column, ``"1A01"`` … ``"6H12"``; lists are comma-separated and may hold ranges
(``"1A01:1A12"``) or ``"allslots"``/``"slot1"``. Closed crosspoints connect row and column lines of the matrix;
:attr:`closed` is what the virtual bench routes through.
"""

from __future__ import annotations

import re

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import ErrorQueue

SLOTS, ROWS, COLUMNS = 6, "ABCDEFGH", 12
_CHANNEL = re.compile(r"^([1-6])([A-H])(\d{2})$", re.I)
_CALL = re.compile(r"^(print\()?\s*([\w.]+)\s*(\(\s*(.*?)\s*\))?\s*(\))?$", re.S)


class TspError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_channel_list(text: str) -> set[str]:
    """Channels of a 707B channel list ("1A01,1B02:1B04", "slot2", "allslots")."""
    out: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        low = item.lower()
        if low == "allslots":
            return {f"{s}{r}{c:02d}" for s in range(1, SLOTS + 1) for r in ROWS for c in range(1, COLUMNS + 1)}
        if low.startswith("slot") and low[4:].isdigit() and 1 <= int(low[4:]) <= SLOTS:
            out |= {f"{low[4:]}{r}{c:02d}" for r in ROWS for c in range(1, COLUMNS + 1)}
            continue
        ends = item.split(":")
        matches = [_CHANNEL.match(e.strip()) for e in ends]
        if len(ends) > 2 or not all(matches) or not all(1 <= int(m.group(3)) <= COLUMNS for m in matches):
            raise TspError(-1115, f"invalid channel list entry '{item}'")
        if len(ends) == 1:
            m = matches[0]
            out.add(f"{m.group(1)}{m.group(2).upper()}{int(m.group(3)):02d}")
            continue
        (s1, r1, c1), (s2, r2, c2) = ((m.group(1), m.group(2).upper(), int(m.group(3))) for m in matches)
        if s1 != s2:
            raise TspError(-1115, f"a range must stay within one slot: '{item}'")
        for r in ROWS[min(ROWS.index(r1), ROWS.index(r2)):max(ROWS.index(r1), ROWS.index(r2)) + 1]:
            for c in range(min(c1, c2), max(c1, c2) + 1):
                out.add(f"{s1}{r}{c:02d}")
    return out


def _string_argument(args: str | None) -> str:
    if args is None or len(args) < 2 or args[0] not in "'\"" or args[-1] != args[0]:
        raise TspError(-286, f"TSP Runtime error: bad argument {args!r} (expected a quoted channel list)")
    return args[1:-1]


class Keithley707B:
    """Virtual 707B: a set of closed crosspoints, a TSP error queue, and the bench it belongs to."""

    idn = ("Keithley Instruments Inc.", "Model 707B", "04161337", "01.40a")

    def __init__(self, bench: VirtualBench) -> None:
        self.bench = bench
        self.closed: set[str] = set()
        self.errors = ErrorQueue()
        self.settle_time = 3e-3  # s, reed relay settling per operation

    def handle(self, message: str) -> str | None:
        with self.bench.lock:
            self.bench.catch_up()
            out = []
            for statement in (s.strip() for s in re.split(r";|\s(?=[a-z]+[.(])", message)):
                if not statement:
                    continue
                try:
                    reply = self._execute(statement)
                except TspError as err:
                    self.errors.push(err.code, err.message)
                    break
                if reply is not None:
                    out.append(reply)
            return "\n".join(out) if out else None

    def _execute(self, statement: str) -> str | None:
        upper = statement.upper()
        if upper == "*IDN?":
            return ",".join(self.idn)
        if upper in ("*RST", "RESET()"):
            self.closed.clear()
            self.bench.route(self.closed)
            return None
        if upper == "*CLS":
            self.errors.clear()
            return None
        if upper == "*OPC?":
            return "1"
        m = _CALL.match(statement)
        if m is None or bool(m.group(1)) != bool(m.group(5)):
            raise TspError(-285, f"TSP Syntax error at line 1: unexpected symbol near '{statement[:20]}'")
        printed, name, call, args = bool(m.group(1)), m.group(2), m.group(3) is not None, m.group(4)
        value = self._call(name, args if call else None, call)
        return self._format(value) if printed else None

    def _call(self, name: str, args: str | None, call: bool) -> object:
        if name == "channel.close" and call:
            self.closed |= parse_channel_list(_string_argument(args))
        elif name == "channel.exclusiveclose" and call:
            self.closed = parse_channel_list(_string_argument(args))
        elif name == "channel.open" and call:
            self.closed -= parse_channel_list(_string_argument(args))
        elif name == "channel.getclose" and call:
            wanted = parse_channel_list(_string_argument(args))
            return ";".join(sorted(self.closed & wanted)) or None
        elif name == "waitcomplete" and call:
            return None
        elif name == "errorqueue.clear" and call:
            self.errors.clear()
        elif name == "errorqueue.count" and not call:
            return len(self.errors)
        elif name == "errorqueue.next" and call:
            code, message = self.errors.pop()
            return (code, "Queue Is Empty" if code == 0 else message, 0, 0)
        else:
            raise TspError(-286, f"TSP Runtime error: attempt to call or index unknown '{name}'")
        if name.startswith("channel.") and name != "channel.getclose":
            self.bench.route(self.closed)
            self.bench.advance(self.settle_time)
        return None

    @staticmethod
    def _format(value: object) -> str:
        if value is None:
            return "nil"
        if isinstance(value, tuple):
            return "\t".join(str(v) for v in value)
        return f"{value:.14g}" if isinstance(value, float) else str(value)
