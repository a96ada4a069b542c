"""The virtual SR830 lock-in with unmodified third-party drivers: QCoDeS's ``stanford_research.SR830`` and
PyMeasure's ``srs.SR830``, over the in-process VISA library and over TCP; then the instrument's own protocol
(SR830 manual, chapter 5) message by message.

QCoDeS's parameters and PyMeasure's properties are enumerated from the drivers (every gettable one is read, every
settable one is set to a value its own validator accepts and read back), so a driver upgrade is covered without
editing this file. QCoDeS users on GPIB set no terminator (a read ends with EOI, the reply keeps its LF); a socket
has no EOI, so over TCP the reads end at ``terminator="\\n"``. PyMeasure users set LF both ways, as the project's
own driver does.

Binary buffer transfers (``TRCB?``, ``TRCL?``) end with EOI and no terminator on the real instrument; the twin
answers them as :class:`~mtjhw.simulators.transport.EndOnly` replies, which the transports send without one.
"""

from __future__ import annotations

import math
import re
from typing import Any

import drivers
import numpy as np
import pytest
import pyvisa
from conftest import assert_clean, error_entries, make_twin, serve
from drivers import (
    DRIVER_BUGS,
    pymeasure_readable,
    pymeasure_sent,
    pymeasure_settable,
    pymeasure_value,
    qcodes_sent,
    qcodes_value,
    same,
)
from pymeasure.instruments.srs import SR830 as PyMeasureSR830
from qcodes.instrument_drivers.stanford_research.SR830 import SR830 as QcodesSR830

from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.instruments.lockin import SR830 as VirtualSR830

CMD, EXE = 0x20, 0x10  # standard event status bits: illegal command, execution error
QCODES_BUGS = DRIVER_BUGS["qcodes.instrument_drivers.stanford_research.SR830"]
PYMEASURE_BUGS = DRIVER_BUGS["pymeasure.instruments.srs.SR830"]

#: QCoDeS parameters not set in the enumeration, and why.
QCODES_NOT_SET = {
    "timeout": "a VISA attribute of the connection, not an instrument setting",
    "sweep_setpoints": "a setpoint array kept in the driver; setting it sends nothing",
    "output_interface": "RS232 sends the answers to the RS-232 port: every later GPIB read would time out, as on "
                        "the real SR830 (test_outx_sends_the_answers_to_the_selected_interface)",
}
#: Values given by hand: for parameters without a validator to draw one from (``vals=None``, free ``Strings()``),
#: and for one whose value the order of setting constrains.
QCODES_VALUES = {
    "reference_source": "internal",  # from the bench's external reference: FREQ, set next, needs the internal one
    "ch1_display": "R", "ch2_display": "Phase", "ch1_ratio": "Aux In 1", "ch2_ratio": "Aux In 4",
    **{f"aux_out{i}": 1.25 * i - 3 for i in range(1, 5)},
}
#: PyMeasure properties not set in the enumeration, and why (each has its own test below).
PYMEASURE_NOT_SET = {
    "channel1": "driver bug: reads 'DDEF?1', which answers 'j,k', as one mapped value",
    "channel2": "driver bug: as channel1",
}
#: PyMeasure setters written by hand (a plain ``@property``): no validator to draw a value from.
PYMEASURE_VALUES = {"sample_frequency": 512, "reserve": "Low Noise"}


def open_qcodes(served: Any, name: str = "lockin") -> QcodesSR830:
    return drivers.open_driver(QcodesSR830, served, name)


def open_pymeasure(served: Any) -> PyMeasureSR830:
    return drivers.open_driver(PyMeasureSR830, served)


def chop_the_rf(bench: Any) -> float:
    """An STNO (the DUT model with a spin-diode voltage) at 50 mT, driven at its FMR with 0.1 mW chopped on and
    off at 1 kHz: returns the rms fundamental of the chopped diode voltage (V), what X reads in phase."""
    bench.dut = build_dut({"model": "stno"})
    bench.magnet.set_current(0.05 / bench.magnet.coil_constant)
    bench.advance(1.0)
    rf = bench.rf
    rf.on, rf.am_on, rf.am_depth, rf.am_frequency = True, True, 1.0, 1e3
    rf.frequency, rf.power = float(bench.dut.physics.fmr_frequency(bench.field)), 1e-4
    return math.sqrt(2) / math.pi * bench.dut.rectified_voltage(rf.frequency, bench.field, rf.power)


