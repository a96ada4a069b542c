"""The virtual Keysight B2902A with the unmodified QCoDeS B2962A driver (the B2900 family's command set) and with
our driver, in-process and over TCP; our driver's messages by ``expected_protocol``.

Readings are checked against the bench's DUT (channel 1) and an open circuit (channel 2). PyMeasure has no B2900
driver. Refusals are proven by empty exchanges: nothing was sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from conftest import Served, assert_clean, serve
from drivers import open_driver, synced
from pymeasure.test import expected_protocol
from qcodes.instrument_drivers.Keysight import KeysightB2962A

from mtjhw.instruments.keysight_b2900 import KeysightB2900
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.simulators.bench import Bias

DRIVER = "keysight-b2900"
LIMITS = SafetyLimits(max_voltage=0.8, max_current=1e-3)
NO_ERROR = [("SYST:ERR?", '+0,"No error"')]
#: relative agreement of a reading with the DUT's operating point (read noise, 1/f and the instrument's noise)
RTOL = 0.02


def dut_current(served: Served, volts: float) -> float:
    return served.bench.dut.operating_point(Bias("V", volts))[1]


@contextlib.contextmanager
def qcodes_smu(transport: str) -> Iterator[tuple[Any, Served]]:
    with serve(DRIVER, transport) as served:
        smu = open_driver(KeysightB2962A, served, "b2900")
        try:
            yield smu, served
        finally:
            smu.close()


@contextlib.contextmanager
def our_smu(transport: str, channel: int = 1) -> Iterator[tuple[KeysightB2900, Served]]:
    with serve(DRIVER, transport) as served:
        kwargs = {"timeout": 1500} if transport == "tcp" else {}
        smu = KeysightB2900(served.resource, visa_library=served.visa_library, limits=LIMITS, channel=channel,
                            **kwargs)
        try:
            yield smu, served
        finally:
            smu.adapter.close()


# --------------------------------------------------------------------------------------------------- QCoDeS
def test_qcodes_reads_the_dut_on_channel_1_and_an_open_circuit_on_channel_2(transport):
    with qcodes_smu(transport) as (smu, served):
        assert smu.IDN()["model"] == "B2902A"
        for ch in (smu.ch1, smu.ch2):
            ch.source_mode("voltage")
            ch.current_limit(1e-3)
            ch.source_voltage(0.1)
            ch.enable(True)
        expected = dut_current(served, 0.1)
        assert smu.ch1.current() == pytest.approx(expected, rel=RTOL)
        assert smu.ch1.voltage() == pytest.approx(0.1, rel=1e-3)
        assert smu.ch1.resistance() == pytest.approx(0.1 / expected, rel=RTOL)
        assert abs(smu.ch2.current()) < 1e-9 and smu.ch2.voltage() == pytest.approx(0.1, rel=1e-3)
        smu.ch2.source_mode("current")
        smu.ch2.source_current(1e-6)
        assert smu.ch2.voltage() == pytest.approx(smu.ch2.voltage_limit(), rel=1e-3)  # open: at its compliance
        synced(smu)
        assert_clean(served.twin)


def test_qcodes_settings_read_back_per_channel(transport):
    with qcodes_smu(transport) as (smu, served):
        smu.ch1.current_limit(2e-4)
        smu.ch2.voltage_limit(5.0)
        smu.ch2.remote_sensing(True)
        assert smu.ch1.current_limit() == pytest.approx(2e-4) and smu.ch2.current_limit() == pytest.approx(1e-4)
        assert smu.ch2.voltage_limit() == pytest.approx(5.0) and smu.ch1.voltage_limit() == pytest.approx(2.0)
        assert smu.ch2.remote_sensing() is True and smu.ch1.remote_sensing() is False
        assert smu.ch1.enable() is False and smu.ch2.source_mode() == "voltage"
        assert_clean(served.twin)


# --------------------------------------------------------------------------------------------------- our driver
def test_messages_of_the_role():
    setup = (':SOUR1:FUNC:MODE VOLT;:SOUR1:VOLT:MODE FIX;:SOUR1:VOLT:RANG:AUTO 1;:SENS1:FUNC "VOLT","CURR";'
             ":SENS1:CURR:RANG:AUTO 1;:SENS1:CURR:NPLC 1;:SENS1:CURR:PROT 0.0001;:FORM:ELEM:SENS VOLT,CURR")
    with expected_protocol(KeysightB2900, [
        (":OUTP1:PROT ON;:SENS1:CURR:PROT 0.001;:SENS1:VOLT:PROT 0.8", None), *NO_ERROR,
        (":SENS1:CURR:PROT 0.0001", None), (setup, None), *NO_ERROR, (":SOUR1:VOLT 0.1", None), (":OUTP1 1", None),
        (":MEAS? (@1)", "+1.000000E-01,+1.000000E-05"), (":SOUR1:VOLT 0", None), (":OUTP1 0", None), ("*OPC?", "1"),
    ], limits=LIMITS) as smu:
        smu.arm_protection()
        smu.source_voltage_mode(1e-4)
        smu.set_level(0.1)
        smu.output_on()
        assert smu.measure() == (0.1, 1e-5)
        smu.output_off()


def test_channel_2_is_addressed_throughout():
    with expected_protocol(KeysightB2900, [
        (":SENS2:VOLT:PROT 0.5", None),
        (":SOUR2:FUNC:MODE CURR;:SOUR2:CURR:MODE FIX;:SOUR2:CURR:RANG:AUTO 1;:SENS2:FUNC \"VOLT\",\"CURR\";"
         ":SENS2:VOLT:RANG:AUTO 1;:SENS2:VOLT:NPLC 2;:SENS2:VOLT:PROT 0.5;:FORM:ELEM:SENS VOLT,CURR", None),
        *NO_ERROR, (":SOUR2:CURR 1e-05", None),
        (":SOUR2:CURR:MODE FIX;:TRIG2:TRAN:SOUR AINT;:TRIG2:TRAN:COUN 1;:TRIG2:ACQ:SOUR EXT1;:TRIG2:ACQ:COUN 3;"
         ":TRIG2:ACQ:DEL 1e-06;:INIT (@2)", None), *NO_ERROR,
        (":FETC:ARR? (@2)", "+1E-1,+1E-5,+2E-1,+1E-5,+3E-1,+1E-5"),
    ], limits=LIMITS, channel=2) as smu:
        smu.source_current_mode(0.5, nplc=2)
        smu.set_level(1e-5)
        smu.arm_triggered_readings(3, 1e-6)
        voltage, current = smu.fetch_readings(3)
        assert voltage.tolist() == [0.1, 0.2, 0.3] and current.tolist() == [1e-5] * 3


def test_a_list_sweep_in_chunks():
    levels = np.linspace(-0.2, 0.2, 150)
    first = ":SOUR1:LIST:VOLT " + ",".join(f"{x:.6g}" for x in levels[:100])
    rest = ":SOUR1:LIST:VOLT:APP " + ",".join(f"{x:.6g}" for x in levels[100:])
    data = ",".join(f"{x:+.6E},{x / 1e4:+.6E}" for x in levels)
    with expected_protocol(KeysightB2900, [
        (first, None), (rest, None),
        (":SOUR1:VOLT:MODE LIST;:TRIG1:SOUR AINT;:TRIG1:COUN 150;:TRIG1:TRAN:DEL 0;:TRIG1:ACQ:DEL 0.001;:INIT (@1)",
         None), ("*OPC?", "1"), (":FETC:ARR? (@1)", data), (":SOUR1:VOLT:MODE FIX", None), *NO_ERROR,
    ], limits=LIMITS) as smu:
        voltage, current = smu.sweep(levels, delay=1e-3)
    np.testing.assert_allclose(voltage, levels, atol=1e-6)
    np.testing.assert_allclose(current, levels / 1e4, rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("action", [
    lambda smu: smu.set_level(0.9),
    lambda smu: smu.source_voltage_mode(2e-3),
    lambda smu: smu.source_current_mode(1.0),
    lambda smu: smu.sweep(np.array([0.1, 0.85])),
    lambda smu: smu.sweep(np.array([0.1, np.nan])),
    lambda smu: smu.write(":SOUR2:VOLT 5"),
    lambda smu: smu.write(":SENS:CURR:PROT 1e-2"),
    lambda smu: smu.write(":SOUR:LIST:VOLT:APP 0.1,1.5"),
    lambda smu: smu.write(":SOUR:VOLT:SPAN 0.1"),
    lambda smu: smu.write(":OUTP:PROT OFF"),
    lambda smu: smu.write("*RCL 1"),
    lambda smu: smu.ch_2.write(":SOUR2:CURR:TRIG 0.1"),
], ids=["level", "compliance-current", "compliance-voltage", "sweep", "sweep-nan", "raw-ch2", "raw-compliance",
        "list-append", "span", "protection-off", "recall", "triggered-level"])
def test_refusals_are_unsent(action):
    with expected_protocol(KeysightB2900, [], limits=LIMITS) as smu, pytest.raises(SafetyLimitError):
        action(smu)


def test_bad_channel_option():
    with pytest.raises(ValueError, match="channel: must be 1 or 2"):
        KeysightB2900("GPIB0::1::INSTR", visa_library="@sim", channel=3)


def test_list_sweep_and_triggered_readings_through_the_role(transport):
    with our_smu(transport) as (smu, served):
        smu.arm_protection()
        smu.source_voltage_mode(1e-3)
        smu.output_on()
        levels = np.linspace(-0.15, 0.15, 11)
        voltage, current = smu.sweep(levels, delay=1e-3)
        np.testing.assert_allclose(voltage, levels, rtol=1e-3, atol=1e-5)
        expected = [dut_current(served, v) for v in levels]
        np.testing.assert_allclose(current, expected, rtol=RTOL, atol=1e-9)
        smu.set_level(0.1)
        smu.arm_triggered_readings(5, delay=1e-6)
        served.bench.pulse_burst([], 1e-3, 5)
        voltage, current = smu.fetch_readings(5)
        assert voltage == pytest.approx([0.1] * 5, rel=1e-3)
        assert current == pytest.approx([dut_current(served, 0.1)] * 5, rel=RTOL)
        assert served.twin.handle(":IDLE? (@1)") == "1"  # all five triggers taken
        smu.output_off()
        assert_clean(served.twin)


def test_armed_output_switches_off_at_its_compliance(transport):
    """The instrument's own protection, armed by the driver, holds without the gate: a current source driven into
    the DUT beyond the bench's voltage limit switches its output off."""
    with our_smu(transport) as (smu, served):
        smu.arm_protection()
        served.twin.handle(":SOUR:FUNC:MODE CURR;:SOUR:CURR 1e-3;:OUTP ON")  # around the gate: ~10 V at the DUT
        assert served.twin.handle(":OUTP?") == "0" and served.bench.bias == Bias.open_circuit()
        assert_clean(served.twin)
