"""Virtual swept spectrum analyzers watching the DUT's microwave emission: Keysight X-series N9010B EXA and N9030B
PXA (Spectrum Analyzer mode; the PXA also has the Phase Noise mode, N9068C) and R&S FSW26 (Spectrum and Phase Noise
channels, FSW-K40).

Signal chain: the DUT's emission (its power spectral density into 50 Ω, from the device physics) reaches the
analyzer through the bias tee, a low-noise amplifier (``amplifier_gain_db``, ``noise_figure_db``) and
``cable_loss_db``; the analyzer adds its displayed average noise level (``danl_dbm_per_hz`` at 10 dB input
attenuation, one dB more per dB of attenuation, ``_PREAMP_DB`` less with the preamplifier on).

Trace: each of the N points covers a bucket of width w = span/(N − 1), seen through a Gaussian resolution filter of
width σ (from the RBW and its type: 3 dB, 6 dB, noise or impulse bandwidth). The DUT power in the cells of a grid is
integrated by adaptive Simpson quadrature, refined only where the PSD has structure, so that a line much narrower
than a cell is still found and integrated; the cumulative power smoothed by the filter gives each cell's filtered
power, which the detector reduces per bucket: average (bucket mean), sample (bucket centre), positive, normal or
auto peak (bucket maximum), negative (bucket minimum). The grid has 4 cells per bucket when the RBW is below twice
the bucket and cells of σ/2 otherwise: memory and time grow with N, never with span/RBW.

Statistics: the displayed power fluctuates like a power detector's. A video sample is Gamma distributed with
max(1, RBW/VBW) degrees of freedom, a bucket holds sweep time·min(RBW, VBW)/N independent ones, which the detector
averages (in the averaging scale: log, power or voltage) or takes the maximum or minimum of; trace averaging and
max/min hold combine sweeps. Emission and noise alike fluctuate so. Each sweep advances the bench's time.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np
from scipy import signal, special

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.physics.constants import KB
from mtjhw.simulators.scpi import (
    Boolean,
    ChannelSetting,
    Enum,
    Integer,
    Numeric,
    Raw,
    ScpiError,
    Setting,
    String,
    Variadic,
    command,
)
from mtjhw.simulators.scpi.commands import CommandEntry

from .base import BenchInstrument

_T0 = 290.0  # K, noise-figure reference temperature
_PREAMP_DB = 15.0  # dB the preamplifier lowers the analyzer's own noise floor
_PREAMP_LOW_BAND = 3.6e9  # Hz, upper edge of the X-series preamplifier's LOW band
#: Gaussian σ per unit RBW for each way of specifying its bandwidth: −3 dB, −6 dB, noise and impulse bandwidth.
_SIGMA_PER_RBW = {"DB3": 1 / (2 * math.sqrt(2 * math.log(2))), "DB6": 1 / (2 * math.sqrt(2 * math.log(4))),
                  "NOISE": 1 / math.sqrt(2 * math.pi), "IMPULSE": 1 / (2 * math.sqrt(math.pi))}
_CELLS_PER_BUCKET = 4
_REFINE_BUDGET = 20000  # PSD evaluations the adaptive quadrature may spend refining, beyond 5 per cell
_MAX_DEPTH = 40  # halvings of a cell at most
_E24 = np.array([1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2,
                 6.8, 7.5, 8.2, 9.1, 10.0])
_FFT_SEGMENT = 10e6  # Hz analysed per FFT segment
_DecoratedT = TypeVar("_DecoratedT")


# ----------------------------------------------------------------------------------------------- trace physics
@dataclass(frozen=True)
class Emission:
    """The DUT's emission at the analyzer input: its PSD (W/Hz of frequency, Hz) and where its lines are (Hz)."""

    psd: Callable[[np.ndarray], np.ndarray]
    lines: tuple[float, ...] = ()


