"""The field bench with unmodified third-party drivers: PyMeasure's Kepco BOP 36-12 and Lake Shore 425 drivers and
Lake Shore's own ``lakeshore.Model425``, against the virtual twins over the in-process VISA library and over TCP.

PyMeasure's properties are enumerated from the driver classes (every property with a getter is read, every one
whose setter sends a command is set to a value its own validator accepts and read back), so a driver upgrade is
covered without editing this file.

``lakeshore.Model425`` opens its own TCP socket (``ip_address=``, ``tcp_port=``) or serial port, not VISA; it
also accepts any ``connection=`` object with ``write``/``query``/``clear``, which is how it reaches the
in-process library here (a pyvisa resource).
"""

from __future__ import annotations

import socket
from typing import Any

import drivers
import pytest
from conftest import assert_clean, error_entries, make_twin, serve
from drivers import pymeasure_readable, pymeasure_sent, pymeasure_settable, pymeasure_stubs, pymeasure_value, same
from lakeshore import Model425
from pymeasure.instruments.kepco import KepcoBOP3612, kepcobop
from pymeasure.instruments.lakeshore import LakeShore425

#: Each twin's PyMeasure driver (the terminations its users set: :data:`drivers.OPENING`).
DRIVERS = {"kepco-bop": KepcoBOP3612, "lakeshore425": LakeShore425}

#: Setters written by hand (a plain ``@property``): no validator to draw a value from, so the value is given.
HAND_WRITTEN_VALUES = {
    "mode": (1, 0, 2),  # LakeShore425.mode: RDGMODE <DC>,<filter off>,<narrow band>
}


def open_driver(name: str, served: Any) -> Any:
    return drivers.open_driver(DRIVERS[name], served)


@pytest.mark.parametrize("name", DRIVERS)
def test_pymeasure_reads_every_property(name, transport):
    driver = DRIVERS[name]
    with serve(name, transport) as served:
        inst = open_driver(name, served)
        values = {prop: getattr(inst, prop) for prop in pymeasure_readable(driver)}
        for stub in pymeasure_stubs(driver):  # left out above: PyMeasure raises before sending anything
            with pytest.raises(NotImplementedError):
                getattr(inst, stub)
        inst.adapter.close()
        assert_clean(served.twin)
    assert all(value is not None and value != "" for value in values.values()), values
    if name == "kepco-bop":
        assert values["id"].startswith("KEPCO,BIT 4886 36-12")
        assert values["operating_mode"] == "VOLT" and values["output_enabled"] is False
        assert values["confidence_test"] == values["bop_test"] == kepcobop.TestErrorCode.OK
        assert values["next_error"] == [0, '"No error"'] and values["complete"] == "1"
    else:
        assert values["unit"] == "G" and values["mode"] == (1, 0, 1) and values["range"] == 35
        assert values["field"] == pytest.approx(0.2, abs=0.01)  # the probe's 20 µT zero offset, in gauss


@pytest.mark.parametrize("name", DRIVERS)
def test_pymeasure_sets_every_settable_property_and_reads_it_back(name, transport):
    driver = DRIVERS[name]
    with serve(name, transport) as served:
        inst = open_driver(name, served)
        for prop in pymeasure_settable(driver):
            value = pymeasure_value(driver, prop, getattr(inst, prop), HAND_WRITTEN_VALUES)
            setattr(inst, prop, value)
            assert same(getattr(inst, prop), pymeasure_sent(driver, prop, value)), prop
        inst.adapter.close()
        assert_clean(served.twin)
    expected = {"current_setpoint", "operating_mode", "output_enabled", "voltage_setpoint"} \
        if name == "kepco-bop" else {"mode", "range", "unit"}
    assert expected <= set(pymeasure_settable(driver))


def test_bop_drives_the_magnet_in_current_and_voltage_mode(transport):
    with serve("kepco-bop", transport) as served:
        bop = open_driver("kepco-bop", served)
        bop.reset()
        bop.operating_mode, bop.voltage_setpoint, bop.current_setpoint = "CURR", 20, 2
        bop.output_enabled = True
        bop.wait_to_continue()
        assert bop.complete == "1"  # a round trip: over TCP the writes above are processed by now
        assert served.bench.magnet.current == 2.0
        assert bop.current == pytest.approx(2.0, abs=1e-3)
        assert bop.voltage == pytest.approx(2.0 * served.bench.magnet.resistance, abs=1e-2)
        assert bop.ask("STAT:OPER:COND?").strip() == "1024"  # constant current
        bop.write("STAT:OPER:ENAB 1024")
        assert int(bop.status) & 0x80  # the latched CC event, enabled, sums into status byte bit 7
        bop.voltage_setpoint = 1  # compliance: 1 V across the 2 Ω coil allows 0.5 A only
        assert bop.current == pytest.approx(0.5, abs=1e-3)
        assert bop.ask("STAT:OPER:COND?").strip() == "256"  # now regulating voltage
        bop.operating_mode, bop.voltage_setpoint, bop.current_setpoint = "VOLT", 10, 1
        assert bop.current == pytest.approx(1.0, abs=1e-3)  # 10 V would drive 5 A: the 1 A limit holds
        bop.output_enabled = False
        assert bop.current == pytest.approx(0.0, abs=1e-3) and served.bench.magnet.current == 0.0
        bop.beep()
        bop.clear()
        assert bop.check_errors() == []
        assert bop.ask("CURR?").strip() == "1.00000E0"  # the BIT 4886 number format
        bop.adapter.close()
        assert served.twin.beeps == 1
        assert_clean(served.twin)


