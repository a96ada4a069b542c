"""Fokker–Planck switching of the symmetric macrospin against analytic results: Brown, Sun/Butler, barrier laws."""

import numpy as np
import pytest
from scipy import sparse
from scipy.integrate import solve_ivp

from mtjhw.simulators.physics import fokker_planck as fp
from mtjhw.simulators.physics.brown import attempt_time, damping_for_attempt_time, mean_dwell_time
from mtjhw.simulators.physics.constants import GAMMA_E

ALPHA, HK = 0.01, 0.2
TAU_D = (1 + ALPHA**2) / (ALPHA * GAMMA_E * HK)


@pytest.mark.parametrize("delta", [3.0, 20.0, 100.0])
def test_mean_passage_time_matches_browns_exact_integral(delta):
    ours = float(np.exp(fp.log_passage_time(delta, 1.0, 0.0, 0.5, -0.5)[0]))
    assert ours * TAU_D == pytest.approx(float(mean_dwell_time(delta, ALPHA, HK, threshold=0.5)), rel=1e-3)
    # the dwell thresholds are ±0.5 at zero drive, so the escape rate is its inverse
    assert float(fp.escape_rate(delta, 1.0, 0.0)[0]) == pytest.approx(1 / ours, rel=1e-9)


@pytest.mark.parametrize("h", [0.0, 0.3])
def test_high_barrier_rate_is_browns_formula_with_field(h):
    rate = float(fp.escape_rate(200.0, 1.0, -h)[0])  # b = −h: the field destabilises the state
    assert rate == pytest.approx(float(fp.brown_rate(200.0, h)), rel=0.02)
    assert float(fp.escape_rate(200.0, 1.0, -h - 0.01)[0]) > rate  # more field, faster


def test_barrier_laws_and_critical_current():
    delta = 40.0
    # n = 2: the current is an effective field, E = Δ(1 − h − i)² out of AP for field and current towards P
    a, b = fp.drive_coefficients(-1, h=0.1, i=0.3)
    assert float(fp.barrier(delta, a, b)) == pytest.approx(delta * (1 - 0.1 - 0.3) ** 2)
    a, b = fp.drive_coefficients(+1, h=0.1, i=0.3)  # the same drive holds P: Δ(1 + h + i)² would be its
    assert float(fp.barrier(delta, a, b)) > delta * 1.3**2  # barrier, beyond the other state's energy
    # n = 1 (Li–Zhang effective damping): Δ(1 − h)²(1 − i)
    a, b = fp.drive_coefficients(-1, h=0.1, i=0.3, n_current=1.0)
    assert float(fp.barrier(delta, a, b)) == pytest.approx(delta * 0.9**2 * 0.7)
    # Sun's critical current, lowered by the field: unstable from i = 1 − h on
    assert fp.Landscape(delta, *map(float, fp.drive_coefficients(-1, 0.2, 0.79))).stable
    assert not fp.Landscape(delta, *map(float, fp.drive_coefficients(-1, 0.2, 0.81))).stable
    # a voltage bias: the current V·G(m) grows towards P, which flattens the barrier (E = Δ(a + b)²/a)
    a, b = fp.drive_coefficients(-1, h=0.0, i=0.4, i_gradient=0.1)
    assert float(fp.barrier(delta, a, b)) == pytest.approx(delta * (1.1 - 0.4) ** 2 / 1.1)


def test_long_pulse_first_passage_is_the_thermal_rate():
    now, rest = fp.Landscape(45.0, 1.0, -0.5), fp.Landscape(45.0)
    passage = fp.FirstPassage(now, rest, absorb=0.0, duration=1000.0)
    rate = float(fp.escape_rate(45.0, 1.0, -0.5)[0])
    assert float(passage.probability(1000.0)) == pytest.approx(-np.expm1(-1000.0 * rate), rel=0.02)
    # a short pulse has not yet reached the quasi-stationary escape: it switches less than the rate says
    assert float(passage.probability(1.0)) < 0.01 * rate


def test_precessional_write_error_rate_follows_sun_and_butler():
    delta, i = 100.0, 5.0
    passage = fp.FirstPassage(fp.Landscape(delta, 1.0, -i), fp.Landscape(delta), absorb=0.0, duration=3.0)
    widths = np.linspace(1.5, 2.5, 6)
    wer = 1 - passage.probability(widths)
    assert np.all((wer > 1e-8) & (wer < 1e-2))
    # WER ∝ exp(−2(i − 1)w/τ_D): each τ_D of pulse divides the WER by e^{2(i−1)}
    assert np.polyfit(widths, np.log(wer), 1)[0] == pytest.approx(-2 * (i - 1), rel=0.02)
    np.testing.assert_allclose(wer, fp.precessional_wer(widths, i, delta), rtol=0.1)
    # a thermal initial angle of 1/√(2Δ) per component: the median switching time is Sun's time at θ0 = 1/√Δ
    median = float(np.interp(0.5, passage.probability(np.linspace(0, 1, 201)), np.linspace(0, 1, 201)))
    assert median == pytest.approx(float(fp.sun_switching_time(i, np.sqrt(np.log(2) / delta))), rel=0.1)


def test_first_passage_is_a_distribution_and_bad_input_is_refused():
    passage = fp.FirstPassage(fp.Landscape(20.0, 1.0, -1.2), fp.Landscape(20.0), absorb=0.0, duration=50.0)
    f = passage.probability(np.linspace(0, 50, 101))
    assert f[0] == 0.0 and np.all(np.diff(f) >= -1e-9) and f[-1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="absorb"):
        fp.FirstPassage(fp.Landscape(20.0), fp.Landscape(20.0), absorb=1.0, duration=1.0)


def test_attempt_time_and_damping_invert_each_other():
    for alpha in (0.005, 0.05, 0.5):
        tau0 = float(attempt_time(45.0, alpha, 0.08))
        assert damping_for_attempt_time(tau0, 45.0, 0.08) == pytest.approx(alpha, rel=1e-9)
    with pytest.raises(ValueError, match="shorter than any damping"):
        damping_for_attempt_time(1e-12, 45.0, 0.08)


@pytest.mark.parametrize("b", [-1.2, -2.0, -3.0])
def test_integrated_precessional_passage_matches_scipys_radau(b):
    # a drive past the critical current: the modal sum cancels, so the chain is integrated by our kernel
    now, before = fp.Landscape(45.0, 1.0, b), fp.Landscape(45.0, 1.0, 0.0)
    right, left, width, p0 = fp._chain(now, before, -0.9, 240)
    assert fp._modes(right, left, width, p0, np.inf) is None
    passage = fp.FirstPassage(now, before, -0.9, 10.0, shortest=1e-3)
    diagonal = np.append(-(right + np.append(0.0, left)) / width, 0.0)
    generator = sparse.diags([np.append(left / width[1:], 0.0), diagonal, right / width], [1, 0, -1], format="csc")
    times = np.geomspace(1e-3, passage.horizon, 60)
    reference = solve_ivp(lambda _t, y: generator @ y, (0.0, passage.horizon), np.append(p0, 0.0), method="Radau",
                          jac=generator, t_eval=times, rtol=1e-8, atol=1e-30).y[-1]
    np.testing.assert_allclose(passage.probability(times), reference, atol=1e-3)
    assert passage.probability(passage.horizon + 1.0) >= passage.probability(passage.horizon)
