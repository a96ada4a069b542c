"""STNO delayed-feedback reservoir: sine/square classification and the reproduction report."""

import json

import pytest

from mtjhw.cli import main
from mtjhw.networks.readout import quantize
from mtjhw.networks.reservoir import StnoReservoir, classify_waveforms, default_stno


def test_reservoir_separates_sine_from_square():
    result = classify_waveforms(StnoReservoir(default_stno()), n_periods=120, seed=3)
    assert result["accuracy"] > 0.98


def test_the_oscillator_does_the_work():
    # no input to the oscillator: the readout has nothing but noise to go on
    blind = classify_waveforms(StnoReservoir(default_stno(), i_in=0.0), n_periods=120, seed=3)
    assert blind["accuracy"] < 0.7
    # with a one-delay readout, memory comes from the delayed feedback alone
    with_feedback = classify_waveforms(StnoReservoir(default_stno(), feedback=0.5), n_periods=120, seed=3,
                                       reservoir_history=1)
    without = classify_waveforms(StnoReservoir(default_stno(), feedback=0.0), n_periods=120, seed=3,
                                 reservoir_history=1)
    assert with_feedback["accuracy"] > without["accuracy"] + 0.05


@pytest.mark.parametrize(("bits", "levels"), [(1, 2), (3, 8)])
def test_quantize_has_2_to_the_bits_levels(bits, levels):
    import numpy as np

    x = np.linspace(-0.2, 1.2, 1001)
    q = quantize(x, bits, 0.0, 1.0)
    assert len(np.unique(q)) == levels and q.min() == 0.0 and q.max() == 1.0


def test_reproduce_cli_writes_the_report(tmp_path, capsys):
    assert main(["reproduce", "stno-reservoir", "--out", str(tmp_path), "--quick", "-q"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["metric"].startswith("test accuracy") and report["paper_value"] == 0.9984
    assert report["value"] > 0.97
    assert {p["x"] for p in report["sweeps"]["adc_bits"]} == {4, 8}
    assert report["smtj_reservoir"]["accuracy"] > 0.95
    assert report["software_value"] > 0.97  # the echo-state network of as many nodes: the task's ceiling
    energy = report["energy"]
    assert energy["energy_per_sample_J"] == pytest.approx(energy["dc_power_W"] * energy["sample_time_s"])
    assert 1e-5 < energy["dc_power_W"] < 1e-2 and energy["sample_time_s"] == pytest.approx(
        report["settings"]["n_virtual"] * report["settings"]["node_time_s"])
    assert [p["x"] for p in report["sweeps"]["smtj_sigma_delta"]] == [0.0, 0.2]
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert main(["reproduce", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown reproduction 'nope'" in capsys.readouterr().err


def test_reproduce_list_names_each_reproduction_with_the_paper_value_to_beat(capsys):
    from mtjhw.reproduce import REPRODUCTIONS, paper_figure

    assert main(["reproduce", "--list"]) == 0
    listing = capsys.readouterr().out
    for name, reproduction in REPRODUCTIONS.items():
        line = next(line for line in listing.splitlines() if line.startswith(name + " "))
        assert paper_figure(reproduction.paper["accuracy"]) in line and reproduction.paper["dataset"] in line
    assert main(["reproduce"]) == 2 and "--list" in capsys.readouterr().err


def test_zhao_letters_report(tmp_path):
    from mtjhw.gateware.mlp_engine import engine_cycles
    from mtjhw.reproduce.zhao_letters import accuracy_for

    assert main(["reproduce", "zhao-letters", "--out", str(tmp_path), "--quick", "-q"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["value"] == 1.0 and report["paper_epochs_to_100"] == 52
    assert 1 <= report["epochs_to_100"] <= 100
    assert report["cycles_per_step"] == engine_cycles((9, 4), 9) and report["seconds_per_step_at_100MHz"] < 9e-6
    assert report["software_value"] == 1.0  # the float layer learns the four letters too
    energy = report["energy"]
    assert energy["engine_J"] == pytest.approx(energy["engine_power_W"] * report["seconds_per_step_at_100MHz"])
    assert energy["energy_per_step_J"] == pytest.approx(energy["engine_J"] + energy["sensor_read_J"])
    assert [p["x"] for p in report["sweeps"]["readout_bits"]] == [1, 4]
    quiet, noisy = accuracy_for(0.05, 0.0, 300)[1], accuracy_for(0.05, 0.3, 300)[1]
    assert noisy > 2 * quiet  # a noisier sensor array needs more epochs to learn the letters


def test_zhao_letters_on_the_simulated_engine_matches_the_golden_model():
    import numpy as np

    from mtjhw.reproduce.zhao_letters import train

    sensitivity = 1 + 0.05 * np.random.default_rng(100).standard_normal(9)
    golden = train(sensitivity, 0.05, 12)
    engine = train(sensitivity, 0.05, 12, backend="gateware")
    assert engine == golden and len(golden) == 12  # same accuracy after every epoch, step by step


def test_zhao_letters_on_the_verilator_build_matches_the_golden_model():
    import shutil

    import numpy as np

    from mtjhw.reproduce.zhao_letters import train

    if shutil.which("verilator") is None:
        pytest.skip("verilator not installed: apt-get install verilator")
    sensitivity = 1 + 0.05 * np.random.default_rng(100).standard_normal(9)
    assert train(sensitivity, 0.05, 12, backend="verilator") == train(sensitivity, 0.05, 12)


def test_a_reservoir_of_superparamagnetic_mtjs_separates_sine_from_square():
    from mtjhw.networks.reservoir import SmtjReservoir

    result = classify_waveforms(SmtjReservoir(), n_periods=80, seed=2, reservoir_history=3, alpha=1e-2)
    assert result["accuracy"] > 0.95
    blind = classify_waveforms(SmtjReservoir(i_in=0.0), n_periods=80, seed=2, reservoir_history=3, alpha=1e-2)
    assert blind["accuracy"] < 0.7  # without input the junctions only give telegraph noise


def test_a_data_set_option_a_reproduction_does_not_take_is_refused_before_it_runs(tmp_path, capsys):
    assert main(["reproduce", "population-coding", "--out", str(tmp_path), "--fashion-mnist", str(tmp_path),
                 "-q"]) == 2
    assert "population-coding takes no mnist_dir (it runs on Iris" in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()
