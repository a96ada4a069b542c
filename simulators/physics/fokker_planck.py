"""Switching of the axially symmetric macrospin from its Fokker–Planck equation: every regime, one equation.

For a uniaxial free layer with the field and the spin polarisation along the easy axis (the p-MTJ), the polar
motion of the sLLGS decouples from the precession. With x = s·m_z the polar coordinate seen from state s
(x = 1 its energy minimum) and time in units of τ_D = (1+α²)/(αγμ0Hk),

    ẋ = (1 − x²)(a x + b) + thermal noise of diffusion coefficient (1 − x²)/(2Δ),

so the probability density obeys a one-dimensional Fokker–Planck equation in the reduced energy
U(x) = −Δ(a x² + 2 b x) (Brown 1963; Apalkov & Visscher, PRB 72, 180405 (2005); Butler et al., IEEE Trans.
Magn. 48, 4684 (2012)). The drive sets a and b (positive b holds the state, s = +1 is P):

- Slonczewski STT is exactly an effective field along the axis: a current I gives a = 1, b = s(h + I/Ic0) with
  h = H/Hk; under a voltage V the current follows the conductance G(x) = G_avg + G_diff·s·x, which adds
  V·G_diff/Ic0 to a and V·G_avg/Ic0 to b/s (see :func:`drive_coefficients`). The barrier is then
  ΔE = Δ(a + b)²/a, i.e. Δ(1 − h − I/Ic0)² for a destabilising drive (the n = 2 law); the state is unstable once
  a + b ≤ 0 (I > Ic0(1 − h), Sun's critical current).
- ``n_current = 1`` is Li & Zhang's effective damping α(1 − i) (PRB 69, 134416 (2004)), with i the destabilising
  current of the state: a = 1 − i, b = (1 − i)·s·h, barrier Δ(1 − h)²(1 − i).

The thermally activated regime is the inverse mean first-passage time (:func:`escape_rate`, exact at any
barrier, Brown's formula in the high-barrier limit); the crossover and the precessional regime are the
first-passage-time distribution of a pulse from the thermal distribution the drive before left
(:class:`FirstPassage`), which for I ≫ Ic0 reduces to Sun's switching time τ_D ln(π/2θ0)/(i − 1) with the
Boltzmann distribution of θ0 (:func:`sun_switching_time`, :func:`precessional_wer`). Lengths of time here are
in units of τ_D.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import eigh_tridiagonal
from scipy.special import exprel, logsumexp

from . import master_equation_kernel as kernel

#: hysteresis half-width of the two-state picture: a dwell runs from x* + z_t to x* − z_t around the top x*
THRESHOLD = 0.5
#: nodes of the mean-first-passage quadrature (θ-uniform)
QUADRATURE_NODES = 801
#: intra-well relaxation times after which an integrated first-passage distribution continues as its exponential tail
QUASI_STATIONARY = 30.0
#: largest Σ|c_k| of a modal first-passage sum (its round-off is ~1e−16 times this)
MAX_MODAL_GAIN = 1e4
#: e-folds after which a mode of the first-passage sum counts as decayed
MODE_DECAY = 40.0
_GONE = 1e300  # rate (1/τ_D) of a mode that has decayed at any t > 0
#: relative tolerance of the integrated master equation (about 4e-4 absolute in F against a tight reference)
RTOL = 3e-3
_MAX_STEPS = 50_000


@dataclass(frozen=True)
class Landscape:
    """Reduced energy U(x)/kBT = −Δ(a x² + 2 b x) of one state under one constant drive (scalars)."""

    delta: float
    a: float = 1.0
    b: float = 0.0

    def energy(self, u: ArrayLike) -> np.ndarray:
        """U(x) − U(1) at u = 1 − x (kBT)."""
        u = np.asarray(u, dtype=float)
        return self.delta * (2.0 * (self.a + self.b) * u - self.a * u * u)

    @property
    def stable(self) -> bool:
        """The state is an energy minimum (a + b > 0); otherwise the drive switches it precessionally."""
        return self.a + self.b > 0

    @property
    def top(self) -> float:
        """Position x* = −b/a of the barrier top, clipped to [−1, 1] (−1: no barrier, the other state is gone)."""
        if self.a <= 0:
            return -1.0 if self.stable else 1.0
        return float(np.clip(-self.b / self.a, -1.0, 1.0))

    @property
    def barrier(self) -> float:
        """Energy barrier out of the state (kBT); 0 when unstable."""
        return float(barrier(self.delta, self.a, self.b))

    @property
    def relaxation_time(self) -> float:
        """Intra-well relaxation time 1/(2(a + b)) of 1 − x (τ_D); inf when unstable."""
        return 1.0 / (2.0 * (self.a + self.b)) if self.stable else np.inf


def barrier(delta: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Barrier (kBT) out of the state x = 1 of U = −Δ(a x² + 2 b x), vectorised; 0 when unstable."""
    d, a, b = (np.asarray(v, dtype=float) for v in (delta, a, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.where((a > 0) & (np.abs(b) < a), d * (a + b) ** 2 / a, 4.0 * d * b)
    return np.where(a + b > 0, inner, 0.0)


def drive_coefficients(
    state: ArrayLike,
    h: ArrayLike,
    i: ArrayLike = 0.0,
    i_gradient: ArrayLike = 0.0,
    n_current: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of state ``state`` (±1) under the normalised field ``h`` = H/Hk and current: the current over Ic0
    is ``i`` + ``i_gradient``·m_z (a voltage bias: V·G_avg/Ic0 and V·G_diff/Ic0; a current bias has no gradient).
    Positive h and i favour P (+1)."""
    s = np.asarray(state, dtype=float)
    h, i, g = (np.asarray(v, dtype=float) for v in (h, i, i_gradient))
    if n_current == 2.0:
        return 1.0 + g, s * (h + i)
    destabilising = -s * (i + s * g)  # current of the state itself, positive when it pushes the state out
    return 1.0 - destabilising, (1.0 - destabilising) * s * h


def _grid(theta_end: np.ndarray, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """θ nodes (n, nodes) from 0 to ``theta_end`` and u = 1 − cos θ on them."""
    theta = theta_end[:, None] * np.linspace(0.0, 1.0, nodes)[None, :]
    return theta, 2.0 * np.sin(theta / 2.0) ** 2


def log_passage_time(
    delta: ArrayLike, a: ArrayLike, b: ArrayLike, start: ArrayLike, end: ArrayLike, nodes: int = QUADRATURE_NODES
) -> np.ndarray:
    """log of the exact mean first-passage time (τ_D) from x = ``start`` to x = ``end`` < ``start`` (reflecting
    at x = 1): T = 2Δ ∫_end^start dy e^{U(y)}/(1 − y²) ∫_y^1 e^{−U(x)} dx, by log-domain trapezoids in θ."""
    d, a, b, start, end = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in
                                                (delta, a, b, start, end)))
    theta, u = _grid(np.arccos(np.clip(end, -1.0, 1.0)), nodes)
    energy = d[:, None] * (2.0 * (a + b)[:, None] * u - a[:, None] * u * u)
    step = theta[:, 1] - theta[:, 0]
    with np.errstate(divide="ignore"):
        log_f = -energy + np.log(np.sin(theta))  # e^{−U} dx = e^{−U} sin θ dθ
    pieces = np.logaddexp(log_f[:, :-1], log_f[:, 1:]) + np.log(step / 2.0)[:, None]
    inner = np.concatenate((np.full((d.size, 1), -np.inf), np.logaddexp.accumulate(pieces, axis=1)), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        outer = energy + inner - np.log(np.sin(theta)) + np.log(2.0 * d)[:, None]
    outer[:, 0] = -np.inf  # the pole: the integrand vanishes as θ → 0
    first = np.maximum(np.ceil(np.arccos(np.clip(start, -1.0, 1.0)) / step), 1).astype(int)
    weight = np.where(np.arange(nodes)[None, :] >= first[:, None], 1.0, 0.0)
    weight[:, -1] *= 0.5
    weight[np.arange(d.size), first] *= 0.5
    with np.errstate(divide="ignore"):
        return logsumexp(outer, b=weight * step[:, None], axis=1)


def dwell_thresholds(a: ArrayLike, b: ArrayLike, threshold: float = THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of a dwell in x: ±``threshold`` about the barrier top, and at least ``threshold`` from 0.

    At zero drive these are the ±0.5 of a hysteresis analysis (:func:`brown.mean_dwell_time`); under a drive
    they stay on either side of the moving top, so that a dwell always starts in the well and ends past it."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        top = np.where(a > 0, np.clip(-b / a, -1.0, 1.0), np.where(a + b > 0, -1.0, 1.0))
    start = np.clip(np.maximum(threshold, top + threshold), -1.0, 1.0)
    end = np.clip(np.minimum(-threshold, top - threshold), -0.98, 1.0)
    return start, end


def escape_rate(delta: ArrayLike, a: ArrayLike, b: ArrayLike, threshold: float = THRESHOLD) -> np.ndarray:
    """Rate (1/τ_D) of leaving the state: the inverse mean dwell between :func:`dwell_thresholds`. Exact for
    the Fokker–Planck equation at any barrier; Brown's √(Δ/π)(1 − h²)(1 − h)e^{−Δ(1−h)²} asymptotically."""
    start, end = dwell_thresholds(a, b, threshold)
    return np.exp(-log_passage_time(delta, a, b, start, end))


def brown_rate(delta: ArrayLike, h: ArrayLike) -> np.ndarray:
    """Brown's high-barrier escape rate (1/τ_D) out of a well destabilised by h = H/Hk (Brown 1963, with the
    dwell as twice the relaxation time): √(Δ/π)(1 − h²)(1 − h) e^{−Δ(1 − h)²}."""
    d, h = np.asarray(delta, dtype=float), np.asarray(h, dtype=float)
    return np.sqrt(d / np.pi) * (1 - h * h) * (1 - h) * np.exp(-d * (1 - h) ** 2)


def sun_switching_time(i: ArrayLike, theta0: ArrayLike) -> np.ndarray:
    """Precessional switching time (τ_D) ln(π/2θ0)/(i − 1) at current i = I/Ic0 > 1 from angle θ0 (rad)
    (Sun, PRB 62, 570 (2000); Koch et al., PRL 92, 088302 (2004))."""
    return np.log(np.pi / (2 * np.asarray(theta0, dtype=float))) / (np.asarray(i, dtype=float) - 1)


def precessional_wer(width: ArrayLike, i: ArrayLike, delta: ArrayLike) -> np.ndarray:
    """Write-error rate of a pulse of ``width`` (τ_D) at i = I/Ic0 > 1 with θ0 thermal (⟨θ0²⟩ = 1/Δ):
    1 − exp(−(π²Δ/4) e^{−2(i−1)w}) (Butler et al. 2012; diffusion during the switch neglected)."""
    w, i, d = (np.asarray(v, dtype=float) for v in (width, i, delta))
    return -np.expm1(-(np.pi**2 * d / 4) * np.exp(-2 * (i - 1) * w))


def _bernoulli(x: np.ndarray) -> np.ndarray:
    """x/(eˣ − 1), the Scharfetter–Gummel weight, without overflow."""
    with np.errstate(over="ignore"):
        return 1.0 / exprel(x)


def _cells(before: Landscape, absorb: float, cells: int) -> np.ndarray:
    """Cell edges in θ from the pole to the absorbing point: geometric near the pole (resolving thermal θ0
    down to a thousandth of its width, i.e. write-error rates of 1e−6), uniform beyond."""
    theta_end = float(np.arccos(absorb))
    width = min(1.0 / np.sqrt(max(before.delta * (before.a + before.b), 1.0)), theta_end / 4)
    fine = np.geomspace(1e-3 * width, width, cells // 4)
    coarse = np.linspace(width, theta_end, cells - cells // 4 + 1)[1:]
    return np.concatenate(([0.0], fine, coarse))


def _chain(now: Landscape, before: Landscape, absorb: float, cells: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The finite-volume master equation of the state under ``now`` on [``absorb``, 1]: flux coefficients
    cell k → k+1 (``right``, the last into the absorber) and k+1 → k (``left``), cell sizes in u = 1 − x, and
    the Boltzmann distribution of ``before`` over the cells."""
    theta = _cells(before, absorb, cells)
    u_edge = 2.0 * np.sin(theta / 2.0) ** 2
    width = np.diff(u_edge)  # cell sizes in u = 1 − x
    centre = u_edge[:-1] + width / 2
    nodes = np.append(centre, u_edge[-1])  # the absorbing point closes the chain
    diffusion = u_edge[1:] * (2.0 - u_edge[1:]) / (2.0 * now.delta)  # (1 − x²)/(2Δ) at each right edge
    step = np.diff(now.energy(nodes))
    conductance = diffusion / np.diff(nodes)
    right = conductance * _bernoulli(step)  # flux coefficient cell k → k+1 (the last into the absorber)
    left = conductance[:-1] * _bernoulli(-step[:-1])  # cell k+1 → k
    log_p0 = np.log(width) - before.energy(centre)
    p0 = np.exp(log_p0 - logsumexp(log_p0))
    return right, left, width, p0


class FirstPassage:
    """Probability F(t) that a state has been left by time t (τ_D) under a constant drive (``now``), starting
    from the Boltzmann distribution of the drive before (``before``), up to ``duration`` (τ_D).

    The Fokker–Planck equation on [``absorb``, 1] in x, absorbing at ``absorb``, is discretised by finite
    volumes with Scharfetter–Gummel fluxes (a master equation that keeps detailed balance and positivity);
    F is the absorbed probability. ``absorb`` is where the state counts as left: past the top of ``now`` and
    past the separatrix of the drive after the pulse. The generator is tridiagonal and, by detailed balance,
    similar to a symmetric matrix, so the survival is an exact sum of decaying eigenmodes,
    S(t) = Σ c_k e^{−λ_k t}, at every t (the slowest rate taken as its mode's absorbed flux over its
    probability, accurate however far below the round-off of the fastest it lies). Asked only for times
    ≥ ``shortest`` (τ_D), the modes decayed by :data:`MODE_DECAY` e-folds by then are not computed. Where the
    drive tilts the landscape so steeply that the modal sum cancels beyond :data:`MAX_MODAL_GAIN`
    (precessional pulses), the master equation is integrated instead (:mod:`.master_equation_kernel`: extrapolated
    implicit Euler, L-stable, error-controlled at :data:`RTOL`), up to :data:`QUASI_STATIONARY` intra-well
    relaxation times and as its exponential tail beyond; F between the steps is their cubic Hermite interpolant.
    """

    def __init__(self, now: Landscape, before: Landscape, absorb: float, duration: float, cells: int = 240,
                 shortest: float = 0.0) -> None:
        if not -1.0 < absorb < 1.0:
            raise ValueError(f"absorb must lie in (-1, 1), got {absorb}")
        if not duration > 0:
            raise ValueError(f"duration must be > 0, got {duration}")
        right, left, width, p0 = _chain(now, before, absorb, cells)
        self._modal = _modes(right, left, width, p0, MODE_DECAY / shortest if shortest > 0 else np.inf)
        self._solution = None
        if self._modal is None:
            self._integrate(now, right, left, width, p0, duration)

    def _integrate(self, now: Landscape, right: np.ndarray, left: np.ndarray, width: np.ndarray, p0: np.ndarray,
                   duration: float) -> None:
        """Integrate the master equation; y = (probability in each cell, absorbed probability F)."""
        sup, sub = np.append(left / width[1:], 0.0), right / width  # A[k, k+1] and A[k+1, k]
        dia = np.append(-(right + np.append(0.0, left)) / width, 0.0)
        y = np.append(p0, 0.0)
        times, gone, slopes = np.empty(_MAX_STEPS), np.empty(_MAX_STEPS), np.empty(_MAX_STEPS)
        horizon = min(duration, QUASI_STATIONARY * now.relaxation_time)
        rows = kernel.integrate(sup, dia, sub, y, horizon, RTOL, 1e-30, times, gone, slopes)
        self._solution = times[:rows].copy(), gone[:rows].copy(), slopes[:rows].copy()  # not the whole buffers
        self.horizon = float(times[rows - 1])  # earlier when nothing was left to leave
        left_over = float(np.sum(y[:-1]))
        exhausted = left_over < kernel.EXHAUSTED
        self._tail_rate = np.inf if exhausted else right[-1] / width[-1] * y[-2] / left_over
        self._tail = (min(max(float(y[-1]), 0.0), 1.0), left_over)

    def _interpolated(self, t: np.ndarray) -> np.ndarray:
        """F at 0 ≤ t ≤ horizon: the cubic Hermite interpolant of the integration's steps."""
        times, gone, slopes = self._solution
        if times.size < 2:
            return np.full(t.shape, gone[0])
        i = np.clip(np.searchsorted(times, t) - 1, 0, times.size - 2)
        h = times[i + 1] - times[i]
        s = (t - times[i]) / h
        return ((1 + 2 * s) * (1 - s) ** 2 * gone[i] + s * (1 - s) ** 2 * h * slopes[i]
                + s * s * (3 - 2 * s) * gone[i + 1] - s * s * (1 - s) * h * slopes[i + 1])

    def probability(self, t: ArrayLike) -> np.ndarray:
        """F(t) for t ≥ 0 in τ_D."""
        t = np.asarray(t, dtype=float)
        if self._modal is not None:
            rates, weights = self._modal
            return np.clip(-np.expm1(-np.multiply.outer(t, rates)) @ weights, 0.0, 1.0)
        inside = np.clip(self._interpolated(np.clip(t, 0.0, self.horizon)), 0.0, 1.0)
        gone, left_over = self._tail
        with np.errstate(invalid="ignore"):
            beyond = gone + left_over * -np.expm1(-self._tail_rate * np.maximum(t - self.horizon, 0.0))
        return np.where(t > self.horizon, np.minimum(beyond, 1.0), inside)

    def survival(self, t: ArrayLike) -> np.ndarray:
        """1 − F(t) for t ≥ 0 in τ_D (from the modes: small write-error rates keep their relative accuracy)."""
        t = np.asarray(t, dtype=float)
        if self._modal is None:
            return 1.0 - self.probability(t)
        rates, weights = self._modal
        return np.clip(np.exp(-np.multiply.outer(t, rates)) @ weights, 0.0, 1.0)


def _modes(right: np.ndarray, left: np.ndarray, width: np.ndarray, p0: np.ndarray, fastest: float
           ) -> tuple[np.ndarray, np.ndarray] | None:
    """(λ_k, c_k) of the survival Σ c_k e^{−λ_k t} of the chain from ``p0`` for the modes with λ_k ≤ ``fastest``,
    or None where the modal sum would cancel beyond :data:`MAX_MODAL_GAIN` (Σ|c_k| ≫ 1: round-off would swamp
    small probabilities)."""
    up, down = right[:-1] / width[:-1], left / width[1:]  # generator entries A[k+1, k] and A[k, k+1]
    if np.any(up <= 0) or np.any(down <= 0):
        return None
    # A = D·S·D⁻¹ with S symmetric: d_{k+1}/d_k = √(A[k+1, k]/A[k, k+1])
    log_d = np.append(0.0, np.cumsum(0.5 * (np.log(up) - np.log(down))))
    if np.ptp(log_d) > 700:
        return None
    diagonal = (right + np.append(0.0, left)) / width
    if np.isfinite(fastest):
        rates, modes = eigh_tridiagonal(diagonal, -np.sqrt(up * down), select="v", select_range=(-1.0, fastest))
    else:
        rates, modes = eigh_tridiagonal(diagonal, -np.sqrt(up * down))
    d = np.exp(log_d - log_d.max())
    weights = (d @ modes) * (modes.T @ (p0 / d))
    if not np.sum(np.abs(weights)) < MAX_MODAL_GAIN:
        return None
    rates = np.maximum(rates, 0.0)  # round-off can leave a decay rate a hair below zero
    if rates.size:
        slow = d * modes[:, 0]
        rates[0] = right[-1] / width[-1] * slow[-1] / np.sum(slow)
    # the modes not computed have decayed by the shortest time asked: one instantaneous mode holds their share
    return np.append(rates, _GONE), np.append(weights, 1.0 - np.sum(weights))
