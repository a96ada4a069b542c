"""The bench pMTJ on its two engines: parameters, the exact burst Markov chain, and fast vs sLLGS pulses."""

import numpy as np
import pytest

from mtjhw.simulators.bench.bias import Bias
from mtjhw.simulators.bench.models import DutConfigError, build_dut, model_parameters
from mtjhw.simulators.bench.pmtj import MacrospinPerpendicularMTJ, PerpendicularMTJ
from mtjhw.simulators.physics.brown import attempt_time
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P

READ = Bias("V", 0.02)


def test_engines_and_their_parameters():
    assert isinstance(build_dut({"model": "pmtj"}), PerpendicularMTJ)
    assert isinstance(build_dut({"model": "smtj", "engine": "macrospin"}), MacrospinPerpendicularMTJ)
    assert {"engine", "alpha", "tau0", "n_current"} <= set(model_parameters("pmtj"))
    fixed = build_dut({"model": "pmtj", "tau0": 1e-9})  # a fixed attempt time fixes the damping
    assert float(attempt_time(45.0, fixed.alpha, 0.08)) == pytest.approx(1e-9, rel=1e-6)
    assert fixed.physics.tau0[0] == pytest.approx(1e-9, rel=1e-3)
    for config, message in [({"engine": "sllgs"}, "unknown engine 'sllgs'"),
                            ({"alpha": 0.02, "tau0": 1e-9}, "give alpha or tau0, not both"),
                            ({"tau0": 1e-13}, "shorter than any damping"),
                            ({"engine": "macrospin", "n_current": 1}, "n_current must be 2")]:
        with pytest.raises(DutConfigError, match=message):
            build_dut({"model": "pmtj", **config})
    with pytest.raises(DutConfigError, match="dut.engine: unknown engine"):
        build_dut({"model": "stno", "engine": "macrospin"})


def test_a_burst_switches_with_the_law_of_its_write_pulse():
    dut = build_dut({"model": "pmtj", "h_offset": 0.0})
    reset, gap, write, window = (10e-6, -0.6, False), (10e-6, 0.0, False), (10e-9, 0.95, False), (2e-4, 0.0, True)
    count = 4000
    fraction, = dut.run_timeline([reset, gap, write, gap, window, gap], count, READ, 0.02, 0.0,
                                 np.random.default_rng(3))
    # every reset holds (−0.6 V is far beyond the P state's critical voltage), and reads see whole states
    assert set(np.unique(fraction)) <= {0.0, 1.0}
    p = dut.switch_law(STATE_AP, 10e-9, Bias("V", 0.97), 0.0, READ, 0.0).probability
    assert 0.2 < p < 0.8
    assert abs(fraction.mean() - p) < 4 * np.sqrt(p * (1 - p) / count)


@pytest.mark.parametrize(("width", "voltage"), [(10e-9, 0.95), (100e-9, 0.42)])
def test_the_macrospin_engine_switches_as_the_fast_one(width, voltage):
    probabilities = {}
    for engine, trials in (("fast", 4000), ("macrospin", 100)):
        dut = build_dut({"model": "pmtj", "h_offset": 0.0, "engine": engine})
        rng = np.random.default_rng(4)
        switched = 0
        for _ in range(trials):
            dut.state = STATE_AP
            dut.advance(40e-9, READ, 0.0, rng)
            dut.advance(width, Bias("V", voltage), 0.0, rng)
            dut.advance(1e-3, READ, 0.0, rng)  # a long read: skipped by the macrospin engine once relaxed
            switched += dut.state == STATE_P
        probabilities[engine] = switched / trials
    p = probabilities["fast"]
    assert 0.2 < p < 0.8
    assert abs(probabilities["macrospin"] - p) < 4 * np.sqrt(p * (1 - p) / 100)
