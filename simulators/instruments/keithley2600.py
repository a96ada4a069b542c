"""Virtual Keithley 2636B (2600B series) System SourceMeter: two SMUs, ``smua`` and ``smub``, run by TSP.

The 2600B has no SCPI command set: a message is a Lua chunk over the instrument's library. This twin runs the
chunks in a real Lua 5.4 interpreter (``lupa``), sandboxed: a chunk sees only the TSP library below and Lua's
``math``, ``string``, ``table``, ``tostring``, ``tonumber``, ``type``, ``pairs``, ``ipairs``, ``select``; its Lua
runs within a budget (:data:`MAX_INSTRUCTIONS` instructions, :data:`MAX_SECONDS` s per chunk: a script that runs
longer, an endless loop, fails with -286 where the instrument would run on, so that the twin never hangs). The
library, from the 2600B Reference Manual (2600BS-901-01):

- ``smuX.source``: ``func`` (``smuX.OUTPUT_DCAMPS`` 0, ``OUTPUT_DCVOLTS`` 1), ``levelv``/``leveli``,
  ``limitv``/``limiti`` (compliance; reset 20 V and 100 mA), ``rangev``/``rangei``, ``autorangev``/``autorangei``,
  ``output`` (``OUTPUT_OFF`` 0/``OUTPUT_ON`` 1), ``offmode``, ``offlimiti``/``offlimitv``, ``delay``,
  ``compliance`` (true at a limit); the 2600B has no ``protectv`` (it is not a
  field: assigning it is a runtime error): its protection is the compliance itself.
- ``smuX.measure``: ``v()``, ``i()``, ``r()``, ``p()``, ``iv()`` (optionally into buffers), ``nplc``
  (0.001–25), ``count``, ``interval``, ``rangev``/``rangei``, ``autorangev``/``autorangei``, ``autozero``;
  ``smuX.sense`` (``SENSE_LOCAL`` 0, ``SENSE_REMOTE`` 1); ``smuX.reset()``.
- ``smuX.nvbuffer1``/``nvbuffer2``: ``clear()``, ``n``, ``appendmode``, ``readings``, ``sourcevalues``,
  ``timestamps``, ``collectsourcevalues``, ``collecttimestamps``.
- ``smuX.trigger``: ``source.listv({...})``/``listi``, ``source.linearv(start, stop, points)``/``lineari``,
  ``source.action``, ``source.limitv``/``limiti`` (the sweep's compliance, ``smuX.LIMIT_AUTO`` -1: the source's),
  ``measure.action``, ``measure.v/i/iv(buffers)``, ``count``, ``arm.count``, ``endsweep.action``, ``initiate()``
  (runs the whole sweep at once on the bench's clock).
- ``print(...)`` (tab-separated; numbers as ``%.{p-1}e`` with ``format.asciiprecision`` p, 6 when 0),
  ``printbuffer(start, end, buffer fields...)`` (comma-separated, or one ``#0`` block of IEEE floats with
  ``format.data = format.REAL32``/``REAL64`` in ``format.byteorder``), ``errorqueue.count/next()/clear()``
  (code, message, severity 20, node 0; ``0, "Queue Is Empty", 0, 0`` when empty), ``reset()``,
  ``waitcomplete()``, ``delay(s)``, ``localnode`` (``model``, ``serialno``, ``revision``, ``linefreq``,
  ``description``), ``status.measurement.instrument.smuX.condition`` (bit 0: a voltage limit reached, bit 1: a
  current limit, as QCoDeS reads them), ``display`` (accepted, nothing shown), ``loadandrunscript`` …
  ``endscript`` (the lines between run as one chunk). IEEE 488.2 common commands are sent alone.

Errors: -285 (syntax, nothing of the chunk runs), -286 (runtime: the chunk stops there), 1101/1102 (a parameter
above/below its range). Channel ``smua`` drives the bench DUT; ``smub`` is a second SMU with nothing attached (open
circuit: it sources no current and a current source runs into its voltage limit); a bench file whose SMU entry says
``channel: b`` puts the DUT on ``smub`` and leaves ``smua`` open. Readings advance the bench's
simulated time by their integration time.
"""

from __future__ import annotations

import math
import re
import struct
import time
from collections.abc import Callable
from typing import Any

import lupa.lua54 as lupa
import numpy as np

from mtjhw.simulators.bench import Bias, VirtualBench
from mtjhw.simulators.bench.pulses import TriggerListener
from mtjhw.simulators.scpi import ErrorQueue

