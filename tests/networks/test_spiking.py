"""p-bit population coding and the unsupervised winner-take-all spiking layer on Iris."""

import numpy as np
import pytest

from mtjhw.networks.datasets import load_iris
from mtjhw.networks.spiking import PbitPopulation, cross_validate, ideal_rates, sample_spikes


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris()
    return (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0)), y


def test_pbit_tuning_curves_are_neel_brown_sigmoids():
    population = PbitPopulation(1, per_feature=5)
    values = np.linspace(0, 1, 41)[:, None]
    p = population.firing_probability(values)
    assert np.all(np.diff(p, axis=0) >= 0)  # each p-bit fires more as its input current grows
    at_centre = population.firing_probability(population.offsets[:, None])
    np.testing.assert_allclose(np.diag(at_centre), 0.5, atol=1e-9)  # I = 0: symmetric barrier, p = 1/2
    # n = 1 Néel–Brown: p = 1/(1 + exp(−2Δ I/Ic0)) for a symmetric two-state junction
    i = population.currents(values)[:, 2]
    np.testing.assert_allclose(p[:, 2], 1 / (1 + np.exp(-2 * 3.0 * i / 40e-6)), rtol=1e-6)


def test_unsupervised_network_classifies_iris(iris):
    x, y = iris
    assert cross_validate(x, y, folds=5) > 0.9


def test_it_still_works_with_device_variation_and_fails_without_input(iris):
    x, y = iris
    assert cross_validate(x, y, folds=5, variation=0.2) > 0.85
    assert cross_validate(np.full_like(x, 0.5), y, folds=5) < 0.5  # nothing to learn from: chance level


def test_variation_spreads_the_loop_shift_which_moves_each_pbits_half_point():
    population = PbitPopulation(1, per_feature=6, variation=0.5, seed=3)
    params = population.devices.params
    h = np.asarray(params.h_offset) / params.hk
    assert 0.02 < np.abs(h).max() <= 0.5 * 0.1  # within ±variation·offset_spread·Hk
    # Néel–Brown, n = 1: equal escape rates where (1 + h)²(1 − i) = (1 − h)²(1 + i), i.e. I50 = 2h/(1 + h²)·Ic0
    rate_p, rate_ap = population.devices.rates(current=2 * h / (1 + h**2) * np.asarray(params.ic0))
    np.testing.assert_allclose(rate_ap / (rate_p + rate_ap), 0.5, atol=1e-12)


def test_ideal_encoder_is_the_noise_free_limit_of_the_spike_trains():
    p = PbitPopulation(4, per_feature=3).firing_probability(np.array([[0.1, 0.4, 0.6, 0.9]]))
    rates = ideal_rates(p, 1, np.random.default_rng(0))
    spikes = sample_spikes(p, 20_000, np.random.default_rng(0))
    assert rates.shape == (1, 1, 24) and spikes.shape == (1, 20_000, 24)
    np.testing.assert_allclose(spikes.mean(axis=1), rates[:, 0], atol=0.015)
    np.testing.assert_allclose(spikes[0, :, :12].astype(int) + spikes[0, :, 12:], 1)  # P or AP line, never both


def test_population_coding_report_beats_chance_and_degrades_at_low_barrier(tmp_path):
    from mtjhw.reproduce import run_reproduction

    report = run_reproduction("population-coding", tmp_path, quick=True, progress=False)
    assert report["value"] > 0.9 and report["software_value"] > 0.9
    assert report["value_with_20pc_variation"] > report["paper_value_with_20pc_variation"]
    assert report["sweeps"]["delta"][0]["accuracy"] < report["value"] - 0.02  # Δ = 1: p-bits too noisy
    assert (tmp_path / "report.png").exists() and report["settings"]["per_feature"] == 24
    assert 1e-10 < report["energy"]["energy_per_inference"] < 1e-7  # 96 p-bits × 80 steps of ~50 ns at ≤ 60 µA


def test_encoding_energy_is_the_bias_joule_heat_per_sampling_interval():
    population = PbitPopulation(1, per_feature=1)  # one p-bit, offset 0: x = 0.5 biases it at 30 µA
    p = population.firing_probability(np.array([[0.5]]))[0, 0]
    step = population.step_time()
    assert step == pytest.approx(5 / (2 * np.exp(-3.0) / 1e-9))  # Δ = 3, τ0 = 1 ns, both rates e^−Δ/τ0 at I = 0
    energy = population.energy(np.array([[0.5]]), steps=80)
    expected = (30e-6) ** 2 * 5000.0 * (1 + 1.2 * (1 - p)) * step * 80
    assert energy["energy_per_inference"] == pytest.approx(expected, rel=1e-9)
    assert population.energy(np.array([[0.0]]), steps=80)["energy_per_inference"] == 0.0  # no bias, no heat


def test_a_seed_point_reruns_device_and_ideal_networks_on_other_partitions():
    from mtjhw.reproduce.population_coding import SETTINGS, seed_point

    features, labels = load_iris()
    x = (features - features.min(axis=0)) / (features.max(axis=0) - features.min(axis=0))
    settings = {**SETTINGS, "epochs": 2}
    point = seed_point(x, labels, 1, settings, 1)
    assert 0.6 < point["accuracy"] <= 1 and 0.6 < point["software_accuracy"] <= 1
    assert point["accuracy"] == cross_validate(x, labels, repeats=1, seed=1, **settings)

