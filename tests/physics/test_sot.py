"""SOT switching of a perpendicular free layer: the fast model against Lee's critical current and the compiled
macrospin (quasi-static thresholds at T = 0, thermally activated switching at 300 K), polarity, read-path STT,
and the bench DUT's wiring (pulses reach the write line, never the junction)."""

import math

import numpy as np
import pytest

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.bias import Bias
from mtjhw.simulators.bench.models import DutConfigError, build_dut
from mtjhw.simulators.bench.sot import SOTMTJ
from mtjhw.simulators.physics.constants import E_CHARGE, HBAR, KB
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.sot import SOTJunction, SOTParams, static_threshold, threshold_factor


def macrospin_params(p: SOTParams, temperature: float, **kw) -> MacrospinParams:
    """The same free layer and write line in the compiled macrospin (σ = +ŷ, the current along +x)."""
    return MacrospinParams(ms=p.ms, thickness=p.thickness, diameter=p.diameter, alpha=p.alpha, hk=p.hk,
                           temperature=temperature, theta_sh=p.theta_sh, sot_sigma=(0, 1, 0),
                           sot_cross_section=p.line_cross_section, **kw)


def lee_critical_current(p: SOTParams, h_x: float) -> float:
    """Lee et al., APL 102, 112410 (2013): J_c = (2e/ħ)(Ms t_F/θ_SH)(μ0Hk/2 − μ0H_x/√2), times the line's area."""
    jc = 2 * E_CHARGE / HBAR * p.ms * p.thickness / p.theta_sh * (p.hk / 2 - h_x / math.sqrt(2))
    return jc * p.line_cross_section


def ramped_thresholds(p: SOTParams, h: np.ndarray, predicted: np.ndarray, fl_ratio=0.0) -> np.ndarray:
    """Write current (A) at which the macrospin, started in AP and driven by a slow current ramp (0.5 %/0.3 ns)
    at T = 0 in the in-plane fields ``h``·Hk, first reaches m_z > 0 (in units of ``predicted``)."""
    n = h.size
    m0 = np.column_stack([h, np.zeros(n), -np.sqrt(1 - h**2)])
    mag = Macrospin(macrospin_params(p, 0.0, sot_fl_ratio=fl_ratio), n=n, m0=m0)
    field = np.column_stack([h * p.hk, np.zeros((n, 2))])
    found = np.full(n, np.nan)
    for f in np.arange(0.7, 1.3, 0.005):
        mag.run(0.3e-9, 1e-12, drive=Drive(sot_current=Waveform(dc=f * predicted), field_dc=field))
        found[(mag.m[:, 2] > 0) & np.isnan(found)] = f
    return found


def test_critical_current_vs_in_plane_field_matches_lee_and_the_macrospin():
    p = SOTParams(alpha=0.05)
    junction = SOTJunction(p)
    h = np.array([0.05, 0.1, 0.2, 0.3])
    model = np.array([junction.critical_current(STATE_AP, +1, x * p.hk) for x in h])
    lee = np.array([lee_critical_current(p, x * p.hk) for x in h])
    assert model == pytest.approx(lee, rel=0.05)  # Lee's formula is the first order in h of the macrospin's
    assert ramped_thresholds(p, h, model) == pytest.approx(np.ones(h.size), abs=0.03)
    assert ramped_thresholds(p, h, lee) == pytest.approx(np.ones(h.size), abs=0.10)


def test_field_like_torque_thresholds_from_the_fixed_points_match_the_macrospin():
    p = SOTParams(alpha=0.05)
    h, betas = np.array([0.2, 0.2, 0.3]), (0.5, 1.0, 0.3)
    predicted = np.array([SOTJunction(SOTParams(alpha=0.05, fl_ratio=b)).critical_current(STATE_AP, +1, x * p.hk)
                          for x, b in zip(h, betas, strict=True)])
    assert np.all(predicted < [SOTJunction(p).critical_current(STATE_AP, +1, x * p.hk) for x in h])
    assert ramped_thresholds(p, h, predicted, fl_ratio=np.array(betas)) == pytest.approx(np.ones(3), abs=0.04)


