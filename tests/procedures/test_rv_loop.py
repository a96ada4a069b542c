"""R-V loop on the virtual bench: bias dependence of TMR and thermally activated current-induced switching."""

import pytest

from mtjhw.analysis.thermal import mean_switching_current
from mtjhw.bench import Bench
from mtjhw.runner import run_procedure
from tests.conftest import simulated_config

DUT = dict(r_p=5000.0, tmr=1.2, v_half=0.5, h_offset=0.0, delta=45.0, ic0=60e-6)


def run_rv(tmp_path, **settings):
    with Bench.open(simulated_config(seed=5, **DUT)) as bench:
        outcome = run_procedure("rv-loop", bench, tmp_path, settings)
    assert outcome.status == "finished", outcome.error
    return outcome.summary


def test_dc_rv_loop_recovers_bias_dependence_and_switching_current(tmp_path):
    points, nplc, v_max = 70, 0.1, 0.7
    s = run_rv(tmp_path, v_max=v_max, points=points, nplc=nplc, loops=4)
    assert s["tmr_v_half"] == pytest.approx(DUT["v_half"], rel=0.1)
    assert s["tmr"] == pytest.approx(DUT["tmr"], rel=0.03)
    assert s["r_p"] == pytest.approx(DUT["r_p"], rel=0.02)
    # Positive current favours P: AP→P at positive bias, P→AP at negative bias, both below Ic0 (thermal help).
    assert 0 < s["v_sw_ap_to_p"] and s["v_sw_p_to_ap"] < 0
    # The AP→P current agrees with the Néel–Brown mean switching current for the current ramp of the sweep.
    dv_dt = (v_max / points) / (nplc / 50.0)  # one level per reading of nplc line cycles at 50 Hz
    r_ap_at_switch = DUT["r_p"] * (1 + DUT["tmr"] / (1 + (s["v_sw_ap_to_p"] / DUT["v_half"]) ** 2))
    expected = mean_switching_current(DUT["delta"], DUT["ic0"], 1e-9, dv_dt / r_ap_at_switch)
    assert s["i_sw_ap_to_p"] == pytest.approx(expected, rel=0.15)
    assert abs(s["i_sw_p_to_ap"]) == pytest.approx(expected, rel=0.15)


def test_pulsed_rv_loop_switches_at_lower_voltage_for_longer_pulses(tmp_path):
    short = run_rv(tmp_path / "short", v_max=0.75, points=30, pulse_width=1e-3, loops=2)
    long = run_rv(tmp_path / "long", v_max=0.75, points=30, pulse_width=0.1, loops=2)
    assert short["tmr"] == pytest.approx(DUT["tmr"], rel=0.03)  # read at low bias: the zero-bias TMR
    assert 0 < long["v_sw_ap_to_p"] < short["v_sw_ap_to_p"]
    assert short["v_sw_p_to_ap"] < long["v_sw_p_to_ap"] < 0


def test_pulses_shorter_than_a_source_meter_can_make_are_refused(tmp_path):
    with Bench.open(simulated_config(**DUT)) as bench:
        outcome = run_procedure("rv-loop", bench, tmp_path, {"pulse_width": 1e-6})
    assert outcome.status == "failed" and "pulse generator" not in outcome.error
    assert "shortest pulse a source-meter sweep makes" in outcome.error
