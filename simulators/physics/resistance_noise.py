"""Resistance noise of a tunnel junction: 1/f noise with a Hooge parameter plus random-telegraph defects.

The relative fluctuation δ(t) = δR/R is the sum of

- **1/f noise**, S_R/R²(f) = α_H/(A·f) (one-sided, 1/Hz) with Hooge's parameter α_H (m²) and the junction area A
  (m²), as measured in MgO MTJs: α_H ≈ 1e-12–1e-8 µm² (1e-24–1e-20 m²), lower in P than in AP and rising with
  bias (Nowak et al., PRB 60, 3010 (1999) for the Hooge normalisation in junctions; Gokce et al., J. Appl. Phys.
  99, 08A906 (2006); Scola et al., APL 90, 252501 (2007)). Modelled here: one α_H, independent of state and bias
  (S_V ∝ V², the law a bias sweep checks), over the band :data:`F_LOW`–:data:`F_HIGH` (a reading every 20 ms to a
  scope at 1 GS/s; flat within 1 %);
- **random-telegraph noise** (RTN) of two-level defects: defect j raises R by ``rtn_amplitude[j]``·R while it is
  charged, captures at ``rtn_rate_up`` (1/s) and empties at ``rtn_rate_down``; its spectrum is the Lorentzian
  4 a² p(1 − p) λ/(λ² + (2πf)²), λ = r_up + r_down (corner f_c = λ/2π Hz), p = r_up/λ (Machlup, J. Appl. Phys.
  25, 341 (1954)). δ carries a·(s − p): zero mean.

The 1/f part is a sum of Ornstein–Uhlenbeck processes, :data:`PER_DECADE` per decade of rate from two decades below
the band to two above, each of variance α_H/(A·n) with n the processes per unit of ln λ: their Lorentzians sum to
1/f (∫ 4σ²λ/(λ² + ω²) dλ/λ = 2πσ²/ω). Both parts are updated exactly over any gap and averaged exactly over each
window (an OU process and its integral are jointly Gaussian; a telegraph is sampled switch by switch, or by its
Gaussian limit beyond :data:`_MAX_SWITCHES` switches per window), so readings at irregular times, scope records
and long idle gaps all see the same stationary process. Cost: O(processes × windows), no memory beyond the output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numba
import numpy as np

#: band (Hz) over which the 1/f spectrum holds (flat within 1 %)
F_LOW, F_HIGH = 1e-3, 1e9
#: Ornstein–Uhlenbeck processes per decade of rate (their spectra sum to 1/f with < 0.1 % ripple)
PER_DECADE = 2
#: decades of rates beyond each end of the band (the edges of a finite sum fall off outside)
_MARGIN = 2
#: switches of one defect in one window above which its time fraction is drawn from the Gaussian limit
_MAX_SWITCHES = 10_000


@dataclass
class ResistanceNoiseParams:
    """Bench-file parameters of the resistance noise (SI); the RTN entries are one number per defect or a list."""

    hooge: float = 0.0  #: Hooge parameter α_H, m² (0: no 1/f noise)
    area: float = 1e-14  #: junction area A, m² (1e-14 m²: 113 nm diameter)
    rtn_amplitude: float | Sequence[float] = 0.0  #: ΔR/R of each defect (0: no RTN)
    rtn_rate_up: float | Sequence[float] = 1e3  #: capture rate of each defect, 1/s
    rtn_rate_down: float | Sequence[float] = 1e3  #: emission rate of each defect, 1/s


def hooge_psd(frequency: np.ndarray, hooge: float, area: float) -> np.ndarray:
    """S_R/R² (1/Hz) of Hooge's law α_H/(A·f), ``hooge`` in m², ``area`` in m², ``frequency`` in Hz."""
    return hooge / area / np.asarray(frequency, dtype=float)


def telegraph_psd(frequency: np.ndarray, amplitude: float, rate_up: float, rate_down: float) -> np.ndarray:
    """S_R/R² (1/Hz) of one defect: Machlup's Lorentzian of corner (``rate_up`` + ``rate_down``)/2π Hz."""
    lam = rate_up + rate_down
    p = rate_up / lam
    omega = 2 * np.pi * np.asarray(frequency, dtype=float)
    return 4 * amplitude**2 * p * (1 - p) * lam / (lam**2 + omega**2)