@pytest.mark.parametrize("h", [0.0, 0.15, -0.3])
def test_fixed_point_thresholds_without_field_like_torque_are_the_closed_form(h):
    for state in (STATE_P, STATE_AP):
        for sign in (1, -1):
            favoured = state == sign * (1 if h >= 0 else -1)
            expected = threshold_factor(-abs(h) if favoured else abs(h))
            assert static_threshold(state, sign, h, 0.0, 0.05) == pytest.approx(expected, abs=1e-5)


def test_thermally_activated_switching_matches_the_macrospin():
    """I50 of 30 ns pulses (1 ns edges) at h = 0.2, Δ = 45, 300 K: the fast model within 10 % of the sLLGS."""
    p = SOTParams(alpha=0.05)
    assert p.delta() == pytest.approx(44.6, abs=0.1)
    junction, h_x, width, edge, trials = SOTJunction(p), 0.2 * p.hk, 30e-9, 1e-9, 160
    ic = junction.critical_current(STATE_AP, +1, h_x)
    x = np.linspace(0.55, 0.95, 9)
    current = np.repeat(x * ic, trials)
    mag = Macrospin(macrospin_params(p, 300.0), n=current.size, m0=(0, 0, -1))
    rng = np.random.default_rng(1)
    field = (h_x, 0.0, 0.0)
    mag.run(2e-9, 1e-12, drive=Drive(field_dc=field), rng=rng)
    rise = np.linspace(0.1, 1.0, 10)
    steps = [(f, edge / 10) for f in rise] + [(1.0, width)] + [(f, edge / 10) for f in rise[::-1]]
    for f, duration in steps:  # rise, plateau, fall
        mag.run(duration, 1e-12, drive=Drive(sot_current=Waveform(dc=f * current), field_dc=field), rng=rng)
    mag.run(5e-9, 1e-12, drive=Drive(field_dc=field), rng=rng)
    p_llg = (mag.m[:, 2] > 0).reshape(x.size, trials).mean(axis=1)
    rng = np.random.default_rng(2)
    p_fast = [np.mean([junction.evolve(STATE_AP, width + edge, rng, i_write=c, h_x=h_x)[0] == STATE_P
                       for _ in range(400)]) for c in x * ic]
    i50 = [float(np.interp(0.5, p, x)) for p in (p_llg, p_fast)]
    assert np.all(np.diff(p_llg) > -0.1) and p_llg[0] < 0.1 and p_llg[-1] > 0.9
    assert i50[1] == pytest.approx(i50[0], rel=0.10)


def test_polarity_follows_current_times_in_plane_field_and_a_field_free_device_is_random():
    junction = SOTJunction(SOTParams())
    rng = np.random.default_rng(0)
    h_x, current = 0.03, 1.2 * junction.critical_current(STATE_AP, +1, 0.03)
    for sign_i, sign_h, written in ((1, 1, STATE_P), (-1, 1, STATE_AP), (1, -1, STATE_AP), (-1, -1, STATE_P)):
        for start in (STATE_P, STATE_AP):
            final, _ = junction.evolve(start, 10e-9, rng, i_write=sign_i * current, h_x=sign_h * h_x)
            assert final == written
    # beyond both states' thresholds (and at h = 0, where they coincide) the state ends at random
    strong = 1.1 * junction.critical_current(STATE_P, +1, h_x)
    for h in (h_x, 0.0):
        finals = [junction.evolve(STATE_AP, 10e-9, rng, i_write=strong, h_x=h)[0] for _ in range(400)]
        assert np.mean(np.array(finals) == STATE_P) == pytest.approx(0.5, abs=0.1)