def esr(twin: VirtualSR830) -> int:
    return int(twin.handle("*ESR?"))


# ===================================================================== QCoDeS
def test_qcodes_connects_and_snapshots_every_parameter(transport):
    with serve("sr830", transport) as served:
        lockin = open_qcodes(served)
        # over TCP the reads end at the terminator: output_interface then fails (test_qcodes_output_interface_...)
        skip = ["output_interface"] if transport == "tcp" else None
        snapshot = lockin.snapshot_base(update=True, params_to_skip_update=skip)["parameters"]
        lockin.close()
        assert_clean(served.twin)
    values = {name: entry.get("value") for name, entry in snapshot.items()}
    assert len(values) >= 45
    assert values["IDN"]["model"] == "SR830" and values["IDN"]["vendor"] == "Stanford_Research_Systems"
    assert values["reference_source"] == "external" and values["frequency"] == 1000.0  # the RF source's AM clock
    assert values["sensitivity"] == 1 and values["time_constant"] == 0.1 and values["filter_slope"] == 12
    assert values["X_offset"] == (0.0, 0) and values["ch1_display"] == "X" and values["ch2_ratio"] == "none"
    assert values["buffer_SR"] == 1 and values["buffer_acq_mode"] == "loop" and values["buffer_npts"] == 0
    assert abs(values["X"]) < 1e-7 and abs(values["complex_voltage"]) < 1e-7  # only the input noise: 7 nV
    if transport == "in-process":
        assert values["output_interface"] == "GPIB"


def test_qcodes_sets_every_settable_parameter_and_reads_it_back(transport):
    with serve("sr830", transport) as served:
        lockin = open_qcodes(served)
        settable = [p for name, p in lockin.parameters.items() if p.settable and name not in QCODES_NOT_SET]
        for param in settable:
            value = qcodes_value(param, param.get(), QCODES_VALUES)
            param.set(value)
            assert same(param.get(), qcodes_sent(param, value)), param.name
        lockin.close()
        assert_clean(served.twin)
    names = {p.name for p in settable}
    assert {"phase", "frequency", "harmonic", "amplitude", "sensitivity", "time_constant", "buffer_SR",
            "ch1_display", "aux_out4"} <= names and len(names) >= 26
    assert served.twin.settings["AUXV"][4] == [2.0] and served.twin.settings["DDEF"][2] == [1, 2]


def test_qcodes_output_interface_needs_the_terminator_in_the_reply():
    """QCoDeS bug: output_interface maps "1\\n" and "0\\n", replies with their LF, so its get parses only when
    reads keep the terminator (GPIB without a read termination); with ``terminator="\\n"`` (a socket, a serial
    port) the SR830's "1" is not in the mapping."""
    assert "output_interface" in QCODES_BUGS
    with serve("sr830", "in-process") as served:
        lockin = open_qcodes(served)
        assert lockin.output_interface() == "GPIB"
        lockin.set_terminator("\n")
        with pytest.raises(KeyError, match="not in val_mapping"):
            lockin.output_interface()
        lockin.close()
        assert_clean(served.twin)


def test_qcodes_auto_functions_and_snap_follow_the_physics(transport):
    with serve("sr830", transport) as served:
        signal = chop_the_rf(served.bench)
        lockin = open_qcodes(served)
        lockin.time_constant(1)  # 1 s: the input noise is 1.5 nV against a 2 mV signal
        x, y, r, theta, freq, ch1 = lockin.snap("x", "y", "r", "p", "freq", "ch1")
        assert x == pytest.approx(signal, rel=1e-3) and abs(y) < 1e-6 and ch1 == pytest.approx(x, rel=1e-3)
        assert r == pytest.approx(abs(signal), rel=1e-3) and abs(theta) == pytest.approx(180, abs=0.1)
        assert freq == 1000.0  # external reference: the AM clock
        lockin.auto_phase()  # the diode voltage is negative: θ = 180° becomes 0
        assert lockin.X() == pytest.approx(abs(signal), rel=1e-3) and abs(lockin.P()) < 0.1
        lockin.auto_gain()
        assert lockin.sensitivity() == 5e-3  # the most sensitive range holding 2 mV under 90 %
        lockin.auto_offset(1)
        assert lockin.X_offset()[0] == pytest.approx(abs(signal) / 5e-3 * 100, abs=0.01)
        lockin.auto_reserve()
        assert lockin.reserve() == "low noise"
        for function in ("send_trigger", "disable_front_panel", "enable_front_panel", "reset"):
            lockin.functions[function]()
        assert lockin.reference_source() == "internal" and lockin.X() == pytest.approx(0, abs=1e-6)  # *RST
        lockin.close()
        assert_clean(served.twin)


