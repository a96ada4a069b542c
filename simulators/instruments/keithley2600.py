"""Virtual Keithley 2636B (2600B series) System SourceMeter: two SMUs, ``smua`` and ``smub``, run by TSP.

The 2600B has no SCPI command set: a message is a Lua chunk over the instrument's library. This twin runs the
chunks in a real Lua 5.4 interpreter (``lupa``), sandboxed: a chunk sees only the TSP library below and Lua's
``math``, ``string``, ``table``, ``tostring``, ``tonumber``, ``type``, ``pairs``, ``ipairs``, ``select``; its Lua
runs within a budget (:data:`MAX_INSTRUCTIONS` instructions, :data:`MAX_SECONDS` s per chunk: a script that runs
longer, an endless loop, fails with -286 where the instrument would run on, so that the twin never hangs). The
library, from the 2600B Reference Manual (2600BS-901-01):

- ``smuX.source``: ``func`` (``smuX.OUTPUT_DCAMPS`` 0, ``OUTPUT_DCVOLTS`` 1), ``levelv``/``leveli``,
  ``limitv``/``limiti`` (compliance; reset 20 V and 100 mA; 20 mV–200 V, 100 pA–1.5 A), ``rangev``/``rangei``,
  ``autorangev``/``autorangei``, ``output`` (``OUTPUT_OFF`` 0/``OUTPUT_ON`` 1), ``offmode``,
  ``offlimiti``/``offlimitv`` (reset 1 mA, 40 V), ``delay``, ``compliance`` (true at a limit); the 2600B has no
  ``protectv`` (it is not a field: assigning it is a runtime error): its protection is the compliance itself.
- ``smuX.measure``: ``v()``, ``i()``, ``r()``, ``p()``, ``iv()`` (optionally into buffers), ``nplc``
  (0.001–25), ``count``, ``interval``, ``rangev``/``rangei``, ``autorangev``/``autorangei``, ``autozero``;
  ``smuX.sense`` (``SENSE_LOCAL`` 0, ``SENSE_REMOTE`` 1); ``smuX.reset()``.
- ``smuX.nvbuffer1``/``nvbuffer2``: ``clear()``, ``n``, ``appendmode``, ``readings``, ``sourcevalues``,
  ``timestamps``, ``collectsourcevalues``, ``collecttimestamps``.
- ``smuX.trigger``: ``source.listv({...})``/``listi``, ``source.linearv(start, stop, points)``/``lineari``,
  ``source.action``, ``source.limitv``/``limiti`` (the sweep's compliance, ``smuX.LIMIT_AUTO`` -1: the source's),
  ``measure.action``, ``measure.v/i/iv(buffers)``, ``count``, ``arm.count``, ``endsweep.action``, ``initiate()``
  (runs the whole sweep at once on the bench's clock).
- ``print(...)`` (tab-separated; numbers as ``%.{p-1}e`` with ``format.asciiprecision`` p, 6 after reset and
  when 0), ``printbuffer(start, end, buffer fields...)`` (indices clamped to the buffer; ", "-separated, or one
  ``#0`` block of IEEE floats with ``format.data = format.REAL32`` (2) or ``REAL64`` (3) in ``format.byteorder``),
  ``errorqueue.count/next()/clear()`` (code, message, severity 20, node 0; ``0, "Queue Is Empty", 0, 0`` when
  empty), ``reset()``,
  ``waitcomplete()``, ``delay(s)``, ``localnode`` (``model``, ``serialno``, ``revision``, ``linefreq``,
  ``description``), ``status.measurement.instrument.smuX.condition`` (bit 0: a voltage limit reached, bit 1: a
  current limit, as QCoDeS reads them), ``display`` (accepted, nothing shown), ``loadandrunscript`` …
  ``endscript`` (the lines between run as one chunk). IEEE 488.2 common commands are sent alone.

Errors: -285 (syntax, nothing of the chunk runs), -286 (runtime: the chunk stops there), 1101/1102 (a parameter
above/below its range). Channel ``smua`` drives the bench DUT; ``smub`` is a second SMU with nothing attached (open
circuit: it sources no current and a current source runs into its voltage limit); a bench file whose SMU entry says
``channel: b`` puts the DUT on ``smub`` and leaves ``smua`` open. Readings advance the bench's
simulated time by their integration time. What an SMU does whatever its command language (compliance, noise, the
operating point, trigger-line readings, reading buffers) is each channel's
:class:`~mtjhw.simulators.instruments.source_meter.SourceMeterChannel`; this module is the TSP dialect.
"""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import lupa.lua54 as lupa
import numpy as np

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import ErrorQueue

