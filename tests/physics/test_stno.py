"""STNO auto-oscillator (threshold, power, frequency shift, linewidth) and spin-torque diode lineshape."""

import math

import numpy as np
import pytest

from mtjhw.simulators.physics.constants import GAMMA_E_HZ, KB, MU0
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.stno import STNO, STNOParams

FIELD = 0.05


def test_kittel_frequency_in_plane():
    s = STNO(STNOParams(mu0_meff=1.2))
    assert float(s.fmr_frequency(0.1)) == pytest.approx(GAMMA_E_HZ * math.sqrt(0.1 * 1.3))
    with pytest.raises(ValueError, match="field"):
        s.fmr_frequency(-0.1)


def test_no_oscillation_below_threshold():
    s = STNO()
    current = 0.5 * s.params.i_th
    assert float(s.power(current)) == 0.0
    kt_over_lam = KB * 300.0 / float(s.energy_scale(FIELD))
    thermal = kt_over_lam / (1 - 0.5)
    assert s.mean_power(current, FIELD) == pytest.approx(thermal, rel=0.03)
    tr = s.simulate(400e-9, 20e-12, current, FIELD, np.random.default_rng(1), n=16, record_every=5)
    assert np.mean(tr.power) == pytest.approx(thermal, rel=0.1)
    assert np.mean(tr.power) < 0.01


@pytest.mark.parametrize("zeta", [1.5, 2.0])
def test_power_and_frequency_above_threshold(zeta):
    s = STNO()
    current = zeta * s.params.i_th
    p0 = (zeta - 1) / (zeta + s.params.q)
    assert float(s.power(current)) == pytest.approx(p0)
    assert s.mean_power(current, FIELD) == pytest.approx(p0, rel=0.02)
    tr = s.simulate(200e-9, 20e-12, current, FIELD, np.random.default_rng(2), n=8)
    assert np.mean(tr.power) == pytest.approx(p0, rel=0.03)
    phase = np.unwrap(np.angle(tr.c), axis=1)
    f_sim = -np.mean(np.polyfit(tr.t, phase.T, 1)[0]) / (2 * math.pi)
    f_expected = float(s.fmr_frequency(FIELD)) + s.params.nonlinearity * p0
    assert float(s.frequency(current, FIELD)) == pytest.approx(f_expected)
    assert f_sim == pytest.approx(f_expected, rel=0.01)


def test_generation_linewidth_from_phase_diffusion():
    s = STNO()
    current = 2.0 * s.params.i_th
    dt, lag = 20e-12, 40e-9
    tr = s.simulate(800e-9, dt, current, FIELD, np.random.default_rng(3), n=48)
    phase = np.unwrap(np.angle(tr.c), axis=1)
    k = int(lag / dt)
    dphi = phase[:, k:] - phase[:, :-k]
    var = np.var(dphi - np.mean(dphi, axis=1, keepdims=True))
    fwhm_sim = 2 * (var / (2 * lag)) / (2 * math.pi)  # Lorentzian FWHM = 2·D_φ
    assert fwhm_sim == pytest.approx(s.linewidth(current, FIELD), rel=0.15)
    # the nonlinear amplitude–phase coupling broadens the line by (1 + ν²) ≫ 1 here
    assert float(s.nu(current, FIELD)) ** 2 > 10


def test_voltage_psd_area_and_peak_match_time_domain():
    s = STNO(STNOParams(tmr=0.2))
    current = 1.5 * s.params.i_th
    tr = s.simulate(200e-9, 10e-12, current, FIELD, np.random.default_rng(4), n=8)
    f = np.linspace(1e9, 12e9, 200001)
    psd = s.voltage_psd(f, current, FIELD)
    area = np.sum(psd) * (f[1] - f[0])
    assert area == pytest.approx(np.var(tr.voltage, axis=1).mean(), rel=0.1)
    assert f[np.argmax(psd)] == pytest.approx(float(s.frequency(current, FIELD)), abs=1e5)
    r0 = float(s.resistance(current))
    assert s.psd(f[:3], current, FIELD, load_ohm=50.0) == pytest.approx(psd[:3] * 50.0 / (r0 + 50.0) ** 2)


def fit_lorentzians(f, v, f0, hwhm):
    x = (f - f0) / hwhm
    basis = np.stack([1 / (1 + x**2), x / (1 + x**2)], axis=1)
    return np.linalg.lstsq(basis, v, rcond=None)[0]


