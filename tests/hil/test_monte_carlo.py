"""HIL variability Monte Carlo: per-trial seeds, serial == parallel, the CLI report."""

import json

import pytest

from mtjhw.cli import main
from mtjhw.hil.monte_carlo import monte_carlo, trial_seed

distributed = pytest.importorskip("distributed")


def test_monte_carlo_is_the_same_serially_and_on_a_cluster():
    serial = monte_carlo(4, seed=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        from mtjhw.scaleout import executor

        with executor(scheduler=cluster.scheduler_address) as pool:
            assert monte_carlo(4, seed=3, executor=pool) == serial
    seeds = [r["seed"] for r in serial["results"]]
    assert seeds == [trial_seed(3, k) for k in range(4)] and len(set(seeds)) == 4
    d = serial["distribution"]
    assert d["accuracy_min"] <= d["accuracy_mean"] <= d["accuracy_max"] and len(d["worst"]) == 3


def test_hil_monte_carlo_command_writes_the_distribution(tmp_path, capsys):
    assert main(["hil", "--monte-carlo", "3", "--out", str(tmp_path), "-q"]) == 0
    report = json.loads((tmp_path / "monte-carlo.json").read_text())
    assert report["trials"] == 3 and len(report["results"]) == 3
    assert "worst seeds" in capsys.readouterr().out
    assert main(["hil", "--monte-carlo", "2", "--array", "bench", "--out", str(tmp_path)]) == 2
