"""The Lake Shore 336 temperature controller: its twin with QCoDeS's and PyMeasure's unmodified drivers over the
in-process VISA library and TCP, mtjhw's driver command by command, the ``max_temperature`` gate, and the thermal
stage against the first-order response it models (on the bench clock, and as the DUT's temperature).

Analytic references (τ the stage's time constant): a step of ΔT relaxes as ΔT·e^(−t/τ), so it comes within a
tolerance δ after τ·ln(ΔT/δ); a set point ramping at r is followed with the lag r·τ (e(t) = −rτ(1 − e^(−t/τ))).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import drivers
import pytest
from conftest import assert_clean, error_entries, make_twin, serve
from pymeasure.test import expected_protocol

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.lakeshore336 import LakeShore336
from mtjhw.instruments.roles import TemperatureController
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.cryostat import ThermalStage

QCODES = "qcodes.instrument_drivers.Lakeshore.LakeshoreModel336"
PYMEASURE = "pymeasure.instruments.lakeshore.LakeShore3xx"
EXAMPLE = Path(__file__).parents[2] / "examples" / "simulated-temperature.yaml"
LIMITS = SafetyLimits(max_temperature=400.0)


@pytest.fixture
def bench():
    """The example bench with a 400 K limit."""
    config = BenchConfig.load(EXAMPLE)
    with Bench.open(dataclasses.replace(config, safety=LIMITS)) as opened:
        yield opened


# ----------------------------------------------------------------------------------------------- third-party drivers
def test_qcodes_reads_sets_and_heats(transport):
    with serve("lakeshore336", transport) as served:
        inst = drivers.open_driver(QCODES, served, "ls336")
        assert [channel.temperature() for channel in inst.channels] == pytest.approx([300.0] * 4, abs=0.01)
        assert inst.A.sensor_type() == "platinum_rtd" and inst.A.units() == "kelvin"
        assert inst.A.curve_name().strip() == "PT-100" and inst.A.curve_limit() == 800.0
        inst.A.t_limit(400.0)
        inst.output_1.output_range("medium")
        inst.output_1.setpoint_ramp_enabled(False)
        inst.output_1.setpoint(305.0)
        assert inst.A.t_limit() == 400.0 and inst.output_1.output_range() == "medium"
        assert inst.output_1.setpoint() == 305.0 and inst.output_1.mode() == "closed_loop"
        assert inst.output_1.output() == pytest.approx(25.0)  # P·R = 5 K of the medium range's 20 K
        served.bench.advance(300.0)  # 10 τ
        assert inst.A.temperature() == pytest.approx(305.0, abs=0.01)
        inst.output_1.setpoint_ramp_rate(6.0)  # K/min
        inst.output_1.setpoint_ramp_enabled(True)
        inst.output_1.setpoint(315.0)
        assert inst.output_1.setpoint_ramp_status() is True
        served.bench.advance(60.0)  # ramped 6 K, lagging r·τ(1 − e^(−t/τ)) with r·τ = 3 K
        assert inst.A.temperature() == pytest.approx(311.0 - 3.0 * (1 - math.exp(-2.0)), abs=0.01)
        inst.output_1.output_range("off")
        assert_clean(served.twin)


def test_pymeasure_reads_sets_and_heats(transport):
    with serve("lakeshore336", transport) as served:
        inst = drivers.open_driver(PYMEASURE, served)
        assert inst.id.startswith("LSCI,MODEL336")
        inst.output_2.setpoint = 310.0
        inst.output_2.range = "high"
        assert inst.output_2.setpoint == 310.0 and inst.output_2.range == "high"
        served.bench.advance(300.0)
        assert inst.input_B.kelvin == pytest.approx(310.0, abs=0.01)
        assert inst.input_B.celsius == pytest.approx(36.85, abs=0.01)
        assert inst.input_B.sensor == pytest.approx(100.0 * (1 + 3.85e-3 * 36.85), abs=0.01)  # PT-100, Ω
        assert inst.output_2.output == pytest.approx(5.0)  # 10 K of the high range's 200 K
        inst.adapter.close()
        assert_clean(served.twin)


def test_refusals_set_status_bits_and_never_crash():
    twin, _, _ = make_twin("lakeshore336")
    for message in ("SETP 5,300", "RANGE 3,2", "KRDG? E", "HTR? 3", "PID? 3", "RAMP 1,1,0.05", "SETP 1",
                    "FOO", "*OPT?", "SYST:ERR?", "INCRV A,99", "OUTMODE 1,5,1,0", "SETP 1,abc", '"', "\x00\xff"):
        assert twin.handle(message) is None, message
        assert len(error_entries(twin)) == 1, message
    assert int(twin.handle("*ESR?")) & 0x30 == 0x30  # CME (unknown headers) and EXE (values out of range)
    assert twin.handle("SETP? 1") == "+300.000"  # nothing refused was taken


def test_temperature_limit_switches_every_output_off():
    twin, bench, _ = make_twin("lakeshore336")
    twin.handle("TLIMIT A,310;SETP 1,320;RANGE 1,3;RANGE 2,1")
    bench.advance(60.0)  # past 310 K after τ·ln 2
    assert bench.stage.temperature < 310.0 and bench.stage.heater_range == 0  # off as it crossed, cooling since
    assert twin.handle("RANGE? 1") == twin.handle("RANGE? 2") == "0"
    bench.advance(300.0)
    assert float(twin.handle("KRDG? A")) == pytest.approx(300.0, abs=0.01)  # back to the base


# ----------------------------------------------------------------------------------------------- mtjhw's driver
def test_set_temperature_commands():
    with expected_protocol(LakeShore336, [("OUTMODE 2,1,3,0", None), ("RAMP 2,0,0", None), ("SETP 2,320.000", None),
                                          ("RANGE 2,2", None), ("RAMP 2,0,0", None), ("KRDG? C", "+320.004"),
                                          ("SETP 2,320.004", None), ("RAMP 2,1,6.0", None), ("SETP 2,350.000", None),
                                          ("RANGE 2,2", None), ("RANGE 1,0;RANGE 2,0", None)],
                           loop=2, sensor="C", heater_range="medium", limits=LIMITS) as inst:
        assert isinstance(inst, TemperatureController)
        inst.set_temperature(320.0)
        inst.set_temperature(350.0, ramp=0.1)
        inst.heater_off()


def test_arm_protection_sets_the_controllers_own_limit():
    with expected_protocol(LakeShore336, [("TLIMIT A,400", None)], limits=LIMITS) as inst:
        inst.arm_protection()
    with expected_protocol(LakeShore336, []) as inst:
        inst.arm_protection()  # no limit, nothing to arm
    with expected_protocol(LakeShore336, [("*RST", None), ("TLIMIT A,400", None)], limits=LIMITS) as inst:
        inst.write("*RST")  # the reset returns the limit to 0 K (off): re-armed at once
        with pytest.raises(SafetyLimitError, match="on its own"):
            inst.write("*RST;SETP 1,300")


def test_set_points_beyond_the_limit_are_refused_before_sending():
    with expected_protocol(LakeShore336, [], limits=LIMITS) as inst:
        for refused in (lambda: inst.set_temperature(400.5), lambda: setattr(inst.output_1, "setpoint", 401.0),
                        lambda: inst.write("SETP 2, 450"), lambda: inst.write("RANGE 1,0;SETP 1,+4.5E+02"),
                        lambda: inst.write("TLIMIT A,500"), lambda: inst.write("TLIMIT A,0"),
                        lambda: inst.write("OUTMODE 1,3,1,0"), lambda: inst.write("INTYPE A,2,1,2,1,2"),
                        lambda: inst.write("ZONE 1,1,400,50,20,0,0,3,1,0")):
            with pytest.raises(SafetyLimitError, match="exceeds the bench safety limit|nothing was sent"):
                refused()


def test_bad_options_and_ramps_are_refused():
    for options, match in (({"loop": 3}, "loop"), ({"sensor": "E"}, "sensor"), ({"heater_range": "max"}, "range")):
        with pytest.raises(ValueError, match=match):
            LakeShore336("GPIB0::12::INSTR", visa_library="@sim", **options)
    with expected_protocol(LakeShore336, []) as inst, pytest.raises(ValueError, match="K/min"):
        inst.set_temperature(320.0, ramp=2.0)


# ----------------------------------------------------------------------------------------------- on the bench
def test_wait_for_stable_takes_the_first_order_time_on_the_bench_clock(bench):
    controller, stage = bench.temperature, bench.virtual.stage
    assert bench.has_temperature and controller.measure_temperature() == pytest.approx(300.0, abs=0.01)
    start = bench.now()
    controller.set_temperature(320.0)
    assert controller.wait_for_stable(tolerance=0.1, hold=10.0) == pytest.approx(320.0, abs=0.1)
    expected = stage.time_constant * math.log(20.0 / 0.1) + 10.0
    assert bench.now() - start == pytest.approx(expected, abs=controller.poll + 0.01)


def test_a_ramp_follows_with_its_lag_and_never_overshoots(bench):
    controller, stage, dut = bench.temperature, bench.virtual.stage, bench.virtual.dut
    controller.set_temperature(340.0, ramp=0.2)
    seen = []
    for _ in range(60):  # 600 s: the 200 s ramp and 13 τ after it
        bench.sleep(10.0)
        seen.append(stage.temperature)
        assert dut.temperature == pytest.approx(stage.temperature, abs=0.01)  # pushed in 0.01 K steps
    lag = 0.2 * stage.time_constant
    assert seen[9] == pytest.approx(300.0 + 20.0 - lag * (1 - math.exp(-100.0 / stage.time_constant)), abs=0.02)
    assert max(seen) <= 340.0 and dut.temperature == stage.temperature == pytest.approx(340.0, abs=1e-3)


def test_wait_for_stable_times_out_when_the_heater_cannot_get_there(bench):
    controller = bench.temperature
    controller.heater_range = "low"  # 1 % of the power: 2 K above the base at most
    controller.set_temperature(320.0)
    start = bench.now()
    with pytest.raises(TimeoutError, match=r"302\.\d+ K after 600 s.*320 K.*heater at 100 % of the low range"):
        controller.wait_for_stable(timeout=600.0)
    assert bench.now() - start == pytest.approx(600.0, abs=controller.poll)


def test_closing_the_bench_switches_the_heater_off():
    config = BenchConfig.load(EXAMPLE)
    with Bench.open(config) as bench:
        bench.temperature.set_temperature(310.0)
        twin = next(h for h in bench.virtual_handlers() if h.idn[1] == "MODEL336")
    assert twin.handle("RANGE? 1") == "0"


# ----------------------------------------------------------------------------------------------- the stage itself
def test_stage_step_and_ramp_responses_are_first_order():
    stage = ThermalStage(base_temperature=10.0, heater_limit=310.0, time_constant=20.0)
    stage.heater_range = 3
    stage.set_setpoint(110.0)
    stage.advance(20.0)
    assert stage.temperature == pytest.approx(110.0 - 100.0 * math.exp(-1.0), rel=1e-12)  # exact per step
    assert stage.heater_fraction() == pytest.approx(100.0 / 300.0)
    stage.ramp_rate = 0.5
    stage.advance(400.0)
    stage.set_setpoint(210.0)
    stage.advance(100.0)
    assert stage.temperature == pytest.approx(160.0 - 10.0 * (1 - math.exp(-5.0)), rel=1e-12)  # exact too
    stage.heater_range = 2  # 10 %: at most 40 K
    stage.advance(400.0)
    assert not stage.changing() and stage.temperature == 40.0 and stage.heater_fraction() == 1.0
    with pytest.raises(ValueError, match="base_temperature"):
        ThermalStage(base_temperature=300.0, heater_limit=200.0)


def test_an_idle_stage_costs_nothing_and_leaves_the_dut_alone():
    bench = VirtualBench(seed=1)
    assert not bench.stage.changing() and bench.stage.temperature == bench.dut.temperature == 300.0
    bench.advance(1e3)
    assert bench.dut.temperature == 300.0 and bench._settling_step() == math.inf
