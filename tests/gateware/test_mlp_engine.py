"""The multi-layer training engine against its golden model, bit for bit, over full training steps."""

import numpy as np
import pytest

from mtjhw.gateware.engine_session import EngineSession
from mtjhw.gateware.mlp_engine import MLPEngine, engine_cycles
from mtjhw.gateware.mlp_golden import FixedFormat, GoldenMLP, HardSigmoid, LutSigmoid

FMT = FixedFormat(16, 10)
TARGETS = (int(FMT.quantize(0.9)), int(FMT.quantize(0.05)))


def identical_models(sizes, activation, seed, count=2):
    """``count`` identical golden models with random biases (one to load into the engine, one to step …)."""
    models = [GoldenMLP(sizes, FMT, lr_shift=2, seed=seed, activation=activation) for _ in range(count)]
    rng = np.random.default_rng(seed)
    for layer in range(len(sizes) - 1):
        biases = rng.integers(-300, 300, sizes[layer + 1])
        for model in models:
            model.biases[layer] = biases.copy()
    return models


def one_hot(label, n):
    return np.where(np.arange(n) == label, *TARGETS)


@pytest.mark.parametrize(("sizes", "lanes", "activation", "measured"), [
    ((9, 4), 9, HardSigmoid(), False),
    ((9, 4), 4, HardSigmoid(), True),
    ((5, 6, 3), 2, HardSigmoid(), False),
    ((5, 6, 3), 4, LutSigmoid(), False),
    ((7, 5, 4, 3), 3, LutSigmoid(), False),
    ((6, 5, 3), 4, LutSigmoid(), True),
])
def test_engine_equals_golden_model_bit_for_bit(sizes, lanes, activation, measured):
    golden, initial = identical_models(sizes, activation, seed=len(sizes) * 10 + lanes)
    rng = np.random.default_rng(lanes)
    steps = 8
    xs = FMT.quantize(rng.uniform(-1, 1, (steps, sizes[0])))
    zs = FMT.quantize(rng.uniform(-2, 2, (steps, sizes[1])))
    labels = rng.integers(0, sizes[-1], steps)
    trains = rng.random(steps) < 0.75
    with EngineSession(MLPEngine(sizes, FMT, lr_shift=2, lanes=lanes, activation=activation)) as session:
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
    # 9 → 4 with 9 lanes: forward 4 + 1, backward 4 + 1, done 1 — 110 ns at 100 MHz (paper: 9 µs per image)
    assert engine_cycles((9, 4), 9) == 11
    assert engine_cycles((64, 32, 10), 16) == 2 * (32 * 4 + 1 + 10 * 2 + 1) + 1


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError, match="lanes"):
        MLPEngine((4, 2), lanes=5)
    with pytest.raises(ValueError, match="at least an input"):
        MLPEngine((4,))
    with EngineSession(MLPEngine((3, 2), FMT, lanes=3)) as session:
        with pytest.raises(ValueError, match="need 3 inputs"):
            session.step(np.zeros(2), 0, TARGETS)
        with pytest.raises(ValueError, match="sizes"):
            session.load(GoldenMLP((3, 3), FMT))
