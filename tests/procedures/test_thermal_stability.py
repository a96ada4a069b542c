"""thermal-stability on the simulated temperature bench (Lake Shore 336 twin heating the stage): Δ and Hk at t_ref
recovered from R-H loops at three sweep rates at two temperatures; the Callen–Callen fit; clear refusals."""

import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.thermal_stability import fit_thermal_stability
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure
from tests.conftest import simulated_config

BENCH = Path(__file__).parents[2] / "examples" / "simulated-temperature.yaml"
#: 8 loops: at 3 the Sharrock fit constrains Hk to 5–7 % only (Δ to 4–5 %), and came back 11 % off on one device in
#: five of the campaign's; 8 loops constrain both to about 3 %
SETTINGS = {"t_start": 300.0, "t_stop": 340.0, "temperatures": 2, "t_ref": 300.0, "points": 25, "loops": 8,
            "sweep_rates": 3, "sweep_rate": 0.1, "hold": 5.0}


def random_device(rng: np.random.Generator) -> dict[str, float]:
    hk = rng.uniform(0.05, 0.12)
    return dict(delta=rng.uniform(40.0, 55.0), hk=hk, h_offset=rng.uniform(-0.05, 0.05) * hk,
                r_p=rng.uniform(3000.0, 8000.0), tmr=rng.uniform(0.8, 2.0), t_curie=rng.uniform(700.0, 1200.0),
                anisotropy_exponent=rng.uniform(2.0, 3.0), temperature=300.0)


def temperature_bench(**dut: float) -> BenchConfig:
    config = yaml.safe_load(BENCH.read_text())
    config["dut"] |= dut
    return BenchConfig.from_dict(config)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_delta_and_hk_at_t_ref_are_recovered(tmp_path, seed):
    dut = random_device(np.random.default_rng(seed))
    with Bench.open(temperature_bench(**dut)) as bench:
        outcome = run_procedure("thermal-stability", bench, tmp_path, SETTINGS | {"field_max": 1.25 * dut["hk"]})
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["delta_ref"] == pytest.approx(dut["delta"], rel=0.1), (dut, s)
    assert s["hk_ref"] == pytest.approx(dut["hk"], rel=0.1), (dut, s)
    assert 0 < s["delta_ref_err"] < 0.1 * s["delta_ref"] and 0 < s["hk_ref_err"] < 0.1 * s["hk_ref"]
    assert s["temperatures"] == pytest.approx([300.0, 340.0], abs=0.2)  # the stage held each set point
    assert s["delta_t"][1] < s["delta_t"][0]  # a warmer junction is less stable
    assert (tmp_path / "summary.json").exists() and (tmp_path / "plot.png").stat().st_size > 0


def campaign_device(index: int) -> dict[str, float]:
    """The device ``index`` of benchmarks/recovery_campaign.py's thermal-stability case."""
    return random_device(np.random.default_rng([2026, index, sum(map(ord, "thermal-stability"))]))


@pytest.mark.parametrize(("loops", "refused"), [(3, True), (8, False)])
def test_an_unconstrained_fit_is_refused_and_a_constrained_one_is_right(tmp_path, loops, refused):
    """Campaign device 3 (Δ 48.6, μ0Hk 99.4 mT): 3 loops gave Δ_ref 43.3 ± 1.7 and Hk_ref 110.9 ± 5.6 mT (−11 %,
    +12 %) where the fit constrained Hk to 5 % only; that is now a refusal that says to run more loops, and 8 loops
    bring both back within 10 % and within 3 of their stated σ."""
    dut = campaign_device(3)
    with Bench.open(temperature_bench(**dut)) as bench:
        outcome = run_procedure("thermal-stability", bench, tmp_path,
                                SETTINGS | {"loops": loops, "field_max": 1.25 * dut["hk"]})
    if refused:
        error = json.loads((tmp_path / "summary.json").read_text())["run"]["analysis_error"]
        assert "not constrained to 5%" in error and "run more loops" in error
        return
    s = outcome.summary
    for key, true in (("delta_ref", dut["delta"]), ("hk_ref", dut["hk"])):
        assert s[key] == pytest.approx(true, rel=0.1), (key, s[key], true)
        assert abs(s[key] - true) < 3 * s[f"{key}_err"], (key, s[key], s[f"{key}_err"], true)


