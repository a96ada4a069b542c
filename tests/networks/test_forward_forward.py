"""Forward-forward training of MTJ crossbars in the loop, and the ``forward-forward`` reproduction."""

from dataclasses import replace

import numpy as np
import pytest

from mtjhw.networks.datasets import load_image_split
from mtjhw.networks.forward_forward import Devices, ForwardForwardNet, Layer, Ledger
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.simulators.physics.crossbar import CrossbarParams

IDEAL = CrossbarParams(sigma_log_rp=0.0, sigma_tmr=0.0, sigma_delta=0.0, read_noise=0.0)


def test_ideal_crossbar_reads_the_stored_levels_and_counts_every_pulse_and_read():
    devices = Devices(params=IDEAL, cells=4, w_max=0.5)
    ledger, rng = Ledger(), np.random.default_rng(3)
    layer = Layer(6, 5, devices, ledger, rng)
    q = layer.levels()
    # programmed from all-AP: one pulse per P cell, each into a cell at R_AP = Rp(1 + TMR)
    assert ledger.pulses == np.abs(q).sum() > 0
    assert ledger.write_energy == pytest.approx(ledger.pulses * (100e-6) ** 2 * 5000 * 2.2 * 10e-9, rel=1e-12)
    x = rng.random((7, 6))
    x1 = np.hstack([x, np.ones((7, 1))])
    np.testing.assert_allclose(layer.forward(x, rng), x1 @ (q * 0.5 / 4), rtol=1e-9, atol=1e-12)
    # read: V²·G over t_read in every cell of both arrays; one conversion per output and sample
    g_p, g_ap = 1 / 5000, 1 / (5000 * 2.2)
    g = np.abs(q) * g_p + (2 * 4 - np.abs(q)) * g_ap  # the two synapses of each weight: 2·cells cells
    assert ledger.read_energy == pytest.approx(10e-9 * np.sum((0.1 * x1) ** 2 @ g), rel=1e-9)
    assert ledger.conversions == 7 * 5


def test_forward_forward_uses_only_each_layers_own_outputs():
    """A layer's update does not depend on the layers above it: no backward pass."""
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 8)), rng.integers(0, 3, 20)
    wrong = (y + 1) % 3
    a = ForwardForwardNet(8, (6, 6), 3, None, seed=4)
    b = ForwardForwardNet(8, (6, 6), 3, None, seed=4)
    b.layers[1].weights[:] = rng.normal(size=b.layers[1].weights.shape)
    np.testing.assert_array_equal(a.local_gradients(x, y, wrong)[0], b.local_gradients(x, y, wrong)[0])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("forward_forward")
    return run_reproduction("forward-forward", out, quick=True, progress=False), out


def test_quick_reproduction_learns_digits_on_the_crossbars(report):
    r, out = report
    assert "forward-forward" in REPRODUCTIONS and (out / "report.png").exists()
    for key in ("name", "metric", "value", "paper_value", "paper", "dataset", "settings", "sweeps", "energy",
                "software_value", "backprop_value"):
        assert key in r
    assert r["paper_value"] == 0.9
    assert r["value"] > 0.85 and r["software_value"] > 0.85 and r["backprop_value"] > 0.85


def test_read_noise_degrades_forward_forward(report):
    r, _ = report
    noise = {p["x"]: p["accuracy"] for p in r["sweeps"]["read_noise"]}
    assert noise[0.02] < noise[0.005] - 0.1


def test_conductance_variation_degrades_written_weights_and_training_in_the_loop_recovers():
    _, x, y, xt, yt = load_image_split(None, np.random.default_rng(0))
    ideal = Devices(params=replace(IDEAL, read_noise=0.005))
    trained = ForwardForwardNet(64, (32, 32), 10, ideal, seed=1)
    trained.train(x, y, 5)
    varied = ForwardForwardNet(64, (32, 32), 10, replace(ideal, params=replace(ideal.params, sigma_log_rp=0.4)),
                               seed=1)
    for layer, source in zip(varied.layers, trained.layers, strict=True):
        layer.weights[:] = source.weights
        layer.program(varied.rng)
    before, written = trained.accuracy(xt, yt), varied.accuracy(xt, yt)
    varied.train(x, y, 2)
    assert before > 0.8 and written < before - 0.05 and varied.accuracy(xt, yt) > written + 0.03


def test_energy_counts_reads_writes_and_ten_label_passes(report):
    r, _ = report
    ff, bp = r["energy"]["forward_forward"], r["energy"]["backprop"]
    hidden = r["settings"]["hidden"]
    assert ff["per_inference"]["conversions"] == 10 * sum(hidden)  # every label embedded in turn
    assert bp["per_inference"]["conversions"] == sum(hidden) + 10
    assert ff["per_inference"]["pulses"] == 0 and ff["per_training_epoch"]["pulses"] > 0
    for e in (ff["per_inference"], ff["per_training_epoch"]):
        assert e["energy"] == pytest.approx(e["read_energy"] + e["adc_energy"] + e["write_energy"], rel=1e-12)
    assert ff["per_inference"]["energy"] > bp["per_inference"]["energy"]