from .source_meter import SourceMeterTwin
from .tsp_lua import TspError
from .tsp_status import TspStatus

V_MAX, I_MAX = 200.0, 1.5  # 2636B source ranges' full scale
LINE_FREQUENCY = 60.0  # Hz
MAX_INSTRUCTIONS = 10_000_000  # Lua instructions one chunk may run
MAX_SECONDS = 10.0  # wall-clock time one chunk's Lua may take (library calls such as a sweep are not cut short)
_HOOK_EVERY = 10_000  # instructions between two checks of the budget
MAX_BUFFER = 60_000  # readings per nonvolatile buffer
DIGIO_LINES = 14  # digital I/O trigger lines, digio.trigger[1] … [14]
SEVERITY_RECOVERABLE = 20
_NOISE_REL = 2e-6  # instrument noise per reading at 1 NPLC, relative to the reading (floor 1 nA / 1 µV)
_VLIMIT, _ILIMIT = 1, 2  # status.measurement.instrument.smuX.condition bits
_LUA_ERROR = re.compile(r"^tsp:(\d+): ", re.M)
_RUNNER = """
local hook = debug.sethook
return function(text, env, every, budget)
  local chunk, err = load(text, "=tsp", "t", env)
  if not chunk then return {false, err} end
  return {function()
    hook(function() budget() end, "", every)
    local ok, e = xpcall(chunk, function(m) hook(); return m end)
    hook()
    if not ok then error(e, 0) end
  end}
end
"""
#: source and measure ranges of the 2636B (V, A), by the field that selects them
VOLTAGE_RANGES = (0.2, 2.0, 20.0, 200.0)
CURRENT_RANGES = (1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 1.5)
RANGES = {"rangev": VOLTAGE_RANGES, "rangei": CURRENT_RANGES}
_SAFE_GLOBALS = ("math", "string", "table", "tostring", "tonumber", "type", "pairs", "ipairs", "select")


def parameter_error(name: str, value: float, low: float, high: float) -> TspError:
    """1101/1102: a value above/below what the attribute accepts."""
    if value > high:
        return TspError(1101, f"Parameter too big: {name} {value:g} > {high:g}")
    return TspError(1102, f"Parameter too small: {name} {value:g} < {low:g}")


