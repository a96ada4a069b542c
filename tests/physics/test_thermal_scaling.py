"""Temperature physics of the pmtj bench DUT: identity at t_ref, the Callen–Callen scaling of Δ and Hk, the two
engines' telegraph dwell times at two temperatures, and Joule heating as an Arrhenius shift of the dwell."""

import math

import numpy as np
import pytest

from mtjhw.simulators.bench.bias import Bias
from mtjhw.simulators.bench.pmtj import MacrospinPerpendicularMTJ, PerpendicularMTJ
from mtjhw.simulators.physics.macrospin import Drive, Macrospin
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.telegraph import HysteresisDwellCounter, TelegraphMTJ
from mtjhw.simulators.physics.thermal_scaling import ThermalScaling

#: a small-Δ junction whose dwell times the sLLGS reaches in a few µs
SMALL = dict(delta=4.5, hk=0.5, alpha=0.2, h_offset=0.0, ic0=20e-6, t_curie=1000.0, anisotropy_exponent=2.5)


def bloch(t, t_ref=300.0, t_curie=1000.0):
    return (1 - (t / t_curie) ** 1.5) / (1 - (t_ref / t_curie) ** 1.5)


def test_at_t_ref_the_device_is_the_bench_files():
    dut = PerpendicularMTJ(temperature=300.0, t_ref=300.0)
    legacy = TelegraphMTJ(dut.params)  # the physics as it was before temperature scaling
    for bias in (Bias.open_circuit(), Bias("V", 0.3), Bias("I", -40e-6)):
        drive = vars(dut._constant(bias, -0.03))
        assert dut.rates(bias, -0.03) == tuple(float(r[0]) for r in legacy.rates(**drive))
    assert (dut.r_p, dut.tmr) == (5000.0, 1.2)
    macrospin = MacrospinPerpendicularMTJ(temperature=300.0)
    assert macrospin._macrospin.ms == 1.0e6 and macrospin._macrospin.hk == 0.08
    assert float(macrospin._macrospin.delta()) == pytest.approx(45.0, rel=1e-12)


@pytest.mark.parametrize("n", [2.0, 2.5, 3.0])
def test_delta_and_hk_follow_the_callen_callen_power_of_ms(n):
    dut = PerpendicularMTJ(delta=45.0, hk=0.08, ic0=60e-6, t_curie=900.0, anisotropy_exponent=n)
    for t in (50.0, 200.0, 400.0, 600.0):
        dut.temperature = t
        m = bloch(t, t_curie=900.0)
        assert float(dut.physics.delta_now[0]) * t / (45.0 * 300.0) == pytest.approx(m ** n, rel=1e-12)
        assert float(dut.physics.hk[0]) / 0.08 == pytest.approx(m ** (n - 1), rel=1e-12)
        assert float(dut.physics.ic0[0]) / 60e-6 == pytest.approx(m ** n, rel=1e-12)


def test_tmr_follows_julliere_with_shangs_polarisation_and_rp_its_coefficient():
    dut = PerpendicularMTJ(tmr=1.2, r_p=5000.0, polarisation_a=2e-5, rp_tcr=-2e-4)
    dut.temperature = 50.0
    p0 = math.sqrt(1.2 / 3.2) / (1 - 2e-5 * 300.0 ** 1.5)  # Jullière at t_ref, then P = P0(1 − a T^1.5)
    p = p0 * (1 - 2e-5 * 50.0 ** 1.5)
    assert dut.tmr == pytest.approx(2 * p * p / (1 - p * p), rel=1e-12)
    assert dut.r_p == pytest.approx(5000.0 * (1 + 2e-4 * 250.0), rel=1e-12)
    assert dut.resistance_of(STATE_AP, 0.0) == pytest.approx(dut.r_p * (1 + dut.tmr), rel=1e-12)


@pytest.mark.parametrize("bad, match", [(dict(t_curie=250.0), "t_ref < t_curie"),
                                        (dict(anisotropy_exponent=0.5), "anisotropy_exponent"),
                                        (dict(polarisation_a=-1e-5), "polarisation_a")])
