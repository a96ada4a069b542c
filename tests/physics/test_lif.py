"""Domain-wall LIF neuron: the simulated spike train against the analytic interspike interval, the leak, and
parameter recovery from a simulated f–I curve."""

from __future__ import annotations

import numpy as np
import pytest

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.lif import fit_lif_rate
from mtjhw.simulators.physics.lif import DomainWallLifNeuron, LifParams

DT = 1e-10  # s per input sample


@pytest.mark.parametrize("current", [100e-6, 150e-6, 300e-6])
def test_constant_input_fires_at_the_analytic_interval(current):
    params = LifParams()
    spikes = DomainWallLifNeuron(params, np.random.default_rng(0)).run(np.full(20_000, current), DT)
    interval = float(params.interval(current))
    assert np.diff(spikes) == pytest.approx(np.full(spikes.size - 1, interval), rel=1e-9)
    assert spikes[0] == pytest.approx(interval - params.t_reset, rel=1e-9)


def test_below_the_rheobase_the_wall_settles_short_of_the_read_mtj():
    params = LifParams()
    neuron = DomainWallLifNeuron(params, np.random.default_rng(0))
    current = 0.99 * params.rheobase
    assert neuron.run(np.full(20_000, current), DT).size == 0
    x_inf = params.mobility * (current - params.i_dep) * params.tau_leak
    assert neuron.position == pytest.approx(x_inf, rel=1e-6) and neuron.position < params.x_threshold


def test_the_wall_leaks_back_with_tau_leak_when_the_input_stops():
    params = LifParams()
    neuron = DomainWallLifNeuron(params, np.random.default_rng(0))
    neuron.run(np.full(40, 90e-6), DT)  # 4 ns of integration, below threshold
    start = neuron.position
    neuron.run(np.zeros(150), DT)  # 15 ns of leak
    assert neuron.position == pytest.approx(start * np.exp(-15e-9 / params.tau_leak), rel=1e-9)


def test_the_defaults_integrate_in_about_ten_nanoseconds_at_65_microwatts():
    params = LifParams()
    assert 5e-9 < params.interval(150e-6) - params.t_reset < 15e-9
    assert params.integration_power(150e-6) == pytest.approx(65e-6, rel=0.01)


def test_parameters_are_recovered_from_a_simulated_f_i_curve():
    """I_dep is the least constrained (the onset and the slope both move with it): ± 15 %, the others ± 5 %."""
    truth = LifParams(i_dep=40e-6, mobility=4e5, tau_leak=12e-9, t_reset=2e-9, sigma_threshold=0.02)
    currents = np.linspace(60e-6, 400e-6, 18)
    rates, errors = [], []
    for k, current in enumerate(currents):
        intervals = np.diff(DomainWallLifNeuron(truth, np.random.default_rng(k)).run(np.full(20_000, current), DT))
        if intervals.size < 2:
            rates.append(0.0)
            errors.append(1e5)  # silent: no information on the rate's size
            continue
        rates.append(1 / intervals.mean())
        errors.append(max(intervals.std() / np.sqrt(intervals.size), 1e-4 * intervals.mean()) / intervals.mean()**2)
    fit = fit_lif_rate(currents, np.array(rates), np.array(errors), truth.x_threshold)
    for name, tolerance in (("i_dep", 0.15), ("mobility", 0.05), ("tau_leak", 0.05), ("t_reset", 0.05)):
        value, error = getattr(fit, name), getattr(fit, f"{name}_err")
        assert value == pytest.approx(getattr(truth, name), rel=tolerance), name
        assert abs(value - getattr(truth, name)) < 4 * error, name
    assert fit.rheobase == pytest.approx(truth.rheobase, rel=0.02)


def test_too_few_firing_currents_are_refused():
    with pytest.raises(AnalysisError, match="five or more"):
        fit_lif_rate(np.array([1e-5, 2e-5, 3e-5]), np.array([0.0, 0.0, 1e8]), np.ones(3), 320e-9)
