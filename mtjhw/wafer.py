"""Stepping a probe station from die to die.

A real lab never moves the needles with a bias on them or the magnet energised: a touchdown or lift-off under bias
arcs through the barrier, and a field ramp while the needles land shifts the chuck. :func:`step_to_die` therefore
switches every output off first (:meth:`~mtjhw.bench.Bench.outputs_off`: sources to zero, the magnet ramped to zero
field, the prober separated, its safe state), then moves and lands on the die; the next procedure sets its own
field and bias.
"""

from __future__ import annotations

from typing import Any


def step_to_die(bench: Any, column: int, row: int) -> None:
    """Every output off, the needles off the wafer, the chuck to die (``column``, ``row``), contact.

    The prober refuses a die not on its wafer map before anything moves."""
    prober = bench.prober
    if (column, row) not in set(prober.dies()):
        raise ValueError(f"die (column {column}, row {row}) is not on the prober's wafer map")
    bench.outputs_off()
    prober.separate()
    prober.move_to_die(column, row)
    prober.contact()
