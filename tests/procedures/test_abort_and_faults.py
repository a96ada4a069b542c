"""Abort (Ctrl-C or stop request) and instrument faults mid-run: outputs end off, measured points stay on disk."""

import json
import threading

import pandas as pd
import pytest
from pyvisa.errors import InvalidSession

from mtjhw.bench import Bench
from mtjhw.runner import run_procedure
from tests.conftest import simulated_config


def smu_and_magnet_state(bench):
    twins = {type(h).__name__: h for h in bench.virtual_handlers()}
    return twins["Keithley2450"].output, twins["KepcoBOP"].output, bench.virtual.bias.level


def recorded_rows(path):
    return pd.read_csv(path / "data.csv", comment="#")


@pytest.mark.parametrize("how", ["stop-request", "ctrl-c"])
def test_abort_mid_sweep_leaves_outputs_off_and_keeps_points(tmp_path, how):
    stop = threading.Event()
    seen = []

    def progress(percent):
        seen.append(percent)
        if len(seen) == 37:  # progress is reported after each recorded point
            if how == "ctrl-c":
                raise KeyboardInterrupt
            stop.set()

    with Bench.open(simulated_config()) as bench:
        outcome = run_procedure("rh-loop", bench, tmp_path, {"points": 101}, progress=progress, stop=stop)
        smu_on, magnet_on, bias = smu_and_magnet_state(bench)
    assert outcome.status == "aborted"
    assert not smu_on and not magnet_on and bias == 0.0
    rows = recorded_rows(tmp_path)
    assert len(rows) == outcome.points == 37
    assert rows["Resistance (ohm)"].notna().all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["status"] == "aborted" and summary["run"]["points"] == len(rows)


def test_instrument_fault_mid_run_keeps_points_and_switches_off(tmp_path):
    with Bench.open(simulated_config()) as bench:
        smu_twin = next(h for h in bench.virtual_handlers() if type(h).__name__ == "Keithley2450")
        real_handle = smu_twin.handle
        calls = {"n": 0}

        def failing_handle(message):
            if message.startswith(":READ?"):
                calls["n"] += 1
                if calls["n"] > 20:
                    return None  # the instrument stops answering: the driver times out
            return real_handle(message)

        smu_twin.handle = failing_handle
        outcome = run_procedure("rh-loop", bench, tmp_path, {"points": 101})
        smu_on, magnet_on, bias = smu_and_magnet_state(bench)
    assert outcome.status == "failed"
    assert "VisaIOError" in outcome.error or "Timeout" in outcome.error
    assert outcome.points == 20 == len(recorded_rows(tmp_path))
    assert not smu_on and not magnet_on and bias == 0.0
    assert json.loads((tmp_path / "summary.json").read_text())["run"]["status"] == "failed"


def test_safety_limit_stops_run_before_anything_is_sent(tmp_path):
    with Bench.open(simulated_config()) as bench:
        outcome = run_procedure("rv-loop", bench, tmp_path, {"v_max": 1.2})
        assert not bench.virtual.dut.broken  # the barrier never saw 1.2 V
        smu_on, _, _ = smu_and_magnet_state(bench)
    assert outcome.status == "failed" and "safety limit" in outcome.error
    assert outcome.points == 0 and not smu_on


def test_closing_the_bench_switches_everything_off():
    bench = Bench.open(simulated_config())
    bench.smu.source_voltage_mode(1e-4)
    bench.smu.set_level(0.1)
    bench.smu.output_on()
    bench.field.set_field(0.05)
    bench.close()
    twins = {type(h).__name__: h for h in bench.virtual_handlers()}
    assert not twins["Keithley2450"].output and not twins["KepcoBOP"].output
    with pytest.raises(InvalidSession):  # the sessions are closed too
        bench.smu.measure()


def test_pulsed_procedure_fault_switches_the_pulse_generator_off_too(tmp_path):
    with Bench.open(simulated_config(h_offset=0.0)) as bench:
        pulser_twin = next(h for h in bench.virtual_handlers() if type(h).__name__ == "Keysight81160A")
        real_fire = pulser_twin.fire
        calls = {"n": 0}

        def failing_fire():
            calls["n"] += 1
            if calls["n"] > 11:  # three calibration bursts, four amplitudes (a reset check and the trials each),
                # then the generator faults
                raise RuntimeError("hardware fault")
            real_fire()

        pulser_twin.fire = failing_fire
        outcome = run_procedure("switching-probability", bench, tmp_path,
                                {"v_min": 0.3, "v_max": 0.48, "trials": 100, "wer_target": 1e-2})
        smu_on, _, _ = smu_and_magnet_state(bench)
        assert not pulser_twin.output[1] and not pulser_twin.output[2] and not smu_on
    assert outcome.status == "failed"
    assert outcome.points == 4 == len(recorded_rows(tmp_path))


def test_a_second_run_into_the_same_directory_keeps_the_first(tmp_path, capsys):
    from mtjhw.cli import main

    args = ["run", "rh-loop", "--bench", "examples/simulated-pmtj.yaml", "--out", str(tmp_path), "-q",
            "--set", "points=41"]
    assert main(args) == 0
    first = (tmp_path / "data.csv").read_bytes()
    assert main(args) == 2
    assert "holds an earlier run" in capsys.readouterr().err
    assert (tmp_path / "data.csv").read_bytes() == first


def test_a_second_ctrl_c_while_stopping_keeps_the_summary_and_switches_off(tmp_path, monkeypatch):
    import os
    import signal

    from mtjhw.procedures.rh_loop import RHLoop

    real_shutdown = RHLoop.shutdown

    def impatient_shutdown(self):
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C again while the run stops
        real_shutdown(self)

    monkeypatch.setattr(RHLoop, "shutdown", impatient_shutdown)

    def first_ctrl_c(percent):
        if percent > 20:
            raise KeyboardInterrupt

    with Bench.open(simulated_config()) as bench:
        outcome = run_procedure("rh-loop", bench, tmp_path, {"points": 51}, progress=first_ctrl_c)
        smu_on, magnet_on, bias = smu_and_magnet_state(bench)
    assert outcome.status == "aborted" and not smu_on and not magnet_on and bias == 0.0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["run"]["status"] == "aborted" and summary["run"]["points"] == len(recorded_rows(tmp_path))
