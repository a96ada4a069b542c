"""Conversions at instrument interfaces (SI inside the framework; dBm only where an instrument speaks it)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def dbm_to_watts(dbm: ArrayLike) -> np.ndarray:
    """Power in W of a level in dBm (0 dBm = 1 mW)."""
    return 1e-3 * 10.0 ** (np.asarray(dbm, dtype=float) / 10.0)


def watts_to_dbm(watts: ArrayLike) -> np.ndarray:
    """Level in dBm of a power in W (> 0); −inf for 0 W."""
    w = np.asarray(watts, dtype=float)
    if np.any(w < 0):
        raise ValueError("power must be >= 0 W")
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(w / 1e-3)


def db_to_ratio(db: float) -> float:
    """Power ratio of a gain or loss in dB."""
    return 10.0 ** (db / 10.0)


def ratio_to_db(ratio: float) -> float:
    return 10.0 * math.log10(ratio)
