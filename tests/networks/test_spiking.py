"""p-bit population coding and the unsupervised winner-take-all spiking layer on Iris."""

import numpy as np
import pytest

from mtjhw.networks.datasets import load_iris
from mtjhw.networks.spiking import PbitPopulation, cross_validate


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