def test_qcodes_autorange_steps_the_sensitivity(transport):
    with serve("sr830", transport) as served:
        lockin = open_qcodes(served)
        lockin.time_constant(10e-6)  # autorange sleeps one time constant per step
        lockin.autorange(max_changes=2)
        assert lockin.sensitivity() == 0.1  # noise only: 1 V → 500 mV → 200 mV → 100 mV
        lockin.close()
        assert_clean(served.twin)


def test_qcodes_buffer_fills_at_the_sample_rate(transport):
    with serve("sr830", transport) as served:
        lockin = open_qcodes(served)
        lockin.buffer_SR(512)
        lockin.buffer_reset()
        lockin.buffer_start()
        assert lockin.buffer_npts() == 0  # a round trip: over TCP the writes above are processed by now
        served.bench.advance(0.25)
        lockin.buffer_pause()
        assert lockin.buffer_npts() == 128
        np.testing.assert_allclose(lockin.sweep_setpoints(), np.linspace(0, 0.25, 128))
        served.bench.advance(1.0)  # paused: nothing more is stored
        assert lockin.buffer_npts() == 128
        lockin.buffer_reset()
        assert lockin.buffer_npts() == 0
        lockin.close()
        assert_clean(served.twin)


def test_qcodes_reads_the_buffer_in_binary():
    with serve("sr830", "in-process") as served:  # read_raw reads to END: a GPIB/USB transfer
        lockin = open_qcodes(served)
        lockin.buffer_SR(512)
        lockin.buffer_start()
        served.bench.advance(0.25)
        lockin.buffer_pause()
        assert len(lockin.ch1_datatrace()) == 128  # TRCL ? 1, 0, 128, then read_raw: 512 bytes, no terminator
        assert_clean(served.twin)


# ===================================================================== PyMeasure
def test_pymeasure_reads_every_property(transport):
    with serve("sr830", transport) as served:
        lockin = open_pymeasure(served)
        values = {name: getattr(lockin, name) for name in pymeasure_readable(PyMeasureSR830)}
        lockin.adapter.close()
        assert_clean(served.twin)
    assert len(values) >= 40 and all(value is not None and value != "" for value in values.values())
    assert values["id"].startswith("Stanford_Research_Systems,SR830,")
    assert values["status"] == "3"  # serial poll byte: no scan in progress, no command in progress
    assert values["err_status"] == 0 and values["lia_status"] == 0  # a healthy instrument, no overload
    assert values["reference_source"] == "External" and values["sensitivity"] == 1 and values["buffer_count"] == 0
    assert len(values["xy"]) == 2 and values["sample_frequency"] == 1


def test_pymeasure_sets_every_settable_property_and_reads_it_back(transport):
    with serve("sr830", transport) as served:
        lockin = open_pymeasure(served)
        lockin.reference_source = "Internal"  # as on an SR830, FREQ is refused with the external one (DRIVER_BUGS)
        settable = [name for name in pymeasure_settable(PyMeasureSR830) if name not in PYMEASURE_NOT_SET]
        for name in settable:
            value = pymeasure_value(PyMeasureSR830, name, getattr(lockin, name), PYMEASURE_VALUES)
            setattr(lockin, name, value)
            assert same(getattr(lockin, name), pymeasure_sent(PyMeasureSR830, name, value)), name
        lockin.adapter.close()
        assert_clean(served.twin)
    assert {"frequency", "harmonic", "phase", "sine_voltage", "sensitivity", "time_constant", "aux_out_1",
            "sample_frequency", "reserve"} <= set(settable) and len(settable) >= 24


