"""Compiled integrator of a tridiagonal master equation y' = A·y (the Fokker–Planck chain of
:mod:`mtjhw.simulators.physics.fokker_planck` where its modal sum would cancel): implicit Euler extrapolated from
one step and two half steps (second order, L-stable), each implicit step a Thomas-algorithm solve, the step size
controlled on the largest |error|/(atol + rtol·|y|) over the components."""

from __future__ import annotations

import math

import numba
import numpy as np

#: below this probability left in the cells the state counts as gone and the integration stops
EXHAUSTED = 1e-30


@numba.njit(cache=True)
def _implicit_euler(h: float, sup: np.ndarray, dia: np.ndarray, sub: np.ndarray, rhs: np.ndarray, out: np.ndarray,
                    c: np.ndarray, d: np.ndarray) -> None:
    """out = (I − h·A)⁻¹ rhs; A by its super- (A[k, k+1]), main and sub-diagonal (A[k+1, k]); c, d scratch."""
    n = dia.size
    b = 1.0 - h * dia[0]
    c[0] = -h * sup[0] / b
    d[0] = rhs[0] / b
    for k in range(1, n):
        a = -h * sub[k - 1]
        b = 1.0 - h * dia[k] - a * c[k - 1]
        c[k] = -h * sup[k] / b if k < n - 1 else 0.0
        d[k] = (rhs[k] - a * d[k - 1]) / b
    out[n - 1] = d[n - 1]
    for k in range(n - 2, -1, -1):
        out[k] = d[k] - c[k] * out[k + 1]


@numba.njit(cache=True)
def integrate(sup: np.ndarray, dia: np.ndarray, sub: np.ndarray, y: np.ndarray, horizon: float, rtol: float,
              atol: float, times: np.ndarray, last: np.ndarray, slopes: np.ndarray) -> int:
    """Advance ``y`` in place from t = 0 towards ``horizon``; after each accepted step its time, y[-1] and
    y[-1]'s slope go to the next rows of ``times``, ``last``, ``slopes`` (row 0: t = 0). Stops at the horizon,
    once Σ y[:-1] < :data:`EXHAUSTED`, or with the rows full; returns the rows written."""
    n = y.size
    full, half, new, c, d = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    t, h, rows = 0.0, 1e-6 * horizon, 1
    times[0], last[0], slopes[0] = 0.0, y[n - 1], sub[n - 2] * y[n - 2]
    while t < horizon and rows < times.size:
        h = min(h, horizon - t)
        _implicit_euler(h, sup, dia, sub, y, full, c, d)
        _implicit_euler(0.5 * h, sup, dia, sub, y, half, c, d)
        _implicit_euler(0.5 * h, sup, dia, sub, half, new, c, d)
        error = 0.0
        for k in range(n):
            extrapolated = 2.0 * new[k] - full[k]
            error = max(error, abs(new[k] - full[k]) / (atol + rtol * abs(extrapolated)))
            new[k] = extrapolated
        if error <= 1.0:
            t += h
            inside = 0.0
            for k in range(n):
                y[k] = max(new[k], 0.0)
                inside += y[k] if k < n - 1 else 0.0
            times[rows], last[rows], slopes[rows] = t, y[n - 1], sub[n - 2] * y[n - 2]
            rows += 1
            if inside < EXHAUSTED:
                break
        h *= min(5.0, max(0.2, 0.9 / math.sqrt(max(error, 1e-10))))
    return rows
