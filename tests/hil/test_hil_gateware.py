"""Hardware-in-the-loop training through the simulated FPGA: the engine as the trainer, the TDC as the reader."""

import math

import numpy as np
import pytest

from mtjhw.gateware.accelerator_host import simulated_accelerator
from mtjhw.gateware.afe import AnalogFrontEnd, xnor_pair_columns
from mtjhw.gateware.delay_line import DelayLineModel
from mtjhw.gateware.top import TopConfig
from mtjhw.hil.arrays import SimulatedArray, TdcReadArray
from mtjhw.hil.loop import HilLoop
from mtjhw.hil.trainer import GatewareTrainer, GoldenTrainer
from mtjhw.networks.letters import letter_dataset
from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams

UNIT = 0.05 * (1 / 5000 - 1 / 10940)
ENGINE = TopConfig(sizes=(9, 4), lanes=9, lr_shift=2, rows=9, cols=4, taps=16)


def letters(per_class, seed=0):
    return letter_dataset(per_class, 0.05, np.random.default_rng(seed))


def simulated(seed=1):
    array = CrossbarArray(9, 8, CrossbarParams(read_noise=0.01), rng=np.random.default_rng(seed))
    return SimulatedArray(array, np.random.default_rng(seed + 1))


def test_the_engine_as_trainer_trains_exactly_like_its_golden_model():
    x, y = letters(per_class=5)
    golden = HilLoop(simulated(), GoldenTrainer(9, 4, lr_shift=2), x, y, UNIT).run(4, stop_at_target=False)
    with simulated_accelerator(ENGINE) as accelerator:
        trainer = GatewareTrainer(accelerator.engine, 9, 4, lr_shift=2)
        engine = HilLoop(simulated(), trainer, x, y, UNIT).run(4, stop_at_target=False)
        weights = trainer.state()["weights"]
    assert [r.accuracy for r in engine.history] == [r.accuracy for r in golden.history]
    assert [r.loss for r in engine.history] == pytest.approx([r.loss for r in golden.history], abs=1e-12)
    reference = GoldenTrainer(9, 4, lr_shift=2)
    HilLoop(simulated(), reference, x, y, UNIT).run(4, stop_at_target=False)
    np.testing.assert_array_equal(weights, reference.model.weights[0])


def test_hil_trains_letters_to_100_percent_through_the_simulated_gateware():
    # forward pass: the crossbar read by the FPGA's RC/TDC path; backward pass and update: the FPGA's engine
    x, y = letters(per_class=4)
    params = CrossbarParams(read_noise=0.0)
    rng = np.random.default_rng(3)
    array = CrossbarArray(9, 8, params, rng=rng)
    line = DelayLineModel.uniform(16, 10e-9, length=1.0, nonuniformity=0.3, rng=np.random.default_rng(4))
    capacitance, read_voltage = 1e-12, 0.05
    front_end = AnalogFrontEnd(xnor_pair_columns(array, read_voltage), line, capacitance=capacitance,
                               v_noise=0.002, rng=rng)
    r_ap = params.r_p * (1 + params.tmr / (1 + (read_voltage / params.v_half) ** 2))
    unit_time = (r_ap - params.r_p) * capacitance * math.log(2)
    with simulated_accelerator(ENGINE, front_end) as accelerator:
        reader = TdcReadArray(array, rng, accelerator.tdc, unit_time)
        trainer = GatewareTrainer(accelerator.engine, 9, 4, lr_shift=2)
        result = HilLoop(reader, trainer, x, y).run(30)
        assert result.status == "converged" and result.accuracy == 1.0
        # the devices hold the trained signs, and the TDC reads the dot products they store
        w = trainer.binary_weights()
        np.testing.assert_allclose(reader.dots(x[0]), x[0] @ w, atol=0.6)


def test_a_tdc_array_must_fit_the_readout():
    with simulated_accelerator(TopConfig(sizes=(4, 2), lanes=2, rows=4, cols=2)) as accelerator:
        with pytest.raises(ValueError, match="needs a readout"):
            TdcReadArray(CrossbarArray(9, 8), np.random.default_rng(0), accelerator.tdc, 1e-9)
        with pytest.raises(ValueError, match="the engine holds"):
            GatewareTrainer(accelerator.engine, 9, 4)
    with pytest.raises(ValueError, match="unit_current"):
        HilLoop(simulated(), GoldenTrainer(9, 4), *letters(1))


def test_a_gateware_run_resumed_from_its_checkpoint_ends_where_an_uninterrupted_one_does(tmp_path):
    x, y = letters(per_class=3)
    with simulated_accelerator(ENGINE) as accelerator:
        reference = GatewareTrainer(accelerator.engine, 9, 4, lr_shift=2)
        expected = HilLoop(simulated(), reference, x, y, UNIT).run(4, stop_at_target=False)
        expected_weights = reference.state()["weights"]
    with simulated_accelerator(ENGINE) as accelerator:
        first = HilLoop(simulated(), GatewareTrainer(accelerator.engine, 9, 4, lr_shift=2), x, y, UNIT,
                        checkpoint_dir=tmp_path)
        assert len(first.run(2, stop_at_target=False).history) == 2
    with simulated_accelerator(ENGINE) as accelerator:  # a new session: the engine starts from other weights
        trainer = GatewareTrainer(accelerator.engine, 9, 4, lr_shift=2, seed=99)
        resumed = HilLoop(simulated(), trainer, x, y, UNIT, checkpoint_dir=tmp_path).run(4, stop_at_target=False)
        np.testing.assert_array_equal(trainer.state()["weights"], expected_weights)
    assert [r.accuracy for r in resumed.history] == [r.accuracy for r in expected.history]
