"""The virtual Keithley 2400 with the unmodified PyMeasure and QCoDeS 2400 drivers (in-process VISA and TCP), our
driver's protocol (``expected_protocol``), its safety refusals (nothing sent) and its own protection.

Readings are checked against the bench's DUT: its operating point under the programmed bias.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_clean, serve
from drivers import open_driver, synced
from pymeasure.instruments.keithley import Keithley2400 as PyMeasureKeithley2400
from pymeasure.test import expected_protocol
from qcodes.instrument_drivers.Keithley import Keithley2400 as QcodesKeithley2400

from mtjhw.instruments.keithley2400 import Keithley2400
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.simulators.bench import Bias

DRIVER = "keithley2400"
SMU = SafetyLimits(max_voltage=0.8, max_current=1e-3)
FORMAT = (":FORMAT:ELEMENTS VOLTAGE, CURRENT, RESISTANCE, TIME, STATUS", None)  # PyMeasure's, on opening
NO_ERROR = [("SYST:ERR?", '0,"No error"')]
VOLT_MODE = [(":SENS:CURR:PROT 0.001", None),  # the compliance is set (and checked) first
             (":SOUR:FUNC VOLT;:SOUR:VOLT:MODE FIX;:SOUR:VOLT:RANG:AUTO 1;:SENS:FUNC:CONC 1;:SENS:FUNC 'VOLT','CURR';"
              ":SENS:CURR:RANG:AUTO 1;:SENS:CURR:NPLC 1;:SENS:CURR:PROT 0.001", None)]


def reading(v: float, i: float) -> str:
    """One reading as the 2400 sends it with PyMeasure's elements (V, I, R not measured, time, status)."""
    return f"{v:.6E},{i:.6E},9.910000E+37,1.000000E+00,0.000000E+00"


def dut_current(served, volts: float) -> float:
    return served.bench.dut.operating_point(Bias("V", volts))[1]


def dut_voltage(served, amps: float) -> float:
    return served.bench.dut.operating_point(Bias("I", amps))[0]


# --------------------------------------------------------------------------------------------------- third party
def test_pymeasure_sources_and_measures_both_ways(transport):
    with serve(DRIVER, transport) as served:
        smu = open_driver(PyMeasureKeithley2400, served)
        smu.source_mode, smu.compliance_current, smu.source_voltage = "voltage", 1e-3, 0.05
        smu.enable_source()
        assert smu.current == pytest.approx(dut_current(served, 0.05), rel=5e-3)
        smu.source_mode, smu.compliance_voltage, smu.source_current = "current", 2.0, 1e-5
        assert smu.voltage == pytest.approx(dut_voltage(served, 1e-5), rel=5e-3)
        smu.disable_source()
        synced(smu)
        assert_clean(served.twin)
        smu.adapter.close()


def test_pymeasure_buffer_statistics(transport):
    with serve(DRIVER, transport) as served:
        smu = open_driver(PyMeasureKeithley2400, served)
        smu.source_mode, smu.compliance_current, smu.source_voltage = "voltage", 1e-3, 0.05
        smu.enable_source()
        smu.write(":TRAC:CLE;:TRAC:POIN 10;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT")
        smu.trigger_count = 10
        smu.ask(":READ?")
        assert smu.mean_current == pytest.approx(dut_current(served, 0.05), rel=5e-3)
        assert smu.max_current >= smu.mean_current >= smu.min_current and smu.std_current > 0
        assert np.asarray(smu.buffer_data).size == 50  # 10 readings of 5 elements
        synced(smu)
        assert_clean(served.twin)
        smu.adapter.close()


def test_qcodes_sources_and_measures_both_ways(transport):
    with serve(DRIVER, transport) as served:
        smu = open_driver(QcodesKeithley2400, served, "smu2400")
        try:
            smu.mode("VOLT")
            smu.compliancei(1e-3)
            smu.volt(0.05)
            smu.output(True)
            expected = dut_current(served, 0.05)
            assert smu.curr() == pytest.approx(expected, rel=5e-3)
            assert smu.resistance() == pytest.approx(0.05 / expected, rel=5e-3)
            smu.mode("CURR")
            smu.compliancev(2.0)
            smu.curr(1e-5)
            assert smu.volt() == pytest.approx(dut_voltage(served, 1e-5), rel=5e-3)
            smu.output(False)
            with pytest.raises(RuntimeError, match="output off"):  # the driver's own guard: nothing sent
                smu.volt()
            assert '"VOLT:DC"' in smu.sense() and smu.compliancev() == 2.0
            assert_clean(served.twin)
        finally:
            smu.close()


