"""Each HIL array backend declares the optional protocols the loop relies on, and only those."""

from __future__ import annotations

import numpy as np
import pytest

from mtjhw.hil.arrays import (
    BenchArray,
    MeasuresDots,
    MultiLevelArray,
    ProgramsWeights,
    Restorable,
    SimulatedArray,
    TdcReadArray,
)

#: backend → (measures dot products itself, writes analog weights, checkpointed with the loop)
EXPECTED = {SimulatedArray: (False, False, True), TdcReadArray: (True, False, True),
            MultiLevelArray: (True, True, True), BenchArray: (False, False, False)}


@pytest.mark.parametrize("backend", list(EXPECTED), ids=lambda cls: cls.__name__)
def test_backend_protocols(backend):
    declared = tuple(issubclass(backend, protocol) for protocol in (MeasuresDots, ProgramsWeights, Restorable))
    assert declared == EXPECTED[backend]


def test_a_plain_array_without_unit_current_is_refused_by_the_loop():
    from mtjhw.hil.loop import HilLoop
    from mtjhw.simulators.physics.crossbar import CrossbarArray

    array = SimulatedArray(CrossbarArray(4, 4, rng=np.random.default_rng(0)), np.random.default_rng(1))
    with pytest.raises(ValueError, match="unit_current"):
        HilLoop(array, trainer=None, x=np.zeros((1, 4)), y=np.zeros(1))
