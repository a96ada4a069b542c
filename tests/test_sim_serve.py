"""`mtjhw sim serve`: the virtual bench over TCP, opened by pyvisa-py from another process, stopped as a
terminal (Ctrl-C) or a service manager (SIGTERM) stops it."""

import re
import signal
import subprocess
import sys
import time

import pytest
import pyvisa


def start_serving() -> tuple[subprocess.Popen, dict[str, str]]:
    """`mtjhw sim serve` on the example bench, and the resource string printed for each role."""
    proc = subprocess.Popen([sys.executable, "-m", "mtjhw", "sim", "serve", "--bench",
                             "examples/simulated-pmtj.yaml"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "to stop" in line:
            break
    return proc, dict(re.findall(r"^\s*(\w+): (TCPIP::127\.0\.0\.1::\d+::SOCKET)", "".join(lines), re.M))


def stop(proc: subprocess.Popen, signum: int) -> tuple[str, str]:
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return out, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sim_serve_serves_pyvisa_py_and_stops_cleanly(signum):
    proc, resources = start_serving()
    try:
        assert set(resources) == {"smu", "magnet", "gaussmeter", "pulser", "scope"}
        rm = pyvisa.ResourceManager("@py")
        smu = rm.open_resource(resources["smu"], read_termination="\n", write_termination="\n", timeout=5000)
        probe = rm.open_resource(resources["gaussmeter"], read_termination="\r\n", write_termination="\n")
        assert "MODEL 2450" in smu.query("*IDN?")
        assert probe.query("*IDN?").startswith("LSCI,MODEL425")
        smu.write(":SOUR:VOLT 0.01;:SENS:FUNC \"CURR\";:OUTP ON")
        resistance = 0.01 / float(smu.query(":READ?"))
        assert resistance == pytest.approx(5000, rel=0.01) or resistance == pytest.approx(11000, rel=0.01)
        smu.close()
        probe.close()
        rm.close()
    finally:
        out, err = stop(proc, signum)
    assert proc.returncode == 0, err
    assert "outputs off, sockets closed" in out
    assert re.search(r"client 127\.0\.0\.1:\d+ connected", err) and "disconnected" in err
