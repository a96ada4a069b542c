"""The virtual 2450 served over TCP, opened by unmodified third-party drivers and plain pyvisa-py."""

import logging

import numpy as np
import pytest
import pyvisa
from pymeasure.instruments.keithley import Keithley2450 as PyMeasureKeithley2450

from mtjhw.simulators.bench import PerpendicularMTJ, VirtualBench
from mtjhw.simulators.instruments import Keithley2450 as Virtual2450
from mtjhw.simulators.transport import ScpiSocketServer

R_P, TMR = 5000.0, 1.2


@pytest.fixture
def served_2450():
    bench = VirtualBench(PerpendicularMTJ(r_p=R_P, tmr=TMR, state=1), seed=3)
    with ScpiSocketServer(Virtual2450(bench), lock=bench.lock) as server:
        yield bench, server


def test_plain_pyvisa_py_socket(served_2450):
    bench, server = served_2450
    rm = pyvisa.ResourceManager("@py")
    inst = rm.open_resource(server.resource_name, read_termination="\n", write_termination="\n", timeout=2000)
    try:
        assert inst.query("*IDN?").startswith("KEITHLEY INSTRUMENTS,MODEL 2450")
        inst.write(":SOUR:FUNC VOLT;:SOUR:VOLT 0.02;:SOUR:VOLT:ILIM 1e-3;:SENS:FUNC \"CURR\";:OUTP ON")
        current = float(inst.query(":READ?"))
        assert 0.02 / current == pytest.approx(R_P, rel=0.005)
        inst.write(":BOGUS 1")
        assert inst.query("SYST:ERR?").startswith("-113")
        assert inst.query("*OPC?") == "1"  # still in sync after an error
        inst.write(":OUTP OFF")
    finally:
        inst.close()
        rm.close()


def test_unmodified_pymeasure_keithley2450_over_tcp(served_2450):
    bench, server = served_2450
    smu = PyMeasureKeithley2450(server.resource_name, visa_library="@py", read_termination="\n",
                                write_termination="\n")
    try:
        smu.reset()
        smu.apply_current(compliance_voltage=1.0)
        smu.measure_voltage(nplc=1)
        smu.source_current = 10e-6
        smu.enable_source()
        assert smu.voltage / 10e-6 == pytest.approx(R_P, rel=0.005)
        assert smu.source_enabled
        bench.dut.state = -1  # AP
        smu.apply_voltage(compliance_current=1e-3)
        smu.measure_current(nplc=1)
        smu.source_voltage = 0.01
        assert 0.01 / smu.current == pytest.approx(R_P * (1 + TMR), rel=0.005)
        assert smu.check_errors() == []
        smu.shutdown()
        assert not smu.source_enabled
    finally:
        smu.adapter.close()


def test_unmodified_qcodes_keithley2450(caplog):
    qcodes_2450 = pytest.importorskip("qcodes.instrument_drivers.Keithley").Keithley2450
    bench = VirtualBench(PerpendicularMTJ(r_p=R_P, tmr=TMR, state=1), seed=4)
    with ScpiSocketServer(Virtual2450(bench), lock=bench.lock) as server, caplog.at_level(logging.WARNING):
        smu = qcodes_2450("virtual_2450", server.resource_name, pyvisa_sim_file=None, visalib="@py")
        try:
            smu.reset()
            smu.source_function("voltage")
            smu.sense_function("current")
            smu.source.limit(1e-3)
            smu.source.voltage(0.02)
            smu.output_enabled(True)
            current = smu.sense.current()
            assert 0.02 / current == pytest.approx(R_P, rel=0.005)
            smu.source.sweep_setup(-0.05, 0.05, 11)
            swept = smu.sense.sweep()
            axis = smu.source.sweep_axis()
            mask = np.abs(axis) > 0
            np.testing.assert_allclose(axis[mask] / swept[mask], R_P, rtol=0.01)
            smu.output_enabled(False)
        finally:
            smu.close()
    assert "unsupported language mode" not in caplog.text
