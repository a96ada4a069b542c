"""A real bench (simulated: false) reached over VISA: twins served on TCP stand in for the instruments, and
unreachable ones give a clear error that names the role, the resource and what to install."""

from __future__ import annotations

import importlib.util
import json
import logging
import socket
import subprocess
import sys
import threading
import time

import pytest
import pyvisa
import yaml

from mtjhw import bench_record
from mtjhw.bench import Bench
from mtjhw.cli import main
from mtjhw.config import BenchConfig
from mtjhw.connection import missing_backend
from mtjhw.simulators.bench import PerpendicularMTJ, VirtualBench
from mtjhw.simulators.instruments import Keithley2450, LakeShore425
from mtjhw.simulators.transport import ScpiSocketServer

SOCKET_OPTIONS = {"read_termination": "\n", "write_termination": "\n", "visa_library": "@py", "timeout": 2000}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def write_bench(tmp_path, instruments: dict) -> str:
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump({"name": "lab", "simulated": False, "safety": {"max_voltage": 0.5},
                                    "instruments": instruments}))
    return str(path)


@pytest.fixture
def served_smu():
    bench = VirtualBench(PerpendicularMTJ(r_p=5000.0, state=1), seed=2)
    with ScpiSocketServer(Keithley2450(bench), lock=bench.lock) as server:
        yield server.resource_name


def test_check_open_reports_each_instrument(tmp_path, capsys, served_smu):
    bench = VirtualBench(PerpendicularMTJ())
    with ScpiSocketServer(LakeShore425(bench), lock=bench.lock) as probe:
        path = write_bench(tmp_path, {
            "smu": {"driver": "keithley2450", "resource": served_smu, **SOCKET_OPTIONS},
            "pulser": {"driver": "keysight81160a", "resource": probe.resource_name, **SOCKET_OPTIONS},
            "scope": {"driver": "keysight-dsox3000", "resource": f"TCPIP::127.0.0.1::{closed_port()}::SOCKET",
                      **SOCKET_OPTIONS}})
        assert main(["bench", "check", "--open", path]) == 1
    lines = {line.split(":")[0].strip(): line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "ok" in lines["smu"] and "MODEL 2450" in lines["smu"]
    assert "unexpected identity" in lines["pulser"] and "MODEL425" in lines["pulser"]
    assert "unreachable" in lines["scope"] and "cannot reach" in lines["scope"]


def test_run_on_an_unreachable_bench_is_a_clear_error(tmp_path, capsys):
    path = write_bench(tmp_path, {"smu": {"driver": "keithley2450", **SOCKET_OPTIONS,
                                          "resource": f"TCPIP::127.0.0.1::{closed_port()}::SOCKET"}})
    assert main(["run", "rv-loop", "--bench", path, "--out", str(tmp_path / "out"), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mtjhw run: error: instruments.smu: cannot reach TCPIP::127.0.0.1::")
    assert "Traceback" not in err


def test_a_missing_visa_backend_extra_is_named(tmp_path, capsys, monkeypatch):
    find_spec = importlib.util.find_spec  # as if PyUSB were not installed
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "usb" else find_spec(name, *a))
    assert missing_backend("USB0::0x05E6::0x2450::1::INSTR").startswith("pip install pyusb")
    assert missing_backend("TCPIP::10.0.0.1::5025::SOCKET") is None
    path = write_bench(tmp_path, {"smu": {"driver": "keithley2450", "visa_library": "@py",
                                          "resource": "USB0::0x05E6::0x2450::04096331::INSTR"}})
    assert main(["bench", "check", "--open", path]) == 1
    assert "pip install pyusb" in capsys.readouterr().out


def test_a_real_bench_runs_a_procedure_on_served_twins(tmp_path, served_smu):
    config = BenchConfig.load(write_bench(tmp_path, {"smu": {"driver": "keithley2450", "resource": served_smu,
                                                             **SOCKET_OPTIONS}}))
    with Bench.open(config) as bench:
        bench.smu.source_voltage_mode(1e-3)
        bench.smu.set_level(0.01)
        bench.smu.output_on()
        voltage, current = bench.smu.measure()
    assert voltage / current == pytest.approx(5000.0, rel=0.01)


def test_resources_lists_what_visa_sees(capsys):
    assert main(["resources", "--visa-library", "@py"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VISA backend:")


def dead_pid() -> int:
    """The pid of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_an_unclean_end_is_detected_and_outputs_go_off_first(tmp_path, served_smu, caplog):
    path = write_bench(tmp_path, {"smu": {"driver": "keithley2450", "resource": served_smu, **SOCKET_OPTIONS}})
    config = BenchConfig.load(path)
    record = bench_record.record_path(config.name)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname(), "started": 0.0,
                                  "roles": ["smu"]}))
    rm = pyvisa.ResourceManager("@py")  # what the killed session left: the source on at 10 mV
    smu = rm.open_resource(served_smu, **{k: v for k, v in SOCKET_OPTIONS.items() if k != "visa_library"})
    smu.write(":SOUR:VOLT 0.01;:OUTP ON")
    assert smu.query(":OUTP?") == "1"
    with caplog.at_level(logging.WARNING), Bench.open(config) as bench:
        bench.smu.ask("*OPC?")  # the bench's own connection has been served (the other one may run ahead)
        assert smu.query(":OUTP?") == "0" and float(smu.query(":SOUR:VOLT?")) == 0.0
    assert "was not closed cleanly" in caplog.text
    assert not record.exists()  # closed cleanly this time
    rm.close()


def test_a_bench_held_by_a_live_process_is_not_opened_twice(tmp_path, served_smu, capsys):
    path = write_bench(tmp_path, {"smu": {"driver": "keithley2450", "resource": served_smu, **SOCKET_OPTIONS}})
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        record = bench_record.record_path("lab")
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(), "started": 0.0,
                                      "roles": ["smu"]}))
        assert main(["bench", "off", "--bench", path]) == 1
        assert f"is open in process {holder.pid}" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert main(["bench", "off", "--bench", path]) == 0  # the holder is gone: its record is stale
    assert "every output off" in capsys.readouterr().out


def test_a_server_killed_mid_run_ends_with_one_line_and_keeps_the_data(tmp_path, capsys):
    bench = VirtualBench(PerpendicularMTJ(r_p=5000.0, state=1), seed=2)
    server = ScpiSocketServer(Keithley2450(bench), lock=bench.lock).start()
    path = write_bench(tmp_path, {"smu": {"driver": "keithley2450", "resource": server.resource_name,
                                          **SOCKET_OPTIONS}})
    out = tmp_path / "run"

    def kill_after_some_points() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            data = out / "data.csv"
            if data.exists() and data.read_text().count("\n") > 30:
                break
            time.sleep(0.01)
        server.stop()

    killer = threading.Thread(target=kill_after_some_points)
    killer.start()
    code = main(["run", "rv-loop", "--bench", path, "--out", str(out), "-q", "--set", "points=200",
                 "--set", "v_max=0.4"])
    killer.join()
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "switching outputs off failed" in err and "mtjhw bench off" in err
    summary = json.loads((out / "summary.json").read_text())
    rows = [line for line in (out / "data.csv").read_text().splitlines() if line and not line.startswith("#")]
    assert summary["run"]["status"] == "failed" and summary["run"]["points"] == len(rows) - 1 > 10