def test_diode_lineshape_symmetric_and_antisymmetric_parts():
    f = np.linspace(2e9, 12e9, 801)
    for beta in (0.0, 0.4):
        s = STNO(STNOParams(stt_fl_ratio=beta))
        v = s.diode_voltage(f, 0.08, 1e-6)
        s_amp, a_amp, f0, hwhm = s.diode_lineshape(0.08, 1e-6)
        assert f0 == pytest.approx(float(s.fmr_frequency(0.08)))
        sym, asym = fit_lorentzians(f, v, f0, hwhm)
        assert sym == pytest.approx(float(s_amp), rel=1e-9)
        assert asym == pytest.approx(float(a_amp), rel=1e-9, abs=1e-15)
        if beta == 0:
            # damping-like torque only: purely symmetric about the resonance
            mirrored = s.diode_voltage(2 * f0 - f, 0.08, 1e-6)
            assert np.allclose(v, mirrored, rtol=1e-9, atol=1e-15)
        else:
            omega_perp = (0.08 + s.params.mu0_meff) / math.sqrt(0.08 * (0.08 + s.params.mu0_meff))
            assert asym / sym == pytest.approx(-beta * omega_perp, rel=1e-9)
    # rectified voltage is linear in RF power and follows the Kittel resonance with field
    s = STNO()
    assert s.diode_voltage(f, 0.08, 2e-6) == pytest.approx(2 * s.diode_voltage(f, 0.08, 1e-6))
    peak = f[np.argmax(np.abs(STNO(STNOParams(stt_fl_ratio=0.0)).diode_voltage(f, 0.12, 1e-6)))]
    assert peak == pytest.approx(float(s.fmr_frequency(0.12)), abs=2 * (f[1] - f[0]))


def test_bad_stno_parameters():
    with pytest.raises(ValueError, match="i_th"):
        STNOParams(i_th=0.0)
    with pytest.raises(ValueError, match="rf_power"):
        STNO().diode_voltage([5e9], 0.05, -1.0)
    with pytest.raises(ValueError, match="linewidth"):
        STNO(STNOParams(temperature=0.0)).psd([5e9], 2e-3, 0.05)


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_diode_voltage_matches_rf_driven_macrospin(beta):
    """Rectified voltage ⟨I(t)·R(t)⟩ of the sLLGS macrospin (T = 0) under the same RF current."""
    ms, thickness, diameter, field, p_rf = 1.0e6, 2e-9, 100e-9, 0.08, 1e-6
    volume = thickness * math.pi * diameter**2 / 4
    st = STNO(
        STNOParams(
            r_p=600.0,
            tmr=1.0,
            alpha=0.01,
            mu0_meff=MU0 * ms,
            dh0=0.0,
            ms=ms,
            volume=volume,
            eta=0.5,
            stt_fl_ratio=beta,
        )
    )
    s_amp, a_amp, f0, hwhm = st.diode_lineshape(field, p_rf)
    freqs = f0 + hwhm * np.linspace(-3, 3, 13)
    i_rf = 2 * math.sqrt(2 * p_rf * 50.0) / (50.0 + float(st.resistance(0.0)))
    mp = MacrospinParams(
        ms=ms,
        thickness=thickness,
        diameter=diameter,
        alpha=0.01,
        hk=0.0,
        easy_axis=(1, 0, 0),
        demag=(0, 0, 1),
        reference=(0, 1, 0),
        eta=0.5,
        stt_fl_ratio=beta,
        temperature=0.0,
        r_p=600.0,
        tmr=1.0,
    )
    mag = Macrospin(mp, n=freqs.size, m0=(1, 0, 0))
    drive = Drive(current=Waveform(rf_amplitude=i_rf, rf_frequency=freqs), field_dc=(field, 0, 0))
    dt = 0.5e-12
    mag.run(12e-9, dt, drive=drive)
    tr = mag.run(12e-9, dt, drive=drive, record_every=1)
    r_eq = float(mag.resistance(np.tile([1.0, 0.0, 0.0], (freqs.size, 1)))[0])
    dr = mag.resistance(tr.m) - r_eq
    v_dc = np.empty(freqs.size)
    for j, f in enumerate(freqs):
        n_samples = int(round(int(12e-9 * f) / f / dt))  # whole RF periods
        i_t = i_rf * np.sin(2 * np.pi * f * tr.t[-n_samples:])
        v_dc[j] = np.mean(i_t * dr[j, -n_samples:])
    sym, asym = fit_lorentzians(freqs, v_dc, f0, hwhm)
    assert sym == pytest.approx(float(s_amp), rel=0.05)
    assert asym == pytest.approx(float(a_amp), abs=0.05 * abs(float(s_amp)) + 0.05 * abs(float(a_amp)))


def test_power_response_relaxes_to_p0_at_the_analytic_rate():
    from mtjhw.simulators.physics.stno import STNO, STNOParams

    stno = STNO(STNOParams(temperature=1.0, i_th=1e-3, q=1.0))
    field = 0.05
    gamma = float(stno.damping_rate(field))
    dt = 0.01 / gamma
    rng = np.random.default_rng(1)
    low, state = stno.power_response(np.full(4000, 1.5e-3), dt, field, rng)
    assert low[-1] == pytest.approx(float(stno.power(1.5e-3)), rel=0.01)
    step = np.full(400, 3e-3)
    high, _ = stno.power_response(step, dt, field, rng, state)
    p0, p1 = float(stno.power(1.5e-3)), float(stno.power(3e-3))
    # d|c|²/dt = 2Γ_G[ζ(1 − p) − (1 + Qp)]p, solved accurately for comparison
    t = dt * np.arange(1, step.size + 1)
    from scipy.integrate import solve_ivp

    zeta = 3.0
    exact = solve_ivp(lambda _t, p: 2 * gamma * (zeta * (1 - p) - (1 + p)) * p, (0, t[-1]), [p0], t_eval=t,
                      rtol=1e-8).y[0]
    np.testing.assert_allclose(high, exact, rtol=0.02, atol=2e-3)
    assert high[-1] == pytest.approx(p1, rel=0.02)
