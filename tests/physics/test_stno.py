"""STNO auto-oscillator (threshold, power, frequency shift, linewidth) against the macrospin and analytic results,
injection locking and mutual synchronisation against Adler's equation, and the spin-torque diode lineshape."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp, trapezoid

from mtjhw.simulators.physics.constants import E_CHARGE, GAMMA_E, GAMMA_E_HZ, HBAR, KB, MU0
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.stno import STNO, STNOParams, mutual_locking_range, rf_current, simulate_network

FIELD = 0.05


def macrospin_of(stno: STNO, n: int, references=None) -> Macrospin:
    """The sLLGS macrospin of the oscillator's free layer (in-plane along x, μ0Meff = μ0Ms − perpendicular
    anisotropy, reference in the plane at ``ref_angle``), n copies starting slightly off the x axis."""
    p = stno.params
    diameter = 100e-9
    b = p.ref_angle
    mp = MacrospinParams(ms=p.ms, thickness=p.volume / (math.pi * diameter**2 / 4), diameter=diameter, alpha=p.alpha,
                         hk=MU0 * p.ms - p.mu0_meff, easy_axis=(0, 0, 1), demag=(0, 0, 1),
                         reference=(math.cos(b), math.sin(b), 0.0) if references is None else references,
                         eta=p.eta, stt_fl_ratio=p.stt_fl_ratio, temperature=p.temperature, r_p=p.r_p, tmr=p.tmr)
    return Macrospin(mp, n=n, m0=(math.cos(0.05), math.sin(0.05), 0.0))


def precession_frequency(m: np.ndarray, t: np.ndarray) -> float:
    """Mean angular speed (Hz) of m (n_t, 3) around its mean, in the plane normal to x."""
    centre = m.mean(axis=0)
    phase = np.unwrap(np.arctan2(m[:, 2] - centre[2], m[:, 1] - centre[1]))
    return abs(np.polyfit(t, phase, 1)[0]) / (2 * math.pi)


def test_kittel_frequency_in_plane():
    s = STNO(STNOParams(mu0_meff=1.2))
    assert float(s.fmr_frequency(0.1)) == pytest.approx(GAMMA_E_HZ * math.sqrt(0.1 * 1.3))
    with pytest.raises(ValueError, match="field"):
        s.fmr_frequency(-0.1)


def test_threshold_from_the_torques_field_and_angle():
    s = STNO(STNOParams(ref_angle=3 * math.pi / 4))
    p = s.params
    expected = 2 * E_CHARGE * p.alpha * p.ms * p.volume * (FIELD + p.mu0_meff / 2) / (HBAR * p.eta * math.sqrt(0.5))
    assert float(s.threshold_current(FIELD)) == pytest.approx(expected, rel=1e-12)
    ratio = float(s.threshold_current(0.2) / s.threshold_current(FIELD))
    assert ratio == pytest.approx((0.2 + p.mu0_meff / 2) / (FIELD + p.mu0_meff / 2))
    # reference on the parallel side: negative currents drive it; at π/2 nothing does
    assert float(STNO(STNOParams(ref_angle=math.pi / 4)).threshold_current(FIELD)) == pytest.approx(-expected)
    assert abs(float(STNO(STNOParams(ref_angle=math.pi / 2)).supercriticality(1.0, FIELD))) < 1e-9
    assert float(STNO(STNOParams(i_th=2e-3)).threshold_current(FIELD)) == 2e-3  # a given i_th wins
    with pytest.raises(ValueError, match="field"):
        s.power(1e-3)


def conservative_orbit(h: float, meff: float, tilt: float) -> tuple[float, float, float]:
    """(p = Ω/4π, ω rad/s, ζ on the orbit) of the undamped in-plane macrospin started ``tilt`` rad off x in the
    plane; ζ from the orbit-averaged energy balance a_J(−cos β)⟨H(1 − m_x²) + Meff m_x m_z²⟩ = α⟨|m × B|²⟩."""

    def rhs(_t, m):
        return -GAMMA_E * np.cross(m, [h, 0.0, -meff * m[2]])

    def crossing(_t, m):
        return m[2]

    crossing.direction = 1
    period_guess = 2 * math.pi / (GAMMA_E * math.sqrt(h * (h + meff)))
    sol = solve_ivp(rhs, (0, 3 * period_guess), [math.cos(tilt), math.sin(tilt), 0.0], rtol=1e-11, atol=1e-13,
                    dense_output=True, events=crossing, max_step=period_guess / 200)
    period = next(t for t, m in zip(sol.t_events[0], sol.y_events[0], strict=True)
                  if m[1] > 0 and t > period_guess / 10)
    t = np.linspace(0, period, 8001)
    m = sol.sol(t)
    phase = np.unwrap(np.arctan2(m[2], m[1]))
    solid = abs(trapezoid((1 - m[0]) * np.gradient(phase, t), t))
    torque2 = (h * m[2] + meff * m[0] * m[2]) ** 2 + (h * m[1]) ** 2 + (meff * m[1] * m[2]) ** 2
    stt = h * (1 - m[0] ** 2) + meff * m[0] * m[2] ** 2
    zeta = trapezoid(torque2, t) / trapezoid(stt, t) / (h + meff / 2)
    return solid / (4 * math.pi), 2 * math.pi / period, zeta


@pytest.mark.parametrize(("h", "meff"), [(0.05, 1.0), (0.02, 0.8), (0.12, 1.2)])
def test_nonlinear_shift_and_damping_follow_the_macrospin_orbits(h, meff):
    s = STNO(STNOParams(mu0_meff=meff))
    orbits = np.array([conservative_orbit(h, meff, tilt) for tilt in (0.02, 0.04, 0.06, 0.08)])
    p, omega, zeta = orbits.T
    slope_omega = np.polyfit(p, omega, 2)[1]
    slope_zeta = np.polyfit(p, zeta, 2)[1]
    assert float(s.nonlinear_shift(h)) == pytest.approx(slope_omega / (2 * math.pi), rel=0.01)
    assert 1 + float(s.nonlinear_damping(h)) == pytest.approx(slope_zeta, rel=0.02)
    assert float(STNO(STNOParams(nonlinearity=-2e9, q=0.5)).nonlinear_shift(h)) == -2e9


def test_macrospin_oscillates_at_the_threshold_and_frequency_of_the_model():
    """T = 0 sLLGS of three geometries at 0.95–1.2 × the threshold the model derives: nothing below it, and the
    generation frequency f0 + N·p0 within 1 % up to 1.1 I_th and 3 % at 1.2 I_th (the strongly elliptical orbit
    goes beyond first order in p there: 1.3 I_th gives 2–5 %)."""
    cases = [(0.05, 3 * math.pi / 4), (0.03, 3 * math.pi / 4), (0.1, 2 * math.pi / 3)]
    zetas = [0.95, 1.05, 1.1, 1.2]
    runs = [(h, STNO(STNOParams(ref_angle=b, stt_fl_ratio=0.0, temperature=0.0)), z) for h, b in cases for z in zetas]
    currents = np.array([z * float(s.threshold_current(h)) for h, s, z in runs])
    refs = np.array([(math.cos(s.params.ref_angle), math.sin(s.params.ref_angle), 0.0) for _, s, _ in runs])
    mag = macrospin_of(runs[0][1], len(runs), references=refs)
    drive = Drive(current=Waveform(dc=currents), field_dc=np.array([(h, 0.0, 0.0) for h, _, _ in runs]))
    mag.run(200e-9, 1e-12, drive=drive)
    tr = mag.run(10e-9, 1e-12, drive=drive, record_every=2)
    for j, (h, s, z) in enumerate(runs):
        amplitude = np.ptp(tr.m[j, :, 1]) / 2
        if z < 1:
            assert amplitude < 1e-3, f"oscillates below threshold at {h} T, ζ {z}"
            continue
        assert amplitude > 0.3, f"no oscillation at {h} T, ζ {z}"
        f_model = float(s.frequency(currents[j], h))
        tolerance = 0.01 if z <= 1.1 else 0.03
        assert precession_frequency(tr.m[j], tr.t) == pytest.approx(f_model, rel=tolerance), (h, z)


def test_thermal_power_below_threshold_matches_the_macrospin():
    """⟨p⟩ = kBT/(λ(1 − ζ)), λ = 2MsVω0/γ: the sLLGS at 300 K, p from the quadratic action of the ellipse."""
    s = STNO(STNOParams(stt_fl_ratio=0.0))
    meff = s.params.mu0_meff
    zetas = np.repeat([0.0, 0.5], 16)
    mag = macrospin_of(s, zetas.size)
    mag.m[:] = (1.0, 0.0, 0.0)
    drive = Drive(current=Waveform(dc=zetas * float(s.threshold_current(FIELD))), field_dc=(FIELD, 0, 0))
    rng = np.random.default_rng(1)
    mag.run(5e-9, 1e-12, drive=drive, rng=rng)
    m = mag.run(60e-9, 1e-12, drive=drive, rng=rng, record_every=20).m
    ellipticity = math.sqrt((FIELD + meff) / FIELD)
    action = (m[..., 1] ** 2 / ellipticity + m[..., 2] ** 2 * ellipticity) / 4
    kt_over_lam = KB * 300.0 / float(s.energy_scale(FIELD))
    for z in (0.0, 0.5):
        assert action[zetas == z].mean() == pytest.approx(kt_over_lam / (1 - z), rel=0.08)
        assert s.mean_power(z * float(s.threshold_current(FIELD)), FIELD) == pytest.approx(kt_over_lam / (1 - z),
                                                                                            rel=0.03)


def test_no_oscillation_below_threshold():
    s = STNO()
    current = 0.5 * float(s.threshold_current(FIELD))
    assert float(s.power(current, FIELD)) == 0.0
    thermal = KB * 300.0 / float(s.energy_scale(FIELD)) / (1 - 0.5)
    tr = s.simulate(400e-9, 20e-12, current, FIELD, np.random.default_rng(1), n=16, record_every=5)
    assert np.mean(tr.power) == pytest.approx(thermal, rel=0.1)


@pytest.mark.parametrize("zeta", [1.2, 1.5])
def test_power_and_frequency_above_threshold(zeta):
    s = STNO()
    current = zeta * float(s.threshold_current(FIELD))
    q = float(s.nonlinear_damping(FIELD))
    p0 = (zeta - 1) / (zeta + q)
    assert float(s.power(current, FIELD)) == pytest.approx(p0)
    assert s.mean_power(current, FIELD) == pytest.approx(p0, rel=0.02)
    tr = s.simulate(200e-9, 5e-12, current, FIELD, np.random.default_rng(2), n=8)
    assert np.mean(tr.power) == pytest.approx(p0, rel=0.03)
    phase = np.unwrap(np.angle(tr.c), axis=1)
    f_sim = -np.mean(np.polyfit(tr.t, phase.T, 1)[0]) / (2 * math.pi)
    f_expected = float(s.fmr_frequency(FIELD)) + float(s.nonlinear_shift(FIELD)) * p0
    assert float(s.frequency(current, FIELD)) == pytest.approx(f_expected)
    assert f_sim == pytest.approx(f_expected, rel=0.01)


def test_generation_linewidth_from_phase_diffusion():
    s = STNO(STNOParams(nonlinearity=-3e9, q=1.0))
    current = 2.0 * float(s.threshold_current(FIELD))
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


def test_generation_line_is_gaussian_when_power_fluctuations_sweep_the_frequency():
    """The derived in-plane nonlinearity (ν ≈ −30) puts the line in the Gaussian regime of Kim et al. (d0ν² ≫ Γ_p):
    its FWHM from the spectrum of the simulated amplitude, 4|ν|√(ln2·d0Γ_p), not d0(1 + ν²)."""
    s = STNO()
    current = 1.2 * float(s.threshold_current(FIELD))
    f_g = float(s.frequency(current, FIELD))
    tr = s.simulate(400e-9, 5e-12, current, FIELD, np.random.default_rng(5), n=32, record_every=4)
    c = tr.c * np.exp(2j * math.pi * f_g * tr.t)  # back to the rotating frame
    segments = np.stack(np.split(c[:, : c.shape[1] // 4 * 4], 4, axis=1))
    power = np.fft.fftshift((np.abs(np.fft.fft(segments, axis=-1)) ** 2).mean(axis=(0, 1)))
    f = np.fft.fftshift(np.fft.fftfreq(segments.shape[-1], tr.t[1] - tr.t[0]))
    smooth = np.convolve(power, np.ones(9) / 9, mode="same")
    wide = f[smooth > smooth.max() / 2]
    assert np.ptp(wide) == pytest.approx(s.linewidth(current, FIELD), rel=0.1)
    pm = s.mean_power(current, FIELD)
    lorentzian = (float(s.damping_rate(FIELD)) * (1 + float(s.nonlinear_damping(FIELD)) * pm) * KB * 300.0
                  / (float(s.energy_scale(FIELD)) * pm) * (1 + float(s.nu(current, FIELD)) ** 2) / (2 * math.pi))
    assert s.linewidth(current, FIELD) < 0.5 * lorentzian


def test_voltage_psd_area_and_peak_match_time_domain():
    """The line's area is the power of the fundamental of the simulated junction voltage (TMR nonlinearity and
    thermal power fluctuations included)."""
    s = STNO(STNOParams(tmr=0.2))
    current = 1.05 * float(s.threshold_current(FIELD))
    tr = s.simulate(400e-9, 5e-12, current, FIELD, np.random.default_rng(4), n=16)
    f_g = float(s.frequency(current, FIELD))
    spectrum = np.abs(np.fft.rfft(tr.voltage - tr.voltage.mean(axis=1, keepdims=True), axis=1)) ** 2
    f_fft = np.fft.rfftfreq(tr.t.size, tr.t[1] - tr.t[0])
    band = np.abs(f_fft - f_g) < 0.45 * f_g  # the fundamental, not the harmonics
    fundamental = 2 * spectrum[:, band].sum(axis=1).mean() / tr.t.size**2
    f = np.linspace(f_g * 0.55, f_g * 1.45, 200001)
    psd = s.voltage_psd(f, current, FIELD)
    assert np.sum(psd) * (f[1] - f[0]) == pytest.approx(fundamental, rel=0.1)
    assert f[np.argmax(psd)] == pytest.approx(f_g, abs=1e6)
    r0 = float(s.resistance(current))
    assert s.psd(f[:3], current, FIELD, load_ohm=50.0) == pytest.approx(psd[:3] * 50.0 / (r0 + 50.0) ** 2)


def mean_frequency(trace) -> np.ndarray:
    """Mean oscillation frequency (Hz) of each amplitude in ``trace`` over its second half."""
    half = trace.t.size // 2
    phase = np.unwrap(np.angle(trace.c[:, half:]), axis=1)
    return -np.polyfit(trace.t[half:], phase.T, 1)[0] / (2 * math.pi)


def test_injection_locking_follows_adler():
    """T = 0: inside ±Ω the oscillator runs at the source's frequency, outside it is pulled to
    f_rf − sign(Δ)√(Δ² − Ω²); Ω ∝ √P_rf (Adler), with the √(1 + ν²) amplitude–phase enhancement."""
    s = STNO(STNOParams(temperature=0.0))
    current, p_rf = 1.2 * float(s.threshold_current(FIELD)), 1e-9
    half = s.locking_range(current, FIELD, p_rf)
    assert s.locking_range(current, FIELD, 4 * p_rf) == pytest.approx(2 * half)
    assert s.locking_range(0.9 * float(s.threshold_current(FIELD)), FIELD, p_rf) == 0.0
    f_g = float(s.frequency(current, FIELD))
    detunings = np.array([-2.0, -0.6, 0.0, 0.6, 2.0]) * half
    i_rf = float(rf_current(p_rf, float(s.resistance(current))))
    for d in detunings:
        tr = s.simulate(3e-6, 5e-12, current, FIELD, np.random.default_rng(0), rf_amplitude=i_rf,
                        rf_frequency=f_g + d, record_every=4)
        expected = s.locked_frequency(current, FIELD, f_g + d, p_rf)
        assert mean_frequency(tr)[0] == pytest.approx(expected, abs=0.05 * half), d / half
    assert s.locked_frequency(current, FIELD, f_g + 2 * half, p_rf) == pytest.approx(f_g + (2 - math.sqrt(3)) * half)


@pytest.mark.parametrize("phase", [0.0, -0.3, 1.2])
def test_mutual_synchronisation_of_two_oscillators(phase):
    """Two oscillators at different fields, coupled by K e^{iφ}: one frequency within the analytic mismatch
    2|K||cos φ + ν sin φ| (in phase or, where cos φ + ν sin φ < 0, in antiphase), Adler's beat √(Δ² − Δ_max²)
    beyond it."""
    s = STNO(STNOParams(temperature=0.0, nonlinearity=-1e9))
    h1 = FIELD
    current = 1.3 * float(s.threshold_current(h1))
    coupling = 2 * math.pi * 2e6 * np.exp(1j * phase)
    limit = mutual_locking_range(float(s.nu(current, h1)), coupling)
    for factor in (0.8, 1.6):
        h2 = _field_for_mismatch(s, current, h1, factor * limit)
        currents = [current, current * float(s.threshold_current(h2) / s.threshold_current(h1))]
        k = np.array([[0, coupling], [coupling, 0]])
        tr = simulate_network([s, s], currents, [h1, h2], k, 1e-6, 2e-12, np.random.default_rng(0), record_every=10)
        f = mean_frequency(tr)
        beat = math.sqrt(max(factor**2 - 1, 0.0)) * limit
        assert abs(f[1] - f[0]) == pytest.approx(beat, abs=0.05 * limit), factor


def _field_for_mismatch(s: STNO, current: float, h1: float, mismatch: float) -> float:
    """Field of a second oscillator at the same ζ whose generation frequency is ``mismatch`` Hz above."""
    zeta = float(s.supercriticality(current, h1))
    target = float(s.frequency(current, h1)) + mismatch
    lo, hi = h1, 2 * h1
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(s.frequency(zeta * float(s.threshold_current(mid)), mid)) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


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


def test_dc_bias_scales_the_diode_damping_by_one_minus_zeta():
    s = STNO(STNOParams(dh0=0.0))
    i_th = float(s.threshold_current(0.08))
    width0 = float(s.diode_lineshape(0.08, 1e-6)[3])
    assert float(s.diode_lineshape(0.08, 1e-6, current=0.6 * i_th)[3]) == pytest.approx(0.4 * width0)
    assert float(s.diode_lineshape(0.08, 1e-6, current=-0.5 * i_th)[3]) == pytest.approx(1.5 * width0)
    with pytest.raises(ValueError, match="below the threshold"):
        s.diode_lineshape(0.08, 1e-6, current=1.1 * i_th)


def test_bad_stno_parameters():
    with pytest.raises(ValueError, match="i_th"):
        STNOParams(i_th=0.0)
    with pytest.raises(ValueError, match="q must be"):
        STNOParams(q=-1.5)
    with pytest.raises(ValueError, match="rf_power"):
        STNO().diode_voltage([5e9], 0.05, -1.0)
    with pytest.raises(ValueError, match="linewidth"):
        STNO(STNOParams(temperature=0.0)).psd([5e9], 2e-3, 0.05)
    with pytest.raises(ValueError, match="coupling"):
        simulate_network([STNO()], [1e-3], 0.05, np.ones((1, 1)), 1e-9, 1e-12, np.random.default_rng(0))


@pytest.mark.parametrize(("beta", "bias"), [(0.0, 0.0), (0.5, 0.0), (0.0, 0.5)])
def test_diode_voltage_matches_rf_driven_macrospin(beta, bias):
    """Rectified voltage ⟨I_rf(t)·R(t)⟩ of the sLLGS macrospin (T = 0) under the same RF current, with and
    without a DC bias of ``bias`` × I_th (which narrows the line by 1 − ζ and raises it by 1/(1 − ζ))."""
    field, p_rf = 0.08, 1e-6
    ref_angle = math.pi / 2 if bias == 0 else 3 * math.pi / 4
    st = STNO(STNOParams(r_p=600.0, tmr=1.0, alpha=0.01, mu0_meff=1.0, dh0=0.0, ms=1.0e6, eta=0.5,
                         stt_fl_ratio=beta, ref_angle=ref_angle, temperature=0.0))
    i_dc = bias * float(st.threshold_current(field))
    s_amp, a_amp, f0, hwhm = st.diode_lineshape(field, p_rf, current=i_dc)
    freqs = f0 + hwhm * np.linspace(-3, 3, 13)
    i_rf = float(rf_current(p_rf, float(st.resistance(i_dc))))
    mag = macrospin_of(st, freqs.size)
    mag.m[:] = (1.0, 0.0, 0.0)
    drive = Drive(current=Waveform(dc=i_dc, rf_amplitude=i_rf, rf_frequency=freqs), field_dc=(field, 0, 0))
    dt, settle = 0.5e-12, 12e-9 / max(1 - bias, 0.1)
    mag.run(settle, dt, drive=drive)
    tr = mag.run(12e-9, dt, drive=drive, record_every=1)
    dr = mag.resistance_at_current(i_dc, tr.m) - float(st.resistance(i_dc))
    v_dc = np.empty(freqs.size)
    for j, f in enumerate(freqs):
        n_samples = int(round(int(12e-9 * f) / f / dt))  # whole RF periods
        i_t = i_rf * np.sin(2 * np.pi * f * tr.t[-n_samples:])
        v_dc[j] = np.mean(i_t * (dr[j, -n_samples:] - dr[j, -n_samples:].mean()))
    sym, asym = fit_lorentzians(freqs, v_dc, f0, hwhm)
    assert sym == pytest.approx(float(s_amp), rel=0.06)
    assert asym == pytest.approx(float(a_amp), abs=0.05 * abs(float(s_amp)) + 0.05 * abs(float(a_amp)))


def test_power_response_relaxes_to_p0_at_the_analytic_rate():
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
    zeta = 3.0
    exact = solve_ivp(lambda _t, p: 2 * gamma * (zeta * (1 - p) - (1 + p)) * p, (0, t[-1]), [p0], t_eval=t,
                      rtol=1e-8).y[0]
    np.testing.assert_allclose(high, exact, rtol=0.02, atol=2e-3)
    assert high[-1] == pytest.approx(p1, rel=0.02)
