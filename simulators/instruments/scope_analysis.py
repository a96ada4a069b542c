"""Waveform analysis of the virtual oscilloscope: the acquisition record, the automatic measurements of the
InfiniiVision ``:MEASure`` subsystem, FFT spectra and screen images (PNG, BMP)."""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, replace

import numpy as np

_FFT_POINTS = 65_536  # largest time record an FFT is computed from
_WINDOWS = {"RECTANGULAR": (1.0,), "HANNING": (0.5, 0.5), "FLATTOP": (0.21557895, 0.41663158, 0.277263158,
                                                                      0.083578947, 0.006947368),
            "BHARRIS": (0.35875, 0.48829, 0.14128, 0.01168)}  # cosine-sum coefficients

DIVISIONS_Y = 8
ADC_CODES = 250  # 8-bit codes spanning the 8 vertical divisions; the codes beyond lie off screen
CLIP_CODES = 127  # codes from the centre to either clipping level (code 1 or 255 in BYTE format)


@dataclass(frozen=True)
class Record:
    """One waveform: samples (V; dBV or V rms for a spectrum), the spacing of samples (s or Hz), the x of the first
    sample, the vertical scale (per division) and centre value it was acquired with, and whether it passed the ADC
    (an acquired channel) or was computed (math, FFT)."""

    values: np.ndarray
    dx: float
    x0: float
    scale: float
    offset: float
    acquired: bool = True

    @property
    def clipped(self) -> bool:
        """Whether an acquired signal left the screen (the ADC's range) anywhere."""
        if not self.acquired:
            return False
        limit = CLIP_CODES * DIVISIONS_Y * self.scale / ADC_CODES
        return bool(np.any(np.abs(self.values - self.offset) >= limit * (1 - 1e-9)))

    def decimated(self, points: int) -> Record:
        """``min(points, len)`` samples, every k-th one (k = len // points; the spacing grows by k)."""
        stride = max(1, len(self.values) // points)
        return replace(self, values=self.values[::stride][:points], dx=self.dx * stride)


# --------------------------------------------------------------------------------------------- measurements
def top_base(values: np.ndarray, scale: float) -> tuple[float, float]:
    """VTOP and VBASe: the most common levels of the upper and lower halves of the histogram (the extremes when
    the waveform spans less than a quarter division)."""
    low, high = float(values.min()), float(values.max())
    if high - low < 0.25 * scale:
        return high, low
    counts, edges = np.histogram(values, bins=100, range=(low, high))
    centres = (edges[:-1] + edges[1:]) / 2
    return float(centres[50 + np.argmax(counts[50:])]), float(centres[np.argmax(counts[:50])])


def edges(values: np.ndarray, top: float, base: float) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices of the rising and falling crossings of the 50 % level, with 10 % hysteresis."""
    middle, band = (top + base) / 2, 0.1 * (top - base)
    state = np.where(values > middle + band, 1, np.where(values < middle - band, 0, -1))
    known = np.flatnonzero(state >= 0)
    if known.size == 0:
        return np.empty(0, int), np.empty(0, int)
    index = np.maximum.accumulate(np.where(state >= 0, np.arange(len(values)), known[0]))
    filled = state[index]
    change = np.flatnonzero(np.diff(filled)) + 1
    return change[filled[change] == 1], change[filled[change] == 0]


def transition_time(values: np.ndarray, dx: float, start: float, end: float) -> float:
    """Time of the first transition from ``start`` to ``end`` (10 % and 90 % levels, either order)."""
    before = values <= start if end > start else values >= start
    after = values >= end if end > start else values <= end
    first = np.flatnonzero(before)
    if first.size == 0:
        return math.inf
    reached = np.flatnonzero(after[first[0]:]) + first[0]
    if reached.size == 0:
        return math.inf
    left = np.flatnonzero(before[:reached[0]])
    return float((reached[0] - left[-1]) * dx)


def measure(kind: str, record: Record, interval: str = "DISPLAY", rms_type: str = "DC") -> float:
    """One :MEASure result on ``record`` (inf when it cannot be made)."""
    v = record.values
    if kind in ("VMAX", "VMIN", "VPP", "VTOP", "VBASE", "VAMPLITUDE") and record.clipped:
        return math.inf
    top, base = top_base(v, record.scale)
    simple = {"VMAX": float(v.max()), "VMIN": float(v.min()), "VPP": float(v.max() - v.min()), "VTOP": top,
              "VBASE": base, "VAMPLITUDE": top - base}
    if kind in simple:
        return simple[kind]
    if kind in ("VAVERAGE", "VRMS") and interval == "DISPLAY":
        return _level(kind, v, rms_type)
    if top - base < 0.25 * record.scale:
        return math.inf  # no edges to time
    rising, falling = edges(v, top, base)
    if kind in ("RISETIME", "FALLTIME"):
        low, high = base + 0.1 * (top - base), base + 0.9 * (top - base)
        return transition_time(v, record.dx, *((low, high) if kind == "RISETIME" else (high, low)))
    return _timed(kind, v, record.dx, rising, falling, rms_type)


def _level(kind: str, v: np.ndarray, rms_type: str) -> float:
    if kind == "VAVERAGE":
        return float(v.mean())
    return float(v.std() if rms_type == "AC" else np.sqrt(np.mean(v * v)))


def _timed(kind: str, v: np.ndarray, dx: float, rising: np.ndarray, falling: np.ndarray, rms_type: str) -> float:
    """Measurements needing edges: periods, widths and duty cycles, and the one-cycle levels."""
    if len(rising) < 2:
        return math.inf
    period = float(np.mean(np.diff(rising))) * dx
    if kind in ("VAVERAGE", "VRMS"):
        return _level(kind, v[rising[0]:rising[-1]], rms_type)
    if kind in ("PERIOD", "FREQUENCY"):
        return period if kind == "PERIOD" else 1.0 / period
    after = falling[falling > rising[0]]
    if after.size == 0:
        return math.inf
    high = float(after[0] - rising[0]) * dx
    widths = {"PWIDTH": high, "NWIDTH": period - high, "DUTYCYCLE": 100 * high / period,
              "NDUTY": 100 * (period - high) / period}
    return widths[kind]


def spectrum(record: Record, window: str, vtype: str, scale: float, offset: float) -> Record:
    """The FFT of a time record: magnitude per bin in dBV (``DECibel``) or V rms, from DC to half the sample rate."""
    x = record.decimated(_FFT_POINTS)
    n = len(x.values)
    phase = 2 * np.pi * np.arange(n) / max(n - 1, 1)
    w = sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(_WINDOWS[window]))
    w = np.broadcast_to(w, (n,)).astype(float)
    magnitude = np.abs(np.fft.rfft(x.values * w)) * np.sqrt(2) / w.sum()
    magnitude[0] /= np.sqrt(2)  # DC has no rms factor
    values = 20 * np.log10(np.maximum(magnitude, 1e-15)) if vtype == "DECIBEL" else magnitude
    return Record(values, 1.0 / (n * x.dx), 0.0, scale, offset, acquired=False)


# --------------------------------------------------------------------------------------------- screen images
def png(image: np.ndarray) -> bytes:
    """``image`` (rows, columns, RGB) as a PNG file."""
    rows, columns, _ = image.shape
    raw = np.hstack([np.zeros((rows, 1), np.uint8), image.reshape(rows, columns * 3)]).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", columns, rows, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def bmp(image: np.ndarray, eight_bit: bool) -> bytes:
    """``image`` as a Windows bitmap: 24-bit, or 8-bit with a palette of its colours."""
    rows, columns, _ = image.shape
    if eight_bit:
        colours, index = np.unique(image.reshape(-1, 3), axis=0, return_inverse=True)
        palette = np.zeros((256, 4), np.uint8)
        palette[: len(colours), :3] = colours[:, ::-1]
        pixels, depth, extra = index.reshape(rows, columns).astype(np.uint8), 8, palette.tobytes()
    else:
        pixels, depth, extra = image[:, :, ::-1].reshape(rows, columns * 3), 24, b""
    body = np.ascontiguousarray(pixels[::-1]).tobytes()  # bottom-up; rows of 800 or 2400 bytes need no padding
    offset = 14 + 40 + len(extra)
    info = struct.pack("<IiiHHIIiiII", 40, columns, rows, 1, depth, 0, len(body), 3780, 3780,
                       256 if eight_bit else 0, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset) + info + extra + body