def test_read_current_exerts_stt_with_suns_critical_current():
    p = SOTParams()
    junction, rng = SOTJunction(p), np.random.default_rng(3)
    ic0 = 2 * E_CHARGE * p.alpha * p.ms * p.volume * p.hk / (HBAR * p.eta)
    assert p.ic0_stt() == pytest.approx(ic0)
    assert p.ic0_stt() == pytest.approx(4 * E_CHARGE * p.alpha * KB * p.temperature / (HBAR * p.eta) * p.delta())
    assert junction.evolve(STATE_AP, 1e-9, rng, i_read=1.05 * ic0)[0] == STATE_P
    assert junction.evolve(STATE_P, 1e-9, rng, i_read=-1.05 * ic0)[0] == STATE_AP
    assert junction.evolve(STATE_AP, 1e-9, rng, i_read=0.3 * ic0)[0] == STATE_AP  # Δ(0.7)^1.3 ≈ 28: stays


def test_thermal_rate_follows_the_stated_barrier_law():
    p = SOTParams(n_barrier=1.3)
    junction, h_x, i = SOTJunction(p), 0.04, 0.6
    current = i * junction.critical_current(STATE_AP, +1, h_x)
    drive, barrier = junction.drive(STATE_AP, current, 0.0, h_x, 0.0)
    assert drive == pytest.approx(i)
    assert barrier == pytest.approx(p.delta() * (1 - h_x / p.hk) ** 2 * (1 - i) ** 1.3)
    rate = math.exp(-barrier) / junction.tau0(h_x)
    rng = np.random.default_rng(4)
    width = 0.7 / rate  # P_sw = 1 − e^−0.7 ≈ 0.50
    p_sw = np.mean([junction.evolve(STATE_AP, width, rng, i_write=current, h_x=h_x)[0] == STATE_P
                    for _ in range(4000)])
    assert p_sw == pytest.approx(-math.expm1(-0.7), abs=0.03)


def test_bench_pulses_drive_the_write_line_not_the_junction():
    dut = SOTMTJ(v_breakdown=1.0)
    bench = VirtualBench(dut, seed=0)
    bench.apply_bias(object(), Bias("V", 0.005))
    assert bench.effective_bias == Bias("V", 0.005)
    write = 1.3 * dut.critical_current(+1, 0.0) * dut.r_line  # at zero field: no deterministic polarity
    bench._pulse_for(2.0, 1e-9)  # 2 V at the line: 8 mA, far beyond the junction's 1 V breakdown if in series
    assert not dut.broken and bench.effective_bias == Bias("V", 0.005)
    dut.h_x = 0.03  # built-in in-plane field: field-free deterministic switching
    dut.state = STATE_AP
    bench._pulse_for(write, 100e-9)
    assert dut.state == STATE_P
    v, i = bench.advance(1e-3)
    assert v == pytest.approx(0.005) and v / i == pytest.approx(dut.resistance_of(STATE_P, 0.005), rel=1e-9)


def test_magnet_axis_x_tilts_the_junction_and_axis_z_switches_it():
    dut = SOTMTJ(field_axis="z", state=STATE_AP)
    rng = np.random.default_rng(5)
    dut.advance(1e-3, Bias("V", 0.005), 1.2 * 0.15, rng)  # a perpendicular field above Hk
    assert dut.state == STATE_P
    tilted = SOTMTJ(field_axis="x", state=STATE_P)
    assert tilted.resistance_of(STATE_P, 0.0, 0.075) > tilted.resistance_of(STATE_P, 0.0, 0.0)
    with pytest.raises(ValueError, match="field_axis must be x"):
        SOTMTJ(field_axis="y")


def test_bench_file_parameters_are_checked_with_the_key_named():
    assert isinstance(build_dut({"model": "sot-mtj", "theta_sh": -0.2, "r_line": 400.0}), SOTMTJ)
    for key, value, match in (("theta_sh", 7.0, "theta_sh = 7.0 is outside"),
                              ("line_width", 200.0, "line_width = 200.0 is outside"),
                              ("fl_ratio", -0.5, "fl_ratio = -0.5 is outside"),
                              ("delta", 45.0, "dut.delta: not a parameter of model 'sot-mtj'")):
        with pytest.raises(DutConfigError, match=match):
            build_dut({"model": "sot-mtj", key: value})
