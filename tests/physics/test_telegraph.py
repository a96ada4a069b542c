"""Event-driven Néel–Brown model: exponential dwell times, current/field dependence, pulses, thinning."""

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import quad

from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P, escape_rate
from mtjhw.simulators.physics.telegraph import ConstantDrive, TelegraphMTJ, TelegraphParams, TelegraphRecord


def test_dwell_times_are_exponential_with_neel_brown_mean():
    p = TelegraphParams(delta=5.0, tau0=1e-9, ic0=50e-6, hk=0.05)
    dev = TelegraphMTJ(p, n=16)
    rng = np.random.default_rng(3)
    current, field = 5e-6, 1e-3
    rec = dev.advance(2e-3, rng, current=current, field=field, record=True)
    dw_p, dw_ap = rec.dwell_times()
    r_p, r_ap = (
        escape_rate(STATE_P, 5.0, 1e-9, field, 0.05, current, 50e-6),
        escape_rate(STATE_AP, 5.0, 1e-9, field, 0.05, current, 50e-6),
    )
    for dw, rate in ((dw_p, r_p), (dw_ap, r_ap)):
        assert dw.size > 2000
        assert np.mean(dw) == pytest.approx(1 / rate, rel=0.05)
        assert stats.kstest(dw, "expon", args=(0, 1 / rate)).pvalue > 0.01
    # a wrong mean is rejected by the same test
    assert stats.kstest(dw_p, "expon", args=(0, 1.3 / r_p)).pvalue < 1e-6


@pytest.mark.parametrize("n_current", [1.0, 2.0])
def test_mean_dwell_follows_current_dependence(n_current):
    delta, ic0 = 6.0, 40e-6
    currents = np.array([-8e-6, -4e-6, 0.0, 4e-6, 8e-6])
    p = TelegraphParams(delta=delta, tau0=1e-9, ic0=ic0, n_current=n_current)
    dev = TelegraphMTJ(p, n=currents.size)
    rng = np.random.default_rng(5)
    rec = dev.advance(30e-3, rng, current=currents, record=True)
    for j, i in enumerate(currents):
        single = one_device(rec, j)
        dw_p, dw_ap = single.dwell_times()
        # dwell in AP shrinks and dwell in P grows with positive current: τ = τ0 exp(Δ(1 ∓ I/Ic0)^n)
        assert np.mean(dw_ap) == pytest.approx(1e-9 * np.exp(delta * (1 - i / ic0) ** n_current), rel=0.05)
        assert np.mean(dw_p) == pytest.approx(1e-9 * np.exp(delta * (1 + i / ic0) ** n_current), rel=0.05)


def one_device(rec, j):
    return TelegraphRecord(rec.t_start, rec.t_end, rec.initial_state[j : j + 1], [rec.switch_times[j]])


def test_field_and_offset_shift_the_balance():
    p = TelegraphParams(delta=5.0, hk=0.05, h_offset=2e-3)
    dev = TelegraphMTJ(p, n=1)
    # at the loop centre (field = h_offset) both states are equally stable
    r_p, r_ap = dev.rates(field=2e-3)
    assert r_p[0] == pytest.approx(r_ap[0])
    r_p, r_ap = dev.rates(field=5e-3)
    assert r_ap[0] > r_p[0]
    assert r_ap[0] * 1e-9 == pytest.approx(np.exp(-5.0 * (1 - 3e-3 / 0.05) ** 2))


def test_pulsed_switching_probability():
    p = TelegraphParams(delta=40.0, tau0=1e-9, ic0=100e-6)
    n = 20000
    rng = np.random.default_rng(9)
    for amplitude, width in ((90e-6, 50e-9), (95e-6, 5e-9)):
        dev = TelegraphMTJ(p, n=n, state=STATE_AP)
        switched = dev.apply_pulse(amplitude, width, rng)
        p_expected = -np.expm1(-width * escape_rate(STATE_AP, 40.0, 1e-9, 0.0, 0.08, amplitude, 100e-6))
        assert 0.05 < p_expected < 0.95
        sigma = np.sqrt(p_expected * (1 - p_expected) / n)
        assert abs(np.mean(switched) - p_expected) < 4 * sigma
        assert np.all(dev.state[switched] == STATE_P)


