"""Stoner–Wohlfarth free layer: a uniaxial macrospin in a field at any angle ψ from its easy axis.

Energy normalised to 2KV = μ0MsHkV, with θ the magnetisation's angle from the easy axis z in the plane of z and
the field (x the in-plane hard axis), h = H/Hk:

    e(θ) = sin²θ/2 − h_z cos θ − h_x sin θ,   E/kBT = 2Δ·e,   (h_x, h_z) = h (sin ψ, cos ψ).

For ψ ≠ 0 every stationary point of the energy on the sphere lies in this plane (m × H_eff = 0 with H_eff in
it), so the problem is one angle. With z = e^{iθ} the stationary points e'(θ) = 0 are the roots on the unit
circle of z⁴ + 2c z³ − 2c̄ z − 1 = 0, c = h_z − i h_x, solved for whole arrays by the eigenvalues of its
companion matrix. A well (minimum) is P when m_z = cos θ > 0, AP otherwise; its barrier is the lowest maximum
above it (with two wells the saddle they share, with one the only maximum: the other state does not exist).
The wells merge on the astroid h_sw(ψ) = (cos^{2/3}ψ + sin^{2/3}ψ)^{−3/2} (Stoner & Wohlfarth, Phil. Trans.
R. Soc. A 240, 599 (1948)), where a barrier vanishes as (1 − h/h_sw)^{3/2} (at ψ = 0 as (1 − h)²).

Thermal activation: the escape rate out of a well is that of the axially symmetric macrospin
(:func:`mtjhw.simulators.physics.fokker_planck.escape_rate`, Brown's attempt time τ0 at zero field) under the
*equivalent axial field* that gives the same barrier, h_eq = s(√(B_s) − 1) for a well of barrier Δ·B_s. It is
exact at ψ = 0 and at ψ = π/2 below Hk (where the tilted barrier is Δ(1 − h)² too), and keeps the exponent
exact at every angle; the prefactor of the non-axially-symmetric problem (Brown's intermediate-to-high damping
formula, Coffey et al., PRB 58, 3249 (1998)) differs by a factor of order one, i.e. a few 0.1 kBT in ln τ: the
coercive field at a sweep rate is the macrospin's within 7 % (Δ 30, α 0.1, 2e6 T/s: ratio 1.00 at ψ = 0,
1.06 at 30°, 1.07 at 60°, the fast model switching slightly later; tests/physics/test_field_angle.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .fokker_planck import escape_rate as axial_escape_rate

#: a root of the quartic is a stationary point when | |z| − 1 | is below this
ON_CIRCLE = 1e-6


def energy(theta: ArrayLike, hx: ArrayLike, hz: ArrayLike) -> np.ndarray:
    """Reduced energy e(θ) = sin²θ/2 − h_z cos θ − h_x sin θ (units of 2KV = μ0MsHkV)."""
    t = np.asarray(theta, dtype=float)
    return 0.5 * np.sin(t) ** 2 - np.asarray(hz, dtype=float) * np.cos(t) - np.asarray(hx, dtype=float) * np.sin(t)


def components(h: ArrayLike, psi: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(h_x, h_z) of a field of reduced magnitude ``h`` (signed) at angle ``psi`` (rad) from the easy axis."""
    h, psi = np.asarray(h, dtype=float), np.asarray(psi, dtype=float)
    return h * np.sin(psi), h * np.cos(psi)


def stationary_angles(hx: ArrayLike, hz: ArrayLike) -> np.ndarray:
    """Angles θ (rad, shape (..., 4)) where e'(θ) = 0; NaN for the roots of the quartic off the unit circle."""
    hx, hz = np.broadcast_arrays(np.asarray(hx, dtype=float), np.asarray(hz, dtype=float))
    c = (hz - 1j * hx).ravel()
    companion = np.zeros((c.size, 4, 4), dtype=complex)
    companion[:, 0, 0], companion[:, 0, 2], companion[:, 0, 3] = -2 * c, 2 * np.conj(c), 1.0
    companion[:, 1, 0] = companion[:, 2, 1] = companion[:, 3, 2] = 1.0
    roots = np.linalg.eigvals(companion)
    theta = np.where(np.abs(np.abs(roots) - 1.0) < ON_CIRCLE, np.angle(roots), np.nan)
    return theta.reshape(*hx.shape, 4)


