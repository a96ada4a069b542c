"""Keithley 707B driver protocol and its TSP virtual twin."""

import pytest
from pymeasure.test import expected_protocol

from mtjhw.instruments.errors import InstrumentError
from mtjhw.instruments.keithley707b import Keithley707B
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.instruments.keithley707b import Keithley707B as Virtual707B
from mtjhw.simulators.instruments.keithley707b import parse_channel_list


def test_driver_protocol():
    with expected_protocol(Keithley707B, [
        ('channel.exclusiveclose("1A01,1B03")', None),
        ("print(errorqueue.count)", "0"),
        ('print(channel.getclose("allslots"))', "1A01;1B03"),
        ('channel.open("allslots")', None),
        ("print(errorqueue.count)", "1"),
        ("print(errorqueue.next())", "-1115\tinvalid channel list entry\t2\t0"),
    ]) as matrix:
        matrix.exclusive_close(["1a01", "1B03"])
        assert matrix.closed() == {"1A01", "1B03"}
        with pytest.raises(InstrumentError, match="-1115"):
            matrix.open_all()


def test_twin_closes_opens_and_reports_errors():
    matrix = Virtual707B(VirtualBench())
    assert matrix.handle("*IDN?").startswith("Keithley Instruments Inc.,Model 707B")
    matrix.handle('channel.close("1A01:1A03,2H12")')
    assert matrix.handle('print(channel.getclose("allslots"))') == "1A01;1A02;1A03;2H12"
    matrix.handle('channel.exclusiveclose("1B05")')
    assert matrix.handle('print(channel.getclose("slot1"))') == "1B05"
    matrix.handle('channel.open("allslots")')
    assert matrix.handle('print(channel.getclose("allslots"))') == "nil"
    matrix.handle('channel.close("1Z99")')
    matrix.handle("bogus.call()")
    assert matrix.handle("print(errorqueue.count)") == "2"
    assert matrix.handle("print(errorqueue.next())").startswith("-1115\t")
    assert matrix.handle("print(errorqueue.next())").startswith("-286\t")
    assert matrix.handle("print(errorqueue.next())") == "0\tQueue Is Empty\t0\t0"


def test_driver_against_twin_through_virtual_visa():
    from mtjhw.simulators.transport import VirtualVisaLibrary

    bench = VirtualBench()
    twin = Virtual707B(bench)
    library = VirtualVisaLibrary.for_instruments({"GPIB0::16::INSTR": twin}, lock=bench.lock)
    matrix = Keithley707B("GPIB0::16::INSTR", visa_library=library)
    matrix.exclusive_close(["1A02", "1C07"])
    assert matrix.closed() == twin.closed == {"1A02", "1C07"}
    t0 = bench.time
    matrix.open_all()
    assert twin.closed == set() and bench.time > t0  # relays take simulated settling time
    with pytest.raises(RuntimeError, match="invalid channel"):
        matrix.close(["9A01"])


@pytest.mark.parametrize(("text", "count"), [("1A01", 1), ("1A01:1B12", 24), ("slot3", 96), ("allslots", 576),
                                             ("1a01, 1A01", 1)])
def test_channel_lists(text, count):
    assert len(parse_channel_list(text)) == count
