"""Coupled STNOs synchronising to formant-derived microwave inputs (mtjhw.networks.coupled_stno) and the
``coupled-stno-vowels`` reproduction."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from mtjhw.cli import main
from mtjhw.networks.coupled_stno import (
    VOWELS,
    OscillatorBank,
    VowelNetwork,
    bayes_limit,
    float_network,
    nearest_prototype,
    nominal_devices,
    vowel_dataset,
)
from mtjhw.networks.datasets import load_hillenbrand
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.reproduce.coupled_stno_vowels import OSCILLATOR
from mtjhw.simulators.physics.stno import STNO


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("coupled-stno-vowels")
    return run_reproduction("coupled-stno-vowels", out, quick=True, progress=False), out


def test_generated_vowels_follow_hillenbrand_statistics():
    formants, labels = vowel_dataset(2000, np.random.default_rng(0))
    assert np.bincount(labels).tolist() == [2000] * 7
    for c, (f1, f2, s1, s2, rho) in enumerate(VOWELS.values()):
        tokens = formants[labels == c]
        np.testing.assert_allclose(tokens.mean(axis=0), [f1, f2], rtol=0.01)
        np.testing.assert_allclose(tokens.std(axis=0), [s1, s2], rtol=0.06)
        assert np.corrcoef(tokens.T)[0, 1] == pytest.approx(rho, abs=0.05)


def test_the_bayes_limit_bounds_the_float_classifiers():
    limit = bayes_limit(4000, np.random.default_rng(1))
    train, labels = vowel_dataset(60, np.random.default_rng(2))
    test, truth = vowel_dataset(600, np.random.default_rng(3))
    prototype = np.mean(nearest_prototype(train, labels, test) == truth)
    network = np.mean(float_network(train, labels, test) == truth)
    assert 0.8 < prototype < limit + 0.01 and 0.8 < network < limit + 0.01 and limit < 0.95


def _vowdata_file(path, rng):
    """A file in the layout of Hillenbrand's vowdata.dat: header, then one token per row (name, duration, f0, F1,
    F2, …), women's tokens generated from VOWELS, a man's row and an unmeasured F2 that must be left out."""
    formants, labels = vowel_dataset(6, rng)
    rows = ["(c) 1995 James Hillenbrand", "", "col1:  filename", "  1    2   3    4    5"]
    rows += [f"w{k % 6 + 1:02d}{list(VOWELS)[c]} 300 220 {f[0]:4.0f} {f[1]:4.0f} 2900 4100"
             for k, (f, c) in enumerate(zip(formants, labels, strict=True))]
    rows += ["m01iy 240 138  342 2322 3000 3657", "w07iy 300 220  440    0 2900 4100", "w08oo 250 230 518 1228 2829 0"]
    path.write_text("\n".join(rows) + "\n")
    return formants, labels


def test_hillenbrand_tokens_are_read_by_group_vowel_and_talker(tmp_path):
    formants, labels = _vowdata_file(tmp_path / "vowdata.dat", np.random.default_rng(4))
    tokens, classes, talkers = load_hillenbrand(tmp_path / "vowdata.dat", list(VOWELS))
    np.testing.assert_allclose(tokens, np.round(formants))
    assert classes.tolist() == labels.tolist() and sorted(set(talkers)) == [1, 2, 3, 4, 5, 6]
    assert load_hillenbrand(tmp_path / "vowdata.dat", list(VOWELS), group="m")[0].tolist() == [[342.0, 2322.0]]
    (tmp_path / "other.txt").write_text("nothing here\n")
    with pytest.raises(ValueError, match="not Hillenbrand's vowdata.dat"):
        load_hillenbrand(tmp_path / "other.txt", list(VOWELS))


def test_reproduction_runs_on_the_tokens_of_a_vowdata_file(tmp_path):
    _vowdata_file(tmp_path / "vowdata.dat", np.random.default_rng(5))
    assert main(["reproduce", "coupled-stno-vowels", "--hillenbrand", str(tmp_path / "vowdata.dat"), "--quick",
                 "--out", str(tmp_path / "out"), "-q"]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "vowdata.dat, women, 7 vowels: 3 train talkers (21 tokens), 3 test talkers (21)" in report["dataset"]
    assert report["bayes_limit"] is None and report["value"] > 0.4
    assert main(["reproduce", "population-coding", "--hillenbrand", str(tmp_path / "vowdata.dat"), "--out",
                 str(tmp_path / "p"), "-q"]) == 2


def test_a_driven_oscillator_locks_inside_adlers_range_and_is_pulled_outside():
    network = VowelNetwork(coupling=0.0, decision_time=300e-9)
    bank = OscillatorBank(nominal_devices(replace(OSCILLATOR, temperature=0.0), n=1), np.array([0.012]), network)
    f0, half = bank.frequencies[0], 2 * bank.input_ranges[0] / (2 * math.pi)  # both sources at one frequency
    sources = f0 + np.array([0.5, -0.8, 2.0]) * half
    mean = bank.mean_frequencies(sources, sources, np.random.default_rng(0))[:, 0]
    np.testing.assert_allclose(mean[:2], sources[:2], atol=1e6)
    detuning = sources[2] - f0  # Adler: beats at √(Δ² − Ω²) from the source
    assert mean[2] == pytest.approx(sources[2] - math.sqrt(detuning**2 - half**2), rel=2e-3)


def test_quick_run_recognises_vowels_and_degrades(quick_run):
    report, out = quick_run
    assert report["value"] >= 0.65 and report["software_value"] >= 0.8
    assert set(report["sweeps"]) == {"sigma_meff", "coupling", "temperature_K"}
    # strong coupling pulls the oscillators together, away from the patterns the currents were trained for
    assert report["sweeps"]["coupling"][0]["accuracy"] < report["value"] - 0.08
    assert report["sweeps"]["sigma_meff"][0]["accuracy"] <= report["value"]
    assert (out / "report.png").stat().st_size > 10_000
    assert json.loads((out / "report.json").read_text())["name"] == "coupled-stno-vowels"
    assert "coupled-stno-vowels" in REPRODUCTIONS


def test_quick_run_energy_is_dc_power_times_decision_time(quick_run):
    report, _ = quick_run
    e, s = report["energy"], report["settings"]
    stno = STNO(OSCILLATOR)
    assert e["dc_power_W"] == pytest.approx(sum(i * i * float(stno.resistance(i)) for i in s["currents_A"]))
    assert e["decision_time_s"] == pytest.approx(s["decision_time_s"] + s["settle_s"])
    power = e["dc_power_W"] + 2 * s["input_power_W"]
    assert e["energy_per_decision_J"] == pytest.approx(power * e["decision_time_s"])
