"""Spin-diode RF multiply-and-accumulate (mtjhw.networks.rf_mac) and the ``rf-synapses`` reproduction."""

import json
import math

import numpy as np
import pytest

from mtjhw.networks.rf_mac import (
    ADC_ENERGY,
    RfMacDesign,
    RfMacLayer,
    curve_range,
    diode_params,
    invert,
)
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.simulators.physics.constants import KB


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rf-synapses")
    return run_reproduction("rf-synapses", out, quick=True, progress=False), out


def test_inversion_lands_on_the_target_within_the_monotonic_branch():
    s, a = np.full(7, -2.0), np.full(7, 3.0)
    lo, hi = curve_range(s, a)
    target = np.linspace(lo[0], hi[0], 9)[1:-1]
    x = invert(target, s, a)
    np.testing.assert_allclose((s + a * x) / (1 + x * x), target, rtol=1e-9)
    extremes = (-s + np.array([-1, 1])[:, None] * np.hypot(s, a)) / a  # where g' = 0
    assert np.all((x > extremes.min()) & (x < extremes.max()))


def test_programmed_chains_reproduce_the_weights_up_to_a_common_offset():
    weights = np.random.default_rng(4).normal(size=(4, 12))
    layer = RfMacLayer(weights, diode_params(), RfMacDesign(), noise=False)
    centred = lambda m: m - m.mean(axis=0)  # noqa: E731
    np.testing.assert_allclose(centred(layer.actual) / layer.gain, centred(weights), atol=2e-3)
    spread = RfMacLayer(weights, diode_params(), RfMacDesign(), sigma_f=10e6, noise=False)
    assert np.abs(centred(spread.actual) / spread.gain - centred(weights)).max() > 0.1


def test_johnson_noise_and_full_scale_current_are_analytic():
    weights = np.random.default_rng(1).normal(size=(2, 5))
    layer = RfMacLayer(weights, diode_params(), RfMacDesign(p_max=2e-4, integration_time=1e-6))
    r = layer.chain_resistance
    assert r == pytest.approx(5 * float(layer.stno.resistance()))
    assert layer.noise_voltage() == pytest.approx(math.sqrt(4 * KB * 300.0 * r / 2e-6))
    assert layer.full_scale_current() == pytest.approx(math.sqrt(2 * 2e-4 / r))


def test_quick_run_matches_the_float_classifier_and_degrades(quick_run):
    report, out = quick_run
    assert report["value"] >= 0.93 and report["value"] >= report["software_value"] - 0.02
    assert report["software_value"] < report["paper_value"]  # a linear classifier on digits: the ceiling
    spread = {p["x"]: p["accuracy"] for p in report["sweeps"]["sigma_f_Hz"]}
    assert spread[10e6] < spread[0.0] - 0.2
    power = {p["x"]: p["accuracy"] for p in report["sweeps"]["p_max_W"]}
    assert power[1e-6] < power[1e-4] - 0.3
    alpha = {p["x"]: p["accuracy"] for p in report["sweeps"]["alpha"]}
    assert alpha[0.016] < alpha[0.004] - 0.3
    assert (out / "report.png").stat().st_size > 10_000
    assert json.loads((out / "report.json").read_text())["name"] == "rf-synapses"
    assert "rf-synapses" in REPRODUCTIONS


def test_quick_run_energy_is_rf_power_plus_readout(quick_run):
    report, _ = quick_run
    e, s = report["energy"], report["settings"]
    assert e["power_W"] == pytest.approx(e["rf_power_W"] + s["outputs"] * ADC_ENERGY / s["integration_time_s"])
    assert e["energy_per_inference_J"] == pytest.approx(e["power_W"] * s["integration_time_s"])
    # every input's mean power (digits: mean pixel sum ≈ 19 of 64, + the bias at full scale) into each chain
    assert 10 * 15 * s["p_max_W"] < e["rf_power_W"] < 10 * 30 * s["p_max_W"]
