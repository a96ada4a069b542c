"""Wafer maps: one heat map per extracted parameter over the dies of a campaign, and the yield map."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.patches import Circle, Rectangle

from mtjhw.plotting import figure

#: colour of a die without a value (failed, dead, or the key missing)
_DEAD = "0.75"


def _numeric_keys(table: list[dict]) -> list[str]:
    skip = {"column", "row", "x", "y", "status", "yield"}
    keys: list[str] = []
    for row in table:
        for key, value in row.items():
            if key not in skip and key not in keys and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                keys.append(key)
    return keys


def _positions(table: list[dict]) -> tuple[list[tuple[float, float]], float]:
    """Die centres (m, or grid units when the rows carry no x/y) and the pitch in the same units."""
    if all("x" in r and "y" in r for r in table):
        points = [(float(r["x"]), float(r["y"])) for r in table]
    else:
        points = [(float(r["column"]), -float(r["row"])) for r in table]
    xs = sorted({p[0] for p in points})
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False) if b - a > 0]
    return points, min(steps) if steps else 1.0


def _value(row: dict, key: str) -> float | None:
    value = row.get(key)
    if row.get("status", "finished") != "finished" or not isinstance(value, (int, float)) \
            or isinstance(value, bool) or not math.isfinite(value):
        return None
    return float(value)


def _plot(table: list[dict], values: list[float | None], title: str, path: Path, diameter: float | None,
          label: str, cmap: str = "viridis") -> Path:
    import matplotlib as mpl

    points, pitch = _positions(table)
    fig, ax = figure(size=(6.0, 5.2))
    finite = [v for v in values if v is not None]
    norm = mpl.colors.Normalize(min(finite, default=0.0), max(finite, default=1.0))
    colours = mpl.colormaps[cmap]
    for (x, y), value in zip(points, values, strict=True):
        face = colours(norm(value)) if value is not None else _DEAD
        ax.add_patch(Rectangle((x - pitch / 2, y - pitch / 2), pitch, pitch, facecolor=face, edgecolor="white",
                               linewidth=0.5, hatch=None if value is not None else "//"))
    if diameter is not None:
        ax.add_patch(Circle((0, 0), diameter / 2, fill=False, edgecolor="black"))
        extent = diameter / 2 * 1.05
    else:
        extent = max(max(abs(x), abs(y)) for x, y in points) + pitch
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.set_xlabel("x (m)" if diameter is not None or "x" in table[0] else "column")
    ax.set_ylabel("y (m)" if diameter is not None or "y" in table[0] else "row")
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=colours), ax=ax, label=label)
    fig.savefig(path, dpi=100)
    return path


def plot_wafer_maps(table: list[dict[str, Any]], out_dir: Path, keys: Sequence[str] | None = None,
                    diameter: float | None = None, units: dict[str, str] | None = None) -> list[Path]:
    """Write ``wafer-<key>.png`` for each of ``keys`` (default: every numeric summary key of ``table``) and
    ``wafer-yield.png`` into ``out_dir``; return their paths.

    Each row of ``table`` is one die: "column", "row", optionally "x", "y" (m, from the wafer centre) and "status",
    plus summary keys; a die that did not finish or lacks the key is grey and hatched. ``diameter`` (m) draws the
    wafer's outline, ``units`` (key → unit) labels the colour bars."""
    if not table:
        raise ValueError("plot_wafer_maps: the table has no dies")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    units = units or {}
    paths = []
    for key in keys if keys is not None else _numeric_keys(table):
        unit = units.get(key, "")
        label = f"{key} ({unit})" if unit else key
        paths.append(_plot(table, [_value(row, key) for row in table], f"wafer map: {key}",
                           out_dir / f"wafer-{key}.png", diameter, label))
    good = [1.0 if row.get("status") == "finished" and row.get("yield", True) else 0.0 for row in table]
    title = f"yield {sum(good):.0f}/{len(good)} ({100 * sum(good) / len(good):.0f} %)"
    paths.append(_plot(table, good, title, out_dir / "wafer-yield.png", diameter, "good (1) / failed (0)",
                       cmap="RdYlGn"))
    return paths
