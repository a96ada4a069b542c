"""Tunnel magnetoresistance: angular dependence and bias dependence.

The conductance interpolates between the parallel and antiparallel states as G = G0 (1 + P² cos θ)
(Julliere/Slonczewski), and the TMR ratio falls with bias as TMR(V) = TMR0 / (1 + (V / V_half)²), the
empirical form for MgO barriers (TMR halves at |V| = V_half).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def tmr_at_bias(tmr0: ArrayLike, voltage: ArrayLike, v_half: ArrayLike) -> np.ndarray:
    """TMR ratio at bias ``voltage`` (V) for zero-bias ratio ``tmr0`` and half-ratio voltage ``v_half`` (V)."""
    v = np.asarray(voltage, dtype=float)
    return np.asarray(tmr0, dtype=float) / (1.0 + (v / np.asarray(v_half, dtype=float)) ** 2)


def resistance(
    r_p: ArrayLike, tmr0: ArrayLike, cos_theta: ArrayLike, voltage: ArrayLike = 0.0, v_half: ArrayLike = 0.5
) -> np.ndarray:
    """Junction resistance (Ω) for free/reference layer angle ``cos_theta`` at bias ``voltage`` (V).

    ``cos_theta = 1`` is the parallel state (``r_p``), ``-1`` antiparallel (``r_p · (1 + TMR(V))``).
    The bias dependence acts on the antiparallel conductance only, as observed in MgO junctions.
    """
    g_p = 1.0 / np.asarray(r_p, dtype=float)
    g_ap = g_p / (1.0 + tmr_at_bias(tmr0, voltage, v_half))
    c = np.asarray(cos_theta, dtype=float)
    return 1.0 / (0.5 * (g_p + g_ap) + 0.5 * (g_p - g_ap) * c)
