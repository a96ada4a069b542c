"""Coupled STNOs synchronising to formant-derived microwave inputs (mtjhw.networks.coupled_stno) and the
``coupled-stno-vowels`` reproduction."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from mtjhw.networks.coupled_stno import VOWELS, OscillatorBank, VowelNetwork, nominal_devices, vowel_dataset
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.reproduce.coupled_stno_vowels import OSCILLATOR
from mtjhw.simulators.physics.stno import STNO


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("coupled-stno-vowels")
    return run_reproduction("coupled-stno-vowels", out, quick=True, progress=False), out


def test_generated_vowels_follow_hillenbrand_means():
    formants, labels = vowel_dataset(2000, np.random.default_rng(0))
    assert np.bincount(labels).tolist() == [2000] * 7
    for c, (f1, f2, s1, s2) in enumerate(VOWELS.values()):
        np.testing.assert_allclose(formants[labels == c].mean(axis=0), [f1, f2], rtol=0.01)
        np.testing.assert_allclose(formants[labels == c].std(axis=0), [s1, s2], rtol=0.06)


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
