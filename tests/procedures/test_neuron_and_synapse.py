"""Stochastic-neuron transfer curve and multi-level synapse LTP/LTD on the virtual bench."""

import numpy as np
import pytest

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.sigmoid import fit_sigmoid
from mtjhw.analysis.synapse import distinguishable_levels, nonlinearity
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure


def bench(dut, seed=2):
    return Bench.open(BenchConfig.from_dict({"simulated": True, "seed": seed, "dut": dut}))


def test_neuron_transfer_is_the_neel_brown_sigmoid(tmp_path):
    delta, ic0 = 6.0, 20e-6
    with bench({"model": "smtj", "delta": delta, "ic0": ic0, "h_offset": 0.0}) as b:
        outcome = run_procedure("neuron-transfer", b, tmp_path, {"i_min": -12e-6, "i_max": 12e-6, "points": 17})
    assert outcome.status == "finished", outcome.error
    # p_AP = r_P→AP / (r_P→AP + r_AP→P) = 1 / (1 + exp(2ΔI/Ic0)) for n = 1 and no stray field
    assert outcome.summary["width"] == pytest.approx(-ic0 / (2 * delta), rel=0.1)
    assert abs(outcome.summary["i50"]) < 0.05 * 12e-6
    assert outcome.summary["slope"] == pytest.approx(2 * delta / (4 * ic0), rel=0.1)


def test_neuron_transfer_needs_a_range_through_the_switching_point(tmp_path):
    with pytest.raises(AnalysisError, match="does not cross p = 1/2"):
        fit_sigmoid(np.linspace(1, 2, 8), np.full(8, 0.9))
    with bench({"model": "smtj"}) as b:
        outcome = run_procedure("neuron-transfer", b, tmp_path, {"i_min": 1e-6, "i_max": 5e-6})
    assert outcome.status == "failed" and "must span zero current" in outcome.error


def test_synapse_staircase_has_as_many_levels_as_pinning_sites(tmp_path):
    with bench({"model": "dw-synapse", "n_sites": 12, "sigma_c2c": 0.05}) as b:
        outcome = run_procedure("synapse-ltp-ltd", b, tmp_path, {"pulses": 40, "amplitude": 0.09, "width": 10e-9})
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["n_levels"] == 12
    assert s["g_max"] / s["g_min"] == pytest.approx(2.2, rel=0.05)  # 1 + TMR across the track
    assert abs(s["nl_ltp"]) < 30 and abs(s["nl_ltd"]) < 30


def test_synapse_figures_on_known_curves():
    n = np.linspace(0, 1, 30)
    linear = 1e-4 + 1e-4 * n
    assert nonlinearity(linear) == pytest.approx(0.0, abs=1e-6)
    saturating = 1e-4 + 1e-4 * (1 - np.exp(-3 * n)) / (1 - np.exp(-3))
    assert nonlinearity(saturating) == pytest.approx(3.0, rel=1e-3)
    assert distinguishable_levels(np.repeat(np.arange(5) * 1e-6, 4), noise=1e-8) == 5
    with pytest.raises(AnalysisError, match="no synaptic plasticity"):
        nonlinearity(np.full(10, 1e-4))
