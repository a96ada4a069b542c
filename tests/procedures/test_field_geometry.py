"""Field geometry on the virtual bench: μ0Hk, R_P and TMR from the hard-axis loop, μ0Hk and the loop shift from
the switching-field astroid, on seeded random devices; and the clear errors (no rotator, a DUT without
field-angle physics, a hard-axis loop whose wells mix with equal weights)."""

import json
import math
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.procedures.astroid import Astroid
from mtjhw.procedures.base import column_key
from mtjhw.runner import run_procedure
from tests.conftest import simulated_config


def rotator_config(seed=1, **dut):
    """The example bench with a rotation stage (ESP300 twin, angle limits −0.1…3.3 rad), with ``dut``."""
    config = yaml.safe_load((Path(__file__).parents[2] / "examples" / "simulated-rotator.yaml").read_text())
    config["dut"] |= dut | {"seed": seed}
    return BenchConfig.from_dict(config | {"seed": seed})


#: four angles within the stage's limits, two on each side of the hard axis
ANGLES = {"angle_min": 0.2, "angle_max": math.pi - 0.2, "angles": 4}


def random_device(rng, **fixed):
    """A pMTJ whose stray field holds one branch of the hard-axis loop (|h_offset| 5–10 % of Hk)."""
    hk = rng.uniform(0.05, 0.12)
    return dict(r_p=rng.uniform(3000, 8000), tmr=rng.uniform(0.8, 1.8), hk=hk, delta=rng.uniform(40, 60),
                h_offset=rng.choice([-1, 1]) * rng.uniform(0.05, 0.1) * hk, tau0=1e-9) | fixed


def run(tmp_path, name, dut, settings, seed=1):
    config = rotator_config(seed, **dut) if name == "astroid" else simulated_config(seed=seed, **dut)
    with Bench.open(config) as bench:
        outcome = run_procedure(name, bench, tmp_path, settings)
    assert outcome.status == "finished", outcome.error
    return outcome


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_hard_axis_recovers_hk_rp_and_tmr(tmp_path, seed):
    dut = random_device(np.random.default_rng(seed), field_angle=math.pi / 2)
    s = run(tmp_path, "hard-axis", dut, {"field_max": 1.3 * dut["hk"], "points": 101}).summary
    assert s, "analysis failed"
    tmr = dut["tmr"] / (1 + (0.01 / 0.5) ** 2)  # at the 10 mV read bias
    assert s["hk"] == pytest.approx(dut["hk"], rel=0.1), dut
    assert s["r_p"] == pytest.approx(dut["r_p"], rel=0.05) and s["tmr"] == pytest.approx(tmr, rel=0.05), dut
    for key in ("hk", "r_p", "tmr"):
        assert 0 < s[f"{key}_err"] < 0.15 * s[key], key
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_hard_axis_refuses_wells_that_mix_with_equal_weights(tmp_path):
    dut = dict(hk=0.08, delta=45.0, h_offset=0.0, tau0=1e-9, field_angle=math.pi / 2)
    outcome = run(tmp_path, "hard-axis", dut, {"field_max": 0.1, "points": 61})
    assert not outcome.summary
    error = json.loads((tmp_path / "summary.json").read_text())["run"]["analysis_error"]
    assert "mix thermally" in error and "Hk is not determined" in error


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_astroid_recovers_hk_and_offset(tmp_path, seed):
    """Δ known (e.g. from rh-loop's sweep rates): μ0Hk within 10 % from the thermal astroid at one sweep rate."""
    dut = random_device(np.random.default_rng(seed))
    settings = {"field_max": 0.75 * dut["hk"], "points": 61, "loops": 2, "delta": dut["delta"]} | ANGLES
    outcome = run(tmp_path, "astroid", dut, settings)
    s = outcome.summary
    assert s["hk"] == pytest.approx(dut["hk"], rel=0.1), dut
    assert s["h_offset"] == pytest.approx(dut["h_offset"], abs=0.1 * dut["hk"]), dut
    assert s["delta_fit"] == "given" and s["switch_events"] == 16
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_astroid_fits_delta_or_says_why_not(tmp_path):
    dut = random_device(np.random.default_rng(24))
    settings = {"field_max": 0.75 * dut["hk"], "points": 61, "loops": 2} | ANGLES
    s = run(tmp_path, "astroid", dut, settings).summary
    if s["delta_fit"] == "ok":
        assert s["delta"] == pytest.approx(dut["delta"], rel=0.15) and s["hk"] == pytest.approx(dut["hk"], rel=0.1)
    else:
        assert math.isnan(s["delta"]) and math.isnan(s["hk"]) and "not constrained" in s["delta_fit"]
        assert s["h_offset"] == pytest.approx(dut["h_offset"], abs=0.1 * dut["hk"])