def test_pymeasure_channel_displays_read_back_as_lists(transport):
    """PyMeasure bug: channel1/channel2 query 'DDEF?1' as one mapped value; the SR830 answers display and
    ratio, 'j,k', so the getter returns the raw pair instead of the display name (the setter works)."""
    assert set(PYMEASURE_NOT_SET) <= set(PYMEASURE_BUGS)
    with serve("sr830", transport) as served:
        lockin = open_pymeasure(served)
        lockin.channel1, lockin.channel2 = "R", "Theta"
        assert lockin.channel1 == [1, 0] and lockin.channel2 == [1, 0]
        assert served.twin.settings["DDEF"] == {1: [1, 0], 2: [1, 0]}
        lockin.adapter.close()
        assert_clean(served.twin)


def test_pymeasure_set_scaling_sends_the_expansion_value_not_its_code(transport):
    """PyMeasure bug: set_scaling sends discreteTruncate(expand, [1, 10, 100]), a value, where OEXP wants the
    code 0, 1, 2: the default expand=0 gives code 1 (×10), and expand=100 is refused (EXE) as on the SR830."""
    with serve("sr830", transport) as served:
        lockin = open_pymeasure(served)
        lockin.set_scaling("X", 50)
        assert lockin.get_scaling("X") == (50.0, 10) and served.twin.settings["OEXP"][1] == [50.0, 1]
        lockin.set_scaling("Y", 20, expand=100)  # OEXP 2,20.00,100
        assert lockin.get_scaling("Y") == (0.0, 1)
        assert int(lockin.ask("*ESR?")) & EXE
        assert [code for code, _ in error_entries(served.twin)] == [-222]
        lockin.adapter.close()


def test_pymeasure_harmonic_validator_excludes_19999(transport):
    """PyMeasure bug: ``values=range(1, 19999)`` stops at 19998; the SR830 takes 19999 (1 Hz reference)."""
    with serve("sr830", transport) as served:
        lockin = open_pymeasure(served)
        lockin.reference_source, lockin.frequency = "Internal", 1.0
        with pytest.raises(ValueError):
            lockin.harmonic = 19999
        lockin.write("HARM19999")
        assert lockin.harmonic == 19999
        lockin.adapter.close()
        assert_clean(served.twin)


def test_pymeasure_reads_the_demodulated_diode_voltage(transport):
    with serve("sr830", transport) as served:
        signal = chop_the_rf(served.bench)
        lockin = open_pymeasure(served)
        lockin.time_constant = 1
        assert lockin.x == pytest.approx(signal, rel=1e-3) and abs(lockin.y) < 1e-6
        lockin.phase = 30  # X = S cos φ, Y = −S sin φ
        x, y = lockin.xy
        assert x == pytest.approx(signal * math.cos(math.pi / 6), rel=1e-3)
        assert y == pytest.approx(-signal * 0.5, rel=1e-3)
        lockin.harmonic = 3  # a square wave's third harmonic: a third of the fundamental
        assert lockin.magnitude == pytest.approx(abs(signal) / 3, rel=1e-3)
        lockin.harmonic = 2  # no even harmonics
        assert lockin.magnitude < 1e-6
        lockin.harmonic, lockin.reference_source = 1, "Internal"  # not coherent with the chop
        assert lockin.magnitude < 1e-6
        lockin.adapter.close()
        assert_clean(served.twin)


def test_pymeasure_auto_functions_and_setups(transport):
    with serve("sr830", transport) as served:
        signal = chop_the_rf(served.bench)
        lockin = open_pymeasure(served)
        lockin.time_constant = 1
        lockin.auto_phase()
        assert abs(lockin.theta) < 0.1 and lockin.x == pytest.approx(abs(signal), rel=1e-3)
        lockin.auto_gain()
        lockin.auto_reserve()
        assert lockin.sensitivity == 5e-3 and lockin.reserve == "Low Noise"
        lockin.auto_offset("X")
        assert lockin.output_conversion("X")(0.0) == pytest.approx(abs(signal), rel=1e-3)  # the offset, in volts
        lockin.save_setup(2)
        lockin.sensitivity = 1
        lockin.load_setup(2)
        assert lockin.sensitivity == 5e-3
        lockin.trigger()
        lockin.clear()
        lockin.reset()
        assert lockin.reference_source == "Internal" and lockin.sensitivity == 1
        lockin.adapter.close()
        assert_clean(served.twin)


