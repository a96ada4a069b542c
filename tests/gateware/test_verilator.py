"""The Verilator build of the training engine against the Amaranth simulator and the golden model, bit for bit."""

import copy

import numpy as np
import pytest
from test_mlp_engine import identical_models

from mtjhw.gateware import verilator
from mtjhw.gateware.engine_session import EngineSession
from mtjhw.gateware.mlp_engine import MLPEngine
from mtjhw.gateware.mlp_golden import FixedFormat, GoldenMLP, HardSigmoid, LutSigmoid
from mtjhw.gateware.verilator import RESET_CYCLES, VerilatorEngine, VerilatorUnavailable

FMT = FixedFormat(16, 10)
TARGETS = (int(FMT.quantize(0.9)), int(FMT.quantize(0.05)))


def golden_step(golden, x, z, label, train):
    """The golden model's outputs for one step (measured first layer when ``z`` is given), trained if ``train``."""
    target = np.where(np.arange(golden.sizes[-1]) == label, *TARGETS)
    if train:
        return golden.step(x, target) if z is None else golden.step_measured(x, z, target)
    pre = [] if z is None else [FMT.saturate(z + golden.biases[0])]
    return golden._layers(x, pre)[0][-1]


@pytest.mark.parametrize(("sizes", "lanes", "activation", "measured_share", "rounding"), [
    ((9, 4), 9, HardSigmoid(), 0.0, "nearest"),
    ((6, 5, 3), 4, LutSigmoid(), 0.5, "stochastic"),
])
def test_verilator_equals_amaranth_and_golden_model(sizes, lanes, activation, measured_share, rounding,
                                                    tmp_path_factory):
    if verilator.verilator_path() is None:
        pytest.skip("verilator not installed: apt-get install verilator")
    workdir = tmp_path_factory.mktemp("verilator")

    def engine():
        return MLPEngine(sizes, FMT, lr_shift=2, lanes=lanes, activation=activation, rounding=rounding)

    golden, for_amaranth, for_verilator = identical_models(sizes, activation, seed=lanes, count=3,
                                                           rounding=rounding, lanes=lanes)
    seed = 0xDEAD_BEEF
    golden.seed_rounding(seed)
    rng = np.random.default_rng(len(sizes))
    steps = 20
    xs = FMT.quantize(rng.uniform(-1, 1, (steps, sizes[0])))
    zs = FMT.quantize(rng.uniform(-2, 2, (steps, sizes[1])))
    labels = rng.integers(0, sizes[-1], steps)
    train = rng.random(steps) < 0.7
    measured = rng.random(steps) < measured_share

    fast = VerilatorEngine(engine(), workdir)
    assert fast.built
    run = fast.run(for_verilator, xs, labels, TARGETS, train, zs, measured, seed=seed)
    with EngineSession(engine()) as session:
        session.seed_rounding(seed)
        session.load(for_amaranth)
        for step in range(steps):
            z = zs[step] if measured[step] else None
            result = session.step(xs[step], labels[step], TARGETS, train=bool(train[step]), z=z)
            expected = golden_step(golden, xs[step], z, labels[step], bool(train[step]))
            assert result.outputs.tolist() == run.outputs[step].tolist() == expected.tolist(), f"step {step}"
            assert result.prediction == run.predictions[step] == int(np.argmax(expected))
            assert result.cycles == run.cycles[step]
        weights, biases = session.parameters()
        assert run.simulated_cycles == session.cycles + RESET_CYCLES
    for layer in range(len(sizes) - 1):
        for parameters in (weights, run.weights):
            np.testing.assert_array_equal(parameters[layer], golden.weights[layer])
        for parameters in (biases, run.biases):
            np.testing.assert_array_equal(parameters[layer], golden.biases[layer])
    assert run.wall_seconds > 0
    assert not VerilatorEngine(engine(), workdir).built  # the same Verilog reuses the build


def test_missing_verilator_is_explained(monkeypatch):
    monkeypatch.setattr(verilator, "verilator_path", lambda: None)
    with pytest.raises(VerilatorUnavailable, match="apt-get install verilator"):
        VerilatorEngine(MLPEngine((3, 2), FMT, lanes=3))


def test_successive_runs_continue_the_stochastic_generators(tmp_path_factory):
    """Training split over two runs (one per epoch, as zhao-letters does) equals one golden model trained on both
    batches: the second run starts its rounding generators where the first left them."""
    if verilator.verilator_path() is None:
        pytest.skip("verilator not installed: apt-get install verilator")
    engine = MLPEngine((5, 3), FMT, lr_shift=2, lanes=2, rounding="stochastic")
    fast = VerilatorEngine(engine, tmp_path_factory.mktemp("verilator"))
    model, golden = GoldenMLP.for_config(engine, seed=5), GoldenMLP.for_config(engine, seed=5)
    rng = np.random.default_rng(5)
    xs, labels = FMT.quantize(rng.uniform(-1, 1, (16, 5))), rng.integers(0, 3, 16)
    expected = [golden_step(golden, x, None, label, True) for x, label in zip(xs, labels, strict=True)]
    fast.run(model, xs[:8], labels[:8], TARGETS).update(model)
    after_first = copy.deepcopy(model)
    second = fast.run(model, xs[8:], labels[8:], TARGETS)
    second.update(model)
    assert second.outputs.tolist() == np.array(expected[8:]).tolist()
    np.testing.assert_array_equal(model.weights[0], golden.weights[0])
    np.testing.assert_array_equal(model.biases[0], golden.biases[0])
    np.testing.assert_array_equal(model.rounding_states, golden.rounding_states)
    restarted = fast.run(after_first, xs[8:], labels[8:], TARGETS, seed=0)  # a seed restarts the generators
    assert not np.array_equal(restarted.weights[0], second.weights[0])
