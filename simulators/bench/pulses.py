"""Pulse trains at the DUT: a pulse generator's burst as a timeline of piecewise-constant steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PulseTrain:
    """A rectangular pulse of ``amplitude`` V (at the DUT) and ``width`` s, starting ``delay`` s into each
    period of a burst."""

    amplitude: float
    width: float
    delay: float = 0.0


@dataclass(frozen=True)
class TriggerListener:
    """An instrument waiting on the trigger line (a source-meter's LogicTrigger model): ``delay`` s after each
    period starts it takes ``duration`` s (an integration) with ``fire()``. ``record(fraction_p)``, when given,
    takes the readings of a whole burst at once from the DUT's time fraction in its low-resistance state during
    each window — the fast path for two-state devices."""

    delay: float
    duration: float
    fire: Callable[[], None]
    record: Callable[[np.ndarray], None] | None = None


@dataclass(frozen=True)
class Step:
    """``duration`` s at pulse voltage ``voltage`` (V), or a listener's window when ``listener`` is set."""

    duration: float
    voltage: float
    listener: TriggerListener | None = None


def period_segments(trains: list[PulseTrain], period: float) -> list[tuple[float, float, float]]:
    """(start, end, summed pulse voltage) segments covering one period, in time order."""
    edges = {0.0, period}
    for t in trains:
        if t.width <= 0 or t.delay < 0 or t.delay + t.width > period * (1 + 1e-12):
            raise ValueError(f"pulse (delay {t.delay:g} s, width {t.width:g} s) does not fit a {period:g} s period")
        edges |= {t.delay, min(t.delay + t.width, period)}
    points = sorted(edges)
    out = []
    for a, b in zip(points[:-1], points[1:], strict=True):
        if b > a:
            mid = 0.5 * (a + b)
            out.append((a, b, sum(t.amplitude for t in trains if t.delay <= mid < t.delay + t.width)))
    return out


def period_timeline(trains: list[PulseTrain], period: float, listeners: list[TriggerListener]) -> list[Step]:
    """One period as steps: pulses and idle stretches, with each listener's window inserted at its delay (the
    window takes its own time; what it overlaps of later segments is consumed, and a listener due after the
    period ends fires at its end)."""
    pending = sorted(listeners, key=lambda listener: listener.delay)
    steps: list[Step] = []
    t = 0.0
    for _start, end, voltage in period_segments(trains, period):
        while pending and pending[0].delay < end:
            listener = pending.pop(0)
            if listener.delay > t:
                steps.append(Step(listener.delay - t, voltage))
                t = listener.delay
            steps.append(Step(listener.duration, 0.0, listener))
            t += listener.duration
        if end > t:
            steps.append(Step(end - t, voltage))
            t = end
    steps.extend(Step(listener.duration, 0.0, listener) for listener in pending)
    return steps
