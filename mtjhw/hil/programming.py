"""Write-verify programming of multi-level and stochastic synapses: incremental-step pulse programming.

Each round reads every synapse still being programmed; those within ``tolerance`` of their target are done, the
others get one pulse toward it (positive amplitude potentiates). A synapse's amplitude starts at
``start_amplitude`` and grows by ``step`` after every pulse that moved it the wrong way or not at all, up to
``max_amplitude``; it drops back to the start after an overshoot (the sign of the error flipped), so a synapse
creeps up on its target. A synapse that is still off after ``max_attempts`` pulses, or when the ``pulse_budget``
runs out, is reported as failed. The same loop programs deterministic multi-level devices (domain-wall
synapses: depinning threshold, noisy wall motion) and stochastic ones (compound synapses of binary MTJs that
switch with a Néel–Brown probability per pulse): only the read-back decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LevelWriteReport:
    """Pulses used, synapses that did not reach their target (flat indices), and the final read-back."""

    pulses: int = 0
    failed: list[int] = field(default_factory=list)
    values: np.ndarray = field(default_factory=lambda: np.empty(0))


@dataclass
class PulseSchedule:
    """Amplitudes (A) of the incremental-step schedule and the pulse width (s)."""

    start_amplitude: float
    step: float
    max_amplitude: float
    width: float

    def __post_init__(self) -> None:
        if not 0 < self.start_amplitude <= self.max_amplitude or self.step < 0 or not self.width > 0:
            raise ValueError("need 0 < start_amplitude <= max_amplitude, step >= 0 and width > 0")


def write_verify(read: Callable[[], np.ndarray], pulse: Callable[[np.ndarray, float], None], targets: np.ndarray,
                 tolerance: float, schedule: PulseSchedule, max_attempts: int = 50,
                 pulse_budget: int | None = None) -> LevelWriteReport:
    """Program a batch toward ``targets`` (same units as ``read()``, e.g. S). ``read()`` returns every synapse's
    value; ``pulse(amplitudes, width)`` applies one pulse per synapse (amplitude 0: none)."""
    targets = np.asarray(targets, dtype=float).ravel()
    if tolerance <= 0 or max_attempts < 1:
        raise ValueError("need tolerance > 0 and max_attempts >= 1")
    n = targets.size
    amplitude = np.full(n, schedule.start_amplitude)
    attempts = np.zeros(n, dtype=int)
    previous_error = np.zeros(n)
    report = LevelWriteReport()
    values = np.asarray(read(), dtype=float).ravel()
    while True:
        error = targets - values
        pending = (np.abs(error) > tolerance) & (attempts < max_attempts)
        if pulse_budget is not None:
            room = pulse_budget - report.pulses
            if room <= 0:
                pending[:] = False
            elif pending.sum() > room:
                pending[np.flatnonzero(pending)[room:]] = False
        if not pending.any():
            break
        overshot = pending & (np.sign(error) != np.sign(previous_error)) & (previous_error != 0)
        stalled = pending & ~overshot & (np.abs(error) >= np.abs(previous_error)) & (attempts > 0)
        amplitude[overshot] = schedule.start_amplitude
        amplitude[stalled] = np.minimum(amplitude[stalled] + schedule.step, schedule.max_amplitude)
        pulse(np.where(pending, np.sign(error) * amplitude, 0.0), schedule.width)
        attempts += pending
        report.pulses += int(pending.sum())
        previous_error = np.where(pending, error, previous_error)
        values = np.asarray(read(), dtype=float).ravel()
    report.values = values
    report.failed = [int(i) for i in np.flatnonzero(np.abs(targets - values) > tolerance)]
    return report
