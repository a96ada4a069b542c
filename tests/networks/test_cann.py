"""The ring CANN of DW-MTJ LIF neurons and the ``cann-tracking`` reproduction."""

import numpy as np
import pytest

from mtjhw.networks.cann import RingCANN, Targets, ring_distance
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction
from mtjhw.simulators.physics.lif import LifParams


def test_ring_distance_wraps():
    np.testing.assert_allclose(ring_distance(np.array([0.1, 6.2, np.pi]), np.array([6.2, 0.1, 0.0])),
                               [0.1 + 2 * np.pi - 6.2, 6.2 - 0.1 - 2 * np.pi, -np.pi])


def test_ideal_network_tracks_a_slow_target_and_loses_a_fast_one():
    net = RingCANN(neuron="rate")
    slow = net.track(Targets(1, 0.3e6), 0.6e-6).errors(0.3e-6)
    fast = net.track(Targets(1, 3e6), 0.6e-6).errors(0.3e-6)
    assert slow.max() < net.spacing < fast.mean()


def test_idle_ring_dissipates_its_bias_current_in_every_track():
    net = RingCANN(input_amplitude=0.0, sigma_position=0.0, sigma_mobility=0.0, sigma_cycle=0.0)
    run = net.track(Targets(1), 50e-9)
    p = LifParams()
    assert run.spikes == 0  # no input, no activity: every neuron sits below its rheobase and never fires
    current = p.rheobase + net.current_scale * net.bias
    assert run.energy == pytest.approx(net.n * 50 * current**2 * p.r_track * net.dt, rel=1e-9)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("cann")
    return run_reproduction("cann-tracking", out, quick=True, progress=False), out


def test_quick_reproduction_tracks_two_bumps_and_degrades(report):
    r, out = report
    assert "cann-tracking" in REPRODUCTIONS and (out / "report.png").exists()
    for key in ("name", "metric", "value", "paper_value", "paper", "dataset", "settings", "sweeps", "energy",
                "software_value"):
        assert key in r
    assert r["value"] >= r["paper_value"] == 0.9 and r["software_value"] >= 0.9
    assert r["scores"]["fraction_two_targets"] >= 0.9
    spread = {p["x"]: p["fraction"] for p in r["sweeps"]["sigma_position"]}
    speed = {p["x"]: p["fraction"] for p in r["sweeps"]["speed"]}
    assert spread[0.3] < 0.5 < 0.9 < spread[0.0]
    assert speed[2e6] < 0.5 < 0.9 < speed[0.3e6]
    energy = r["energy"]
    assert energy["power_one_target"] == pytest.approx(energy["energy_per_update_one_target"] / 1e-9)
    assert 1e-13 < energy["energy_per_spike"] < 2e-12