def checked(name: str, value: Any, low: float, high: float) -> float:
    """``value`` as a float within [low, high], else the instrument's error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        got = lupa.lua_type(value) or type(value).__name__
        raise TspError(-286, f"TSP Runtime error at line 1: {name}: number expected, got {got}")
    value = float(value)
    if not low <= value <= high:  # NaN too
        raise parameter_error(name, value, low, high)
    return value


class Node:
    """A library table: its ``fields`` (name → (low, high), or None for any value) may be set from Lua, checked
    against their range; every other public name is read-only."""

    fields: dict[str, tuple[float, float] | None] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        limits = self.fields.get(name)
        value = value if limits is None else checked(name, value, *limits)
        if name in RANGES:  # the lowest range that holds the value; choosing one turns autorange off
            value = next(r for r in RANGES[name] if abs(value) <= r * (1 + 1e-9))
            if self.__dict__.get("_ready"):
                object.__setattr__(self, f"auto{name}", 0)
        object.__setattr__(self, name, value)


def attribute_filter(obj: Any, name: Any, setting: bool) -> str:
    """What Lua may reach of the library: public names of its tables; assignments to declared fields only."""
    if not isinstance(name, str) or name.startswith("_") or name.endswith("_") or not isinstance(obj, Node):
        raise AttributeError(f"attempt to index field '{name}'")
    if setting and name not in obj.fields:
        raise AttributeError(f"attempt to set field '{name}' (read-only or not a field of this table)")
    if not setting and not hasattr(obj, name):
        raise AttributeError(f"attempt to index nil field '{name}'")
    return name


class Buffer(Node):
    """A nonvolatile reading buffer (``nvbuffer1``/``nvbuffer2``)."""

    fields = {"appendmode": (0, 1), "collectsourcevalues": (0, 1), "collecttimestamps": (0, 1)}

    def __init__(self) -> None:
        self.appendmode = self.collectsourcevalues = self.collecttimestamps = 0
        self.readings_: list[float] = []
        self.sources_: list[float] = []
        self.times_: list[float] = []

    def clear(self) -> None:
        self.readings_.clear()
        self.sources_.clear()
        self.times_.clear()

    @property
    def n(self) -> int:
        return len(self.readings_)

    @property
    def readings(self) -> Field:
        return Field(self.readings_)

    @property
    def sourcevalues(self) -> Field:
        return Field(self.sources_)

    @property
    def timestamps(self) -> Field:
        return Field(self.times_)

    def _begin(self) -> None:
        """A measurement command starts: without append mode, the buffer is cleared first."""
        if not self.appendmode:
            self.clear()

    def _store(self, value: float, source: float, time: float) -> None:
        if len(self.readings_) >= MAX_BUFFER:
            raise TspError(-286, "TSP Runtime error at line 1: reading buffer full")
        self.readings_.append(value)
        self.sources_.append(source)
        self.times_.append(time)


class Field(Node):
    """One field of a buffer, as ``printbuffer`` takes it."""

    def __init__(self, values: list[float]) -> None:
        self.values_ = values


class Source(Node):
    fields = {"func": (0, 1), "levelv": (-V_MAX, V_MAX), "leveli": (-I_MAX, I_MAX), "limitv": (0.02, V_MAX),
              "limiti": (1e-10, I_MAX), "rangev": (-V_MAX, V_MAX), "rangei": (-I_MAX, I_MAX), "autorangev": (0, 1),
              "autorangei": (0, 1), "output": (0, 2), "offmode": (0, 2), "delay": (-1, 1e3),
              "offlimiti": (1e-10, I_MAX), "offlimitv": (0.02, V_MAX)}

    def __init__(self, smu: Smu) -> None:
        self._smu = smu
        self.func, self.levelv, self.leveli, self.limitv, self.limiti = 1, 0.0, 0.0, 20.0, 0.1
        self.rangev, self.rangei, self.autorangev, self.autorangei = 0.2, 1e-7, 1, 1
        self.output, self.offmode, self.delay, self.offlimiti, self.offlimitv = 0, 0, -1, 1e-3, 20.0
        self._ready = True

    @property
    def compliance(self) -> bool:
        """Whether the SMU is at a limit (the source runs as the complementary function at its limit)."""
        return bool(self._smu._condition)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in self.fields and self.__dict__.get("_ready"):  # a new setting takes effect at once
            self._smu._apply()


class Measure(Node):
    fields = {"nplc": (0.001, 25), "count": (1, MAX_BUFFER), "interval": (0, 1), "rangev": (-V_MAX, V_MAX),
              "rangei": (-I_MAX, I_MAX), "autorangev": (0, 1), "autorangei": (0, 2), "autozero": (0, 2),
              "delay": (-1, 1e3)}

    def __init__(self, smu: Smu) -> None:
        self._smu = smu
        self.nplc, self.count, self.interval, self.rangev, self.rangei = 1.0, 1, 0.0, 0.2, 1e-7
        self.autorangev = self.autorangei = 1
        self.autozero, self.delay = 2, -1
        self._ready = True

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "count":
            object.__setattr__(self, name, int(self.count))

    def v(self, buffer: Buffer | None = None) -> float:
        return self._smu._read("v", buffer)

    def i(self, buffer: Buffer | None = None) -> float:
        return self._smu._read("i", buffer)

    def r(self, buffer: Buffer | None = None) -> float:
        return self._smu._read("r", buffer)

    def p(self, buffer: Buffer | None = None) -> float:
        return self._smu._read("p", buffer)

    def iv(self, ibuffer: Buffer | None = None, vbuffer: Buffer | None = None) -> tuple[float, float]:
        return self._smu._read_iv(ibuffer, vbuffer)


class TriggerSource(Node):
    fields = {"action": (0, 1), "limitv": (-1, V_MAX), "limiti": (-1, I_MAX)}

    def __init__(self) -> None:
        self.action, self.limitv, self.limiti = 0, -1, -1
        self._values: tuple[str, list[float]] = ("v", [])

    def listv(self, table: Any) -> None:
        self._values = ("v", _list(table, V_MAX, "listv"))

    def listi(self, table: Any) -> None:
        self._values = ("i", _list(table, I_MAX, "listi"))

    def linearv(self, start: Any, stop: Any, points: Any) -> None:
        self._values = ("v", _linear(start, stop, points, V_MAX, "linearv"))

    def lineari(self, start: Any, stop: Any, points: Any) -> None:
        self._values = ("i", _linear(start, stop, points, I_MAX, "lineari"))


def _list(table: Any, full_scale: float, name: str) -> list[float]:
    if lupa.lua_type(table) != "table":
        raise TspError(-286, f"TSP Runtime error at line 1: bad argument #1 to '{name}' (table expected)")
    values = [checked(name, v, -full_scale, full_scale) for v in table.values()]
    if not 1 <= len(values) <= MAX_BUFFER:
        raise parameter_error(name, len(values), 1, MAX_BUFFER)
    return values


def _linear(start: Any, stop: Any, points: Any, full_scale: float, name: str) -> list[float]:
    a, b = checked(name, start, -full_scale, full_scale), checked(name, stop, -full_scale, full_scale)
    n = int(checked(name, points, 1, MAX_BUFFER))
    return [a + (b - a) * k / (n - 1) for k in range(n)] if n > 1 else [a]


class TriggerMeasure(Node):
    fields = {"action": (0, 2), "stimulus": (0, 64)}

    def __init__(self) -> None:
        self.action, self.stimulus = 0, 0
        self._what: tuple[str, Buffer | None, Buffer | None] = ("i", None, None)

    def v(self, buffer: Buffer) -> None:
        self._what = ("v", buffer, None)

    def i(self, buffer: Buffer) -> None:
        self._what = ("i", buffer, None)

    def r(self, buffer: Buffer) -> None:
        self._what = ("r", buffer, None)

    def iv(self, ibuffer: Buffer, vbuffer: Buffer) -> None:
        self._what = ("iv", ibuffer, vbuffer)


class Count(Node):
    fields = {"count": (0, 1e8), "action": (0, 1), "stimulus": None}

    def __init__(self) -> None:
        self.count, self.action, self.stimulus = 1, 0, 0


class Trigger(Node):
    fields = {"count": (0, 1e8)}

    def __init__(self, smu: Smu) -> None:
        self._smu = smu
        self.count = 1
        self.source, self.measure = TriggerSource(), TriggerMeasure()
        self.arm, self.endsweep, self.endpulse = Count(), Count(), Count()

    def initiate(self) -> None:
        """Run the sweep now, or, with a digital I/O line as the measure stimulus, arm it on the bench's trigger
        line: one measurement per edge."""
        if 1 <= self.measure.stimulus <= DIGIO_LINES:
            self._smu._listen()
        else:
            self._smu._run_sweep()


class Smu(Node):
    """One SMU channel; ``load`` gives its DUT's (V, I) under a bias (None: nothing attached)."""

    fields = {"sense": (0, 3)}
    OUTPUT_DCAMPS, OUTPUT_DCVOLTS, OUTPUT_OFF, OUTPUT_ON = 0, 1, 0, 1
    OUTPUT_NORMAL, OUTPUT_HIGH_Z, OUTPUT_ZERO = 0, 1, 2
    SENSE_LOCAL, SENSE_REMOTE, SENSE_CALA = 0, 1, 3
    AUTORANGE_OFF, AUTORANGE_ON, AUTOZERO_OFF, AUTOZERO_ONCE, AUTOZERO_AUTO = 0, 1, 0, 1, 2
    ENABLE, DISABLE, LIMIT_AUTO, SOURCE_IDLE, SOURCE_HOLD = 1, 0, -1, 0, 1

    noise_rel = _NOISE_REL  # what the base's window readings add as the instrument's noise

    @property
    def bench(self) -> VirtualBench:
        return self._twin.bench

    def __init__(self, twin: Keithley2600, name: str, attached: bool) -> None:
        self._twin, self._name, self._attached = twin, name, attached
        self.reset()

    def reset(self) -> None:
        """``smuX.reset()``: output off, the reset defaults, buffers cleared."""
        self.sense = 0
        self.source, self.measure, self.trigger = Source(self), Measure(self), Trigger(self)
        self.nvbuffer1, self.nvbuffer2 = Buffer(), Buffer()
        self._condition = 0
        self._apply()

    # ----------------------------------------------------------------- the drive
    def _bias(self, level: float | None = None) -> Bias:
        src = self.source
        if src.func == self.OUTPUT_DCVOLTS:
            return Bias("V", src.levelv if level is None else level)
        return Bias("I", src.leveli if level is None else level)

    def _operating_point(self, bias: Bias, ilimit: float, vlimit: float) -> tuple[Bias, float, float]:
        """The bias the SMU ends up at under its limits, and the load's (V, I) there; sets :attr:`condition`."""
        load = self._twin.bench.dut.operating_point if self._attached else _open_circuit
        v, i = load(bias)
        self._condition = 0
        if bias.mode == "V" and abs(i) > ilimit:
            self._condition, bias = _ILIMIT, Bias("I", math.copysign(ilimit, i))
        elif bias.mode == "I" and abs(v) > vlimit:
            self._condition, bias = _VLIMIT, Bias("V", math.copysign(vlimit, v if v else bias.level))
        if self._condition:
            v, i = load(bias)
        return bias, v, i

    def _apply(self, level: float | None = None, limits: tuple[float, float] | None = None) -> None:
        """Push the programmed source (or a sweep point's ``level``) to the bench when this SMU drives the DUT."""
        ilimit, vlimit = limits or (self.source.limiti, self.source.limitv)
        bias, _, _ = self._operating_point(self._bias(level), ilimit, vlimit)
        if not self._attached:
            return
        if self.source.output == self.OUTPUT_ON:
            self._twin.bench.apply_bias(self, bias)
        else:
            self._twin.bench.release_bias(self)

    def _integrate(self) -> tuple[float, float]:
        """(V, I) averaged over one reading's integration time, with the DUT's and the instrument's noise."""
        bench, nplc = self._twin.bench, self.measure.nplc
        t_int = nplc / LINE_FREQUENCY
        rng, scale = bench.rng, _NOISE_REL / math.sqrt(nplc)
        if self.source.output != self.OUTPUT_ON:
            bench.advance(t_int)
            return 1e-6 * scale * rng.standard_normal(), 1e-12 * scale * rng.standard_normal()
        if self._attached:
            self._apply()
            v, i = bench.advance(t_int)
            noise = bench.dut.reading_noise(rng, nplc, bench.time - t_int, t_int)
            v, i = (v, i / (1 + noise)) if bench.bias.mode == "V" else (v * (1 + noise), i)
        else:
            bench.advance(t_int)
            _, v, i = self._operating_point(self._bias(), self.source.limiti, self.source.limitv)
        return (v + scale * max(abs(v), 1e-6) * rng.standard_normal(),
                i + scale * max(abs(i), 1e-12) * rng.standard_normal())

    def _reading(self, what: str) -> tuple[float, float, float]:
        """(reading of ``what``, source value, time) of one integration."""
        v, i = self._integrate()
        value = {"v": v, "i": i, "r": v / i if i else 9.91e37, "p": v * i}[what]
        source = v if self.source.func == self.OUTPUT_DCVOLTS else i
        return value, source, self._twin.bench.time

    def _read(self, what: str, buffer: Buffer | None) -> float:
        """``measure.count`` readings (``measure.interval`` apart) into ``buffer``; the last one is returned."""
        _buffer_argument(buffer)
        _begin(buffer)
        value = 0.0
        for k in range(self.measure.count):
            if k and self.measure.interval:
                self._twin.bench.advance(self.measure.interval)
            value, source, time = self._reading(what)
            if buffer is not None:
                buffer._store(value, source, time)
        return value

    def _read_iv(self, ibuffer: Buffer | None, vbuffer: Buffer | None) -> tuple[float, float]:
        for buffer in (ibuffer, vbuffer):
            _buffer_argument(buffer)
            _begin(buffer)
        v, i = self._integrate()
        t = self._twin.bench.time
        for buffer, value in ((ibuffer, i), (vbuffer, v)):
            if buffer is not None:
                buffer._store(value, v if self.source.func == self.OUTPUT_DCVOLTS else i, t)
        return i, v

    def _run_sweep(self) -> None:
        """The trigger model as one run: arm.count × trigger.count points, each sourced from the list (when the
        source action is enabled) and measured (when the measure action is), then the end-sweep action."""
        trig = self.trigger
        kind, values = trig.source._values
        sourcing = trig.source.action == self.ENABLE
        if sourcing and (not values or kind != ("v" if self.source.func == self.OUTPUT_DCVOLTS else "i")):
            raise TspError(-286, "TSP Runtime error at line 1: the sweep list does not match the source function")
        limits = (self.source.limiti if trig.source.limiti < 0 else trig.source.limiti,
                  self.source.limitv if trig.source.limitv < 0 else trig.source.limitv)
        what, first, second = trig.measure._what
        if trig.measure.action:
            _begin(first)
            _begin(second)
        for k in range(int(trig.arm.count) * int(trig.count)):
            level = values[k % len(values)] if sourcing else None
            self._apply(level, limits)
            if self.source.delay > 0:
                self._twin.bench.advance(self.source.delay)
            if trig.measure.action:
                v, i = self._integrate_at(level, limits)
                self._store_point(what, first, second, v, i)
        if trig.endsweep.action == self.SOURCE_IDLE:
            self._apply()

    def _listen(self) -> None:
        """One measurement (the trigger model's measure action into its buffers) ``measure.delay`` s after each
        edge of the bench's trigger line, arm.count × trigger.count times; then the listener is removed."""
        if self.source.output != self.OUTPUT_ON:
            raise TspError(-286, "TSP Runtime error at line 1: triggered measurements need the output on")
        trig, bench = self.trigger, self._twin.bench
        what, first, second = trig.measure._what
        _begin(first)
        _begin(second)
        remaining = [int(trig.arm.count) * int(trig.count)]

        def fire() -> None:
            v, i = self._integrate()
            self._store_point(what, first, second, v, i)
            remaining[0] -= 1
            if remaining[0] <= 0 and listener in bench.trigger_listeners:
                bench.trigger_listeners.remove(listener)

        def burst(fraction_p: np.ndarray) -> None:
            """A burst's windows at once (the bench's fast path for two-state devices), as the SMU twins' base
            computes them."""
            v, i = SourceMeterTwin._window_readings(self, fraction_p[:remaining[0]], self.measure.nplc)
            for vk, ik in zip(v, i, strict=True):
                self._store_point(what, first, second, float(vk), float(ik))
            remaining[0] -= len(v)
            if remaining[0] <= 0 and listener in bench.trigger_listeners:
                bench.trigger_listeners.remove(listener)

        listener = TriggerListener(max(self.measure.delay, 0.0), self.measure.nplc / LINE_FREQUENCY, fire,
                                   burst if self._attached else None)
        bench.trigger_listeners.append(listener)

    def _integrate_at(self, level: float | None, limits: tuple[float, float]) -> tuple[float, float]:
        saved = self.source.levelv, self.source.leveli, self.source.limiti, self.source.limitv
        src = self.source.__dict__
        if level is not None:
            src["levelv" if self.source.func == self.OUTPUT_DCVOLTS else "leveli"] = level
        src["limiti"], src["limitv"] = limits
        try:
            return self._integrate()
        finally:
            src["levelv"], src["leveli"], src["limiti"], src["limitv"] = saved

    def _store_point(self, what: str, first: Buffer | None, second: Buffer | None, v: float, i: float) -> None:
        source, t = (v if self.source.func == self.OUTPUT_DCVOLTS else i), self._twin.bench.time
        if what == "iv":
            for buffer, value in ((first, i), (second, v)):
                if buffer is not None:
                    buffer._store(value, source, t)
        elif first is not None:
            first._store({"v": v, "i": i, "r": v / i if i else 9.91e37}[what], source, t)


