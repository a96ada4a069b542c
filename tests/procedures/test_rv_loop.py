"""R-V loop on the virtual bench: switching found branch by branch under bias-dependent TMR, parameter recovery on
random devices, the thermally activated switching voltages, and the errors that replace wrong numbers."""

from pathlib import Path

import numpy as np
import pytest

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.loops import branch_states, branch_switches
from mtjhw.bench import Bench
from mtjhw.procedures.rv_loop import loop_levels
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench.bias import Bias
from tests.conftest import simulated_config

DUT = dict(r_p=5000.0, tmr=1.2, v_half=0.5, h_offset=0.0, delta=45.0, ic0=60e-6, tau0=1e-9, n_current=2.0)
EXAMPLE = Path(__file__).parents[2] / "examples" / "simulated-pmtj.yaml"


def run_rv(tmp_path, dut=DUT, seed=5, **settings):
    with Bench.open(simulated_config(seed=seed, **dut)) as bench:
        outcome = run_procedure("rv-loop", bench, tmp_path, settings)
        expected = {direction: expected_switching_voltage(bench, settings, direction) for direction in (1, -1)}
    return outcome, expected


def expected_switching_voltage(bench, settings, direction):
    """Mean level (V) at which a DC sweep leaves the state (AP when ``direction`` −1, i.e. AP→P at positive bias),
    from the DUT's own escape rates at each level of the staircase, each held one reading (nplc / 50 Hz)."""
    levels = loop_levels(settings["v_max"], settings["points"])[0] * (1 if direction < 0 else -1)
    dut, dwell = bench.virtual.dut, settings["nplc"] / 50.0
    rate = np.array([dut.rates(Bias("V", float(v)), 0.0)[0 if direction > 0 else 1] for v in levels])
    survival = np.exp(-np.cumsum(rate * dwell))
    p = -np.diff(np.concatenate([[1.0], survival]))
    return float(np.sum(p * levels) / np.sum(p))


def random_device(rng):
    """A p-MTJ with a switching voltage inside the 0.8 V safety limit: Ic0 follows from an AP→P critical voltage."""
    r_p, tmr, v_half = rng.uniform(2500, 10000), rng.uniform(0.8, 2.0), rng.uniform(0.3, 0.7)
    delta, v_c = rng.uniform(35, 70), rng.uniform(0.35, 0.6)
    return dict(r_p=r_p, tmr=tmr, v_half=v_half, delta=delta, ic0=v_c / (r_p * (1 + tmr / (1 + (v_c / v_half) ** 2))),
                h_offset=0.0, tau0=1e-9, n_current=2.0)


def test_the_example_bench_loop_is_analysed(tmp_path):
    """The shipped example at v_max = 0.8 V: TMR falls with bias until the AP branch nears P, the switching is
    still found (it failed with "resistance levels overlap" under one global threshold)."""
    with Bench.open(EXAMPLE) as bench:
        outcome = run_procedure("rv-loop", bench, tmp_path, {"v_max": 0.8})
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s, "the analysis failed"
    assert s["r_p"] == pytest.approx(5000.0, rel=0.05) and s["tmr"] == pytest.approx(1.2, rel=0.05)
    assert s["v_sw_p_to_ap"] < 0 < s["v_sw_ap_to_p"] and s["switch_events"] == 4
    assert (tmp_path / "plot.png").stat().st_size > 10_000


def test_random_devices_are_recovered(tmp_path):
    """Eight seeded random devices: R_P and TMR within 5 %, V_half and both switching voltages (against the
    staircase sweep's Néel–Brown expectation from the DUT's own rates) within 10 %; no analysis error."""
    rng = np.random.default_rng(13)
    settings = dict(v_max=0.75, points=121, loops=3, nplc=0.1)
    for k in range(8):
        dut = random_device(rng)
        outcome, expected = run_rv(tmp_path / str(k), dut, seed=k, **settings)
        s = outcome.summary
        assert s, (k, dut, outcome.error)
        assert s["r_p"] == pytest.approx(dut["r_p"], rel=0.05), k
        assert s["tmr"] == pytest.approx(dut["tmr"], rel=0.05), k
        assert s["tmr_v_half"] == pytest.approx(dut["v_half"], rel=0.1), k
        assert s["v_sw_ap_to_p"] == pytest.approx(expected[-1], rel=0.1), k
        assert s["v_sw_p_to_ap"] == pytest.approx(expected[1], rel=0.1), k
        for key in ("r_p", "tmr", "tmr_v_half", "v_sw_ap_to_p", "v_sw_p_to_ap", "i_sw_ap_to_p"):
            assert 0 < s[f"{key}_err"] < 0.05 * abs(s[key]), (k, key)


