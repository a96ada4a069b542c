"""Brown's theory of thermally activated reversal of a uniaxial macrospin (axially symmetric potential).

Energy E/kBT = −Δ cos²θ; Néel time τ_N = (1+α²) Ms V / (2αγ kB T) = (1+α²) Δ / (αγ μ0Hk). The Fokker–Planck
equation in z = cos θ has diffusion (1 − z²)/(2τ_N), so the mean first-passage time has a closed integral
form, exact at any Δ; Brown's high-barrier formula is its asymptote. These give the attempt time τ0 of a
device at zero drive, 0.1–10 ns over typical α, Hk and Δ, and back from a τ0 the damping that has it. Under
a drive the same equation is solved by :mod:`mtjhw.simulators.physics.fokker_planck`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import quad

from .constants import GAMMA_E


def neel_time(delta: ArrayLike, alpha: ArrayLike, hk: ArrayLike) -> np.ndarray:
    """τ_N = (1+α²) Δ / (α γ μ0Hk) in s, for anisotropy field ``hk`` in T."""
    a = np.asarray(alpha, dtype=float)
    return (1 + a**2) * np.asarray(delta, dtype=float) / (a * GAMMA_E * np.asarray(hk, dtype=float))


def brown_dwell_time(delta: ArrayLike, alpha: ArrayLike, hk: ArrayLike) -> np.ndarray:
    """Brown's high-barrier mean dwell time (1+α²)/(αγμ0Hk)·√(π/Δ)·e^Δ in s."""
    d = np.asarray(delta, dtype=float)
    return neel_time(d, alpha, hk) / d * np.sqrt(np.pi / d) * np.exp(d)


def _mfpt_over_tau_n(delta: float, threshold: float) -> float:
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta}")

    def inner(zp: float) -> float:
        # ∫_{-1}^{z'} exp(Δ z² − Δ z'²) dz, written to stay finite for large Δ
        return quad(lambda z: np.exp(delta * (z * z - zp * zp)), -1.0, zp)[0]

    return quad(lambda zp: 2.0 * inner(zp) / (1.0 - zp * zp), -threshold, threshold, limit=200)[0]


def mean_dwell_time(delta: ArrayLike, alpha: ArrayLike, hk: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Exact mean dwell time (s): mean first passage from m_z = −threshold to +threshold.

    This is the dwell time a telegraph analysis with hysteresis thresholds ±``threshold`` measures
    (see :func:`mtjhw.simulators.physics.telegraph.dwell_times_from_trace`).
    """
    d = np.asarray(delta, dtype=float)
    ratio = np.vectorize(lambda x: _mfpt_over_tau_n(float(x), threshold))(d)
    return ratio * neel_time(d, alpha, hk)


def attempt_time(delta: ArrayLike, alpha: ArrayLike, hk: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """τ0 (s) for which τ0·e^Δ equals the exact macrospin mean dwell time at zero drive."""
    d = np.asarray(delta, dtype=float)
    return mean_dwell_time(d, alpha, hk, threshold) * np.exp(-d)


def damping_for_attempt_time(tau0: float, delta: float, hk: float, threshold: float = 0.5) -> float:
    """The Gilbert damping α ≤ 1 whose zero-drive attempt time (:func:`attempt_time`) is ``tau0`` (s).

    τ0 ∝ (1+α²)/α is smallest at α = 1: a shorter τ0 is no macrospin's and raises ValueError."""
    scale = float(attempt_time(delta, 1.0, hk, threshold)) / 2.0  # τ0 = scale·(1+α²)/α
    k = tau0 / scale
    if not k >= 2.0:
        raise ValueError(f"tau0 = {tau0:g} s is shorter than any damping gives for delta {delta:g}, hk {hk:g} T "
                         f"(α = 1 gives {2 * scale:.3g} s)")
    return (k - np.sqrt(k * k - 4.0)) / 2.0