from .source_meter import Reading, ReadingBuffer, SourceMeterChannel
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
_VLIMIT, _ILIMIT = 1, 2  # status.measurement.instrument.smuX.condition bits
_UNITS = {"v": "V", "i": "A", "r": "Ohm", "p": "W"}  # of a reading, by what it measures
_OVERFLOW = 9.91e37  # a resistance reading at zero current
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
    """A nonvolatile reading buffer (``nvbuffer1``/``nvbuffer2``) over its channel's ``store_``."""

    fields = {"appendmode": (0, 1), "collectsourcevalues": (0, 1), "collecttimestamps": (0, 1)}

    def __init__(self, store: ReadingBuffer) -> None:
        self.appendmode = self.collectsourcevalues = self.collecttimestamps = 0
        self.store_ = store

    def clear(self) -> None:
        self.store_.readings.clear()

    @property
    def n(self) -> int:
        return len(self.store_.readings)

    @property
    def readings(self) -> Field:
        return Field(self.store_, "value")

    @property
    def sourcevalues(self) -> Field:
        return Field(self.store_, "source")

    @property
    def timestamps(self) -> Field:
        return Field(self.store_, "time")

    def _begin(self) -> None:
        """A measurement command starts: without append mode, the buffer is cleared first."""
        if not self.appendmode:
            self.clear()

    def _store(self, reading: Reading) -> None:
        if self.n >= self.store_.capacity:
            raise TspError(-286, "TSP Runtime error at line 1: reading buffer full")
        self.store_.append(reading)


class Field(Node):
    """One field of a buffer's readings (a :class:`Reading` attribute), as ``printbuffer`` takes it."""

    def __init__(self, store: ReadingBuffer, attribute: str) -> None:
        self.store_, self.attribute_ = store, attribute

    def values_(self) -> list[float]:
        return [getattr(reading, self.attribute_) for reading in self.store_.readings]


class Source(Node):
    fields = {"func": (0, 1), "levelv": (-V_MAX, V_MAX), "leveli": (-I_MAX, I_MAX), "limitv": (0.02, V_MAX),
              "limiti": (1e-10, I_MAX), "rangev": (-V_MAX, V_MAX), "rangei": (-I_MAX, I_MAX), "autorangev": (0, 1),
              "autorangei": (0, 1), "output": (0, 2), "offmode": (0, 2), "delay": (-1, 1e3),
              "offlimiti": (1e-10, I_MAX), "offlimitv": (0.02, V_MAX)}

    def __init__(self, smu: Smu) -> None:
        self._smu = smu
        self.func, self.levelv, self.leveli, self.limitv, self.limiti = 1, 0.0, 0.0, 20.0, 0.1
        self.rangev, self.rangei, self.autorangev, self.autorangei = 0.2, 1e-7, 1, 1
        self.output, self.offmode, self.delay, self.offlimiti, self.offlimitv = 0, 0, -1, 1e-3, 40.0
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


Buffers = tuple[Buffer | None, Buffer | None]  # where a measurement goes: iv's (current, voltage) or (one, None)


