"""Virtual instruments on their own: physics through SCPI, compliance, buffers, magnet and probe."""

import pytest

from mtjhw.simulators.bench import Electromagnet, PerpendicularMTJ, VirtualBench
from mtjhw.simulators.instruments import Keithley2450, KepcoBOP, LakeShore425


@pytest.fixture
def bench():
    return VirtualBench(PerpendicularMTJ(r_p=5000.0, tmr=1.0, state=1), seed=11)


def errors(inst):
    out = []
    while (reply := inst.handle("SYST:ERR?")) != '0,"No error"':
        out.append(int(reply.split(",")[0]))
    return out


def test_2450_readings_follow_the_dut_and_advance_simulated_time(bench):
    smu = Keithley2450(bench)
    smu.handle(':SOUR:FUNC VOLT;:SOUR:VOLT 0.02;:SENS:FUNC "CURR";:SENS:CURR:NPLC 5;:OUTP ON')
    t0 = bench.time
    assert 0.02 / float(smu.handle(":READ?")) == pytest.approx(5000, rel=1e-3)
    assert bench.time - t0 == pytest.approx(5 / 50)  # 5 power-line cycles at 50 Hz
    bench.dut.state = -1
    assert float(smu.handle(":MEAS:RES?")) == pytest.approx(10000, rel=1e-3)
    assert errors(smu) == []


def test_2450_current_compliance_limits_and_flags(bench):
    smu = Keithley2450(bench)
    smu.handle(':SOUR:VOLT 0.5;:SOUR:VOLT:ILIM 10e-6;:SENS:FUNC "CURR";:OUTP ON')
    assert float(smu.handle(":READ?")) == pytest.approx(10e-6, rel=1e-3)  # clamped at the limit
    assert smu.handle(":SOUR:VOLT:ILIM:TRIP?") == "1"
    assert bench.bias.level == pytest.approx(10e-6) and bench.bias.mode == "I"
    smu.handle(":OUTP OFF")
    assert bench.bias.level == 0.0


def test_2450_buffers_counts_and_statistics(bench):
    smu = Keithley2450(bench)
    smu.handle(':TRAC:MAKE "fast", 100;:SOUR:VOLT 0.01;:SENS:FUNC "CURR";:SENS:COUN 5;:OUTP ON')
    readings = smu.handle(':READ? "fast", READ, REL').split(",")
    assert len(readings) == 2  # READ? stores all five readings, returns the last one with its elements
    assert smu.handle(':TRAC:ACT? "fast"') == "5"
    mean = float(smu.handle(':TRAC:STAT:AVER? "fast"'))
    assert 0.01 / mean == pytest.approx(5000, rel=1e-3)
    smu.handle(':TRAC:DATA? 1, 9, "fast"')
    smu.handle(':READ? "nobuffer"')
    smu.handle(':TRAC:MAKE "fast", 100')
    assert errors(smu) == [-222, -224, -221]


def test_2450_list_sweep_runs_on_init_and_restores_the_source(bench):
    smu = Keithley2450(bench)
    smu.handle(':SENS:FUNC "CURR";:SOUR:VOLT 0.005')
    smu.handle(":SOUR:LIST:VOLT 0.01,0.02,0.03;:SOUR:LIST:VOLT:APP 0.04")
    assert smu.handle(":SOUR:LIST:VOLT:POIN?") == "4"
    smu.handle(':SOUR:SWE:VOLT:LIST 1, 0.01, 2, OFF, "defbuffer1";:INIT;*WAI')
    data = [float(x) for x in smu.handle(':TRAC:DATA? 1, 8, "defbuffer1", SOUR, READ').split(",")]
    sources, currents = data[0::2], data[1::2]
    assert sources == pytest.approx([0.01, 0.02, 0.03, 0.04] * 2)
    assert [v / i for v, i in zip(sources, currents, strict=True)] == pytest.approx([5000] * 8, rel=1e-3)
    assert smu.handle(":OUTP?;:SOUR:VOLT?") == "0;+5.000000000E-03"
    smu.handle(":SOUR:LIST:VOLT 300")
    assert errors(smu) == [-222]


def test_barrier_breaks_down_above_its_voltage_without_safety_limits(bench):
    smu = Keithley2450(bench)
    smu.handle(':SOUR:VOLT 2;:SOUR:VOLT:ILIM 0.1;:OUTP ON;:READ?')
    assert bench.dut.broken
    assert float(smu.handle(":MEAS:RES?")) == pytest.approx(bench.dut.r_short, rel=1e-3)


def test_bop_drives_the_magnet_and_the_425_reads_it(bench):
    supply, probe = KepcoBOP(bench), LakeShore425(bench)
    supply.handle("FUNC:MODE CURR;:VOLT 20;:CURR 2;:OUTP ON")
    assert supply.handle("FUNC:MODE?") == "1"
    bench.advance(0.2)  # ten coil time constants
    magnet = bench.magnet
    expected = magnet.coil_constant * 2 + magnet.remanence
    probe.handle("UNIT 2")
    assert float(probe.handle("RDGFIELD?")) == pytest.approx(expected + probe.probe_offset, abs=3e-5)
    probe.handle("UNIT 1")
    assert float(probe.handle("RDGFIELD?")) == pytest.approx((expected + probe.probe_offset) * 1e4, abs=0.3)
    probe.handle("RANGE 1")  # 35 G full scale: overload
    assert probe.handle("RDGFIELD?") == "OL"
    supply.handle(":VOLT 1")  # compliance: 1 V over 2 Ω allows 0.5 A only
    assert float(supply.handle("MEAS:CURR?")) == pytest.approx(0.5, abs=1e-3)


def test_magnet_field_lags_the_current():
    magnet = Electromagnet(coil_constant=0.03, time_constant=0.02, remanence=0.0)
    magnet.set_current(1.0)
    magnet.advance(0.02)
    assert magnet.field == pytest.approx(0.03 * (1 - 2.718281828 ** -1), rel=1e-6)


def test_2450_headers_without_a_subsystem_are_sense_commands(bench):
    """The Reference Manual writes :SOURce[1]: (required) but [:SENSe[1]]: (optional)."""
    smu = Keithley2450(bench)
    smu.handle('FUNC "VOLT";:SOUR:FUNC CURR;:CURR:NPLC 2')
    assert smu.handle(":SENS:FUNC?;:SOUR:FUNC?;:SENS:CURR:NPLC?") == '"VOLT:DC";CURR;+2.000000000E+00'
    assert errors(smu) == []
