"""Stochastic-neuron transfer curve (against the smtj model's own occupation) and multi-level synapse LTP/LTD."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.sigmoid import fit_sigmoid, fit_transfer
from mtjhw.analysis.synapse import distinguishable_levels, nonlinearity, nonlinearity_error
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench.bias import Bias


def bench(dut, seed=2):
    return Bench.open(BenchConfig.from_dict({"simulated": True, "seed": seed, "dut": dut}))


def own_occupation(b, currents):
    """p_AP the DUT's own two-state rates give at each input current: r_P→AP / (r_P→AP + r_AP→P)."""
    rates = np.array([b.virtual.dut.rates(Bias("I", float(i)), 0.0) for i in currents])
    return rates[:, 0] / rates.sum(axis=1)


@pytest.mark.parametrize("h_offset", [0.0, 0.002], ids=["centred", "stray-field"])
def test_neuron_transfer_is_the_devices_own_occupation(tmp_path, h_offset):
    """The transfer curve against the exact stationary occupation of the smtj model: pointwise within 0.02,
    i50 within 0.3 µA and the slope within 4 % of a sigmoid through the model's own p_AP."""
    dut = {"model": "smtj", "delta": 6.0, "ic0": 20e-6, "h_offset": h_offset, "tau0": 1e-9, "n_current": 2.0}
    with bench(dut) as b:
        outcome = run_procedure("neuron-transfer", b, tmp_path, {"i_min": -9e-6, "i_max": 9e-6, "points": 19})
        data = pd.read_csv(outcome.data_file, comment="#")
        current = data["Current (A)"].to_numpy()
        own = own_occupation(b, current)
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    fit = fit_transfer(current, data["Resistance (ohm)"].to_numpy())
    np.testing.assert_allclose(fit.occupation(current, data["Resistance (ohm)"]), own, atol=0.02)
    reference = fit_sigmoid(current, own)
    assert s["i50"] == pytest.approx(reference.x50, abs=0.3e-6)
    assert s["slope"] == pytest.approx(reference.slope, rel=0.04)
    for key in ("i50", "slope", "r_p", "r_ap"):
        assert 0 < s[f"{key}_err"] < 0.05 * max(abs(s[key]), 1e-6)


def test_bias_dependent_levels_are_why_the_slope_read_high():
    """Néel–Brown p_AP = 1/(1 + exp(2ΔI/Ic0)) (n = 1, no field) read through levels that fall with bias as MgO TMR
    does: the levels from the range ends bias the slope high; the fitted levels recover it."""
    delta, ic0, r_p, tmr, v_half = 6.0, 20e-6, 5000.0, 1.2, 0.5
    current = np.linspace(-12e-6, 12e-6, 17)
    p_ap = 1 / (1 + np.exp(2 * delta * current / ic0))
    def ap_level(i):  # R_AP at the bias it sets itself, V = I·R_AP
        return brentq(lambda r: r - r_p * (1 + tmr / (1 + (i * r / v_half) ** 2)), r_p, r_p * (1 + tmr))

    r_ap = np.array([ap_level(i) for i in current])
    resistance = (1 - p_ap) * r_p + p_ap * r_ap
    true_slope = 2 * delta / (4 * ic0)
    ends = fit_sigmoid(current, (resistance - resistance.min()) / np.ptp(resistance))
    assert ends.slope > 1.04 * true_slope
    assert fit_transfer(current, resistance).slope == pytest.approx(true_slope, rel=0.01)


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
    assert 0 < s["nl_ltp_err"] < 0.5 and 0 < s["nl_ltd_err"] < 0.5
    assert s["asymmetry_err"] == pytest.approx(np.hypot(s["nl_ltp_err"], s["nl_ltd_err"]))


def test_synapse_figures_on_known_curves():
    n = np.linspace(0, 1, 30)
    linear = 1e-4 + 1e-4 * n
    assert nonlinearity(linear) == pytest.approx(0.0, abs=1e-6)
    saturating = 1e-4 + 1e-4 * (1 - np.exp(-3 * n)) / (1 - np.exp(-3))
    assert nonlinearity(saturating) == pytest.approx(3.0, rel=1e-3)
    assert distinguishable_levels(np.repeat(np.arange(5) * 1e-6, 4), noise=1e-8) == 5
    with pytest.raises(AnalysisError, match="no synaptic plasticity"):
        nonlinearity(np.full(10, 1e-4))
    # the bootstrap error of ν is the scatter of ν over staircases with that read noise
    rng = np.random.default_rng(5)
    spread = np.std([nonlinearity(saturating + 2e-6 * rng.standard_normal(n.size)) for _ in range(300)])
    assert nonlinearity_error(saturating, 2e-6) == pytest.approx(spread, rel=0.2)
