"""`mtjhw sim serve`: the virtual bench over TCP, opened by pyvisa-py from another process."""

import re
import signal
import subprocess
import sys
import time

import pytest
import pyvisa


def test_sim_serve_prints_resources_that_pyvisa_py_opens():
    proc = subprocess.Popen([sys.executable, "-m", "mtjhw", "sim", "serve", "--bench",
                             "examples/simulated-pmtj.yaml"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C" in line:
                break
        resources = dict(re.findall(r"^\s*(\w+): (TCPIP::127\.0\.0\.1::\d+::SOCKET)", "".join(lines), re.M))
        assert set(resources) == {"smu", "magnet", "gaussmeter", "pulser", "scope"}, lines
        rm = pyvisa.ResourceManager("@py")
        smu = rm.open_resource(resources["smu"], read_termination="\n", write_termination="\n", timeout=5000)
        probe = rm.open_resource(resources["gaussmeter"], read_termination="\n", write_termination="\n")
        assert "MODEL 2450" in smu.query("*IDN?")
        assert probe.query("*IDN?").startswith("LSCI,MODEL425")
        smu.write(":SOUR:VOLT 0.01;:SENS:FUNC \"CURR\";:OUTP ON")
        resistance = 0.01 / float(smu.query(":READ?"))
        assert resistance == pytest.approx(5000, rel=0.01) or resistance == pytest.approx(11000, rel=0.01)
        smu.write(":OUTP OFF")
        smu.close()
        probe.close()
        rm.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, proc.stderr.read()