def test_our_driver_sweeps_and_reads_triggered_readings_through_the_twin():
    """A 150-point sweep (two list runs) gives the DUT's I–V; trigger-link readings wait for the bench's line."""
    with serve(DRIVER, "in-process") as served:
        smu = open_driver(Keithley2400, served, limits=SMU)
        smu.arm_protection()
        smu.source_voltage_mode(1e-3)
        smu.output_on()
        levels = np.linspace(-0.05, 0.05, 150)  # below switching: the DUT stays in its state
        v, i = smu.sweep(levels)
        expected = [dut_current(served, x) for x in v]
        assert v == pytest.approx(levels, abs=1e-6) and i == pytest.approx(expected, rel=5e-3, abs=1e-9)
        smu.set_level(0.05)
        smu.arm_triggered_readings(3)
        assert served.twin._listener is not None  # armed on the bench's trigger line
        for _ in range(3):
            served.twin._listener.fire()
        v, i = smu.fetch_readings(3)
        assert v == pytest.approx([0.05] * 3) and i == pytest.approx([dut_current(served, 0.05)] * 3, rel=5e-3)
        assert served.twin._listener is None  # disarmed after the count
        smu.output_off()
        assert served.twin.source_voltage == 0.0 and not served.twin.output
        assert_clean(served.twin)


# --------------------------------------------------------------------------------------------------- protocol
def test_source_modes_and_levels():
    with expected_protocol(Keithley2400, [
        FORMAT, *VOLT_MODE, *NO_ERROR, (":SOUR:VOLT:LEV 0.2", None),
        (":SENS:VOLT:PROT 0.5", None),
        (":SOUR:FUNC CURR;:SOUR:CURR:MODE FIX;:SOUR:CURR:RANG:AUTO 1;:SENS:FUNC:CONC 1;:SENS:FUNC 'VOLT','CURR';"
         ":SENS:VOLT:RANG:AUTO 1;:SENS:VOLT:NPLC 10;:SENS:VOLT:PROT 0.5", None), *NO_ERROR,
        (":SOUR:CURR:LEV 1e-05", None),
    ], limits=SMU) as smu:
        smu.source_voltage_mode(1e-3)
        smu.set_level(0.2)
        smu.source_current_mode(0.5, nplc=10)
        smu.set_level(1e-5)


def test_measure_and_output_off():
    with expected_protocol(Keithley2400, [
        FORMAT, *VOLT_MODE, *NO_ERROR, (":TRIG:COUN 1;:ARM:COUN 1;:TRIG:SOUR IMM", None),
        (":READ?", reading(0.1, 1e-5)), (":SOUR:VOLT:MODE FIX;:SOUR:VOLT:LEV 0", None), ("OUTPUT 0", None),
        ("*OPC?", "1"),
    ], limits=SMU) as smu:
        smu.source_voltage_mode(1e-3)
        assert smu.measure() == (0.1, 1e-5)
        smu.output_off()


def test_current_mode_readings_come_back_as_v_i():
    with expected_protocol(Keithley2400, [
        FORMAT, (":SENS:VOLT:PROT 0.5", None),
        (":SOUR:FUNC CURR;:SOUR:CURR:MODE FIX;:SOUR:CURR:RANG:AUTO 1;:SENS:FUNC:CONC 1;"
         ":SENS:FUNC 'VOLT','CURR';:SENS:VOLT:RANG:AUTO 1;:SENS:VOLT:NPLC 1;:SENS:VOLT:PROT 0.5", None),
        *NO_ERROR, (":TRAC:DATA?", reading(0.3, 1e-5) + "," + reading(0.4, 2e-5)),
    ], limits=SMU) as smu:
        smu.source_current_mode(0.5)
        v, i = smu.fetch_readings(2)
        assert list(v) == [0.3, 0.4] and list(i) == [1e-5, 2e-5]


def test_sweep_runs_lists_of_at_most_100_points():
    levels = np.linspace(0, 0.5, 101)
    first = ",".join(f"{x:.6g}" for x in levels[:100])
    run = ":SOUR:VOLT:MODE LIST;:SOUR:DEL 0.001;:TRIG:SOUR IMM;:ARM:COUN 1;:TRIG:COUN {}"
    with expected_protocol(Keithley2400, [
        FORMAT, *VOLT_MODE, *NO_ERROR,
        (f":SOUR:LIST:VOLT {first}", None), (run.format(100), None),
        (":READ?", ",".join(reading(x, 1e-6) for x in levels[:100])),
        (":SOUR:LIST:VOLT 0.5", None), (run.format(1), None), (":READ?", reading(0.5, 1e-6)),
        (":SOUR:VOLT:MODE FIX", None), *NO_ERROR,
    ], limits=SMU) as smu:
        smu.source_voltage_mode(1e-3)
        v, i = smu.sweep(levels, delay=1e-3)
        assert v == pytest.approx(levels, abs=1e-6) and i == pytest.approx([1e-6] * 101)


