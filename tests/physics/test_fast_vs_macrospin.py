"""The fast event-driven model held to the compiled sLLGS macrospin: pulse switching at 1 ns to 1 µs (the
precessional, crossover and thermal regimes), telegraph dwell times of a small-Δ junction, and the coercive
field of a field sweep at two sweep rates. Few trials here; benchmarks/fast_vs_macrospin.py runs the full
comparison."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from mtjhw.simulators.physics.constants import KB
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.telegraph import ConstantDrive, HysteresisDwellCounter, TelegraphMTJ, TelegraphParams


def pair(delta, hk, alpha, n=1):
    """The same p-MTJ as a macrospin (Ms 1 MA/m, t 1 nm, η 0.6) and as the fast model's parameters."""
    volume = 2 * KB * 300.0 * delta / (1.0e6 * hk)
    ms = MacrospinParams(ms=1.0e6, thickness=1e-9, diameter=math.sqrt(4 * volume / (math.pi * 1e-9)), alpha=alpha,
                         hk=hk, temperature=300.0)
    return ms, TelegraphParams(delta=delta, hk=hk, alpha=alpha, ic0=float(ms.ic0()))


def p_switch(fast, width, current):
    laws, which = fast.switch_laws(STATE_AP, width, ConstantDrive(current), ConstantDrive())
    return laws[which[0]].probability


@pytest.mark.parametrize("width", [1e-9, 10e-9, 100e-9, 1e-6])
def test_i50_of_a_current_pulse_is_the_macrospins_within_10_percent(width):
    ms, params = pair(45.0, 0.2, 0.01)
    fast = TelegraphMTJ(params, n=1, state=STATE_AP)
    ic0 = params.ic0
    i50 = brentq(lambda i: p_switch(fast, width, i * ic0) - 0.5, 0.3, 20.0, xtol=1e-4)
    n = 96
    currents = np.repeat([0.9 * i50, 1.1 * i50], n) * ic0
    mag = Macrospin(ms, n=currents.size, m0=(0.0, 0.0, -1.0))
    rng = np.random.default_rng(5)
    dt = 2e-12 if width > 100e-9 else 1e-12  # 0.07 rad of precession per step at 0.2 T
    mag.advance(10e-9, rng, dt=dt)  # thermal initial angle
    mag.advance(width, rng, current=currents, dt=dt)
    mag.advance(20e-9, rng, dt=dt)  # relax into whichever well
    below, above = (mag.m[:, 2] > 0).reshape(2, n).mean(axis=1)
    # the macrospin's I50 lies within ±10 % of the fast model's: P < 1/2 at 0.9·I50, > 1/2 at 1.1·I50
    assert below < 0.5 < above
    # and at those currents the two agree within the binomial noise of 96 trials
    for i, measured in ((0.9 * i50, below), (1.1 * i50, above)):
        expected = p_switch(fast, width, i * ic0)
        assert abs(measured - expected) < 4 * math.sqrt(expected * (1 - expected) / n) + 0.02


def test_small_delta_dwell_times_under_current_are_the_macrospins():
    ms, params = pair(5.0, 0.5, 0.2)
    current = 0.15 * params.ic0  # favours P: longer dwells in P than in AP
    n, dt, chunk = 64, 1e-12, 5000
    mag = Macrospin(ms, n=n, m0=(0.0, 0.0, 1.0))
    rng = np.random.default_rng(2)
    counter = HysteresisDwellCounter(n, dt, threshold=0.5)
    for _ in range(160):
        counter.update(mag.run(chunk * dt, dt, drive=Drive(current=Waveform(dc=current)), rng=rng,
                               record_every=1).m[..., 2])
    dwell_p, dwell_ap = counter.dwell_times()
    assert dwell_p.size > 300 and dwell_ap.size > 300
    r_p, r_ap = TelegraphMTJ(params).rates(current=current)
    assert np.mean(dwell_p) == pytest.approx(1 / r_p[0], rel=0.1)
    assert np.mean(dwell_ap) == pytest.approx(1 / r_ap[0], rel=0.1)
    assert np.mean(dwell_p) > 2 * np.mean(dwell_ap)


def coercive_fields(ms, params, rate, n, rng, step=1e-3):
    """Mean switching field (T) of AP devices under a field staircase from 0 at ``rate`` T/s, both engines."""
    mag = Macrospin(ms, n=n, m0=(0.0, 0.0, -1.0))
    fast = TelegraphMTJ(params, n=4000, state=STATE_AP)
    mag.advance(5e-9, rng)
    fields_ms, fields_fast = np.full(n, np.nan), np.full(4000, np.nan)
    field = 0.0
    while np.isnan(fields_ms).any() or np.isnan(fields_fast).any():
        field += step
        mag.advance(step / rate, rng, field=field)
        fast.advance(step / rate, rng, field=field)
        fields_ms[np.isnan(fields_ms) & (mag.m[:, 2] > 0.5)] = field
        fields_fast[np.isnan(fields_fast) & (fast.state == STATE_P)] = field
        assert field < 1.5 * params.hk, "no switching"
    return float(np.mean(fields_ms)), float(np.mean(fields_fast)), float(np.std(fields_ms) / math.sqrt(n))


def test_coercive_field_falls_with_sweep_rate_as_in_the_macrospin():
    ms, params = pair(30.0, 0.2, 0.1)
    rng = np.random.default_rng(8)
    slow = coercive_fields(ms, params, 2e5, 96, rng)
    fast = coercive_fields(ms, params, 2e6, 96, rng)
    for h_ms, h_fast, sem in (slow, fast):
        assert abs(h_ms - h_fast) < max(4 * sem, 1.5e-3)
    # Sharrock: a decade of sweep rate moves the coercive field by about 10 mT here
    assert fast[0] - slow[0] > 5e-3 and fast[1] - slow[1] > 5e-3
