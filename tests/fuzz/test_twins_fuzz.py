"""Every registered twin under fuzzing: grammar-aware bad values, mutated valid lines and junk never crash it.

A twin's ``handle()`` must be total: whatever a driver (or a broken script) sends, no exception escapes, nothing
is logged as a twin failure, an invalid line leaves a standard negative SCPI code in ``twin.errors`` (the SR830 and
the Lake Shore 425 have no error queue on the wire but record refusals there too), and the next query answers its
own question (``*IDN?`` right after gives the identification, not a stale reply). Headers and parameters come from
each twin's own command table. Twins of instruments that do not speak SCPI (the 707B's TSP, the ESP300's two-letter
commands) get only the mutations and the junk, and their refusals carry the instrument's own error codes.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtjhw.registry import REGISTRY
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.instruments import esp300, lockin, mpi_sentio, sr860
from mtjhw.simulators.scpi import Boolean, Enum, Numeric, String, Variadic
from mtjhw.simulators.scpi.commands import CommandEntry, Node
from mtjhw.simulators.scpi.errors import STANDARD_ERRORS, ScpiError
from mtjhw.simulators.scpi.instrument import header_tokens
from mtjhw.simulators.scpi.parameters import Param

#: The DUT each twin runs on, as in tests/conformance/conftest.py (a pMTJ unless the instrument needs another).
DUT_FOR = {"keysight-n9010b": "stno", "keysight-n9030b": "stno", "rs-fsw": "stno", "keithley707b": "array"}
#: Headers left out of the grammar: they send the answers elsewhere (the SR830's OUTX picks the interface).
NO_FUZZ = {"OUTX"}
#: The SRS lock-ins' twins (mnemonic protocols, no SCPI command tables): their modules' ``SETTINGS``.
LOCKINS = {"sr830": lockin, "sr860": sr860}
#: Examples per twin and test: the whole file stays well under 25 s; MTJHW_FUZZ_EXAMPLES=2000 for a deep run.
EXAMPLES = int(os.environ.get("MTJHW_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: Valid TSP lines of the 707B, seeds for the mutations.
TSP_LINES = ("print(localnode.model, localnode.serialno)", 'channel.close("1A01,1B02")', 'channel.open("allslots")',
             "print(channel.getclose(\"slot1\"))", "print(errorqueue.count)", "print(2.54, 1/4 + 2*3)",
             "format.asciiprecision = 6", "*ESE 16", "*STB?")
#: Valid TSP lines of the 2636B, seeds for the mutations.
K2600_LINES = ("smua.source.levelv = 0.1", "print(smua.measure.i(), status.measurement.instrument.smua.condition)",
               "smua.source.output = smua.OUTPUT_ON", "smub.source.func = smub.OUTPUT_DCAMPS smub.source.leveli = 1e-6",
               "smua.trigger.source.listv({0.1, -0.1}) smua.trigger.count = 2 smua.trigger.measure.i(smua.nvbuffer1)",
               "smua.trigger.source.action = 1 smua.trigger.measure.action = 1 smua.trigger.initiate() waitcomplete()",
               "printbuffer(1, 2, smua.nvbuffer1.readings)", "print(errorqueue.next())", "reset()", "*STB?")
#: Valid lines of the ESP300 (axis number, two letters, argument), seeds for the mutations.
ESP_LINES = ("1PA10", "1PR-5", "1TP", "1MD?", "1VA10", "1VA?", "1SN?", "1MO", "1ST", "TB?", "TE?", "VE?")


def _esp_code(code: int) -> bool:
    """An ESP300 error code: general (1–41) or an axis's (axis·100 + its two digits)."""
    return code in esp300.GENERAL_ERRORS or (1 <= code // 100 <= 3 and code % 100 in esp300.AXIS_ERRORS)


#: Valid SENTIO remote commands, seeds for the mutations.
SENTIO_LINES = ("map:step_die 5, 5", "move_chuck_contact", "move_chuck_separation", "map:die:get_current_index",
                "map:get_num_dies", "map:path:get_die 3", "get_chuck_xy", "get_chuck_z", "*RCS 1")
SENTIO_CODES = {mpi_sentio.INTERNAL_ERROR, mpi_sentio.UNKNOWN_COMMAND, mpi_sentio.INVALID_PARAMETER,
                mpi_sentio.NOT_SEPARATED}


#: Twins whose instruments do not speak SCPI: (valid lines to mutate, whether a code is one of the instrument's own)
NATIVE = {"keithley707b": (TSP_LINES, lambda code: True), "newport-esp300": (ESP_LINES, _esp_code),
          "keithley2636b": (K2600_LINES, lambda code: code in (-285, -286, 1101, 1102)),
          "mpi-sentio": (SENTIO_LINES, lambda code: code in SENTIO_CODES)}
ALPHABET = ":;,?*'\"#()[] \t\r\n.-+eE019AaZz\x00\x7f\u00b2\u0663"


class _Failures(logging.Handler):
    """Collects what the twins log as their own failures (a caught exception is still a bug)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@functools.cache
def _twin(name: str) -> Any:
    """One twin per registered instrument for the whole module (its state carries over between examples)."""
    bench = VirtualBench(build_dut({"model": DUT_FOR.get(name, "pmtj")}), seed=5)
    return REGISTRY[name].twin(bench)


@functools.cache
def _identity(name: str) -> Any:
    return _twin(name).handle("*IDN?")


@pytest.fixture
def failures() -> Iterator[_Failures]:
    handler = _Failures()
    logger = logging.getLogger("mtjhw")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _send(name: str, line: str, failures: _Failures) -> list[int]:
    """Send ``line`` to a cleared twin; the error codes it left. Asserts the twin stayed sound and in sync."""
    twin = _twin(name)
    twin.errors.clear()
    twin.handle(line)
    codes = []
    while len(twin.errors):
        codes.append(twin.errors.pop()[0])
    crashes = [r.getMessage() for r in failures.records]
    failures.records.clear()
    assert not crashes, f"{name} failed on {line[:200]!r}: {crashes}"
    own = NATIVE[name][1] if name in NATIVE else (lambda c: c < 0 and c in STANDARD_ERRORS)
    assert all(own(c) for c in codes), f"{name}: {line[:200]!r} gave {codes}"
    assert twin.handle("*IDN?") == _identity(name), f"{name} out of sync after {line[:200]!r}"
    return codes


# ----------------------------------------------------------------------------------------------- grammar
def _case(draw: st.DrawFn, word: str) -> str:
    return draw(st.sampled_from([word.upper(), word.lower(), word.capitalize()]))


def _node(draw: st.DrawFn, node: Node) -> str:
    word = _case(draw, draw(st.sampled_from([node.short, node.long])))
    if node.capture:
        return word + draw(st.sampled_from(["", "1", "2", "3"]))
    return word + draw(st.sampled_from(["", str(node.fixed_suffix or 1)]))


@st.composite
def _header(draw: st.DrawFn, entry: CommandEntry) -> str:
    """A spelling of ``entry``'s header: short or long forms, any case, optional nodes or not, suffixes."""
    words = [_node(draw, n) for n in entry.nodes if not n.optional or draw(st.booleans())]
    if not words:
        words = [_node(draw, entry.nodes[-1])]
    rooted = ":" if not words[0].startswith("*") and draw(st.booleans()) else ""
    return rooted + ":".join(words) + ("?" if entry.query else "")


def _valid_token(param: Param) -> str:
    """A token ``param`` takes (its default or the bottom of its range)."""
    if isinstance(param, Variadic):
        return _valid_token(param.item)
    if isinstance(param, Numeric):
        value = param.default if isinstance(param.default, (int, float)) else param.minimum
        return repr(value if math.isfinite(value) else 1.0)
    if isinstance(param, Boolean):
        return "ON"
    if isinstance(param, Enum):
        return param.choices[0]
    if isinstance(param, String):
        return '"x"'
    return "1"


def _bad_tokens(param: Param) -> list[str]:
    """Tokens ``param`` must refuse: NaN and undeclared infinities, overflow, out of range, wrong type."""
    if isinstance(param, Variadic):
        return _bad_tokens(param.item)
    if isinstance(param, Numeric):
        bad = ["NAN", "NINF", "-INF", "1E400", "'1'", "#Q"] + ([] if param.infinity else ["INF", "inf"])
        if math.isfinite(param.maximum):
            bad.append(repr(param.maximum + abs(param.maximum) + 1.0))
        if math.isfinite(param.minimum):
            bad.append(repr(param.minimum - abs(param.minimum) - 1.0))
        return bad
    junk = ["MAYBE", "NAN", "QZXJW", "unquoted", "'unterminated", "#H"]
    refused = []
    for token in junk:
        try:
            param.parse(token)
        except ScpiError:
            refused.append(token)
    return refused


@st.composite
def _bad_arguments(draw: st.DrawFn, entry: CommandEntry) -> str | None:
    """Program data ``entry`` must refuse (a bad value, too many or too few), or None if it takes anything."""
    params = entry.params
    variadic = bool(params) and isinstance(params[-1], Variadic)
    kinds = [("many", -1)] if not variadic else []
    kinds += [("few", i) for i, p in enumerate(params) if not p.optional][:1]
    kinds += [("bad", i) for i, p in enumerate(params) if _bad_tokens(p)]
    if not kinds:
        return None
    kind, i = draw(st.sampled_from(kinds))
    valid = [_valid_token(p) for p in params]
    if kind == "many":
        return ",".join([*valid, "1"])
    if kind == "few":
        return ",".join(valid[:i]) or ""
    return ",".join([*valid[:i], draw(st.sampled_from(_bad_tokens(params[i])))])


def _scpi_entries(name: str) -> list[CommandEntry]:
    return type(_twin(name))._commands


@st.composite
def _bad_scpi_line(draw: st.DrawFn, name: str) -> str:
    """An invalid program message of a command-table twin: a header it has with program data it must refuse."""
    entry = draw(st.sampled_from(_scpi_entries(name)))
    header = draw(_header(entry))
    bare = header.rstrip("?")
    hit = _twin(name)._lookup(header_tokens(bare), entry.query)
    arguments = draw(_bad_arguments(hit[0])) if hit else "1"  # no hit: a suffix out of range (-114)
    if arguments is None:  # a header that takes anything: an unknown node under it instead
        return f"{bare}:QZXJW{'?' if entry.query else ''}"
    return f"{header} {arguments}" if arguments else header


@st.composite
def _bad_sr830_line(draw: st.DrawFn, twin: str = "sr830") -> str:
    """An invalid SR830 (or SR860) command: a stored setting with a value out of its range, a non-number or a
    wrong count."""
    table = LOCKINS[twin].SETTINGS
    name = draw(st.sampled_from(sorted(table)))
    spec = table[name]
    value = draw(st.sampled_from([spec.high + abs(spec.high) + 1, spec.low - abs(spec.low) - 1]))
    return draw(st.sampled_from([f"{name} {value!r}", f"{name} NAN", f"{name} INF", f"{name} 1E400",
                                 f"{name} 1,1", f"{name}? 1", f"{name}"]))


def _bad_line(name: str) -> st.SearchStrategy[str]:
    return _bad_sr830_line(name) if name in LOCKINS else _bad_scpi_line(name)


# ----------------------------------------------------------------------------------------------- valid lines
@st.composite
def _valid_line(draw: st.DrawFn, name: str) -> str:
    if name in NATIVE:
        return draw(st.sampled_from(NATIVE[name][0]))
    if name in LOCKINS:
        table = LOCKINS[name].SETTINGS
        setting = draw(st.sampled_from(sorted(set(table) - NO_FUZZ)))
        return draw(st.sampled_from([f"{setting}?", f"{setting} {table[setting].default}"]))
    entry = draw(st.sampled_from([e for e in _scpi_entries(name) if e.nodes[0].short not in NO_FUZZ]))
    header = draw(_header(entry))
    arguments = ",".join(_valid_token(p) for p in entry.params if not p.optional or draw(st.booleans()))
    return f"{header} {arguments}" if arguments else header


@st.composite
def _mutated(draw: st.DrawFn, name: str) -> str:
    """A valid line with a few characters deleted, inserted, duplicated or changed in case; often compounded."""
    line = draw(_valid_line(name))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(line)))
        span = draw(st.integers(0, 4))
        edit = draw(st.sampled_from(["delete", "insert", "duplicate", "swapcase"]))
        if edit == "delete":
            line = line[:at] + line[at + span:]
        elif edit == "insert":
            line = line[:at] + draw(st.text(ALPHABET, min_size=1, max_size=3)) + line[at:]
        elif edit == "duplicate":
            line = line[:at] + line[at:at + span] * 2 + line[at + span:]
        else:
            line = line[:at] + line[at:at + span].swapcase() + line[at + span:]
    if draw(st.booleans()):
        line += ";" + draw(_valid_line(name))
    return line