def test_piecewise_waveform_matches_pulse_train_statistics():
    p = TelegraphParams(delta=30.0, tau0=1e-9, ic0=100e-6)
    n = 20000
    rng = np.random.default_rng(2)
    dev = TelegraphMTJ(p, n=n, state=STATE_AP)
    # three 10 ns pulses of 60 µA separated by 20 ns rests
    dev.advance_waveform([10e-9, 20e-9] * 3, rng, currents=[60e-6, 0.0] * 3)
    r = escape_rate(STATE_AP, 30.0, 1e-9, 0.0, 0.08, 60e-6, 100e-6)
    p_expected = -np.expm1(-30e-9 * r)
    assert np.mean(dev.state == STATE_P) == pytest.approx(p_expected, abs=4 * np.sqrt(p_expected / n))
    assert dev.time == pytest.approx(90e-9)


def test_thinning_under_a_current_ramp_matches_integrated_hazard():
    delta, ic0, t_end = 30.0, 100e-6, 100e-9
    p = TelegraphParams(delta=delta, tau0=1e-9, ic0=ic0)
    n = 20000
    dev = TelegraphMTJ(p, n=n, state=STATE_AP)

    def ramp(t):
        return 70e-6 * np.asarray(t) / t_end

    dev.advance_drive(t_end, np.random.default_rng(4), current=ramp, max_current=70e-6)
    hazard = quad(lambda t: float(escape_rate(STATE_AP, delta, 1e-9, 0.0, 0.08, ramp(t), ic0)), 0, t_end)[0]
    p_expected = -np.expm1(-hazard)
    assert np.mean(dev.state == STATE_P) == pytest.approx(p_expected, abs=4 * np.sqrt(p_expected / n))
    with pytest.raises(ValueError, match="bound"):
        TelegraphMTJ(p, n=4000, state=STATE_AP).advance_drive(
            t_end, np.random.default_rng(0), current=ramp, max_current=60e-6
        )


def test_resistance_and_validation():
    dev = TelegraphMTJ(TelegraphParams(r_p=5000.0, tmr=1.0), n=2, state=[STATE_P, STATE_AP])
    assert dev.resistance().tolist() == pytest.approx([5000.0, 10000.0])
    with pytest.raises(ValueError, match="delta"):
        TelegraphMTJ(TelegraphParams(delta=-1.0))
    with pytest.raises(ValueError, match="n_current"):
        TelegraphMTJ(TelegraphParams(n_current=3.0))


def macrospin_params(**kw):
    return TelegraphParams(delta=45.0, hk=0.2, alpha=0.01, ic0=20e-6, **kw)


@pytest.mark.parametrize(("amplitude", "width"), [(100e-6, 2e-9), (12e-6, 1e-6)], ids=["precessional", "thermal"])
def test_macrospin_physics_pulses_switch_with_the_probability_of_their_law(amplitude, width):
    n = 20000
    dev = TelegraphMTJ(macrospin_params(), n=n, state=STATE_AP)
    laws, which = dev.switch_laws(STATE_AP, width, ConstantDrive(amplitude), ConstantDrive())
    p = laws[which[0]].probability
    assert 0.05 < p < 0.95
    switched = dev.apply_pulse(amplitude, width, np.random.default_rng(1))
    assert abs(np.mean(switched) - p) < 4 * np.sqrt(p * (1 - p) / n)
    # far above Ic0 a longer pulse always wins; the Néel–Brown model would stay below 1 − e^{−w/τ0}
    dev.state[:] = STATE_AP
    assert np.mean(dev.apply_pulse(10 * amplitude, 4 * width, np.random.default_rng(2))) > 0.999


def test_macrospin_physics_attempt_time_n_current_and_initial_angle():
    from mtjhw.simulators.physics.brown import attempt_time

    dev = TelegraphMTJ(macrospin_params(), n=1)
    assert dev.tau0[0] == pytest.approx(float(attempt_time(45.0, 0.01, 0.2)), rel=1e-3)
    assert dev.n_current == 2.0
    with pytest.raises(ValueError, match="exclude each other"):
        TelegraphMTJ(macrospin_params(tau0=1e-9))
    # a pulse from the narrower thermal cone of a stabilising current switches less often than from rest
    pulse = ConstantDrive(100e-6)
    from_rest = dev.switch_laws(STATE_AP, 2e-9, pulse, ConstantDrive())[0][0].probability
    from_hold = dev.switch_laws(STATE_AP, 2e-9, pulse, ConstantDrive(-15e-6))[0][0].probability
    assert from_hold < from_rest - 0.05
