"""Néel–Brown thermally activated switching of a bistable macrospin.

The escape rate out of a state is 1/τ = (1/τ0) · exp[−Δ · (1 − s·h)^2 · (1 − s·i)^n] with h = H/Hk and
i = I/Ic0 the field and current normalised to the anisotropy field and critical current, and s = ±1 the sign
that makes a positive drive destabilise the state (see :func:`escape_rate`). ``n = 1`` is the common
approximation, ``n = 2`` the form from theory. Beyond the critical drive the barrier vanishes and the rate
saturates at 1/τ0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: Magnetic states. With the convention used throughout the simulators, +1 is the free layer parallel to the
#: reference layer (low resistance, P) and −1 antiparallel (AP).
STATE_P = 1
STATE_AP = -1


def barrier(
    delta: ArrayLike, h_over_hk: ArrayLike = 0.0, i_over_ic0: ArrayLike = 0.0, n_current: float = 1.0
) -> np.ndarray:
    """Energy barrier in units of kBT for the *destabilising* normalised field and current (≥ 0 each helps)."""
    h = np.clip(np.asarray(h_over_hk, dtype=float), -np.inf, 1.0)
    i = np.clip(np.asarray(i_over_ic0, dtype=float), -np.inf, 1.0)
    return np.asarray(delta, dtype=float) * (1.0 - h) ** 2 * (1.0 - i) ** n_current


def escape_rate(
    state: ArrayLike,
    delta: ArrayLike,
    tau0: ArrayLike,
    field: ArrayLike = 0.0,
    hk: ArrayLike = 1.0,
    current: ArrayLike = 0.0,
    ic0: ArrayLike = np.inf,
    n_current: float = 1.0,
) -> np.ndarray:
    """Rate (1/s) of leaving ``state`` (±1) under ``field`` (T, along the easy axis) and ``current`` (A).

    Sign conventions: positive field favours P (+1) and positive current (electrons flowing from the
    reference into the free layer) favours P, so both destabilise AP and stabilise P.
    """
    s = np.asarray(state, dtype=float)
    h = -s * np.asarray(field, dtype=float) / np.asarray(hk, dtype=float)
    i = -s * np.asarray(current, dtype=float) / np.asarray(ic0, dtype=float)
    return np.exp(-barrier(delta, h, i, n_current)) / np.asarray(tau0, dtype=float)


def switching_probability(rate: ArrayLike, duration: ArrayLike) -> np.ndarray:
    """Probability of at least one escape in ``duration`` (s) at constant ``rate`` (1/s): 1 − exp(−r·t)."""
    return -np.expm1(-np.asarray(rate, dtype=float) * np.asarray(duration, dtype=float))
