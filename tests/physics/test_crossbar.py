"""Crossbar array: variability statistics, stuck-at faults, series/parallel reads, wire resistance, writes."""

import numpy as np
import pytest

from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P, escape_rate, switching_probability


def test_device_to_device_variability_statistics():
    p = CrossbarParams(sigma_log_rp=0.1, sigma_tmr=0.08, sigma_delta=4.0, stuck_at_p=0.02, stuck_at_ap=0.03)
    xb = CrossbarArray(128, 128, p, rng=np.random.default_rng(1))
    assert np.std(np.log(xb.r_p)) == pytest.approx(0.1, rel=0.05)
    assert np.median(xb.r_p) == pytest.approx(p.r_p, rel=0.01)
    assert np.std(xb.tmr) == pytest.approx(0.08, rel=0.05)
    assert np.std(xb.delta) == pytest.approx(4.0, rel=0.05)
    assert np.mean(xb.stuck == STATE_P) == pytest.approx(0.02, abs=0.004)
    assert np.mean(xb.stuck == STATE_AP) == pytest.approx(0.03, abs=0.004)
    assert np.all(xb.state[xb.stuck != 0] == xb.stuck[xb.stuck != 0])


def test_series_column_read_and_tdc_charging_time():
    p = CrossbarParams(r_wire=2.0, sigma_log_rp=0.1)
    xb = CrossbarArray(8, 4, p, rng=np.random.default_rng(2))
    xb.state[:4, :] = STATE_P
    r = xb.read_series_columns()
    assert r == pytest.approx(xb.resistances().sum(axis=0) + 8 * 2.0)
    t = xb.charging_times(1e-12, 1.0, 0.5)
    assert t == pytest.approx(r * 1e-12 * np.log(2.0))
    # at bias the antiparallel cells lose TMR, so the column resistance falls
    assert np.all(xb.read_series_columns(voltage=2.0) < r)


def test_parallel_read_is_vector_matrix_product_without_wires():
    xb = CrossbarArray(16, 8, CrossbarParams(), rng=np.random.default_rng(3))
    xb.state[np.random.default_rng(4).random((16, 8)) < 0.5] = STATE_P
    v = np.linspace(0.0, 0.2, 16)
    assert xb.read_parallel_columns(v) == pytest.approx(v @ xb.conductances())


def test_wire_resistance_network_matches_circuit_analysis():
    rw = 500.0
    xb = CrossbarArray(1, 2, CrossbarParams(r_wire=rw, sigma_log_rp=0.2), rng=np.random.default_rng(5))
    r1, r2 = xb.resistances()[0]
    v = 0.1
    b1, b2 = r1 + rw, r2 + 2 * rw
    rpar = b1 * b2 / (b1 + b2)
    vw0 = v * rpar / (rw + rpar)
    assert xb.read_parallel_columns([v]) == pytest.approx([vw0 / b1, vw0 / b2], rel=1e-9)
    # a large array: wire drop lowers the currents, most for the far corner; tiny wires recover the ideal
    big = CrossbarArray(32, 32, CrossbarParams(r_wire=5.0), rng=np.random.default_rng(6))
    ideal = np.full(32, 0.1) @ big.conductances()
    real = big.read_parallel_columns(np.full(32, 0.1))
    assert np.all(real < ideal) and (1 - real[-1] / ideal[-1]) > (1 - real[0] / ideal[0])
    big.params.r_wire = 1e-6
    assert big.read_parallel_columns(np.full(32, 0.1)) == pytest.approx(ideal, rel=1e-6)


def test_stochastic_writes_follow_neel_brown_and_stuck_cells_never_switch():
    p = CrossbarParams(sigma_delta=0.0, delta=45.0, stuck_at_ap=0.05)
    xb = CrossbarArray(64, 64, p, rng=np.random.default_rng(7))
    amplitude, width = 55e-6, 10e-9
    p_sw = float(
        switching_probability(escape_rate(STATE_AP, 45.0, 1e-9, current=amplitude, ic0=60e-6), width)
    )
    assert 0.2 < p_sw < 0.8
    ok = xb.program(np.full((64, 64), STATE_P), np.random.default_rng(8), amplitude, width, max_attempts=1)
    free = xb.stuck == 0
    assert np.mean(ok[free]) == pytest.approx(p_sw, abs=4 * np.sqrt(p_sw / free.sum()))
    ok = xb.program(np.full((64, 64), STATE_P), np.random.default_rng(9), amplitude, width, max_attempts=120)
    assert np.all(ok == free)
    r, c = np.argwhere(~free)[0]
    assert xb.write(r, c, STATE_P, np.random.default_rng(0), max_attempts=5) == -1
    assert xb.write_probability(r, c, STATE_P, 1e-3, 1e-6) == 0.0
    # single-cell write back to AP with a strong negative pulse, verified
    r, c = np.argwhere(free)[0]
    assert xb.write(r, c, STATE_AP, np.random.default_rng(1), amplitude=120e-6, max_attempts=3) >= 1
    assert xb.state[r, c] == STATE_AP


def test_read_noise_and_validation():
    xb = CrossbarArray(4, 4, CrossbarParams(read_noise=0.01), rng=np.random.default_rng(10))
    reads = np.array([xb.read_series_columns(rng=np.random.default_rng(s)) for s in range(400)])
    assert np.std(reads / xb.resistances().sum(axis=0), axis=0) == pytest.approx(np.full(4, 0.01), rel=0.15)
    with pytest.raises(ValueError, match="rng"):
        xb.read_series_columns()
    with pytest.raises(ValueError, match="stuck_at"):
        CrossbarParams(stuck_at_p=0.7, stuck_at_ap=0.5)
    with pytest.raises(ValueError, match="voltages"):
        xb.read_parallel_columns([0.1, 0.2])