def _open_circuit(bias: Bias) -> tuple[float, float]:
    """Nothing attached: no current flows; a current source's voltage runs away (to its limit)."""
    if bias.mode == "V":
        return bias.level, 0.0
    return (math.copysign(math.inf, bias.level) if bias.level else 0.0), 0.0


def _begin(buffer: Buffer | None) -> None:
    if buffer is not None:
        buffer._begin()


def _buffer_argument(buffer: Any) -> None:
    if buffer is not None and not isinstance(buffer, Buffer):
        raise TspError(-286, "TSP Runtime error at line 1: bad argument #1 (reading buffer expected)")


class Format(Node):
    fields = {"data": (1, 5), "byteorder": (0, 1), "asciiprecision": (0, 16)}
    ASCII, REAL32, REAL64, REAL = 1, 4, 5, 5
    NORMAL, BIGENDIAN, NETWORK, SWAPPED, LITTLEENDIAN = 0, 0, 0, 1, 1

    def __init__(self) -> None:
        self.data, self.byteorder, self.asciiprecision = 1, 1, 0


class Keithley2600(TspStatus):
    """Virtual 2636B: the SMU ``dut_channel`` ("a": ``smua``) on ``bench``'s DUT, the other open; the TSP error
    queue; ``loadandrunscript``."""

    idn = ("Keithley Instruments Inc.", "Model 2636B", "4089762", "4.0.4")
    idn_separator = ", "
    model = "2636B"
    reply_termination = "\n"

    def __init__(self, bench: VirtualBench, dut_channel: str = "a") -> None:
        if dut_channel not in ("a", "b"):
            raise ValueError(f"channel: the DUT's SMU must be 'a' or 'b' (got {dut_channel!r})")
        self.bench = bench
        self.errors = ErrorQueue()
        self._init_status()
        self._script: list[str] | None = None
        self._output: list[str | bytes] = []
        self.lua = lupa.LuaRuntime(unpack_returned_tuples=True, register_eval=False, register_builtins=False,
                                   attribute_filter=attribute_filter)
        self._runner = self.lua.execute(_RUNNER)
        self.smua, self.smub = Smu(self, "smua", dut_channel == "a"), Smu(self, "smub", dut_channel == "b")
        self.format = Format()
        self.env = self._environment()

    def _environment(self) -> Any:
        """The globals a chunk sees: the TSP library and Lua's safe base."""
        env = self.lua.table()
        base = self.lua.globals()
        for name in _SAFE_GLOBALS:
            env[name] = base[name]
        status = Library(measurement=Library(instrument=Library(smua=Condition(self.smua),
                                                                smub=Condition(self.smub))))
        library: dict[str, Any] = {
            "smua": self.smua, "smub": self.smub, "format": self.format, "status": status,
            "print": self._print, "printbuffer": self._printbuffer, "printnumber": self._print,
            "reset": self.reset, "waitcomplete": lambda *args: None, "delay": self._delay, "opc": lambda: None,
            "errorqueue": Library(clear=self.errors.clear, next=self._next_error,
                                  count=_Live(lambda: len(self.errors))),
            "localnode": Library(model=self.model, serialno=self.idn[2], revision=self.idn[3],
                                 linefreq=LINE_FREQUENCY, description=f"System SourceMeter {self.model}",
                                 reset=self.reset),
            "digio": Library(trigger=self.lua.table_from([DigioLine(n) for n in range(1, DIGIO_LINES + 1)]),
                             TRIG_BYPASS=0, TRIG_FALLING=1, TRIG_RISING=2, TRIG_EITHER=3),
            "display": Library(clear=lambda: None, settext=lambda *a: None, sendkey=lambda *a: None,
                               screen=0, SMUA=0, SMUB=1, SMUA_SMUB=2, USER=3),
        }
        for name, value in library.items():
            env[name] = value
        return env

    # ----------------------------------------------------------------- messages
    def handle(self, message: str) -> str | bytes | None:
        with self.bench.lock:
            self.bench.catch_up()
            text = message.strip()
            self._output = []
            if self._script is not None:
                self._collect(text)
            elif text.startswith("*"):
                self._output += self._common(text)
            elif text.split(None, 1)[:1] in (["loadandrunscript"], ["loadscript"]):
                self._script = []
            else:
                self._run(text)
            return self._reply()

    def _collect(self, line: str) -> None:
        """A line of a ``loadandrunscript`` … ``endscript`` block; the block runs at ``endscript``."""
        if line != "endscript":
            self._script.append(line)
            return
        script, self._script = self._script, None
        self._run("\n".join(script))

    def _reply(self) -> str | bytes | None:
        if not self._output:
            return None
        if all(isinstance(part, str) for part in self._output):
            return "\n".join(self._output)  # type: ignore[arg-type]
        return b"\n".join(p if isinstance(p, bytes) else p.encode("latin-1", "replace") for p in self._output)

    def device_clear(self) -> None:
        """Device clear: an unfinished script is dropped."""
        self._script = None

    def reset(self) -> None:
        """``reset()``/``*RST``: both SMUs to their reset defaults, outputs off."""
        self.smua.reset()
        self.smub.reset()
        self.format.__init__()

    def _run(self, text: str) -> None:
        """Compile the chunk (a syntax error runs none of it), then run it until an error."""
        try:
            compiled = self._runner(text, self.env, _HOOK_EVERY, _Budget())
        except lupa.LuaError as err:  # out of memory while compiling
            self.errors.push(-286, f"TSP Runtime error at line 1: {_lua_message(err)}")
            return
        chunk, syntax = compiled[1], compiled[2]
        if not chunk:
            self.errors.push(-285, f"TSP Syntax error at {_lua_message(syntax, True)}")
            return
        try:
            chunk()
        except TspError as err:
            self.errors.push(err.code, err.message)
        except (lupa.LuaError, AttributeError, TypeError, ValueError, OverflowError, MemoryError) as err:
            self.errors.push(-286, f"TSP Runtime error at {_lua_message(err, True)}")

    # ----------------------------------------------------------------- library functions
    def _number(self, value: float) -> str:
        digits = self.format.asciiprecision or 6
        return f"{value:.{int(digits) - 1}e}"

    def _text(self, value: Any) -> str:
        if value is None:
            return "nil"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return self._number(float(value))
        if isinstance(value, (str, bytes)):
            return value if isinstance(value, str) else value.decode("latin-1")
        return f"{lupa.lua_type(value) or 'userdata'}: 0x{id(value) & 0xFFFFFFFF:08x}"

    def _print(self, *values: Any) -> None:
        self._output.append("\t".join(self._text(v) for v in values))

    def _printbuffer(self, start: Any, end: Any, *fields: Any) -> None:
        """Readings ``start``…``end`` (from 1) of each buffer field, interleaved point by point."""
        if not fields or not all(isinstance(f, Field) for f in fields):
            raise TspError(-286, "TSP Runtime error at line 1: bad argument to 'printbuffer' (buffer field expected)")
        size = min(len(f.values_) for f in fields)
        first = int(checked("printbuffer", start, 1, max(size, 1)))
        last = int(checked("printbuffer", end, first, max(size, 1)))
        if size == 0:
            raise TspError(-286, "TSP Runtime error at line 1: printbuffer: the buffer is empty")
        values = [f.values_[k] for k in range(first - 1, last) for f in fields]
        if self.format.data == Format.ASCII:
            self._output.append(", ".join(self._number(v) for v in values))
            return
        order = "<" if self.format.byteorder == Format.SWAPPED else ">"
        code = "f" if self.format.data == Format.REAL32 else "d"
        self._output.append(b"#0" + struct.pack(f"{order}{len(values)}{code}", *values))

    def _delay(self, seconds: Any) -> None:
        self.bench.advance(checked("delay", seconds, 0, 1e4))

    def _next_error(self) -> tuple[Any, ...]:
        if not len(self.errors):
            return (0, "Queue Is Empty", 0, 0)
        code, message = self.errors.pop()
        return (code, message, SEVERITY_RECOVERABLE, 0)


