"""Status and summary tables read from the run directories a campaign's plan names."""

import csv
import shutil
from pathlib import Path

from mtjhw.bench import Bench
from mtjhw.campaign import load_campaign, plan_runs
from mtjhw.campaign.plan import bench_devices
from mtjhw.campaign.tables import run_status, status_table, summary_table, write_summary_csv
from mtjhw.runner import run_procedure

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_status_and_summary_tables(tmp_path):
    shutil.copy(EXAMPLES / "simulated-pmtj.yaml", tmp_path / "a.yaml")
    shutil.copy(EXAMPLES / "simulated-pmtj.yaml", tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text("name: c\ndevices: {benches: [a.yaml, b.yaml]}\n"
                                     "procedures: [{name: rh-loop, settings: {points: 5, sweep_rate: 1.0}}]\n")
    campaign = load_campaign(tmp_path / "c.yaml")
    runs = plan_runs(campaign, bench_devices(campaign))
    root = tmp_path / "out"
    first = runs[0]
    with Bench.open(first.device.bench_file) as bench:
        outcome = run_procedure(first.procedure, bench, first.out_dir(root), first.settings, progress=False)
    assert run_status(first.out_dir(root)) == ("finished", outcome.points)
    assert run_status(runs[1].out_dir(root)) == ("pending", 0)
    table = status_table(runs, root).splitlines()
    assert table[1].split()[:2] == ["a", "finished"] and table[2].split()[:2] == ["b", "pending"]
    assert table[-1] == "2 runs: 1 finished, 1 pending"
    rows, units = summary_table(runs, root)
    path = write_summary_csv(rows, units, root / "summary.csv")
    with open(path, encoding="utf-8") as file:
        read = list(csv.DictReader(file))
    assert [r["device"] for r in read] == ["a", "b"]
    assert float(read[0]["r_p [Ω]"]) == outcome.summary["r_p"]
    assert read[1]["status"] == "pending" and read[1]["r_p [Ω]"] == ""
