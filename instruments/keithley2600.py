"""Keithley 2600B System SourceMeter (2636B and its kin, TSP): one channel as the SourceMeter role.

PyMeasure's ``Keithley2600`` plus :class:`~mtjhw.instruments.source_meter.SourceMeterMixin`, for the channel a
bench file names (``channel: a`` or ``b``; the other SMU is left alone except by :meth:`arm_protection`). The
safety gate reads TSP through :func:`tsp_units`: it follows statements of the shapes the drivers send — an
assignment of a number, a constant or a string to a library field (``smua.source.levelv = 0.5``), a call of a
library function with such arguments or number tables (``smua.trigger.source.listv({0.1, 0.2})``), nested calls
(``print(smua.measure.i())``) — checks the levels, limits and sweep lists of both SMUs against the bench limits, and
refuses, under any limit, everything else (loops, functions, variables, arithmetic, indexing other than
``digio.trigger[N]``, scripts, names outside the library), as the 2450's TSP mode is refused. Triggered readings
take digital I/O line 1 as the trigger input.
"""

from __future__ import annotations

import math
import re

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley2600 as _PyMeasureKeithley2600

from ._validators import limited
from .errors import RaisesInstrumentErrors
from .safety import SafetyLimits
from .safety_gate import Rule
from .source_meter import SourceMeterMixin

CHANNELS = ("a", "b")
#: the global names of the 2600B library the gate follows; a statement starting anywhere else is refused
LIBRARY = frozenset({"smua", "smub", "print", "printbuffer", "printnumber", "reset", "waitcomplete", "delay",
                     "errorqueue", "format", "localnode", "status", "display", "opc", "beeper", "digio"})
UNFOLLOWED = "TSPUNFOLLOWED"  #: the header :func:`tsp_units` gives a statement it cannot follow
_TOKEN = re.compile(r"""\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)|"""
                    r"""(?P<string>"[^"\\\n]*"|'[^'\\\n]*')|(?P<op>[-.=(),{};])|(?P<other>\S))""")
_KEYWORDS = frozenset({"and", "break", "do", "else", "elseif", "end", "for", "function", "goto", "if", "in", "local",
                       "not", "or", "repeat", "return", "then", "until", "while", "loadscript",
                       "loadandrunscript", "endscript"})


class _Unfollowed(Exception):
    """A statement outside the shapes :func:`tsp_units` follows."""