def test_pymeasure_quick_range_leaves_the_overload(transport):
    with serve("sr830", transport) as served:
        lockin = open_pymeasure(served)
        lockin.time_constant, lockin.sensitivity = 10e-6, 2e-9  # 0.5 µV of noise on a 2 nV range
        assert lockin.is_out_of_range()
        lockin.quick_range()
        assert 1e-6 <= lockin.sensitivity < 1e-5 and not lockin.is_out_of_range()  # 1 µV holds the noise
        lockin.adapter.close()
        assert_clean(served.twin)


def test_pymeasure_buffer_fills_and_pauses(transport):
    with serve("sr830", transport) as served:
        lockin = open_pymeasure(served)
        lockin.sample_frequency = 512
        lockin.reset_buffer()
        lockin.start_scan()
        assert lockin.buffer_count == 0  # a round trip: over TCP the writes above are processed by now
        served.bench.advance(0.5)
        lockin.pause_scan()
        assert lockin.buffer_count == 256
        served.bench.advance(0.5)  # paused: nothing more is stored
        assert lockin.buffer_count == 256
        lockin.start_buffer(fast=False)  # FAST0: no streaming
        assert lockin.err_status == 0 and served.twin.settings["FAST"] == 0
        lockin.adapter.close()
        assert_clean(served.twin)


def test_pymeasure_fill_buffer_reads_the_points_in_binary():
    with serve("sr830", "in-process") as served:
        lockin = open_pymeasure(served)
        lockin.sample_frequency = 512
        lockin.start_scan()
        served.bench.advance(0.25)
        ch1, ch2 = lockin.fill_buffer(128)  # TRCB?1,0,128: 512 bytes of float32, ended by END alone
        assert len(ch1) == len(ch2) == 128
        expected = [float(v) for v in served.twin.handle("TRCA?1,0,128").split(",") if v]
        np.testing.assert_allclose(ch1, expected, rtol=1e-6)


# ===================================================================== the instrument's own protocol
@pytest.fixture
def twin() -> VirtualSR830:
    instrument, _, _ = make_twin("sr830")
    esr(instrument)  # clear the power-on bit
    return instrument


@pytest.mark.parametrize("message", ["SRAT?", "srat ?", "S R A T ?", "SrAt?\t"])
def test_spaces_and_case_are_ignored(twin, message):
    assert twin.handle(message) == "4"
    assert esr(twin) == 0


def test_each_answer_of_a_line_ends_with_the_terminator(twin):
    assert twin.handle("SENS?;OFLT?;*IDN?") == "26\n8\n" + ",".join(VirtualSR830.idn)
    assert twin.handle("SENS 10;;SENS?;") == "10"


@pytest.mark.parametrize("message, bit", [
    ("OUTP? m2", CMD), ("SNAP? 1,x", CMD), ("SNAP? 1", CMD), ("SNAP? 1,2,3,4,5,6,7", CMD), ("FOO?", CMD),
    ("SENSE 1", CMD), ("STRT?", CMD), ("SPTS 1", CMD), ("SENS", CMD), ("*OPC?", CMD), ("*TST?", CMD),
    ("SNAP? 1,12", EXE), ("OUTP? 5", EXE), ("SLVL 100", EXE), ("HARM 0", EXE), ("SENS 27", EXE),
    ("PHAS 730", EXE), ("TRCA? 1,0,1", EXE), ("DDEF? 3", EXE), ("RSET 4", EXE), ("FREQ 1E3", EXE),
    ("OFLT 19", EXE), ("AUXV 1,11", EXE), ("*ESE 256", EXE), ("OUTP? 1E400", EXE),
])
def test_bad_input_sets_a_status_bit_and_changes_nothing(twin, message, bit):
    before = str(twin.settings)
    assert twin.handle(message) is None
    assert esr(twin) == bit and str(twin.settings) == before
    assert twin.handle("ERRS?") == "0"  # no hardware fault: ERRS? is not an error queue
    assert len(error_entries(twin)) == 1


