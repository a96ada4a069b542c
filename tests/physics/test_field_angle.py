"""A field at any angle: the Stoner–Wohlfarth wells and astroid against their analytic forms, the pmtj DUT's
thermal coercive field against the compiled macrospin (and Sharrock's law along the easy axis), and its
hard-axis resistance against m_z = ±√(1 − h²)."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from mtjhw.simulators.bench.bias import Bias
from mtjhw.simulators.bench.pmtj import MacrospinPerpendicularMTJ, PerpendicularMTJ
from mtjhw.simulators.physics import stoner_wohlfarth as sw
from mtjhw.simulators.physics.constants import KB
from mtjhw.simulators.physics.macrospin import Macrospin, MacrospinParams
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.tmr import resistance

OPEN = Bias.open_circuit()


@pytest.mark.parametrize("psi", [0.05, 0.3, math.pi / 4, 1.0, 1.4, 2.0, -0.7])
def test_the_barrier_vanishes_on_the_analytic_astroid(psi):
    """The well opposed by a field h along ψ disappears at h_sw(ψ) within 1 %."""
    def barrier(h):
        w = sw.wells(*sw.components(h, psi))
        return float(min(w.barrier_p, w.barrier_ap)) - 1e-9

    h_numeric = brentq(barrier, 0.3, 1.2, xtol=1e-9)
    assert h_numeric == pytest.approx(float(sw.switching_field(psi)), rel=0.01)
    assert float(sw.switching_field(math.pi / 4)) == pytest.approx(0.5, rel=1e-12)


def test_wells_along_the_easy_and_the_hard_axis():
    h = np.linspace(0.0, 0.95, 20)
    axial = sw.wells(0.0, -h)  # along the easy axis: barriers Δ(1 ∓ h)², wells at ±1
    np.testing.assert_allclose(axial.barrier_p, (1 - h) ** 2, atol=1e-9)
    np.testing.assert_allclose(axial.barrier_ap, (1 + h) ** 2, atol=1e-9)
    np.testing.assert_allclose(axial.cos_p, 1.0, atol=1e-9)
    hard = sw.wells(h, 0.0)  # in-plane: m_z = ±√(1 − h²), barrier Δ(1 − h)² out of both
    np.testing.assert_allclose(hard.cos_p, np.sqrt(1 - h**2), atol=1e-7)
    np.testing.assert_allclose(hard.cos_ap, -np.sqrt(1 - h**2), atol=1e-7)
    np.testing.assert_allclose(hard.barrier_p, (1 - h) ** 2, atol=1e-9)
    beyond = sw.wells(1.3, 0.0)  # saturated: one well, in the plane
    assert abs(float(beyond.cos_p)) < 1e-7 and float(min(beyond.barrier_p, beyond.barrier_ap)) == 0.0


def test_a_nearly_axial_field_gives_the_axial_rates():
    """The tilted-field branch of the DUT joins the axial Fokker–Planck path continuously as ψ → 0."""
    axial, tilted = PerpendicularMTJ(), PerpendicularMTJ(field_angle=1e-7)
    for field in (-0.03, 0.0, 0.02):
        np.testing.assert_allclose(tilted.rates(OPEN, field), axial.rates(OPEN, field), rtol=1e-4)
    pulse = Bias("V", 0.9)  # a 10 ns write pulse from AP, under the stray field: the first-passage law
    p_axial, p_tilted = (dut.switch_law(STATE_AP, 10e-9, pulse, 0.0, OPEN, 0.0).probability for dut in (axial, tilted))
    assert 0.05 < p_axial < 0.95 and p_tilted == pytest.approx(p_axial, rel=1e-3)


def test_hard_axis_resistance_follows_the_well():
    """R(H) of each state at π/2: G = G_P(1 + m_z)/2 + G_AP(1 − m_z)/2 with m_z = ±√(1 − h²), saturating at Hk,
    at the bias-dependent TMR."""
    dut = PerpendicularMTJ(hk=0.08, h_offset=0.0, field_angle=math.pi / 2, state=STATE_P)
    rng = np.random.default_rng(0)
    for field in (0.0, 0.02, 0.05, 0.079, 0.1):
        dut.advance(1e-12, Bias("V", 0.1), field, rng)  # too short to switch: the reading of each state
        m_z = math.sqrt(max(1 - (field / 0.08) ** 2, 0.0))
        for state, sign in ((STATE_P, 1), (STATE_AP, -1)):
            expected = float(resistance(dut.r_p, dut.tmr, sign * m_z, 0.1, dut.v_half))
            assert dut.resistance_of(state, 0.1) == pytest.approx(expected, rel=1e-6), (field, state)


def test_macrospin_engine_tilts_with_an_in_plane_field():
    """The sLLGS engine takes the field at its angle: in-plane, half of Hk, the magnetisation settles at
    |m_z| = √(1 − h²) (a step of in-plane field may also switch it precessionally: the sign is either)."""
    dut = MacrospinPerpendicularMTJ(hk=0.2, delta=60.0, alpha=0.1, h_offset=0.0, field_angle=math.pi / 2)
    rng = np.random.default_rng(1)
    dut.advance(3e-9, OPEN, 0.1, rng)
    m = []
    for _ in range(40):  # the thermal average over 20 ns
        dut.advance(0.5e-9, OPEN, 0.1, rng)
        m.append(dut.magnet.m[0].copy())
    m = np.array(m)
    assert np.mean(np.abs(m[:, 2])) == pytest.approx(math.sqrt(1 - 0.5**2), abs=0.04)
    assert np.mean(m[:, 0]) == pytest.approx(0.5, abs=0.06)


def dut_coercive_field(dut, rate, step):
    """Mean field (T, along the DUT's field angle) at which AP switches on a staircase from 0 at ``rate`` T/s:
    from the DUT's own escape rates, exactly (survival Π e^{−r·dt})."""
    fields = np.arange(step, 1.5 * dut.params.hk, step)
    r_ap = np.array([dut.rates(OPEN, float(f))[1] for f in fields])
    survival = np.exp(-np.cumsum(r_ap) * step / rate)
    first = np.concatenate([[1.0], survival[:-1]]) - survival  # switch in step k
    return float(np.sum(first * fields))


def macrospin_coercive_field(psi, rate, step, n=64, seed=4):
    """Mean switching field (T) of AP macrospins (Δ 30, μ0Hk 0.2 T, α 0.1) on the same staircase along ψ."""
    volume = 2 * KB * 300.0 * 30.0 / (1.0e6 * 0.2)
    params = MacrospinParams(ms=1.0e6, thickness=1e-9, diameter=math.sqrt(4 * volume / (math.pi * 1e-9)),
                             alpha=0.1, hk=0.2, temperature=300.0)
    mag = Macrospin(params, n=n, m0=(0.0, 0.0, -1.0))
    rng = np.random.default_rng(seed)
    mag.advance(5e-9, rng)
    switched = np.full(n, np.nan)
    field = 0.0
    while np.isnan(switched).any():
        field += step
        mag.advance(step / rate, rng, field=(field * math.sin(psi), 0.0, field * math.cos(psi)))
        switched[np.isnan(switched) & (mag.m[:, 2] > 0.3)] = field
        assert field < 0.3, "no switching"
    return float(np.mean(switched)), float(np.std(switched) / math.sqrt(n))


@pytest.mark.parametrize("psi", [0.0, math.pi / 6, math.pi / 3])
def test_thermal_coercive_field_at_an_angle_is_the_macrospins(psi):
    """The thermal astroid: the fast DUT's coercive field at 2e6 T/s within 10 % of the sLLGS macrospin's."""
    rate, step = 2e6, 1e-3
    dut = PerpendicularMTJ(hk=0.2, delta=30.0, alpha=0.1, h_offset=0.0, field_angle=psi)
    h_fast = dut_coercive_field(dut, rate, step)
    h_ms, sem = macrospin_coercive_field(psi, rate, step)
    assert h_fast == pytest.approx(h_ms, rel=0.1), (h_fast, h_ms, sem)
    assert h_fast < 0.2 * float(sw.switching_field(psi))  # thermally activated: well inside the T = 0 astroid


def test_coercive_field_along_the_easy_axis_follows_sharrock():
    """ψ = 0: Sharrock's h_c from Δ(1 − h)² = ln(f0·Hk/(2Δ(1 − h)·R·ln 2)) (median of a linear sweep, f0 the
    zero-field attempt frequency) within 10 % of the DUT's, at two sweep rates two decades apart."""
    hk, delta = 0.08, 45.0
    dut = PerpendicularMTJ(hk=hk, delta=delta, tau0=1e-9, h_offset=0.0)
    def sharrock(h, rate):
        return delta * (1 - h) ** 2 - math.log(1e9 * hk / (2 * delta * (1 - h) * rate * math.log(2)))

    for rate in (1.0, 0.01):
        expected = brentq(sharrock, 0.0, 0.99, args=(rate,)) * hk
        assert dut_coercive_field(dut, rate, 2e-4) == pytest.approx(expected, rel=0.1), rate
