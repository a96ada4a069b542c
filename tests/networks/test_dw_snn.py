"""Domain-wall MTJ LIF neuron arrays, the f–I activation, and the ``dw-snn`` reproduction."""

import struct

import numpy as np
import pytest

from mtjhw.networks.dw_snn import DomainWallLifArray, dw_activation, reset_energy, spike_energy
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.simulators.physics.lif import DomainWallLifNeuron, LifParams


def test_array_matches_the_single_neuron_exactly():
    params, dt = LifParams(), 3e-9
    current = np.random.default_rng(1).uniform(0, 300e-6, 300)
    times = DomainWallLifNeuron(params, np.random.default_rng(0)).run(current, dt)
    array = DomainWallLifArray(params, (1,), np.random.default_rng(0))
    counts = np.array([array.step(np.array([i]), dt)[0] for i in current])
    np.testing.assert_array_equal(counts, np.bincount((times // dt).astype(int), minlength=len(current)))


def test_rate_and_energy_per_spike_follow_the_f_i_curve():
    params, current, dt = LifParams(), 150e-6, 2e-9
    array = DomainWallLifArray(params, (4,), np.random.default_rng(0))
    steps = 2000
    spikes = sum(array.step(np.full(4, current), dt) for _ in range(steps))
    np.testing.assert_allclose(spikes / (steps * dt), params.rate(current), rtol=0.01)
    # I²·R over the time to threshold plus the reset pulse: Wang et al.'s 65 µW at 150 µA for ≈ 8.3 ns
    np.testing.assert_allclose(array.energy / spikes, spike_energy(params, current), rtol=0.01)
    assert reset_energy(params) == pytest.approx(150e-6**2 * 2900 * 1e-9)
    assert 0.4e-12 < spike_energy(params, current) < 0.8e-12  # the paper's 508 fJ/spike, same order


def test_device_spread_changes_each_neuron_rate():
    params = LifParams()
    array = DomainWallLifArray(params, (50,), np.random.default_rng(0), sigma_position=0.2)
    spikes = sum(array.step(np.full(50, 150e-6), 2e-9) for _ in range(500))
    assert spikes.std() > 0.05 * spikes.mean()
    assert np.corrcoef(array.x_threshold, spikes)[0, 1] < -0.8  # a farther read MTJ fires later


def test_activation_is_the_normalised_f_i_curve_with_its_slope():
    params, scale = LifParams(), 50e-6
    a = np.array([-1.0, 0.0, 0.5, 1.0, 3.0])
    phi, slope = dw_activation(params, a, scale)
    assert phi[0] == 0 and phi[1] < 0.05 and phi[3] == pytest.approx(1.0)  # silent below the rheobase
    h = 1e-6
    numeric = (dw_activation(params, a + h, scale)[0] - dw_activation(params, a - h, scale)[0]) / (2 * h)
    np.testing.assert_allclose(slope[2:], numeric[2:], rtol=1e-4)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("dw-snn")
    return run_reproduction("dw-snn", out, quick=True, progress=False), out


def test_quick_reproduction_beats_the_paper_and_degrades_with_the_devices(report):
    r, out = report
    assert "dw-snn" in REPRODUCTIONS and (out / "report.png").exists() and (out / "report.json").exists()
    for key in ("name", "metric", "value", "paper_value", "paper", "dataset", "settings", "sweeps", "energy",
                "software_value"):
        assert key in r
    assert r["dataset"] == "sklearn digits 8x8" and r["paper_value"] == 0.87
    assert r["value"] > 0.9 and r["software_value"] > 0.9
    position = {p["x"]: p["accuracy"] for p in r["sweeps"]["sigma_position"]}
    assert position[0.5] < position[0.0] - 0.05
    steps = {p["x"]: p["accuracy"] for p in r["sweeps"]["steps"]}
    assert steps[4] < steps[25]
    energy = r["energy"]
    assert 0.3e-12 < energy["energy_per_spike"] < 1.5e-12
    assert energy["energy_per_inference"] == pytest.approx(energy["energy_per_spike"] * energy["spikes_per_inference"])


def _write_idx(path, array):
    code = {1: 0x01, 3: 0x03}[array.ndim]
    path.write_bytes(struct.pack(f">4B{array.ndim}I", 0, 0, 0x08, code, *array.shape) + array.tobytes())


def test_runs_the_784_128_10_network_on_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    for kind, n in (("train", 300), ("t10k", 100)):  # class k: a bright row band at rows 2k..2k+3, plus noise
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for image, label in zip(images, labels, strict=True):
            image[2 * label:2 * label + 4] = 250
        _write_idx(tmp_path / f"{kind}-images-idx3-ubyte", images)
        _write_idx(tmp_path / f"{kind}-labels-idx1-ubyte", labels)
    r = run_reproduction("dw-snn", tmp_path / "out", quick=True, progress=False, mnist_dir=tmp_path)
    assert r["settings"]["layers"] == [784, 128, 10] and "Fashion-MNIST" in r["dataset"]
    assert r["value"] > 0.9
