"""Golden model of the training engine: fixed-point arithmetic and the 3×3 letter task."""

import numpy as np

from mtjhw.gateware.mlp_golden import FixedFormat, GoldenMLP, hard_sigmoid
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
    model = GoldenMLP((2, 8, 1), fmt, lr_shift=1, seed=3)
    for _ in range(3000):
        for k in rng.permutation(4):
            model.step(x[k], t[k])
    outputs = np.array([model.forward(row)[1][-1][0] for row in x]) / fmt.one
    assert np.all((outputs > 0.5) == np.array([False, True, True, False]))
