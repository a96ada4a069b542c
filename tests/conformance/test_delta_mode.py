"""Delta-mode resistance: the virtual 6221 with its 2182A, PyMeasure's ``Keithley6221`` and ``Keithley2182``
unmodified on them, our driver's protocol and refusals, and what delta mode is for: a DC reading carries the leads'
thermoelectric offset, the current-reversal reading does not (also through ``rh-loop``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_clean, serve
from pymeasure.instruments.keithley import Keithley2182 as PyMeasureKeithley2182
from pymeasure.instruments.keithley import Keithley6221 as PyMeasureKeithley6221
from pymeasure.test import expected_protocol

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.keithley6221 import Keithley6221
from mtjhw.instruments.roles import ResistanceMeter
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench import Bias, VirtualBench
from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.instruments import Keithley2182
from mtjhw.simulators.transport import ScpiSocketServer, VirtualVisaLibrary

LIMITS = SafetyLimits(max_voltage=0.8, max_current=1e-4)
DUT = {"model": "pmtj", "seed": 1, "r_p": 5000.0, "tmr": 1.2, "hk": 0.08, "h_offset": 0.004, "delta": 45.0,
       "tau0": 1e-9}
CONFIGURE_DELTA = [(":SOUR:SWE:ABOR;:SOUR:CURR:COMP 0.8;:UNIT OHMS;:TRAC:POIN 1;:SOUR:SWE:COUN 1", None),
                   (':SYST:COMM:SER:SEND ":SENS:FUNC \'VOLT\';:SENS:CHAN 1;:SENS:VOLT:NPLC 1"', None),
                   (":SOUR:DELT:HIGH 1e-06;:SOUR:DELT:LOW -1e-06;:SOUR:DELT:DEL 0.002;:SOUR:DELT:COUN 1;"
                    ":SOUR:DELT:CAB ON", None),
                   ("SYST:ERR?", '0,"No error"')]


def dut_resistance(bench: VirtualBench, current: float) -> float:
    """The DUT's resistance (Ω) at ``current`` A, from the bench physics."""
    v, i = bench.dut.operating_point(Bias("I", current))
    return v / i


# ----------------------------------------------------------------- third-party drivers on the twins
def test_pymeasure_keithley6221_runs_delta_mode(transport):
    with serve("keithley6221", transport) as served:
        k = PyMeasureKeithley6221(served.resource, read_termination="\n", write_termination="\n",
                                  **served.pymeasure_kwargs)
        k.source_compliance = 0.8
        k.delta_unit = "Ohms"
        k.delta_high_source = 1e-6
        k.delta_delay = 0.002
        k.delta_cycles = 10
        k.delta_measurement_sets = 1
        k.delta_buffer_points = 10
        assert k.delta_low_source == -1e-6 and k.delta_connected
        k.delta_arm()
        k.delta_start()
        data = np.asarray(k.delta_values).reshape(-1, 2)
        k.delta_abort()
        k.disable_source()
        assert_clean(served.twin)
        readings, stamps = data[:, 0], data[:, 1]
        assert readings.size == 10 and stamps[0] == 0.0 and np.all(np.diff(stamps) > 0)
        assert np.mean(readings) == pytest.approx(dut_resistance(served.bench, 1e-6), rel=1e-3)


@pytest.fixture(params=["in-process", "tcp"])
def nanovoltmeter(request):
    """A 2182A standing alone (on GPIB or a socket), nothing sourcing through the DUT: PyMeasure's driver on it."""
    bench = VirtualBench(build_dut({"model": "pmtj"}), seed=5)
    twin = Keithley2182(bench)
    if request.param == "in-process":
        library = VirtualVisaLibrary.for_instruments({"GPIB0::7::INSTR": twin}, lock=bench.lock)
        yield twin, PyMeasureKeithley2182("GPIB0::7::INSTR", visa_library=library)
        return
    with ScpiSocketServer(twin, lock=bench.lock) as server:
        yield twin, PyMeasureKeithley2182(server.resource_name, visa_library="@py", timeout=1500)


def test_pymeasure_keithley2182_reads_the_thermoelectric_offset(nanovoltmeter):
    twin, k = nanovoltmeter
    k.ch_1.setup_voltage(nplc=5)
    assert k.active_channel == 1 and k.voltage_nplc == 5 and k.ch_1.voltage_range_auto_enabled
    assert k.line_frequency == 50 and k.channel_function == "voltage"
    readings = [k.voltage for _ in range(5)]
    assert np.mean(readings) == pytest.approx(twin.emf.at(twin.bench.time), abs=0.2e-6)
    assert abs(np.mean(readings) - Keithley2182.thermal_offset) < 4 * Keithley2182.drift
    assert_clean(twin)


# ----------------------------------------------------------------- our driver's protocol
def driver(comms, **kwargs):
    return expected_protocol(Keithley6221, comms, limits=LIMITS, compliance=0.8, **kwargs)


def test_configure_programs_delta_and_the_2182a_over_the_serial_link():
    with driver(CONFIGURE_DELTA) as k:
        assert isinstance(k, ResistanceMeter)
        k.configure(1e-6)


def test_configure_pulse_delta():
    comms = [CONFIGURE_DELTA[0], CONFIGURE_DELTA[1],
             (":SOUR:PDEL:HIGH 1e-05;:SOUR:PDEL:LOW 0;:SOUR:PDEL:WIDT 0.001;:SOUR:PDEL:SDEL 0.0005;"
              ":SOUR:PDEL:COUN 1;:SOUR:PDEL:INT 5;:SOUR:PDEL:LME 2;:SOUR:PDEL:RANG BEST", None),
             CONFIGURE_DELTA[3]]
    with driver(comms) as k:
        k.configure(1e-5, "pulse-delta", pulse_width=1e-3)


