"""Figures for procedures' PNG plots, made without pyplot (no display, no global state)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure


def figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (6.4, 4.4)) -> tuple[Figure, Any]:
    """A figure and its axes, not registered with pyplot (nothing leaks across many runs)."""
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots(nrows, ncols)