@pytest.mark.parametrize("message", ["\x00\xff", ";;;", "?", "*", "TRCL?1,-1,1", "OEXP 1,1e308,0", "SNAP?" * 50,
                                     "DDEF 1,2", "*ESE 1,2,3", "AOFF 0.5", "SSET 1e9", "\r\n\r"])
def test_garbage_never_raises_and_never_answers(twin, message):
    assert twin.handle(message) is None
    assert twin.handle("*IDN?").startswith("Stanford_Research_Systems")


@pytest.mark.parametrize("command, query, stored", [
    ("PHAS 541", "PHAS?", "-179"), ("PHAS -359.994", "PHAS?", "0.01"), ("SLVL 1.2345", "SLVL?", "1.234"),
    ("AUXV 1,-1.23456", "AUXV? 1", "-1.235"), ("FREQ 12345.678", "FREQ?", "12346"),
    ("FREQ 1.23456789", "FREQ?", "1.2346"), ("SENS 10.0", "SENS?", "10"), ("SRAT .5E1", "SRAT?", "5"),
    ("OEXP 3,12.346,2", "OEXP? 3", "12.35,2"),
])
def test_values_are_rounded_to_the_instrument_resolution(twin, command, query, stored):
    twin.handle("FMOD 1")
    twin.handle(command)
    assert twin.handle(query) == stored
    assert esr(twin) == 0


def test_harmonic_and_frequency_keep_the_detection_under_102_khz(twin):
    twin.handle("FMOD 1;FREQ 10000;HARM 20")
    assert twin.handle("HARM?") == "10"
    twin.handle("FREQ 20000")
    assert twin.handle("FREQ?") == "10200"
    assert esr(twin) == 0


def test_long_time_constants_need_a_low_detection_frequency(twin):
    twin.handle("FMOD 1;FREQ 100;OFLT 15")
    assert twin.handle("OFLT?") == "15" and twin.handle("LIAS?") == "16"  # 1 kHz → 100 Hz: RANGE
    twin.handle("FREQ 1000")
    assert twin.handle("OFLT?") == "13"  # down to 30 s
    assert twin.handle("LIAS?") == str(0x10 | 0x20)  # RANGE and TC
    assert esr(twin) == 0


def test_current_input_gain_follows_the_sensitivity(twin):
    twin.handle("ISRC 3")
    assert twin.handle("SENS?") == "20"  # 100 MΩ: 10 nA at most
    twin.handle("SENS 22")
    assert twin.handle("ISRC?") == "2"  # 50 nA selects the 1 MΩ gain


def test_status_bytes_enable_registers_and_service_request(twin):
    assert twin.handle("*STB?") == "3"  # SCN, IFC
    twin.handle("*ESE 32;*SRE 32")
    twin.handle("BAD")
    assert twin.handle("*STB?") == str(0x03 | 0x20 | 0x40) and twin.status_byte() == 0x63  # ESB, SRQ
    assert twin.handle("*ESR? 5") == "1" and twin.handle("*ESR? 5") == "0"  # reading a bit clears it
    assert twin.handle("*STB? 5") == "0"
    twin.handle("*ESE 2,1;LIAE 2,1;*SRE 8")
    assert twin.handle("*ESE?;LIAE?;*SRE?;*ESE? 2") == "36\n4\n8\n1"
    twin.handle("SENS 0;OFLT 0")  # 0.5 µV of noise on 2 nV: output overload
    assert twin.handle("LIAS? 2") == "1" and twin.handle("*STB? 3") == "1"  # LIA summary, still overloaded
    twin.handle("SENS 26;*CLS")
    assert twin.handle("LIAS?") == "0" and twin.handle("*STB?") == "3" and twin.handle("*ESE?") == "36"
    twin.handle("*PSC 0")
    assert twin.handle("*PSC?") == "0"


def test_reset_restores_the_standard_settings_but_not_the_interface(twin):
    twin.handle("SENS 3;FMOD 0;OVRM 1;DDEF 1,1,0;AUXV 2,5;SRAT 14;STRT;TRIG")
    twin.handle("*RST")
    assert twin.handle("SENS?;FMOD?;OVRM?;DDEF?1;AUXV?2;SRAT?;SPTS?") == "26\n1\n1\n0,0\n0\n4\n0"


