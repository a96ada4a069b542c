"""The 3×3-pixel letter task (Z, Y, H, L) of the FPGA-backpropagation MTJ sensor array (Zhao et al. 2023)."""

from __future__ import annotations

import numpy as np

#: 3×3 patterns, row by row (1 = pixel on).
LETTERS: dict[str, tuple[int, ...]] = {
    "Z": (1, 1, 1, 0, 1, 0, 1, 1, 1),
    "Y": (1, 0, 1, 0, 1, 0, 0, 1, 0),
    "H": (1, 0, 1, 1, 1, 1, 1, 0, 1),
    "L": (1, 0, 0, 1, 0, 0, 1, 1, 1),
}


def letter_dataset(per_class: int, flip_probability: float, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` noisy copies of each letter: (pixels (n, 9) in {0, 1}, labels (n,) 0..3 in Z, Y, H, L
    order); each pixel flips with ``flip_probability``."""
    if not 0 <= flip_probability < 0.5:
        raise ValueError(f"flip_probability must be in [0, 0.5), got {flip_probability}")
    patterns = np.array(list(LETTERS.values()), dtype=float)
    labels = np.repeat(np.arange(len(patterns)), per_class)
    pixels = patterns[labels]
    flips = rng.random(pixels.shape) < flip_probability
    return np.where(flips, 1.0 - pixels, pixels), labels
