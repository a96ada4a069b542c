"""Typed SCPI program data: numbers with units and MIN/MAX/DEF, booleans, mnemonics (enums) and strings.

Each parameter type parses one comma-separated token of a program message into a Python value and formats a
value for a query response. Parsing failures raise :class:`ScpiError` with the standard code.

Non-finite numbers (SCPI-99 vol. 1 §7.2.1.5): only a parameter declared with ``infinity=True`` (a load, a count)
takes ``INFinity``, parsed to SCPI's representation 9.9E37; ``NAN`` and ``NINFinity`` are never settings, nor is
``INF`` where not declared (all -224), and a literal that overflows a float (``1E400``) is out of range (-222).
"""

from __future__ import annotations

import functools
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from .errors import ScpiError

_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z%]*)$")
#: SCPI's representation of INFinity, what a query answers for an infinite value.
SCPI_INFINITY = 9.9e37
_NON_FINITE = ("INF", "+INF", "-INF", "NINF", "NAN", "+NAN", "-NAN", "INFINITY", "+INFINITY", "-INFINITY",
               "NINFINITY")
_PREFIXES = {"EX": 1e18, "PE": 1e15, "T": 1e12, "G": 1e9, "MA": 1e6, "K": 1e3, "M": 1e-3, "U": 1e-6,
             "N": 1e-9, "P": 1e-12, "F": 1e-15, "": 1.0}


@functools.lru_cache(maxsize=1024)  # called for every MIN/MAX/DEF check of every number parsed
def mnemonic_forms(mnemonic: str) -> tuple[str, str]:
    """Short and long form of a mnemonic written in SCPI mixed case ('VOLTage' → ('VOLT', 'VOLTAGE'))."""
    short = "".join(c for c in mnemonic if c.isupper() or c.isdigit() or c == "*") or mnemonic.upper()
    return short, mnemonic.upper()


def mnemonic_matches(token: str, mnemonic: str) -> bool:
    """Whether ``token`` is the short or long form of ``mnemonic`` (case-insensitive)."""
    return token.upper() in mnemonic_forms(mnemonic)


def unquote(token: str) -> str | None:
    """The content of a quoted SCPI string (either quote, doubled quotes escaped), or None if not quoted."""
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        q = token[0]
        inner = token[1:-1]
        if q in inner.replace(q + q, ""):
            return None
        return inner.replace(q + q, q)
    return None


class Param(ABC):
    """Base class of parameter types. ``default`` is the value a reset sets (for settings)."""

    def __init__(self, default: Any = None, *, optional: bool = False) -> None:
        self.default = default
        self.optional = optional

    @abstractmethod
    def parse(self, token: str) -> Any:
        """The value of one program-data token; :class:`ScpiError` if it is not one."""

    def format(self, value: Any) -> str:
        return str(value)


class Numeric(Param):
    """A decimal number with an optional unit suffix (``100 mV``, ``1.5GHZ``) and MIN/MAX/DEF.

    ``unit`` is the SI unit mnemonic accepted as suffix ('V', 'A', 'HZ', 'S', 'OHM', 'DBM', 'T', …);
    values outside [``minimum``, ``maximum``] raise -222 Data out of range. With ``infinity`` the parameter also
    takes ``INFinity`` (:data:`SCPI_INFINITY`, outside the range check, never rounded); ``NAN``, ``NINFinity`` and
    an undeclared ``INF`` are -224 Illegal parameter value.
    """

    def __init__(self, default: float | None = 0.0, minimum: float = -math.inf, maximum: float = math.inf,
                 unit: str = "", *, integer: bool = False, optional: bool = False,
                 specials: dict[str, float] | None = None, infinity: bool = False) -> None:
        super().__init__(default, optional=optional)
        self.minimum = minimum
        self.maximum = maximum
        self.unit = unit.upper()
        self.integer = integer
        self.infinity = infinity
        self.specials = dict(specials or {})  # mnemonics in mixed case (short form = capitals)

    def _special(self, token: str) -> float | None:
        up = token.upper()
        for name, value in (("MINimum", self.minimum), ("MAXimum", self.maximum), ("DEFault", self.default)):
            if mnemonic_matches(up, name) and value is not None and math.isfinite(value):
                return value
        for name, value in self.specials.items():
            if mnemonic_matches(up, name):
                return value
        if up not in _NON_FINITE:
            return None
        if not self.infinity or "NAN" in up or up[0] in "N-":
            raise ScpiError(-224, f"'{token}' (this parameter takes {'INF or ' if self.infinity else ''}"
                                  "finite numbers only)")
        return SCPI_INFINITY

    def _scale(self, suffix: str) -> float:
        s = suffix.upper()
        if not s:
            return 1.0
        if self.unit and s.endswith(self.unit):
            prefix = s[: len(s) - len(self.unit)]
            if prefix == "M" and self.unit in ("HZ", "OHM"):
                return 1e6  # SCPI exceptions: MHZ and MOHM are mega
            if prefix in _PREFIXES:
                return _PREFIXES[prefix]
        if not self.unit or s != self.unit:
            # A bare multiplier without unit ('100m') is not SCPI; reject with -131
            raise ScpiError(-131, f"'{suffix}' (expected {self.unit or 'no unit'})")
        return 1.0

    def parse(self, token: str) -> float | int:
        m = _NUMBER.match(token)  # first: a number is no mnemonic, and lists of numbers are long
        if m:
            value = float(m.group(1)) * self._scale(m.group(2))
        elif (special := self._special(token)) == SCPI_INFINITY and self.infinity:
            return special  # an infinite load or count: no range, no rounding
        elif special is not None:
            value = special
        elif token[:1].isalpha():
            raise ScpiError(-224, f"'{token}'")
        else:
            raise ScpiError(-104 if token[:1] in "'\"#" else -120, f"'{token}'")
        if not (math.isfinite(value) and self.minimum <= value <= self.maximum):
            raise ScpiError(-222, f"{token} not in [{self.minimum:g}, {self.maximum:g}] {self.unit}".rstrip())
        return int(round(value)) if self.integer else value

    def format(self, value: float) -> str:
        if self.integer:
            return str(int(value))
        return f"{float(value):+.9E}"


