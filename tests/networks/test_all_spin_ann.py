"""All-spin ANN: compound-MTJ synapses, MTJ neurons, and the all-spin-ann reproduction."""

import numpy as np
import pytest

from mtjhw.networks.compound import (
    AllSpinANN,
    CompoundArray,
    CompoundParams,
    FloatMLP,
    MTJNeurons,
    NeuronParams,
    mtj_activation,
)
from mtjhw.networks.datasets import load_digits, split
from mtjhw.progress import StepBar
from mtjhw.reproduce.all_spin_ann import reproduce_all_spin_ann
from mtjhw.scaleout import SerialExecutor
from mtjhw.simulators.physics.tmr import resistance


@pytest.fixture(scope="module")
def digits_model():
    images, labels = load_digits()
    x = images / 16.0
    train, test = split(len(x), 0.25, np.random.default_rng(0))
    model = FloatMLP((64, 48, 10), seed=1)
    model.train(x[train], labels[train], epochs=20)
    return model, x[test], labels[test]


def test_nominal_neuron_switching_probability_is_the_trained_activation():
    neurons = MTJNeurons(3, NeuronParams(sigma_delta=0.0, sigma_ic0=0.0), np.random.default_rng(0))
    z = np.linspace(-4, 2.6, 15)[:, None] * np.ones(3)  # below Ic0, where the Néel–Brown rate saturates
    np.testing.assert_allclose(neurons.probability(z), mtj_activation(z), rtol=1e-9, atol=1e-12)
    assert mtj_activation(np.zeros(1))[0] == pytest.approx(0.5)


def test_ideal_compound_array_computes_the_quantised_dot_product():
    rng = np.random.default_rng(1)
    weights = rng.uniform(-1, 1, (20, 7))
    x = rng.random((5, 20))
    for n in (1, 4, 16):
        array = CompoundArray(weights, 1.0, CompoundParams(n_devices=n, sigma_log_rp=0.0, sigma_tmr=0.0), rng)
        np.testing.assert_allclose(array.dot(x), x @ (np.rint(weights * n) / n), atol=1e-9)
        assert np.all(np.abs(array.levels) <= n)


def test_read_and_neuron_energy_follow_v2_over_r_and_i2_r_t():
    p = CompoundParams(n_devices=2, sigma_log_rp=0.0, sigma_tmr=0.0)
    array = CompoundArray(np.array([[1.0]]), 1.0, p, np.random.default_rng(0))
    g = 2 / resistance(p.r_p, p.tmr, 1.0, p.v_read, p.v_half) + 2 / resistance(p.r_p, p.tmr, -1.0, p.v_read, p.v_half)
    assert array.read_energy(np.array([[0.5]]))[0] == pytest.approx((0.5 * p.v_read) ** 2 * g * p.t_read)
    n = NeuronParams(sigma_delta=0.0, sigma_ic0=0.0)
    neuron = MTJNeurons(1, n, np.random.default_rng(0))
    current = n.ic0 * n.i50
    expected = current ** 2 * n.t_pulse * (n.r_p * (1 + n.tmr) + 0.5 * n.r_p)
    assert neuron.energy(np.zeros((1, 1)))[0] == pytest.approx(expected)


def test_compound_network_keeps_software_accuracy_and_degrades_with_fewer_devices(digits_model):
    model, x, y = digits_model
    software = np.mean(model.predict(x) == y)
    assert software > 0.93
    nominal = AllSpinANN(model, CompoundParams(), NeuronParams(), seed=2).accuracy(x, y)
    assert nominal > software - 0.03
    single = np.mean([AllSpinANN(model, CompoundParams(n_devices=1), NeuronParams(), seed=s).accuracy(x, y)
                      for s in (2, 3, 4)])
    assert single < nominal - 0.01
    stuck = AllSpinANN(model, CompoundParams(stuck=0.4), NeuronParams(), seed=2).accuracy(x, y)
    assert stuck < nominal - 0.05


def test_quick_reproduction_reports_accuracy_energy_and_sweeps(tmp_path):
    with StepBar("all-spin-ann", quiet=True) as steps:
        report = reproduce_all_spin_ann(tmp_path, quick=True, progress=steps, executor=SerialExecutor())
    assert report["value"] > report["paper_value"]
    assert report["software_value"] > report["paper_value"]
    assert {"n_devices", "sigma_log_rp", "stuck", "sigma_ic0", "samples"} <= set(report["sweeps"])
    assert 1e-12 < report["energy"]["energy_per_inference"] < 1e-6
    assert report["energy"]["energy_per_inference"] == pytest.approx(
        report["energy"]["synapse_read_energy"] + report["energy"]["neuron_energy"])
    assert (tmp_path / "report.png").exists()
