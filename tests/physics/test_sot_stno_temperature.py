"""Temperature physics of the sot-mtj and stno bench DUTs against closed forms written out here: Bloch's Ms(T),
the Callen–Callen Hk(T), Δ = Ms·μ0Hk·V/(2kBT), the SOT threshold, Jullière/Shang TMR and R_P(T), the Kittel
frequency and threshold of the oscillator with μ0Meff(T) = μ0Ms(T) − μ0Hk⊥(T), its phase-diffusion linewidth
∝ Γ_G·kBT/λ, and the identity at the bench file's temperature."""

import math

import pytest
from scipy.constants import e, hbar, k, mu_0, physical_constants

from mtjhw.simulators.bench.devices import OscillatorDevice
from mtjhw.simulators.bench.sot import SOTMTJ
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.sot import SOTJunction, SOTParams
from mtjhw.simulators.physics.stno import STNOParams

GAMMA = physical_constants["electron gyromag. ratio"][0]  # rad/(s·T)
#: the sot-mtj defaults (SI)
MS, HK, T_F, DIAMETER, WIDTH, T_HM, THETA = 1.0e6, 0.15, 1.0e-9, 56e-9, 200e-9, 5e-9, 0.3


def bloch(t, t_ref=300.0, t_curie=1000.0):
    """m = Ms(T)/Ms(t_ref)."""
    return (1 - (t / t_curie) ** 1.5) / (1 - (t_ref / t_curie) ** 1.5)


def julliere(tmr_ref, t, t_ref=300.0, a=2e-5):
    """TMR at t of a junction with ``tmr_ref`` at t_ref: P = P0(1 − a·T^{3/2}), TMR = 2P²/(1 − P²)."""
    p = math.sqrt(tmr_ref / (2 + tmr_ref)) * (1 - a * t**1.5) / (1 - a * t_ref**1.5)
    return 2 * p * p / (1 - p * p)


@pytest.mark.parametrize("n", [2.0, 2.5, 3.0])
def test_sot_barrier_and_threshold_follow_ms_and_hk(n):
    dut = SOTMTJ(anisotropy_exponent=n, t_curie=900.0)
    volume = math.pi * DIAMETER**2 / 4 * T_F
    for t in (77.0, 250.0, 400.0):
        dut.temperature = t
        m = bloch(t, t_curie=900.0)
        ms, hk = MS * m, HK * m ** (n - 1)
        assert dut.delta() == pytest.approx(ms * hk * volume / (2 * k * t), rel=1e-9)
        # zero in-plane field: a_DL = μ0Hk·g(0) = μ0Hk/2, a_DL per ampere ħθ_SH/(2e Ms t_F w t_HM)
        assert dut.critical_current(+1) == pytest.approx(hk * e * ms * T_F * WIDTH * T_HM / (hbar * THETA), rel=1e-9)
        assert dut.physics.params.ic0_stt() == pytest.approx(
            2 * e * 0.02 * ms * volume * hk / (hbar * 0.6), rel=1e-9)


def test_sot_delta_ratio_between_two_temperatures_is_ms_hk_over_t():
    dut = SOTMTJ()
    cold, hot = 150.0, 420.0
    dut.temperature = cold
    delta_cold = dut.delta()
    dut.temperature = hot
    expected = (bloch(hot) ** 2.5 / hot) / (bloch(cold) ** 2.5 / cold)  # m·m^{n−1}/T, n = 2.5
    assert dut.delta() / delta_cold == pytest.approx(expected, rel=1e-9)
    assert dut.delta() / delta_cold < 0.3  # the test has something to see


def test_sot_junction_resistance_follows_julliere_and_its_coefficient():
    dut = SOTMTJ(r_p=5000.0, tmr=1.2, rp_tcr=-2e-4)
    dut.temperature = 10.0
    r_p = 5000.0 * (1 + 2e-4 * 290.0)
    assert dut.resistance_of(STATE_P, 0.0) == pytest.approx(r_p, rel=1e-12)
    assert dut.resistance_of(STATE_AP, 0.0) == pytest.approx(r_p * (1 + julliere(1.2, 10.0)), rel=1e-12)


def test_sot_parameters_apply_at_t_ref():
    dut = SOTMTJ(temperature=200.0, t_ref=300.0)
    assert dut.temperature == 200.0
    assert dut.physics.params.ms == pytest.approx(MS * bloch(200.0), rel=1e-12)
    dut.temperature = 300.0
    assert (dut.physics.params.ms, dut.physics.params.hk, dut.r_p, dut.tmr) == (MS, HK, 5000.0, 1.2)


