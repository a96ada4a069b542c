"""Declarative SCPI command trees: header patterns, matching, and the ``Setting``/``command`` declarations.

Header patterns use the notation of instrument manuals:

- mnemonics in mixed case, the upper-case part being the short form (``VOLTage`` matches VOLT and VOLTAGE);
- ``[:NODE]`` an optional node (``[:SOURce[1]]:VOLTage[:LEVel]``);
- ``NODE[1]`` an optional numeric suffix that, when given, must be that number;
- ``NODE#`` a numeric suffix captured and passed to the handler (default 1): ``CALCulate:MARKer#:X``;
- a trailing ``?`` for the query form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ScpiError
from .parameters import Param, mnemonic_forms

_NODE = re.compile(r"(\[)?:?([A-Za-z*][A-Za-z]*)(#|\[(\d+)\])?(\])?$")
_TOKEN = re.compile(r"^([A-Za-z_*][A-Za-z_]*?)([0-9]*)$")
#: Longest program mnemonic (SCPI-99 vol. 1 §6.2.1: 12 characters) and numeric suffix (digits) a header may have.
MAX_MNEMONIC, MAX_SUFFIX_DIGITS = 12, 9


@dataclass(frozen=True)
class Node:
    short: str
    long: str
    optional: bool
    capture: bool
    fixed_suffix: int | None


def parse_pattern(pattern: str) -> tuple[tuple[Node, ...], bool]:
    """Nodes of a header pattern and whether it is a query."""
    query = pattern.endswith("?")
    body = pattern[:-1] if query else pattern
    nodes: list[Node] = []
    # Split at ':' that begin a node, keeping optional-group brackets with their node.
    parts = re.findall(r"\[?:?[A-Za-z*][A-Za-z]*(?:#|\[\d+\])?\]?", body)
    for part in parts:
        m = _NODE.match(part)
        if m is None:
            raise ValueError(f"bad SCPI header pattern {pattern!r} at {part!r}")
        optional = bool(m.group(1)) and bool(m.group(5))
        short, long = mnemonic_forms(m.group(2))
        capture = m.group(3) == "#"
        fixed = int(m.group(4)) if m.group(4) else None
        nodes.append(Node(short, long, optional, capture, fixed))
    return tuple(nodes), query


def split_token(token: str) -> tuple[str, int | None]:
    """A header token's mnemonic and numeric suffix ('SOUR1' → ('SOUR', 1)); no mnemonic is longer than
    :data:`MAX_MNEMONIC` (-113) and no suffix has more than :data:`MAX_SUFFIX_DIGITS` digits (-114)."""
    m = _TOKEN.match(token)
    if m is None:
        raise ScpiError(-102, f"header '{token[:40]}'")
    mnemonic, digits = m.group(1), m.group(2)
    if len(mnemonic) > MAX_MNEMONIC:
        raise ScpiError(-113, f"'{mnemonic[:40]}' (mnemonics have at most {MAX_MNEMONIC} characters)")
    if len(digits) > MAX_SUFFIX_DIGITS:
        raise ScpiError(-114, f"'{token[:40]}'")
    return mnemonic.upper(), (int(digits) if digits else None)


def match_nodes(nodes: Sequence[Node], tokens: Sequence[tuple[str, int | None]], *,
                any_suffix: bool = False) -> list[int] | None:
    """Captured suffixes if ``tokens`` match ``nodes`` (optional nodes may be skipped), else None. A suffix must
    be the node's own (1 when it declares none) or, on a capturing node, ≥ 1; ``any_suffix`` ignores suffixes
    (to tell a wrong suffix, -114, from an unknown header)."""

    def walk(i: int, j: int, captured: list[int]) -> list[int] | None:
        if i == len(nodes):
            return captured if j == len(tokens) else None
        node = nodes[i]
        if j < len(tokens):
            name, suffix = tokens[j]
            if name in (node.short, node.long):
                if any_suffix or suffix is None or (
                        suffix >= 1 if node.capture else suffix == (node.fixed_suffix or 1)):
                    got = walk(i + 1, j + 1, captured + ([suffix or 1] if node.capture else []))
                    if got is not None:
                        return got
        if node.optional:
            return walk(i + 1, j, captured + ([1] if node.capture else []))
        return None

    return walk(0, 0, [])


@dataclass
class CommandEntry:
    """One registered header (set or query form) with its parameter types and handler."""

    pattern: str
    nodes: tuple[Node, ...]
    query: bool
    params: tuple[Param, ...]
    handler: Callable[..., Any]  # called as handler(instrument, *captured_suffixes, *values)
    key: str = ""

    def __post_init__(self) -> None:
        self.key = ("?" if self.query else "") + ":".join(n.long for n in self.nodes)


class Setting:
    """A value that a set command stores and the query form returns, reset by ``*RST`` to ``param.default``.

    Used as a class attribute of a :class:`~mtjhw.simulators.scpi.instrument.ScpiInstrument`; on an instance it reads
    and writes the current value. ``after`` names a method called (no arguments) after every accepted set; it
    may raise :class:`ScpiError` to reject the value, which is then rolled back.
    """

    def __init__(self, header: str, param: Param, *, read_only: bool = False, after: str | None = None) -> None:
        self.header = header
        self.param = param
        self.read_only = read_only
        self.after = after
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self if obj is None else obj.settings[self.name]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.settings[self.name] = value

    def initial(self) -> Any:
        """The value ``*RST`` restores."""
        return self.param.default

    def entries(self) -> list[CommandEntry]:
        nodes, _ = parse_pattern(self.header)
        name, param, after = self.name, self.param, self.after

        def set_value(inst: Any, value: Any) -> None:
            old = inst.settings[name]
            inst.settings[name] = value
            if after:
                try:
                    getattr(inst, after)()
                except ScpiError:
                    inst.settings[name] = old
                    raise

        def get_value(inst: Any) -> str:
            return param.format(inst.settings[name])

        out = [CommandEntry(self.header + "?", nodes, True, (), get_value)]
        if not self.read_only:
            out.append(CommandEntry(self.header, nodes, False, (param,), set_value))
        return out


def command(header: str, *params: Param) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a method as the handler of ``header`` (a trailing ``?`` makes it a query).

    The method is called with captured suffixes (``#`` nodes) then the parsed parameters; a query returns the
    response as ``str`` or ``bytes``. A method may carry several ``@command`` declarations.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        nodes, query = parse_pattern(header)
        entries = getattr(fn, "_scpi_entries", [])
        fn._scpi_entries = [*entries, CommandEntry(header, nodes, query, tuple(params), fn)]  # type: ignore[attr-defined]
        return fn

    return decorate


class ChannelSetting(Setting):
    """A :class:`Setting` held per channel: the header's captured suffixes (``#`` nodes) select the channel.

    With several ``#`` nodes (``[:SOURce#]:FUNCtion#`` covers both ``SOUR2:FUNC`` and ``:FUNC2``) the channel is
    the first suffix given explicitly. On an instance the attribute is a dict channel → value.
    """

    def __init__(self, header: str, param: Param, channels: Sequence[int] = (1, 2), *, read_only: bool = False,
                 after: str | None = None) -> None:
        super().__init__(header, param, read_only=read_only, after=after)
        self.channels = tuple(channels)

    def initial(self) -> dict[int, Any]:
        return {ch: self.param.default for ch in self.channels}

    def channel(self, captured: Sequence[int]) -> int:
        explicit = [c for c in captured if c != 1]
        ch = explicit[0] if explicit else 1
        if ch not in self.channels:
            raise ScpiError(-114, f"channel {ch} (this instrument has {', '.join(map(str, self.channels))})")
        return ch

    def entries(self) -> list[CommandEntry]:
        nodes, _ = parse_pattern(self.header)
        name, param, after, setting = self.name, self.param, self.after, self

        def set_value(inst: Any, *args: Any) -> None:
            *captured, value = args
            ch = setting.channel(captured)
            old = inst.settings[name][ch]
            inst.settings[name][ch] = value
            if after:
                try:
                    getattr(inst, after)(ch)
                except ScpiError:
                    inst.settings[name][ch] = old
                    raise

        def get_value(inst: Any, *captured: int) -> str:
            return param.format(inst.settings[name][setting.channel(captured)])

        out = [CommandEntry(self.header + "?", nodes, True, (), get_value)]
        if not self.read_only:
            out.append(CommandEntry(self.header, nodes, False, (param,), set_value))
        return out
