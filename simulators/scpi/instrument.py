"""Base class of virtual instruments: message parsing, dispatch, IEEE 488.2 common commands and status model.

A subclass declares its command tree with :class:`~mtjhw.simulators.scpi.commands.Setting` attributes and
:func:`~mtjhw.simulators.scpi.commands.command` methods. :meth:`ScpiInstrument.handle` takes one program message
(``;``-separated program units, ``:``-rooted or relative to the previous header's path) and returns the joined
query responses; it never raises: every problem becomes an entry in the error queue read by ``SYST:ERR?``.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, ClassVar

from .commands import CommandEntry, Setting, command, match_nodes, split_token
from .errors import ErrorQueue, ScpiError
from .parameters import Integer, Variadic

log = logging.getLogger(__name__)

# Standard Event Status Register bits (IEEE 488.2 §11.5.1)
ESR_OPC, ESR_QYE, ESR_DDE, ESR_EXE, ESR_CME, ESR_PON = 0x01, 0x04, 0x08, 0x10, 0x20, 0x80
# Status Byte bits
STB_EAV, STB_MAV, STB_ESB, STB_MSS = 0x04, 0x10, 0x20, 0x40

#: Distinct headers whose dispatch a class remembers (bounded: a fuzzer's random headers cannot grow it further).
_DISPATCH_CACHE_SIZE = 4096
#: Longest header (characters) and longest absolute path (nodes) remembered: each cached entry stays small.
_CACHED_HEADER_CHARS, _CACHED_PATH_NODES = 128, 16
_ERROR_CHARS = 255  #: longest error/event description (SCPI-99 vol. 2 §21.8.2)

Tokens = tuple[tuple[str, "int | None"], ...]
Dispatch = tuple[CommandEntry, tuple[int, ...]]


@functools.cache
def _quoting(separator: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Quoted strings without ``separator``, and what lies between two separators outside quotes."""
    sep = re.escape(separator)
    return (re.compile(rf""""[^"{sep}]*"|'[^'{sep}]*'"""),
            re.compile(rf"""(?:[^{sep}"']+|"[^"]*"|'[^']*')*"""))