class TriggerMeasure(Node):
    fields = {"action": (0, 2), "stimulus": (0, 64)}

    def __init__(self) -> None:
        self.action, self.stimulus = 0, 0
        self._what: tuple[str, Buffers] = ("i", (None, None))

    def v(self, buffer: Buffer) -> None:
        self._what = ("v", (buffer, None))

    def i(self, buffer: Buffer) -> None:
        self._what = ("i", (buffer, None))

    def r(self, buffer: Buffer) -> None:
        self._what = ("r", (buffer, None))

    def iv(self, ibuffer: Buffer, vbuffer: Buffer) -> None:
        self._what = ("iv", (ibuffer, vbuffer))


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
    """One SMU channel's TSP table; its physics is a :class:`Channel` on ``bench`` (on the DUT when ``attached``)."""

    fields = {"sense": (0, 3)}
    OUTPUT_DCAMPS, OUTPUT_DCVOLTS, OUTPUT_OFF, OUTPUT_ON = 0, 1, 0, 1
    OUTPUT_NORMAL, OUTPUT_HIGH_Z, OUTPUT_ZERO = 0, 1, 2
    SENSE_LOCAL, SENSE_REMOTE, SENSE_CALA = 0, 1, 3
    AUTORANGE_OFF, AUTORANGE_ON, AUTOZERO_OFF, AUTOZERO_ONCE, AUTOZERO_AUTO = 0, 1, 0, 1, 2
    ENABLE, DISABLE, LIMIT_AUTO, SOURCE_IDLE, SOURCE_HOLD = 1, 0, -1, 0, 1

    def __init__(self, bench: VirtualBench, attached: bool) -> None:
        self._channel = Channel(self, bench, attached)
        self.reset()

    def reset(self) -> None:
        """``smuX.reset()``: output off, the reset defaults, buffers cleared, the trigger model idle."""
        self.sense = 0
        self.source, self.measure, self.trigger = Source(self), Measure(self), Trigger(self)
        channel = self._channel
        channel.buffers = {name: ReadingBuffer(name, MAX_BUFFER) for name in ("nvbuffer1", "nvbuffer2")}
        self.nvbuffer1, self.nvbuffer2 = (Buffer(store) for store in channel.buffers.values())
        channel.reset()
        self._apply()

    @property
    def _condition(self) -> int:
        """``status.measurement.instrument.smuX.condition``: the limit the source is held at, if any."""
        if not self._channel.tripped:
            return 0
        return _ILIMIT if self.source.func == self.OUTPUT_DCVOLTS else _VLIMIT

    def _apply(self) -> None:
        self._channel._apply()

    # ----------------------------------------------------------------- measuring
    def _integrate(self) -> tuple[float, float]:
        """(V, I) of one reading, ``measure.nplc`` line cycles long."""
        nplc = self.measure.nplc
        return self._channel._integrate(nplc / LINE_FREQUENCY, nplc)

    def _reading(self, what: str, v: float, i: float) -> Reading:
        """The reading of ``what`` ("v", "i", "r" or "p") at (``v``, ``i``), with the source value, now."""
        value = {"v": v, "i": i, "r": v / i if i else _OVERFLOW, "p": v * i}[what]
        source, source_unit = (v, "V") if self.source.func == self.OUTPUT_DCVOLTS else (i, "A")
        return Reading(value, source, self._channel.bench.time, _UNITS[what], source_unit, self._condition)

    def _store(self, what: str, buffers: Buffers, v: float, i: float) -> None:
        """One measurement into ``buffers``: for "iv" the current into the first and the voltage into the second,
        else ``what`` into the first."""
        targets = zip(buffers, "iv", strict=True) if what == "iv" else [(buffers[0], what)]
        for buffer, quantity in targets:
            if buffer is not None:
                buffer._store(self._reading(quantity, v, i))

    def _read(self, what: str, buffer: Buffer | None) -> float:
        """``measure.count`` readings (``measure.interval`` apart) into ``buffer``; the last one is returned."""
        _buffer_argument(buffer)
        _begin(buffer)
        value = 0.0
        for k in range(self.measure.count):
            if k and self.measure.interval:
                self._channel.bench.advance(self.measure.interval)
            reading = self._reading(what, *self._integrate())
            if buffer is not None:
                buffer._store(reading)
            value = reading.value
        return value

    def _read_iv(self, ibuffer: Buffer | None, vbuffer: Buffer | None) -> tuple[float, float]:
        for buffer in (ibuffer, vbuffer):
            _buffer_argument(buffer)
            _begin(buffer)
        v, i = self._integrate()
        self._store("iv", (ibuffer, vbuffer), v, i)
        return i, v

    # ----------------------------------------------------------------- trigger model
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
        what, buffers = trig.measure._what
        if trig.measure.action:
            _begin_all(buffers)
        for k in range(int(trig.arm.count) * int(trig.count)):
            with self._sourcing(values[k % len(values)] if sourcing else None, limits):
                self._apply()
                if (wait := self._channel._source_delay()) > 0:
                    self._channel.bench.advance(wait)
                if trig.measure.action:
                    self._store(what, buffers, *self._integrate())
        if trig.endsweep.action == self.SOURCE_IDLE:
            self._apply()

    @contextmanager
    def _sourcing(self, level: float | None, limits: tuple[float, float]) -> Iterator[None]:
        """The source at a sweep point: ``level`` (None: the programmed one) within ``limits`` (A, V); the
        programmed values read back afterwards, while the output holds the point's."""
        src = self.source.__dict__
        saved = {name: src[name] for name in ("levelv", "leveli", "limiti", "limitv")}
        if level is not None:
            src["levelv" if self.source.func == self.OUTPUT_DCVOLTS else "leveli"] = level
        src["limiti"], src["limitv"] = limits
        try:
            yield
        finally:
            src.update(saved)

    def _listen(self) -> None:
        """One measurement (the trigger model's measure action into its buffers) ``measure.delay`` s after each
        edge of the bench's trigger line, arm.count × trigger.count times; then the listener is removed."""
        if self.source.output != self.OUTPUT_ON:
            raise TspError(-286, "TSP Runtime error at line 1: triggered measurements need the output on")
        trig = self.trigger
        what, buffers = trig.measure._what
        _begin_all(buffers)

        def record(v: np.ndarray, i: np.ndarray) -> None:
            for vk, ik in zip(v, i, strict=True):
                self._store(what, buffers, float(vk), float(ik))

        count = max(int(trig.arm.count) * int(trig.count), 1)
        self._channel._listen(count, max(self.measure.delay, 0.0), self.measure.nplc,
                              lambda: self._store(what, buffers, *self._integrate()), record)


