"""R-H loop on the virtual bench: parameter recovery and Néel–Brown thermal activation of the coercive field."""

import numpy as np
import pytest

from mtjhw.analysis.thermal import mean_switching_field
from mtjhw.bench import Bench
from mtjhw.runner import run_procedure
from mtjhw.simulators.physics.thermal_scaling import ThermalScaling
from tests.conftest import simulated_config

DEVICES = [
    dict(r_p=5000.0, tmr=1.2, hk=0.08, h_offset=0.004, delta=45.0, tau0=1e-9),
    dict(r_p=2500.0, tmr=1.8, hk=0.12, h_offset=-0.010, delta=60.0, tau0=1e-9),
    dict(r_p=9000.0, tmr=0.9, hk=0.05, h_offset=0.0, delta=40.0, tau0=1e-9),
]


def rh_summary(tmp_path, seed=1, settings=None, **dut):
    with Bench.open(simulated_config(seed=seed, **dut)) as bench:
        outcome = run_procedure("rh-loop", bench, tmp_path, settings)
    assert outcome.status == "finished", outcome.error
    return outcome.summary


@pytest.mark.parametrize("dut", DEVICES, ids=["default", "low-rp-high-tmr", "soft"])
def test_rh_loop_recovers_rp_tmr_and_offset(tmp_path, dut):
    field_max = 1.2 * dut["hk"]
    s = rh_summary(tmp_path, seed=7, settings={"field_max": field_max, "points": 121, "loops": 8,
                                               "bias": 0.001, "nplc": 0.5}, **dut)
    assert s["r_p"] == pytest.approx(dut["r_p"], rel=0.02)
    assert s["tmr"] == pytest.approx(dut["tmr"], rel=0.03)
    assert s["h_offset"] == pytest.approx(dut["h_offset"], abs=1e-3)
    assert s["h_sw_p_to_ap"] < dut["h_offset"] < s["h_sw_ap_to_p"]
    for key in ("r_p", "r_ap", "tmr", "h_c", "h_offset", "h_sw_p_to_ap", "h_sw_ap_to_p"):
        assert 0 < s[f"{key}_err"] < 0.05 * abs(s[key]) + 1e-3, key


def test_coercive_field_follows_neel_brown_with_sweep_rate_and_temperature(tmp_path):
    dut = DEVICES[0]
    settings = {"field_max": 0.1, "points": 101, "loops": 6, "nplc": 0.2}
    measured = {}
    for rate in (0.5, 0.005):
        measured[(rate, 300.0)] = rh_summary(tmp_path / f"r{rate}", settings=settings | {"sweep_rate": rate},
                                             **dut)["h_c"]
    measured[(0.5, 360.0)] = rh_summary(tmp_path / "hot", settings=settings | {"sweep_rate": 0.5},
                                        temperature=360.0, **dut)["h_c"]
    # slower sweeps and higher temperature switch at lower fields ...
    assert measured[(0.005, 300.0)] < measured[(0.5, 300.0)] - 3e-3
    assert measured[(0.5, 360.0)] < measured[(0.5, 300.0)] - 3e-3
    # ... by the amounts the Néel–Brown rate predicts for a linear sweep (mean switching field), with Δ and Hk at
    # the temperature (Ms(T) lowers the anisotropy as well as kBT rising)
    scaling = ThermalScaling()
    for (rate, temperature), h_c in measured.items():
        delta = dut["delta"] * scaling.stability(temperature)
        hk = dut["hk"] * scaling.anisotropy_field(temperature)
        expected = mean_switching_field(delta, hk, 1e-9, rate, law="brown")
        assert h_c == pytest.approx(expected, rel=0.1), (rate, temperature)


def test_sweep_rates_give_delta_and_hk(tmp_path):
    """Sharrock: loops at 0.1, 1e-3 and 1e-5 T/s on a seeded random device; the maximum-likelihood fit of every switch
    gives Δ and Hk within 10 % (reported with errors under 5 %)."""
    rng = np.random.default_rng(8)
    settings = {"sweep_rate": 0.1, "sweep_rates": 3, "loops": 4, "points": 101, "bias": 0.001, "nplc": 0.5}
    hk = rng.uniform(0.05, 0.12)
    dut = dict(r_p=rng.uniform(3000, 8000), tmr=rng.uniform(0.8, 2.0), hk=hk, delta=rng.uniform(40, 55),
               h_offset=rng.uniform(-0.1, 0.1) * hk, tau0=1e-9)
    s = rh_summary(tmp_path, seed=0, settings=settings | {"field_max": 1.25 * hk}, **dut)
    assert s["thermal_fit"] == "ok", (dut, s["thermal_fit"])
    assert s["delta"] == pytest.approx(dut["delta"], rel=0.1) and s["hk"] == pytest.approx(dut["hk"], rel=0.1), dut
    assert s["delta_err"] < 0.05 * s["delta"] and s["hk_err"] < 0.05 * s["hk"]


def test_one_sweep_rate_states_why_delta_and_hk_are_not_reported(tmp_path):
    s = rh_summary(tmp_path, settings={"field_max": 0.1, "points": 61, "loops": 2}, **DEVICES[0])
    assert np.isnan(s["delta"]) and np.isnan(s["hk"])
    assert "constrain" in s["thermal_fit"] and "sweep_rates" in s["thermal_fit"]


def test_rh_loop_that_never_switches_reports_it(tmp_path):
    with Bench.open(simulated_config(hk=0.2, delta=60.0)) as bench:
        outcome = run_procedure("rh-loop", bench, tmp_path, {"field_max": 0.02, "points": 21})
    assert outcome.status == "finished"
    assert outcome.summary == {}
    import json

    run = json.loads((tmp_path / "summary.json").read_text())["run"]
    assert "did not switch" in run["analysis_error"]
    assert np.isfinite(outcome.points) and outcome.points == 42
