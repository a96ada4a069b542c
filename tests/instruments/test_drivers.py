"""Driver protocol tests (PyMeasure expected_protocol) and safety limits enforced before sending."""

import numpy as np
import pytest
from pymeasure.test import expected_protocol

from mtjhw.instruments.errors import InstrumentError
from mtjhw.instruments.field_controller import MagnetFieldController
from mtjhw.instruments.keithley2450 import Keithley2450
from mtjhw.instruments.kepco import KepcoBOP
from mtjhw.instruments.lakeshore import LakeShore425, ProbeOverloadError
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits

NO_ERR = [("SYST:ERR?", '0,"No error"')]


def test_2450_voltage_mode_and_measure():
    with expected_protocol(Keithley2450, [
        (":SOUR:VOLT:ILIM 0.0001", None),
        (":SOUR:FUNC VOLT;:SOUR:VOLT:RANG:AUTO 1;:SENS:FUNC 'CURR';:SENS:CURR:RANG:AUTO 1;"
         ":SENS:CURR:NPLC 1;:SOUR:VOLT:ILIM 0.0001", None),
        *NO_ERR,
        (":SOUR:VOLT:LEV 0.01", None),
        ('OUTPUT ON', None),
        (':READ? "defbuffer1", SOUR, READ', "+1.000000E-02,+2.000000E-06"),
        (":SOUR:VOLT:LEV 0", None),
        ("OUTPUT OFF", None),
        ("*OPC?", "1"),
    ]) as smu:
        smu.source_voltage_mode(1e-4, nplc=1)
        smu.set_level(0.01)
        smu.output_on()
        assert smu.measure() == (0.01, 2e-6)
        smu.output_off()


def test_2450_current_mode_swaps_reading_and_source():
    with expected_protocol(Keithley2450, [
        (":SOUR:CURR:VLIM 0.5", None),
        (":SOUR:FUNC CURR;:SOUR:CURR:RANG:AUTO 1;:SENS:FUNC 'VOLT';:SENS:VOLT:RANG:AUTO 1;"
         ":SENS:VOLT:NPLC 0.1;:SOUR:CURR:VLIM 0.5", None),
        *NO_ERR,
        (':READ? "defbuffer1", SOUR, READ', "+1.000000E-05,+5.000000E-02"),
    ]) as smu:
        smu.source_current_mode(0.5, nplc=0.1)
        assert smu.measure() == (0.05, 1e-5)


def test_2450_buffered_list_sweep_is_one_trigger_model_run():
    levels = np.linspace(-0.1, 0.1, 150)
    first = ",".join(f"{x:.6g}" for x in levels[:100])
    rest = ",".join(f"{x:.6g}" for x in levels[100:])
    reply = ",".join(f"{v:+.6E},{v / 1000:+.6E}" for v in levels)
    with expected_protocol(Keithley2450, [
        (":SOUR:LIST:VOLT " + first, None),
        (":SOUR:LIST:VOLT:APP " + rest, None),
        (':TRAC:CLE "defbuffer1"', None),
        (':SOUR:SWE:VOLT:LIST 1, 0.001, 1, OFF, "defbuffer1"', None),
        (":INIT", None),
        ("*OPC?", "1"),
        (':TRAC:DATA? 1, 150, "defbuffer1", SOUR, READ', reply),
        *NO_ERR,
    ]) as smu:
        v, i = smu.sweep(levels, delay=1e-3)
        np.testing.assert_allclose(v / i, 1000, rtol=1e-5)


def test_2450_safety_limits_refuse_before_sending():
    limits = SafetyLimits(max_voltage=0.8, max_current=1e-3)
    with expected_protocol(Keithley2450, [], limits=limits) as smu:
        with pytest.raises(SafetyLimitError, match="source voltage 1"):
            smu.source_voltage = 1.0
        with pytest.raises(SafetyLimitError, match="compliance current"):
            smu.source_voltage_mode(compliance_current=0.01)
        with pytest.raises(SafetyLimitError, match="sweep level"):
            smu.sweep(np.array([0.1, 0.9]))


def test_2450_error_queue_raises():
    with expected_protocol(Keithley2450, [
        (":SOUR:VOLT:ILIM 0.0001", None),
        (":SOUR:FUNC VOLT;:SOUR:VOLT:RANG:AUTO 1;:SENS:FUNC 'CURR';:SENS:CURR:RANG:AUTO 1;"
         ":SENS:CURR:NPLC 1;:SOUR:VOLT:ILIM 0.0001", None),
        ("SYST:ERR?", '-113,"Undefined header"'),
        *NO_ERR,
    ]) as smu, pytest.raises(InstrumentError, match="-113"):
        smu.source_voltage_mode(1e-4)


def test_kepco_current_mode_and_limit():
    with expected_protocol(KepcoBOP, [
        ("FUNC:MODE CURR;:VOLT 20", None),
        *NO_ERR,
        ("CURRent 2.5", None),
        ("CURRent?", "2.5"),
    ], max_current=3.0) as supply:
        supply.configure_current_mode()
        supply.current_setpoint = 2.5
        assert supply.current_setpoint == 2.5
        with pytest.raises(SafetyLimitError, match="magnet current"):
            supply.current_setpoint = 3.5


def test_lakeshore_reads_tesla_in_any_unit_and_detects_overload():
    with expected_protocol(LakeShore425, [
        ("UNIT?", "1"),
        ("RDGFIELD?", "+1.2345E+02"),
        ("RDGFIELD?", "OL"),
    ]) as probe:
        assert probe.measure_field() == pytest.approx(1.2345e-2)
        with pytest.raises(ProbeOverloadError):
            probe.measure_field()


def test_field_controller_ramps_within_rate_and_refuses_beyond_max():
    sleeps = []
    limits = SafetyLimits(max_field=0.3, field_ramp_rate=1.0)
    steps = [(f"CURRent {0.1 / 0.03 * k / 2:g}", None) for k in range(1, 3)]
    with expected_protocol(KepcoBOP, [
        ("FUNC:MODE CURR;:VOLT 20", None), *NO_ERR, ("CURRent?", "0"), ("OUTPut 1", None), *steps,
    ]) as supply, expected_protocol(LakeShore425, [("UNIT?", "2"), ("RDGFIELD?", "1.0005E-01")]) as probe:
        ctl = MagnetFieldController(supply, probe, 0.03, limits=limits, sleep=sleeps.append, ramp_step=0.05)
        assert ctl.set_field(0.1) == pytest.approx(0.10005)
        # 0.1 T at ≤ 1 T/s in 50 ms steps: 2 steps of 50 mT, then the settle wait
        assert sleeps == [0.05] * 2 + [0.1]
        with pytest.raises(SafetyLimitError, match="field 0.5"):
            ctl.set_field(0.5)