def test_sot_at_the_bench_files_temperature_is_unchanged():
    dut = SOTMTJ(temperature=250.0, hk=0.2, ms=0.9e6)
    legacy = SOTJunction(SOTParams(hk=0.2, ms=0.9e6, temperature=250.0))  # the physics before it followed T
    assert dut.physics.params == legacy.params and (dut.r_p, dut.tmr) == (5000.0, 1.2)
    dut.temperature = 320.0
    dut.temperature = 250.0
    assert dut.physics.params == legacy.params and dut.delta() == legacy.params.delta()


def meff(t, ms=1.1e6, mu0_meff=1.0, n=2.5):
    """μ0Meff(T) = μ0Ms·m − μ0Hk⊥·m^{n−1}, μ0Hk⊥ = μ0Ms − μ0Meff at t_ref."""
    m = bloch(t)
    return mu_0 * ms * m - (mu_0 * ms - mu0_meff) * m ** (n - 1)


@pytest.mark.parametrize(("ms", "mu0_meff"), [(1.1e6, 1.0), (0.9e6, 0.6)])
def test_stno_kittel_frequency_and_threshold_follow_meff(ms, mu0_meff):
    dut = OscillatorDevice(ms=ms, mu0_meff=mu0_meff)
    field, volume, beta = 0.05, 1.2e-23, 0.6 * math.pi
    frequencies = {}
    for t in (40.0, 300.0, 450.0):
        dut.temperature = t
        m_eff = meff(t, ms, mu0_meff)
        frequencies[t] = GAMMA / (2 * math.pi) * math.sqrt(field * (field + m_eff))
        assert float(dut.physics.fmr_frequency(field)) == pytest.approx(frequencies[t], rel=1e-8)  # CODATA γ
        i_th = 2 * e * 0.01 * ms * bloch(t) * volume * (field + m_eff / 2) / (hbar * 0.5 * -math.cos(beta))
        assert float(dut.physics.threshold_current(field)) == pytest.approx(i_th, rel=1e-9)
    assert frequencies[40.0] / frequencies[450.0] > 1.05  # a shift the test resolves


def test_stno_linewidth_follows_the_thermal_phase_diffusion():
    """Far above threshold with ν = 0 the line is Lorentzian, FWHM = Γ_G(1 + Qp)kBT/(2πλp), p ≈ p0 = (ζ − 1)/(ζ + Q):
    Γ_G = αγ(μ0H + μ0Meff/2) and λ = 2MsVω0/γ follow Ms(T) and Meff(T), kBT the bath."""
    field, zeta, q = 0.05, 2.0, 1.0
    dut = OscillatorDevice(i_th=1e-3, nonlinearity=0.0, q=q)
    p0 = (zeta - 1) / (zeta + q)
    widths = {}
    for t in (100.0, 300.0, 400.0):
        dut.temperature = t
        omega0 = GAMMA * math.sqrt(field * (field + meff(t)))
        gamma_g = 0.01 * GAMMA * (field + meff(t) / 2)
        lam = 2 * 1.1e6 * bloch(t) * 1.2e-23 * omega0 / GAMMA
        widths[t] = dut.physics.linewidth(zeta * 1e-3, field)
        assert widths[t] == pytest.approx(gamma_g * (1 + q * p0) * k * t / (lam * p0) / (2 * math.pi), rel=0.01)
    assert widths[400.0] / widths[100.0] > 4  # ∝ T, more through Ms and Meff


def test_stno_at_the_bench_files_temperature_is_unchanged():
    dut = OscillatorDevice(temperature=250.0, mu0_meff=0.8, tmr=0.9)
    assert dut.physics.params == STNOParams(temperature=250.0, mu0_meff=0.8, tmr=0.9)
    dut.temperature = 390.0
    assert dut.physics.params.r_p == pytest.approx(600.0 * (1 - 2e-4 * 140.0), rel=1e-12)
    assert dut.physics.params.tmr == pytest.approx(julliere(0.9, 390.0, t_ref=250.0), rel=1e-12)
    dut.temperature = 250.0
    assert dut.physics.params == STNOParams(temperature=250.0, mu0_meff=0.8, tmr=0.9)


def test_stno_whose_anisotropy_would_turn_it_perpendicular_is_refused():
    dut = OscillatorDevice(mu0_meff=0.05)  # μ0Hk⊥ = 1.33 T of μ0Ms = 1.38 T: Meff < 0 on cooling
    with pytest.raises(ValueError, match="no longer in-plane"):
        dut.temperature = 10.0
    with pytest.raises(ValueError, match="paramagnetic above its Curie temperature"):
        SOTMTJ(temperature=1200.0, t_ref=300.0)
