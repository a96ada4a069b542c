"""Compiled integrators of the STNO (numba): its normalised power under a time-varying current, and the complex
amplitudes of coupled or injection-locked oscillators.

:func:`power_trace`: the complex amplitude c obeys ċ = [Γ_G ζ(t)(1 − |c|²) − Γ_G(1 + Q|c|²)] c + thermal noise
(rotating frame, the nonlinear phase term drops out of |c|²), for drives that change on the oscillator's own time
scale (reservoir computing), so the per-step cost must be small. :func:`amplitude_run`: the full equation with
phase, coupling and an external force, behind :meth:`mtjhw.simulators.physics.stno.STNO.simulate` and
:func:`mtjhw.simulators.physics.stno.simulate_network`. Both are Heun (Stratonovich) schemes.
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


@numba.njit(cache=True, fastmath=True)
def _drift(c: np.ndarray, detuning: np.ndarray, shift: np.ndarray, gamma: np.ndarray, zeta: np.ndarray,
           q: np.ndarray, coupling: np.ndarray, force: np.ndarray, out: np.ndarray) -> None:
    """ċ without noise for every oscillator (rotating frame), written into ``out``."""
    n = c.size
    for i in range(n):
        pw = c[i].real * c[i].real + c[i].imag * c[i].imag
        rate = complex(gamma[i] * zeta[i] * (1.0 - pw) - gamma[i] * (1.0 + q[i] * pw), -(detuning[i] + shift[i] * pw))
        acc = rate * c[i] + force[i]
        for j in range(n):
            if coupling[i, j] != 0:
                acc += coupling[i, j] * c[j]
        out[i] = acc


@numba.njit(cache=True, fastmath=True)
def amplitude_run(c: np.ndarray, detuning: np.ndarray, shift: np.ndarray, gamma: np.ndarray, zeta: np.ndarray,
                  q: np.ndarray, kt_over_lam: np.ndarray, coupling: np.ndarray, force: np.ndarray, dt: float,
                  normals: np.ndarray, record_every: int, out: np.ndarray) -> int:
    """Advance the complex amplitudes ``c`` (n,) of coupled oscillators in place by ``normals.shape[0]`` Heun
    (Stratonovich) steps of ``dt`` (s) in a frame rotating at a reference frequency:

        ċ_i = [−i(δ_i + N_i|c_i|²) − Γ_i(1 + Q_i|c_i|²) + Γ_i ζ_i(1 − |c_i|²)] c_i + Σ_j K_ij c_j + F_i + ξ_i,

    ⟨ξ_i ξ_i*⟩ = 2Γ_i(1 + Q_i|c_i|²)(kBT/λ)_i δ(t − t'); δ (``detuning``), N (``shift``), Γ, K (``coupling``) in
    rad/s, F (``force``) in 1/s. ``normals`` (steps, n, 2); every ``record_every`` steps c goes to the next row
    of ``out`` (rows, n). Returns the number of rows written."""
    n_steps, n = normals.shape[0], c.size
    k1 = np.empty(n, dtype=np.complex128)
    k2 = np.empty(n, dtype=np.complex128)
    pred = np.empty(n, dtype=np.complex128)
    d1 = np.empty(n)
    rows = 0
    for s in range(n_steps):
        _drift(c, detuning, shift, gamma, zeta, q, coupling, force, k1)
        for i in range(n):
            pw = c[i].real * c[i].real + c[i].imag * c[i].imag
            d1[i] = math.sqrt(gamma[i] * (1.0 + q[i] * pw) * kt_over_lam[i] * dt)
            pred[i] = c[i] + k1[i] * dt + d1[i] * complex(normals[s, i, 0], normals[s, i, 1])
        _drift(pred, detuning, shift, gamma, zeta, q, coupling, force, k2)
        for i in range(n):
            pp = pred[i].real * pred[i].real + pred[i].imag * pred[i].imag
            d2 = math.sqrt(gamma[i] * (1.0 + q[i] * pp) * kt_over_lam[i] * dt)
            xi = complex(normals[s, i, 0], normals[s, i, 1])
            c[i] = c[i] + 0.5 * (k1[i] + k2[i]) * dt + 0.5 * (d1[i] + d2) * xi
        if (s + 1) % record_every == 0:
            out[rows] = c
            rows += 1
    return rows