@dataclass
class ResistanceNoise:
    """The fluctuation δ(t) of one junction on a clock that only runs forward (see the module docstring)."""

    params: ResistanceNoiseParams = field(default_factory=ResistanceNoiseParams)

    def __post_init__(self) -> None:
        p = self.params
        if not p.hooge >= 0 or not p.area > 0:
            raise ValueError(f"hooge must be >= 0 m² and area > 0 m², got {p.hooge!r}, {p.area!r}")
        amp, up, down = (np.atleast_1d(np.asarray(x, dtype=float)) for x in
                         (p.rtn_amplitude, p.rtn_rate_up, p.rtn_rate_down))
        if not amp.shape == up.shape == down.shape or amp.ndim != 1:
            raise ValueError("rtn_amplitude, rtn_rate_up and rtn_rate_down need one entry per defect")
        if np.any(amp < 0) or not (np.all(up > 0) and np.all(down > 0)):
            raise ValueError("rtn_amplitude must be >= 0 and the RTN rates > 0 (1/s)")
        keep = amp > 0
        self.rtn_amplitude, self.rtn_rate_up, self.rtn_rate_down = amp[keep], up[keep], down[keep]
        n = round(math.log10(F_HIGH / F_LOW) + 2 * _MARGIN) * PER_DECADE + 1
        self.rates = 2 * np.pi * np.logspace(math.log10(F_LOW) - _MARGIN, math.log10(F_HIGH) + _MARGIN, n)
        self.sigma = np.full(n, math.sqrt(p.hooge / p.area * math.log(10) / PER_DECADE))
        self.time: float | None = None  # end of the last window evaluated (s)
        self._x = np.zeros(n)
        self._s = np.zeros(len(self.rtn_amplitude), dtype=np.int64)

    @property
    def enabled(self) -> bool:
        """Whether there is any noise to draw (when not, nothing is drawn from the generators passed in)."""
        return self.params.hooge > 0 or self.rtn_amplitude.size > 0

    def psd(self, frequency: np.ndarray) -> np.ndarray:
        """One-sided S_R/R² (1/Hz) of the process as generated: its OU Lorentzians and the defects'."""
        omega = 2 * np.pi * np.asarray(frequency, dtype=float)[..., None]
        s = (4 * self.sigma**2 * self.rates / (self.rates**2 + omega**2)).sum(-1) if self.params.hooge > 0 else 0.0
        for a, up, down in zip(self.rtn_amplitude, self.rtn_rate_up, self.rtn_rate_down, strict=True):
            s = s + telegraph_psd(frequency, a, up, down)
        return np.broadcast_to(s, np.shape(frequency)).astype(float)

    def record(self, start: float, dt: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """δ averaged over each of ``n`` contiguous intervals of ``dt`` s from ``start`` s (a sampled record)."""
        gaps = np.zeros(n)
        durations = np.full(n, float(dt))
        gaps[0] = self._gap(start)
        return self._draw(gaps, durations, start + n * dt, rng)

    def windows(self, starts: Sequence[float], durations: Sequence[float], rng: np.random.Generator) -> np.ndarray:
        """δ averaged over each window [start, start + duration] (s, sorted, not overlapping; duration 0: the
        value at that instant)."""
        starts, durations = np.asarray(starts, dtype=float), np.asarray(durations, dtype=float)
        if starts.size == 0:
            return np.zeros(0)
        if np.any(durations < 0):
            raise ValueError("window durations must be >= 0 s")
        gaps = np.empty(starts.size)
        gaps[1:] = starts[1:] - starts[:-1] - durations[:-1]
        if np.any(gaps[1:] < -1e-12 * np.maximum(1.0, np.abs(starts[1:]))):
            raise ValueError("windows must be sorted in time and must not overlap")
        np.maximum(gaps, 0.0, out=gaps)
        gaps[0] = self._gap(float(starts[0]))
        return self._draw(gaps, durations, float(starts[-1] + durations[-1]), rng)

    def _gap(self, start: float) -> float:
        """Time (s) from the last window to ``start``; refuses to go back in time."""
        if self.time is None:
            return math.inf  # first use: the stationary distribution
        if start < self.time - 1e-12 * max(1.0, abs(self.time)):
            raise ValueError(f"resistance noise asked for t = {start:.9g} s, before its last window "
                             f"({self.time:.9g} s)")
        return max(start - self.time, 0.0)

    def _draw(self, gaps: np.ndarray, durations: np.ndarray, end: float, rng: np.random.Generator) -> np.ndarray:
        if not self.enabled:
            return np.zeros(gaps.size)
        delta = np.zeros(gaps.size)
        if self.params.hooge > 0:
            delta += _ou_windows(self._x, self.rates, self.sigma, gaps, durations, rng)
        if self.rtn_amplitude.size:
            delta += _rtn_windows(self._s, self.rtn_amplitude, self.rtn_rate_up, self.rtn_rate_down, gaps,
                                  durations, rng)
        self.time = end
        return delta


@numba.njit(cache=True)
def _ou_coefficients(lam: float, sigma: float, gap: float, duration: float, out: np.ndarray) -> None:
    """Exact conditional law of one OU process over a gap then a window, written into ``out``: [gap decay, gap
    σ, window decay, mean gain, σ of the end value, regression of the mean on the end value, residual σ]."""
    g = lam * gap
    out[0] = math.exp(-g)
    out[1] = sigma * math.sqrt(-math.expm1(-2 * g)) if g > 0 else 0.0
    u = lam * duration
    if u == 0:
        out[2], out[3], out[4], out[5], out[6] = 1.0, 1.0, 0.0, 0.0, 0.0
        return
    e = math.exp(-u)
    one_minus = -math.expm1(-u)
    var_end = sigma**2 * (-math.expm1(-2 * u))
    if u < 1e-3:  # Var of the window mean: σ²(2u − 3 + 4e^−u − e^−2u)/u², by its series
        var_mean = sigma**2 * (2 * u / 3 - u * u / 2 + 7 * u**3 / 30)
    else:
        var_mean = sigma**2 * (2 * u - 3 + 4 * e - e * e) / (u * u)
    cov = sigma**2 * one_minus**2 / u
    out[2], out[3], out[4] = e, one_minus / u, math.sqrt(var_end)
    out[5] = cov / var_end
    out[6] = math.sqrt(max(var_mean - cov * cov / var_end, 0.0))


@numba.njit(cache=True)
def _ou_windows(x: np.ndarray, rates: np.ndarray, sigma: np.ndarray, gaps: np.ndarray, durations: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Sum over the OU processes (state ``x``, updated in place) of their means over each window. The parts of
    the means independent of the end values are independent across processes: one normal draws their sum."""
    k = rates.size
    coef = np.empty((k, 7))
    means = np.zeros(gaps.size)
    last_gap, last_duration, residual = -1.0, -1.0, 0.0
    for i in range(gaps.size):
        if gaps[i] != last_gap or durations[i] != last_duration:
            for j in range(k):
                _ou_coefficients(rates[j], sigma[j], gaps[i], durations[i], coef[j])
            last_gap, last_duration = gaps[i], durations[i]
            residual = math.sqrt((coef[:, 6] ** 2).sum())
        total = residual * rng.standard_normal() if residual > 0 else 0.0
        for j in range(k):
            c = coef[j]
            x0 = c[0] * x[j] + c[1] * rng.standard_normal() if c[1] > 0 else x[j]
            x1 = c[2] * x0 + c[4] * rng.standard_normal() if c[4] > 0 else x0
            total += c[3] * x0 + c[5] * (x1 - c[2] * x0)
            x[j] = x1
        means[i] = total
    return means


@numba.njit(cache=True)
def _rtn_windows(s: np.ndarray, amplitude: np.ndarray, up: np.ndarray, down: np.ndarray, gaps: np.ndarray,
                 durations: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sum over the defects (states ``s``, 0/1, updated in place) of a·(time fraction charged − p) per window."""
    out = np.zeros(gaps.size)
    for j in range(amplitude.size):
        lam = up[j] + down[j]
        p = up[j] / lam
        for i in range(gaps.size):
            if gaps[i] > 0:  # the exact transition probability over the gap
                charged = p + (s[j] - p) * math.exp(-lam * gaps[i])
                s[j] = 1 if rng.random() < charged else 0
            t_len = durations[i]
            if t_len == 0.0:
                fraction = float(s[j])
            elif lam * t_len > 2.0 * _MAX_SWITCHES:  # Gaussian limit: variance 2p(1 − p)/(λT)
                fraction = p + math.sqrt(2 * p * (1 - p) / (lam * t_len)) * rng.standard_normal()
                fraction = min(max(fraction, 0.0), 1.0)
                s[j] = 1 if rng.random() < p else 0
            else:
                t, charged_time = 0.0, 0.0
                while True:
                    dwell = rng.exponential(1.0 / (down[j] if s[j] == 1 else up[j]))
                    if t + dwell >= t_len:
                        charged_time += (t_len - t) * s[j]
                        break
                    charged_time += dwell * s[j]
                    t += dwell
                    s[j] = 1 - s[j]
                fraction = charged_time / t_len
            out[i] += amplitude[j] * (fraction - p)
    return out
