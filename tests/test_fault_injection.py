"""Faults injected into running measurements: Ctrl-C (once and twice), SIGKILL of the client and of the instrument
server, an instrument timeout, an SCPI error and a garbage reply. In every case no recorded point is lost, the
outputs end off (after SIGKILL: when the next command opens the bench), and the run resumes to the same data an
uninterrupted run records, with no duplicates."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mtjhw.bench import Bench
from mtjhw.cli import main
from mtjhw.config import BenchConfig
from mtjhw.procedures.rv_loop import loop_levels
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench import PerpendicularMTJ, VirtualBench
from mtjhw.simulators.instruments import Keithley2450
from mtjhw.simulators.transport import ScpiSocketServer

PMTJ = {"model": "pmtj", "delta": 45.0, "ic0": 60e-6, "r_p": 5000.0, "tmr": 1.2, "h_offset": 0.0}
RV = {"points": 15, "v_max": 0.6, "loops": 3}  # 3 loops of 4 segments: 180 points
LOOPS = 400  # of the runs signalled over TCP: long enough to be caught mid-run
SOCKET = {"read_termination": "\n", "write_termination": "\n", "visa_library": "@py", "timeout": 5000}


def rows(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "data.csv", comment="#")


def summary_status(out: Path) -> str:
    return json.loads((out / "summary.json").read_text())["run"]["status"]


def seeded_bench() -> Bench:
    return Bench.open(BenchConfig.from_dict({"name": "faults", "simulated": True, "seed": 5, "dut": PMTJ,
                                             "safety": {"max_voltage": 0.8}}))


def twin(bench: Bench, name: str):
    return next(h for h in bench.virtual_handlers() if type(h).__name__ == name)


# ----------------------------------------------------------------- in-process faults on a seeded bench
def timeout(real, message, state):
    return None if message.startswith(":TRAC:DATA?") and state["n"] > 2 else real(message)


def scpi_error(real, message, state):
    reply = real(message)
    if message.startswith(":TRAC:DATA?") and state["n"] > 2:
        state["twin"].errors.push(-222, "Data out of range")  # what the driver's error check then reads
    return reply


def garbage(real, message, state):
    return "#!?garbage" if message.startswith(":TRAC:DATA?") and state["n"] > 2 else real(message)


@pytest.mark.parametrize("fault", [timeout, scpi_error, garbage], ids=["timeout", "scpi-error", "garbage-reply"])
def test_an_instrument_fault_loses_nothing_and_the_run_resumes(tmp_path, fault):
    with seeded_bench() as bench:
        whole = run_procedure("rv-loop", bench, tmp_path / "whole", RV)
    with seeded_bench() as bench:
        smu = twin(bench, "Keithley2450")
        real, state = smu.handle, {"n": 0, "twin": smu}

        def faulty(message):
            state["n"] += message.startswith(":TRAC:DATA?")
            return fault(real, message, state)

        smu.handle = faulty
        failed = run_procedure("rv-loop", bench, tmp_path / "run", RV)
        assert not smu.output and bench.virtual.bias.level == 0.0
    assert failed.status == "failed" and failed.error
    assert summary_status(tmp_path / "run") == "failed"
    assert len(rows(tmp_path / "run")) == failed.points > 0  # the segments read before the fault
    with seeded_bench() as bench:
        resumed = run_procedure("rv-loop", bench, tmp_path / "run", resume=True)
    assert resumed.status == "finished", resumed.error
    pd.testing.assert_frame_equal(rows(tmp_path / "run"), rows(tmp_path / "whole"))
    assert resumed.summary == pytest.approx(whole.summary)


def test_a_full_disk_ends_the_run_with_outputs_off_and_the_points_kept(tmp_path, monkeypatch):
    from mtjhw import runner

    real_write = runner._CsvSink.write

    def write_until_full(self, record):
        if self.points >= 40:
            raise OSError(28, "No space left on device")
        real_write(self, record)

    with seeded_bench() as bench:
        whole = run_procedure("rv-loop", bench, tmp_path / "whole", RV)
    monkeypatch.setattr(runner._CsvSink, "write", write_until_full)
    out = tmp_path / "run"
    with seeded_bench() as bench:
        outcome = run_procedure("rv-loop", bench, out, RV)
        assert not twin(bench, "Keithley2450").output
    assert outcome.status == "failed" and "No space left on device" in outcome.error
    assert len(rows(out)) == outcome.points == 40
    assert summary_status(out) == "failed"
    monkeypatch.setattr(runner._CsvSink, "write", real_write)  # space freed: resume
    with seeded_bench() as bench:
        assert run_procedure("rv-loop", bench, out, resume=True).status == "finished"
    pd.testing.assert_frame_equal(rows(out), rows(tmp_path / "whole"))
    assert whole.points == len(rows(out))


def test_an_unwritable_output_directory_is_refused_before_any_instrument_is_opened(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(["run", "rv-loop", "--bench", "examples/simulated-pmtj.yaml", "--out", str(blocker / "run"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write to" in err and "Traceback" not in err


def test_resume_refuses_what_it_cannot_continue(tmp_path, capsys):
    out = str(tmp_path / "run")
    base = ["run", "rv-loop", "--bench", "examples/simulated-pmtj.yaml", "--out", out, "-q"]
    assert main([*base, "--resume"]) == 2 and "no run to resume" in capsys.readouterr().err
    assert main([*base, "--set", "points=11"]) == 0
    assert main([*base, "--resume"]) == 2 and "the run finished" in capsys.readouterr().err
    (tmp_path / "run" / "run.json").write_text(
        (tmp_path / "run" / "run.json").read_text().replace('"finished"', '"aborted"'))
    assert main([*base, "--resume", "--set", "points=21"]) == 2
    assert "differs from the run being resumed" in capsys.readouterr().err
    assert main([*base, "--resume", "--seed", "77"]) == 2 and "--seed 77 differs" in capsys.readouterr().err
    assert main(["run", "rh-loop", *base[2:], "--resume"]) == 2 and "holds a rv-loop run" in capsys.readouterr().err


def test_a_torn_last_line_is_kept_aside_and_measured_again(tmp_path):
    with seeded_bench() as bench:
        whole = run_procedure("rv-loop", bench, tmp_path / "whole", RV)
    out = tmp_path / "run"
    with seeded_bench() as bench:
        run_procedure("rv-loop", bench, out, RV)
    lines = (out / "data.csv").read_text().splitlines(keepends=True)
    keep = len([line for line in lines if not line.startswith("#")]) - 1 - 100
    cut = "".join(lines[: len(lines) - 100]) + lines[len(lines) - 100][:7]  # killed mid-line
    (out / "data.csv").write_text(cut)
    journal = json.loads((out / "run.json").read_text())
    journal["attempts"][-1]["status"] = "running"  # as a killed run leaves it
    (out / "run.json").write_text(json.dumps(journal))
    with seeded_bench() as bench:
        resumed = run_procedure("rv-loop", bench, out, resume=True)
    assert resumed.points == whole.points and keep < whole.points
    assert (out / "data.csv.torn").read_text() == lines[len(lines) - 100][:7] + "\n"
    pd.testing.assert_frame_equal(rows(out), rows(tmp_path / "whole"))


# ----------------------------------------------------------------- signals to real processes, over TCP
@pytest.fixture
def served_bench(tmp_path):
    """An SMU twin (pMTJ behind it) served on TCP as a stand-in for a lab instrument, and a bench file for it."""
    virtual = VirtualBench(PerpendicularMTJ(r_p=5000.0, state=1), seed=2)
    smu = Keithley2450(virtual)
    with ScpiSocketServer(smu, lock=virtual.lock) as server:
        path = tmp_path / "bench.yaml"
        path.write_text(yaml.safe_dump({"name": "lab", "simulated": False, "safety": {"max_voltage": 0.8},
                                        "instruments": {"smu": {"driver": "keithley2450",
                                                                "resource": server.resource_name, **SOCKET}}}))
        yield str(path), smu


def start_run(bench: str, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mtjhw", "run", "rv-loop", "--bench", bench, "--out", str(out),
                             "-q", "--set", "points=15", "--set", "v_max=0.6", "--set", f"loops={LOOPS}", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_points(out: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        data = out / "data.csv"
        if data.exists() and data.read_text().count("\n") > count + 20:
            return
        time.sleep(0.02)
    raise AssertionError(f"the run did not record {count} points: {process.communicate()}")


def finish_resumed(bench: str, out: Path, capsys) -> pd.DataFrame:
    """Resume the run in ``out`` (fewer loops are not allowed: the settings are the journal's) up to its end."""
    assert main(["run", "rv-loop", "--bench", bench, "--out", str(out), "-q", "--resume"]) == 0, \
        capsys.readouterr().err
    data = rows(out)
    per_loop = data.groupby("Loop").size()  # every loop once, each with all its points: no duplicates, no gaps
    assert list(per_loop.index) == list(range(LOOPS))
    assert (per_loop == sum(len(segment) for segment in loop_levels(0.6, 15))).all()
    return data


@pytest.mark.parametrize("signals", [(signal.SIGINT,), (signal.SIGINT, signal.SIGINT), (signal.SIGTERM,)],
                         ids=["ctrl-c", "double-ctrl-c", "sigterm"])
def test_a_signalled_run_stops_with_outputs_off_and_resumes(tmp_path, served_bench, signals, capsys):
    bench, smu = served_bench
    out = tmp_path / "run"
    process = start_run(bench, out)
    wait_for_points(out, 100, process)
    for signum in signals:
        process.send_signal(signum)
        time.sleep(0.005)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and not smu.output
    recorded = rows(out)
    assert summary_status(out) == "aborted"
    assert json.loads((out / "summary.json").read_text())["run"]["points"] == len(recorded) >= 100
    data = finish_resumed(bench, out, capsys)
    pd.testing.assert_frame_equal(data.iloc[: len(recorded)], recorded)  # nothing recorded was rewritten


def test_a_killed_client_leaves_outputs_off_once_the_next_command_opens_the_bench(tmp_path, served_bench, capsys,
                                                                                   caplog):
    bench, smu = served_bench
    out = tmp_path / "run"
    process = start_run(bench, out)
    wait_for_points(out, 100, process)
    process.kill()
    process.communicate(timeout=30)
    assert smu.output  # SIGKILL: nothing could switch it off
    recorded = rows(out)
    assert json.loads((out / "run.json").read_text())["attempts"][-1]["status"] == "running"
    with caplog.at_level(logging.WARNING):
        assert main(["bench", "off", "--bench", bench]) == 0
    assert "was not closed cleanly" in caplog.text and not smu.output
    data = finish_resumed(bench, out, capsys)
    pd.testing.assert_frame_equal(data.iloc[: len(recorded)], recorded)


def test_a_killed_instrument_server_ends_the_run_in_one_line_and_it_resumes(tmp_path, capsys):
    sim_bench = tmp_path / "sim.yaml"
    sim_bench.write_text(yaml.safe_dump({"name": "served", "simulated": True, "seed": 2, "dut": PMTJ,
                                         "instruments": {"smu": {"driver": "keithley2450"}}}))

    def serve() -> tuple[subprocess.Popen, str]:
        server = subprocess.Popen([sys.executable, "-m", "mtjhw", "sim", "serve", "--bench", str(sim_bench)],
                                  stdout=subprocess.PIPE, text=True)
        resource = server.stdout.readline().split(": ")[1].split()[0]
        return server, resource

    server, resource = serve()
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump({"name": "lab", "simulated": False, "safety": {"max_voltage": 0.8},
                                    "instruments": {"smu": {"driver": "keithley2450", "resource": resource,
                                                            **SOCKET}}}))
    out = tmp_path / "run"
    client = start_run(str(path), out)
    try:
        wait_for_points(out, 100, client)
        server.kill()
        _, err = client.communicate(timeout=60)
    finally:
        server.kill()
        server.wait()
    assert client.returncode == 1 and "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
    recorded = rows(out)
    assert summary_status(out) == "failed" and len(recorded) >= 100
    server, resource = serve()  # the instrument is back (on a new port: the bench file follows it)
    try:
        path.write_text(path.read_text().replace(path.read_text().split("resource: ")[1].split()[0], resource))
        data = finish_resumed(str(path), out, capsys)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    pd.testing.assert_frame_equal(data.iloc[: len(recorded)], recorded)