def test_setups_are_saved_and_recalled(twin):
    twin.handle("SENS 5;SSET 3;SENS 9;OEXP 2,10,1")
    twin.handle("RSET 3")
    assert twin.handle("SENS?;OEXP?2") == "5\n0,0"
    assert esr(twin) == 0


def test_outx_sends_the_answers_to_the_selected_interface(twin):
    twin.handle("OUTX 0")
    assert twin.handle("*IDN?") is None  # answered on the RS-232 port
    twin.handle("OUTX 1")
    assert twin.handle("OUTX?") == "1"
    bench = twin.bench
    serial = VirtualSR830(bench, interface="RS232")
    assert serial.reply_termination == "\r" and serial.handle("OUTX?") == "0"
    assert serial.handle("SENS?\rOFLT?") == "26\r8"  # CR ends a command line on RS-232
    serial.handle("OUTX 1")
    assert serial.handle("OUTX?") is None


def test_buffer_stores_triggered_points_and_reads_them_in_every_format(twin):
    twin.handle("SRAT 14;STRT;TRIG;TRIG;TRIG")
    assert twin.handle("SPTS?") == "3" and twin.handle("LIAS? 6") == "1"
    ascii_trace = twin.handle("TRCA? 1,0,3")
    assert re.fullmatch(r"([+-]\d\.\d{6}e[+-]\d{3},){3}", ascii_trace)
    points = np.array([float(v) for v in ascii_trace.split(",")[:-1]])
    ieee = np.frombuffer(twin.handle("TRCB? 1,0,3"), dtype="<f4")
    np.testing.assert_allclose(ieee, points, rtol=1e-6)
    raw = np.frombuffer(twin.handle("TRCL? 1, 0, 3"), dtype="<i2")
    np.testing.assert_allclose(raw[::2] * 2.0 ** (raw[1::2] - 124), points, rtol=1e-4)  # QCoDeS's decoding
    assert twin.handle("TRCA? 2,2,1").count(",") == 1 and twin.handle("TRCA? 1,2,2") is None
    assert esr(twin) == EXE


def test_single_shot_stops_when_full_and_loop_keeps_the_latest(twin):
    twin.handle("SRAT 13;SEND 0;STRT")
    assert twin.handle("*STB? 0") == "0"  # storing
    twin.bench.advance(40)
    assert twin.handle("SPTS?") == "16383" and twin.handle("*STB? 0") == "1"  # done
    twin.handle("REST;SEND 1;STRT")
    twin.bench.advance(40)
    assert twin.handle("SPTS?") == "16383" and twin.handle("*STB? 0") == "0"  # still storing


def test_trigger_starts_storage_with_tstr(twin):
    twin.handle("TSTR 1;SRAT 13")
    twin.bench.advance(1)
    assert twin.handle("SPTS?") == "0"
    twin.handle("TRIG")
    twin.bench.advance(0.125)
    assert twin.handle("SPTS?") == "64"


def test_fast_transfer_aborts_without_a_reader(twin):
    twin.handle("FAST 2;SRAT 13;STRD")
    twin.bench.advance(0.5)
    assert twin.handle("SPTS?") == "0"  # STRD: storage starts after 0.5 s
    twin.bench.advance(0.1)
    assert twin.handle("SPTS?") == "51" and twin.handle("ERRS?") == "0"
    twin.bench.advance(0.1)
    assert twin.handle("ERRS?") == "32"  # GPIB error: the 63-pair transmit queue overflowed
    assert twin.handle("SPTS?") == "102"  # storage goes on


def test_group_execute_trigger_and_serial_poll():
    with serve("sr830", "in-process") as served:
        resource = pyvisa.ResourceManager(served.visa_library).open_resource(served.resource)
        resource.write("SRAT 14;STRT")
        resource.assert_trigger()  # GET acts as TRIG
        assert resource.query("SPTS?").strip() == "1"
        assert resource.read_stb() == 0x00 | 0x02  # storing, no command in progress
        resource.write("*IDN?")
        assert resource.read_stb() & 0x10  # MAV
        resource.close()
        assert_clean(served.twin)
