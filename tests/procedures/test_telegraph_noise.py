"""Telegraph noise of a superparamagnetic MTJ through the virtual scope: dwell times and Néel–Brown fit."""

import numpy as np
import pandas as pd
import pytest
from pymeasure.test import expected_protocol

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.telegraph import detect_states, dwell_model, dwell_times, fit_telegraph, mean_dwell
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.oscilloscope import KeysightDSOX3000
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench.bias import Bias

DUT = {"model": "smtj", "delta": 8.0, "ic0": 20e-6, "tau0": 1e-9, "h_offset": 0.0, "n_current": 2.0}


def run_telegraph(tmp_path, dut, seed=6, **settings):
    config = BenchConfig.from_dict({"simulated": True, "seed": seed, "dut": dut})
    with Bench.open(config) as bench:
        outcome = run_procedure("telegraph", bench, tmp_path, {"currents": 4, "duration": 20e-3,
                                                                "points": 2_000_000} | settings)
        data = pd.read_csv(tmp_path / "data.csv", comment="#")
        rates = np.array([bench.virtual.dut.rates(Bias("I", float(i)), 0.0) for i in data["Current (A)"]])
    assert outcome.status == "finished", outcome.error
    return outcome, data, 1 / rates


def test_telegraph_recovers_dwell_times_delta_and_ic0(tmp_path):
    """Dwell times at each current within 10 % of the DUT's own mean dwell times where they last 50 samples or
    more (shorter ones the scope resolves less well), Δ and Ic0 within 5 % (n = 2, Brown's attempt law), with their
    errors; the waveforms kept."""
    outcome, data, own = run_telegraph(tmp_path, DUT)
    measured = data[["Tau P (s)", "Tau AP (s)"]].to_numpy()
    resolved = own > 50 * data["Sample interval (s)"].to_numpy()[:, None]
    assert resolved.sum() >= 6
    np.testing.assert_allclose(measured[resolved], own[resolved], rtol=0.1)
    s = outcome.summary
    assert s["delta"] == pytest.approx(8.0, rel=0.05) and s["ic0"] == pytest.approx(20e-6, rel=0.05)
    for key in ("delta", "delta_p", "delta_ap", "ic0", "tau_p_at_zero", "tau_ap_at_zero"):
        assert 0 < s[f"{key}_err"] < 0.05 * s[key]
    assert (tmp_path / "waveforms.h5").stat().st_size > 100_000


def test_telegraph_recovers_random_devices(tmp_path):
    """Three seeded random superparamagnets (Δ 7–10, Ic0 10–40 µA, a stray field up to ±2 mT): Δ and Ic0 within
    10 %."""
    rng = np.random.default_rng(21)
    for k in range(3):
        delta, ic0 = rng.uniform(7, 10), rng.uniform(10e-6, 40e-6)
        dut = DUT | {"delta": delta, "ic0": ic0, "h_offset": rng.uniform(-0.002, 0.002)}
        outcome, _, _ = run_telegraph(tmp_path / str(k), dut, seed=k, i_max=0.15 * ic0)
        assert outcome.summary["delta"] == pytest.approx(delta, rel=0.1), (k, dut)
        assert outcome.summary["ic0"] == pytest.approx(ic0, rel=0.1), (k, dut)


def test_state_detection_and_dwells_on_a_synthetic_trace():
    rng = np.random.default_rng(1)
    dt, n = 1e-8, 400_000
    dwells = rng.exponential([2e-6, 5e-7], size=(600, 2)).ravel()
    edges = np.cumsum(dwells)
    t = np.arange(n) * dt
    high = (np.searchsorted(edges, t) % 2 == 0)
    v = np.where(high, 0.044, 0.020) + 0.0015 * rng.standard_normal(n)
    states, low_level, high_level = detect_states(v)
    assert low_level == pytest.approx(0.020, abs=1e-3) and high_level == pytest.approx(0.044, abs=1e-3)
    d_high, d_low = dwell_times(states, dt)
    assert mean_dwell(d_high, 3 * dt)[0] == pytest.approx(2e-6, rel=0.1)
    assert mean_dwell(d_low, 3 * dt)[0] == pytest.approx(5e-7, rel=0.1)


