"""Macrospin sLLGS against analytic physics: Boltzmann equilibrium, Brown's dwell time, Kittel, Sun's Ic0."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from mtjhw.simulators.physics.brown import brown_dwell_time, mean_dwell_time
from mtjhw.simulators.physics.constants import GAMMA_E_HZ, KB
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.telegraph import HysteresisDwellCounter


def params_for_delta(delta, hk=0.2, alpha=0.5, ms=1.0e6, thickness=1.0e-9, temperature=300.0, **kw):
    """Perpendicular free layer sized to have stability factor ``delta``."""
    volume = 2 * KB * temperature * delta / (ms * hk)
    diameter = math.sqrt(4 * volume / (math.pi * thickness))
    return MacrospinParams(
        ms=ms, thickness=thickness, diameter=diameter, alpha=alpha, hk=hk, temperature=temperature, **kw
    )


def exact_mean_sin2(delta):
    z = quad(lambda c: np.exp(delta * c * c), 0, 1)[0]
    return quad(lambda c: (1 - c * c) * np.exp(delta * c * c), 0, 1)[0] / z


@pytest.mark.parametrize("delta", [20.0, 40.0])
def test_thermal_equilibrium_matches_boltzmann(delta):
    p = params_for_delta(delta)
    assert p.delta() == pytest.approx(delta)
    mag = Macrospin(p, n=256)
    rng = np.random.default_rng(7)
    mag.run(1e-9, 1e-12, rng=rng)
    traj = mag.run(6e-9, 1e-12, rng=rng, record_every=10)
    norms = np.linalg.norm(traj.m, axis=-1)
    assert np.max(np.abs(norms - 1)) < 1e-12
    sin2 = np.mean(1 - traj.m[..., 2] ** 2)
    assert sin2 == pytest.approx(1 / delta, rel=0.05)
    assert sin2 == pytest.approx(exact_mean_sin2(delta), rel=0.03)


def test_unit_norm_preserved_under_strong_drive():
    p = params_for_delta(10.0, alpha=0.05)
    mag = Macrospin(p, n=4, m0=(0.3, 0.0, -1.0))
    drive = Drive(
        current=Waveform(dc=3 * float(p.ic0()), rf_amplitude=1e-4, rf_frequency=5e9),
        field_dc=(0.05, 0.0, 0.02),
    )
    traj = mag.run(2e-9, 1e-12, drive=drive, rng=np.random.default_rng(1), record_every=1)
    assert np.max(np.abs(np.linalg.norm(traj.m, axis=-1) - 1)) < 1e-12


@pytest.mark.parametrize("delta", [5.0, 7.0])
def test_dwell_time_matches_brown(delta):
    hk, alpha, n, dt = 1.0, 1.0, 128, 1e-12
    p = params_for_delta(delta, hk=hk, alpha=alpha)
    tau_brown = float(brown_dwell_time(delta, alpha, hk))
    mag = Macrospin(p, n=n)
    rng = np.random.default_rng(11)
    counter = HysteresisDwellCounter(n, dt, threshold=0.5)
    chunk = 5000 * dt
    for _ in range(int(40 * tau_brown / chunk)):
        counter.update(mag.run(chunk, dt, rng=rng, record_every=1).m[..., 2])
    dwell = np.concatenate(counter.dwell_times())
    assert dwell.size > 3000
    assert np.mean(dwell) == pytest.approx(tau_brown, rel=0.15)
    # the exact first-passage time between the thresholds is a sharper check
    assert np.mean(dwell) == pytest.approx(float(mean_dwell_time(delta, alpha, hk, threshold=0.5)), rel=0.05)


@pytest.mark.parametrize("field", [0.0, 0.1, 0.3])
def test_kittel_frequency_of_perpendicular_junction(field):
    p = MacrospinParams(alpha=0.005, hk=0.6, ms=1.0e6, demag=(0.0, 0.0, 0.0), temperature=0.0)
    mag = Macrospin(p, n=1, m0=(0.05, 0.0, 1.0))
    dt = 0.05e-12
    traj = mag.run(2e-9, dt, drive=Drive(field_dc=(0, 0, field)), record_every=1)
    phase = np.unwrap(np.arctan2(traj.m[0, :, 1], traj.m[0, :, 0]))
    f = abs(np.polyfit(traj.t, phase, 1)[0]) / (2 * np.pi)
    assert f == pytest.approx(GAMMA_E_HZ * (field + 0.6), rel=0.01)
    assert f == pytest.approx(float(p.kittel_frequency(field)), rel=0.01)


def test_kittel_with_demagnetisation_uses_effective_anisotropy():
    # thin film: Hk,eff = Hk − μ0Ms (Nz − Nx)
    p = MacrospinParams(alpha=0.005, hk=1.5, ms=8.0e5, demag=(0.0, 0.0, 1.0), temperature=0.0)
    hk_eff = 1.5 - 4e-7 * math.pi * 8.0e5 * 1.0
    assert float(p.effective_anisotropy_field()) == pytest.approx(hk_eff)
    mag = Macrospin(p, n=1, m0=(0.03, 0.0, 1.0))
    traj = mag.run(2e-9, 0.05e-12, record_every=1)
    phase = np.unwrap(np.arctan2(traj.m[0, :, 1], traj.m[0, :, 0]))
    f = abs(np.polyfit(traj.t, phase, 1)[0]) / (2 * np.pi)
    assert f == pytest.approx(GAMMA_E_HZ * hk_eff, rel=0.01)


def test_zero_temperature_critical_current_matches_sun():
    p = MacrospinParams(alpha=0.1, hk=0.5, eta=0.6, temperature=0.0)
    ic0 = float(p.ic0())
    ratios = np.array([0.8, 0.85, 0.9, 0.95, 1.05, 1.1, 1.15, 1.2])
    mag = Macrospin(p, n=ratios.size, m0=(0.01, 0.0, -1.0))  # AP, slightly tilted
    mag.run(40e-9, 1e-12, drive=Drive(current=Waveform(dc=ratios * ic0)))
    switched = mag.m[:, 2] > 0.9
    # smallest switching current within 10 % of Sun's Ic0
    i_c = ratios[np.argmax(switched)] * ic0
    assert np.all(switched == (ratios > 1.0))
    assert i_c == pytest.approx(ic0, rel=0.10)


def test_negative_current_switches_parallel_to_antiparallel():
    p = MacrospinParams(alpha=0.1, hk=0.5, temperature=0.0)
    mag = Macrospin(p, n=1, m0=(0.01, 0.0, 1.0))
    mag.run(40e-9, 1e-12, drive=Drive(current=Waveform(dc=-1.3 * float(p.ic0()))))
    assert mag.m[0, 2] < -0.9


def test_sot_damping_like_torque_switches_with_assisting_field():
    # perpendicular magnet, σ along y, in-plane bias field along x: the current sign selects the final state
    p = MacrospinParams(
        alpha=0.1, hk=0.3, temperature=0.0, theta_sh=0.3, sot_sigma=(0, 1, 0), sot_cross_section=5e-9 * 50e-9
    )
    finals = []
    for sign in (+1, -1):
        mag = Macrospin(p, n=1, m0=(0.0, 0.0, -sign * 1.0))
        drive = Drive(
            sot_current=Waveform(pulse_amplitude=sign * 2e-3, pulse_width=2e-9), field_dc=(0.02, 0, 0)
        )
        mag.run(10e-9, 1e-12, drive=drive)
        finals.append(mag.m[0, 2])
    assert finals[0] * finals[1] < 0 and min(abs(finals[0]), abs(finals[1])) > 0.9


def test_pulse_waveform_and_reproducibility():
    w = Waveform(dc=1.0, pulse_amplitude=2.0, pulse_period=10e-9, pulse_width=2e-9, pulse_delay=1e-9)
    assert w.value([0.5e-9, 1.5e-9, 3.5e-9, 11.5e-9]).tolist() == [1.0, 3.0, 1.0, 3.0]
    p = params_for_delta(10.0)
    a = Macrospin(p, n=3).run(0.2e-9, 1e-12, rng=np.random.default_rng(5), record_every=10).m
    b = Macrospin(p, n=3).run(0.2e-9, 1e-12, rng=np.random.default_rng(5), record_every=10).m
    assert np.array_equal(a, b)


def test_resistance_uses_bias_dependent_tmr():
    p = MacrospinParams(r_p=4000.0, tmr=1.0, v_half=0.5, temperature=0.0)
    mag = Macrospin(p, n=2, m0=np.array([[0, 0, 1.0], [0, 0, -1.0]]))
    assert mag.resistance().tolist() == pytest.approx([4000.0, 8000.0])
    assert mag.resistance(voltage=0.5)[1] == pytest.approx(4000.0 * 1.5)
    r = mag.resistance_at_current(50e-6)
    assert r[1] == pytest.approx(float(mag.resistance(voltage=50e-6 * r[1])[1]), rel=1e-9)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="alpha"):
        Macrospin(MacrospinParams(alpha=0.0))
    with pytest.raises(ValueError, match="rng"):
        Macrospin(MacrospinParams(temperature=300.0)).run(1e-12, 1e-12)
    with pytest.raises(ValueError, match="one entry per device"):
        Macrospin(MacrospinParams(alpha=[0.1, 0.2, 0.3]), n=2)


def test_voltage_drive_current_follows_the_conductance():
    # at T = 0 the AP state is unstable once the current at AP, V·G_AP(V), passes Sun's Ic0
    from scipy.optimize import brentq

    p = MacrospinParams(alpha=0.1, hk=0.5, temperature=0.0, r_p=5000.0, tmr=1.2, v_half=0.5)
    ic0 = float(p.ic0())
    v_c = brentq(lambda v: v / (5000.0 * (1 + 1.2 / (1 + (v / 0.5) ** 2))) - ic0, 0.0, 10.0)
    ratios = np.array([0.95, 1.05])
    mag = Macrospin(p, n=2, m0=(0.01, 0.0, -1.0))
    mag.run(40e-9, 1e-12, drive=Drive(voltage=Waveform(dc=ratios * v_c)))
    assert (mag.m[:, 2] > 0.9).tolist() == [False, True]
    with pytest.raises(ValueError, match="not both"):
        mag.run(1e-12, 1e-12, drive=Drive(current=Waveform(dc=1e-6), voltage=Waveform(dc=0.1)))