def model(t, t_ref=300.0, delta=45.0, hk=0.08, n=2.5, t_curie=900.0):
    m = (1 - (t / t_curie) ** 1.5) / (1 - (t_ref / t_curie) ** 1.5)
    return delta * m ** n * t_ref / t, hk * m ** (n - 1)


def test_a_wide_span_of_precise_points_gives_the_exponent_and_curie_temperature():
    rng = np.random.default_rng(4)
    t = np.linspace(200.0, 600.0, 9)
    delta, hk = model(t)
    noisy_delta = delta * (1 + 0.01 * rng.standard_normal(t.size))
    noisy_hk = hk * (1 + 0.01 * rng.standard_normal(t.size))
    fit = fit_thermal_stability(t, noisy_delta, 0.01 * delta, noisy_hk, 0.01 * hk, 300.0)
    assert fit.limits == "ok"
    assert fit.delta == pytest.approx(45.0, rel=0.02) and fit.hk == pytest.approx(0.08, rel=0.02)
    assert fit.exponent == pytest.approx(2.5, abs=3 * fit.exponent_err) and fit.exponent_err < 0.3
    assert fit.t_curie == pytest.approx(900.0, abs=3 * fit.t_curie_err) and fit.t_curie_err < 150.0


def test_a_narrow_span_reports_delta_and_hk_but_not_the_exponent():
    t = np.array([300.0, 320.0])
    delta, hk = model(t)
    fit = fit_thermal_stability(t, delta, 0.02 * delta, hk, 0.02 * hk, 300.0)  # under the 5 % bar at t_ref
    assert fit.delta == pytest.approx(45.0, rel=1e-3) and fit.hk == pytest.approx(0.08, rel=1e-3)
    assert np.isnan(fit.exponent) and np.isnan(fit.t_curie) and "not constrained" in fit.limits


def test_one_temperature_is_refused():
    with pytest.raises(AnalysisError, match="two or more temperatures"):
        fit_thermal_stability(np.array([300.0]), np.array([45.0]), np.array([2.0]), np.array([0.08]),
                              np.array([0.004]), 300.0)


def test_a_bench_without_a_temperature_controller_is_refused_by_name(tmp_path):
    with Bench.open(simulated_config()) as bench:
        outcome = run_procedure("thermal-stability", bench, tmp_path, {})
    assert outcome.status == "failed"
    assert "'temperature' role" in outcome.error
    assert json.loads((tmp_path / "summary.json").read_text())["run"]["points"] == 0


def test_a_resumed_run_skips_the_temperatures_on_disk_and_measures_the_rest(tmp_path):
    """Each temperature is a unit: the resumed run keeps the first on disk and measures the second in full (the
    same plan; its readings are new draws, as the stage's thermal history before it differs)."""
    settings = SETTINGS | {"points": 9, "loops": 1, "sweep_rates": 2, "field_max": 0.1}
    dut = random_device(np.random.default_rng(1))

    def run(out, stop_at=None, resume=False):
        stop = threading.Event()

        def progress(_percent):
            if stop_at is not None and len(pd.read_csv(out / "data.csv", comment="#")) >= stop_at:
                stop.set()

        with Bench.open(temperature_bench(**dut)) as bench:
            return run_procedure("thermal-stability", bench, out, settings if not resume else {},
                                 progress=progress, stop=stop, resume=resume)

    whole = run(tmp_path / "whole")
    first = run(tmp_path / "parts", stop_at=1)  # stops after the first temperature
    assert first.status == "aborted" and first.points == 36
    second = run(tmp_path / "parts", resume=True)
    assert second.status == "finished" and second.points == whole.points == 72
    parts, whole_data = (pd.read_csv(tmp_path / out / "data.csv", comment="#") for out in ("parts", "whole"))
    pd.testing.assert_frame_equal(parts[:36], whole_data[:36])  # the first temperature, kept as it was
    plan = ["Temperature set (K)", "Sweep rate (T/s)", "Loop", "Branch"]
    pd.testing.assert_frame_equal(parts[plan], whole_data[plan])  # no gaps, no duplicates
    assert np.allclose(parts["Temperature (K)"][36:], 340.0, atol=0.1)
