"""sMTJ binary stochastic neurons and the ``smtj-ann`` reproduction."""

import numpy as np
import pytest

from mtjhw.networks.datasets import load_digits, split
from mtjhw.networks.stochastic_neurons import SmtjNeuronParams, SmtjNeurons, StochasticMLP, sigmoid, synapse_energy
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.reproduce.smtj_ann import _folds, cross_validated


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("smtj-ann")
    return run_reproduction("smtj-ann", out, quick=True, progress=False), out


@pytest.fixture(scope="module")
def digits_model():
    images, labels = load_digits()
    train, test = split(len(images), 0.25, np.random.default_rng(0))
    x = images / 16.0
    model = StochasticMLP((64, 100, 10), seed=1)
    model.train(x[train], labels[train], epochs=15, lr=0.01, stochastic=False)
    return model, x[test], labels[test]


def test_neuron_fires_with_the_neel_brown_occupation():
    params = SmtjNeuronParams(sigma_offset=0.0)
    z = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(SmtjNeurons(11, params).probability(z[None])[0], sigmoid(z), rtol=1e-9)
    # a stray field h shifts the occupation: σ(Δ(−4h/Hk + 2i(1 + (h/Hk)²))), at I = 0 σ(−4Δh/Hk)
    shifted = SmtjNeurons(3, params.varied(0.0, 2e-3), seed=5)
    expected = sigmoid(-4 * params.delta * shifted.h_offset / params.hk)
    np.testing.assert_allclose(shifted.probability(np.zeros((1, 3)))[0], expected, rtol=1e-9)


def test_sampled_telegraph_states_follow_the_occupation():
    neurons = SmtjNeurons(4, SmtjNeuronParams())
    z = np.tile([-2.0, -0.5, 0.5, 2.0], (3000, 1))
    rng = np.random.default_rng(1)
    devices = neurons.devices(len(z), rng)
    fraction = np.mean([neurons.read(devices, z, rng) for _ in range(2)], axis=(0, 1))
    np.testing.assert_allclose(fraction, sigmoid(z[0]), atol=4 * np.sqrt(0.25 / 6000))


def test_read_and_synapse_energies_are_v2_over_r_times_t():
    params = SmtjNeuronParams()
    neurons = SmtjNeurons(2, params)
    z = np.array([[3.0, 3.0]])
    i = 3.0 * params.ic0 / (2 * params.delta)
    r_ap = params.r_p * (1 + params.tmr)
    expected = np.array([[i**2 * params.r_p, i**2 * r_ap]]) * params.t_read  # V²/R·t with V = I·R
    np.testing.assert_allclose(neurons.read_energy(z, np.array([[1.0, 0.0]])), expected, rtol=1e-12)
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    e = synapse_energy(np.array([[1.0, 1.0]]), w, 1e-6, 1e-7, v_read=0.1)
    np.testing.assert_allclose(e, [0.1 * 1e-6 * 1e-7 * 3.5], rtol=1e-12)


def test_strong_stray_fields_and_single_reads_degrade_the_network(digits_model):
    model, x, y = digits_model
    nominal = SmtjNeuronParams()
    clean = model.accuracy(x, y, model.hardware_neurons(nominal), reads=8)
    assert clean > 0.93
    assert model.accuracy(x, y, model.hardware_neurons(nominal.varied(0.0, 20e-3)), reads=8) < clean - 0.05
    assert model.accuracy(x, y, model.hardware_neurons(nominal), reads=1) < clean


def test_quick_reproduction_reports_hardware_beside_software(report):
    r, out = report
    assert "smtj-ann" in REPRODUCTIONS
    for key in ("name", "metric", "value", "paper_value", "paper", "dataset", "settings", "sweeps", "energy",
                "software_value"):
        assert key in r
    assert r["paper_value"] == 0.98
    assert r["value"] > 0.94 and r["software_value"] > 0.95
    assert r["value_single_read"] < r["value"]
    assert set(r["sweeps"]) == {"spread", "offset_mT", "reads"}
    e = r["energy"]
    assert e["energy_per_inference"] == pytest.approx(e["energy_per_read_pass"] * e["reads"])
    assert 1e-12 < e["energy_per_read_pass"] < 1e-9
    assert (out / "report.png").stat().st_size > 10_000


def test_another_partition_tests_other_images_through_the_same_pipeline():
    first, other = _folds(None, True, 0)[1][0], _folds(None, True, 1)[1][0]
    assert len(first[3]) == len(other[3]) and not np.array_equal(first[2], other[2])
    by_reads, software, energies, models = cross_validated([other], 30, 3, 2)
    assert by_reads.shape == (2,) and 0.5 < software <= 1 and 0.4 < by_reads[-1] <= 1 and len(models) == 1

