"""CLI happy path and clear errors for malformed bench files."""

import json
import re
import textwrap

import pytest

from mtjhw.cli import main
from mtjhw.config import BenchConfig, BenchConfigError

EXAMPLE = "examples/simulated-pmtj.yaml"


def test_run_writes_data_plot_and_summary(tmp_path, capsys):
    out = tmp_path / "rh"
    code = main(["run", "rh-loop", "--bench", EXAMPLE, "--out", str(out), "--set", "points=61",
                 "--set", "loops=2", "--set", "nplc=0.2", "-q"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("r_p", "r_ap", "tmr", "h_sw_p_to_ap", "h_sw_ap_to_p", "h_c", "h_offset"):
        assert isinstance(summary[key], float), key
    assert summary["r_p"] == pytest.approx(5000, rel=0.02)
    assert summary["run"]["status"] == "finished" and summary["run"]["parameters"]["points"] == 61
    assert (out / "plot.png").stat().st_size > 10_000
    assert (out / "data.csv").read_text().startswith("#Procedure: <mtjhw.procedures.rh_loop.RHLoop>")
    assert f"#\tBench file: {EXAMPLE}\n" in (out / "data.csv").read_text()
    assert "rh-loop: finished, 244 points" in capsys.readouterr().out


def test_run_rv_loop_from_cli(tmp_path):
    out = tmp_path / "rv"
    assert main(["run", "rv-loop", "--bench", EXAMPLE, "--out", str(out), "--set", "v_max=0.7", "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["v_sw_p_to_ap"] < 0 < summary["v_sw_ap_to_p"]
    assert summary["i_sw_p_to_ap"] < 0 < summary["i_sw_ap_to_p"]


@pytest.mark.parametrize(("argv_tail", "message"), [
    (["--set", "points"], "--set expects name=value"),
    (["--set", "bogus=1"], "rh-loop has no parameter 'bogus'"),
    (["--set", "points=2"], "points='2'"),
])
def test_bad_settings_are_refused_before_opening_the_bench(tmp_path, capsys, argv_tail, message):
    assert main(["run", "rh-loop", "--bench", EXAMPLE, "--out", str(tmp_path), *argv_tail]) == 2
    assert message in capsys.readouterr().err


def write(tmp_path, text):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("simulated: true\ndut: {hk: 800}\n", "dut.hk = 800 is outside the plausible range"),
    ("simulated: true\ndut: {hk: '80 mT'}\n", "dut.hk: expected a number in SI units"),
    ("simulated: true\ndut: {hc: 0.02}\n", "dut.hc: not a parameter of model 'pmtj'"),
    ("simulated: true\ndut: {model: ferrite}\n", "dut.model: unknown model 'ferrite'"),
    ("simulated: true\nsafety: {max_voltage: -1}\n", "safety.max_voltage: expected a positive number in V"),
    ("simulated: true\nsafety: {max_volts: 1}\n", "safety.max_volts: unknown limit"),
    ("simulated: false\n", "instruments: required when simulated is false"),
    ("simulated: false\ninstruments:\n  smu: {driver: keithley2450}\n", "instruments.smu.resource: missing"),
    ("instruments:\n  smu: {driver: keithley2401, resource: GPIB::1}\n", "instruments.smu.driver: unknown driver"),
    ("instruments:\n  thermostat: {driver: keithley2450}\n", "instruments.thermostat: unknown role"),
    ("instruments:\n  scope: {driver: keithley2450}\n", "instruments.scope.driver: keithley2450 cannot fill"),
    ("instruments:\n  magnet: {driver: kepco-bop}\n", "needs both a 'magnet' and a 'gaussmeter'"),
    ("simulated: yes please\n", "simulated: expected true or false"),
    ("simulated: true\nfoo: 1\n", "foo: unknown top-level key"),
    ("- just\n- a list\n", "expected a mapping"),
    ("simulated: [unclosed\n", "not valid YAML"),
    ("dut: {model: array, rows: 4.5}\n", "dut.rows: must be an integer (got 4.5)"),
    ("seed: -1\n", "seed: expected a non-negative integer"),
    ("instruments:\n  smu: {driver: keithley2450, bogus: 3}\n", "instruments.smu.bogus: not an option of keithley2450"),
    ("instruments:\n  smu: {driver: keithley2450, timeout: -5}\n", "instruments.smu.timeout: expected a positive"),
    ("instruments:\n  smu: {driver: keithley2450, resource: 'GPIB0::1::INSTR'}\n"
     "  pulser: {driver: keysight81160a, resource: 'GPIB0::1::INSTR'}\n", "GPIB0::1::INSTR is used twice"),
    ("safety: {max_voltage: 1e308}\n", "safety.max_voltage: 1e+308 V is not a plausible device-safe limit"),
    ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("safety: {max_current: .nan}\n", "safety.max_current: expected a finite number in A, got nan"),
    ("instruments:\n  smu: {driver: keithley2450, resource: 5}\n", "instruments.smu.resource: expected text, got 5"),
    ("instruments:\n  smu: {driver: keithley2450, baud_rate: 9600.5}\n",
     "instruments.smu.baud_rate: must be an integer (got 9600.5)"),
    ("instruments:\n  smu: {resource: 'GPIB0::1::INSTR'}\n", "instruments.smu.driver: missing"),
    ("instruments:\n  smu: keithley2450\n", "instruments.smu: expected a mapping of settings, got str"),
    ("instruments:\n  magnet: {driver: kepco-bop, coil_constant: -0.03}\n  gaussmeter: {driver: lakeshore425}\n",
     "instruments.magnet.coil_constant: expected a positive number in T/A, got -0.03"),
    ("dut: {r_p: [5000]}\n", "dut.r_p: expected a number in SI units or a name, got [5000]"),
    ("dut: {r_p: 1" + "0" * 5000 + "}\n", "not valid YAML: Exceeds the limit (4300 digits)"),
    ("realtime: 1\n", "realtime: expected true or false, got 1"),
])
def test_malformed_bench_files_name_the_key(tmp_path, capsys, text, message):
    path = write(tmp_path, text)
    with pytest.raises(BenchConfigError, match=re.escape(message)):
        BenchConfig.load(path)
    assert main(["run", "rh-loop", "--bench", str(path), "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main(["bench", "check", str(path)]) == 2  # the same validation
    assert message in capsys.readouterr().err


def test_every_problem_of_a_bench_file_is_reported_once(tmp_path, capsys):
    path = write(tmp_path, """\
        seed: -1
        safety: {max_voltage: 1e308}
        dut: {model: array, rows: 4.5}
        instruments:
          smu: {driver: keithley2450, timeout: -5, bogus: 3}
        """)
    assert main(["bench", "check", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"mtjhw bench check: error: {path}: 5 problems",
        "  seed: expected a non-negative integer, got -1",
        "  safety.max_voltage: 1e+308 V is not a plausible device-safe limit (at most 1000 V; bench files use SI "
        "units)",
        "  instruments.smu.timeout: expected a positive number in ms, got -5",
        "  instruments.smu.bogus: not an option of keithley2450; options: resource, timeout, query_delay, "
        "read_termination, write_termination, visa_library, encoding, baud_rate, data_bits, chunk_size, send_end",
        "  dut.rows: must be an integer (got 4.5)",
    ]


def test_rules_across_keys_are_reported_together(tmp_path):
    path = write(tmp_path, """\
        simulated: false
        instruments:
          smu: {driver: keithley2450, resource: "TCPIP::1.2.3.4::INSTR"}
          pulser: {driver: keysight81160a, resource: "TCPIP::1.2.3.4::INSTR"}
          magnet: {driver: kepco-bop}
        """)
    with pytest.raises(BenchConfigError) as error:
        BenchConfig.load(path)
    assert str(error.value).splitlines()[1:] == [
        "  instruments.magnet.resource: missing (required when simulated is false)",
        "  instruments.pulser.resource: TCPIP::1.2.3.4::INSTR is used twice",
        "  instruments: field control needs both a 'magnet' and a 'gaussmeter'"]


def test_bench_check_and_procedure_listing(capsys):
    assert main(["bench", "check", EXAMPLE]) == 0
    assert "simulated bench, roles: smu, magnet, gaussmeter, pulser, scope" in capsys.readouterr().out
    assert main(["procedures"]) == 0
    listing = capsys.readouterr().out
    assert "rh-loop" in listing and "--set sweep_rate=<0.05> [T/s]" in listing and "tmr_v_half (V)" in listing


def test_missing_bench_file_is_a_clear_error(tmp_path, capsys):
    assert main(["run", "rh-loop", "--bench", str(tmp_path / "nope.yaml"), "--out", str(tmp_path)]) == 2
    assert "cannot read bench file" in capsys.readouterr().err


def test_numbers_load_as_people_write_them(tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text("simulated: true\nsafety: {max_voltage: 8e-1, max_current: 1e-3}\n"
                    "dut: {model: stno, nonlinearity: -2.0e9, i_th: 2e-3, r_p: 1e3}\n")
    config = BenchConfig.load(path)
    assert config.safety.max_voltage == 0.8 and config.safety.max_current == 1e-3
    assert config.dut == {"model": "stno", "nonlinearity": -2.0e9, "i_th": 2e-3, "r_p": 1000.0}


def test_a_bench_file_that_is_not_utf8_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "bench.yaml"
    path.write_bytes(b"name: b\xe9nch\n")
    assert main(["bench", "check", str(path)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