class Integer(Numeric):
    """A whole number (rounded), with the same range checks and MIN/MAX/DEF as :class:`Numeric`."""

    def __init__(self, default: int | None = 0, minimum: float = -math.inf, maximum: float = math.inf,
                 *, optional: bool = False) -> None:
        super().__init__(default, minimum, maximum, integer=True, optional=optional)


class Boolean(Param):
    """``ON|OFF|1|0``; queries answer ``1`` or ``0``."""

    def parse(self, token: str) -> bool:
        up = token.upper()
        if up in ("ON", "1"):
            return True
        if up in ("OFF", "0"):
            return False
        m = _NUMBER.match(up)
        value = float(m.group(1)) if m and not m.group(2) else math.nan
        if not math.isfinite(value):  # a finite decimal number is rounded (IEEE 488.2 §7.7.2.2); NAN or INF not
            raise ScpiError(-224, f"'{token}' (expected ON|OFF|1|0)")
        return abs(value) >= 0.5

    def format(self, value: bool) -> str:
        return "1" if value else "0"


class Enum(Param):
    """One of a set of mnemonics written in SCPI mixed case (``VOLTage``); parses to the long form.

    Quoted forms (``"VOLT"``) are accepted as well, as Keithley's TSP-era SCPI uses them for functions.
    Queries answer ``responses[value]`` when given, else the short form.
    """

    def __init__(self, choices: Sequence[str], default: str | None = None, *, optional: bool = False,
                 responses: dict[str, str] | None = None) -> None:
        self.choices = list(choices)
        super().__init__(self._canonical(default) if default else None, optional=optional)
        self.responses = {self._canonical(k): v for k, v in (responses or {}).items()}

    def _canonical(self, token: str) -> str:
        for choice in self.choices:
            if mnemonic_matches(token, choice):
                return mnemonic_forms(choice)[1]
        raise ScpiError(-224, f"'{token}' (expected one of {'|'.join(self.choices)})")

    def parse(self, token: str) -> str:
        inner = unquote(token)
        return self._canonical(inner if inner is not None else token)

    def format(self, value: str) -> str:
        if value in self.responses:
            return self.responses[value]
        for choice in self.choices:
            if mnemonic_forms(choice)[1] == value:
                return mnemonic_forms(choice)[0]
        return value


class String(Param):
    """A quoted string; answered quoted with double quotes."""

    def parse(self, token: str) -> str:
        inner = unquote(token)
        if inner is None:
            raise ScpiError(-151, f"{token} (expected a quoted string)")
        return inner

    def format(self, value: str) -> str:
        return '"' + value.replace('"', '""') + '"'


class Raw(Param):
    """Any single token, passed unparsed (character data, quoted or not)."""

    def parse(self, token: str) -> str:
        inner = unquote(token)
        return inner if inner is not None else token


class Variadic(Param):
    """Zero or more (``minimum`` or more) trailing tokens of one type, parsed into a list (lists, elements)."""

    def __init__(self, item: Param, minimum: int = 0, maximum: int = 1_000_000) -> None:
        super().__init__([], optional=minimum == 0)
        self.item = item
        self.minimum = minimum
        self.maximum = maximum

    def parse(self, token: str) -> Any:
        return self.item.parse(token)

    def format(self, value: list[Any]) -> str:
        return ",".join(self.item.format(v) for v in value)
