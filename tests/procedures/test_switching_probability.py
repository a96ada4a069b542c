"""Pulsed switching probability on the virtual bench: Néel–Brown parameter recovery, loud fits, faults."""

import numpy as np
import pytest
from pymeasure.test import expected_protocol

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.switching import fit_switching, switching_probability
from mtjhw.bench import Bench
from mtjhw.instruments.pulse_generator import Keysight81160A
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.runner import run_procedure
from tests.conftest import simulated_config

SETTINGS = {"amplitudes": 14, "trials": 600, "wer_target": 1e-3}


@pytest.mark.parametrize(("dut", "v_range"), [
    (dict(delta=45.0, ic0=60e-6, r_p=5000.0, tmr=1.2), (0.3, 0.48)),
    (dict(delta=60.0, ic0=40e-6, r_p=4000.0, tmr=1.5), (0.2, 0.38)),
], ids=["delta45", "delta60"])
def test_recovers_delta_and_ic0(tmp_path, dut, v_range):
    with Bench.open(simulated_config(seed=4, h_offset=0.0, **dut)) as bench:
        outcome = run_procedure("switching-probability", bench, tmp_path,
                                SETTINGS | {"v_min": v_range[0], "v_max": v_range[1]})
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["delta"] == pytest.approx(dut["delta"], rel=0.1)
    assert s["ic0"] == pytest.approx(dut["ic0"], rel=0.1)
    assert s["i50"] < s["ic0"]  # thermal activation: a 1 µs pulse switches below Ic0
    assert s["r_p"] == pytest.approx(dut["r_p"], rel=0.02)


def test_fit_matches_synthetic_counts_and_fails_loudly_on_flat_data():
    rng = np.random.default_rng(0)
    current = np.linspace(30e-6, 60e-6, 12)
    trials = np.full(current.size, 2000)
    switched = rng.binomial(trials, switching_probability(current, 1e-6, 40.0, 55e-6, 1e-9))
    fit = fit_switching(current, 1e-6, switched, trials)
    assert fit.delta == pytest.approx(40.0, rel=0.05) and fit.ic0 == pytest.approx(55e-6, rel=0.02)
    with pytest.raises(AnalysisError, match="transition is not resolved"):
        fit_switching(current, 1e-6, np.zeros(12), trials)
    with pytest.raises(AnalysisError, match="transition is not resolved"):
        fit_switching(current, 1e-6, trials.copy(), trials)
    with pytest.raises(AnalysisError, match="τ0 cannot be fitted"):
        fit_switching(current, 1e-6, switched, trials, fit_tau0=True)


def test_amplitudes_that_never_switch_are_a_clear_error(tmp_path):
    with Bench.open(simulated_config(h_offset=0.0)) as bench:
        outcome = run_procedure("switching-probability", bench, tmp_path, {"v_min": 0.05, "v_max": 0.1})
        assert not any(twin.output[ch] for twin in bench.virtual_handlers() if hasattr(twin, "burst")
                       for ch in (1, 2))
    assert outcome.status == "failed" and "no switching at v_max" in outcome.error


def test_pulse_generator_driver_protocol_and_safety():
    with expected_protocol(Keysight81160A, [
        (":FUNC2 PULS;:OUTP2:LOAD INF;:OUTP2:POL INV;:VOLT2:LOW 0;:VOLT2:HIGH 0.6;:PULS:PER2 0.001;"
         ":PULS:WIDT2 1e-05;:PULS:DEL2 0;:BURS2:STAT ON;:BURS2:NCYC 100;:ARM:SOUR2 MAN;:OUTP2 ON", None),
        ("SYST:ERR?", '0,"No error"'),
        ("*TRG", None),
        ("*OPC?", "1"),
        (":OUTP1 OFF", None),
        (":OUTP2 OFF", None),
    ], limits=SafetyLimits(max_voltage=0.8)) as pulser:
        pulser.setup_pulse(2, -0.6, 10e-6, 1e-3, 100)
        pulser.fire()
        pulser.output_off()
        with pytest.raises(SafetyLimitError, match="voltage 0.9 V"):
            pulser.setup_pulse(1, 0.9, 1e-6, 1e-3, 10)
        with pytest.raises(ValueError, match="does not fit"):
            pulser.setup_pulse(1, 0.5, 2e-3, 1e-3, 10)


def test_33500b_fills_the_same_role_on_the_bench(tmp_path):
    from mtjhw.config import BenchConfig

    config = BenchConfig.from_dict({
        "simulated": True, "seed": 4, "safety": {"max_voltage": 0.8},
        "dut": {"model": "pmtj", "h_offset": 0.0},
        "instruments": {"smu": {"driver": "keithley2450"}, "pulser": {"driver": "keysight33500b"}}})
    with Bench.open(config) as bench:
        assert "33522B" in bench.pulser.id
        outcome = run_procedure("switching-probability", bench, tmp_path, SETTINGS | {"v_min": 0.3, "v_max": 0.48})
    assert outcome.status == "finished", outcome.error
    assert outcome.summary["ic0"] == pytest.approx(60e-6, rel=0.1)


def test_33500b_driver_protocol():
    from mtjhw.instruments.pulse_generator import Keysight33500B

    with expected_protocol(Keysight33500B, [
        ("SOUR1:FUNC PULS;:OUTP1:LOAD INF;:OUTP1:POL NORM;:SOUR1:VOLT:LOW 0;:SOUR1:VOLT:HIGH 0.4;"
         ":SOUR1:FUNC:PULS:PER 0.001;:SOUR1:FUNC:PULS:WIDT 1e-06;:SOUR1:BURS:STAT ON;"
         ":SOUR1:BURS:NCYC 50;:TRIG1:SOUR BUS;:TRIG1:DEL 0.0003;:OUTP1 ON", None),
        ("SYST:ERR?", '+0,"No error"'),
        ("OUTP1 OFF", None),
        ("OUTP2 OFF", None),
    ], limits=SafetyLimits(max_voltage=0.8)) as pulser:
        pulser.setup_pulse(1, 0.4, 1e-6, 1e-3, 50, 300e-6)
        pulser.output_off()
        with pytest.raises(ValueError, match="width >= 1.6e-08"):
            pulser.setup_pulse(1, 0.4, 5e-9, 1e-3, 50)
