"""The part of Lua that a TSP instrument's remote user sends: tokens, a parser of statements and expressions
(calls, assignments to variables and attributes, arithmetic, concatenation, tables), and the values it works on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"""(?P<space>\s+|--[^\n]*)|(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|"""
                    r"""(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(?P<name>[A-Za-z_]\w*)|"""
                    r"""(?P<op>\.\.|[-+*/(),=.\[\];{}])""")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
_KEYWORDS = {"nil": None, "true": True, "false": False}
#: Nesting a chunk may reach (Lua's LUAI_MAXCCALLS): parentheses, calls, indexing and operator chains all count,
#: so that neither the parser nor the evaluation of what it builds can exhaust the Python stack.
MAX_LEVELS = 200


class TspError(Exception):
    """An error the 707B queues: TSP syntax (-285) and runtime (-286) errors and the library's own."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def runtime_error(text: str) -> TspError:
    return TspError(-286, f"TSP Runtime error at line 1: {text}")


def syntax_error(text: str) -> TspError:
    return TspError(-285, f"TSP Syntax error at line 1: {text}")


def tokenize(text: str) -> list[tuple[str, Any]]:
    """Lua tokens (kind, value) of a chunk, ending with ("eof", "<eof>")."""
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            near = text[pos]
            if near in "'\"":
                raise syntax_error(f"unfinished string near `{text[pos:pos + 20]}'")
            raise syntax_error(f"unexpected symbol near `{near}'")
        pos = m.end()
        kind = m.lastgroup or "space"
        if kind == "number":
            tokens.append(("number", float(m.group())))
        elif kind == "string":
            body = m.group()[1:-1]
            tokens.append(("string", re.sub(r"\\(.)", lambda e: _ESCAPES.get(e.group(1), e.group(1)), body)))
        elif kind == "name" and m.group() in _KEYWORDS:
            tokens.append(("const", _KEYWORDS[m.group()]))
        elif kind != "space":
            tokens.append((kind, m.group()))
    return [*tokens, ("eof", "<eof>")]


class Parser:
    """Recursive descent over the tokens: chunk := {statement [';']}; statement := call | targets '=' values."""

    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0  # levels of the expression being built, up to MAX_LEVELS

    def nest(self) -> None:
        """One level deeper: Lua refuses a chunk nested deeper than :data:`MAX_LEVELS`."""
        self.depth += 1
        if self.depth > MAX_LEVELS:
            raise syntax_error("chunk has too many syntax levels")

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.pos]

    def take(self) -> tuple[str, Any]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, op: str) -> bool:
        if self.peek() == ("op", op):
            self.pos += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.accept(op):
            raise syntax_error(f"`{op}' expected near `{self._near()}'")

    def _near(self) -> str:
        kind, value = self.peek()
        if kind == "string":
            return f'"{value}"'
        if kind == "number":
            return f"{value:g}"
        return {None: "nil", True: "true", False: "false"}[value] if kind == "const" else str(value)

    def chunk(self) -> list[tuple]:
        statements = []
        while self.peek()[0] != "eof":
            if not self.accept(";"):
                statements.append(self.statement())
        return statements

    def statement(self) -> tuple:
        first = self.suffixed()
        if self.peek() in (("op", "="), ("op", ",")):
            targets = [first]
            while self.accept(","):
                targets.append(self.suffixed())
            if any(t[0] not in ("name", "index") for t in targets):
                raise syntax_error(f"unexpected symbol near `{self._near()}'")
            self.expect("=")
            return ("assign", targets, self.expressions())
        if first[0] != "call":
            raise syntax_error(f"`=' expected near `{self._near()}'")
        return ("call", first)

    def suffixed(self) -> tuple:
        start = self.depth
        kind, value = self.peek()
        if kind == "name":
            self.take()
            expr: tuple = ("name", value)
        elif self.accept("("):
            expr = ("paren", self.expression())
            self.expect(")")
        else:
            raise syntax_error(f"unexpected symbol near `{self._near()}'")
        while True:
            self.nest()
            if self.accept("."):
                kind, value = self.take()
                if kind != "name":
                    raise syntax_error(f"<name> expected near `{value}'")
                expr = ("index", expr, ("const", value))
            elif self.accept("["):
                expr = ("index", expr, self.expression())
                self.expect("]")
            elif self.accept("("):
                args = [] if self.accept(")") else self.expressions()
                if args:
                    self.expect(")")
                expr = ("call", expr, args)
            elif self.peek()[0] == "string":  # f"text" call syntax
                expr = ("call", expr, [("const", self.take()[1])])
            else:
                self.depth = start
                return expr

    def expressions(self) -> list[tuple]:
        out = [self.expression()]
        while self.accept(","):
            out.append(self.expression())
        return out

    def expression(self) -> tuple:
        """expression := term {('+' | '-' | '..') term} (left to right; '..' is looser in Lua, not needed here)."""
        start = self.depth
        self.nest()
        expr = self.term()
        while self.peek() in (("op", "+"), ("op", "-"), ("op", "..")):
            self.nest()
            expr = ("binary", self.take()[1], expr, self.term())
        self.depth = start
        return expr

    def term(self) -> tuple:
        start = self.depth
        expr = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            self.nest()
            expr = ("binary", self.take()[1], expr, self.unary())
        self.depth = start
        return expr

    def unary(self) -> tuple:
        if self.accept("-"):
            start = self.depth
            self.nest()
            expr = ("neg", self.unary())
            self.depth = start
            return expr
        kind, value = self.peek()
        if kind in ("number", "string", "const"):
            self.take()
            return ("const", value)
        return self.suffixed()


@dataclass
class Attribute:
    """A library attribute: read with ``get``; written with ``set`` (None: read-only)."""

    get: Callable[[], Any]
    set: Callable[[Any], None] | None = None


class Table:
    """A library table (``channel``, ``errorqueue``, …): fields are constants, functions or attributes."""

    def __init__(self, name: str, fields: dict[str, Any]) -> None:
        self.name = name
        self.fields = fields


def lua_type(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "table" if isinstance(value, Table) else "function"


def argument(args: list[Any], index: int, function: str, kind: str, optional: bool = False) -> Any:
    """Argument ``index`` (0-based) of ``function`` checked to be a Lua ``kind`` ("string", "number")."""
    value = args[index] if index < len(args) else None
    if value is None and optional:
        return None
    if lua_type(value) != kind:
        got = "no value" if index >= len(args) else lua_type(value)
        raise runtime_error(f"bad argument #{index + 1} to `{function}' ({kind} expected, got {got})")
    return value
