"""Binary perceptron on the XNOR/resistance-summation MTJ crossbar, and the IDX data reader."""

import gzip
import struct

import numpy as np
import pytest

from mtjhw.networks.binary import BinaryMLP, XnorCrossbar
from mtjhw.networks.datasets import load_digits, load_idx, load_mnist, split
from mtjhw.reproduce.jung_crossbar import thermometer
from mtjhw.simulators.physics.crossbar import CrossbarParams


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits()
    x = thermometer(images, 2, 16.0)
    train, test = split(len(x), 0.25, np.random.default_rng(0))
    return x[train], labels[train], x[test], labels[test]


@pytest.fixture(scope="module")
def trained(digits):
    x_train, y_train, _, _ = digits
    model = BinaryMLP((128, 128, 10), seed=1)
    history = model.train(x_train, y_train, epochs=15, input_flips=0.05)
    return model, history


@pytest.fixture(scope="module")
def digits_model(digits, trained):
    return trained[0], digits[2], digits[3]


def test_thermometer_code_sets_one_line_per_level_passed():
    x = thermometer(np.array([[0.0, 6.0, 11.0, 16.0]]), 2, 16.0)  # thresholds 16/3 and 32/3
    np.testing.assert_array_equal(x, [[-1, 1, 1, 1, -1, -1, 1, 1]])


def test_binary_perceptron_learns_digits(digits_model):
    model, x, y = digits_model
    assert all(np.array_equal(np.abs(w), np.ones_like(w)) for w in model.weights)
    assert np.mean(model.predict(x) == y) > 0.93


def test_folded_batch_norm_thresholds_give_the_trained_network(digits, trained):
    model, history = trained
    x_train, y_train, _, _ = digits
    assert np.mean(model.predict(x_train) == y_train) == pytest.approx(history[-1])  # fold changes nothing
    assert np.ptp(model.bias[0]) > 0.1  # one learned threshold per hidden neuron


def test_the_float_twin_is_a_software_ceiling_of_the_same_size(digits):
    x_train, y_train, x_test, y_test = digits
    model = BinaryMLP((128, 128, 10), seed=1, binary=False)
    model.train(x_train, y_train, epochs=15, input_flips=0.05)
    assert len(np.unique(model.weights[0])) > 1000  # float weights
    assert np.mean(model.predict(x_test) == y_test) > 0.93


def test_ideal_crossbar_reads_exact_dot_products(digits_model):
    model, x, _ = digits_model
    ideal = CrossbarParams(sigma_log_rp=0.0, sigma_tmr=0.0, sigma_delta=0.0)
    crossbar = XnorCrossbar(model, ideal, tdc_bits=None, seed=0)
    for layer, inputs in ((0, x[:50]), (1, np.where(model.preactivations(x[:50])[0] >= 0, 1.0, -1.0))):
        np.testing.assert_allclose(crossbar.dot(layer, inputs), inputs @ model.weights[layer], atol=1e-6)


def test_tdc_resolution_bounds_the_dot_product_error(digits_model):
    model, x, _ = digits_model
    ideal = CrossbarParams(sigma_log_rp=0.0, sigma_tmr=0.0, sigma_delta=0.0)
    exact = x[:50] @ model.weights[0]
    for bits, bound in ((4, 2 * 8 * 16 / 15 / 2), (2, 2 * 8 * 16 / 3 / 2)):
        error = np.abs(XnorCrossbar(model, ideal, tdc_bits=bits).dot(0, x[:50]) - exact)
        assert error.max() <= bound + 1e-9  # half an LSB per segment, 8 segments, ×2 (matches → dot)
    assert np.abs(XnorCrossbar(model, ideal, tdc_bits=2).dot(0, x[:50]) - exact).mean() > 0.5


def test_device_variability_and_faults_cost_accuracy(digits_model):
    model, x, y = digits_model
    clean = XnorCrossbar(model, CrossbarParams(sigma_log_rp=0.0), seed=3).accuracy(x, y)
    rough = XnorCrossbar(model, CrossbarParams(sigma_log_rp=0.5, stuck_at_p=0.1, stuck_at_ap=0.1), seed=3)
    assert rough.accuracy(x, y) < clean - 0.1


def write_idx(path, array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)


def test_idx_reader_and_mnist_layout(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    got_images, got_labels = load_mnist(tmp_path, "t10k")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    floats = np.linspace(0, 1, 6).reshape(2, 3)
    write_idx(tmp_path / "f.idx", floats.astype(np.float64), code=0x0E)
    np.testing.assert_array_equal(load_idx(tmp_path / "f.idx"), floats)
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        load_idx(tmp_path / "bad.idx")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path, "train")
