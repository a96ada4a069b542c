"""Barrier breakdown (Weibull TDDB, E-model) and back-hopping, against independent fits and closed forms."""

import math

import numpy as np
import pytest
from scipy import stats

from mtjhw.simulators.bench.bias import Bias
from mtjhw.simulators.bench.pmtj import MacrospinPerpendicularMTJ, PerpendicularMTJ
from mtjhw.simulators.physics.breakdown import BackHopping, Barrier, BreakdownLaw, with_escape
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.switching_laws import SwitchLaw

LAW = BreakdownLaw(v_breakdown=1.5, gamma=20.0, beta=2.0)
N = 3000


def constant_stress_times(law, voltage, n=N, seed=1):
    """Times to breakdown (s) of ``n`` barriers held at ``voltage``, found by stressing them in 1 % log steps."""
    barrier = Barrier(law, np.random.default_rng(seed), (n,))
    eta = float(law.eta(voltage))
    edges = eta * np.geomspace(1e-3, 30.0, 1200)
    t_bd = np.full(n, np.inf)
    previous = 0.0
    for t in edges:
        before = barrier.broken
        barrier.stress(voltage, t - previous)
        t_bd[barrier.broken & ~before] = t
        previous = t
    assert np.isfinite(t_bd).all()
    return t_bd


def test_constant_stress_is_weibull_with_the_law_s_eta_and_beta():
    for voltage in (1.3, 1.6):
        t_bd = constant_stress_times(LAW, voltage)
        beta, _loc, eta = stats.weibull_min.fit(t_bd, floc=0)
        assert beta == pytest.approx(LAW.beta, rel=0.05)  # 1σ of β from 3000 devices: 1.4 %
        assert eta == pytest.approx(float(LAW.eta(voltage)), rel=0.03)  # 1σ: 1 %, plus 1 % time steps


def test_voltage_acceleration_of_the_fitted_eta_is_the_e_model():
    eta = [stats.weibull_min.fit(constant_stress_times(LAW, v, seed=k), floc=0)[2] for k, v in enumerate((1.2, 1.7))]
    assert math.log(eta[0] / eta[1]) / 0.5 == pytest.approx(LAW.gamma, rel=0.03)


def ramp_breakdown_voltages(law, rate, v_step, n=N, seed=2):
    """V_bd of ``n`` barriers under a staircase ramp (``v_step`` V held ``v_step/rate`` s), 0 V upward."""
    barrier = Barrier(law, np.random.default_rng(seed), (n,))
    v_bd = np.full(n, np.nan)
    for v in np.arange(1, 400) * v_step:
        before = barrier.broken
        barrier.stress(v, v_step / rate)
        v_bd[barrier.broken & ~before] = v
    assert np.isfinite(v_bd).all()
    return v_bd


def test_ramp_breakdown_follows_the_constant_stress_weibull():
    """The V_bd distribution of a 1 V/s ramp is the one the constant-stress fits (β, η(V)) predict: the
    cumulative-damage rule, D = Σ dt/η(V) against a life drawn once."""
    rate, v_step = 1.0, 0.005
    v_bd = ramp_breakdown_voltages(LAW, rate, v_step)
    fits = [stats.weibull_min.fit(constant_stress_times(LAW, v, seed=5 + k), floc=0) for k, v in enumerate((1.4, 1.8))]
    beta = np.mean([f[0] for f in fits])
    gamma = math.log(fits[0][2] / fits[1][2]) / 0.4
    v_breakdown = 1.4 + math.log(fits[0][2]) / gamma  # η = 1 s there
    predicted = BreakdownLaw(v_breakdown, gamma, beta)
    for q in (0.1, 0.5, 0.9):
        v = np.quantile(v_bd, q)
        # F at the empirical quantile, from the constant-stress law; the staircase resolves one step
        f_lo, f_hi = (predicted.failure_probability(predicted.ramp_damage(v + dv, rate, v_step)) for dv in
                      (-v_step, v_step))
        assert f_lo - 0.03 < q < f_hi + 0.03
    # the exact staircase law at every level: within the 1 % Kolmogorov–Smirnov band
    levels = np.unique(v_bd)
    empirical = np.searchsorted(np.sort(v_bd), levels, side="right") / v_bd.size
    assert np.abs(empirical - LAW.failure_probability(LAW.ramp_damage(levels, rate, v_step))).max() < 1.63 / N ** 0.5


def test_damage_accumulates_over_pulses():
    """Pulses of ``width`` at V separated by rests at 0 V: the pulse count to breakdown times the width is the
    constant-stress Weibull (the rests add nothing)."""
    width, voltage = 2e-3, 1.6
    barrier = Barrier(LAW, np.random.default_rng(7), (N,))
    pulses = np.zeros(N)
    for k in range(1, 4000):
        alive = ~barrier.broken
        barrier.stress(voltage, width)
        barrier.stress(0.0, 1e-3)
        pulses[alive & barrier.broken] = k
    assert (pulses > 0).all()
    beta, _loc, eta = stats.weibull_min.fit(pulses * width, floc=0)
    assert beta == pytest.approx(2.0, rel=0.05)
    assert eta == pytest.approx(float(LAW.eta(voltage)), rel=0.04)
    one = Barrier(LAW, np.random.default_rng(0))
    for _ in range(10):
        one.stress(voltage, width)
    assert float(one.damage) == pytest.approx(10 * width / float(LAW.eta(voltage)), rel=1e-12)


