"""Hardware-in-the-loop training of the 3×3 letter task: simulated array, virtual bench, write-verify, resume."""

import threading

import numpy as np
import pytest

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.hil.arrays import BenchArray, SimulatedArray, weights_to_states
from mtjhw.hil.loop import HilLoop
from mtjhw.hil.trainer import FloatTrainer
from mtjhw.networks.letters import LETTERS, letter_dataset
from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams

UNIT = 0.05 * (1 / 5000 - 1 / 10940)  # one active input on one differential weight at 50 mV


def letters(per_class=10, seed=0):
    return letter_dataset(per_class, 0.05, np.random.default_rng(seed))


def simulated(params=None, seed=1):
    array = CrossbarArray(9, 8, params or CrossbarParams(read_noise=0.01), rng=np.random.default_rng(seed))
    return SimulatedArray(array, np.random.default_rng(seed + 1))


def test_letter_dataset_is_the_four_letters_with_pixel_noise():
    x, y = letter_dataset(200, 0.1, np.random.default_rng(0))
    patterns = np.array(list(LETTERS.values()))
    flipped = np.abs(x - patterns[y]).mean()
    assert flipped == pytest.approx(0.1, abs=0.01) and np.bincount(y).tolist() == [200] * 4


def test_hil_trains_letters_to_100_percent_on_a_simulated_array():
    x, y = letters()
    result = HilLoop(simulated(), FloatTrainer(9, 4), x, y, UNIT).run(80)
    assert result.status == "converged" and result.accuracy == 1.0
    assert result.epochs_to_target <= 40


def test_hil_trains_letters_through_the_virtual_bench():
    x, y = letters(per_class=3)
    config = BenchConfig.from_dict({"simulated": True, "seed": 1, "safety": {"max_voltage": 0.8, "max_current": 1e-3},
                                    "dut": {"model": "array", "rows": 9, "cols": 8}})
    with Bench.open(config) as bench:
        array = BenchArray(bench, 9, 8, r_threshold=7400.0)
        trainer = FloatTrainer(9, 4)
        result = HilLoop(array, trainer, x, y, UNIT).run(60)
        cells = bench.virtual.dut.physics.state.copy()
    assert result.status == "converged" and result.accuracy == 1.0
    np.testing.assert_array_equal(cells, weights_to_states(trainer.binary_weights()))  # devices hold the weights


def test_write_verify_reports_the_cells_it_cannot_program():
    faulty = CrossbarParams(stuck_at_ap=0.15, read_noise=0.0)
    array = simulated(faulty, seed=5)
    stuck_ap = array.array.stuck == -1
    target = np.ones((9, 8), dtype=int)  # everything P
    report = array.program(target, max_attempts=4)
    assert sorted(report.failed) == sorted(map(tuple, np.argwhere(stuck_ap).tolist()))
    assert np.all(array.states()[~stuck_ap] == 1)
    assert report.pulses >= 4 * stuck_ap.sum()  # retried to the limit before giving up


class StoppingTrainer(FloatTrainer):
    """Raises the stop flag after a given number of training steps (an interrupt in the middle of an epoch)."""

    def __init__(self, stop: threading.Event, after: int) -> None:
        super().__init__(9, 4)
        self.stop_event, self.after, self.steps = stop, after, 0

    def step(self, x, dots, label):
        self.steps += 1
        if self.steps == self.after:
            self.stop_event.set()
        return super().step(x, dots, label)


def test_interrupted_and_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path):
    x, y = letters()
    reference_trainer = FloatTrainer(9, 4)
    reference = HilLoop(simulated(), reference_trainer, x, y, UNIT, checkpoint_dir=tmp_path / "ref").run(
        12, stop_at_target=False)

    stop = threading.Event()
    first = HilLoop(simulated(), StoppingTrainer(stop, after=5 * 40 + 17), x, y, UNIT, checkpoint_dir=tmp_path / "r")
    assert first.run(12, stop=stop, stop_at_target=False).status == "stopped"
    resumed_trainer = FloatTrainer(9, 4, seed=99)  # a fresh process: different initial weights, overwritten
    resumed = HilLoop(simulated(), resumed_trainer, x, y, UNIT, checkpoint_dir=tmp_path / "r").run(
        12, stop_at_target=False)
    assert [r.accuracy for r in resumed.history] == [r.accuracy for r in reference.history]
    np.testing.assert_array_equal(resumed_trainer.shadow, reference_trainer.shadow)


def test_hil_trains_letters_with_the_fpga_engines_golden_model():
    from mtjhw.hil.trainer import GoldenTrainer

    x, y = letters()
    trainer = GoldenTrainer(9, 4, lr_shift=2)
    result = HilLoop(simulated(), trainer, x, y, UNIT).run(80)
    assert result.status == "converged" and result.accuracy == 1.0
    assert trainer.model.weights[0].dtype == np.int64  # fixed-point shadow weights, as on the FPGA