def test_measure_resistance_arms_starts_reads_and_aborts():
    comms = [*CONFIGURE_DELTA, (":TRAC:CLE;:SOUR:DELT:ARM;:INIT:IMM", None), (":TRAC:POIN:ACT?", "1"),
             (":TRAC:DATA?", "+5.012345E+03,+0.000000E+00"), (":SOUR:SWE:ABOR", None), ("SYST:ERR?", '0,"No error"')]
    with driver(comms) as k:
        k.configure(1e-6)
        assert k.measure_resistance() == 5012.345


def test_output_off_and_arm_protection():
    with driver([(":SOUR:SWE:ABOR;:SOUR:CURR 0", None), (":OUTP OFF", None), (":SOUR:CURR:COMP 0.8", None),
                 ("SYST:ERR?", '0,"No error"')]) as k:
        k.output_off()
        k.arm_protection()


@pytest.mark.parametrize("action", [
    lambda k: k.configure(2e-4),  # beyond max_current
    lambda k: k.write(":SOUR:DELT:HIGH 2e-4"),
    lambda k: k.write(":SOUR:PDEL:LOW -0.2 mA"),
    lambda k: k.write(":SOUR:CURR:COMP 5"),  # a compliance beyond max_voltage
    lambda k: k.write(":SOUR:WAVE:AMPL 0.01"),
    lambda k: k.waveform_arm(),  # amplitude + offset may exceed max_current
    lambda k: k.write("*RST"),  # back to a 10 V compliance, unarmed
], ids=["configure", "delta-high", "pulse-low", "compliance", "waveform", "waveform-arm", "reset"])
def test_refusals_send_nothing(action):
    with driver([]) as k, pytest.raises(SafetyLimitError):
        action(k)


def test_bad_arguments_are_refused_unsent():
    with driver([]) as k:
        for call, match in ((lambda: k.configure(1e-6, "ac"), "mode"), (lambda: k.configure(-1e-6), "current"),
                            (lambda: k.configure(1e-6, "pulse-delta", pulse_width=1.0), "pulse_width"),
                            (lambda: k.measure_resistance(), "configure")):
            with pytest.raises((ValueError, RuntimeError), match=match):
                call()


# ----------------------------------------------------------------- what delta mode is for
def delta_bench(seed: int = 3, compliance: float = 0.8) -> Bench:
    return Bench.open(BenchConfig.from_dict({
        "name": "delta", "simulated": True, "seed": seed,
        "safety": {"max_voltage": 0.8, "max_current": 1e-4, "max_field": 0.3, "field_ramp_rate": 1.0},
        "dut": DUT,
        "instruments": {"resistance": {"driver": "keithley6221", "compliance": compliance},
                        "magnet": {"driver": "kepco-bop", "coil_constant": 0.03},
                        "gaussmeter": {"driver": "lakeshore425"}}}))


def test_dc_reading_carries_the_thermoelectric_offset_and_delta_removes_it():
    current, n = 1e-6, 20
    with delta_bench() as bench:
        k, twin = bench.resistance, bench.virtual_handlers()[0]
        truth = dut_resistance(bench.virtual, current)
        k.write(f":SOUR:CURR {current:g};:OUTP ON")
        k.write(':SYST:COMM:SER:SEND ":SENS:VOLT:NPLC 1"')
        dc, emf = [], []
        for _ in range(n):
            k.write(':SYST:COMM:SER:SEND ":READ?"')
            dc.append(float(k.ask(":SYST:COMM:SER:ENT?")) / current)
            emf.append(twin.nanovoltmeter.emf.at(bench.virtual.time))
        k.output_off()
        k.configure(current, "delta", 1.0)
        delta = np.array([k.measure_resistance() for _ in range(n)])
        assert_clean(twin)
    dc = np.array(dc)
    noise = np.std(dc, ddof=1) / math.sqrt(n)  # the mean's: the DUT's read noise and the 2182A's white noise
    assert np.mean(dc) - truth == pytest.approx(np.mean(emf) / current, abs=4 * noise)
    assert np.mean(dc) - truth > 3.0  # Ω: 5 µV at 1 µA, far outside the noise
    assert np.mean(delta) == pytest.approx(truth, abs=4 * np.std(delta, ddof=1) / math.sqrt(n))


def test_pulse_delta_reads_the_resistance_too():
    with delta_bench() as bench:
        k = bench.resistance
        k.configure(1e-5, "pulse-delta", pulse_width=2e-3)
        readings = np.array([k.measure_resistance() for _ in range(10)])
        truth = dut_resistance(bench.virtual, 1e-5)
    assert np.mean(readings) == pytest.approx(truth, abs=4 * np.std(readings, ddof=1) / math.sqrt(10))


def test_rh_loop_through_delta_mode_recovers_rp_and_tmr(tmp_path):
    settings = {"field_max": 0.1, "points": 61, "loops": 2, "nplc": 0.2, "delta_current": 1e-6}
    with delta_bench() as bench:
        outcome = run_procedure("rh-loop", bench, tmp_path, settings)
    assert outcome.status == "finished", outcome.error
    assert outcome.summary["r_p"] == pytest.approx(DUT["r_p"], rel=0.05)
    assert outcome.summary["tmr"] == pytest.approx(DUT["tmr"], rel=0.05)


def test_a_reading_in_compliance_is_an_overflow_and_refused():
    """100 µA through the DUT (5 kΩ or more) wants 0.5 V or more: beyond a 0.3 V compliance, the 6221 returns
    +9.9E37."""
    with delta_bench(compliance=0.3) as bench:
        k = bench.resistance
        k.configure(1e-4)
        with pytest.raises(RuntimeError, match="overflowed"):
            k.measure_resistance()
        assert_clean(bench.virtual_handlers()[0])
