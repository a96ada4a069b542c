"""Compiled integrator of the STNO's normalised power under a time-varying current (numba).

The complex amplitude c obeys ċ = [Γ_G ζ(t)(1 − |c|²) − Γ_G(1 + Q|c|²)] c + thermal noise (rotating frame,
the nonlinear phase term drops out of |c|²); Heun (Stratonovich) with the noise amplitude of
:meth:`mtjhw.simulators.physics.stno.STNO.simulate`. Used where the drive changes on the oscillator's own time
scale (reservoir computing), so the per-step cost must be small.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, fastmath=True)
def power_trace(zeta: np.ndarray, dt: float, gamma: float, q: float, kt_over_lam: float, c_re: float,
                c_im: float, normals: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Normalised power |c|² after each step for supercriticality ``zeta`` per step; returns the trace and
    the final amplitude (re, im) so that consecutive calls continue one trajectory. ``normals`` (n, 2)."""
    n = zeta.size
    out = np.empty(n)
    for s in range(n):
        z = zeta[s]
        pw = c_re * c_re + c_im * c_im
        g1 = gamma * z * (1.0 - pw) - gamma * (1.0 + q * pw)
        d1 = math.sqrt(gamma * (1.0 + q * pw) * kt_over_lam * dt)
        x_re, x_im = normals[s, 0], normals[s, 1]
        p_re = c_re + g1 * c_re * dt + d1 * x_re
        p_im = c_im + g1 * c_im * dt + d1 * x_im
        pp = p_re * p_re + p_im * p_im
        g2 = gamma * z * (1.0 - pp) - gamma * (1.0 + q * pp)
        d2 = math.sqrt(gamma * (1.0 + q * pp) * kt_over_lam * dt)
        c_re = c_re + 0.5 * (g1 * c_re + g2 * p_re) * dt + 0.5 * (d1 + d2) * x_re
        c_im = c_im + 0.5 * (g1 * c_im + g2 * p_im) * dt + 0.5 * (d1 + d2) * x_im
        out[s] = min(c_re * c_re + c_im * c_im, 1.0)
    return out, c_re, c_im