SCPI_TWINS = sorted(set(REGISTRY) - set(NATIVE))


@pytest.mark.parametrize("name", SCPI_TWINS)
def test_invalid_lines_leave_a_standard_error_and_the_twin_in_sync(name: str, failures: _Failures) -> None:
    @FUZZ
    @given(line=_bad_line(name))
    def check(line: str) -> None:
        assert _send(name, line, failures), f"{name} accepted {line!r}"

    check()


def _long_form(entry: CommandEntry) -> str:
    """The header in long form with every optional node (the spelling that addresses ``entry`` itself)."""
    return ":".join(n.long for n in entry.nodes) + ("?" if entry.query else "")


@pytest.mark.parametrize("name", SCPI_TWINS)
def test_every_numeric_parameter_refuses_nan_and_undeclared_infinity(name: str, failures: _Failures) -> None:
    """Each number a twin takes, swept in full: NAN, NINF and overflow always refused, INF unless declared."""
    swept = 0
    for entry in _scpi_entries(name):
        for i, param in enumerate(entry.params):
            if not isinstance(param, Numeric):
                continue
            head = ",".join(_valid_token(p) for p in entry.params[:i])
            for token in ("NAN", "NINF", "1E400") + (() if param.infinity else ("INF",)):
                line = f"{_long_form(entry)} {head + ',' if head else ''}{token}"
                assert _send(name, line, failures), f"{name} accepted {line!r}"
                swept += 1
    assert swept, f"{name} takes no numbers?"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_mutated_valid_lines_never_crash_nor_desynchronise(name: str, failures: _Failures) -> None:
    @FUZZ
    @given(line=_mutated(name))
    def check(line: str) -> None:
        _send(name, line, failures)

    check()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_junk_never_crashes_nor_desynchronises(name: str, failures: _Failures) -> None:
    @FUZZ
    @given(junk=st.one_of(st.binary(max_size=64).map(lambda b: b.decode("latin-1")), st.text(max_size=64)))
    def check(junk: str) -> None:
        _send(name, junk, failures)

    check()