def test_dc_switching_current_is_the_old_state_current_at_the_switch(tmp_path):
    outcome, expected = run_rv(tmp_path, v_max=0.7, points=70, nplc=0.1, loops=4)
    s = outcome.summary
    # positive current favours P: AP→P at positive bias, P→AP at negative bias
    assert 0 < s["v_sw_ap_to_p"] and s["v_sw_p_to_ap"] < 0
    r_ap = DUT["r_p"] * (1 + DUT["tmr"] / (1 + (s["v_sw_ap_to_p"] / DUT["v_half"]) ** 2))
    assert s["i_sw_ap_to_p"] == pytest.approx(s["v_sw_ap_to_p"] / r_ap, rel=0.03)
    assert s["i_sw_p_to_ap"] == pytest.approx(s["v_sw_p_to_ap"] / DUT["r_p"], rel=0.03)


def test_pulsed_rv_loop_switches_at_lower_voltage_for_longer_pulses(tmp_path):
    short, _ = run_rv(tmp_path / "short", v_max=0.75, points=30, pulse_width=1e-3, loops=2, nplc=0.1)
    long, _ = run_rv(tmp_path / "long", v_max=0.75, points=30, pulse_width=0.1, loops=2, nplc=0.1)
    short, long = short.summary, long.summary
    assert short["tmr"] == pytest.approx(DUT["tmr"], rel=0.03)  # read at low bias: the zero-bias TMR
    assert np.isnan(short["tmr_v_half"])
    assert 0 < long["v_sw_ap_to_p"] < short["v_sw_ap_to_p"]
    assert short["v_sw_p_to_ap"] < long["v_sw_p_to_ap"] < 0


def test_a_sweep_that_does_not_switch_or_cannot_resolve_it_is_a_clear_error(tmp_path):
    low, _ = run_rv(tmp_path / "low", v_max=0.1, points=21, nplc=0.1)
    assert low.status == "finished" and low.summary == {}
    coarse, _ = run_rv(tmp_path / "coarse", v_max=0.8, points=4, nplc=0.1)
    assert coarse.summary == {} or coarse.summary["tmr"] == pytest.approx(DUT["tmr"], rel=0.05)


def test_pulses_shorter_than_a_source_meter_can_make_are_refused(tmp_path):
    with Bench.open(simulated_config(**DUT)) as bench:
        outcome = run_procedure("rv-loop", bench, tmp_path, {"pulse_width": 1e-6})
    assert outcome.status == "failed" and "pulse generator" not in outcome.error
    assert "shortest pulse a source-meter sweep makes" in outcome.error


def synthetic_loop(rng, noise=5e-4):
    """Two DC loops of a junction whose TMR falls from 150 % to 20 % at the sweep's ends: switches at +0.5 V (AP→P)
    and −0.3 V (P→AP), one of them caught mid-reading; returns (V, R, switch indices)."""
    v = np.concatenate(loop_levels(0.8, 40) * 2)
    r_p, r_ap = 4000.0, 4000.0 * (1 + 1.5 / (1 + (v / 0.32) ** 2))
    state = np.empty(v.size, bool)
    ap = True
    for k, x in enumerate(v):
        ap = (ap and x < 0.5) or (not ap and x < -0.3)
        state[k] = ap
    r = np.where(state, r_ap, r_p)
    first = np.flatnonzero(np.diff(state.astype(int)))[0]
    r[first + 1] = 0.5 * (r[first] + r[first + 2])  # a reading that caught the switch
    return v, r * (1 + noise * rng.standard_normal(v.size)), state


def test_branch_switches_follow_each_branch_not_a_threshold():
    v, r, state = synthetic_loop(np.random.default_rng(2))
    switches = branch_switches(r)
    assert [s.direction for s in switches] == [-1, 1, -1, 1]
    assert switches[0].first_new - switches[0].last_old == 2  # the mid-reading switch spans two steps
    is_ap, settled = branch_states(r.size, switches)
    assert np.array_equal(is_ap[settled], state[settled]) and settled.sum() >= r.size - 12
    # one global threshold halfway between the levels puts AP readings at high bias on the P side
    threshold = np.sqrt(r.min() * r.max())
    assert np.any((r < threshold) & state)


def test_branch_switches_refuse_what_they_cannot_tell():
    rng = np.random.default_rng(3)
    with pytest.raises(AnalysisError, match="did not switch"):
        branch_switches(5000 * (1 + 1e-3 * rng.standard_normal(200)))
    v, r, _ = synthetic_loop(rng)
    spike = r.copy()
    spike[10] *= 1.5  # one outlier reading is not a switch
    assert len(branch_switches(spike)) == 4
    lost = r.copy()
    k = branch_switches(r)[1].last_old
    lost[k:k + 30] = np.geomspace(r[k], r[k + 30], 30)  # a P→AP switch smeared into a ramp is no step
    with pytest.raises(AnalysisError, match="switches in a row"):
        branch_switches(lost)
