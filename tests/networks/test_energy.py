"""Inference energy of the time-domain crossbar readout: the RC charge against a numerical integration of the
circuit, the read and operation counts against the network's shape, and the jung-crossbar report."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from mtjhw.networks.binary import BinaryMLP, XnorCrossbar
from mtjhw.networks.energy import TDC_ENERGY, crossbar_inference_energy, rc_read_energy
from mtjhw.simulators.physics.crossbar import CrossbarParams


@pytest.mark.parametrize("resistance", [16 * 5e3, 16 * 11e3, 1e6])
def test_the_rc_read_draws_c_v_charge_v_threshold_whatever_the_resistance(resistance):
    c, v_charge, v_threshold = 1e-12, 1.0, 0.5
    tau = resistance * c
    t_end = tau * math.log(v_charge / (v_charge - v_threshold))  # the capacitor reaches v_threshold
    drawn, _ = quad(lambda t: v_charge * (v_charge / resistance) * math.exp(-t / tau), 0.0, t_end)
    assert rc_read_energy(c, v_charge, v_threshold) == pytest.approx(drawn, rel=1e-9)


def test_reads_and_operations_follow_the_network_shape():
    energy = XnorCrossbar(BinaryMLP((64, 256, 10), seed=0), CrossbarParams(), segment=16).energy()
    assert energy.reads == 64 // 16 * 256 + 256 // 16 * 10
    assert energy.operations == 2 * (64 * 256 + 256 * 10)
    assert energy.energy == pytest.approx(energy.reads * (0.5e-12 + TDC_ENERGY))
    assert energy.tops_per_watt == pytest.approx(energy.operations / energy.energy / 1e12)


def test_a_partial_segment_is_one_more_read_and_bad_voltages_are_refused():
    assert crossbar_inference_energy([(17, 3)], 16, 1e-12, 1.0, 0.5).reads == 2 * 3
    with pytest.raises(ValueError, match="v_threshold < v_charge"):
        rc_read_energy(1e-12, 0.5, 0.5)


def test_jung_crossbar_reports_energy_beside_the_papers_tops_per_watt(tmp_path):
    from mtjhw.reproduce import run_reproduction

    report = run_reproduction("jung-crossbar", tmp_path, quick=True, progress=False)
    energy = report["energy"]
    assert energy["energy_per_inference"] == pytest.approx(energy["reads"] * (0.5e-12 + TDC_ENERGY))
    low, high = report["paper_tops_per_watt"]
    assert low <= energy["tops_per_watt"] <= 2 * high  # the same order as the measured chip
    assert np.isfinite(report["value"])
