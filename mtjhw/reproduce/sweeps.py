"""The device-variation sweeps of a reproduction as independent points on an executor (:mod:`mtjhw.scaleout`).

Each point's task builds its own devices from fixed seeds, so the report is the same whether the points run one
after the other in this process or at once on a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor


@dataclass(frozen=True)
class SweepPoint:
    """One point: ``task()`` (picklable) gives its numbers, reported as ``{"x": x, **numbers}`` in
    ``sweeps[sweep]``; ``label`` is its progress line."""

    sweep: str
    x: Any
    label: str
    task: Callable[[], dict[str, Any]]


def _timed(point: SweepPoint) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    return point.task(), time.perf_counter() - start


def run_sweeps(name: str, points: Sequence[SweepPoint], progress: StepBar,
               executor: Executor) -> dict[str, list[dict[str, Any]]]:
    """Every point on ``executor``; the sweeps in the points' order. ``progress`` gets one step for the sweeps
    and one line (with the point's own run time) and count per finished point: expect ``1 + len(points)``."""
    progress(f"{name}: {len(points)} sweep points on {executor.workers} worker(s)")
    results: list[dict[str, Any]] = [{} for _ in points]
    for k, (numbers, seconds) in executor.map_unordered(_timed, points):
        results[k] = numbers
        progress.write(f"{points[k].label} ({seconds:.1f} s)")
        progress.bar.update(1)
    sweeps: dict[str, list[dict[str, Any]]] = {}
    for point, numbers in zip(points, results, strict=True):
        sweeps.setdefault(point.sweep, []).append({"x": point.x, **numbers})
    return sweeps
