"""The virtual Keithley 2636B with the unmodified PyMeasure and QCoDeS 2600 drivers, in-process and over TCP, and
mtjhw's driver: its TSP, its channel option, and the safety gate reading TSP.

Readings are checked against the bench's DUT on ``smua`` (its operating point under the programmed bias);
``smub`` has nothing attached. QCoDeS's fast sweep sends a Lua ``for`` loop in a ``loadandrunscript`` block and
reads the buffer as IEEE floats: the twin runs it in a real Lua interpreter.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import Served, assert_clean, error_entries, make_twin, serve
from drivers import open_driver, open_visa, synced
from pymeasure.instruments.keithley import Keithley2600 as PyMeasureKeithley2600
from pymeasure.test import expected_protocol
from qcodes.dataset import LinSweep
from qcodes.instrument_drivers.Keithley import Keithley2636B

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.keithley2600 import UNFOLLOWED, Keithley2600, tsp_units
from mtjhw.instruments.roles import SourceMeter
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.simulators.bench import Bias, VirtualBench

DRIVER = "keithley2636b"
EXAMPLE = Path(__file__).parents[2] / "examples" / "simulated-keithley2636b.yaml"
LIMITS = SafetyLimits(max_voltage=0.8, max_current=1e-3)
REL = 1e-3  # readings carry the DUT's read noise and the instrument's


def dut_current(served: Served, volts: float) -> float:
    return dut_current_on(served.bench, volts)


def dut_current_on(bench: VirtualBench, volts: float) -> float:
    return bench.dut.operating_point(Bias("V", volts))[1]


# ----------------------------------------------------------------------------------------------- PyMeasure
@contextlib.contextmanager
def pymeasure_smu(transport: str) -> Iterator[tuple[Any, Served]]:
    with serve(DRIVER, transport) as served:
        smu = open_driver(PyMeasureKeithley2600, served)
        try:
            yield smu, served
        finally:
            smu.adapter.close()


def test_pymeasure_sets_levels_and_reads_both_channels(transport):
    with pymeasure_smu(transport) as (smu, served):
        smu.ChA.apply_voltage(compliance_current=1e-3)
        smu.ChA.source_voltage = 0.1
        smu.ChA.source_output = "ON"
        smu.ChA.measure_current(nplc=1)
        assert smu.ChA.current == pytest.approx(dut_current(served, 0.1), rel=REL)
        assert smu.ChA.voltage == pytest.approx(0.1, rel=REL)
        assert smu.ChA.compliance_current == pytest.approx(1e-3)
        smu.ChB.apply_current(compliance_voltage=2.0)
        smu.ChB.source_current = 1e-3
        smu.ChB.source_output = "ON"
        assert smu.ChB.voltage == pytest.approx(2.0, rel=REL)  # open circuit: at its voltage limit
        assert abs(smu.ChB.current) < 1e-9
        smu.ChA.shutdown()
        assert smu.ChA.source_output == "OFF"
        synced(smu)
        assert_clean(served.twin)


def test_pymeasure_reads_errors_as_the_instrument_queues_them(transport):
    with pymeasure_smu(transport) as (smu, served):
        smu.write("smua.source.levelv = 500")
        smu.write("smua.source.levelv = = 1")
        smu.write("nosuch.thing = 1")
        codes = [smu.next_error[0] for _ in range(4)]
        assert codes == [1101, -285, -286, 0]


# ----------------------------------------------------------------------------------------------- QCoDeS
@contextlib.contextmanager
def qcodes_smu(transport: str) -> Iterator[tuple[Any, Served]]:
    with serve(DRIVER, transport) as served:
        smu = open_driver(Keithley2636B, served, "k2636b")
        try:
            yield smu, served
        finally:
            smu.close()


def test_qcodes_sets_levels_reads_and_the_compliance_status(transport):
    with qcodes_smu(transport) as (smu, served):
        assert smu.model == "2636B" and smu.IDN()["model"] == "2636B"
        smu.smua.mode("voltage")
        smu.smua.limiti(1e-3)
        smu.smua.volt(0.2)
        smu.smua.output("on")
        assert smu.smua.curr() == pytest.approx(dut_current(served, 0.2), rel=REL)
        assert smu.smua.curr.measurement_status.name == "NORMAL"
        smu.smua.limiti(1e-5)  # below the DUT's current at 0.2 V
        assert smu.smua.curr() == pytest.approx(1e-5, rel=REL)
        assert smu.smua.curr.measurement_status.name == "CURRENT_COMPLIANCE_ERROR"
        smu.smub.mode("current")
        smu.smub.limitv(1.0)
        smu.smub.output("on")
        smu.smub.curr(1e-6)
        assert smu.smub.volt() == pytest.approx(1.0, rel=REL)
        assert smu.smub.volt.measurement_status.name == "VOLTAGE_COMPLIANCE_ERROR"
        assert smu.ask_raw("*OPC?") == "1"
        assert_clean(served.twin)


def test_qcodes_fast_sweep_runs_its_lua_script(transport):
    with qcodes_smu(transport) as (smu, served):
        smu.smua.limiti(1e-3)
        smu.smua.setup_fastsweep(LinSweep(smu.smua.volt, -0.2, 0.2, 21))
        data = smu.smua.fastsweep()
        expected = [dut_current(served, v) for v in np.linspace(-0.2, 0.2, 21)]
        np.testing.assert_allclose(data, expected, rtol=REL, atol=1e-9)
        assert smu.ask_raw("*OPC?") == "1"
        assert_clean(served.twin)


# ----------------------------------------------------------------------------------------------- plain TSP
def test_trigger_model_list_sweep_and_printbuffer_over_visa(transport):
    levels = [0.05, 0.1, -0.1, 0.2]
    with serve(DRIVER, transport) as served:
        inst = open_visa(served)
        try:
            inst.write("smua.source.func = smua.OUTPUT_DCVOLTS smua.source.limiti = 1e-3 smua.source.output = 1")
            inst.write("smua.trigger.source.listv({" + ", ".join(map(str, levels)) + "})")
            inst.write("smua.trigger.source.action = smua.ENABLE smua.trigger.measure.action = smua.ENABLE "
                       "smua.trigger.measure.iv(smua.nvbuffer1, smua.nvbuffer2) smua.trigger.count = 4 "
                       "smua.trigger.initiate() waitcomplete()")
            assert float(inst.query("print(smua.nvbuffer1.n)")) == 4
            assert inst.query("print(smua.source.compliance)") == "false"
            reply = inst.query("printbuffer(1, 4, smua.nvbuffer1.readings, smua.nvbuffer2.readings)")
            values = np.array([float(x) for x in reply.split(", ")])
            np.testing.assert_allclose(values[1::2], levels, rtol=REL)
            np.testing.assert_allclose(values[0::2], [dut_current(served, v) for v in levels], rtol=REL)
            inst.write("format.data = format.REAL64 format.byteorder = format.BIGENDIAN")
            inst.write("printbuffer(1, 4, smua.nvbuffer2.readings)")
            raw = inst.read_raw()
            assert raw[:2] == b"#0" and raw[-1:] == b"\n"
            np.testing.assert_allclose(struct.unpack(">4d", raw[2:-1]), levels, rtol=REL)
            assert inst.query("print(errorqueue.next())").split("\t")[:2] == ["0.00000e+00", "Queue Is Empty"]
        finally:
            inst.close()
        assert_clean(served.twin)


@pytest.mark.parametrize(("chunk", "code"), [
    ("smua.source.levelv = 500", 1101), ("smua.source.limiti = 0", 1102), ("smua.source.levelv = = 1", -285),
    ("smua.source.protectv = 5", -286), ("smua._twin.reset()", -286), ("python.eval('1')", -286),
    ("while true do end", -286), ("smua.trigger.source.listv(5)", -286), ("print(os, io, require)", None),
])
def test_twin_answers_bad_tsp_as_the_instrument_and_stays_sandboxed(chunk, code):
    twin, _, _ = make_twin(DRIVER)
    reply = twin.handle(chunk)
    assert [c for c, _ in error_entries(twin)] == ([code] if code else [])
    if code is None:
        assert reply == "nil\tnil\tnil"
    assert twin.handle("print(1 + 1)") == "2.00000e+00"  # still in sync


def test_a_syntax_error_runs_nothing_and_a_runtime_error_stops_the_chunk():
    twin, _, _ = make_twin(DRIVER)
    twin.handle("smua.source.levelv = 0.1 smua.source.levelv = = 2")
    twin.handle("smua.source.leveli = 1e-6 nosuch.x = 1 smua.source.leveli = 2e-6")
    assert twin.smua.source.levelv == 0.0 and twin.smua.source.leveli == pytest.approx(1e-6)
    assert [c for c, _ in error_entries(twin)] == [-285, -286]


def test_a_sweep_runs_within_its_own_limit_and_holds_its_last_point():
    twin, bench, _ = make_twin(DRIVER)
    limit = 5e-6  # below the DUT's current at either level (R ≈ 5–11 kΩ)
    assert all(dut_current_on(bench, v) > limit for v in (0.1, 0.2))
    twin.handle("smua.source.limiti = 1e-3 smua.source.output = smua.OUTPUT_ON")
    twin.handle(f"smua.trigger.source.listv({{0.1, 0.2}}) smua.trigger.source.limiti = {limit} "
                "smua.trigger.source.action = smua.ENABLE smua.trigger.measure.action = smua.ENABLE "
                "smua.trigger.measure.i(smua.nvbuffer1) smua.trigger.count = 2 "
                "smua.trigger.endsweep.action = smua.SOURCE_HOLD smua.trigger.initiate()")
    currents = [float(x) for x in twin.handle("printbuffer(1, 2, smua.nvbuffer1.readings)").split(", ")]
    np.testing.assert_allclose(currents, [limit, limit], rtol=REL)
    assert twin.handle("print(smua.source.limiti, smua.source.levelv, smua.source.compliance)") == \
        "1.00000e-03\t0.00000e+00\ttrue"  # the programmed source reads back; the output is held at the limit
    assert bench.bias == Bias("I", limit)
    assert twin.handle("print(status.measurement.instrument.smua.condition)") == "2.00000e+00"  # current limit
    assert_clean(twin)


def test_a_reset_disarms_the_trigger_line():
    twin, bench, _ = make_twin(DRIVER)
    twin.handle("smua.source.output = smua.OUTPUT_ON smua.trigger.measure.stimulus = digio.trigger[1].EVENT_ID "
                "smua.trigger.measure.action = smua.ENABLE smua.trigger.measure.i(smua.nvbuffer1) "
                "smua.trigger.count = 3 smua.trigger.initiate()")
    assert len(bench.trigger_listeners) == 1
    twin.handle("reset()")
    assert bench.trigger_listeners == []
    bench.pulse_burst([], 1e-3, 3)
    assert twin.handle("print(smua.nvbuffer1.n)") == "0.00000e+00"
    assert_clean(twin)


def test_format_constants_and_reset_defaults_are_the_manuals():
    """2600B Reference Manual, format.data / format.asciiprecision / format.byteorder: ASCII 1, single precision 2
    (REAL32, SREAL), double 3 (REAL, REAL64, DREAL); after reset 6 digits, little-endian."""
    twin, _, _ = make_twin(DRIVER)
    twin.handle("format.data = format.REAL64 format.asciiprecision = 3 format.byteorder = format.BIGENDIAN reset()")
    reply = twin.handle("print(format.ASCII, format.REAL32, format.SREAL, format.REAL64, format.REAL, format.DREAL, "
                        "format.data, format.asciiprecision, format.byteorder)")
    assert [float(x) for x in reply.split("\t")] == [1, 2, 2, 3, 3, 3, 1, 6, 1]
    twin.handle("format.data = 2")
    twin.handle("smua.measure.v(smua.nvbuffer1)")
    raw = twin.handle("printbuffer(1, 1, smua.nvbuffer1)")
    assert raw[:2] == b"#0" and len(raw) == 2 + 4  # one single-precision float
    twin.handle("format.data = 4")
    assert [c for c, _ in error_entries(twin)] == [1101]


def test_source_reset_defaults_are_the_manuals():
    """2600B Reference Manual, smuX.source.limitY and offlimitY on a 2636B: limits 20 V and 100 mA, output-off limits
    1 mA and 40 V, levels 0 V and 0 A; a limit of 0 is too small."""
    twin, _, _ = make_twin(DRIVER)
    twin.handle("smua.source.limitv = 5 smua.source.offlimitv = 2 smua.source.levelv = 0.1 smua.reset()")
    reply = twin.handle("print(smua.source.limitv, smua.source.limiti, smua.source.offlimiti, smua.source.offlimitv, "
                        "smua.source.levelv, smua.source.leveli)")
    assert [float(x) for x in reply.split("\t")] == [20, 0.1, 1e-3, 40, 0, 0]
    twin.handle("smua.source.limitv = 0")
    assert [c for c, _ in error_entries(twin)] == [1102]


def test_printbuffer_clamps_its_indices_to_the_buffer():
    """2600B Reference Manual, printbuffer(): a start index below 1 prints from 1, an end index past n prints to n,
    and a reading buffer stands for its readings; nothing is left to print past the end."""
    twin, _, _ = make_twin(DRIVER)
    twin.handle("smua.measure.count = 2 smua.measure.v(smua.nvbuffer1)")
    stored = twin.handle("printbuffer(1, 2, smua.nvbuffer1.readings)")
    assert len(stored.split(", ")) == 2
    assert twin.handle("printbuffer(0, 5, smua.nvbuffer1)") == stored
    assert twin.handle("printbuffer(3, 4, smua.nvbuffer1.readings)") is None
    assert_clean(twin)


def test_driver_refuses_to_fetch_more_readings_than_are_stored():
    with expected_protocol(Keithley2600, [("print(smua.nvbuffer1.n)", "3.00000e+00")]) as inst:
        with pytest.raises(RuntimeError, match="3 readings stored, 5 asked for"):
            inst.fetch_readings(5)


# ----------------------------------------------------------------------------------------------- mtjhw's driver
def test_driver_commands_for_one_channel():
    with expected_protocol(Keithley2600, [
        ("smub.source.limiti = 0.001", None),  # the compliance is checked and set first, then the mode
        ("smub.source.func = smub.OUTPUT_DCVOLTS smub.source.autorangev = 1 smub.measure.autorangei = 1 "
         "smub.measure.nplc = 1 smub.source.limiti = 0.001", None),
        ("print(errorqueue.next())", "0.00000e+00\tQueue Is Empty\t0.00000e+00\t0.00000e+00"),
        ("smub.source.levelv = 0.1", None), ("smub.source.output = smub.OUTPUT_ON", None),
        ("print(smub.measure.iv())", "2.00000e-05\t1.00000e-01"),
        ("smub.source.levelv = 0", None), ("smub.source.output = smub.OUTPUT_OFF", None),
        ("*OPC?", "1"),
    ], channel="b", limits=LIMITS) as inst:
        assert isinstance(inst, SourceMeter)
        inst.source_voltage_mode(1e-3)
        inst.set_level(0.1)
        inst.output_on()
        assert inst.measure() == (0.1, 2e-5)
        inst.output_off()


def test_driver_sweep_and_arm_protection():
    with expected_protocol(Keithley2600, [
        ("smua.source.limiti = 0.001 smua.source.limitv = 0.8 smub.source.limiti = 0.001 smub.source.limitv = 0.8",
         None),
        ("print(errorqueue.next())", "0.00000e+00\tQueue Is Empty\t0.00000e+00\t0.00000e+00"),
        ("smua.trigger.source.listv({-0.1, 0.1})", None),
        ("smua.trigger.source.action = smua.ENABLE smua.trigger.measure.action = smua.ENABLE "
         "smua.trigger.measure.iv(smua.nvbuffer1, smua.nvbuffer2) smua.trigger.count = 2 smua.trigger.arm.count = 1 "
         "smua.source.delay = 0.001 smua.trigger.endsweep.action = smua.SOURCE_IDLE smua.nvbuffer1.clear() "
         "smua.nvbuffer2.clear()", None),
        ("smua.trigger.initiate() waitcomplete()", None),
        ("print(smua.nvbuffer1.n)", "2.00000e+00"),
        ("printbuffer(1, 2, smua.nvbuffer1.readings, smua.nvbuffer2.readings)",
         "-2.00000e-05, -1.00000e-01, 2.00000e-05, 1.00000e-01"),
        ("print(errorqueue.next())", "0.00000e+00\tQueue Is Empty\t0.00000e+00\t0.00000e+00"),
        ("reset()", None),
        ("smua.source.limiti = 0.001 smua.source.limitv = 0.8 smub.source.limiti = 0.001 smub.source.limitv = 0.8",
         None),
        ("print(errorqueue.next())", "0.00000e+00\tQueue Is Empty\t0.00000e+00\t0.00000e+00"),
    ], limits=LIMITS) as inst:
        inst.arm_protection()
        v, i = inst.sweep(np.array([-0.1, 0.1]), delay=1e-3)
        np.testing.assert_allclose(v, [-0.1, 0.1])
        np.testing.assert_allclose(i, [-2e-5, 2e-5])
        inst.write("reset()")  # the reset restores 100 mA and 20 V: re-armed at once


@pytest.mark.parametrize("refused", [
    lambda inst: inst.set_level(0.9), lambda inst: setattr(inst, "compliance_current", 2e-3),
    lambda inst: inst.sweep(np.array([0.1, 1.0])), lambda inst: inst.write("smub.source.levelv = 5"),
    lambda inst: inst.write("smua.source.limitv = 10"), lambda inst: inst.write("smua.trigger.source.listv({0.1, 3})"),
    lambda inst: inst.write("smua.trigger.source.linearv(0, 2, 11)"), lambda inst: inst.write("smua.source.leveli = 1"),
    lambda inst: inst.write("smua.source.levelv = x"), lambda inst: inst.write("smua.source.levelv = 0.1 * 20"),
    lambda inst: inst.write("for k = 1, 3 do smua.source.levelv = 0.1 end"), lambda inst: inst.write("v = 5"),
    lambda inst: inst.write("s = smua.source s.levelv = 5"), lambda inst: inst.write("smua['source'].levelv = 5"),
    lambda inst: inst.write("loadandrunscript"), lambda inst: inst.write("myscript()"),
    lambda inst: inst.write("reset() smua.source.levelv = 0.1"),
])
def test_driver_refusals_are_not_sent(refused):
    with expected_protocol(Keithley2600, [], limits=LIMITS) as inst:
        with pytest.raises(SafetyLimitError):
            refused(inst)


def test_gate_units_of_tsp():
    assert tsp_units("smua.source.levelv = -0.5 print(smua.measure.i(smua.nvbuffer1))") == [
        ("SMUA:SOURCE:LEVELV", "-0.5"), ("SMUA:MEASURE:I", "smua.nvbuffer1"), ("PRINT", "smua.measure.i")]
    assert tsp_units("smub.trigger.source.listv({0.1, -2e-3})") == [("SMUB:TRIGGER:SOURCE:LISTV", "0.1, -2e-3")]
    assert tsp_units("*RST") == [("*RST", "")]
    assert tsp_units("smua.trigger.measure.stimulus = digio.trigger[1].EVENT_ID") == [
        ("SMUA:TRIGGER:MEASURE:STIMULUS", "digio.trigger[1].EVENT_ID")]
    assert tsp_units("smua.source[1] = 5")[-1][0] == UNFOLLOWED  # no other indexing is followed
    assert tsp_units("smua.source.levelv = 0.1 x = 2")[-1][0] == UNFOLLOWED
    with pytest.raises(ValueError, match="channel"):
        Keithley2600("GPIB0::26::INSTR", channel="c")


def test_example_bench_runs_a_sweep_on_either_channel():
    config = BenchConfig.load(EXAMPLE)
    for channel in ("a", "b"):
        config.instruments["smu"].options["channel"] = channel
        with Bench.open(config) as bench:
            smu = bench.smu
            smu.source_voltage_mode(1e-3)
            smu.output_on()
            v, i = smu.sweep(np.linspace(-0.2, 0.2, 5))
            smu.output_off()
        np.testing.assert_allclose(v, np.linspace(-0.2, 0.2, 5), atol=1e-6)
        assert np.all(np.abs(i[[0, -1]]) > 1e-5)  # the DUT (R ≈ 5–11 kΩ) is on the chosen channel


def test_driver_triggered_readings_on_the_bench_trigger_line(transport):
    with serve(DRIVER, transport) as served:
        lib = served.visa_library
        smu = Keithley2600(served.resource, visa_library=lib, limits=LIMITS, timeout=5000)
        try:
            smu.arm_protection()
            smu.source_voltage_mode(1e-3)
            smu.set_level(0.1)
            smu.output_on()
            smu.arm_triggered_readings(5, delay=1e-6)
            synced(smu)
            served.bench.pulse_burst([], 1e-3, 7)  # two edges more than armed for: ignored
            voltage, current = smu.fetch_readings(5)
            assert voltage == pytest.approx([0.1] * 5, rel=REL)
            assert current == pytest.approx([dut_current(served, 0.1)] * 5, rel=REL)
            assert served.bench.trigger_listeners == []
            smu.output_off()
            assert_clean(served.twin)
        finally:
            smu.adapter.close()