def integrate_cells(emission: Emission, edges: np.ndarray, atol_density: float, rtol: float = 1e-4
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Power (W) of ``emission`` in each cell [edges[k], edges[k+1]] and the largest PSD sampled in it.

    Adaptive Simpson: an interval is split while its two Simpson estimates differ by more than ``rtol`` of its
    power and ``atol_density`` times its width, at most ``_MAX_DEPTH`` times; 5 evaluations per cell plus at most
    ``_REFINE_BUDGET``. A cell holding a line (or 0 or 1 Hz, where the emission sets in) starts as two intervals
    meeting there, so that a line far narrower than the cell is seen.
    """
    psd = emission.psd
    n = edges.size - 1
    breaks = [f for f in (*emission.lines, 0.0, 1.0) if edges[0] < f < edges[-1]]
    nodes = np.union1d(edges, breaks) if breaks else edges
    lo, hi = nodes[:-1], nodes[1:]
    cell = np.searchsorted(edges, lo, side="right") - 1
    mid = (lo + hi) / 2
    fa, fm, fb = psd(lo), psd(mid), psd(hi)
    power, peak = np.zeros(n), np.zeros(n)
    np.maximum.at(peak, cell, np.maximum(np.maximum(fa, fb), fm))
    budget = _REFINE_BUDGET
    for depth in range(_MAX_DEPTH + 1):
        if not cell.size:
            break
        q1, q3 = np.split(psd(np.concatenate([(lo + mid) / 2, (mid + hi) / 2])), 2)
        width = hi - lo
        coarse = width / 6 * (fa + 4 * fm + fb)
        fine = width / 12 * (fa + 4 * q1 + 2 * fm + 4 * q3 + fb)
        np.maximum.at(peak, cell, np.maximum(q1, q3))
        done = np.abs(fine - coarse) / 15 <= np.maximum(rtol * np.abs(fine), atol_density * width)
        refine = 4 * int(np.count_nonzero(~done))  # two new evaluations in each half
        if refine > budget or depth == _MAX_DEPTH:
            done[:] = True
        budget -= refine
        np.add.at(power, cell[done], fine[done] + (fine[done] - coarse[done]) / 15)
        keep = ~done
        lo, mid, hi, fa, fm, fb, q1, q3, cell = (a[keep] for a in (lo, mid, hi, fa, fm, fb, q1, q3, cell))
        # the two halves, each with its end points and middle already evaluated
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        fa, fm, fb = np.concatenate([fa, fm]), np.concatenate([q1, q3]), np.concatenate([fm, fb])
        cell = np.concatenate([cell, cell])
        mid = (lo + hi) / 2
    return np.clip(power, 0.0, None), peak


def _smoothed_cumulative(power: np.ndarray, sigma_cells: float) -> np.ndarray:
    """Cumulative power at the cell edges convolved with the filter's normalised Gaussian (σ in cells)."""
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    if sigma_cells < 1e-3:
        return cumulative
    reach = math.ceil(6 * sigma_cells)
    j = np.arange(-reach, reach + 1)
    kernel = special.ndtr((j + 0.5) / sigma_cells) - special.ndtr((j - 0.5) / sigma_cells)
    kernel /= kernel.sum()
    padded = np.pad(cumulative, reach, mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def filtered_levels(emission: Emission | None, frequencies: np.ndarray, sigma: float, detector: str,
                    atol_density: float) -> np.ndarray:
    """Mean power (W) each trace point displays of ``emission`` through a Gaussian RBW filter of width ``sigma``.

    ``detector``: "average", "sample", "peak" or "negative"; buckets are centred on ``frequencies`` (evenly spaced).
    """
    points = frequencies.size
    if emission is None:
        return np.zeros(points)
    enbw = math.sqrt(2 * math.pi) * sigma  # noise bandwidth of the filter, peak gain 1
    w = (frequencies[-1] - frequencies[0]) / (points - 1) if points > 1 else 0.0
    if w <= 0 or sigma > 2 * w:  # the filter is wider than a bucket: every detector sees the same smooth level
        h = sigma / 2
        lo = frequencies[0] - w / 2 - 6 * sigma
        cells = math.ceil((frequencies[-1] + w / 2 + 6 * sigma - lo) / h)
        edges = lo + h * np.arange(cells + 1)
        power, _ = integrate_cells(emission, edges, atol_density)
        smoothed = _smoothed_cumulative(power, sigma / h)
        level = enbw / h * np.diff(smoothed)
        return np.interp(frequencies, (edges[:-1] + edges[1:]) / 2, level)
    h = w / _CELLS_PER_BUCKET
    pad = math.ceil(6 * sigma / h)
    edges = frequencies[0] - w / 2 + h * np.arange(-pad, points * _CELLS_PER_BUCKET + pad + 1)
    power, peak = integrate_cells(emission, edges, atol_density)
    level = enbw / h * np.diff(_smoothed_cumulative(power, sigma / h))
    core = slice(pad, pad + points * _CELLS_PER_BUCKET)
    buckets = level[core].reshape(points, _CELLS_PER_BUCKET)
    if detector == "average":
        return buckets.mean(axis=1)
    if detector == "sample":
        return buckets[:, _CELLS_PER_BUCKET // 2 - 1:_CELLS_PER_BUCKET // 2 + 1].mean(axis=1)
    if detector == "negative":
        return buckets.min(axis=1)
    # a feature narrower than a cell peaks at its whole power or at ENBW times its PSD, whichever is less
    narrow = np.minimum(enbw * peak, power)[core].reshape(points, _CELLS_PER_BUCKET)
    return np.maximum(buckets, narrow).max(axis=1)


def _scale(name: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """The averaging scale's transform and inverse: log (video), power (RMS) or voltage (scalar)."""
    if name == "log":
        return np.log, np.exp
    if name == "voltage":
        return np.sqrt, np.square
    return (lambda x: x), (lambda x: x)


def _sample_moments(k: float, scale: str) -> tuple[float, float]:
    """Mean and standard deviation of one Gamma(k)/k power sample in the averaging scale."""
    if scale == "log":
        return float(special.digamma(k) - math.log(k)), math.sqrt(float(special.polygamma(1, k)))
    if scale == "voltage":
        mean = math.exp(special.gammaln(k + 0.5) - special.gammaln(k)) / math.sqrt(k)
        return mean, math.sqrt(max(1.0 - mean**2, 0.0))
    return 1.0, 1.0 / math.sqrt(k)


@dataclass(frozen=True)
class Sweep:
    """What one trace acquisition needs: frequencies (Hz), resolution filter, detector and trace combination."""

    start: float
    stop: float
    points: int
    sigma: float  #: Hz, width of the Gaussian resolution filter
    rbw: float
    vbw: float
    sweep_time: float  #: s, one sweep
    detector: str  #: "average", "sample", "peak" or "negative"
    scale: str  #: averaging scale: "log", "power" or "voltage"
    hold: str = "write"  #: how sweeps combine: "write", "average", "max" or "min"
    count: int = 1  #: sweeps combined

    @property
    def frequencies(self) -> np.ndarray:
        return np.linspace(self.start, self.stop, self.points)


def fluctuation(rng: np.random.Generator, sweep: Sweep) -> np.ndarray:
    """Relative displayed power of each point (mean-1 power detector statistics, see the module docstring)."""
    k = max(1.0, sweep.rbw / sweep.vbw)
    per_bucket = max(1.0, sweep.sweep_time * min(sweep.rbw, sweep.vbw) / sweep.points)
    u = np.clip(rng.random(sweep.points), 1e-300, 1 - 1e-16)
    if sweep.detector in ("average", "sample") and sweep.hold in ("write", "average"):
        n = (per_bucket if sweep.detector == "average" else 1.0) * (sweep.count if sweep.hold == "average" else 1)
        return _mean_of_samples(u, k, n, sweep.scale)
    one = _one_sweep_quantile(k, per_bucket, sweep.detector, sweep.scale)
    if sweep.hold == "max":
        return one(np.exp(np.log(u) / sweep.count))
    if sweep.hold == "min":
        return one(-np.expm1(np.log(u) / sweep.count))
    if sweep.hold == "write" or sweep.count == 1:
        return one(u)
    forward, inverse = _scale(sweep.scale)  # average of max/min-detected sweeps: normal approximation
    nodes, weights = np.polynomial.legendre.leggauss(64)
    values = forward(one((nodes + 1) / 2))
    mean = float(np.sum(weights * values) / 2)
    spread = math.sqrt(max(float(np.sum(weights * (values - mean) ** 2) / 2), 0.0))
    return inverse(mean + spread / math.sqrt(sweep.count) * special.ndtri(u))


def _mean_of_samples(u: np.ndarray, k: float, n: float, scale: str) -> np.ndarray:
    """Quantile ``u`` of the average of ``n`` Gamma(k)/k samples taken in ``scale`` (normal beyond one sample
    in the log and voltage scales)."""
    if scale == "power" or n <= 1:
        return special.gammaincinv(k * n, u) / (k * n)
    mean, spread = _sample_moments(k, scale)
    z = mean + spread / math.sqrt(n) * special.ndtri(u)
    return np.exp(z) if scale == "log" else np.square(np.clip(z, 0.0, None))


def _one_sweep_quantile(k: float, n: float, detector: str, scale: str) -> Callable[[np.ndarray], np.ndarray]:
    """Quantile function of one sweep's value at a point: one sample, the mean of the bucket's ``n`` (average
    detector), or their maximum or minimum (peak, negative)."""
    if detector == "peak":
        return lambda u: special.gammaincinv(k, np.exp(np.log(u) / n)) / k
    if detector == "negative":
        return lambda u: special.gammaincinv(k, -np.expm1(np.log(u) / n)) / k
    if detector == "average":
        return lambda u: _mean_of_samples(u, k, n, scale)
    return lambda u: special.gammaincinv(k, u) / k


def auto_sweep_time(span: float, rbw: float, vbw: float, sweep_type: str) -> float:
    """Coupled sweep time (s): swept ≈ 2·span/(RBW·min(RBW, VBW)), FFT ≈ 4/RBW per 10 MHz segment; at least 1 ms."""
    if span <= 0:
        return 1e-3
    if sweep_type == "FFT":
        return max(1e-3, math.ceil(span / _FFT_SEGMENT) * 4 / rbw)
    return max(1e-3, 2 * span / (rbw * min(rbw, vbw)))


def auto_rbw(span: float, ratio: float = 106.0) -> float:
    """Coupled RBW (Hz): span/``ratio`` on the E24 series."""
    target = span / ratio if span > 0 else 3e6
    decade = 10 ** math.floor(math.log10(max(target, 1e-12)))
    return float(_E24[np.argmin(np.abs(_E24 * decade - target))] * decade)


@dataclass
class Marker:
    """One marker: on or off, its frequency (Hz), the trace it reads and whether it is a delta marker."""

    on: bool = False
    x: float = 0.0
    trace: int = 1
    delta: bool = False
    excursion: float = 6.0  # dB a peak must rise above its surroundings


def _only(mode: str) -> Callable[[_DecoratedT], _DecoratedT]:
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


def _block(values: np.ndarray, fmt: str, little_endian: bool) -> bytes:
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


# ----------------------------------------------------------------------------------------------- Keysight X-series
_X_DETECTORS = ["AVERage", "NEGative", "NORMal", "POSitive", "SAMPle", "QPEak", "EAVerage", "EPOSitive", "MPOSitive",
                "RAVerage", "RMS"]
_X_DETECTOR_KIND = {"AVERAGE": "average", "RMS": "average", "RAVERAGE": "average", "EAVERAGE": "average",
                    "SAMPLE": "sample", "NEGATIVE": "negative"}
_X_SCALE = {"LOG": "log", "RMS": "power", "SCALAR": "voltage"}
_X_HOLD = {"WRITE": "write", "AVERAGE": "average", "MAXHOLD": "max", "MINHOLD": "min"}
_X_TRACES = tuple(range(1, 7))
_X_F_MIN, _X_F_MAX = -80e6, 27e9  # option 526: settable range (the specified range is 10 Hz to 26.5 GHz)
_X_PRESET_RANGE = (10e6, 26.5e9)  # Hz, start and stop after a preset and with full span
_TRACE_NAMES = ["TRACE1", "TRACE2", "TRACE3", "TRACE4", "TRACE5", "TRACE6"]


def _frequency(default: float, minimum: float = _X_F_MIN, maximum: float = _X_F_MAX) -> Numeric:
    return Numeric(default, minimum, maximum, "HZ")


class KeysightN9010B(SpectrumAnalyzer):
    """EXA N9010B, option 526 (10 Hz – 26.5 GHz), Spectrum Analyzer mode, Swept SA measurement."""

    idn = ("Keysight Technologies", "N9010B", "MY56470123", "A.26.06")
    installed_options = ("526", "B25", "EA3", "FSA", "P26", "PFR")
    f_min, f_max = _X_F_MIN, _X_F_MAX
    measurements: ClassVar[dict[str, str]] = {"SA": "SAN"}

    center = _only("SA")(Setting("[:SENSe]:FREQuency:CENTer", _frequency(sum(_X_PRESET_RANGE) / 2),
                                 after="_center_set"))
    span = _only("SA")(Setting("[:SENSe]:FREQuency:SPAN", _frequency(_X_PRESET_RANGE[1] - _X_PRESET_RANGE[0], 0.0,
                                                                      _X_F_MAX - _X_F_MIN),
                               after="_span_set"))
    rbw = _only("SA")(Setting("[:SENSe]:BANDwidth[:RESolution]", _frequency(3e6, 1.0, 8e6), after="_rbw_set"))
    rbw_auto = _only("SA")(Setting("[:SENSe]:BANDwidth[:RESolution]:AUTO", Boolean(True), after="_couple"))
    vbw = _only("SA")(Setting("[:SENSe]:BANDwidth:VIDeo", _frequency(3e6, 1.0, 50e6), after="_vbw_set"))
    vbw_auto = _only("SA")(Setting("[:SENSe]:BANDwidth:VIDeo:AUTO", Boolean(True), after="_couple"))
    rbw_type = _only("SA")(Setting("[:SENSe]:BANDwidth:TYPE", Enum(["DB3", "DB6", "IMPulse", "NOISe"], "DB3")))
    sweep_time = _only("SA")(Setting("[:SENSe]:SWEep:TIME", Numeric(0.05, 1e-6, 6000.0, "S"),
                                     after="_sweep_time_set"))
    sweep_time_auto = _only("SA")(Setting("[:SENSe]:SWEep:TIME:AUTO", Boolean(True), after="_couple"))
    points = _only("SA")(Setting("[:SENSe]:SWEep:POINts", Integer(1001, 1, 100001), after="_couple"))
    sweep_type = _only("SA")(Setting("[:SENSe]:SWEep:TYPE", Enum(["FFT", "SWEep"], "SWEep"),
                                     after="_sweep_type_set"))
    sweep_type_auto = _only("SA")(Setting("[:SENSe]:SWEep:TYPE:AUTO", Boolean(True), after="_couple"))
    average_count = _only("SA")(Setting("[:SENSe]:AVERage:COUNt", Integer(100, 1, 10000)))
    average_type = _only("SA")(Setting("[:SENSe]:AVERage:TYPE", Enum(["LOG", "RMS", "SCALar"], "LOG"),
                                       after="_average_type_set"))
    average_type_auto = _only("SA")(Setting("[:SENSe]:AVERage:TYPE:AUTO", Boolean(True), after="_couple"))
    detectors = _only("SA")(ChannelSetting("[:SENSe]:DETector:TRACe#", Enum(_X_DETECTORS, "NORMal"), _X_TRACES,
                                           after="_detector_set"))
    detector_auto = _only("SA")(ChannelSetting("[:SENSe]:DETector:TRACe#:AUTO", Boolean(True), _X_TRACES,
                                               after="_couple_trace"))
    trace_type = _only("SA")(ChannelSetting(":TRACe#:TYPE", Enum(["WRITe", "AVERage", "MAXHold", "MINHold"],
                                                                 "WRITe"), _X_TRACES, after="_couple_trace"))
    trace_update = _only("SA")(ChannelSetting(":TRACe#:UPDate[:STATe]", Boolean(False), _X_TRACES))
    trace_display = _only("SA")(ChannelSetting(":TRACe#:DISPlay[:STATe]", Boolean(False), _X_TRACES))
    reference_level = _only("SA")(Setting(":DISPlay:WINDow[1]:TRACe:Y[:SCALe]:RLEVel",
                                          Numeric(0.0, -170.0, 30.0, "DBM")))
    per_division = _only("SA")(Setting(":DISPlay:WINDow[1]:TRACe:Y[:SCALe]:PDIVision",
                                       Numeric(10.0, 0.1, 20.0, "DB")))
    peak_excursion = _only("SA")(Setting(":CALCulate:MARKer:PEAK:EXCursion", Numeric(6.0, 0.0, 100.0, "DB")))
    peak_threshold = _only("SA")(Setting(":CALCulate:MARKer:PEAK:THReshold", Numeric(-90.0, -200.0, 30.0, "DBM")))
    display_enabled = Setting(":DISPlay:ENABle", Boolean(True))
    attenuation = Setting("[:SENSe]:POWer[:RF]:ATTenuation", Integer(10, 0, 60), after="_attenuation_set")
    attenuation_auto = Setting("[:SENSe]:POWer[:RF]:ATTenuation:AUTO", Boolean(True), after="_couple")
    preamp = Setting("[:SENSe]:POWer[:RF]:GAIN[:STATe]", Boolean(False))
    preamp_band = Setting("[:SENSe]:POWer[:RF]:GAIN:BAND", Enum(["LOW", "FULL"], "LOW"))
    continuous = Setting(":INITiate:CONTinuous", Boolean(True))
    byte_order = Setting(":FORMat:BORDer", Enum(["NORMal", "SWAPped"], "NORMal"))

    def __init__(self, bench: VirtualBench, **chain: float) -> None:
        self._mode = "SA"
        self.trace_format = "ASC,8"
        super().__init__(bench, **chain)

    def reset(self) -> None:
        super().reset()
        self.trace_format = "ASC,8"
        for setting in ("trace_update", "trace_display"):
            self.settings[setting][1] = True
        self._couple()

    @property
    def mode(self) -> str:
        return self._mode

    # ----------------------------------------------------------------- couplings
    def _couple(self) -> None:
        """Auto-coupled values follow span, RBW, VBW, detector: RBW = span/106, VBW = RBW, sweep time, type."""
        s = self.settings
        if s["rbw_auto"]:
            s["rbw"] = min(auto_rbw(s["span"]), 8e6)
        if s["vbw_auto"]:
            s["vbw"] = s["rbw"]
        if s["sweep_type_auto"]:
            fft = auto_sweep_time(s["span"], s["rbw"], s["vbw"], "FFT")
            s["sweep_type"] = "FFT" if fft < auto_sweep_time(s["span"], s["rbw"], s["vbw"], "SWEEP") else "SWEEP"
        if s["sweep_time_auto"]:
            s["sweep_time"] = auto_sweep_time(s["span"], s["rbw"], s["vbw"], s["sweep_type"])
        if s["attenuation_auto"]:
            s["attenuation"] = 10
        for n in _X_TRACES:
            if s["detector_auto"][n]:
                averaged = s["trace_type"][n] == "AVERAGE" and s["average_type"] == "RMS"
                s["detectors"][n] = "AVERAGE" if averaged else "NORMAL"
        if s["average_type_auto"]:
            s["average_type"] = "RMS" if s["detectors"][1] == "AVERAGE" else "LOG"

    def _sweep_type_set(self) -> None:
        self.settings["sweep_type_auto"] = False
        self._couple()

    def _average_type_set(self) -> None:
        self.settings["average_type_auto"] = False
        self._couple()

    def _attenuation_set(self) -> None:
        self.settings["attenuation"] = 2 * round(self.settings["attenuation"] / 2)  # mechanical: 2 dB steps
        self.settings["attenuation_auto"] = False

    def preamp_db(self, frequencies: np.ndarray) -> np.ndarray:
        if not self.settings["preamp"]:
            return np.zeros_like(frequencies)
        covered = frequencies <= (_PREAMP_LOW_BAND if self.settings["preamp_band"] == "LOW" else math.inf)
        return np.where(covered, _PREAMP_DB, 0.0)

    @_only("SA")
    @command("[:SENSe]:FREQuency:STARt", _frequency(0.0, _X_F_MIN, _X_F_MAX - 10.0))
    def _start_set(self, value: float) -> None:
        self._set_range(value, max(self.stop(), value + self.min_span))

    @_only("SA")
    @command("[:SENSe]:FREQuency:STOP", _frequency(0.0, _X_F_MIN + 10.0, _X_F_MAX))
    def _stop_set(self, value: float) -> None:
        self._set_range(min(self.start(), value - self.min_span), value)

    @_only("SA")
    @command("[:SENSe]:FREQuency:STARt?")
    def _start_query(self) -> str:
        return f"{self.start():+.9E}"

    @_only("SA")
    @command("[:SENSe]:FREQuency:STOP?")
    def _stop_query(self) -> str:
        return f"{self.stop():+.9E}"

    @_only("SA")
    @command("[:SENSe]:FREQuency:SPAN:FULL")
    def _full_span(self) -> None:
        self._set_range(*_X_PRESET_RANGE)

    @_only("SA")
    @command("[:SENSe]:FREQuency:TUNE:IMMediate")
    def _auto_tune(self) -> None:
        self.centre_strongest()

    def centre_strongest(self) -> None:
        found = self.strongest_signal(max(self.start(), 1.0), self.stop())
        if found is not None:
            self.settings["center"] = found
            self._center_set()

    # ----------------------------------------------------------------- detector and averaging (PSA forms)
    @_only("SA")
    @command("[:SENSe]:DETector[:FUNCtion]", Enum(_X_DETECTORS))
    def _detector_function(self, value: str) -> None:
        self.settings["detectors"][1] = value
        self._detector_set(1)

    @_only("SA")
    @command("[:SENSe]:DETector[:FUNCtion]?")
    def _detector_function_query(self) -> str:
        return type(self).detectors.param.format(self.settings["detectors"][1])

    @_only("SA")
    @command("[:SENSe]:AVERage[:STATe]", Boolean())
    def _average_state(self, on: bool) -> None:
        """Backwards-compatible averaging switch: trace 1 becomes a trace average (or clear/write)."""
        self.settings["trace_type"][1] = "AVERAGE" if on else "WRITE"
        self._couple()

    @_only("SA")
    @command("[:SENSe]:AVERage[:STATe]?")
    def _average_state_query(self) -> str:
        return "1" if self.settings["trace_type"][1] == "AVERAGE" else "0"

    # ----------------------------------------------------------------- sweeps and traces
    def sweep_setup(self, n: int) -> Sweep:
        """The acquisition of trace ``n`` under the present settings."""
        s = self.settings
        hold = _X_HOLD[s["trace_type"][n]]
        sigma = s["rbw"] * _SIGMA_PER_RBW[s["rbw_type"]]
        return Sweep(self.start(), self.stop(), s["points"], sigma, s["rbw"], s["vbw"], s["sweep_time"],
                     _X_DETECTOR_KIND.get(s["detectors"][n], "peak"), _X_SCALE[s["average_type"]], hold,
                     1 if hold == "write" else s["average_count"])

    def sweep_traces(self, traces: list[int]) -> None:
        for n in traces:
            self.traces[n] = self.acquire(self.sweep_setup(n))

    def marker_frequencies(self) -> np.ndarray:
        return np.linspace(self.start(), self.stop(), self.settings["points"])

    def _updating(self) -> list[int]:
        return [n for n in _X_TRACES if self.settings["trace_update"][n]] or [1]

    def _latest(self, n: int) -> np.ndarray:
        """Trace ``n`` as a query returns it: a fresh sweep while sweeping continuously."""
        if self.settings["continuous"] and self.mode == "SA":
            self.sweep_traces([n])
        return self.trace_data(n)

    def formatted(self, values: np.ndarray) -> str | bytes:
        """``values`` in the :FORMat: ASCII or a definite-length binary block."""
        if self.trace_format.startswith("ASC"):
            return ",".join(f"{v:.6E}" for v in values)
        return _block(values, self.trace_format, self.settings["byte_order"] == "SWAPPED")

    @command(":INITiate[:IMMediate]")
    def _initiate(self) -> None:
        if self.mode == "SA":
            self.sweep_traces(self._updating())
        else:
            self.measure_log_plot()

    @command(":INITiate:RESTart")
    def _restart(self) -> None:
        self._initiate()

    @command(":ABORt")
    def _abort(self) -> None:
        """Sweeps complete as they start: nothing to abort."""

    @_only("SA")
    @command(":TRACe[:DATA]?", Enum(_TRACE_NAMES, "TRACE1", optional=True))
    def _trace_query(self, name: str) -> str | bytes:
        return self.formatted(self._latest(int(name[-1])))

    @_only("SA")
    @command(":TRACe[:DATA]", Enum(_TRACE_NAMES), Variadic(Numeric(), 1))
    def _trace_load(self, name: str, values: list[float]) -> None:
        if len(values) != self.settings["points"]:
            raise ScpiError(-222, f"{len(values)} values for {self.settings['points']} sweep points")
        self.traces[int(name[-1])] = np.asarray(values, dtype=float)

    @command(":FORMat[:TRACe][:DATA]", Enum(["ASCii", "INTeger", "REAL"]), Integer(None, 8, 64, optional=True))
    def _format(self, kind: str, bits: int | None) -> None:
        if kind == "ASCII":
            self.trace_format = "ASC,8"
        elif kind == "INTEGER" and bits in (None, 32):
            self.trace_format = "INT,32"
        elif kind == "REAL" and bits in (None, 32, 64):
            self.trace_format = f"REAL,{bits or 32}"
        else:
            raise ScpiError(-224, f"{kind},{bits} (ASCii, INTeger,32, REAL,32 or REAL,64)")

    @command(":FORMat[:TRACe][:DATA]?")
    def _format_query(self) -> str:
        return self.trace_format

    # ----------------------------------------------------------------- measurements
    @command(":CONFigure?")
    def _configure_query(self) -> str:
        return self.measurements[self.mode]

    @command(":CONFigure:CATalog?")
    def _configure_catalog(self) -> str:
        return f'"{self.measurements[self.mode]}"'

    @_only("SA")
    @command(":CONFigure:SANalyzer")
    def _configure_swept_sa(self) -> None:
        """Swept SA is the one measurement: nothing to switch."""

    def _swept_sa_pairs(self, n: int, fresh: bool) -> str | bytes:
        if not 1 <= n <= 6:
            raise ScpiError(-114, f"SANalyzer{n}: 1 to 6 return trace n as x,y pairs")
        if fresh:
            self._initiate()
        y = self.trace_data(n) if fresh else self._latest(n)
        return self.formatted(np.column_stack([self.marker_frequencies(), y]).ravel())

    @_only("SA")
    @command(":READ:SANalyzer#?")
    def _read_swept_sa(self, n: int) -> str | bytes:
        return self._swept_sa_pairs(n, fresh=True)

    @_only("SA")
    @command(":MEASure:SANalyzer#?")
    def _measure_swept_sa(self, n: int) -> str | bytes:
        return self._swept_sa_pairs(n, fresh=True)

    @_only("SA")
    @command(":FETCh:SANalyzer#?")
    def _fetch_swept_sa(self, n: int) -> str | bytes:
        return self._swept_sa_pairs(n, fresh=False)

    def measure_log_plot(self) -> None:
        raise ScpiError(-113, "no Phase Noise mode installed")

    # ----------------------------------------------------------------- markers
    def _x_marker(self, n: int) -> Marker:
        marker = self.marker(n, 12)
        marker.excursion = self.settings["peak_excursion"]
        return marker

    @_only("SA")
    @command(":CALCulate:MARKer#:MAXimum[:PEAK]")
    def _marker_peak(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "max")

    @_only("SA")
    @command(":CALCulate:MARKer#:MAXimum:NEXT")
    def _marker_next(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "next", self.settings["peak_threshold"])

    @_only("SA")
    @command(":CALCulate:MARKer#:MAXimum:LEFT")
    def _marker_left(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "left", self.settings["peak_threshold"])

    @_only("SA")
    @command(":CALCulate:MARKer#:MAXimum:RIGHt")
    def _marker_right(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "right", self.settings["peak_threshold"])

    @_only("SA")
    @command(":CALCulate:MARKer#:MINimum")
    def _marker_minimum(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "min")

    @_only("SA")
    @command(":CALCulate:MARKer#:X", _frequency(0.0))
    def _marker_x_set(self, n: int, x: float) -> None:
        marker = self._x_marker(n)
        marker.on, marker.x = True, x

    @_only("SA")
    @command(":CALCulate:MARKer#:X?")
    def _marker_x(self, n: int) -> str:
        marker = self._x_marker(n)
        if not marker.on:
            raise ScpiError(-221, f"marker {n} is off")
        x = marker.x - (self._x_marker(1).x if marker.delta else 0.0)
        return f"{x:+.9E}"

    @_only("SA")
    @command(":CALCulate:MARKer#:Y?")
    def _marker_y(self, n: int) -> str:
        marker = self._x_marker(n)
        level = self.marker_level(marker)
        if marker.delta:
            level -= self.marker_level(self._x_marker(1))
        return f"{level:+.9E}"

    @_only("SA")
    @command(":CALCulate:MARKer#:STATe", Boolean())
    def _marker_state(self, n: int, on: bool) -> None:
        marker = self._x_marker(n)
        if on and not marker.on:
            marker.x = (self.start() + self.stop()) / 2
        marker.on = on

    @_only("SA")
    @command(":CALCulate:MARKer#:STATe?")
    def _marker_state_query(self, n: int) -> str:
        return "1" if self._x_marker(n).on else "0"

    @_only("SA")
    @command(":CALCulate:MARKer#:MODE", Enum(["POSition", "DELTa", "FIXed", "OFF"]))
    def _marker_mode(self, n: int, mode: str) -> None:
        marker = self._x_marker(n)
        self._marker_state(n, mode != "OFF")
        marker.delta = mode == "DELTA"

    @_only("SA")
    @command(":CALCulate:MARKer#:MODE?")
    def _marker_mode_query(self, n: int) -> str:
        marker = self._x_marker(n)
        return "OFF" if not marker.on else ("DELT" if marker.delta else "POS")

    @_only("SA")
    @command(":CALCulate:MARKer#:TRACe", Integer(1, 1, 6))
    def _marker_trace(self, n: int, trace: int) -> None:
        self._x_marker(n).trace = trace

    @_only("SA")
    @command(":CALCulate:MARKer#:TRACe?")
    def _marker_trace_query(self, n: int) -> str:
        return str(self._x_marker(n).trace)

    @_only("SA")
    @command(":CALCulate:MARKer:AOFF")
    def _markers_off(self) -> None:
        for marker in self.markers.values():
            marker.on = False

    # ----------------------------------------------------------------- modes, presets, options
    @command(":INSTrument[:SELect]", Raw())
    def _select_mode(self, name: str) -> None:
        mode = name.upper()
        if mode not in self.modes:
            raise ScpiError(-224, f"mode {name} (installed: {', '.join(self.modes)})")
        self._mode = mode

    @command(":INSTrument[:SELect]?")
    def _mode_query(self) -> str:
        return self.mode

    @command(":INSTrument:NSELect", Integer(1, 1, 999))
    def _select_mode_number(self, number: int) -> None:
        by_number = {v: k for k, v in self.modes.items()}
        if number not in by_number:
            raise ScpiError(-224, f"mode number {number} (installed: {', '.join(map(str, by_number))})")
        self._mode = by_number[number]

    @command(":INSTrument:NSELect?")
    def _mode_number_query(self) -> str:
        return str(self.modes[self.mode])

    @command(":INSTrument:CATalog?")
    def _mode_catalog(self) -> str:
        return '"' + ", ".join(f"{name} {number}" for name, number in self.modes.items()) + '"'

    @command(":INSTrument:DEFault")
    def _mode_defaults(self) -> None:
        self.reset()

    @command(":SYSTem:PRESet")
    def _preset(self) -> None:
        self.reset()

    @command("*OPT?")
    def _options(self) -> str:
        return '"' + ",".join(self.installed_options) + '"'

    @command(":SYSTem:ERRor[:NEXT]?")
    def _system_error(self) -> str:
        code, text = self.errors.pop()
        return f'{code:+d},"{text}"'


class KeysightN9030B(KeysightN9010B):
    """PXA N9030B, option 526, with the Phase Noise mode (N9068C): Swept SA and Log Plot measurements."""

    idn = ("Keysight Technologies", "N9030B", "MY55120123", "A.26.06")
    installed_options = ("526", "B40", "EA3", "P26", "PFR")
    modes = {"SA": 1, "PNOISE": 14}
    measurements = {"SA": "SAN", "PNOISE": "LPL"}

    attenuation = Setting("[:SENSe]:POWer[:RF]:ATTenuation", Integer(10, 0, 70), after="_attenuation_set")
    pn_points = _only("PNOISE")(Setting("[:SENSe]:LPLot:SWEep:POINts", Integer(601, 601, 20001)))
    pn_start = _only("PNOISE")(Setting("[:SENSe]:LPLot:FREQuency:OFFSet:STARt", _frequency(100.0, 1.0, _X_F_MAX),
                                       after="_pn_start_set"))
    pn_stop = _only("PNOISE")(Setting("[:SENSe]:LPLot:FREQuency:OFFSet:STOP", _frequency(1e6, 1.0, _X_F_MAX),
                                      after="_pn_stop_set"))
    pn_average = _only("PNOISE")(Setting("[:SENSe]:LPLot:AVERage[:STATe]", Boolean(False)))
    pn_average_count = _only("PNOISE")(Setting("[:SENSe]:LPLot:AVERage:COUNt", Integer(10, 1, 10000)))
    carrier = _only("PNOISE")(Setting("[:SENSe]:FREQuency:CARRier", _frequency(1e9, 1.0, _X_F_MAX)))
    carrier_track = _only("PNOISE")(Setting("[:SENSe]:FREQuency:CARRier:TRACk", Boolean(False)))

    #: The last Log Plot: carrier power (W) and frequency (Hz), raw and smoothed L(f) (dBc/Hz).
    log_plot: tuple[float, float, np.ndarray, np.ndarray] | None

    def reset(self) -> None:
        super().reset()
        self.log_plot = None

    def _pn_start_set(self) -> None:
        s = self.settings
        if s["pn_start"] >= s["pn_stop"]:  # the stop offset moves a decade above
            s["pn_stop"] = min(10 * s["pn_start"], _X_F_MAX)

    def _pn_stop_set(self) -> None:
        s = self.settings
        if s["pn_stop"] <= s["pn_start"]:
            s["pn_start"] = max(s["pn_stop"] / 10, 1.0)

    @_only("PNOISE")
    @command(":CONFigure:LPLot")
    def _configure_log_plot(self) -> None:
        """Log Plot is the one Phase Noise measurement: nothing to switch."""

    @_only("PNOISE")
    @command("[:SENSe]:FREQuency:CARRier:SEARch")
    def _carrier_search(self) -> None:
        found = self.strongest_signal(1e6, 26.5e9)
        if found is not None:
            self.settings["carrier"] = found

    def offsets(self) -> np.ndarray:
        """Log Plot offsets (Hz): logarithmically spaced from the start to the stop offset."""
        s = self.settings
        return np.geomspace(s["pn_start"], s["pn_stop"], s["pn_points"])

    def measure_log_plot(self) -> None:
        """One Log Plot: carrier power and frequency, L(f) raw and smoothed (dBc/Hz); time passes."""
        s = self.settings
        if s["carrier_track"]:
            reach = max(10 * s["pn_stop"], 1e6)
            found = self.strongest_signal(s["carrier"] - reach, s["carrier"] + reach)
            s["carrier"] = found if found is not None else s["carrier"]
        offsets = self.offsets()
        carrier_power, ssb = self.phase_noise(s["carrier"], offsets)
        averages = s["pn_average_count"] if s["pn_average"] else 1
        raw = ssb * self.bench.rng.gamma(4 * averages, 1 / (4 * averages), offsets.size)
        raw_dbc = 10 * np.log10(raw)
        smooth = np.convolve(np.pad(raw_dbc, 2, mode="edge"), np.full(5, 0.2), mode="valid")
        self.bench.advance(max(0.1, 10 / s["pn_start"]) * averages)
        self.log_plot = (carrier_power, s["carrier"], raw_dbc, smooth)

    def _log_plot_result(self, n: int, fresh: bool) -> str | bytes:
        if fresh or self.log_plot is None or self.settings["continuous"]:
            self.measure_log_plot()
        carrier_power, carrier, raw_dbc, smooth = self.log_plot  # type: ignore[misc]
        offsets = self.offsets()
        if n == 1:
            return self.formatted(self._phase_noise_results(carrier_power, carrier, offsets, raw_dbc))
        if n in (3, 4):
            return self.formatted(np.column_stack([offsets, raw_dbc if n == 3 else smooth]).ravel())
        raise ScpiError(-114, f"LPLot{n}: 1 results, 3 raw trace, 4 smoothed trace")

    @staticmethod
    def _phase_noise_results(carrier_power: float, carrier: float, offsets: np.ndarray, dbc: np.ndarray
                             ) -> np.ndarray:
        """Carrier power (dBm) and frequency (Hz), integrated phase noise (dBc), RMS phase noise (rad, °),
        RMS jitter (s) and residual FM (Hz) over the offset range."""
        ssb = 10 ** (dbc / 10)
        integrated = float(np.trapezoid(ssb, offsets))
        rms = math.sqrt(2 * integrated)
        residual_fm = math.sqrt(2 * float(np.trapezoid(ssb * offsets**2, offsets)))
        return np.array([10 * math.log10(carrier_power / 1e-3), carrier, 10 * math.log10(integrated), rms,
                         math.degrees(rms), rms / (2 * math.pi * carrier), residual_fm])

    @_only("PNOISE")
    @command(":READ:LPLot#?")
    def _read_log_plot(self, n: int) -> str | bytes:
        return self._log_plot_result(n, fresh=True)

    @_only("PNOISE")
    @command(":MEASure:LPLot#?")
    def _measure_log_plot(self, n: int) -> str | bytes:
        return self._log_plot_result(n, fresh=True)

    @_only("PNOISE")
    @command(":FETCh:LPLot#?")
    def _fetch_log_plot(self, n: int) -> str | bytes:
        return self._log_plot_result(n, fresh=False)


# ----------------------------------------------------------------------------------------------- R&S FSW
class _RsNumeric(Numeric):
    """R&S number replies: plain decimal, as short as exact (``13250000000``, ``0.001``)."""

    def format(self, value: float) -> str:
        return str(int(value)) if self.integer else f"{float(value):.12g}"


def _rs_frequency(default: float, minimum: float = 0.0, maximum: float = 26.5e9) -> _RsNumeric:
    return _RsNumeric(default, minimum, maximum, "HZ")


_RS_DETECTORS = ["APEak", "NEGative", "POSitive", "RMS", "AVERage", "SAMPle", "QPEak", "CAVerage", "CRMS"]
_RS_DETECTOR_KIND = {"RMS": "average", "AVERAGE": "average", "CAVERAGE": "average", "CRMS": "average",
                     "SAMPLE": "sample", "NEGATIVE": "negative"}
_RS_AUTO_DETECTOR = {"WRITE": "APEAK", "AVERAGE": "SAMPLE", "MAXHOLD": "POSITIVE", "MINHOLD": "NEGATIVE",
                     "VIEW": "APEAK", "BLANK": "APEAK"}
_RS_SCALE = {"VIDEO": "log", "POWER": "power", "LINEAR": "voltage"}
_RS_HOLD = {"WRITE": "write", "AVERAGE": "average", "MAXHOLD": "max", "MINHOLD": "min", "VIEW": "write",
            "BLANK": "write"}
_RS_TYPES = {"SANALYZER": "SAN", "PNOISE": "PNO"}  #: channel types and their short forms (INSTrument? answers)
_RS_DEFAULT_NAMES = {"SANALYZER": "Spectrum", "PNOISE": "Phase Noise"}


def _fsw_search(how: str, delta: bool) -> Callable[..., None]:
    """The handler of an FSW marker (or delta marker) peak search ``how`` ("max", "next", "left", "right", "min")."""

    def search(self: RohdeSchwarzFSW, window: int, n: int) -> None:
        self.peak_search(self._rs_marker(n, delta), how)

    return search


@dataclass
class Channel:
    """One FSW measurement channel: its type and its own settings, traces and markers."""

    kind: str
    settings: dict[str, Any]
    traces: dict[int, np.ndarray] = field(default_factory=dict)
    markers: dict[int, Marker] = field(default_factory=dict)


class RohdeSchwarzFSW(SpectrumAnalyzer):
    """R&S FSW26 (2 Hz – 26.5 GHz) with preamplifier (B24) and phase noise measurements (K40), as channels."""

    idn = ("Rohde&Schwarz", "FSW-26", "1331.5003K26/101234", "4.61")
    installed_options = ("B4", "B13", "B24", "K40")
    modes = {"SANALYZER": 1, "PNOISE": 2}
    f_min, f_max = 0.0, 26.5e9

    center = Setting("[:SENSe]:FREQuency:CENTer", _rs_frequency(13.25e9), after="_center_set")
    span = Setting("[:SENSe]:FREQuency:SPAN", _rs_frequency(26.5e9), after="_span_set")
    rbw = Setting("[:SENSe]:BANDwidth[:RESolution]", _rs_frequency(3e6, 1.0, 10e6), after="_rbw_set")
    rbw_auto = Setting("[:SENSe]:BANDwidth[:RESolution]:AUTO", Boolean(True), after="_couple")
    vbw = Setting("[:SENSe]:BANDwidth:VIDeo", _rs_frequency(10e6, 1.0, 10e6), after="_vbw_set")
    vbw_auto = Setting("[:SENSe]:BANDwidth:VIDeo:AUTO", Boolean(True), after="_couple")
    sweep_time = Setting("[:SENSe]:SWEep:TIME", _RsNumeric(0.02, 1e-6, 16000.0, "S"), after="_sweep_time_set")
    sweep_time_auto = Setting("[:SENSe]:SWEep:TIME:AUTO", Boolean(True), after="_couple")
    points = Setting("[:SENSe]:SWEep:POINts", Integer(1001, 101, 100001), after="_couple")
    sweep_count = Setting("[:SENSe]:SWEep:COUNt", Integer(0, 0, 200000))
    average_type = Setting("[:SENSe]:AVERage[1]:TYPE", Enum(["VIDeo", "LINear", "POWer"], "VIDeo"))
    detectors = ChannelSetting("[:SENSe]:DETector#[:FUNCtion]", Enum(_RS_DETECTORS, "APEak"), _X_TRACES,
                               after="_detector_set")
    detector_auto = ChannelSetting("[:SENSe]:DETector#[:FUNCtion]:AUTO", Boolean(True), _X_TRACES,
                                   after="_couple_trace")
    trace_mode = ChannelSetting(":DISPlay[:WINDow[1]]:TRACe#:MODE", Enum(["WRITe", "MAXHold", "MINHold", "AVERage",
                                                                        "VIEW", "BLANk"], "BLANk"), _X_TRACES,
                                after="_couple_trace")
    reference_level = Setting(":DISPlay[:WINDow[1]]:TRACe[1]:Y[:SCALe]:RLEVel", _RsNumeric(0.0, -130.0, 30.0, "DBM"))
    display_format = Setting(":DISPlay:FORMat", Enum(["SPLit", "SINGle"], "SPLit"))
    display_update = Setting(":SYSTem:DISPlay:UPDate", Boolean(False))
    attenuation = Setting(":INPut:ATTenuation", Integer(10, 0, 79), after="_attenuation_set")
    attenuation_auto = Setting(":INPut:ATTenuation:AUTO", Boolean(True), after="_couple")
    preamp = Setting(":INPut:GAIN:STATe", Boolean(False))
    continuous = Setting(":INITiate[1]:CONTinuous", Boolean(True))
    byte_order = Setting(":FORMat:BORDer", Enum(["NORMal", "SWAPped"], "SWAPped"))
    nominal_level = _only("PNOISE")(Setting("[:SENSe]:POWer:RLEVel", _RsNumeric(0.0, -200.0, 30.0, "DBM")))

    def __init__(self, bench: VirtualBench, **chain: float) -> None:
        self.channels: dict[str, Channel] = {}
        self.active = "Spectrum"
        self.trace_format = "ASC,0"
        super().__init__(bench, **chain)

    def reset(self) -> None:
        super().reset()
        self.trace_format = "ASC,0"
        self.channels = {}
        self._open("SANALYZER", "Spectrum", self.settings)

    def _open(self, kind: str, name: str, settings: dict[str, Any] | None = None) -> None:
        """Create channel ``name`` of ``kind`` with preset settings and make it the active one."""
        if settings is None:
            self.settings = {}
            self._reset_settings()
            settings = self.settings
        settings["trace_mode"][1] = "WRITE"
        if kind == "PNOISE":  # center: the nominal carrier frequency; offsets (Hz) set by FREQ:STAR and FREQ:STOP
            settings.update(center=1e9, pn_start=1e3, pn_stop=1e6)
        self.channels[name] = Channel(kind, settings)
        self._activate(name)
        self._couple()

    def _activate(self, name: str) -> None:
        channel = self.channels[name]
        self.active = name
        self.settings, self.traces, self.markers = channel.settings, channel.traces, channel.markers

    @property
    def mode(self) -> str:
        return self.channels[self.active].kind if self.active in self.channels else "SANALYZER"

    # ----------------------------------------------------------------- couplings
    def _couple(self) -> None:
        """Auto RBW (span/100 on E24), VBW = RBW, sweep time, attenuation 10 dB, detector by trace mode."""
        s = self.settings
        if s["rbw_auto"]:
            s["rbw"] = min(auto_rbw(s["span"], 100.0), 10e6)
        if s["vbw_auto"]:
            s["vbw"] = s["rbw"]
        if s["sweep_time_auto"]:
            s["sweep_time"] = min(auto_sweep_time(s["span"], s["rbw"], s["vbw"], kind)
                                  for kind in ("SWEEP", "FFT"))
        if s["attenuation_auto"]:
            s["attenuation"] = 10
        for n in _X_TRACES:
            if s["detector_auto"][n]:
                s["detectors"][n] = _RS_AUTO_DETECTOR[s["trace_mode"][n]]

    def _attenuation_set(self) -> None:
        self.settings["attenuation_auto"] = False

    def preamp_db(self, frequencies: np.ndarray) -> np.ndarray:
        return np.full_like(frequencies, _PREAMP_DB if self.settings["preamp"] else 0.0)

    # ----------------------------------------------------------------- frequencies (offsets in a Phase Noise channel)
    @command("[:SENSe]:FREQuency:STARt", _rs_frequency(0.0, 0.0, 26.5e9))
    def _start_set(self, value: float) -> None:
        if self.mode == "PNOISE":
            self.settings["pn_start"] = max(value, 1.0)
            self.settings["pn_stop"] = max(self.settings["pn_stop"], 10 * self.settings["pn_start"])
        else:
            self._set_range(value, max(self.stop(), value + self.min_span))

    @command("[:SENSe]:FREQuency:STOP", _rs_frequency(0.0, 0.0, 26.5e9))
    def _stop_set(self, value: float) -> None:
        if self.mode == "PNOISE":
            self.settings["pn_stop"] = max(value, 10.0)
            self.settings["pn_start"] = min(self.settings["pn_start"], self.settings["pn_stop"] / 10)
        else:
            self._set_range(min(self.start(), value - self.min_span), value)

    @command("[:SENSe]:FREQuency:STARt?")
    def _start_query(self) -> str:
        return f"{self.settings['pn_start'] if self.mode == 'PNOISE' else self.start():.12g}"

    @command("[:SENSe]:FREQuency:STOP?")
    def _stop_query(self) -> str:
        return f"{self.settings['pn_stop'] if self.mode == 'PNOISE' else self.stop():.12g}"

    @command("[:SENSe]:FREQuency:SPAN:FULL")
    def _full_span(self) -> None:
        self._set_range(0.0, self.f_max)

    # ----------------------------------------------------------------- sweeps and traces
    def _count(self) -> int:
        return self.settings["sweep_count"] or 10

    def sweep_setup(self, n: int) -> Sweep:
        s = self.settings
        hold = _RS_HOLD[s["trace_mode"][n]]
        sigma = s["rbw"] * _SIGMA_PER_RBW["DB3"]
        return Sweep(self.start(), self.stop(), s["points"], sigma, s["rbw"], s["vbw"], s["sweep_time"],
                     _RS_DETECTOR_KIND.get(s["detectors"][n], "peak"), _RS_SCALE[s["average_type"]], hold,
                     1 if hold == "write" else self._count())

    def offsets(self) -> np.ndarray:
        s = self.settings
        return np.geomspace(s["pn_start"], s["pn_stop"], s["points"])

    def sweep_traces(self, traces: list[int]) -> None:
        if self.mode == "PNOISE":  # the noise diagram: L(f) in dBc/Hz at log-spaced offsets
            _, ssb = self.phase_noise(self.settings["center"], self.offsets())
            count = 1 if _RS_HOLD[self.settings["trace_mode"][1]] == "write" else self._count()
            ssb = ssb * self.bench.rng.gamma(4 * count, 1 / (4 * count), ssb.size)
            self.bench.advance(max(0.1, 10 / self.settings["pn_start"]) * count)
            for n in traces:
                self.traces[n] = 10 * np.log10(ssb)
            return
        for n in traces:
            self.traces[n] = self.acquire(self.sweep_setup(n))

    def marker_frequencies(self) -> np.ndarray:
        if self.mode == "PNOISE":
            return self.offsets()
        return np.linspace(self.start(), self.stop(), self.settings["points"])

    def _active_traces(self) -> list[int]:
        return [n for n in _X_TRACES if self.settings["trace_mode"][n] not in ("BLANK", "VIEW")] or [1]

    def formatted(self, values: np.ndarray) -> str | bytes:
        if self.trace_format.startswith("ASC"):
            return ",".join(f"{v:.7g}" for v in values)
        return _block(values, self.trace_format, self.settings["byte_order"] == "SWAPPED")

    @command(":INITiate#[:IMMediate]")
    def _initiate(self, window: int) -> None:
        self.sweep_traces(self._active_traces())

    @command(":INITiate#:CONMeas")
    def _continue(self, window: int) -> None:
        self.sweep_traces(self._active_traces())

    @command(":ABORt")
    def _abort(self) -> None:
        """Sweeps complete as they start: nothing to abort."""

    @command(":TRACe#[:DATA]?", Enum(_TRACE_NAMES, "TRACE1", optional=True))
    def _trace_query(self, window: int, name: str) -> str | bytes:
        n = int(name[-1])
        if self.settings["continuous"]:
            self.sweep_traces([n])
        trace = self.trace_data(n)
        if self.mode == "PNOISE":
            return self.formatted(np.column_stack([self.offsets(), trace]).ravel())
        return self.formatted(trace)

    @command(":FORMat[:DATA]", Enum(["ASCii", "REAL"]), Integer(None, 0, 64, optional=True))
    def _format(self, kind: str, bits: int | None) -> None:
        if kind == "ASCII":
            self.trace_format = "ASC,0"
        elif kind == "REAL" and bits in (None, 32, 64):
            self.trace_format = f"REAL,{bits or 32}"
        else:
            raise ScpiError(-224, f"{kind},{bits} (ASCii, REAL,32 or REAL,64)")

    @command(":FORMat[:DATA]?")
    def _format_query(self) -> str:
        return self.trace_format

    @command("[:SENSe]:AVERage#:COUNt", Integer(0, 0, 200000))
    def _average_count(self, window: int, count: int) -> None:
        self.settings["sweep_count"] = count

    @command("[:SENSe]:AVERage#:COUNt?")
    def _average_count_query(self, window: int) -> str:
        return str(self.settings["sweep_count"])

    # ----------------------------------------------------------------- adjust
    def centre_strongest(self) -> None:
        if self.mode == "PNOISE":
            found = self.strongest_signal(1e6, self.f_max)
            self.settings["center"] = found if found is not None else self.settings["center"]
            return
        found = self.strongest_signal(max(self.start(), 1.0), self.stop())
        if found is not None:
            self.settings["center"] = found
            self._center_set()

    @command("[:SENSe]:ADJust:FREQuency")
    def _adjust_frequency(self) -> None:
        self.centre_strongest()

    @command("[:SENSe]:ADJust:LEVel")
    def _adjust_level(self) -> None:
        if self.mode != "PNOISE":
            peak = float(self.acquire(self.sweep_setup(1)).max())
            self.settings["reference_level"] = min(30.0, 10 * math.ceil((peak + 5) / 10))

    @command("[:SENSe]:ADJust:ALL")
    def _adjust_all(self) -> None:
        self._adjust_frequency()
        self._adjust_level()

    # ----------------------------------------------------------------- markers and delta markers
    def _rs_marker(self, n: int, delta: bool) -> Marker:
        """Marker ``n`` (delta marker ``n`` with ``delta``), 1 to 16 each."""
        if not 1 <= n <= 16:
            raise ScpiError(-114, f"marker {n} (1 to 16)")
        return self.markers.setdefault(n + 16 if delta else n, Marker(delta=delta))

    _marker_max = command(":CALCulate#:MARKer#:MAXimum[:PEAK]")(_fsw_search("max", False))
    _marker_next = command(":CALCulate#:MARKer#:MAXimum:NEXT")(_fsw_search("next", False))
    _marker_left = command(":CALCulate#:MARKer#:MAXimum:LEFT")(_fsw_search("left", False))
    _marker_right = command(":CALCulate#:MARKer#:MAXimum:RIGHt")(_fsw_search("right", False))
    _marker_min = command(":CALCulate#:MARKer#:MINimum[:PEAK]")(_fsw_search("min", False))
    _delta_max = command(":CALCulate#:DELTamarker#:MAXimum[:PEAK]")(_fsw_search("max", True))
    _delta_next = command(":CALCulate#:DELTamarker#:MAXimum:NEXT")(_fsw_search("next", True))
    _delta_left = command(":CALCulate#:DELTamarker#:MAXimum:LEFT")(_fsw_search("left", True))
    _delta_right = command(":CALCulate#:DELTamarker#:MAXimum:RIGHt")(_fsw_search("right", True))
    _delta_min = command(":CALCulate#:DELTamarker#:MINimum[:PEAK]")(_fsw_search("min", True))

    @command(":CALCulate#:MARKer#[:STATe]", Boolean())
    def _marker_state(self, window: int, n: int, on: bool) -> None:
        self._switch(self._rs_marker(n, False), on)

    @command(":CALCulate#:DELTamarker#[:STATe]", Boolean())
    def _delta_state(self, window: int, n: int, on: bool) -> None:
        self._switch(self._rs_marker(n, True), on)
        if on:
            self._switch(self._rs_marker(1, False), True)  # the reference marker

    def _switch(self, marker: Marker, on: bool) -> None:
        if on and not marker.on:
            f = self.marker_frequencies()
            marker.x = float(f[int(np.argmax(self.trace_data(marker.trace)))])
        marker.on = on

    @command(":CALCulate#:MARKer#[:STATe]?")
    def _marker_state_query(self, window: int, n: int) -> str:
        return "1" if self._rs_marker(n, False).on else "0"

    @command(":CALCulate#:DELTamarker#[:STATe]?")
    def _delta_state_query(self, window: int, n: int) -> str:
        return "1" if self._rs_marker(n, True).on else "0"

    @command(":CALCulate#:MARKer#:X", _rs_frequency(0.0, -30e9, 30e9))
    def _marker_x_set(self, window: int, n: int, x: float) -> None:
        marker = self._rs_marker(n, False)
        marker.on, marker.x = True, x

    @command(":CALCulate#:DELTamarker#:X", _rs_frequency(0.0, -30e9, 30e9))
    def _delta_x_set(self, window: int, n: int, x: float) -> None:
        marker = self._rs_marker(n, True)
        marker.on, marker.x = True, x

    @command(":CALCulate#:MARKer#:X?")
    def _marker_x(self, window: int, n: int) -> str:
        return self._x_reply(self._rs_marker(n, False), 0.0)

    @command(":CALCulate#:DELTamarker#:X?")
    def _delta_x(self, window: int, n: int) -> str:
        return self._x_reply(self._rs_marker(n, True), 0.0)

    @command(":CALCulate#:DELTamarker#:X:RELative?")
    def _delta_x_relative(self, window: int, n: int) -> str:
        return self._x_reply(self._rs_marker(n, True), self._rs_marker(1, False).x)

    def _x_reply(self, marker: Marker, reference: float) -> str:
        if not marker.on:
            raise ScpiError(-221, "marker is off")
        return f"{marker.x - reference:.12g}"

    @command(":CALCulate#:MARKer#:Y?")
    def _marker_y(self, window: int, n: int) -> str:
        return f"{self.marker_level(self._rs_marker(n, False)):.7g}"

    @command(":CALCulate#:DELTamarker#:Y?")
    def _delta_y(self, window: int, n: int) -> str:
        level = self.marker_level(self._rs_marker(n, True)) - self.marker_level(self._rs_marker(1, False))
        return f"{level:.7g}"

    @command(":CALCulate#:MARKer#:TRACe", Integer(1, 1, 6))
    def _marker_trace(self, window: int, n: int, trace: int) -> None:
        self._rs_marker(n, False).trace = trace

    @command(":CALCulate#:MARKer#:TRACe?")
    def _marker_trace_query(self, window: int, n: int) -> str:
        return str(self._rs_marker(n, False).trace)

    @command(":CALCulate#:DELTamarker#:TRACe", Integer(1, 1, 6))
    def _delta_trace(self, window: int, n: int, trace: int) -> None:
        self._rs_marker(n, True).trace = trace

    @command(":CALCulate#:DELTamarker#:TRACe?")
    def _delta_trace_query(self, window: int, n: int) -> str:
        return str(self._rs_marker(n, True).trace)

    @command(":CALCulate#:MARKer#:PEXCursion", _RsNumeric(6.0, 0.0, 80.0, "DB"))
    def _marker_excursion(self, window: int, n: int, db: float) -> None:
        self._rs_marker(n, False).excursion = db

    @command(":CALCulate#:MARKer#:PEXCursion?")
    def _marker_excursion_query(self, window: int, n: int) -> str:
        return f"{self._rs_marker(n, False).excursion:.12g}"

    @command(":CALCulate#:DELTamarker#:PEXCursion", _RsNumeric(6.0, 0.0, 80.0, "DB"))
    def _delta_excursion(self, window: int, n: int, db: float) -> None:
        self._rs_marker(n, True).excursion = db

    @command(":CALCulate#:DELTamarker#:PEXCursion?")
    def _delta_excursion_query(self, window: int, n: int) -> str:
        return f"{self._rs_marker(n, True).excursion:.12g}"

    @command(":CALCulate#:MARKer#:FUNCtion:ZOOM", _RsNumeric(1.0, 1.0, 1e6))
    def _marker_zoom(self, window: int, n: int, factor: float) -> None:
        """Zoom about the marker: the span shrinks by ``factor`` around it."""
        marker = self._rs_marker(n, False)
        if not marker.on:
            raise ScpiError(-221, "marker is off")
        self.settings["center"], self.settings["span"] = marker.x, self.settings["span"] / factor
        self._span_set()

    @command(":CALCulate#:MARKer#:AOFF")
    def _markers_off(self, window: int, n: int) -> None:
        for marker in self.markers.values():
            marker.on = False

    # ----------------------------------------------------------------- channels
    def _channel_named(self, name: str) -> str:
        for known in self.channels:
            if known.upper() == name.upper():
                return known
        raise ScpiError(-224, f"no channel {name!r} (open: {', '.join(self.channels)})")

    @staticmethod
    def _kind(token: str) -> str | None:
        """The channel type a mnemonic (long or short form) names, or None."""
        up = token.upper()
        return next((kind for kind, short in _RS_TYPES.items() if up in (kind, short)), None)

    @command(":INSTrument[:SELect]", Raw())
    def _select(self, token: str) -> None:
        """Select a channel by name, else by type (the first of that type, opened when there is none)."""
        kind = self._kind(token)
        if kind is None or any(known.upper() == token.upper() for known in self.channels):
            self._activate(self._channel_named(token))
            return
        existing = [name for name, channel in self.channels.items() if channel.kind == kind]
        if existing:
            self._activate(existing[0])
        else:
            self._open(kind, _RS_DEFAULT_NAMES[kind])

    @command(":INSTrument[:SELect]?")
    def _select_query(self) -> str:
        return _RS_TYPES[self.mode]

    @command(":INSTrument:CREate[:NEW]", Raw(), String())
    def _create(self, kind_token: str, name: str) -> None:
        kind = self._kind(kind_token)
        if kind is None:
            raise ScpiError(-224, f"channel type {kind_token} (installed: {', '.join(self.modes)})")
        if any(known.upper() == name.upper() for known in self.channels):
            raise ScpiError(-224, f"a channel named {name!r} is open already")
        self._open(kind, name)

    @command(":INSTrument:DELete", String())
    def _delete(self, name: str) -> None:
        name = self._channel_named(name)
        if len(self.channels) == 1:
            raise ScpiError(-221, "the last channel cannot be deleted")
        del self.channels[name]
        if name == self.active:
            self._activate(next(iter(self.channels)))

    @command(":INSTrument:REName", String(), String())
    def _rename(self, old: str, new: str) -> None:
        old = self._channel_named(old)
        self.channels = {(new if key == old else key): channel for key, channel in self.channels.items()}
        if self.active == old:
            self.active = new

    @command(":INSTrument:LIST?")
    def _list(self) -> str:
        return ",".join(f"'{channel.kind}','{name}'" for name, channel in self.channels.items())

    @command(":SYSTem:PRESet")
    def _preset(self) -> None:
        self.reset()
