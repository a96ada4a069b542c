"""Parameter recovery over random STNO devices: st-fmr (α, μ0Meff, μ0ΔH0) and stno-spectrum (threshold, f0)
measured through the virtual instruments, each within 10 % of the device's own value or refused with a clear
error (issue 13)."""

import json
import math

import numpy as np
import pytest

from mtjhw.analysis.rf import kittel_frequency
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure

DEVICES = 8
FIELD = 0.05  # T, stno-spectrum's


def random_device(rng: np.random.Generator) -> dict[str, float]:
    """An in-plane MTJ oscillator drawn over the range of CoFeB/MgO nanopillars."""
    return {"alpha": float(rng.uniform(0.005, 0.03)), "mu0_meff": float(rng.uniform(0.7, 1.3)),
            "dh0": float(rng.uniform(0.3e-3, 1.5e-3)), "ms": float(rng.uniform(0.9e6, 1.3e6)),
            "volume": float(rng.uniform(1.0e-23, 2.5e-23)), "ref_angle": float(rng.uniform(0.6, 0.85) * math.pi),
            "eta": float(rng.uniform(0.4, 0.7)), "r_p": float(rng.uniform(100.0, 400.0)),
            "tmr": float(rng.uniform(0.6, 1.5))}


def analysis_error(outcome) -> str:
    return json.loads(outcome.summary_file.read_text())["run"]["analysis_error"] or outcome.error


@pytest.mark.parametrize("index", range(DEVICES))
def test_st_fmr_and_stno_spectrum_recover_random_devices(tmp_path, index):
    """st-fmr first (its μ0Meff sets the analyser's span, as on a real bench), then stno-spectrum over 0.6–1.3 ×
    a threshold guessed within ±10 % (from the junction's size)."""
    rng = np.random.default_rng([13, index])
    dut = random_device(rng)
    config = BenchConfig.from_dict({"simulated": True, "seed": index, "dut": {"model": "stno", **dut}})
    with Bench.open(config) as bench:
        physics = bench.virtual.dut.physics
        fmr = run_procedure("st-fmr", bench, tmp_path / "fmr", {"frequencies": 5, "coarse_points": 40,
                                                                "fine_points": 41})
        assert fmr.status == "finished" and fmr.summary, f"st-fmr on {dut}: {analysis_error(fmr)}"
        s = fmr.summary
        for key in ("alpha", "mu0_meff", "dh0"):
            assert s[key] == pytest.approx(dut[key], rel=0.1), (key, dut)
        guess = float(physics.threshold_current(FIELD)) * rng.uniform(0.9, 1.1)
        f0 = float(kittel_frequency(FIELD, s["mu0_meff"]))
        spectrum = run_procedure("stno-spectrum", bench, tmp_path / "spectrum", {
            "field": FIELD, "i_min": 0.6 * guess, "i_max": 1.3 * guess, "currents": 12, "averages": 4,
            "points": 801, "f_start": 0.6 * f0, "f_stop": 1.15 * f0})
        field = bench.virtual.field
    assert spectrum.status == "finished" and spectrum.summary, f"stno-spectrum on {dut}: {analysis_error(spectrum)}"
    s = spectrum.summary
    assert s["i_th"] == pytest.approx(float(physics.threshold_current(field)), rel=0.1), dut
    assert s["f0"] == pytest.approx(float(physics.fmr_frequency(field)), rel=0.1), dut
    assert all(s[f"{key}_err"] < 0.1 * abs(s[key]) for key in ("i_th", "f0")), s