class _Budget:
    """Called by the Lua hook every :data:`_HOOK_EVERY` instructions: ends a chunk past its budget (-286)."""

    def __init__(self) -> None:
        self.instructions, self.start = 0, time.monotonic()

    def __call__(self, *_: Any) -> None:
        self.instructions += _HOOK_EVERY
        if self.instructions > MAX_INSTRUCTIONS or time.monotonic() - self.start > MAX_SECONDS:
            raise TspError(-286, f"TSP Runtime error: the script ran past the twin's budget ({MAX_INSTRUCTIONS} "
                                 f"instructions, {MAX_SECONDS:g} s)")


class DigioLine(Node):
    """``digio.trigger[N]``: its ``EVENT_ID`` (N) is a trigger-model stimulus; the bench's trigger line is on it."""

    fields = {"mode": (0, 8), "pulsewidth": (0, 100)}

    def __init__(self, line: int) -> None:
        self.EVENT_ID, self.mode, self.pulsewidth = line, 0, 10e-6


class Library(Node):
    """A library table of constants and functions (``errorqueue``, ``localnode``, ``display``)."""

    fields = {"screen": None}

    def __init__(self, **members: Any) -> None:
        self.__dict__.update(members)

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        return value.get() if isinstance(value, _Live) else value


class _Live:
    """A library field read anew each time (``errorqueue.count``)."""

    def __init__(self, get: Callable[[], Any]) -> None:
        self.get = get


class Condition(Node):
    """``status.measurement.instrument.smuX``: its ``condition`` register."""

    def __init__(self, smu: Smu) -> None:
        self._smu = smu

    @property
    def condition(self) -> int:
        return self._smu._condition


def _lua_message(err: Any, with_line: bool = False) -> str:
    """Lua's message without the chunk name and traceback; ``with_line``: as "line N: text"."""
    text = str(err).split("\nstack traceback:")[0].strip()
    match = _LUA_ERROR.match(text)
    line = match.group(1) if match else "1"
    text = _LUA_ERROR.sub("", text, count=1)
    return f"line {line}: {text}" if with_line else text
