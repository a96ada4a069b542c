"""noise-psd: Hooge parameter, telegraph-defect corners and the S_V ∝ V² law recovered through the virtual scope
and source-meter from seeded random junctions."""

import math

import numpy as np
import pandas as pd
import pytest

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure

#: a stable AP junction (Δ 45) biased by currents that hold it in AP
PMTJ = {"model": "pmtj", "state": "AP", "r_p": 5000.0, "tmr": 1.2}
SCOPE_RUN = {"i_start": -5e-6, "i_stop": -20e-6, "biases": 3, "duration": 1e-3, "points": 100_000, "records": 10}


def run(tmp_path, dut, settings, seed=1, instruments=None):
    config = {"simulated": True, "seed": seed, "dut": PMTJ | dut}
    if instruments is not None:
        config["instruments"] = instruments
    with Bench.open(BenchConfig.from_dict(config)) as bench:
        return run_procedure("noise-psd", bench, tmp_path, settings)


def random_device(rng):
    """α_H 1e-10–1e-9 µm² on 0.5–2e-3 µm², one defect whose Lorentzian stands 3–10× above the 1/f noise at its
    corner (80–400 kHz, occupied 25–75 % of the time)."""
    hooge, area = 10 ** rng.uniform(-22, -21), rng.uniform(0.5e-15, 2e-15)
    corner, p, excess = 10 ** rng.uniform(np.log10(8e4), np.log10(4e5)), rng.uniform(0.25, 0.75), rng.uniform(3, 10)
    amplitude = math.sqrt(excess * hooge / area * math.pi / (2 * p * (1 - p)))
    rate = 2 * math.pi * corner
    return {"hooge": hooge, "area": area, "rtn_amplitude": amplitude, "rtn_rate_up": p * rate,
            "rtn_rate_down": (1 - p) * rate}, corner, amplitude * math.sqrt(p * (1 - p))


def test_random_junctions_through_the_scope(tmp_path):
    """Three seeded random junctions: α_H within 10 %, the defect's corner within 10 % and its rms within 15 %, the
    bias exponent 2 ± 0.2 and γ 1 ± 0.15; one Lorentzian chosen by the information criterion; data and plot kept."""
    rng = np.random.default_rng(13)
    for k in range(3):
        dut, corner, rms = random_device(rng)
        outcome = run(tmp_path / str(k), dut, SCOPE_RUN | {"area": dut["area"]}, seed=k)
        assert outcome.status == "finished", outcome.error
        s = outcome.summary
        assert s["hooge"] == pytest.approx(dut["hooge"], rel=0.1), (k, dut)
        assert 0 < s["hooge_err"] < 0.05 * s["hooge"]
        assert s["n_lorentzians"] == 1, (k, dut, s)
        assert s["rtn_corner_1"] == pytest.approx(corner, rel=0.1), (k, dut)
        assert s["rtn_rms_1"] == pytest.approx(rms, rel=0.15), (k, dut)
        assert s["exponent"] == pytest.approx(2.0, abs=0.2) and s["gamma"] == pytest.approx(1.0, abs=0.15)
        assert math.isnan(s["rtn_corner_2"])
    data = pd.read_csv(tmp_path / "2" / "data.csv", comment="#")
    assert sorted(set(data["Bias point"])) == [0, 1, 2] and data["Frequency (Hz)"].max() <= 0.05 * 1e8
    assert (tmp_path / "2" / "plot.png").stat().st_size > 10_000


def test_source_meter_readings_give_the_low_band(tmp_path):
    """A bench without a scope records the noise as 8192 buffered 1-PLC readings per bias point (0.15–2.5 Hz, about
    6 % statistical error in α_H): α_H within 15 % and S_V ∝ V^(2 ± 0.3); asking such a bench for the scope fails
    with the bench's error naming the missing instrument."""
    dut = {"hooge": 3e-20, "area": 1e-14, "read_noise": 5e-5}
    smu_only = {"smu": {"driver": "keithley2450"}}
    settings = {"i_start": -10e-6, "i_stop": -60e-6, "readings": 8192, "smu_segment": 1024, "area": 1e-14,
                "lorentzians": "0"}
    outcome = run(tmp_path / "smu", dut, settings, instruments=smu_only)
    assert outcome.status == "finished", outcome.error
    assert outcome.summary["hooge"] == pytest.approx(3e-20, rel=0.15)
    assert outcome.summary["hooge_err"] < 0.1 * outcome.summary["hooge"]
    assert outcome.summary["exponent"] == pytest.approx(2.0, abs=0.3)
    failed = run(tmp_path / "scope", dut, settings | {"instrument": "scope"}, instruments=smu_only)
    assert failed.status == "failed" and "has no 'scope'" in failed.error