def test_read_biases_of_the_examples_do_not_wear_the_barrier():
    """A day at a 0.1 V read bias and a minute at 0.8 V (the highest write bias the shipped examples use) leave a
    breakdown probability below 1e-6 with the defaults."""
    damage = 86400 / float(LAW.eta(0.1)) + 60 / float(LAW.eta(0.8))
    assert float(LAW.failure_probability(damage)) < 1e-6


def test_a_bench_dut_breaks_down_under_stress_and_reads_short():
    dut = PerpendicularMTJ(seed=3)
    rng = np.random.default_rng(0)
    life_time = float(dut.barrier.life) * float(dut.breakdown_law.eta(1.6))
    dut.advance(0.9 * life_time, Bias("V", 1.6), 0.0, rng)
    assert not dut.broken
    dut.advance(0.2 * life_time, Bias("V", 1.6), 0.0, rng)
    assert dut.broken and dut.resistance(0.01) == dut.r_short
    assert PerpendicularMTJ(seed=4).barrier.life != float(dut.barrier.life)  # each seed its own device


def test_backhopping_rate_law_limits():
    off = BackHopping()
    assert not off.on and off.rate(1.0) == 0.0
    hop = BackHopping(i_backhop=200e-6, delta=60.0, tau=1e-9)
    assert hop.rate(200e-6) == hop.rate(-300e-6) == pytest.approx(1e9)  # at and above: the attempt rate
    assert hop.rate(0.0) == pytest.approx(math.exp(-60) * 1e9)  # no current: the reference layer's full barrier
    assert hop.rate(100e-6) == pytest.approx(math.exp(-15) * 1e9)  # Δ(1 − I/I_bh)², n = 2
    assert hop.rates(300e-6, 250e-6) == (pytest.approx(1e9), 0.0)  # positive current: only P is left
    assert hop.rates(-250e-6, -300e-6) == (0.0, pytest.approx(1e9))
    with pytest.raises(ValueError, match="i_backhop"):
        BackHopping(i_backhop=-1.0)


def test_backhop_escape_combines_with_a_switch_law_as_an_independent_process():
    exponential = with_escape(SwitchLaw(1e-6, 2e6), 3e6)
    assert exponential.probability == pytest.approx(1 - math.exp(-5.0))
    times = np.linspace(0, 1e-6, 101)
    cdf = 1 - np.exp(-((times / 4e-7) ** 3))
    law = with_escape(SwitchLaw(1e-6, 0.0, times, cdf), 1e6)
    assert law.probability == pytest.approx(1 - math.exp(-(2.5 ** 3)) * math.exp(-1.0))
    assert with_escape(exponential, 0.0) is exponential


def test_backhopping_junction_telegraphs_and_its_switching_probability_falls_at_high_bias():
    """With back-hopping on, a long interval at high bias ends in P with the occupation of the two escape
    rates, and a pulse's P_sw (AP → P) falls again at high amplitude; without it, it stays at 1."""
    rng = np.random.default_rng(4)
    plain, hopping = PerpendicularMTJ(h_offset=0.0), PerpendicularMTJ(h_offset=0.0, i_backhop=250e-6)
    bias = Bias("V", 1.2)  # 240 µA in P: 4 Ic0, 0.96 i_backhop
    k_p = hopping._backhop_rates(bias)[0]
    k_ap = hopping.rates(bias, 0.0)[1]
    hopping.advance(1e-5, bias, 0.0, rng)
    assert hopping.switch_count > 100  # telegraph at high bias
    v, i = hopping.advance(1e-4, bias, 0.0, rng)
    (_, i_p), (_, i_ap) = (hopping._operating_point(s, bias) for s in (STATE_P, STATE_AP))
    assert (i - i_ap) / (i_p - i_ap) == pytest.approx(k_ap / (k_ap + k_p), abs=0.03)
    for dut in (plain, hopping):
        p_sw = []
        for voltage in (0.7, 1.5):
            ends = []
            for _ in range(300):
                dut.state = STATE_AP
                dut.advance(50e-9, Bias("V", voltage), 0.0, rng)
                ends.append(dut.state == STATE_P)
            p_sw.append(np.mean(ends))
        if dut is plain:
            assert min(p_sw) > 0.98
        else:
            assert p_sw[0] > 0.98 and p_sw[1] < 0.5


def test_pulse_bursts_back_hop_too_and_scope_traces_refuse_a_back_hopping_bias():
    rng = np.random.default_rng(5)
    steps = [(50e-9, 1.5, False), (1e-6, 0.0, True)]  # a 1.5 V pulse, then a reading window at the DC bias
    fractions = {}
    for name, dut in (("plain", PerpendicularMTJ(h_offset=0.0)),
                      ("hopping", PerpendicularMTJ(h_offset=0.0, i_backhop=250e-6))):
        fractions[name] = float(np.mean(dut.run_timeline(steps, 400, Bias("V", 0.01), 0.01, 0.0, rng)[0]))
    assert fractions["plain"] == 1.0 and fractions["hopping"] < 0.5
    with pytest.raises(ValueError, match="back-hopping"):
        PerpendicularMTJ(i_backhop=250e-6).trajectory(1e-6, Bias("V", 1.3), 0.0, rng)
    with pytest.raises(ValueError, match="engine fast"):
        MacrospinPerpendicularMTJ(i_backhop=250e-6)
