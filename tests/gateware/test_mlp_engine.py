"""The multi-layer training engine against its golden model, bit for bit, over full training steps."""

import numpy as np
import pytest

from mtjhw.gateware.engine_session import EngineSession
from mtjhw.gateware.mlp_engine import MLPEngine, ParameterAddress, engine_cycles, parameter_address
from mtjhw.gateware.mlp_golden import FixedFormat, GoldenMLP, HardSigmoid, LutSigmoid

FMT = FixedFormat(16, 10)
TARGETS = (int(FMT.quantize(0.9)), int(FMT.quantize(0.05)))


def identical_models(sizes, activation, seed, count=2, rounding="floor", lanes=1):
    """``count`` identical golden models with random biases (one to load into the engine, one to step …)."""
    models = [GoldenMLP(sizes, FMT, lr_shift=2, seed=seed, activation=activation, rounding=rounding, lanes=lanes)
              for _ in range(count)]
    rng = np.random.default_rng(seed)
    for layer in range(len(sizes) - 1):
        biases = rng.integers(-300, 300, sizes[layer + 1])
        for model in models:
            model.biases[layer] = biases.copy()
    return models


def one_hot(label, n):
    return np.where(np.arange(n) == label, *TARGETS)


@pytest.mark.parametrize(("sizes", "lanes", "activation", "measured", "rounding"), [
    ((9, 4), 9, HardSigmoid(), False, "floor"),
    ((9, 4), 4, HardSigmoid(), True, "stochastic"),
    ((5, 6, 3), 2, HardSigmoid(), False, "nearest"),
    ((5, 6, 3), 4, LutSigmoid(), False, "stochastic"),
    ((7, 5, 4, 3), 3, LutSigmoid(), False, "floor"),
    ((6, 5, 3), 4, LutSigmoid(), True, "nearest"),
    ((5, 4), 1, HardSigmoid(), False, "stochastic"),
])
def test_engine_equals_golden_model_bit_for_bit(sizes, lanes, activation, measured, rounding):
    golden, initial = identical_models(sizes, activation, seed=len(sizes) * 10 + lanes, rounding=rounding,
                                       lanes=lanes)
    seed = 0x1234_5678 + lanes
    golden.seed_rounding(seed)
    rng = np.random.default_rng(lanes)
    steps = 8
    xs = FMT.quantize(rng.uniform(-1, 1, (steps, sizes[0])))
    zs = FMT.quantize(rng.uniform(-2, 2, (steps, sizes[1])))
    labels = rng.integers(0, sizes[-1], steps)
    trains = rng.random(steps) < 0.75
    with EngineSession(MLPEngine(sizes, FMT, lr_shift=2, lanes=lanes, activation=activation,
                                 rounding=rounding)) as session:
        session.seed_rounding(seed)
        session.load(initial)
        for step in range(steps):
            target = one_hot(labels[step], sizes[-1])
            z = zs[step] if measured else None
            result = session.step(xs[step], labels[step], TARGETS, train=bool(trains[step]), z=z)
            if trains[step]:
                expected = (golden.step_measured(xs[step], z, target) if measured else golden.step(xs[step], target))
            else:
                pre = [FMT.saturate(z + golden.biases[0])] if measured else []
                expected = golden._layers(xs[step], pre)[0][-1]
            assert result.outputs.tolist() == expected.tolist(), f"step {step}"
            assert result.prediction == int(np.argmax(expected))
            assert result.cycles == engine_cycles(sizes, lanes, train=bool(trains[step]), measured=measured)
        weights, biases = session.parameters()
    for layer in range(len(sizes) - 1):
        np.testing.assert_array_equal(weights[layer], golden.weights[layer])
        np.testing.assert_array_equal(biases[layer], golden.biases[layer])


def test_cycle_budget_of_the_letter_network():
    # 9 → 4 with 9 lanes (4 adder-tree levels): forward 4 words + 7 + 4 + 1 (output delta), backward 4 + 6, done 1
    assert engine_cycles((9, 4), 9) == 27
    assert engine_cycles((9, 4), 9, train=False) == 17
    # 64 → 32 → 10 with 16 lanes: 128 and 20 words per pass
    assert engine_cycles((64, 32, 10), 16) == (128 + 11) + (20 + 12) + (128 + 6) + (20 + 6) + 1
    assert engine_cycles((64, 32, 10), 16, measured=True) == 3 + (20 + 12) + (128 + 6) + (20 + 6) + 1


def test_parameter_addresses_follow_the_memory_words():
    assert parameter_address((9, 4), 4, 0, 2, 6) == ParameterAddress(0, 2, False, 1, 2)
    assert parameter_address((9, 4), 4, 0, 3, 9) == ParameterAddress(0, 3, True, 0, 0)  # column n_in: the bias
    with pytest.raises(IndexError, match="no parameter"):
        parameter_address((9, 4), 4, 1, 0, 0)


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError, match="lanes"):
        MLPEngine((4, 2), lanes=5)
    with pytest.raises(ValueError, match="at least an input"):
        MLPEngine((4,))
    with pytest.raises(ValueError, match="unknown rounding"):
        MLPEngine((4, 2), lanes=2, rounding="up")
    with EngineSession(MLPEngine((3, 2), FMT, lanes=3)) as session:
        with pytest.raises(ValueError, match="need 3 inputs"):
            session.step(np.zeros(2), 0, TARGETS)
        with pytest.raises(ValueError, match="sizes"):
            session.load(GoldenMLP((3, 3), FMT))
