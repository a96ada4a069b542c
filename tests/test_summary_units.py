"""Run summaries carry units: every key a procedure's analysis returns is declared with its unit, and the CLI
prints each value with its (SI-prefixed) unit and its error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mtjhw.bench import Bench
from mtjhw.cli import summary_lines
from mtjhw.config import BenchConfig
from mtjhw.procedures import PROCEDURES
from mtjhw.runner import run_procedure

EXAMPLES = Path(__file__).parents[1] / "examples"
STNO = {"simulated": True, "seed": 2, "dut": {"model": "stno"}}

#: A short run of every registered procedure on a simulated bench that suits it: bench file (or mapping), settings.
QUICK_RUNS = {
    "astroid": ("simulated-rotator.yaml", {"loops": 1, "angles": 3, "angle_max": 1.2}),
    "breakdown": ("simulated-breakdown.yaml", {}),
    "hard-axis": ("simulated-hard-axis.yaml", {}),
    "lif-neuron": ("simulated-lif.yaml", {"currents": 8, "points": 5000, "duration": 1e-6}),
    "neuron-transfer": ("simulated-pmtj.yaml", {}),
    "noise-psd": ("simulated-pmtj.yaml", {}),
    "rh-loop": ("simulated-pmtj.yaml", {"points": 61, "loops": 2, "nplc": 0.2}),
    "rv-loop": ("simulated-pmtj.yaml", {}),
    "sot-switching": ("simulated-sot.yaml", {"trials": 40}),
    "st-fmr": ("simulated-sr860.yaml", {}),
    "stno-spectrum": (STNO, {"averages": 4, "currents": 10}),
    "switching-probability": ("simulated-pmtj.yaml", {"amplitudes": 8, "trials": 60, "wer_target": 1e-2}),
    "synapse-ltp-ltd": ("simulated-pmtj.yaml", {}),
    "telegraph": ("simulated-tektronix.yaml", {}),
    "thermal-stability": ("simulated-temperature.yaml", {"temperatures": 2, "loops": 4}),
}


@pytest.fixture(autouse=True)
def _quiet_simulators(caplog):
    caplog.set_level(logging.ERROR)


def declared(key: str, units: dict[str, str]) -> bool:
    """``key`` has a unit: its own, or (``<key>_err``) that of the value it is the error of."""
    return key in units or (key.endswith("_err") and key.removesuffix("_err") in units)


def test_every_registered_procedure_has_a_quick_run():
    assert set(QUICK_RUNS) == set(PROCEDURES)


@pytest.mark.parametrize("name", sorted(QUICK_RUNS))
def test_every_summary_key_has_a_declared_unit(name, tmp_path):
    bench_file, settings = QUICK_RUNS[name]
    config = BenchConfig.from_dict(bench_file) if isinstance(bench_file, dict) else \
        BenchConfig.load(EXAMPLES / bench_file)
    with Bench.open(config) as bench:
        outcome = run_procedure(name, bench, tmp_path, settings)
    assert outcome.summary, f"{name}: no summary ({outcome.status}: {outcome.error})"
    units = PROCEDURES[name].summary_keys
    assert [key for key in outcome.summary if not declared(key, units)] == []
    assert all(isinstance(unit, str) for unit in units.values())


def test_values_print_with_prefixed_units_and_errors():
    summary = {"r_p": 1234.5, "r_p_err": 2.1, "h_c": 0.0123, "h_c_err": 0.00042, "i_sw": -2.5e-4}
    lines = summary_lines(summary, {"r_p": "Ω", "h_c": "T", "i_sw": "A"})
    assert [line.split(" = ")[1] for line in lines] == ["1.2345 ± 0.0021 kΩ", "12.30 ± 0.42 mT", "-250 µA"]


def test_units_that_are_not_single_si_units_print_as_declared():
    summary = {"tmr": 1.5, "tmr_err": 0.031, "delta": 45.27, "delta_err": 1.4, "rate": 0.05, "regime": "thermal",
               "events": 4}
    units = {"tmr": "ratio", "delta": "kBT", "rate": "T/s", "regime": "thermal | precessional", "events": "count"}
    assert [line.split(" = ")[1] for line in summary_lines(summary, units)] == [
        "1.500 ± 0.031", "45.3 ± 1.4 kBT", "0.05 T/s", "thermal", "4"]


def test_an_error_without_its_value_prints_on_its_own_line():
    assert summary_lines({"x_err": 0.5}, {"x_err": "V"}) == [f"  {'x_err':>20} = 500 mV"]


def test_mtjhw_run_prints_the_summary_with_units(tmp_path, capsys):
    from mtjhw.cli import main

    assert main(["run", "rh-loop", "--bench", str(EXAMPLES / "simulated-pmtj.yaml"), "--out", str(tmp_path),
                 "--set", "points=61", "--set", "loops=2", "--set", "nplc=0.2", "-q"]) == 0
    lines = {line.split(" = ")[0].strip(): line.split(" = ")[1] for line in capsys.readouterr().out.splitlines()
             if " = " in line}
    assert lines["r_p"].endswith(" kΩ") and " ± " in lines["r_p"] and lines["h_c"].endswith(" mT")
    assert "r_p_err" not in lines
