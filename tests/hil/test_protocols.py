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


def test_the_host_takes_the_cells_nominal_values_from_the_bench_file_not_from_the_simulator(tmp_path):
    """What ``--array bench`` uses for thresholds and currents is what a real probe card's bench file can say too."""
    from mtjhw.bench import Bench
    from mtjhw.config import BenchConfig
    from mtjhw.hil.setups import nominal_cells

    config = BenchConfig.from_dict({"simulated": True, "seed": 1, "safety": {"max_voltage": 0.8},
                                    "dut": {"model": "array", "rows": 9, "cols": 8, "r_p": 7e3, "tmr": 1.2}})
    with Bench.open(config) as bench:
        simulated = bench.virtual.dut.physics.params
    nominal = nominal_cells(config.dut)
    assert (nominal.r_p, nominal.tmr) == (7e3, 1.2) == (simulated.r_p, simulated.tmr)
    assert nominal.v_half == simulated.v_half  # a value the file leaves out: the same default on both sides
