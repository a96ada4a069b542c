"""Domain-wall and compound MTJ synapses: levels, LTP/LTD, creep statistics, stochastic switching."""

import numpy as np
import pytest
from scipy import stats

from mtjhw.simulators.physics.neel_brown import STATE_AP, escape_rate, switching_probability
from mtjhw.simulators.physics.synapse import CompoundParams, CompoundSynapse, DomainWallParams, DomainWallSynapse


def one_site_pulse(p):
    """Pulse width that makes the wall travel exactly 1.5 site spacings at twice the depinning current."""
    spacing = p.track_length / (p.n_sites - 1)
    return 1.5 * spacing / (p.mobility * p.i_dep)


def test_dw_synapse_ltp_ltd_staircase():
    p = DomainWallParams(n_sites=8, sigma_c2c=0.0, site_jitter=0.0)
    syn = DomainWallSynapse(p, n=1)
    g_ap, g_p = 1 / (p.r_p * (1 + p.tmr)), 1 / p.r_p
    assert syn.conductance()[0] == pytest.approx(g_ap)
    width = one_site_pulse(p)
    rng = np.random.default_rng(0)
    g = [syn.conductance()[0]]
    for _ in range(10):
        syn.apply_pulse(2 * p.i_dep, width, rng)
        g.append(syn.conductance()[0])
    # one site per pulse, equal steps, saturating at the parallel conductance after n_sites − 1 pulses
    steps = np.diff(g)
    assert np.allclose(steps[:7], (g_p - g_ap) / 7)
    assert np.allclose(steps[7:], 0)
    assert g[-1] == pytest.approx(g_p)
    for _ in range(3):
        syn.apply_pulse(-2 * p.i_dep, width, rng)
    assert syn.site[0] == 4
    # below depinning with a high pinning barrier nothing moves
    assert syn.apply_pulse(0.5 * p.i_dep, 1e-6, rng)[0] == 0


def test_dw_synapse_cycle_to_cycle_noise_and_variability():
    p = DomainWallParams(n_sites=32, sigma_c2c=0.3, site_jitter=0.0)
    syn = DomainWallSynapse(p, n=4000)
    moved = syn.apply_pulse(2 * p.i_dep, 4 * one_site_pulse(p), np.random.default_rng(2))
    # travel D = 6 spacings × (1 + 0.3 ξ); the wall stops at the last site passed: E[moved] = Σ_k P(D ≥ k)
    expected = sum(stats.norm.sf((k / 6 - 1) / 0.3) for k in range(1, 32))
    assert np.mean(moved) == pytest.approx(expected, abs=0.1)
    assert np.std(moved) > 1.0
    jittered = DomainWallSynapse(DomainWallParams(site_jitter=0.2), n=200, rng=np.random.default_rng(1))
    spacing = np.diff(jittered.sites, axis=1)
    assert np.all(spacing > 0) and np.std(spacing) > 0.05 * np.mean(spacing)


def test_dw_creep_is_poisson_with_activated_rate():
    p = DomainWallParams(n_sites=200, pin_delta=20.0, tau0=1e-9, site_jitter=0.0)
    syn = DomainWallSynapse(p, n=4000)
    current, width = 0.6 * p.i_dep, 1e-6
    rate = 1e9 * np.exp(-20.0 * 0.4)
    moved = syn.apply_pulse(current, width, np.random.default_rng(3))
    assert np.mean(moved) == pytest.approx(rate * width, rel=0.03)
    assert np.var(moved) == pytest.approx(rate * width, rel=0.1)


@pytest.mark.parametrize("arrangement", ["parallel", "series"])
def test_compound_synapse_levels_and_switching_statistics(arrangement):
    p = CompoundParams(n_devices=4, arrangement=arrangement, sigma_delta=0.0, sigma_pulse=0.0, delta=40.0)
    syn = CompoundSynapse(p, n=5000)
    g_ap = 1 / (p.r_p * (1 + p.tmr))
    g_all_ap = 4 * g_ap if arrangement == "parallel" else g_ap / 4
    assert syn.conductance() == pytest.approx(np.full(5000, g_all_ap))
    amplitude, width = 0.9 * p.ic0, 20e-9
    p_sw = float(
        switching_probability(escape_rate(STATE_AP, 40.0, 1e-9, current=amplitude, ic0=p.ic0), width)
    )
    assert 0.1 < p_sw < 0.9
    d_level = syn.apply_pulse(amplitude, width, np.random.default_rng(4))
    # each device is an independent Bernoulli trial: the level is binomial(4, p_sw)
    assert np.mean(d_level) == pytest.approx(4 * p_sw, abs=0.05)
    assert np.var(d_level) == pytest.approx(4 * p_sw * (1 - p_sw), rel=0.1)
    # conductance is set by the number of parallel-state devices
    lv = syn.level
    g_p = 1 / p.r_p
    if arrangement == "parallel":
        expected = lv * g_p + (4 - lv) * g_ap
    else:
        expected = 1 / (lv / g_p + (4 - lv) / g_ap)
    assert syn.conductance() == pytest.approx(expected)


def test_compound_synapse_variability_and_validation():
    syn = CompoundSynapse(CompoundParams(sigma_delta=3.0), n=100, rng=np.random.default_rng(5))
    assert np.std(syn.devices.delta) == pytest.approx(3.0, rel=0.15)
    with pytest.raises(ValueError, match="arrangement"):
        CompoundParams(arrangement="mesh")
    with pytest.raises(ValueError, match="rng"):
        CompoundSynapse(CompoundParams(sigma_delta=1.0))
    with pytest.raises(ValueError, match="n_sites"):
        DomainWallParams(n_sites=1)