def test_bad_scaling_parameters_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        ThermalScaling(**bad)


def test_a_temperature_above_curie_is_refused():
    dut = PerpendicularMTJ(t_curie=800.0)
    with pytest.raises(ValueError, match="Curie"):
        dut.temperature = 850.0


def macrospin_dwell(dut: MacrospinPerpendicularMTJ, rng: np.random.Generator, n=64, chunks=30, chunk=20000):
    """Mean dwell time (s), P and AP pooled, of ``n`` copies of the macrospin engine's free layer at zero drive."""
    mag = Macrospin(dut._macrospin, n=n, m0=(0.0, 0.0, 1.0))
    counter = HysteresisDwellCounter(n, dut.dt, threshold=0.5)
    for _ in range(chunks):
        counter.update(mag.run(chunk * dut.dt, dut.dt, drive=Drive(), rng=rng, record_every=1).m[..., 2])
    dwell = np.concatenate(counter.dwell_times())
    assert dwell.size > 1000
    return float(np.mean(dwell))


@pytest.mark.parametrize("temperature", [270.0, 360.0])
def test_dwell_at_two_temperatures_is_the_macrospin_engines(temperature):
    """The fast engine's zero-bias dwell time against sLLGS runs of the macrospin engine's own free layer (Ms(T),
    Hk(T), thermal field at T): within 10 %; the two temperatures differ by a factor ≈ 9."""
    fast = PerpendicularMTJ(temperature=temperature, **SMALL)
    ms = MacrospinPerpendicularMTJ(temperature=temperature, **SMALL)
    expected = 1 / fast.rates(Bias.open_circuit(), 0.0)[0]
    assert macrospin_dwell(ms, np.random.default_rng(int(temperature))) == pytest.approx(expected, rel=0.1)


def heated_dwells(dut: PerpendicularMTJ, bias: Bias, rng: np.random.Generator, duration=4e-4, steps=400):
    """Mean dwell times (s) in P and AP of the DUT under ``bias``, sampled interval by interval."""
    v_p, i_p = dut._operating_point(STATE_P, bias)
    v_ap, i_ap = dut._operating_point(STATE_AP, bias)
    in_p, switches = 0.0, dut.switch_count
    for _ in range(steps):
        _v, i = dut.advance(duration / steps, bias, 0.0, rng)
        in_p += (i - i_ap) / (i_p - i_ap) * duration / steps
    pairs = (dut.switch_count - switches) / 2
    assert pairs > 2000
    return in_p / pairs, (duration - in_p) / pairs


def test_joule_heating_shifts_the_dwell_to_the_arrhenius_law_of_the_heated_junction():
    """Under 0.4 V the junction dissipates V²/R in each state; with R_th = 1e6 K/W it sits 32 K (P) and 20 K
    (AP) above the bath, and each dwell is that of the unheated device at its own heated temperature."""
    small = SMALL | dict(ic0=1.0, r_p=5000.0, tmr=1.0)  # Ic0 far above the bias: heating alone moves the rates
    bias = Bias("V", 0.4)
    hot = PerpendicularMTJ(temperature=300.0, r_thermal=1e6, **small)
    dwell_p, dwell_ap = heated_dwells(hot, bias, np.random.default_rng(3))
    for state, measured in ((STATE_P, dwell_p), (STATE_AP, dwell_ap)):
        v, i = hot._operating_point(state, bias)
        junction = PerpendicularMTJ(temperature=300.0 + 1e6 * v * i, **small)
        expected = 1 / junction.rates(bias, 0.0)[0 if state == STATE_P else 1]
        assert measured == pytest.approx(expected, rel=0.1), state
    cold = PerpendicularMTJ(temperature=300.0, **small).rates(bias, 0.0)
    assert dwell_p < 0.7 / cold[0]  # the heating is seen: 32 K shortens the dwell in P by about 45 %
