"""Virtual swept spectrum analyzers watching the DUT's microwave emission: Keysight X-series N9010B EXA and N9030B
PXA (Spectrum Analyzer mode; the PXA also has the Phase Noise mode, N9068C) and R&S FSW26 (Spectrum and Phase Noise
channels, FSW-K40).

Signal chain: the DUT's emission (its power spectral density into 50 Ω, from the device physics) reaches the
analyzer through the bias tee, a low-noise amplifier (``amplifier_gain_db``, ``noise_figure_db``) and
``cable_loss_db``; the analyzer adds its displayed average noise level (``danl_dbm_per_hz`` at 10 dB input
attenuation, one dB more per dB of attenuation, ``PREAMP_DB`` less with the preamplifier on).

The trace physics is in :mod:`.analyzer_trace`; the models in :mod:`.keysight_xseries` and :mod:`.rs_fsw`.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
from scipy import signal

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.physics.constants import KB
from mtjhw.simulators.scpi import (
    ScpiError,
    Setting,
)
from mtjhw.simulators.scpi.commands import CommandEntry

from .analyzer_trace import Emission, Sweep, filtered_levels, fluctuation, integrate_cells
from .base import BenchInstrument

_T0 = 290.0  # K, noise-figure reference temperature
PREAMP_DB = 15.0  # dB the preamplifier lowers the analyzer's own noise floor
#: Gaussian σ per unit RBW for each way of specifying its bandwidth: −3 dB, −6 dB, noise and impulse bandwidth.
SIGMA_PER_RBW = {"DB3": 1 / (2 * math.sqrt(2 * math.log(2))), "DB6": 1 / (2 * math.sqrt(2 * math.log(4))),
                  "NOISE": 1 / math.sqrt(2 * math.pi), "IMPULSE": 1 / (2 * math.sqrt(math.pi))}
_DecoratedT = TypeVar("_DecoratedT")
TRACES = tuple(range(1, 7))
TRACE_NAMES = ["TRACE1", "TRACE2", "TRACE3", "TRACE4", "TRACE5", "TRACE6"]


@dataclass
class Marker:
    """One marker: on or off, its frequency (Hz), the trace it reads and whether it is a delta marker."""

    on: bool = False
    x: float = 0.0
    trace: int = 1
    delta: bool = False
    excursion: float = 6.0  # dB a peak must rise above its surroundings


def only(mode: str) -> Callable[[_DecoratedT], _DecoratedT]:
    """Mark a ``Setting`` or ``@command`` method as existing only in measurement mode (or channel type) ``mode``;
    elsewhere its header is undefined (-113), as on the real instrument."""

    def mark(declaration: _DecoratedT) -> _DecoratedT:
        declaration.scpi_mode = mode  # type: ignore[attr-defined]
        return declaration

    return mark


def _mode_checked(entry: CommandEntry, mode: str) -> CommandEntry:
    """``entry`` answering -113 unless the instrument is in ``mode``."""
    handler = entry.handler

    def checked(inst: SpectrumAnalyzer, *args: Any) -> Any:
        if inst.mode != mode:
            raise ScpiError(-113, f"'{entry.pattern}' is not a command of the {inst.mode} mode")
        return handler(inst, *args)

    return dataclasses.replace(entry, handler=checked)


def block(values: np.ndarray, fmt: str, little_endian: bool) -> bytes:
    """IEEE 488.2 definite-length block of ``values`` as 'REAL,64', 'REAL,32' or 'INT,32' (milli-units)."""
    order = "<" if little_endian else ">"
    if fmt == "INT,32":
        data = np.round(values * 1000).astype(order + "i4").tobytes()
    else:
        data = values.astype(order + ("f8" if fmt == "REAL,64" else "f4")).tobytes()
    size = str(len(data))
    return f"#{len(size)}{size}".encode() + data


class SpectrumAnalyzer(BenchInstrument, ABC):
    """What the virtual analyzers share: the signal chain, trace acquisition, markers and carrier search."""

    #: Installed measurement modes (X-series) or channel types (FSW) → number.
    modes: ClassVar[dict[str, int]] = {"SA": 1}
    f_min: ClassVar[float] = 0.0  #: Hz, lowest settable frequency
    f_max: ClassVar[float] = 26.5e9  #: Hz, highest settable frequency
    min_span: ClassVar[float] = 10.0  #: Hz, narrowest span other than zero span

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        mode_of: dict[str, str | None] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                if isinstance(attr, Setting):
                    entries = attr.entries()
                elif callable(attr) and hasattr(attr, "_scpi_entries"):
                    entries = attr._scpi_entries
                else:
                    continue
                mode_of.update({e.key: getattr(attr, "scpi_mode", None) for e in entries})
        cls._commands = [_mode_checked(e, mode) if (mode := mode_of.get(e.key)) else e for e in cls._commands]

    def __init__(self, bench: VirtualBench, amplifier_gain_db: float = 30.0, noise_figure_db: float = 2.0,
                 cable_loss_db: float = 3.0, danl_dbm_per_hz: float = -155.0) -> None:
        self.amplifier_gain_db, self.noise_figure_db = amplifier_gain_db, noise_figure_db
        self.cable_loss_db, self.danl_dbm_per_hz = cable_loss_db, danl_dbm_per_hz
        self.traces: dict[int, np.ndarray] = {}
        self.markers: dict[int, Marker] = {}
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.traces = {}
        self.markers = {}

    @property
    def mode(self) -> str:
        """The measurement mode (channel type) the next command goes to."""
        return "SA"

    # ----------------------------------------------------------------- couplings shared by the analyzers
    # Subclasses declare the settings center, span, rbw(_auto), vbw(_auto), sweep_time(_auto), detectors,
    # detector_auto and attenuation, and re-derive the auto-coupled ones in _couple().
    @abstractmethod
    def _couple(self) -> None:
        """Re-derive the auto-coupled settings."""

    def _couple_trace(self, n: int) -> None:
        self._couple()

    def _rbw_set(self) -> None:
        self.settings["rbw_auto"] = False
        self._couple()

    def _vbw_set(self) -> None:
        self.settings["vbw_auto"] = False
        self._couple()

    def _sweep_time_set(self) -> None:
        self.settings["sweep_time_auto"] = False
        self._couple()

    def _detector_set(self, n: int) -> None:
        self.settings["detector_auto"][n] = False
        self._couple()

    def start(self) -> float:
        """Start frequency (Hz)."""
        return self.settings["center"] - self.settings["span"] / 2

    def stop(self) -> float:
        """Stop frequency (Hz)."""
        return self.settings["center"] + self.settings["span"] / 2

    def _set_range(self, start: float, stop: float) -> None:
        self.settings["center"], self.settings["span"] = (start + stop) / 2, stop - start
        self._couple()

    def _center_set(self) -> None:
        """A new center keeps the span unless start or stop would leave the frequency range."""
        center = self.settings["center"]
        half = min(self.settings["span"] / 2, center - self.f_min, self.f_max - center)
        self._set_range(center - half, center + half)

    def _span_set(self) -> None:
        """A new span keeps the center unless start or stop would leave the frequency range."""
        span = self.settings["span"]
        if 0 < span < self.min_span:
            raise ScpiError(-222, f"span {span:g} Hz: 0 (zero span) or at least {self.min_span:g} Hz")
        center = min(max(self.settings["center"], self.f_min + span / 2), self.f_max - span / 2)
        self._set_range(center - span / 2, center + span / 2)

    def attenuation_db(self) -> float:
        """Input attenuation (dB) now."""
        return float(self.settings["attenuation"])

    # ----------------------------------------------------------------- signal chain
    def preamp_db(self, frequencies: np.ndarray) -> np.ndarray:
        """How much (dB) the preamplifier lowers the analyzer's noise at ``frequencies``."""
        return np.zeros_like(frequencies)

    def noise_psd(self, frequencies: np.ndarray) -> np.ndarray:
        """Noise (W/Hz) at the analyzer input, referred to its display: amplifier kTFG and the analyzer's DANL."""
        gain_db = self.amplifier_gain_db - self.cable_loss_db
        amplifier = KB * _T0 * 10 ** ((self.noise_figure_db + gain_db) / 10)
        danl_dbm = self.danl_dbm_per_hz + self.attenuation_db() - 10.0 - self.preamp_db(frequencies)
        return amplifier + 1e-3 * 10 ** (danl_dbm / 10)

    def emission(self) -> Emission | None:
        """The DUT's emission as it reaches the analyzer, None when the DUT emits nothing; its line is where the
        physics model puts the generation frequency."""
        dut = self.bench.dut
        emission_psd = getattr(dut, "emission_psd", None)
        if emission_psd is None or self.bench.field <= 0:
            return None
        _, current = dut.operating_point(self.bench.bias)
        gain = 10 ** ((self.amplifier_gain_db - self.cable_loss_db) / 10)
        field_t = self.bench.field

        def psd(f: np.ndarray) -> np.ndarray:  # nothing below 0 Hz, continuously (a ramp over the first hertz)
            return gain * emission_psd(np.maximum(f, 1.0), current, field_t) * np.clip(f, 0.0, 1.0)

        line = getattr(getattr(dut, "physics", None), "frequency", None)
        return Emission(psd, (float(line(current, field_t)),) if callable(line) else ())

    def mean_levels(self, sweep: Sweep) -> np.ndarray:
        """Mean displayed power per point (W), emission and noise, before fluctuations."""
        f = sweep.frequencies
        floor = self.noise_psd(f)
        dut = filtered_levels(self.emission(), f, sweep.sigma, sweep.detector, 1e-3 * float(floor.min()))
        return dut + floor * math.sqrt(2 * math.pi) * sweep.sigma

    def acquire(self, sweep: Sweep) -> np.ndarray:
        """One trace (dBm per point) of ``sweep.count`` sweeps; the bench's time advances by them."""
        power = self.mean_levels(sweep) * fluctuation(self.bench.rng, sweep)
        self.bench.advance(sweep.sweep_time * sweep.count)
        return 10 * np.log10(np.maximum(power, 1e-30) / 1e-3)

    def strongest_signal(self, lo: float, hi: float) -> float | None:
        """Frequency (Hz) of the strongest emission in [``lo``, ``hi``], None when nothing rises above the noise."""
        emission = self.emission()
        if emission is None:
            return None
        for _ in range(2):
            f = np.linspace(lo, hi, 2001)
            sigma = (f[1] - f[0]) / 2
            floor = self.noise_psd(f)
            dut = filtered_levels(emission, f, sigma, "peak", 1e-3 * float(floor.min()))
            i = int(np.argmax(dut))
            if dut[i] < floor[i] * math.sqrt(2 * math.pi) * sigma:
                return None
            lo, hi = f[max(i - 1, 0)], f[min(i + 1, f.size - 1)]
        return float(f[i])

    def phase_noise(self, carrier: float, offsets: np.ndarray) -> tuple[float, np.ndarray]:
        """Carrier power (W, within ± the largest offset) and the single-sideband noise L (1/Hz) at ``offsets``."""
        emission = self.emission()
        reach = float(offsets.max())
        edges = np.linspace(carrier - reach, carrier + reach, 257)
        floor = self.noise_psd(np.array([carrier]))[0]
        dut = np.zeros(offsets.size)
        carrier_power = floor * 2 * reach
        if emission is not None:
            carrier_power += float(integrate_cells(emission, edges, 1e-3 * floor)[0].sum())
            dut = emission.psd(carrier + offsets)
        return carrier_power, (dut + self.noise_psd(carrier + offsets)) / carrier_power

    # ----------------------------------------------------------------- markers
    def trace_data(self, n: int) -> np.ndarray:
        """Trace ``n`` (dBm), acquired first if it has never been."""
        if n not in self.traces:
            self.sweep_traces([n])
        return self.traces[n]

    @abstractmethod
    def sweep_traces(self, traces: list[int]) -> None:
        """Acquire ``traces`` under the present settings."""

    def marker(self, n: int, limit: int) -> Marker:
        if not 1 <= n <= limit:
            raise ScpiError(-114, f"marker {n} (1 to {limit})")
        return self.markers.setdefault(n, Marker())

    @abstractmethod
    def marker_frequencies(self) -> np.ndarray:
        """The x value (Hz) of each trace point."""

    def marker_index(self, marker: Marker) -> int:
        f = self.marker_frequencies()
        return int(np.argmin(np.abs(f - marker.x)))

    def marker_level(self, marker: Marker) -> float:
        """The marker's trace level (dBm)."""
        if not marker.on:
            raise ScpiError(-221, "marker is off")
        return float(self.trace_data(marker.trace)[self.marker_index(marker)])

    def peak_search(self, marker: Marker, how: str, threshold: float = -math.inf) -> None:
        """Move ``marker`` to the trace maximum ("max"), minimum ("min"), or the next peak lower than its level
        ("next"), left or right of it ("left", "right"); peaks rise ``marker.excursion`` dB above their valleys."""
        trace = self.trace_data(marker.trace)
        f = self.marker_frequencies()
        marker.on = True
        if how in ("max", "min"):
            marker.x = float(f[int(np.argmax(trace) if how == "max" else np.argmin(trace))])
            return
        here = self.marker_index(marker)
        peaks, _ = signal.find_peaks(trace, prominence=marker.excursion)
        peaks = peaks[trace[peaks] >= threshold]
        if how == "next":
            peaks = peaks[trace[peaks] < trace[here]]
            chosen = peaks[np.argmax(trace[peaks])] if peaks.size else None
        elif how == "left":
            chosen = peaks[peaks < here].max() if (peaks < here).any() else None
        else:
            chosen = peaks[peaks > here].min() if (peaks > here).any() else None
        if chosen is None:
            raise ScpiError(-200, "no peak found")
        marker.x = float(f[chosen])

    @abstractmethod
    def centre_strongest(self) -> None:
        """Centre the strongest signal (auto tune, auto frequency)."""


