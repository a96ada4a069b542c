"""LIF neuron on the simulated bench: a domain-wall neuron of known parameters measured through the source-meter
and the scope, its f–I curve fitted back; the bench limits; an abort; the DUT's own bookkeeping."""

from __future__ import annotations

import threading

import h5py
import numpy as np
import pandas as pd
import pytest

from mtjhw.analysis.spikes import detect_spikes
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench.bias import Bias
from mtjhw.simulators.bench.lif import LifNeuronDevice
from mtjhw.simulators.physics.lif import LifParams

#: A neuron unlike the defaults: what the fit must find.
NEURON = {"i_dep": 40e-6, "mobility": 4e5, "tau_leak": 12e-9, "x_threshold": 300e-9, "t_reset": 1.5e-9}
SETTINGS = {"i_min": 50e-6, "i_max": 240e-6, "currents": 10, "duration": 2e-6, "points": 10_000,
            "x_threshold": 300e-9}


def bench(dut, seed=3, **safety):
    return Bench.open(BenchConfig.from_dict({"simulated": True, "seed": seed, "dut": {"model": "dw-lif", **dut},
                                             "safety": {"max_voltage": 1.5, "max_current": 1e-3} | safety}))


def test_lif_neuron_recovers_the_neurons_parameters(tmp_path):
    """Rates within 0.2 % of the analytic f–I curve wherever it fires (none below the rheobase); I_dep, mobility,
    leak and reset times within 2 % with errors under 10 % (I_dep 20 %); the integration time at i_max is the analytic
    interval less the reset; the waveforms kept."""
    with bench(NEURON) as b:
        outcome = run_procedure("lif-neuron", b, tmp_path, SETTINGS)
    assert outcome.status == "finished", outcome.error
    data = pd.read_csv(outcome.data_file, comment="#")
    params = LifParams(**NEURON)
    current, rate = data["Current (A)"].to_numpy(), data["Rate (Hz)"].to_numpy()
    expected = np.where(current > params.rheobase, params.rate(current), 0.0)
    assert (rate > 0).sum() >= 7
    np.testing.assert_allclose(rate, expected, rtol=2e-3)
    s = outcome.summary
    for key, spread in (("i_dep", 0.2), ("mobility", 0.1), ("tau_leak", 0.1), ("t_reset", 0.1)):
        assert s[key] == pytest.approx(NEURON[key], rel=0.02), key
        assert 0 < s[f"{key}_err"] < spread * s[key], key  # I_dep trades off against the gain: the widest
    assert s["rheobase"] == pytest.approx(params.rheobase, rel=0.01)
    assert s["integration_time"] == pytest.approx(params.interval(240e-6) - params.t_reset, rel=0.01)
    assert s["spike_width"] == pytest.approx(params.t_reset, rel=0.02)
    r_rest = params.r_track + 500.0 * 2.5  # the read MTJ AP (the model's r_p, tmr defaults) in series
    assert s["power_at_i_max"] == pytest.approx(240e-6**2 * r_rest, rel=0.05)  # minus the spikes' dips
    with h5py.File(tmp_path / "waveforms.h5") as store:
        assert len(store) == SETTINGS["currents"]


def test_a_slower_leak_lowers_the_rheobase_and_the_fit_follows(tmp_path):
    """τ_leak 12 → 24 ns: the neuron fires at currents where the faster-leaking one is silent, and the fit reads
    the new leak time."""
    with bench(NEURON | {"tau_leak": 24e-9}) as b:
        outcome = run_procedure("lif-neuron", b, tmp_path, SETTINGS | {"i_min": 45e-6, "i_max": 200e-6})
    assert outcome.status == "finished", outcome.error
    assert outcome.summary["tau_leak"] == pytest.approx(24e-9, rel=0.03)
    assert outcome.summary["rheobase"] < LifParams(**NEURON).rheobase


def test_currents_beyond_the_bench_limit_are_refused_before_anything_is_sent(tmp_path):
    with bench(NEURON, max_current=200e-6) as b:
        outcome = run_procedure("lif-neuron", b, tmp_path, SETTINGS)
        assert b.virtual.bias.level == 0.0
    assert outcome.status == "failed" and "max_current" in outcome.error and outcome.points == 0


def test_compliance_stops_the_run_with_the_points_before_it_kept(tmp_path):
    """A max_voltage the neuron needs more than at the top currents: the run fails there, outputs off."""
    with bench(NEURON, max_voltage=0.6) as b:
        outcome = run_procedure("lif-neuron", b, tmp_path, SETTINGS)
        assert b.virtual.bias.level == 0.0
    assert outcome.status == "failed" and "compliance" in outcome.error
    assert 0 < outcome.points < SETTINGS["currents"]
    assert len(pd.read_csv(outcome.data_file, comment="#")) == outcome.points


def test_abort_mid_run_leaves_the_output_off_and_the_points_on_disk(tmp_path):
    stop, seen = threading.Event(), []

    def progress(percent):
        seen.append(percent)
        if len(seen) == 4:
            stop.set()

    with bench(NEURON) as b:
        outcome = run_procedure("lif-neuron", b, tmp_path, SETTINGS, progress=progress, stop=stop)
        assert b.virtual.bias.level == 0.0
    assert outcome.status == "aborted" and outcome.points == 4
    assert len(pd.read_csv(outcome.data_file, comment="#")) == 4


def test_the_dut_averages_long_stretches_as_the_spike_by_spike_record_does():
    """A source-meter reading over 10⁵ periods (advanced by whole periods) gives the same mean voltage as the
    scope's exact record: I·(R_AP − ΔR·t_reset/T) with T the analytic interval."""
    params = LifParams(**NEURON)
    current = 180e-6
    period = float(params.interval(current))
    expected = current * (params.r_track + 1250.0 - 750.0 * params.t_reset / period)
    rng = np.random.default_rng(0)
    long = LifNeuronDevice(**NEURON)
    v_long, _ = long.advance(1e5 * period + 0.37 * period, Bias("I", current), 0.0, rng)
    assert v_long == pytest.approx(expected, rel=1e-4)
    exact = LifNeuronDevice(**NEURON)
    v = exact.voltage_record(200_000, period / 100, Bias("I", current), rng)
    assert v.mean() == pytest.approx(expected, rel=1e-3)
    train = detect_spikes(v, period / 100)
    assert train.rate == pytest.approx(1 / period, rel=1e-4)
    assert train.width == pytest.approx(params.t_reset, rel=0.01)


def test_threshold_spread_jitters_the_intervals_the_scope_measures():
    """sigma_threshold 5 %: the interval's spread several times the sampling's; none without it."""
    dt, current = 2e-10, 180e-6
    spread = {}
    for sigma in (0.0, 0.05):
        device = LifNeuronDevice(**NEURON, sigma_threshold=sigma)
        train = detect_spikes(device.voltage_record(20_000, dt, Bias("I", current), np.random.default_rng(1)), dt)
        spread[sigma] = train.interval_std / train.interval
    assert spread[0.0] < 0.01 < 0.03 < spread[0.05]