def split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split at ``separator`` except inside single- or double-quoted strings, in time linear in the text."""
    if "'" not in text and '"' not in text:
        return text.split(separator)
    plain, segment = _quoting(separator)
    unquoted = plain.sub("", text)
    if "'" not in unquoted and '"' not in unquoted:  # every string is closed and holds no separator
        return text.split(separator)
    parts, pos = [], 0
    while True:
        end = segment.match(text, pos).end()  # type: ignore[union-attr]  # the pattern matches the empty string
        if end < len(text) and text[end] != separator:
            raise ScpiError(-151, "unterminated string")
        parts.append(text[pos:end])
        if end == len(text):
            return parts
        pos = end + 1


def header_tokens(name: str) -> Tokens:
    """The (mnemonic, suffix) tokens of a header without its '?' (``":SOUR2:VOLT"`` → (("SOUR", 2), ("VOLT", None)))."""
    if len(name) > _CACHED_HEADER_CHARS:  # longer than any header a twin has: not worth remembering
        return _split_header(name)
    return _remembered_header(name)


def _split_header(name: str) -> Tokens:
    return tuple(split_token(t) for t in name.lstrip(":").split(":"))


_remembered_header = functools.lru_cache(maxsize=_DISPATCH_CACHE_SIZE)(_split_header)


class ScpiInstrument:
    """A message-based instrument with an SCPI command tree, error queue and IEEE 488.2 status registers."""

    #: ``*IDN?`` fields: manufacturer, model, serial number, firmware.
    idn: ClassVar[tuple[str, str, str, str]] = ("mtjhw", "Virtual instrument", "0", "1.0")
    #: Headers (as declared, e.g. ``"*OPT?"``, ``":SYSTem:ERRor[:NEXT]?"``) that a base class declares but the
    #: instrument this twin stands for does not have: they are unknown headers (-113) here.
    withdrawn: ClassVar[tuple[str, ...]] = ()
    #: ``*OPT?`` entries: the options installed in the instrument this twin stands for ("0" when none).
    installed_options: ClassVar[tuple[str, ...]] = ()
    #: What ends each response on a byte-stream interface (TCP socket, serial), as on the real instrument.
    reply_termination: ClassVar[str] = "\n"
    _commands: ClassVar[list[CommandEntry]] = []
    _dispatch: ClassVar[dict[tuple[Tokens, bool], Dispatch | None]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        by_key: dict[str, CommandEntry] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                entries: list[CommandEntry] = []
                if isinstance(attr, Setting):
                    entries = attr.entries()
                elif callable(attr) and hasattr(attr, "_scpi_entries"):
                    entries = attr._scpi_entries
                for entry in entries:
                    by_key[entry.key] = entry
        cls._commands = [entry for entry in by_key.values() if entry.pattern not in cls.withdrawn]
        cls._dispatch = {}

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}
        self.errors = ErrorQueue()
        self.esr = ESR_PON
        self.ese = 0
        self.sre = 0
        self.reset()

    # ----------------------------------------------------------------- settings and hooks for subclasses
    def _reset_settings(self) -> None:
        for klass in reversed(type(self).__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, Setting):
                    self.settings[name] = attr.initial()

    def reset(self) -> None:
        """``*RST``: settings to their defaults. Subclasses extend it to reset their state (outputs off …)."""
        self._reset_settings()

    def device_clear(self) -> None:
        """Device clear (viClear): nothing is pending in a virtual instrument's parser between messages."""

    def push_error(self, code: int, message: str) -> None:
        """Queue an error; the message is cut to the 255 characters SCPI-99 allows (§21.8.2)."""
        self.errors.push(code, message[:_ERROR_CHARS])
        if -199 <= code <= -100:
            self.esr |= ESR_CME
        elif -299 <= code <= -200:
            self.esr |= ESR_EXE
        elif -399 <= code <= -300 or code > 0:
            self.esr |= ESR_DDE
        elif -499 <= code <= -400:
            self.esr |= ESR_QYE

    def summary_bits(self) -> int:
        """Status-byte bits that instrument-specific registers summarise into (none here)."""
        return 0

    def status_byte(self) -> int:
        stb = self.summary_bits() | (STB_EAV if len(self.errors) else 0)
        if self.esr & self.ese:
            stb |= STB_ESB
        if stb & self.sre & ~STB_MSS:
            stb |= STB_MSS
        return stb

    # ----------------------------------------------------------------- message processing
    def handle(self, message: str) -> str | bytes | None:
        """Execute one program message; return the query responses joined by ';' (None if there were none)."""
        responses: list[str | bytes] = []
        path: Tokens = ()
        try:
            units = split_outside_quotes(message.strip(), ";")
        except ScpiError as err:
            self.push_error(err.code, err.text)
            return None
        for unit in units:
            unit = unit.strip()
            if not unit:
                continue
            try:
                response, path = self._execute(unit, path)
            except ScpiError as err:
                self.push_error(err.code, err.text)
                break  # IEEE 488.2: the rest of a message after an error is not executed
            except Exception as exc:  # a bug in a virtual instrument must not take the server down
                log.exception("virtual instrument failed on %r", unit)
                self.push_error(-300, f"Device-specific error; {type(exc).__name__}: {exc}")
                break
            if response is not None:
                responses.append(response)
        if not responses:
            return None
        if any(isinstance(r, bytes) for r in responses):
            return b";".join(r if isinstance(r, bytes) else r.encode() for r in responses)
        return ";".join(responses)  # type: ignore[arg-type]

    def _execute(self, unit: str, path: Tokens) -> tuple[Any, Tokens]:
        header, *rest = unit.split(None, 1)
        arg_text = rest[0].strip() if rest else ""
        query = header.endswith("?")
        name = header[:-1] if query else header
        if not name or name.endswith(":") or "::" in name:
            raise ScpiError(-102, f"header '{header}'")
        common = name.startswith("*")
        rooted = name.startswith(":")
        tokens = header_tokens(name)
        candidates = [tokens] if (common or rooted or not path) else [path + tokens, tokens]
        for absolute in candidates:
            hit = self._lookup(absolute, query)
            if hit is None:
                continue
            entry, captured = hit
            values = self._parse_arguments(entry, arg_text)
            result = entry.handler(self, *captured, *values)
            new_path = path if common else absolute[:-1]
            return result, new_path
        if any(match_nodes(e.nodes, absolute) is not None for absolute in candidates for e in self._commands):
            raise ScpiError(-113, f"'{header}' has no {'query' if query else 'command'} form")
        if any(e.query == query and match_nodes(e.nodes, absolute, any_suffix=True) is not None
               for absolute in candidates for e in self._commands):
            raise ScpiError(-114, f"'{header}'")
        raise ScpiError(-113, f"'{header}'")

    def _lookup(self, tokens: Tokens, query: bool) -> Dispatch | None:
        """The command entry ``tokens`` address and its captured suffixes, remembered per class.

        When several headers match, the one that implies the fewest default (optional) nodes wins, as an
        instrument's parser walks its tree (SCPI-99 vol. 1 §6.2.6): a default node is entered only when no explicit
        node takes the mnemonic, so ``VOLT:RANG`` is ``:VOLTage:RANGe`` before ``[:SENSe]:VOLTage:RANGe``; among
        equals the first declared. Each token matches one node, so the implied nodes are the entry's surplus nodes.
        """
        cache = type(self)._dispatch
        key = (tokens, query)
        if key in cache:
            return cache[key]
        found = None
        for entry in self._commands:
            if found is not None and len(entry.nodes) >= len(found[0].nodes):
                continue
            if entry.query == query and (captured := match_nodes(entry.nodes, tokens)) is not None:
                found = (entry, tuple(captured))
        if len(cache) < _DISPATCH_CACHE_SIZE and len(tokens) <= _CACHED_PATH_NODES:
            cache[key] = found
        return found

    @staticmethod
    def _parse_arguments(entry: CommandEntry, arg_text: str) -> list[Any]:
        tokens = [t.strip() for t in split_outside_quotes(arg_text, ",")] if arg_text else []
        if any(not t for t in tokens):
            raise ScpiError(-102, "empty parameter")
        params = entry.params
        variadic = params[-1] if params and isinstance(params[-1], Variadic) else None
        fixed = params[:-1] if variadic else params
        if variadic is None and len(tokens) > len(params):
            raise ScpiError(-108, f"{len(tokens)} given, at most {len(params)} accepted")
        values: list[Any] = []
        for i, param in enumerate(fixed):
            if i < len(tokens):
                values.append(param.parse(tokens[i]))
            elif param.optional:
                values.append(param.default)
            else:
                raise ScpiError(-109, f"{entry.pattern} takes {len(params)}")
        if variadic is not None:
            rest = [variadic.parse(t) for t in tokens[len(fixed):]]
            if not variadic.minimum <= len(rest) <= variadic.maximum:
                raise ScpiError(-109 if len(rest) < variadic.minimum else -108,
                                f"{len(rest)} values, {variadic.minimum}..{variadic.maximum} accepted")
            values.append(rest)
        return values

    # ----------------------------------------------------------------- IEEE 488.2 common commands
    @command("*IDN?")
    def _idn(self) -> str:
        return ",".join(self.idn)

    @command("*RST")
    def _rst(self) -> None:
        self.reset()

    @command("*CLS")
    def _cls(self) -> None:
        self.errors.clear()
        self.esr = 0

    @command("*OPC")
    def _opc(self) -> None:
        self.esr |= ESR_OPC  # virtual operations complete as they are executed

    @command("*OPC?")
    def _opc_query(self) -> str:
        return "1"

    @command("*WAI")
    def _wai(self) -> None:
        return None

    @command("*OPT?")
    def _opt_query(self) -> str:
        return ",".join(self.installed_options) or "0"

    @command("*TST?")
    def _tst(self) -> str:
        return "0"

    @command("*ESR?")
    def _esr_query(self) -> str:
        value, self.esr = self.esr, 0
        return str(value)

    @command("*ESE", Integer(0, 0, 255))
    def _ese(self, value: int) -> None:
        self.ese = value

    @command("*ESE?")
    def _ese_query(self) -> str:
        return str(self.ese)

    @command("*SRE", Integer(0, 0, 255))
    def _sre(self, value: int) -> None:
        self.sre = value

    @command("*SRE?")
    def _sre_query(self) -> str:
        return str(self.sre)

    @command("*STB?")
    def _stb_query(self) -> str:
        return str(self.status_byte())

    # ----------------------------------------------------------------- SCPI mandated SYSTem commands
    @command(":SYSTem:ERRor[:NEXT]?")
    def _system_error(self) -> str:
        code, text = self.errors.pop()
        return f'{code},"{text}"'

    @command(":SYSTem:ERRor:ALL?")
    def _system_error_all(self) -> str:
        out = []
        while len(self.errors):
            code, text = self.errors.pop()
            out.append(f'{code},"{text}"')
        return ",".join(out) or '0,"No error"'

    @command(":SYSTem:ERRor:COUNt?")
    def _system_error_count(self) -> str:
        return str(len(self.errors))

    @command(":SYSTem:VERSion?")
    def _system_version(self) -> str:
        return "1999.0"