#: Lines that once crashed a twin or cost it time out of proportion to their length: deep Lua nesting (Python's
#: recursion limit), suffixes of thousands of digits (int() refuses over 4300), numbers that made the number
#: pattern backtrack quadratically (20 000 digits then a stray character took 10 s).
DEEP = 5000
PATHOLOGICAL = [
    "print(" + "(" * DEEP + "1" + ")" * DEEP + ")", "print(" + "- " * DEEP + "1)", "print(" + "1+" * DEEP + "1)",
    "print(" + "a." * DEEP + "b)", "f" + "()" * DEEP, "x" + "[1]" * DEEP + " = 1", "*SRE " + "9" * DEEP,
    "SOUR" + "1" * DEEP + ":VOLT?", "OUTP" + "1" * DEEP + "?", "FREQ " + "1" * 20_000 + "?", "FREQ 1e99999999999",
    "*ESE " + "1" * 20_000 + "X", '"' * (DEEP + 1), ";" * 100_000, "A" * 100_000, ":DISP:TEXT " + '"a,",' * 20_000,
    "X" * 13 + "?", "delay(0/0)", "delay(1e999)",
]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_pathological_lines_are_refused_in_bounded_time(name: str, failures: _Failures) -> None:
    for line in PATHOLOGICAL:
        start = time.perf_counter()
        _send(name, line, failures)
        assert time.perf_counter() - start < 2.0, f"{name} took too long on {line[:40]!r}…"
    assert math.isfinite(_twin(name).bench.time), f"{name} stopped its bench's clock"
