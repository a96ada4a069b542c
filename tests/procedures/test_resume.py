"""Resume: a run stopped part-way and resumed records every point once and measures what an uninterrupted run
on the same seeded bench measures."""

import json
import threading

import pandas as pd
import pytest

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure

PMTJ = {"model": "pmtj", "delta": 45.0, "ic0": 60e-6, "r_p": 5000.0, "tmr": 1.2, "h_offset": 0.0}

#: procedure → (DUT, settings, points after which the first attempt stops); replay and skip procedures both
CASES = {
    "rh-loop": (PMTJ, {"points": 41, "field_max": 0.08}, 57),
    "rv-loop": (PMTJ, {"points": 15, "v_max": 0.7}, 23),
    "switching-probability": (PMTJ, {"amplitudes": 6, "trials": 200, "v_min": 0.3, "v_max": 0.48}, 3),
    "neuron-transfer": ({"model": "smtj", "delta": 6.0, "ic0": 20e-6}, {"points": 12, "samples": 20}, 5),
    "synapse-ltp-ltd": ({"model": "dw-synapse", "n_sites": 8}, {"pulses": 12, "cycles": 2,
                                                                "amplitude": 0.09, "width": 10e-9}, 17),
    "telegraph": ({"model": "smtj", "delta": 8.0, "ic0": 20e-6, "tau0": 1e-9}, {"currents": 4, "duration": 2e-3,
                                                                              "points": 200_000}, 2),
    "stno-spectrum": ({"model": "stno"}, {"currents": 6, "averages": 2, "points": 401}, 2),
    "lif-neuron": ({"model": "dw-lif", "sigma_threshold": 0.02}, {"currents": 8, "points": 5000, "duration": 1e-6},
                   4),
    "st-fmr": ({"model": "stno"}, {"frequencies": 3, "f_min": 5e9, "f_max": 8e9, "coarse_points": 20,
                                   "fine_points": 21}, 50),
}


def open_bench(dut, seed=3):
    return Bench.open(BenchConfig.from_dict({"name": "resume", "simulated": True, "seed": seed, "dut": dut}))


def run(name, dut, settings, out, stop_at=None, resume=False):
    """Run ``name``; with ``stop_at``, ask it to stop once that many points are on disk."""
    stop = threading.Event()

    def progress(percent):  # reported after each point (or batch of points)
        if stop_at is not None and len(data(out)) >= stop_at:
            stop.set()

    with open_bench(dut) as bench:
        return run_procedure(name, bench, out, settings, progress=progress, stop=stop, resume=resume)


def data(out):
    return pd.read_csv(out / "data.csv", comment="#")


@pytest.mark.parametrize("name", list(CASES))
def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, name):
    dut, settings, stop_at = CASES[name]
    whole = run(name, dut, settings, tmp_path / "whole")
    assert whole.status == "finished", whole.error
    first = run(name, dut, settings, tmp_path / "parts", stop_at=stop_at)
    assert first.status == "aborted"
    assert stop_at <= first.points < whole.points
    second = run(name, dut, {}, tmp_path / "parts", resume=True)
    assert second.status == "finished", second.error
    pd.testing.assert_frame_equal(data(tmp_path / "parts"), data(tmp_path / "whole"))  # no duplicates, no gaps
    assert second.points == whole.points
    assert second.summary.keys() == whole.summary.keys()
    for key, value in whole.summary.items():
        assert second.summary[key] == pytest.approx(value, nan_ok=True) if isinstance(value, float) else True
    attempts = json.loads((tmp_path / "parts" / "run.json").read_text())["attempts"]
    assert [a["status"] for a in attempts] == ["aborted", "finished"]
    assert attempts[1]["resumed_after"] == first.points
