"""Campaign sessions on the simulated wafer: killed and resumed, every run once, recorded, mapped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mtjhw.campaign import CampaignError, load_campaign
from mtjhw.campaign.runner import run_campaign
from mtjhw.database import Database

EXAMPLES = Path(__file__).parents[2] / "examples"
COLUMNS = [4, 5, 6, 7, 8, 9, 10, 11]


def _campaign(tmp_path: Path, columns: list[int] = COLUMNS, points: int = 41) -> Path:
    path = tmp_path / "campaign.yaml"
    path.write_text(f"name: W7-test\nbench: {EXAMPLES / 'simulated-wafer.yaml'}\n"
                    f"devices: {{wafer: {{dies: {{rows: [6], columns: {columns}}}}}}}\n"
                    f"procedures:\n  - {{name: rh-loop, settings: {{points: {points}, sweep_rate: 0.2}}}}\n"
                    "  - {name: rv-loop, settings: {points: 21, compliance: 1.0e-4}}\n")
    return path


def _finished(out: Path) -> int:
    count = 0
    for journal in out.glob("*/*/run.json"):
        try:
            count += json.loads(journal.read_text())["attempts"][-1]["status"] == "finished"
        except (ValueError, KeyError, IndexError):
            pass
    return count


def test_a_killed_campaign_resumes_to_every_run_once_recorded_and_mapped(tmp_path):
    file, out = _campaign(tmp_path), tmp_path / "out"
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    command = [sys.executable, "-m", "mtjhw.cli", "campaign", "run", str(file), "--out", str(out), "--db", url,
               "--no-plots", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _finished(out) < 5 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = _finished(out)
    assert 0 < killed_at < 2 * len(COLUMNS)
    report = run_campaign(file, out, database=url, quiet=True)
    assert report.complete and report.total == 2 * len(COLUMNS)
    for procedure, points in (("rh-loop", 82), ("rv-loop", 168)):  # no point lost, none measured twice
        for data in out.glob(f"*/{procedure}/data.csv"):
            rows = [line for line in data.read_text().splitlines() if line and not line.startswith("#")]
            assert len(rows) - 1 == points, data
    with Database(url) as db:
        runs = db.runs(campaign="W7-test")
    assert len(runs) == 2 * len(COLUMNS) and len({r.uid for r in runs}) == len(runs)
    assert {r.device["die"] for r in runs} == {f"C{c:02d}R06" for c in COLUMNS}
    assert all(r.status == "finished" and r.device["wafer"] == "W7" for r in runs)
    assert (out / "maps" / "wafer-yield.png").exists() and (out / "maps" / "wafer-h_c.png").exists()
    again = run_campaign(file, out, database=url, quiet=True)
    assert again.measured == 0 and again.complete


def test_a_campaign_without_the_database_is_recorded_when_resumed_with_it(tmp_path):
    file, out = _campaign(tmp_path, columns=[7, 8], points=11), tmp_path / "out"
    first = run_campaign(file, out, database=False, quiet=True)
    assert first.complete and first.recorded == 0
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    second = run_campaign(file, out, database=url, quiet=True)
    assert second.recorded == 4
    attempts = [len(json.loads(p.read_text())["attempts"]) for p in out.glob("*/*/run.json")]
    assert attempts == [1, 1, 1, 1]  # recorded from the files, not measured again
    with Database(url) as db:
        assert sorted(r.device["die"] for r in db.runs()) == ["C07R06", "C07R06", "C08R06", "C08R06"]


def test_another_plan_in_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    run_campaign(_campaign(tmp_path, columns=[7], points=11), out, database=False, quiet=True)
    with pytest.raises(CampaignError, match="another plan"):
        run_campaign(_campaign(tmp_path, columns=[7], points=21), out, database=False, quiet=True)


def test_the_example_campaign_plans_every_die_of_the_wafer():
    from mtjhw.campaign.runner import campaign_devices

    devices = campaign_devices(load_campaign(EXAMPLES / "campaign-wafer.yaml"))
    assert len(devices) == 216 and devices[0].identity["wafer"] == "W7"


def test_campaign_status_prints_each_die_and_a_missing_folder_is_named(tmp_path, capsys):
    from mtjhw.cli import main

    out = tmp_path / "out"
    assert main(["campaign", "run", str(_campaign(tmp_path, columns=[7], points=11)), "--out", str(out),
                 "--no-db", "--no-plots", "-q"]) == 0
    assert main(["campaign", "status", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].split() == ["C07R06", "finished", "(22)", "finished", "(168)"]
    assert main(["campaign", "status", str(tmp_path / "none")]) == 2
    assert "campaign.json missing" in capsys.readouterr().err


def test_two_dask_workers_measure_what_one_process_measures(tmp_path):
    """Each die reseeded by its position: the same plan gives the same numbers whichever worker measures a die."""
    from mtjhw.scaleout import DaskExecutor

    file = _campaign(tmp_path, columns=[6, 7, 8, 9], points=11)
    serial = run_campaign(file, tmp_path / "serial", database=False, plots=False, quiet=True)
    with DaskExecutor(workers=2) as pool:
        parallel = run_campaign(file, tmp_path / "dask", executor=pool, database=False, plots=False, quiet=True)
    assert serial.complete and parallel.complete and parallel.measured == serial.measured == 8
    assert (tmp_path / "dask" / "summary.csv").read_text() == (tmp_path / "serial" / "summary.csv").read_text()
    for data in (tmp_path / "serial").glob("*/*/data.csv"):
        assert (tmp_path / "dask" / data.relative_to(tmp_path / "serial")).read_text() == data.read_text()


def test_a_crosspoint_campaign_measures_each_selected_cell(tmp_path):
    """The example crossbar campaign: three cells through the 707B, each run's R_P and TMR that cell's own."""
    from mtjhw.bench import Bench
    from mtjhw.config import BenchConfig

    file, bench_file = EXAMPLES / "campaign-crossbar.yaml", EXAMPLES / "simulated-array.yaml"
    cells = [(1, 1), (2, 3), (9, 8)]  # (word line, bit line) of its labels W<word>B<bit>
    report = run_campaign(file, tmp_path / "out", database=False, plots=False, quiet=True)
    assert report.complete and report.total == len(cells)
    with Bench.open(BenchConfig.load(bench_file)) as bench:
        crossbar = bench.virtual.dut.physics
        truth = {f"W{w}B{b}": (crossbar.r_p[w - 1, b - 1], crossbar.tmr[w - 1, b - 1]) for w, b in cells}
    table = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    header = table[0].split(",")
    for line in table[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        r_p, tmr = truth[row["device"]]
        assert float(row["r_p [Ω]"]) == pytest.approx(r_p, rel=0.02), row["device"]
        assert float(row["tmr [ratio]"]) == pytest.approx(tmr, rel=0.03), row["device"]
    assert len(table) == 1 + len(cells)