def test_fits_fail_loudly_on_data_that_cannot_constrain_them():
    with pytest.raises(AnalysisError, match="did not switch"):
        detect_states(0.02 + 1e-4 * np.random.default_rng(0).standard_normal(1000))
    with pytest.raises(AnalysisError, match="only 3 complete dwells"):
        mean_dwell(np.array([1e-6, 2e-6, 3e-6]), 1e-8)
    with pytest.raises(AnalysisError, match="do not follow spin-transfer torque"):
        fit_telegraph(np.array([-1e-6, 0.5e-6, 1e-6]), np.array([1e-6, 1e-6, 0.9e-6]), np.array([1e-6, 1e-6, 1e-6]))


def test_dwell_time_fit_on_the_neel_brown_law():
    """Dwell times from the model itself (both laws, n = 1 and 2) with 2 % scatter: Δ_P, Δ_AP and Ic0 back within
    3σ of their errors."""
    rng = np.random.default_rng(4)
    current = np.linspace(-4e-6, 4e-6, 6)
    for n, law in ((2.0, "brown"), (1.0, "constant")):
        true = (7.0, 9.0, 20e-6)
        tau = [np.exp(dwell_model(current, np.full(6, ap), *true, 1e-9, n, law)) for ap in (False, True)]
        noisy = [t * (1 + 0.02 * rng.standard_normal(6)) for t in tau]
        fit = fit_telegraph(current, *noisy, 1e-9, n, 0.02 * tau[0], 0.02 * tau[1], law)
        for value, err, expected in ((fit.delta_p, fit.delta_p_err, 7.0), (fit.delta_ap, fit.delta_ap_err, 9.0),
                                     (fit.ic0, fit.ic0_err, 20e-6)):
            assert abs(value - expected) < 3 * err, (n, law)


def scope_exchange(channel, codes, points_claimed):
    preamble = f"1,0,{points_claimed},1,+1.0E-06,-2.0E-06,0,+1.0E-03,+0.0E+00,32768"
    payload = np.asarray(codes, dtype=">u2").tobytes()
    block = f"#{len(str(len(payload)))}{len(payload)}".encode() + payload + b"\n"
    return [(":TIM:SCAL 4e-06", None), (":WAV:POIN 100", None),
            (f":WAV:POIN:MODE RAW;:WAV:FORM WORD;:WAV:BYT MSBF;:WAV:UNS 1;:WAV:SOUR CHAN{channel};"
             f":DIG CHAN{channel}", None),
            (":WAV:PRE?", preamble), (":WAV:DATA?", block)]


def test_scope_driver_protocol():
    codes = 32768 + np.arange(100) % 3
    with expected_protocol(KeysightDSOX3000, [
        (":CHAN1:DISP 1;:CHAN1:COUP DC;:CHAN1:SCAL 0.01;:CHAN1:OFFS 0.03", None),
        ("SYST:ERR?", '+0,"No error"'),
        *scope_exchange(1, codes, 100),
    ]) as scope:
        scope.configure_channel(1, 0.01, 0.03)
        with pytest.raises(ValueError):
            scope.configure_channel(5, 0.01)
        t, v = scope.acquire(1, 4e-5, 100)
        np.testing.assert_allclose(v, (codes - 32768) * 1e-3)
        np.testing.assert_allclose(t[:3], [-2e-6, -1e-6, 0.0])
    with expected_protocol(KeysightDSOX3000, scope_exchange(2, codes[:4], 100)) as scope, \
            pytest.raises(RuntimeError, match="4 samples transferred, preamble says 100"):
        scope.acquire(2, 4e-5, 100)
