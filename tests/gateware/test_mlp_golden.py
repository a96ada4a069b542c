"""Golden model of the training engine: fixed-point arithmetic and the 3×3 letter task."""

import numpy as np
import pytest

from mtjhw.gateware.mlp_golden import FixedFormat, GoldenMLP, hard_sigmoid, round_shift
from mtjhw.networks.letters import letter_dataset


def test_fixed_point_saturates_and_floors():
    fmt = FixedFormat(8, 4)
    np.testing.assert_array_equal(fmt.quantize([0.5, -0.5, 100.0, -100.0, 0.03]), [8, -8, 127, -128, 0])
    np.testing.assert_array_equal(hard_sigmoid(np.array([-64, 0, 64]), fmt), [0, 8, 16])


def test_golden_model_trains_the_letters_to_100_percent():
    rng = np.random.default_rng(0)
    x, y = letter_dataset(20, 0.05, rng)
    fmt = FixedFormat(16, 10)
    xq = fmt.quantize(x)
    targets = fmt.quantize(np.eye(4)[y] * 0.9 + 0.05)
    model = GoldenMLP((9, 4), fmt, lr_shift=2, seed=1)
    epochs, accuracy = 0, 0.0
    while accuracy < 1.0 and epochs < 200:
        for k in rng.permutation(len(x)):
            model.step(xq[k], targets[k])
        epochs += 1
        accuracy = np.mean([model.predict(row) == label for row, label in zip(xq, y, strict=True)])
    assert accuracy == 1.0 and epochs <= 100
    # the trained integers are exactly reproducible (a golden model for the gateware)
    again = GoldenMLP((9, 4), fmt, lr_shift=2, seed=1)
    rng = np.random.default_rng(0)
    letter_dataset(20, 0.05, rng)
    for _ in range(epochs):
        for k in rng.permutation(len(x)):
            again.step(xq[k], targets[k])
    np.testing.assert_array_equal(again.weights[0], model.weights[0])


def test_a_hidden_layer_learns_with_backpropagation():
    rng = np.random.default_rng(4)
    fmt = FixedFormat(16, 10)
    x = fmt.quantize(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float))
    t = fmt.quantize(np.array([[0.1], [0.9], [0.9], [0.1]]))  # XOR: not linearly separable
    # floor: nearest and stochastic rounding settle at the XOR saddle here (every output ≈ 0.5, seeds 0..7)
    model = GoldenMLP((2, 8, 1), fmt, lr_shift=1, seed=3, rounding="floor")
    for _ in range(3000):
        for k in rng.permutation(4):
            model.step(x[k], t[k])
    outputs = np.array([model.forward(row)[1][-1][0] for row in x]) / fmt.one
    assert np.all((outputs > 0.5) == np.array([False, True, True, False]))


@pytest.mark.parametrize(("rounding", "bias"), [("floor", -0.5), ("nearest", 0.0), ("stochastic", 0.0)])
def test_update_rounding_bias(rounding, bias):
    # many small updates of either sign (|x| < 4 LSB after the shift): floor rounds every one down, so weights
    # (W −= step) drift up by 0.5 LSB per update; nearest and stochastic rounding are unbiased
    shift, n = 14, 40_000
    x = np.random.default_rng(5).integers(-4 << shift, 4 << shift, n)
    model = GoldenMLP((n, 1), rounding=rounding, lanes=n)
    model.seed_rounding(77)
    draws, _ = model._draw(1, n)  # the engine's generator words, in its order
    error = round_shift(x, shift, rounding, draws[0]) - x / (1 << shift)
    assert abs(error.mean() - bias) < 0.01
    assert np.abs(error).max() <= (0.5 if rounding == "nearest" else 1.0)


def test_stochastic_rounding_is_reproducible_from_the_seed():
    def trained(seed):
        model = GoldenMLP((3, 2), rounding="stochastic", lanes=2, seed=1)
        model.seed_rounding(seed)
        for _ in range(5):
            model.step(np.array([300, -200, 100]), np.array([900, 50]))
        return model.weights[0]

    np.testing.assert_array_equal(trained(9), trained(9))
    assert not np.array_equal(trained(9), trained(10))
    with pytest.raises(ValueError, match="rounding"):
        GoldenMLP((3, 2), rounding="up")
