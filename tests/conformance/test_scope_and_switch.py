"""The virtual InfiniiVision 3000 X oscilloscope with PyMeasure's ``KeysightDSOX1102G``, and the virtual 707B switch
matrix with the TSP examples of its reference manual, over the in-process VISA library and over TCP.

``KeysightDSOX1102G`` is written for the InfiniiVision 1000 X, whose command set the 3000 X series shares (same
:CHANnel, :TIMebase, :ACQuire, :WAVeform, :DIGitize, :SYSTem commands and reply formats); the 3000 X has four
channels, so the driver's ``Channel`` class is used for channels 3 and 4 too. Its properties are enumerated from the
classes (every property with a getter is read, every setter is given every value of its own discrete set, or a
value inside its range, and read back), so a driver upgrade is covered without editing this file. What the driver
offers that only the 1000 X has (its EXT and ABUS sources) is checked to be refused as the 3000 X refuses it.

There is no PyMeasure or QCoDeS driver for the 707B: its tests send the TSP statements of the reference manual's
examples with plain pyvisa, as a user does, and the project's own driver runs over both transports too.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np
import pytest
from conftest import assert_clean, error_entries, serve
from drivers import (
    DRIVER_BUGS,
    open_driver,
    open_visa,
    pymeasure_choices,
    pymeasure_option,
    pymeasure_readable,
    pymeasure_settable,
    same,
)
from pymeasure.instruments.keysight import KeysightDSOX1102G
from pymeasure.instruments.keysight.keysightDSOX1102G import Channel

from mtjhw.instruments.errors import InstrumentError
from mtjhw.instruments.keithley707b import Keithley707B
from mtjhw.simulators.bench.bias import Bias
from mtjhw.simulators.bench.devices import crosspoint_of_line

pytestmark = pytest.mark.filterwarnings("ignore:It is not known whether this device support SCPI")  # PyMeasure's

SCOPE = "keysight-dsox3000"
SWITCH = "keithley707b"
NOT_MEASURABLE = 9.9e37
BIAS = Bias("I", 20e-6)  # 20 µA through the pMTJ: about 0.2 V across it

#: Setters without a validator to draw a value from (and the reply each reads back as).
HAND_PICKED = {
    "offset": (0.05, 0.05),  # V at the screen centre
    "range": (1.6, 1.6),  # V full scale: 0.2 V/div
    "scale": (0.02, 0.02),  # V/div
    # Labels are upper-cased by the scope. Driver bug: ``label`` returns the reply with its quotes, '"DUT"', because
    # its ``get_process_list`` (which strips them) only runs for replies of several comma-separated values.
    "label": ("dut", '"DUT"'),
    "timebase_offset": (2e-4, 2e-4),  # s from the trigger to the reference
    "timebase_range": (2e-3, 2e-3),  # s across the screen
    "timebase_scale": (5e-5, 5e-5),  # s/div
}
#: Values the driver offers that are 1000 X only: the 3000 X refuses them with -224 and keeps its setting.
NOT_ON_THE_3000X = {("waveform_source", "ext"), ("_digitize", "abus"), ("_digitize", "ext")}
#: Properties left out of the set-and-read-back loop, and why.
NOT_SET_IN_THE_LOOP = {
    "system_setup": "a plain property whose value is a setup block: restored in its own test",
}


# --------------------------------------------------------------------------------------------- PyMeasure helpers
def candidate_values(cls: type, name: str) -> list[tuple[Any, Any]]:
    """(value to set, value expected back): every choice of a discrete set, a point inside a range, or the
    hand-picked value."""
    return [(value, value) for value in pymeasure_choices(cls, name)] or [HAND_PICKED[name]]


def open_scope(served: Any) -> KeysightDSOX1102G:
    """The driver as its users open it: it fixes its own 6 s timeout (so the harness's is set afterwards); a LAN
    socket needs the scope's newline termination (:data:`drivers.OPENING`)."""
    return open_driver(KeysightDSOX1102G, served)


def channels(scope: KeysightDSOX1102G) -> list[Channel]:
    return [Channel(scope, n) for n in (1, 2, 3, 4)]


def dut_voltage(served: Any) -> float:
    return served.bench.dut.operating_point(BIAS)[0]


def sync(scope: KeysightDSOX1102G) -> None:
    """A round trip: over TCP the writes sent so far have been executed when it returns."""
    assert scope.ask("*OPC?").strip() == "1"


def running(scope: KeysightDSOX1102G) -> bool:
    return bool(int(float(scope.ask(":OPERegister:CONDition?"))) & 8)  # bit 3: Run


# --------------------------------------------------------------------------------------------- oscilloscope
def test_pymeasure_reads_every_property(transport):
    with serve(SCOPE, transport) as served:
        served.bench.apply_bias(served, BIAS)
        scope = open_scope(served)
        values = {name: getattr(scope, name) for name in pymeasure_readable(KeysightDSOX1102G)}
        per_channel = [{name: getattr(ch, name) for name in pymeasure_readable(Channel)} for ch in channels(scope)]
        scope.adapter.close()
        assert_clean(served.twin)
    assert values["id"] == "KEYSIGHT TECHNOLOGIES,DSOX3024T,MY58260123,07.50.2021102830"
    assert values["timebase"] == {"MODE": "MAIN", "REF": "CENT", "MAIN:RANG": 1e-3, "POS": 0.0}  # *RST: 100 µs/div
    assert values["next_error"] == [0, '"No error"'] and values["complete"] == "1"
    assert values["waveform_preamble"]["points"] == 1000
    assert values["waveform_preamble"]["format"] == "ASCII"  # reading waveform_data (before it) switched to ASCii
    assert values["waveform_preamble"]["xincrement"] == pytest.approx(1e-6)  # 1 ms over 1000 points
    assert len(values["waveform_data"]) == 1000  # a fresh screen of the running scope, in ASCii
    assert np.mean(values["waveform_data"]) == pytest.approx(dut_voltage(served), abs=5e-3)
    assert values["system_setup"].startswith("#8")
    config = [ch["current_configuration"] for ch in per_channel]
    assert [c["DISP"] for c in config] == [True, False, False, False]  # *RST: only channel 1 on
    assert config[0] == {"CHAN": 1, "RANG": 4.0, "OFFS": 0.0, "COUP": "DC", "IMP": "ONEM", "DISP": True,
                         "BWL": False, "INV": False, "LAB": '"1"', "UNIT": "VOLT", "PROB": 1.0, "PROB:SKEW": 0.0,
                         "STYP": "SING"}
    assert [ch["label"] for ch in per_channel] == ['"1"', '"2"', '"3"', '"4"']  # quoted: see HAND_PICKED
    assert {"ch1.label", "ch2.label"} <= DRIVER_BUGS["pymeasure.instruments.keysight.KeysightDSOX1102G"].keys()
    assert all(ch["scale"] == 0.5 and ch["range"] == 4.0 and ch["coupling"] == "dc" for ch in per_channel)


def test_pymeasure_sets_every_settable_property_and_reads_it_back(transport):
    with serve(SCOPE, transport) as served:
        scope = open_scope(served)
        targets = [(scope, KeysightDSOX1102G), *((ch, Channel) for ch in channels(scope))]
        checked = set()
        for target, cls in targets:
            for name in pymeasure_settable(cls):
                if name in NOT_SET_IN_THE_LOOP or name == "_digitize":  # _digitize: see the digitize test
                    continue
                original = getattr(target, name)
                for value, expected in candidate_values(cls, name):
                    before = getattr(target, name)
                    setattr(target, name, value)
                    if (name, value) in NOT_ON_THE_3000X:
                        assert getattr(target, name) == before
                        assert [code for code, _ in error_entries(served.twin)] == [-224]
                        continue
                    assert same(getattr(target, name), expected), (name, value)
                    assert_clean(served.twin)
                    checked.add(name)
                setattr(target, name, original.strip('"') if name == "label" else original)
        scope.adapter.close()
        assert_clean(served.twin)
    assert {"acquisition_mode", "acquisition_type", "timebase_mode", "timebase_scale", "waveform_points",
            "waveform_source", "bwlimit", "coupling", "probe_attenuation", "range", "scale"} <= checked


def test_digitize_every_source_the_3000x_has_and_refuses_the_others(transport):
    """Driver: ``digitize`` offers the 1000 X's ABUS and EXT; the 3000 X digitizes channels, math and the FFT only
    and refuses the others with -224, staying as it was."""
    with serve(SCOPE, transport) as served:
        scope = open_scope(served)
        digitize_values = pymeasure_option(KeysightDSOX1102G, "_digitize", "values")
        for source in digitize_values:
            scope.run()
            scope.digitize(source)
            if ("_digitize", source) in NOT_ON_THE_3000X:
                assert running(scope) and [code for code, _ in error_entries(served.twin)] == [-224]
            else:
                assert not running(scope), source  # :DIGitize acquires once and stops
        assert scope.ch2.display is True  # digitizing a channel turns it on
        assert scope.ask(":FUNCtion:DISPlay?;:FFT:DISPlay?").strip() == "1;1"
        scope.adapter.close()
        assert_clean(served.twin)


def test_download_data_follows_the_dut_and_the_points_asked_for(transport):
    with serve(SCOPE, transport) as served:
        served.bench.apply_bias(served, BIAS)
        scope = open_scope(served)
        v = dut_voltage(served)
        scope.ch1.setup(scale=0.01, offset=round(v, 3))
        scope.timebase_setup(scale=1e-4)
        scope.digitize("channel1")
        sync(scope)
        t0 = served.bench.time
        data, preamble = scope.download_data("channel1", points=2000)  # stopped: the 1000-point record
        assert served.bench.time == t0  # a stopped scope sends what it has
        assert len(data) == preamble["points"] == 1000 and preamble["type"] == "NORMAL"
        assert preamble["xincrement"] == pytest.approx(1e-6) and preamble["xorigin"] == pytest.approx(-5e-4)
        assert np.mean(data) == pytest.approx(v, abs=1e-3) and np.std(data) == pytest.approx(2e-4, rel=0.2)
        scope.run()
        data, preamble = scope.download_data("channel1")  # running: a fresh 62 500-point screen
        assert len(data) == preamble["points"] == 62_500 and served.bench.time == pytest.approx(t0 + 2e-3)
        scope.waveform_points = 500
        data, preamble = scope.download_data("channel1", points=500)
        assert len(data) == 500 and preamble["xincrement"] == pytest.approx(2e-6)
        scope.single()
        assert not running(scope)
        scope.stop()
        sync(scope)
        scope.adapter.close()
        assert_clean(served.twin)


def test_binary_transfer_matches_the_preamble(transport):
    with serve(SCOPE, transport) as served:
        served.bench.apply_bias(served, BIAS)
        scope = open_scope(served)
        v = dut_voltage(served)
        scope.write(f":CHAN1:SCAL 0.01;:CHAN1:OFFS {v:.4f};:WAV:POIN 4000;:WAV:POIN:MODE RAW;:DIG CHAN1")
        for fmt, dtype, unsigned in (("BYTE", "B", 1), ("WORD", "H", 1), ("WORD", "h", 0)):
            scope.write(f":WAV:FORM {fmt};:WAV:UNS {unsigned};:WAV:BYT MSBF")
            pre = [float(x) for x in scope.ask(":WAV:PRE?").split(",")]
            codes = scope.adapter.connection.query_binary_values(":WAV:DATA?", datatype=dtype, is_big_endian=True,
                                                                 container=np.array)
            volts = (codes - pre[9]) * pre[7] + pre[8]
            assert len(codes) == pre[2] == 4000 and np.mean(volts) == pytest.approx(v, abs=1e-3), fmt
        scope.adapter.close()
        assert_clean(served.twin)


def test_measurements_answer_in_nr3_and_9_9e37_when_not_measurable(transport):
    with serve(SCOPE, transport) as served:
        served.bench.apply_bias(served, BIAS)
        scope = open_scope(served)
        v = dut_voltage(served)
        scope.ch1.setup(scale=0.01, offset=round(v, 3))
        scope.digitize("channel1")
        assert float(scope.ask(":MEASure:VAVerage? CHAN1")) == pytest.approx(v, abs=1e-3)
        assert float(scope.ask(":MEASure:VRMS? DISPlay,AC,CHAN1")) == pytest.approx(2e-4, rel=0.2)  # the noise
        assert float(scope.ask(":MEASure:VPP?")) < 3e-3  # :MEASure:SOURce defaults to CHAN1
        for query in (":MEASure:FREQuency? CHAN1", ":MEASure:RISetime?", ":MEASure:VMAX? CHAN2"):
            assert scope.ask(query).strip() == "+9.9E+37"  # a DC level has no edges; channel 2 is off
        scope.ch1.offset = v + 0.1  # the trace is now 10 divisions below the centre: clipped
        scope.digitize("channel1")
        assert float(scope.ask(":MEASure:VMIN?")) == NOT_MEASURABLE
        scope.write(":MEASure:CLEar;:MEASure:VAVerage CHAN1;:MEASure:VPP CHAN1;:MEASure:STATistics CURRent")
        current = [float(x) for x in scope.ask(":MEASure:RESults?").split(",")]
        assert current[0] == pytest.approx(v + 0.1 - 127 * 8 * 0.01 / 250, abs=1e-4)  # pinned at the bottom
        assert current[1] == NOT_MEASURABLE
        scope.adapter.close()
        assert_clean(served.twin)


def test_autoscale_default_setup_and_factory_reset(transport):
    with serve(SCOPE, transport) as served:
        served.bench.apply_bias(served, BIAS)
        scope = open_scope(served)
        scope.ch2.display = True
        scope.autoscale()
        v = dut_voltage(served)
        assert scope.ch1.display is True and scope.ch2.display is False  # channel 2 carries no signal
        assert scope.ch1.offset == pytest.approx(v, abs=1e-3) and scope.ch1.scale <= 0.01
        assert scope.ask(":TRIGger:EDGE:SOURce?").strip() == "CHAN1" and running(scope)
        scope.timebase_scale, scope.acquisition_type = 1e-3, "average"
        scope.default_setup()
        assert (scope.timebase_scale, scope.acquisition_type, scope.ch1.scale) == (1e-4, "normal", 0.5)
        scope.ch1.scale = 1
        scope.factory_reset()
        assert scope.ch1.scale == 0.5
        scope.write(":CHANnel1:BOGus 1")
        scope.clear_status()  # *CLS empties the error queue
        sync(scope)
        scope.adapter.close()
        assert_clean(served.twin)


def test_trigger_and_acquisition_modes(transport):
    with serve(SCOPE, transport) as served:
        served.bench.apply_bias(served, BIAS)
        scope = open_scope(served)
        scope.write(":TRIG:MODE EDGE;:TRIG:SWE NORM;:TRIG:EDGE:SOUR CHAN2;:TRIG:EDGE:LEV 0.15;:TRIG:EDGE:SLOP NEG;"
                    ":TRIG:HOLD 1e-6;:TRIG:EDGE:LEV 0.3,CHAN1")
        assert scope.ask(":TRIG:MODE?;SWE?;EDGE:SOUR?;LEV?;SLOP?;:TRIG:HOLD?").strip() == \
            "EDGE;NORM;CHAN2;+150.0E-03;NEG;+1.0E-06"
        assert scope.ask(":TRIG:EDGE:LEV? CHAN1").strip() == "+300.0E-03"  # levels are kept per source
        scope.ch1.setup(scale=0.01, offset=round(dut_voltage(served), 3))
        noise = {}
        for kind in ("normal", "average"):
            scope.acquisition_type = kind
            scope.write(":ACQuire:COUNt 16")
            scope.digitize("channel1")
            data, preamble = scope.download_data("channel1", points=1000)
            noise[kind] = np.std(data)
            assert preamble["type"] == kind.upper() and preamble["count"] == (16 if kind == "average" else 1)
        assert noise["average"] == pytest.approx(noise["normal"] / 4, rel=0.25)  # 16 screens averaged
        scope.acquisition_mode = "segmented"
        assert scope.ask(":ACQuire:MODE?;SEGMented:COUNt?").strip() == "SEGM;2"
        scope.adapter.close()
        assert_clean(served.twin)


def test_system_setup_restores_what_it_saved(transport):
    with serve(SCOPE, transport) as served:
        scope = open_scope(served)
        scope.timebase_scale, scope.ch1.scale, scope.waveform_format = 2e-4, 0.05, "word"
        saved = scope.system_setup
        scope.default_setup()
        scope.system_setup = saved
        assert (scope.timebase_scale, scope.ch1.scale, scope.waveform_format) == (2e-4, 0.05, "word")
        scope.write(":SYSTem:SETup #800000004beef")
        sync(scope)
        assert [code for code, _ in error_entries(served.twin)] == [-224]
        scope.adapter.close()
        assert_clean(served.twin)


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature and that its pixels decompress."""
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[12:16] == b"IHDR"
    width, height = struct.unpack(">II", image[16:24])
    idat = image.index(b"IDAT")
    (length,) = struct.unpack(">I", image[idat - 4:idat])
    assert len(zlib.decompress(image[idat + 4:idat + 4 + length])) == height * (3 * width + 1)
    return width, height


def test_download_image(transport):
    """Driver design: ``download_image`` reads byte by byte until the VISA read times out, rather than reading the
    ``#8`` block's length, so every image costs one timeout over a socket (and a megabyte-sized bitmap takes
    seconds in-process): the driver reads the PNG; the bitmaps are read as the block they are."""
    with serve(SCOPE, transport) as served:
        scope = open_scope(served)
        assert png_size(bytes(scope.download_image("png"))) == (800, 480)
        for query, depth, size in ((":DISPlay:DATA? BMP8bit, GRAYscale", 8, 1078 + 800 * 480),
                                   (":DISPlay:DATA?", 24, 54 + 3 * 800 * 480)):  # default: BMP, colour
            bmp = scope.adapter.connection.query_binary_values(query, datatype="B", container=bytes)
            assert bmp[:2] == b"BM" and struct.unpack("<iiHH", bmp[18:30]) == (800, 480, 1, depth)
            assert len(bmp) == struct.unpack("<I", bmp[2:6])[0] == size
        scope.adapter.close()
        assert_clean(served.twin)


def test_driver_bugs_in_number_formats(transport):
    """Driver bug: the timebase and vertical setters format with ``%f`` (six decimals), so 5 ns/div is sent as
    ``:TIMebase:SCALe 0.000000``; the scope refuses 0 s/div with -222 and keeps its scale. A label with a space
    reads back fine, but ``current_configuration`` splits the channel setup at spaces and fails on it."""
    with serve(SCOPE, transport) as served:
        scope = open_scope(served)
        scope.timebase_scale = 5e-9
        assert scope.timebase_scale == 1e-4 and [code for code, _ in error_entries(served.twin)] == [-222]
        scope.ch1.label = "A B"
        with pytest.raises(ValueError):
            scope.ch1.current_configuration  # noqa: B018
        scope.adapter.close()
        assert_clean(served.twin)


def test_reply_formats_follow_the_programmers_guide(transport):
    with serve(SCOPE, transport) as served:
        scope = open_scope(served)
        assert scope.ask(":WAVeform?").strip() == ":WAV:UNS 1;VIEW MAIN;BYT MSBF;FORM BYTE;POIN +1000;SOUR CHAN1;" \
                                                  "SOUR:SUBS NONE"
        assert scope.ask(":TIMebase?").strip() == ":TIM:MODE MAIN;REF CENT;MAIN:RANG +1.0E-03;POS +0.0E+00"
        assert scope.ask(":CHANnel1:SCALe?;:TIMebase:SCALe?").strip() == "+500.0E-03;+100.0E-06"
        scope.write(":CHANnel1:OFFSet 1000")  # out of range: set to the nearest legal value, no error
        assert scope.ask(":CHANnel1:OFFSet?").strip() == "+40.0E+00"
        scope.write(":CHANnel5:SCALe 1")
        assert scope.ask(":SYSTem:ERRor?").strip().startswith("-114,") and scope.ask(":SYST:ERR?").strip() == \
            '+0,"No error"'
        scope.write(":DIG CHAN1;:WAV:FORM BYTE")
        scope.write(":WAV:DATA?")
        assert scope.read_bytes(10) == b"#800001000"  # the #8 block header of every format
        scope.read_bytes(1001)
        scope.adapter.close()
        assert_clean(served.twin)


# --------------------------------------------------------------------------------------------- 707B over pyvisa
def open_switch(served: Any) -> Any:
    return open_visa(served)


def test_707b_identity_reset_and_node_attributes(transport):
    with serve(SWITCH, transport) as served:
        matrix = open_switch(served)
        assert matrix.query("*IDN?").split(",") == ["Keithley Instruments Inc.", "Model 707B", "04161337", "01.40a"]
        assert matrix.query("print(localnode.model, localnode.serialno, localnode.revision)").split("\t") == \
            ["707B", "04161337", "01.40a"]
        assert matrix.query("print(localnode.linefreq)") == "60"
        assert matrix.query("print(format.asciiprecision, channel.connectrule, beeper.enable)") == "10\t1\t1"
        matrix.write('channel.close("1A01,2B03")')
        matrix.write("*RST")
        assert matrix.query('print(channel.getclose("allslots"))') == "nil"
        matrix.write('channel.close("1A01") channel.connectrule = channel.MAKE_BEFORE_BREAK format.asciiprecision = 3')
        matrix.write("reset()")
        assert matrix.query('print(channel.getclose("allslots"), channel.connectrule, format.asciiprecision)') == \
            "nil\t1\t10"
        assert matrix.query("*OPC?") == "1" and matrix.query("print(errorqueue.count)") == "0"
        matrix.close()
        assert_clean(served.twin)


def test_707b_manual_examples_close_open_exclusiveclose_getclose(transport):
    with serve(SWITCH, transport) as served:
        matrix = open_switch(served)
        matrix.write('channelList = "1A01:1H12"')  # channel.getclose() example 1
        assert matrix.query('channel.close("1A01") print(channel.getclose(channelList))') == "1A01"
        assert matrix.query('channel.close("1C03") print(channel.getclose(channelList))') == "1A01;1C03"
        matrix.write('channel.open("allslots") channel.close("1B03:1B05")')  # example 2
        assert matrix.query('print(channel.getclose("allslots"))') == "1B03;1B04;1B05"
        matrix.write('channel.open("allslots") channel.pattern.setimage("1B02,1B04,1B06", "Chans")')  # close()
        matrix.write('channel.close("1A01:1A05, 1C03, Chans")')
        assert matrix.query('print(channel.getclose("slot1"))') == "1A01;1A02;1A03;1A04;1A05;1B02;1B04;1B06;1C03"
        matrix.write('channel.exclusiveclose("") channel.close("1D01,1E12")')  # exclusiveclose() example
        assert matrix.query('print(channel.getclose("slot1"))') == "1D01;1E12"
        matrix.write('channel.pattern.setimage("1B02,1B04,1B06", "myChans")')
        matrix.write('channel.exclusiveclose("1A01:1A05, 1C03, myChans")')
        assert matrix.query('print(channel.getclose("slot1"))') == "1A01;1A02;1A03;1A04;1A05;1B02;1B04;1B06;1C03"
        matrix.write('channel.close("2A01") channel.exclusiveslotclose("1H12")')  # slot 2 is left alone
        assert matrix.query('print(channel.getclose("allslots"))') == "1H12;2A01"
        assert matrix.query('print(channel.getcount("1H12,2A01,3A01"))') == "1,1,0"
        matrix.close()
        assert_clean(served.twin)


def test_707b_routes_the_array_and_takes_settling_time(transport):
    with serve(SWITCH, transport) as served:
        matrix = open_switch(served)
        word, bit = crosspoint_of_line("word", 2), crosspoint_of_line("bit", 3)
        t0 = served.bench.time
        matrix.write(f'channel.exclusiveclose("{word},{bit}")')
        assert matrix.query("*OPC?") == "1"  # a round trip: the write has been executed
        assert served.twin.closed == {word, bit} and np.argwhere(served.bench.dut.selected).tolist() == [[1, 2]]
        assert served.bench.time - t0 == pytest.approx(3e-3)
        matrix.write(f'channel.setdelay("{word}", 0.05) channel.open("allslots") channel.close("{word}")')
        assert matrix.query(f'print(channel.getdelay("{word}"))') == "0.05"
        assert served.bench.time - t0 == pytest.approx(3 * 3e-3 + 0.05)
        matrix.write("delay(0.5)")
        assert matrix.query("*OPC?") == "1" and served.bench.time - t0 == pytest.approx(0.559)
        matrix.write('channel.open("allslots")')
        assert matrix.query("*OPC?") == "1" and not served.bench.dut.selected.any()
        matrix.close()
        assert_clean(served.twin)


def test_707b_error_queue_codes_and_partial_execution(transport):
    with serve(SWITCH, transport) as served:
        matrix = open_switch(served)
        matrix.write('channel.close("1A01") print(1 +)')  # a syntax error compiles nothing: nothing runs
        matrix.write('channel.close("1A02") foo() channel.close("1A03")')  # runs until the runtime error
        matrix.write('channel.close("allslots")')  # closing whole slots is refused
        matrix.write('channel.close("7A01")')
        matrix.write("errorqueue.count = 0")
        assert matrix.query('print(channel.getclose("allslots"))') == "1A02"
        assert matrix.query("print(errorqueue.count)") == "5"
        assert int(matrix.query("*STB?")) & 0x04  # error available
        entries = [matrix.query("print(errorqueue.next())").split("\t") for _ in range(5)]
        assert [e[0] for e in entries] == ["-285", "-286", "-1115", "-1115", "-286"]
        assert entries[0][1] == "TSP Syntax error at line 1: unexpected symbol near `)'"
        assert entries[1][1] == "TSP Runtime error at line 1: attempt to call global `foo' (a nil value)"
        assert all(e[2:] == ["20", "1"] for e in entries)  # severity 20 (recoverable), node 1
        assert matrix.query("print(errorqueue.next())") == "0\tQueue Is Empty\t0\t0"
        matrix.write("bogus.call() *IDN?")
        assert matrix.query("errorcode, message = errorqueue.next() print(errorcode)") == "-285"
        matrix.write("channel.close(1)")
        assert matrix.query("print(errorqueue.count)") == "1"
        matrix.write("errorqueue.clear()")
        assert matrix.query("print(errorqueue.count)") == "0"
        matrix.write("*XYZ")
        assert matrix.query("print(errorqueue.count)") == "1"
        matrix.write("*CLS")
        assert matrix.query("print(errorqueue.count)") == "0"
        matrix.close()
        assert_clean(served.twin)


def test_707b_prints_numbers_with_ascii_precision_and_prompts(transport):
    with serve(SWITCH, transport) as served:
        matrix = open_switch(served)
        assert matrix.query("print(2.54, 3.14159265, true, 1/4 + 2*3)") == "2.54\t3.14159265\ttrue\t6.25"
        assert matrix.query("format.asciiprecision = 3 print(3.14159265) printnumber(2.54, 1e-5)") == "3.14"
        assert matrix.read() == "2.54, 1e-05"
        assert matrix.query("print(tostring(nil), tonumber('12'), x)") == "nil\t12\tnil"
        assert matrix.query("localnode.prompts = 1") == "TSP>"  # prompts follow every message from now on
        assert matrix.query("print(errorqueue.count)") == "0" and matrix.read() == "TSP>"
        assert matrix.query("bad") == "TSP?"  # an error is queued
        matrix.write("localnode.prompts = 0 errorqueue.clear()")
        assert matrix.query("print(errorqueue.count)") == "0"
        matrix.close()
        assert_clean(served.twin)


def test_project_driver_over_both_transports(transport):
    with serve(SWITCH, transport) as served:
        kwargs = dict(served.pymeasure_kwargs)
        matrix = Keithley707B(served.resource, **kwargs)
        matrix.exclusive_close(["1a02", "2B07"])
        assert matrix.closed() == served.twin.closed == {"1A02", "2B07"}
        with pytest.raises(InstrumentError, match="-1115"):
            matrix.close(["1I01"])
        matrix.open_all()
        assert matrix.closed() == set()
        matrix.adapter.close()
        assert_clean(served.twin)
