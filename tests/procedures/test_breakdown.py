"""breakdown: Weibull parameters of simulated barriers recovered through the SMU and the switch matrix."""

import json
import math
import threading

import numpy as np
import pandas as pd
import pytest

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure

V_BREAKDOWN, GAMMA, BETA = 1.2, 20.0, 2.0  # η = 1 s at 1.2 V, a decade per 0.115 V, Weibull shape 2
CVS = {"stress": "constant", "v_stress": 1.085, "t_first": 0.01, "t_max": 1000.0, "reads_per_decade": 10}
ETA_CVS = math.exp(-GAMMA * (CVS["v_stress"] - V_BREAKDOWN))  # 10 s


def array_bench(rows, cols, seed=2, max_voltage=2.5):
    return Bench.open(BenchConfig.from_dict({
        "name": "breakdown", "simulated": True, "seed": seed,
        "safety": {"max_voltage": max_voltage, "max_current": 2e-3},
        "dut": {"model": "array", "rows": rows, "cols": cols, "seed": seed, "v_breakdown": V_BREAKDOWN,
                "gamma_breakdown": GAMMA, "weibull_beta": BETA}}))


def summary(out):
    return json.loads((out / "summary.json").read_text())


def test_constant_stress_recovers_beta_and_eta_of_an_array(tmp_path):
    """256 cells: the ML fit's 1σ is 5 % on β and 3.3 % on η (0.78/√n and 1.05/(β√n)); the tolerances, 15 % and
    10 %, are 3σ."""
    with array_bench(16, 16) as bench:
        outcome = run_procedure("breakdown", bench, tmp_path, CVS)
    assert outcome.status == "finished", outcome.error
    s = summary(tmp_path)
    assert s["devices"] == s["breakdowns"] == 256
    assert s["beta"] == pytest.approx(BETA, rel=0.15) and s["beta_err"] == pytest.approx(0.05 * BETA, rel=0.3)
    assert s["eta"] == pytest.approx(ETA_CVS, rel=0.10) and s["eta_err"] == pytest.approx(0.033 * ETA_CVS, rel=0.3)
    assert abs(s["beta"] - BETA) < 3 * s["beta_err"] and abs(s["eta"] - ETA_CVS) < 3 * s["eta_err"]
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_ramp_stress_gives_the_constant_stress_law(tmp_path):
    """144 cells ramped at 1 V/s: V63 and, with γ given, β and v_breakdown (η = 1 s) of the stress law."""
    settings = {"stress": "ramp", "v_start": 0.9, "v_max": 2.0, "v_step": 0.01, "ramp_rate": 1.0, "gamma": GAMMA}
    with array_bench(12, 12, seed=5) as bench:
        outcome = run_procedure("breakdown", bench, tmp_path, settings)
    assert outcome.status == "finished", outcome.error
    s = summary(tmp_path)
    assert s["breakdowns"] == 144
    assert s["v_breakdown"] == pytest.approx(V_BREAKDOWN, abs=0.02)
    assert s["beta"] == pytest.approx(BETA, rel=0.15)  # 1σ 6.5 %
    assert s["slope"] == pytest.approx(BETA * GAMMA, rel=0.15)


def test_one_device_bench_breaks_at_its_life_and_the_fit_is_refused(tmp_path):
    config = {"name": "one", "simulated": True, "seed": 1, "safety": {"max_voltage": 2.0},
              "dut": {"model": "pmtj", "v_breakdown": V_BREAKDOWN, "gamma_breakdown": GAMMA, "seed": 7}}
    with Bench.open(BenchConfig.from_dict(config)) as bench:
        dut = bench.virtual.dut
        expected = float(dut.barrier.life) * float(dut.breakdown_law.eta(CVS["v_stress"]))
        outcome = run_procedure("breakdown", bench, tmp_path, CVS)
        assert dut.broken
    assert outcome.status == "finished", outcome.error
    row = pd.read_csv(tmp_path / "data.csv", comment="#").iloc[0]
    assert row["Broken"] == 1 and row["Resistance after (ohm)"] < 0.2 * row["Resistance before (ohm)"]
    assert row["Breakdown time (s)"] == pytest.approx(expected, rel=0.3)  # read back 10 times a decade
    error = summary(tmp_path)["run"]["analysis_error"]
    assert "1 of 1 devices broke down (t_bd = " in error and "at least 5" in error


def test_a_stress_beyond_the_bench_limits_is_refused_before_anything_is_sent(tmp_path):
    with array_bench(2, 2, max_voltage=1.5) as bench:
        outcome = run_procedure("breakdown", bench, tmp_path, {"stress": "ramp", "v_max": 2.0})
        assert not bench.virtual.dut.barrier.damage.any()
        assert bench.virtual.bias.level == 0.0
    assert outcome.status == "failed" and "max_voltage 1.5 V" in outcome.error
    assert outcome.points == 0


def test_a_resumed_run_skips_the_cells_on_disk_and_measures_the_rest_alike(tmp_path):
    settings = dict(CVS, cells="1,1 1,2 1,3 2,1 2,2 2,3 3,1 3,2")
    with array_bench(3, 3) as bench:
        whole = run_procedure("breakdown", bench, tmp_path / "whole", settings)
    stop = threading.Event()

    def progress(percent):
        if percent >= 40:
            stop.set()

    with array_bench(3, 3) as bench:
        first = run_procedure("breakdown", bench, tmp_path / "parts", settings, progress=progress, stop=stop)
    assert first.status == "aborted" and 0 < first.points < whole.points
    with array_bench(3, 3) as bench:
        second = run_procedure("breakdown", bench, tmp_path / "parts", resume=True)
        # the resumed run stressed only the cells it had not measured
        assert np.count_nonzero(bench.virtual.dut.barrier.damage) == whole.points - first.points
    assert second.status == "finished", second.error
    parts, uninterrupted = (pd.read_csv(tmp_path / d / "data.csv", comment="#") for d in ("parts", "whole"))
    pd.testing.assert_frame_equal(parts, uninterrupted)
    assert summary(tmp_path / "parts")["beta"] == pytest.approx(summary(tmp_path / "whole")["beta"])
