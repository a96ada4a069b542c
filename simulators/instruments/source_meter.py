"""What every virtual source-measure unit does, whatever its command language: the base of the SMU twins.

:class:`SourceMeterChannel` is one SMU channel across its terminals, ``bench``'s DUT or, for a channel with nothing
attached, an open circuit (no current flows; a current source runs into its voltage limit): the programmed source
becomes a :class:`~mtjhw.simulators.bench.Bias` on the bench, clipped by compliance and overvoltage protection (with
trip flags); a reading integrates the terminals over ``nplc`` line cycles of the bench clock and carries the DUT's
read noise, including its window-averaged resistance noise, and the instrument's noise floor; a trigger listener
takes one reading per edge of the bench's trigger line (pulsed work), whole bursts at once for two-state devices;
named :class:`ReadingBuffer` s hold :class:`Reading` s. :class:`SourceMeterTwin` is such a channel on the DUT that
speaks SCPI, with list sweeps on the bench clock. :class:`Range` and :class:`ManualSetting` declare fixed ranges and
settings whose automatic counterpart a manual value turns off.

A model's twin (its dialect) supplies these attributes (SCPI settings of these names in a :class:`SourceMeterTwin`):
``source_function`` (``"VOLTAGE"`` or ``"CURRENT"``), ``source_voltage`` (V), ``source_current`` (A),
``current_limit`` (A, compliance when sourcing voltage), ``voltage_limit`` (V, compliance when sourcing current),
``output`` (bool); each change of the source calls :meth:`SourceMeterChannel._apply` after it. It fills
``self.buffers`` in ``reset`` and may override ``_protection`` (overvoltage protection level, V), ``_noise_floor``
(sense ranges with the output off, (V, A)), ``_source_delay`` (s) and ``mains_frequency`` (Hz).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from mtjhw.simulators.bench import Bias, VirtualBench
from mtjhw.simulators.bench.pulses import TriggerListener
from mtjhw.simulators.scpi import Numeric, ScpiError, Setting
from mtjhw.simulators.scpi.commands import CommandEntry
from mtjhw.simulators.scpi.parameters import mnemonic_matches

from .base import BenchInstrument

LINE_FREQUENCY = 50.0  # Hz
_OVERRANGE = 1.05  # a fixed range holds 105 % of its full scale


def fitting_range(ranges: Sequence[float], value: float) -> float:
    """The lowest of ``ranges`` that holds ``|value|`` (the largest for anything above)."""
    return next((r for r in ranges if abs(value) <= r * _OVERRANGE), ranges[-1])


@dataclass
class Reading:
    value: float
    source: float
    time: float  # s since the instrument's clock origin
    unit: str
    source_unit: str
    status: int


class ReadingBuffer:
    """A named reading buffer holding at most ``capacity`` readings; when full, the oldest are overwritten."""

    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.readings: deque[Reading] = deque(maxlen=capacity)

    @property
    def capacity(self) -> int:
        return self.readings.maxlen or 0

    def append(self, reading: Reading) -> None:
        self.readings.append(reading)

    def resize(self, capacity: int) -> None:
        """A new capacity; as on the instruments, the readings stored are lost."""
        self.readings = deque(maxlen=capacity)

    def span(self, start: int, end: int) -> list[Reading]:
        """Readings ``start``..``end`` (1-based, inclusive)."""
        if not 1 <= start <= end <= len(self.readings):
            raise ScpiError(-222, f"index {start}..{end} outside 1..{len(self.readings)}")
        return list(islice(self.readings, start - 1, end))

    def values(self) -> np.ndarray:
        if not self.readings:
            raise ScpiError(-230, f"buffer '{self.name}' is empty")
        return np.fromiter((r.value for r in self.readings), float, len(self.readings))


class Range(Numeric):
    """A range given as the magnitude to be handled (either sign, MIN/MAX/DEF): parses to the lowest fixed range
    that holds it."""

    def __init__(self, ranges: Sequence[float], default: float, unit: str) -> None:
        top = ranges[-1] * _OVERRANGE
        super().__init__(default, -top, top, unit)
        self.ranges = tuple(ranges)

    def parse(self, token: str) -> float:
        if mnemonic_matches(token, "MINimum"):
            return self.ranges[0]
        return fitting_range(self.ranges, super().parse(token))


class ManualSetting(Setting):
    """A setting whose automatic counterpart (the setting named ``auto``) is turned off when it is set, as the
    2450 does for ranges and source delays."""

    def __init__(self, header: str, param: Numeric, auto: str) -> None:
        super().__init__(header, param)
        self.auto = auto

    def entries(self) -> list[CommandEntry]:
        return [entry if entry.query else self._turning_auto_off(entry) for entry in super().entries()]

    def _turning_auto_off(self, entry: CommandEntry) -> CommandEntry:
        store, auto = entry.handler, self.auto

        def set_value(inst: Any, value: float) -> None:
            store(inst, value)
            inst.settings[auto] = False

        return CommandEntry(entry.pattern, entry.nodes, False, entry.params, set_value)


def open_circuit(bias: Bias) -> tuple[float, float]:
    """(V, I) of terminals with nothing attached under ``bias``: no current flows, and a current source's voltage
    runs away (to the source's limit)."""
    if bias.mode == "V":
        return bias.level, 0.0
    return (math.copysign(math.inf, bias.level) if bias.level else 0.0), 0.0


class SourceMeterChannel:
    """One SMU channel on ``bench``, across its DUT or (``attached=False``) an open circuit (see the module
    docstring for what a model supplies)."""

    noise_rel = 2e-6  #: instrument noise per reading at 1 NPLC, relative to the reading
    mains_frequency = LINE_FREQUENCY  #: Hz: the line cycle that ``nplc`` counts

    def __init__(self, bench: VirtualBench, attached: bool = True) -> None:
        self.bench, self.attached = bench, attached
        self.buffers: dict[str, ReadingBuffer] = {}
        self.tripped = False
        self.protection_tripped = False
        self._listener: TriggerListener | None = None

    def reset(self) -> None:
        """Trip flags cleared, the trigger listener disarmed."""
        self.tripped = self.protection_tripped = False
        self._disarm()

    # ----------------------------------------------------------------- model hooks
    def _protection(self) -> float:
        """The overvoltage protection level (V); none by default."""
        return math.inf

    def _noise_floor(self) -> tuple[float, float]:
        """The sense ranges (V, A) whose noise a reading with the output off shows."""
        return 0.2, 1e-4

    def _source_delay(self) -> float:
        return 0.0

    # ----------------------------------------------------------------- source
    def _apply(self) -> None:
        """Push the programmed source state to the terminals."""
        if not self.output:
            self.bench.release_bias(self)
            return
        bias = self._limited(self._programmed_bias())
        if self.attached:
            self.bench.apply_bias(self, bias)

    def _programmed_bias(self) -> Bias:
        if self.source_function == "VOLTAGE":
            return Bias("V", self.source_voltage)
        return Bias("I", self.source_current)

    def _load(self, bias: Bias) -> tuple[float, float]:
        """(V, I) at the terminals under ``bias``."""
        return self.bench.dut.operating_point(bias) if self.attached else open_circuit(bias)

    def _limited(self, bias: Bias) -> Bias:
        """Apply compliance and overvoltage protection: a source that would exceed its limit becomes a source at
        the limit, and no output voltage exceeds the protection level."""
        ovp = self._protection()
        self.protection_tripped = bias.mode == "V" and abs(bias.level) > ovp
        if self.protection_tripped:
            bias = Bias("V", math.copysign(ovp, bias.level))
        v, i = self._load(bias)
        self.tripped = False
        if bias.mode == "V" and abs(i) > self.current_limit:
            self.tripped = True
            return Bias("I", math.copysign(self.current_limit, i))
        if bias.mode == "I" and abs(v) > min(self.voltage_limit, ovp):
            self.tripped, self.protection_tripped = True, ovp < self.voltage_limit
            return Bias("V", math.copysign(min(self.voltage_limit, ovp), v))
        return bias

    # ----------------------------------------------------------------- measuring
    def _integrate(self, t_int: float, nplc: float) -> tuple[float, float]:
        """Time-averaged (V, I) over ``t_int`` seconds, with the DUT's read noise (and its resistance noise over the
        window) and the instrument's noise."""
        if not self.output:
            self.bench.advance(t_int)
            rng = self.bench.rng
            v_range, i_range = self._noise_floor()
            return (self.noise_rel * v_range * rng.standard_normal(),
                    self.noise_rel * i_range * rng.standard_normal())
        self._apply()  # re-evaluate compliance against the DUT's present state
        if not self.attached:
            self.bench.advance(t_int)
            bias = self._limited(self._programmed_bias())
            return self._with_noise(bias.mode, *self._load(bias), 0.0, nplc)
        v, i = self.bench.advance(t_int)
        noise = self.bench.dut.reading_noise(self.bench.rng, nplc, self.bench.time - t_int, t_int)
        return self._with_noise(self.bench.bias.mode, v, i, noise, nplc)

    def _with_noise(self, mode: str, v: float, i: float, noise: float, nplc: float) -> tuple[float, float]:
        """(V, I) with the DUT's relative read ``noise`` and the instrument's on the quantity that a ``mode``
        ("V" or "I") source measures."""
        scale = self.noise_rel * math.sqrt(1.0 / max(nplc, 0.01))
        rng = self.bench.rng
        if mode == "V":
            return v, i / (1 + noise) + scale * max(abs(i), 1e-9) * rng.standard_normal()
        return v * (1 + noise) + scale * max(abs(v), 1e-6) * rng.standard_normal(), i

    def _window_readings(self, fraction_p: np.ndarray, nplc: float) -> tuple[np.ndarray, np.ndarray]:
        """(V, I) arrays of windows in which a two-state DUT spent ``fraction_p`` of the time in P (bulk path)."""
        self._apply()
        bias = self.bench.bias
        dut = self.bench.dut
        (v_p, i_p), (v_ap, i_ap) = dut._operating_point(1, bias), dut._operating_point(-1, bias)
        v = fraction_p * v_p + (1 - fraction_p) * v_ap
        i = fraction_p * i_p + (1 - fraction_p) * i_ap
        rng = self.bench.rng
        noise = dut.read_noise * rng.standard_normal(len(v)) / np.sqrt(max(nplc, 0.01))
        scale = math.sqrt(1.0 / max(nplc, 0.01))
        if bias.mode == "V":
            i = i / (1 + noise) + self.noise_rel * scale * np.maximum(np.abs(i), 1e-9) * rng.standard_normal(len(v))
        else:
            v = v * (1 + noise) + self.noise_rel * scale * np.maximum(np.abs(v), 1e-6) * rng.standard_normal(len(v))
        return v, i

    # ----------------------------------------------------------------- trigger line
    def _listen(self, count: int, delay: float, nplc: float, take: Callable[[], object],
                record: Callable[[np.ndarray, np.ndarray], None]) -> None:
        """Wait on the bench's trigger line for ``count`` readings, each ``delay`` s after an edge and ``nplc``
        line cycles long: ``take()`` makes one, ``record(v, i)`` stores a burst's (bulk path, the DUT's channel
        only); then disarm."""
        if not self.output:
            raise ScpiError(-221, "triggered readings need the output on")
        remaining = [count]

        def taken(n: int) -> None:
            remaining[0] -= n
            if remaining[0] <= 0:
                self._disarm(listener)

        def reading() -> None:
            take()
            taken(1)

        def burst(fraction_p: np.ndarray) -> None:
            v, i = self._window_readings(fraction_p[:remaining[0]], nplc)
            record(v, i)
            taken(len(v))

        listener = TriggerListener(delay, nplc / self.mains_frequency, reading, burst if self.attached else None)
        self._listener = listener
        self.bench.trigger_listeners.append(listener)

    def _disarm(self, listener: TriggerListener | None = None) -> None:
        """Take ``listener`` (by default the one armed last) off the trigger line."""
        listener = self._listener if listener is None else listener
        if listener in self.bench.trigger_listeners:
            self.bench.trigger_listeners.remove(listener)
        if listener is self._listener:
            self._listener = None

    def _buffer(self, name: str) -> ReadingBuffer:
        if name not in self.buffers:
            raise ScpiError(-224, f"no buffer named '{name}'")
        return self.buffers[name]


class SourceMeterTwin(SourceMeterChannel, BenchInstrument):
    """A virtual SMU whose channel is on ``bench``'s DUT, speaking SCPI (see the module docstring for what a model's
    twin declares)."""

    def __init__(self, bench: VirtualBench) -> None:
        SourceMeterChannel.__init__(self, bench)
        BenchInstrument.__init__(self, bench)

    def reset(self) -> None:
        BenchInstrument.reset(self)
        SourceMeterChannel.reset(self)

    def _level(self) -> float:
        return self.source_voltage if self.source_function == "VOLTAGE" else self.source_current

    def _set_level(self, value: float) -> None:
        key = "source_voltage" if self.source_function == "VOLTAGE" else "source_current"
        self.settings[key] = value
        self._apply()

    def _run_levels(self, levels: Sequence[float], delay: float, count: int, take: Callable[[], object]) -> None:
        """A sweep on the bench clock: ``count`` times through ``levels``, each held ``delay`` s (the source delay
        when negative) and then read with ``take()``, the output on throughout; the level and output as they were
        afterwards."""
        was_on, resting_level = self.output, self._level()
        self.settings["output"] = True
        for _ in range(max(count, 1)):
            for level in levels:
                self._set_level(level)
                wait = self._source_delay() if delay < 0 else delay
                if wait > 0:
                    self.bench.advance(wait)
                take()
        self.settings["output"] = was_on
        self._set_level(resting_level)