def test_triggered_readings_on_the_trigger_link():
    with expected_protocol(Keithley2400, [
        FORMAT, (":TRAC:FEED:CONT NEV;:TRAC:CLE;:TRAC:POIN 50;:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT;:ARM:COUN 1;"
                 ":TRIG:SOUR TLIN;:TRIG:ILIN 1;:TRIG:DEL 0.0002;:TRIG:COUN 50;:INIT", None), *NO_ERROR,
    ], limits=SMU) as smu:
        smu.arm_triggered_readings(50, delay=2e-4)
        with pytest.raises(ValueError, match="count must be 1..2500"):
            smu.arm_triggered_readings(2501)


# --------------------------------------------------------------------------------------------------- safety
@pytest.mark.parametrize("action", [
    lambda smu: smu.set_level(0.9),
    lambda smu: smu.source_voltage_mode(2e-3),
    lambda smu: smu.source_current_mode(1.0),
    lambda smu: smu.sweep(np.array([0.1, 0.85])),
    lambda smu: smu.sweep(np.array([0.1, np.nan])),
    lambda smu: smu.write(":SOUR:VOLT 1"),
    lambda smu: smu.write(":SENS:CURR:PROT 0.01"),
    lambda smu: smu.write(":SOUR:LIST:VOLT 0.1,0.9"),
    lambda smu: smu.write(":SOUR:VOLT:STAR 2"),
    lambda smu: smu.write(":SOUR:VOLT:PROT 40"),
    lambda smu: smu.write(":SOUR:VOLT:PROT NONE"),
    lambda smu: smu.write("*RCL 1"),
], ids=["level", "compliance current", "compliance voltage", "sweep level", "sweep NaN", "raw level",
        "raw compliance", "raw list", "raw sweep start", "weaker protection", "no protection", "recall"])
def test_beyond_the_limits_nothing_is_sent(action):
    with expected_protocol(Keithley2400, [FORMAT], limits=SMU) as smu:
        with pytest.raises(SafetyLimitError):
            action(smu)


def test_arm_protection_sets_the_2400s_own_limits_and_rearms_after_a_reset():
    """V-source protection at the smallest level ≥ 0.8 V (20 V), both compliances at the bench limits; a reset
    (21 V, 105 µA, protection NONE) is followed by the same commands."""
    arm = (":SOUR:VOLT:PROT 20;:SENS:CURR:PROT 0.001;:SENS:VOLT:PROT 0.8", None)
    with expected_protocol(Keithley2400, [FORMAT, arm, *NO_ERROR, ("*RST", None), arm, *NO_ERROR],
                           limits=SMU) as smu:
        smu.arm_protection()
        smu.write("*RST")


@pytest.mark.parametrize("max_voltage, level, accepted, refused", [
    (30.0, 40, ":SOUR:VOLT:PROT 45", ":SOUR:VOLT:PROT 60"),  # 45 V selects the 40 V level
    (160.0, 160, ":SOUR:VOLT:PROT 150", ":SOUR:VOLT:PROT 170"),  # above 160 V: NONE
])
def test_protection_levels_the_2400_selects(max_voltage, level, accepted, refused):
    limits = SafetyLimits(max_voltage=max_voltage, max_current=1e-3)
    arm = (f":SOUR:VOLT:PROT {level};:SENS:CURR:PROT 0.001;:SENS:VOLT:PROT {max_voltage:g}", None)
    with expected_protocol(Keithley2400, [FORMAT, arm, *NO_ERROR, (accepted, None)], limits=limits) as smu:
        smu.arm_protection()
        smu.write(accepted)
        with pytest.raises(SafetyLimitError, match=f"above {level} V"):
            smu.write(refused)


def test_above_160_v_there_is_no_protection_to_arm():
    limits = SafetyLimits(max_voltage=200.0, max_current=1e-3)
    with expected_protocol(Keithley2400, [FORMAT, (":SENS:CURR:PROT 0.001;:SENS:VOLT:PROT 200", None), *NO_ERROR],
                           limits=limits) as smu:
        smu.arm_protection()


def test_the_twin_holds_its_protection_and_compliance():
    """Armed twin: a 100 V request is clamped at the 20 V protection; the current compliance clips the DUT."""
    with serve(DRIVER, "in-process") as served:
        smu = open_driver(Keithley2400, served, limits=SMU)
        smu.arm_protection()
        served.twin.handle(":SENS:CURR:PROT 1e-5;:SOUR:VOLT 100;:OUTP ON")
        assert served.bench.bias == Bias("I", 1e-5) and served.twin.handle(":SENS:CURR:PROT:TRIP?") == "1"
        served.twin.handle(":SENS:CURR:PROT 1")
        assert served.bench.bias.level <= 20.0