class _Statements:
    """Recursive descent over the tokens of a TSP message, collecting (header, arguments) units."""

    def __init__(self, text: str) -> None:
        self.tokens = [(m.lastgroup, m.group(m.lastgroup)) for m in _TOKEN.finditer(text) if m.lastgroup]
        self.pos = 0
        self.units: list[tuple[str, str]] = []

    def peek(self) -> tuple[str | None, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, "")

    def take(self, kind: str | None = None, text: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind is None or (kind and got_kind != kind) or (text is not None and got != text):
            raise _Unfollowed
        self.pos += 1
        return got

    def statement(self) -> None:
        path = self.path(library=True)
        if self.peek() == ("op", "="):
            self.take()
            self.units.append((":".join(path).upper(), self.value()))
        elif self.peek() == ("op", "("):
            self.call(path)
        else:
            raise _Unfollowed

    def path(self, library: bool = False) -> list[str]:
        names = [self.take("name")]
        while self.peek() == ("op", "."):
            self.take()
            names.append(self.take("name"))
            if names == ["digio", "trigger"]:  # the one indexed table followed: a digital I/O trigger line
                self.take("other", "[")
                names[-1] += f"[{self.take('number')}]"
                self.take("other", "]")
        if any(name in _KEYWORDS for name in names) or (library and names[0] not in LIBRARY):
            raise _Unfollowed
        return names

    def call(self, path: list[str]) -> None:
        """``path(args)``: the call is a unit whose arguments are its values (a table's numbers spread out)."""
        self.take("op", "(")
        args: list[str] = []
        while self.peek() != ("op", ")"):
            if args:
                self.take("op", ",")
            if self.peek() == ("op", "{"):
                args.extend(self.table())
            else:
                args.append(self.value(in_call=True))
        self.take("op", ")")
        self.units.append((":".join(path).upper(), ", ".join(args)))

    def table(self) -> list[str]:
        self.take("op", "{")
        values: list[str] = []
        while self.peek() != ("op", "}"):
            if values:
                self.take("op", ",")
            values.append(self.number())
        self.take("op", "}")
        return values

    def number(self) -> str:
        sign = "-" if self.peek() == ("op", "-") and self.take() else ""
        return sign + self.take("number")

    def value(self, in_call: bool = False) -> str:
        """A number, a string, or a library name (a constant, a field, or — in a call's arguments — a call)."""
        kind, text = self.peek()
        if kind == "number" or (kind, text) == ("op", "-"):
            return self.number()
        if kind == "string":
            return self.take()
        path = self.path(library=True) if text not in ("true", "false", "nil") else [self.take()]
        if in_call and self.peek() == ("op", "("):
            self.call(path)
        return ".".join(path)


def tsp_units(message: str) -> list[tuple[str, str]]:
    """The gate's program units of a TSP message: one (``SMUA:SOURCE:LEVELV``, ``"0.5"``) per assignment and per
    call (nested ones too); a statement it cannot follow becomes one :data:`UNFOLLOWED` unit, which the gate
    refuses under any bench limit. IEEE 488.2 common commands (``*RST``) are sent alone."""
    text = message.strip()
    if text.startswith("*"):
        header, _, args = text.partition(" ")
        return [(header, args.strip())]
    parser = _Statements(text)
    try:
        while parser.peek()[0] is not None:
            if parser.peek() == ("op", ";"):
                parser.take()
                continue
            parser.statement()
    except _Unfollowed:
        return [*parser.units, (UNFOLLOWED, text[:60])]
    return parser.units


def _channel_rules(smu: str) -> tuple[Rule, ...]:
    """The rules of one SMU: its levels, compliances, sweep lists and reset."""
    src, trig = f"{smu}:SOURCE", f"{smu}:TRIGGER:SOURCE"
    return (Rule(f"{src}:LEVELV", "voltage"), Rule(f"{src}:LEVELI", "current"),
            Rule(f"{src}:LIMITV", "voltage", floor=0.02), Rule(f"{src}:LIMITI", "current", floor=1e-10),
            Rule(f"{src}:OFFLIMITV", "voltage", floor=0.02), Rule(f"{src}:OFFLIMITI", "current", floor=1e-10),
            Rule(f"{trig}:LIMITV", "voltage", floor=0.02), Rule(f"{trig}:LIMITI", "current", floor=1e-10),
            Rule(f"{trig}:LISTV", "voltage"), Rule(f"{trig}:LISTI", "current"),
            Rule(f"{trig}:LINEARV", "voltage", count=2), Rule(f"{trig}:LINEARI", "current", count=2),
            Rule(f"{trig}:LOGV", "voltage", count=2), Rule(f"{trig}:LOGI", "current", count=2),
            Rule(f"{smu}:RESET", "reset"))


#: the role's controls and the source field each sets
_CONTROLS = {"source_voltage": "levelv", "source_current": "leveli", "compliance_current": "limiti",
             "compliance_voltage": "limitv"}


class Keithley2600(RaisesInstrumentErrors, SourceMeterMixin, _PyMeasureKeithley2600):
    """Keithley 2636B (2600B series), one SMU channel filling the :class:`~mtjhw.instruments.roles.SourceMeter`
    role; levels and compliances are checked before sending, against the SMU's ranges and the bench limits."""

    voltage_range, current_range, compliance_minimum = 200.0, 1.5, (1e-10, 0.02)
    max_readings = 60_000  #: readings of one run (the twin's buffer size; a sweep's list travels in one message)
    gate_scpi_only = False

    source_voltage = Instrument.control(
        "print(smua.source.levelv)", "smua.source.levelv = %g", "Control the source voltage (V).",
        validator=limited("source voltage", "V"), values=[-200, 200], dynamic=True)
    source_current = Instrument.control(
        "print(smua.source.leveli)", "smua.source.leveli = %g", "Control the source current (A).",
        validator=limited("source current", "A"), values=[-1.5, 1.5], dynamic=True)
    compliance_current = Instrument.control(
        "print(smua.source.limiti)", "smua.source.limiti = %g", "Control the current limit (A).",
        validator=limited("compliance current", "A"), values=[1e-10, 1.5], dynamic=True)
    compliance_voltage = Instrument.control(
        "print(smua.source.limitv)", "smua.source.limitv = %g", "Control the voltage limit (V).",
        validator=limited("compliance voltage", "V"), values=[0.02, 200], dynamic=True)

    #: both SMUs' levels, compliances and sweeps; the resets' compliances (20 V, 100 mA); what cannot be followed
    safety_rules = (
        *_channel_rules("SMUA"), *_channel_rules("SMUB"),
        Rule("RESET", "reset"), Rule("*RST", "voltage", preset=20.0), Rule("*RST", "current", preset=0.1),
        Rule("RESET", "voltage", preset=20.0), Rule("RESET", "current", preset=0.1),
        Rule(UNFOLLOWED, "refused", reason="TSP the gate cannot follow (only assignments and calls of the 2600B "
                                           "library with plain values are)"),
    )

    def __init__(self, adapter, name: str = "Keithley 2636B SourceMeter", limits: SafetyLimits | None = None,
                 channel: str = "a", **kwargs) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"channel: must be 'a' or 'b' (got {channel!r})")
        super().__init__(adapter, name, includeSCPI=False, **kwargs)
        self.channel, self.smu = channel, f"smu{channel}"
        for control, field in _CONTROLS.items():
            setattr(self, f"{control}_get_command", f"print({self.smu}.source.{field})")
            setattr(self, f"{control}_set_command", f"{self.smu}.source.{field} = %g")
        self._init_limits(limits)

    def apply_limits(self, limits: SafetyLimits) -> None:
        """The mixin's limits, with the gate reading TSP."""
        super().apply_limits(limits)
        self.adapter.units = tsp_units

    def arm_protection(self) -> None:
        """Set both SMUs' own limits from the bench's, so that they hold whatever the host does next: the current
        limit (``limiti``) at ``max_current`` and the voltage limit (``limitv``) at ``max_voltage`` (not below the
        2636B's 20 mV minimum: current sourcing is refused by the gate then); again after every reset, which
        restores 100 mA and 20 V. The 2600B has no separate overvoltage protection (no ``protectv``): the voltage
        limit is its protection in either source function."""
        limits, commands = self.limits, []
        for smu in ("smua", "smub"):
            if math.isfinite(limits.max_current):
                commands.append(f"{smu}.source.limiti = {min(self.current_range, limits.max_current):g}")
            if 0.02 <= limits.max_voltage < math.inf:
                commands.append(f"{smu}.source.limitv = {min(self.voltage_range, limits.max_voltage):g}")
        if commands:
            self.write(" ".join(commands))
            self.check_errors()
        self.adapter.after_reset = self.arm_protection

    def enable_source(self) -> None:
        """Switch the channel's output on."""
        self.write(f"{self.smu}.source.output = {self.smu}.OUTPUT_ON")

    def disable_source(self) -> None:
        """Switch the channel's output off."""
        self.write(f"{self.smu}.source.output = {self.smu}.OUTPUT_OFF")

    # ----------------------------------------------------------------- SourceMeterMixin hooks
    def _configure_source(self, mode: str, compliance: float, nplc: float) -> None:
        s = self.smu
        func, source, sense, limit = ("DCVOLTS", "v", "i", "limiti") if mode == "VOLT" else ("DCAMPS", "i", "v",
                                                                                                "limitv")
        self.write(f"{s}.source.func = {s}.OUTPUT_{func} {s}.source.autorange{source} = 1 "
                   f"{s}.measure.autorange{sense} = 1 {s}.measure.nplc = {nplc:g} {s}.source.{limit} = {compliance:g}")

    def _zero_level(self) -> None:
        self.write(f"{self.smu}.source.level{'v' if self._mode == 'VOLT' else 'i'} = 0")

    def _read_pair(self) -> tuple[float, float]:
        current, voltage = self.values(f"print({self.smu}.measure.iv())", separator="\t")
        return (voltage, current) if self._mode == "VOLT" else (current, voltage)

    def _run_sweep(self, levels: np.ndarray, delay: float) -> tuple[np.ndarray, np.ndarray]:
        """The trigger model over the list: source each level, wait ``delay``, measure I and V into nvbuffer1
        and nvbuffer2; back to the programmed level at the end."""
        s, kind = self.smu, "v" if self._mode == "VOLT" else "i"
        self.write(f"{s}.trigger.source.list{kind}({{" + ", ".join(f"{x:.6g}" for x in levels) + "})")
        self.write(f"{s}.trigger.source.action = {s}.ENABLE {s}.trigger.measure.action = {s}.ENABLE "
                   f"{s}.trigger.measure.iv({s}.nvbuffer1, {s}.nvbuffer2) {s}.trigger.count = {levels.size} "
                   f"{s}.trigger.arm.count = 1 {s}.source.delay = {delay:g} {s}.trigger.endsweep.action = "
                   f"{s}.SOURCE_IDLE {s}.nvbuffer1.clear() {s}.nvbuffer2.clear()")
        self.write(f"{s}.trigger.initiate() waitcomplete()")
        return self._fetch_pairs(levels.size)

    def _arm_readings(self, count: int, delay: float) -> None:
        """The trigger model with digital I/O line 1 (the trigger input) as the measure stimulus: one I and V
        measurement into nvbuffer1 and nvbuffer2 (cleared) ``delay`` s after each edge, the source left as it is."""
        s = self.smu
        self.write(f"{s}.trigger.source.action = {s}.DISABLE {s}.trigger.measure.action = {s}.ENABLE "
                   f"{s}.trigger.measure.iv({s}.nvbuffer1, {s}.nvbuffer2) {s}.trigger.count = {count} "
                   f"{s}.trigger.arm.count = 1 {s}.measure.delay = {delay:g} "
                   f"{s}.trigger.measure.stimulus = digio.trigger[1].EVENT_ID {s}.nvbuffer1.clear() "
                   f"{s}.nvbuffer2.clear()")
        self.write(f"{s}.trigger.initiate()")

    def _fetch_pairs(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``count`` (I, V) pairs; ``printbuffer`` prints only what is stored, so fewer are refused."""
        s = self.smu
        stored = int(float(self.ask(f"print({s}.nvbuffer1.n)")))
        if stored < count:
            raise RuntimeError(f"{self.name}: {stored} readings stored, {count} asked for")
        data = np.asarray(self.values(f"printbuffer(1, {count}, {s}.nvbuffer1.readings, {s}.nvbuffer2.readings)"),
                          dtype=float)
        current, voltage = data[0::2], data[1::2]
        return (voltage, current) if self._mode == "VOLT" else (current, voltage)
