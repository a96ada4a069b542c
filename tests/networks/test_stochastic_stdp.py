"""Stochastic STDP on compound MTJ synapses and the stochastic-stdp-snn reproduction."""

import numpy as np
import pytest

from mtjhw.networks.spiking import WinnerTakeAllLayer
from mtjhw.networks.stochastic_stdp import StochasticSynapseParams, StochasticWTA, first_to_fire, rate_spikes
from mtjhw.progress import StepBar
from mtjhw.reproduce.stochastic_stdp_snn import reproduce_stochastic_stdp_snn
from mtjhw.scaleout import SerialExecutor
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P, escape_rate, switching_probability

EXACT = StochasticSynapseParams(sigma_delta=0.0, sigma_pulse=0.0, sigma_log_rp=0.0)


def test_pulse_amplitude_gives_the_nominal_switching_probability():
    s = EXACT
    for p in (0.01, 0.1, 0.5):
        rate = escape_rate(STATE_AP, s.delta, s.tau0, current=s.amplitude(p), ic0=s.ic0)
        assert switching_probability(rate, s.t_pulse) == pytest.approx(p, rel=1e-9)


def _layer(n_inputs: int = 200) -> StochasticWTA:
    return StochasticWTA(n_inputs, n_outputs=2, threshold=1.0, synapse=EXACT, seed=0)


def test_potentiation_switches_ap_devices_with_their_probability_and_costs_i2_r_t():
    layer = _layer()
    layer.initialise(np.zeros((2, 200)))
    j = layer.learn(np.ones((5, 200), dtype=bool))
    devices = 200 * EXACT.n_devices
    fraction = np.mean(layer.state[j] == STATE_P)
    assert abs(fraction - EXACT.p_potentiate) < 4 * np.sqrt(EXACT.p_potentiate / devices)
    r_ap = EXACT.r_p * (1 + EXACT.tmr)
    assert layer.write_energy[0] == pytest.approx(devices * EXACT.amplitude(EXACT.p_potentiate) ** 2 * r_ap
                                                  * EXACT.t_pulse)
    assert layer.switched[0] == np.sum(layer.state[j] == STATE_P)


def test_inputs_silent_before_the_post_spike_are_depressed():
    layer = _layer()
    layer.initialise(np.ones((2, 200)))
    j = layer.learn(np.zeros((5, 200), dtype=bool))
    fraction = np.mean(layer.state[j] == STATE_AP)
    assert abs(fraction - EXACT.p_depress) < 4 * np.sqrt(EXACT.p_depress / (200 * EXACT.n_devices))
    assert np.all(layer.state[1 - j] == STATE_P)


def test_batched_first_to_fire_matches_the_wta_layer():
    rng = np.random.default_rng(3)
    layer = WinnerTakeAllLayer(30, n_outputs=12, threshold=4.0, leak=0.95, seed=2)
    spikes = rate_spikes(rng.random((40, 30)), 50, 0.5, rng)
    winners, _ = first_to_fire(layer, spikes)
    np.testing.assert_array_equal(winners, [layer.winner(s) for s in spikes])


def test_read_energy_is_v2_g_t_per_input_spike():
    layer = _layer(3)
    layer.initialise(np.zeros((2, 3)))
    spikes = np.zeros((4, 3), dtype=bool)
    spikes[0, 1] = spikes[2, 1] = True
    s = EXACT
    g_row = 2 * s.n_devices * s.g_ap * (1 + s.reference)
    assert layer.read_energy(spikes) == pytest.approx(2 * s.v_read ** 2 * s.t_read * g_row)


def test_quick_reproduction_learns_digits_and_degrades_with_fewer_devices(tmp_path):
    with StepBar("stochastic-stdp-snn", quiet=True) as steps:
        report = reproduce_stochastic_stdp_snn(tmp_path, quick=True, progress=steps, executor=SerialExecutor())
    assert report["value"] > 0.7
    assert report["software_value"] > 0.7
    assert report["fired_fraction"] > 0.9  # the winner spikes within the presentation
    devices = {p["x"]: p["accuracy"] for p in report["sweeps"]["n_devices"]}
    assert devices[3] < devices[9]
    energy = report["energy"]
    assert 0 < energy["write_energy_switching_devices"] < energy["write_energy_per_event"]
    assert 0 < energy["read_energy_per_inference"] <= energy["read_energy_full_presentation"]
    assert (tmp_path / "report.png").exists()