@dataclass(frozen=True)
class Wells:
    """The two states in a field: m_z = cos θ of each state's minimum (the other's where a state has none:
    that is where the magnetisation is) and the barriers out of each, in units of Δ (ΔE/kBT = Δ·barrier; 0
    where the state has no minimum)."""

    cos_p: np.ndarray
    cos_ap: np.ndarray
    barrier_p: np.ndarray
    barrier_ap: np.ndarray

    def cos(self, state: int) -> np.ndarray:
        """m_z of ``state`` (+1 P, −1 AP)."""
        return self.cos_p if state > 0 else self.cos_ap

    def barrier(self, state: int) -> np.ndarray:
        """Barrier (units of Δ) out of ``state``."""
        return self.barrier_p if state > 0 else self.barrier_ap

    def axial_field(self, state: int) -> np.ndarray:
        """Reduced field along the easy axis that gives ``state`` (+1 P, −1 AP) its barrier B: s(√B − 1), so
        that the axial barrier Δ(1 + s·h_eq)² is Δ·B; −s (the edge of stability) where it has no well."""
        return state * (np.sqrt(self.barrier(state)) - 1.0)


def wells(hx: ArrayLike, hz: ArrayLike) -> Wells:
    """Minima and barriers of both states in the reduced field (``hx``, ``hz``), vectorised."""
    theta = stationary_angles(hx, hz)
    hx, hz = (np.asarray(v, dtype=float)[..., None] for v in (hx, hz))
    e = energy(theta, hx, hz)
    curvature = np.cos(2 * theta) + hz * np.cos(theta) + hx * np.sin(theta)
    with np.errstate(invalid="ignore"):
        minimum, maximum = curvature > 0, curvature < 0
        top = np.min(np.where(maximum, e, np.inf), axis=-1)
        out = []
        for side in (np.cos(theta) >= 0, np.cos(theta) < 0):
            mine = minimum & side
            e_min = np.min(np.where(mine, e, np.inf), axis=-1)
            cos_min = np.take_along_axis(np.cos(theta), np.argmin(np.where(mine, e, np.inf), axis=-1)[..., None],
                                         axis=-1)[..., 0]
            has = np.any(mine, axis=-1)
            out.append((has, cos_min, np.where(has, 2.0 * (top - e_min), 0.0)))
    (has_p, cos_p, b_p), (has_ap, cos_ap, b_ap) = out
    return Wells(np.where(has_p, cos_p, cos_ap), np.where(has_ap, cos_ap, cos_p), b_p, b_ap)


def switching_field(psi: ArrayLike) -> np.ndarray:
    """T = 0 switching field h_sw = H_sw/Hk along ``psi`` (rad): (|cos ψ|^{2/3} + |sin ψ|^{2/3})^{−3/2}."""
    psi = np.asarray(psi, dtype=float)
    return (np.abs(np.cos(psi)) ** (2 / 3) + np.abs(np.sin(psi)) ** (2 / 3)) ** -1.5


def equivalent_axial_field(state: int, hx: ArrayLike, hz: ArrayLike) -> np.ndarray:
    """Reduced field along the easy axis that gives ``state`` its barrier in (``hx``, ``hz``)
    (:meth:`Wells.axial_field`)."""
    return wells(hx, hz).axial_field(state)


def escape_rate(state: int, hx: ArrayLike, hz: ArrayLike, delta: ArrayLike, tau_d: ArrayLike) -> np.ndarray:
    """Thermal escape rate (1/s) out of ``state`` in (``hx``, ``hz``) for stability factor ``delta`` and the
    macrospin time unit ``tau_d`` = (1+α²)/(αγμ0Hk) (s): the axial Fokker–Planck rate at the equivalent axial
    field (no current)."""
    h_eq = equivalent_axial_field(state, hx, hz)
    return axial_escape_rate(delta, 1.0, state * h_eq) / np.asarray(tau_d, dtype=float)


def reduced_field(field: ArrayLike, angle: float, hk: ArrayLike, offset: ArrayLike = 0.0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(h_x, h_z) the free layer sees from an applied field ``field`` (T, signed) at ``angle`` (rad) from the
    easy axis, with the reference layer's stray field ``offset`` (T) along the easy axis whatever the angle."""
    hk = np.asarray(hk, dtype=float)
    b = np.asarray(field, dtype=float)
    return b * np.sin(angle) / hk, (b * np.cos(angle) - np.asarray(offset, dtype=float)) / hk
