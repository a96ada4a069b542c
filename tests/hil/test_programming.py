"""Write-verify programming of multi-level (domain-wall) and stochastic (compound) synapses, budgets, stuck cells,
and HIL training on a multi-level array."""

import numpy as np
import pytest

from mtjhw.hil.arrays import MultiLevelArray, SimulatedArray
from mtjhw.hil.loop import HilLoop
from mtjhw.hil.programming import PulseSchedule, write_verify
from mtjhw.hil.trainer import FloatTrainer
from mtjhw.networks.letters import letter_dataset
from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams
from mtjhw.simulators.physics.synapse import CompoundParams, CompoundSynapse, DomainWallParams, DomainWallSynapse

DW_SCHEDULE = PulseSchedule(start_amplitude=110e-6, step=10e-6, max_amplitude=300e-6, width=10e-9)
STOCHASTIC_SCHEDULE = PulseSchedule(start_amplitude=50e-6, step=2e-6, max_amplitude=70e-6, width=10e-9)


def domain_wall_array(seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    return MultiLevelArray(9, 4, DomainWallSynapse(DomainWallParams(), n=72, rng=rng), rng, DW_SCHEDULE, **kwargs)


def compound_array(seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    return MultiLevelArray(9, 4, CompoundSynapse(CompoundParams(), n=72, rng=rng), rng, STOCHASTIC_SCHEDULE,
                           tolerance=0.07, **kwargs)


@pytest.mark.parametrize("make", [domain_wall_array, compound_array])
def test_write_verify_reaches_the_targets_or_reports_the_cells_it_missed(make):
    array = make()
    w = np.random.default_rng(5).uniform(-1, 1, (9, 4))
    report = array.program_weights(w, max_attempts=60)
    g = array.conductances()
    off = np.abs(g - array.targets(w)) > array.tolerance * (array.g_max - array.g_min)
    assert sorted(report.failed) == sorted(map(tuple, np.argwhere(off).tolist()))
    assert len(report.failed) <= 2  # nearly every cell made it
    assert np.median(np.abs(array.weights() - w)) < 0.06
    assert report.pulses > 72  # it took several pulses per cell: incremental steps, verified


def test_the_pulse_budget_and_stuck_cells_are_honoured():
    w = np.random.default_rng(5).uniform(-1, 1, (9, 4))
    array = compound_array()
    report = array.program_weights(w, max_attempts=60, pulse_budget=100)
    assert report.pulses == 100 and len(report.failed) > 10  # stopped at the budget, the rest reported
    stuck = [3, 16, 40]  # cells (0, 3), (2, 0) and (5, 0), all at the AP end (lowest conductance)
    array = domain_wall_array(stuck=stuck)
    before = array.conductances().ravel()[stuck]
    report = array.program_weights(np.ones((9, 4)), max_attempts=10)  # w = +1: even columns high, odd ones low
    np.testing.assert_array_equal(array.conductances().ravel()[stuck], before)  # pulses do not move them
    assert {(2, 0), (5, 0)} <= set(report.failed) and (0, 3) not in report.failed
    binary = SimulatedArray(CrossbarArray(9, 8, CrossbarParams(), rng=np.random.default_rng(1)),
                            np.random.default_rng(2))
    report = binary.program(np.ones((9, 8), dtype=int), max_attempts=5, pulse_budget=20)
    assert report.pulses <= 20 and len(report.failed) >= 72 - 20


def test_write_verify_rejects_bad_settings():
    with pytest.raises(ValueError, match="tolerance"):
        write_verify(lambda: np.zeros(2), lambda a, w: None, np.ones(2), 0.0, DW_SCHEDULE)
    with pytest.raises(ValueError, match="start_amplitude"):
        PulseSchedule(1e-3, 1e-6, 1e-4, 1e-9)
    with pytest.raises(ValueError, match="synapses"):
        MultiLevelArray(9, 4, DomainWallSynapse(DomainWallParams(), n=10, rng=np.random.default_rng(0)),
                        np.random.default_rng(0), DW_SCHEDULE)


@pytest.mark.parametrize("make", [domain_wall_array, compound_array])
def test_hil_trains_letters_on_multi_level_synapses(make):
    x, y = letter_dataset(5, 0.05, np.random.default_rng(0))
    array = make(seed=1, read_noise=0.01, adc_bits=8)
    trainer = FloatTrainer(9, 4, learning_rate=0.1)
    result = HilLoop(array, trainer, x, y, max_attempts=30).run(40)
    assert result.status == "converged" and result.accuracy == 1.0
    # the devices hold the trainer's analog weights (each cell of a pair within tolerance of its target)
    held = np.abs(array.weights() - trainer.weights()) <= 2 * array.tolerance + 1e-9
    assert held.mean() > 0.9