def test_bop_reports_refused_values_through_its_error_queue(transport):
    with serve("kepco-bop", transport) as served:
        bop = open_driver("kepco-bop", served)
        bop.write("VOLT 40")  # beyond ±36 V (PyMeasure's own setter truncates, so only a raw write gets here)
        assert int(bop.ask("*ESR?")) & 0x10  # execution error
        assert [int(err[0]) for err in bop.check_errors()] == [-222]
        bop.write("VOLT 50;:FUNC:MODE OHMS")
        assert bop.ask("SYST:ERR:CODE:ALL?").strip() == "-222"  # the rest of the message was not executed
        assert bop.voltage_setpoint == 0.0
        bop.adapter.close()
        assert_clean(served.twin)


def test_425_reads_the_bench_field_in_every_unit(transport):
    with serve("lakeshore425", transport) as served:
        probe = open_driver("lakeshore425", served)
        served.bench.magnet.set_current(1.0)
        served.bench.advance(0.2)  # ten coil time constants
        b = served.bench.field + served.twin.probe_offset
        for unit, per_tesla in [("T", 1.0), ("G", 1e4), ("Oe", 1e4), ("A/m", 1 / (4e-7 * 3.141592653589793))]:
            probe.unit = unit
            assert probe.field == pytest.approx(b * per_tesla, rel=2e-4)
        assert probe.range == 350  # auto range: 300 G fits the 350 G range
        probe.unit = "G"
        mean, std = probe.measure(5, delay=0)
        assert mean == pytest.approx(b * 1e4, rel=2e-4) and std < 0.1
        probe.range = 35  # overload: the 425 answers OL
        assert probe.ask("RDGFIELD?").strip() == "OL"
        probe.ac_mode()  # RMS of a static field: only the noise is left
        assert probe.mode == (2, 1, 1) and abs(probe.field) < 1e-3
        probe.dc_mode(wideband=False)
        assert probe.mode == (1, 0, 2)
        probe.adapter.close()
        assert_clean(served.twin)


def test_425_zero_probe_removes_the_probe_offset(transport):
    with serve("lakeshore425", transport) as served:
        probe = open_driver("lakeshore425", served)
        assert probe.field == pytest.approx(0.2, abs=0.01)
        probe.zero_probe()
        assert probe.field == pytest.approx(0.0, abs=0.01)
        assert int(probe.ask("OPST?")) & 0x80  # zero probe done
        probe.adapter.close()
        assert_clean(served.twin)


def test_425_auto_range_driver_bug(transport):
    """PyMeasure bug: ``LakeShore425.auto_range()`` sends a bare ``AUTO``; the 425 manual's command is
    ``AUTO <off/on>``. The twin treats the missing parameter as a command error, as the 425 flags refused commands:
    the CME bit of ``*ESR?`` and nothing changes. ``AUTO 1`` is what turns auto range on."""
    with serve("lakeshore425", transport) as served:
        probe = open_driver("lakeshore425", served)
        probe.range = 3500
        probe.auto_range()
        assert int(probe.ask("*ESR?")) & 0x20  # command error
        assert probe.ask("AUTO?").strip() == "0" and probe.range == 3500
        assert [code for code, _ in error_entries(served.twin)] == [-109]
        probe.write("AUTO 1")
        assert probe.ask("AUTO?").strip() == "1" and probe.range == 35
        probe.adapter.close()
        assert_clean(served.twin)


def open_model425(served: Any) -> tuple[Model425, Any]:
    """Lake Shore's own driver: its TCP client on the served port, or a pyvisa resource as its ``connection``."""
    if served.transport == "tcp":
        host, port = served.resource.split("::")[1:3]
        return Model425(ip_address=host, tcp_port=int(port), timeout=1.5), None
    resource = drivers.open_visa(served, read_termination="\r\n")
    return Model425(connection=resource), resource


def test_lakeshore_package_connects_and_queries(transport):
    with serve("lakeshore425", transport) as served:
        meter, resource = open_model425(served)
        assert (meter.model_number, meter.serial_number, meter.firmware_version) == ("MODEL425", "4250123", "1.0")
        assert meter.option_card_serial is None
        assert float(meter.query("RDGFIELD?")) == pytest.approx(0.2, abs=0.01)
        meter.command("UNIT 2")
        assert meter.query("UNIT?;RANGE?") == "2;1"
        assert meter.query("ALARM?") == "0,1,+0.0000E+00,+0.0000E+00,1,0,0"
        if resource is None:
            meter.disconnect_tcp()
        else:
            resource.close()
        assert_clean(served.twin)


def test_425_ends_replies_with_cr_lf_over_tcp():
    """``Model425`` reads a TCP reply until CR LF: a twin ending replies with LF alone made it time out."""
    with serve("lakeshore425", "tcp") as served:
        host, port = served.resource.split("::")[1:3]
        with socket.create_connection((host, int(port)), timeout=1.5) as sock:
            sock.sendall(b"*IDN?\r\n")
            assert sock.recv(256) == b"LSCI,MODEL425,4250123,1.0\r\n"


def test_425_has_no_error_queue_and_flags_errors_in_its_event_register():
    twin, _, _ = make_twin("lakeshore425")
    assert twin.handle("*ESR?") == "128"  # power on
    for message in ("SYST:ERR?", "*OPT?", "RDGFELD?"):  # unknown headers on the 425: no reply, CME
        assert twin.handle(message) is None
        assert twin.handle("*ESR?") == "32"
    twin.handle("UNIT 7")
    assert twin.handle("*ESR?") == "16" and twin.handle("UNIT?") == "1"  # execution error, unit unchanged
    twin.handle("*ESE 48;*SRE 32;RANGE 9")
    assert twin.handle("*STB?") == "96"  # ESB and MSS; no "error available" bit: there is no queue
    assert twin.handle("?") == "96"  # '?' alone repeats the last query
    assert [code for code, _ in error_entries(twin)] == [-113, -113, -113, -222, -222]
