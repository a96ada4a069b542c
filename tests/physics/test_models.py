"""Model catalogue used by the virtual bench, and the constant-drive device API."""

import numpy as np
import pytest

from mtjhw.simulators.physics import models
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P, escape_rate
from mtjhw.simulators.physics.telegraph import TelegraphMTJ, TelegraphParams


@pytest.mark.parametrize("model", sorted(models.PARAMS))
def test_every_model_builds_from_its_documented_parameters(model):
    dev = models.create(model, models.parameters(model), n=2, rng=np.random.default_rng(0))
    assert dev is not None
    with pytest.raises(ValueError, match="unknown parameter"):
        models.create(model, {"no_such_parameter": 1.0})


def test_unknown_model_is_rejected():
    with pytest.raises(ValueError, match="unknown model"):
        models.create("ferro-fluid")


def test_pmtj_rh_loop_switching_fields_are_centred_on_h_offset():
    dev = models.create("pmtj", {"delta": 45.0, "hk": 0.08, "h_offset": 0.004}, n=200)
    dev.state[:] = STATE_AP
    rng = np.random.default_rng(1)
    fields = np.linspace(-0.08, 0.08, 321)
    h_up, h_down = np.full(200, np.nan), np.full(200, np.nan)
    for h in fields:  # sweep up at 1 ms per step
        before = dev.state.copy()
        dev.advance(1e-3, rng, field=h)
        h_up[(before == STATE_AP) & (dev.state == STATE_P) & np.isnan(h_up)] = h
    for h in fields[::-1]:
        before = dev.state.copy()
        dev.advance(1e-3, rng, field=h)
        h_down[(before == STATE_P) & (dev.state == STATE_AP) & np.isnan(h_down)] = h
    centre = (np.mean(h_up) + np.mean(h_down)) / 2
    assert centre == pytest.approx(0.004, abs=0.5e-3)
    # expected switching field of the staircase: survival S_k = exp(−Σ_j≤k r(h_j)·1 ms)
    rate = escape_rate(STATE_AP, 45.0, 1e-9, fields - 0.004, 0.08)
    survival = np.exp(-np.cumsum(rate * 1e-3))
    expected_up = np.sum(fields * -np.diff(np.concatenate(([1.0], survival))))
    assert np.mean(h_up) == pytest.approx(expected_up, abs=0.3e-3)
    assert (np.mean(h_up) - np.mean(h_down)) / 2 > 0.03  # a memory device: wide hysteresis


def test_voltage_bias_sets_state_dependent_currents_and_temperature_scales_delta():
    dev = TelegraphMTJ(TelegraphParams(delta=5.0, r_p=5000.0, tmr=1.0, ic0=40e-6), n=1)
    r_p, r_ap = dev.rates(voltage=0.1)
    i_p, i_ap = 0.1 / 5000.0, 0.1 / (5000.0 * (1 + 1.0 / (1 + 0.2**2)))
    r_p_ref, _ = dev.rates(current=i_p)
    _, r_ap_ref = dev.rates(current=i_ap)
    assert r_p[0] == pytest.approx(r_p_ref[0]) and r_ap[0] == pytest.approx(r_ap_ref[0])
    dev.set_temperature(600.0)
    assert dev.delta_now[0] == pytest.approx(2.5)


def test_macrospin_advance_with_scalar_field_along_easy_axis():
    dev = models.create("macrospin", {"alpha": 0.1, "hk": 0.5, "temperature": 0.0}, n=1)
    dev.m[:] = (0.01, 0.0, -1.0)
    dev.advance(20e-9, field=-0.6)  # field beyond Hk along −z keeps it; along +z switches it
    assert dev.m[0, 2] < -0.99
    dev.advance(20e-9, field=(0.01, 0.0, 0.6))  # a vector field, slightly tilted to break the symmetry
    assert dev.m[0, 2] > 0.99