def _source_field(name: str) -> property:
    """The channel's view of the ``smuX.source`` field ``name``."""
    return property(lambda channel: getattr(channel.smu.source, name))


class Channel(SourceMeterChannel):
    """The source-meter behind one ``smuX`` table: its source settings are the table's."""

    mains_frequency = LINE_FREQUENCY
    source_voltage, source_current = _source_field("levelv"), _source_field("leveli")
    current_limit, voltage_limit = _source_field("limiti"), _source_field("limitv")

    def __init__(self, smu: Smu, bench: VirtualBench, attached: bool) -> None:
        super().__init__(bench, attached)
        self.smu = smu

    @property
    def source_function(self) -> str:
        return "VOLTAGE" if self.smu.source.func == Smu.OUTPUT_DCVOLTS else "CURRENT"

    @property
    def output(self) -> bool:
        return self.smu.source.output == Smu.OUTPUT_ON

    def _noise_floor(self) -> tuple[float, float]:
        return self.smu.measure.rangev, self.smu.measure.rangei

    def _source_delay(self) -> float:
        return max(self.smu.source.delay, 0.0)


def _begin(buffer: Buffer | None) -> None:
    if buffer is not None:
        buffer._begin()


def _begin_all(buffers: Buffers) -> None:
    for buffer in buffers:
        _begin(buffer)


def _buffer_argument(buffer: Any) -> None:
    if buffer is not None and not isinstance(buffer, Buffer):
        raise TspError(-286, "TSP Runtime error at line 1: bad argument #1 (reading buffer expected)")


class Format(Node):
    """``format``: ASCII (1), single (2) or double (3) precision IEEE 754; reset: ASCII, 6 digits, little-endian."""

    fields = {"data": (1, 3), "byteorder": (0, 1), "asciiprecision": (0, 16)}
    ASCII, SREAL, REAL32, REAL, REAL64, DREAL = 1, 2, 2, 3, 3, 3
    NORMAL, BIGENDIAN, NETWORK, SWAPPED, LITTLEENDIAN = 0, 0, 0, 1, 1

    def __init__(self) -> None:
        self.data, self.byteorder, self.asciiprecision = 1, 1, 6


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
        self.smua, self.smub = Smu(bench, dut_channel == "a"), Smu(bench, dut_channel == "b")
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
        """Readings ``start``…``end`` (from 1) of each buffer field (a buffer stands for its readings), interleaved
        point by point; indices are clamped to 1…n (n: the shortest field), and nothing is printed when none is
        left."""
        fields = tuple(f.readings if isinstance(f, Buffer) else f for f in fields)
        if not fields or not all(isinstance(f, Field) for f in fields):
            raise TspError(-286, "TSP Runtime error at line 1: bad argument to 'printbuffer' (buffer field expected)")
        columns = [f.values_() for f in fields]
        size = min(len(column) for column in columns)
        first = max(int(checked("printbuffer", start, -MAX_BUFFER, MAX_BUFFER)), 1)
        last = min(int(checked("printbuffer", end, -MAX_BUFFER, MAX_BUFFER)), size)
        if last < first:
            return
        values = [column[k] for k in range(first - 1, last) for column in columns]
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
