"""sMTJ waveform reservoir: the three tasks, the devices' part in them, the Joule energy, the reproduction report."""

import json

import numpy as np

from mtjhw.cli import main
from mtjhw.networks.echo_state import EchoStateNetwork
from mtjhw.networks.smtj_waves import SmtjWaveReservoir, sine_prediction, square_from_sine, step_energy
from mtjhw.reproduce.smtj_reservoir_waves import classify


def test_32_smtjs_beat_the_papers_89_percent_and_do_the_regressions():
    reservoir = SmtjWaveReservoir()
    assert classify(reservoir, 80) > 0.9
    assert square_from_sine(reservoir, n_steps=240, history=3, alpha=1e-2) < 0.3
    assert sine_prediction(reservoir, 1, n_steps=240, history=3, alpha=1e-2) < 0.1


def test_the_devices_do_the_work_and_need_time_to_average_their_noise():
    assert classify(SmtjWaveReservoir(i_in=0.0), 80) < 0.7  # no input current: nothing but telegraph noise
    short = classify(SmtjWaveReservoir(read_time=0.25), 80)
    assert short < classify(SmtjWaveReservoir(read_time=2.0), 80) - 0.05


def test_a_device_held_in_one_state_draws_i_squared_r_per_step():
    reservoir = SmtjWaveReservoir(n_devices=2)
    current = np.array([10e-6, -20e-6])
    assert np.isclose(step_energy(current, np.array([0.0, 1.0]), reservoir.params, 1e-6),
                      (10e-6**2 * 5000 + 20e-6**2 * 5000 * 2.2) * 1e-6)
    _, per_step = reservoir.run(np.zeros(50), np.random.default_rng(0))
    i = reservoir.bias * 60e-6  # zero input: the bias currents alone
    assert np.all((per_step >= np.sum(i**2) * 5000 * reservoir.step_time * 0.999)
                  & (per_step <= np.sum(i**2) * 11000 * reservoir.step_time * 1.001))


def test_echo_state_network_is_the_noise_free_ceiling():
    esn = EchoStateNetwork(32)
    assert classify(esn, 80) > 0.99
    assert sine_prediction(esn, 3, n_steps=240, history=3, alpha=1e-2) < 0.01


def test_reproduce_writes_the_report(tmp_path):
    assert main(["reproduce", "smtj-reservoir-waves", "--out", str(tmp_path), "--quick", "-q"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["paper_value"] == 0.89 and report["value"] > 0.9 and report["software_value"] > 0.99
    assert set(report["regressions"]["ours"]) == {"square_nmse", "predict_1_nmse", "predict_3_nmse"}
    assert {"sigma_delta", "n_devices", "read_time"} <= set(report["sweeps"])
    assert 1e-12 < report["energy"]["energy_per_step_J"] < 1e-9
    assert (tmp_path / "report.png").stat().st_size > 10_000