def test_astroid_without_a_rotator_names_the_role(tmp_path):
    with Bench.open(simulated_config()) as bench:
        outcome = run_procedure("astroid", bench, tmp_path, {"points": 11})
    assert outcome.status == "failed" and "rotator" in outcome.error


def test_astroid_refuses_angles_about_the_hard_axis(tmp_path):
    with Bench.open(rotator_config()) as bench:
        outcome = run_procedure("astroid", bench, tmp_path, {"angle_min": 0.0, "angle_max": 3.0, "angles": 3})
    assert outcome.status == "failed" and "hard axis" in outcome.error


def test_astroid_on_a_dut_without_field_angle_physics(tmp_path):
    config = yaml.safe_load((Path(__file__).parents[2] / "examples" / "simulated-rotator.yaml").read_text())
    with Bench.open(BenchConfig.from_dict(config | {"dut": {"model": "sot-mtj"}})) as bench:
        outcome = run_procedure("astroid", bench, tmp_path, {"points": 11, "field_max": 0.05} | ANGLES)
    assert outcome.status == "failed" and "no field-angle physics" in outcome.error


def test_a_resumed_astroid_skips_the_angles_on_disk(tmp_path):
    """Stopped after two of its four angles and resumed: those two skipped, the others measured once more."""
    dut = random_device(np.random.default_rng(26))
    settings = {"field_max": 0.75 * dut["hk"], "points": 21, "loops": 1} | ANGLES
    whole = run(tmp_path / "whole", "astroid", dut, settings)
    stop = threading.Event()
    with Bench.open(rotator_config(1, **dut)) as bench:
        first = run_procedure("astroid", bench, tmp_path / "parts", settings, stop=stop,
                              progress=lambda percent: stop.set() if percent >= 50 else None)
    assert first.status == "aborted" and 0 < first.points < whole.points
    with Bench.open(rotator_config(1, **dut)) as bench:
        second = run_procedure("astroid", bench, tmp_path / "parts", {}, resume=True)
    assert second.status == "finished" and second.points == whole.points
    parts, whole_data = (pd.read_csv(tmp_path / name / "data.csv", comment="#") for name in ("parts", "whole"))
    done = parts["Angle (rad)"] < 1.5  # the two angles of the first attempt: on disk, exactly as measured
    pd.testing.assert_frame_equal(parts[done], whole_data[done])
    plan = ["Angle (rad)", "Loop", "Branch", "Field set (T)"]  # the rest: the same plan, no gaps or duplicates
    pd.testing.assert_frame_equal(parts[plan], whole_data[plan])
    # measured again from each angle's saturated state (the field controller's learned remanence differs by
    # the probe's resolution, so a switch may fall one field step away)
    step = 2 * settings["field_max"] / (settings["points"] - 1)
    for a, b in zip(Astroid.switches(columns(parts)), Astroid.switches(columns(whole_data)), strict=True):
        np.testing.assert_allclose(a, b, atol=1.01 * step)


def columns(frame):
    return {column_key(c): frame[c].to_numpy(dtype=float) for c in Astroid.DATA_COLUMNS}
