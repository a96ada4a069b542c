"""Conformance of the virtual Keysight 33522B (33500 series) and 81160A with QCoDeS and PyMeasure, unmodified.

Every gettable parameter / readable property is read, every settable one is set to a valid value taken from the
driver's own validator and read back (then ``*RST``), and the drivers' burst, trigger, APPLy and waveform operations
run, over the in-process VISA library and over TCP, with no timeout and an empty error queue. Where a driver
sends what the real instrument refuses, the test names the driver bug and checks the refusal is the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from conftest import assert_clean, error_entries, serve
from drivers import (
    DRIVER_BUGS,
    open_driver,
    pymeasure_choices,
    pymeasure_readable,
    pymeasure_sent,
    pymeasure_settable,
    pymeasure_targets,
    pymeasure_value,
    qcodes_parameters,
    qcodes_value,
    same,
    short_form,
)
from pymeasure.instruments.agilent import Agilent33500
from pymeasure.instruments.keysight import Keysight81160A
from pyvisa.errors import VisaIOError
from qcodes.instrument_drivers.Keysight import Keysight33522B

#: Values for parameters whose driver gives no validator, or whose validator range holds values the instrument's
#: couplings refuse at *RST (a high level below the low one, a pulse wider than its period).
CHOSEN = {"amplitude": 0.3, "offset": 0.1, "voltage_high": 1.0, "voltage_low": -0.5, "pulse_width": 40e-9,
          "output_load": 1e3}

#: PyMeasure Keysight81160A properties that send 33500-series headers the 81160A does not have (inherited from
#: Agilent33500 and not overridden; :data:`drivers.DRIVER_BUGS` says which header): property (``channel.name`` on a
#: channel) → the error the real instrument queues, and whether reading, setting or both send the wrong header.
BOTH = ("get", "set")
PYMEASURE_81160A_BUGS: dict[str, tuple[int, tuple[str, ...]]] = {
    **{p: (-113, BOTH) for p in ("arb_advance", "arb_filter", "arb_srate", "ext_trig_out")},
    "arb_file": (-113, ("set",)), "display": (-113, ("set",)),
    **{f"ch_{c}.{p}": (-113, BOTH) for c in (1, 2) for p in ("arb_file", "arb_advance", "arb_filter", "arb_srate")},
    "ch_2.phase": (-114, BOTH),
}
K81160A = "pymeasure.instruments.keysight.Keysight81160A"


def _pymeasure(cls: type, served: Any) -> Any:
    return open_driver(cls, served)


def _properties(inst: Any, bugs: dict, operation: str) -> Iterator[tuple[str, Any, str]]:
    """Every property of ``inst`` and its channels that ``operation`` ("get": readable, "set": settable) covers,
    with no known bug in it; setting a property reads it back, so a setter is left out when either operation has
    one."""
    for where, obj in pymeasure_targets(inst).items():
        for name in pymeasure_readable(obj) if operation == "get" else pymeasure_settable(obj):
            key = f"{where}.{name}" if where else name
            if key not in bugs or (operation == "get" and "get" not in bugs[key][1]):
                yield key, obj, name


PYMEASURE = [("keysight33500b", Agilent33500, {}), ("keysight81160a", Keysight81160A, PYMEASURE_81160A_BUGS)]


@pytest.mark.parametrize(("driver", "cls", "bugs"), PYMEASURE, ids=["33500B", "81160A"])
def test_pymeasure_reads_every_property(driver: str, cls: type, bugs: dict, transport: str) -> None:
    with serve(driver, transport) as served:
        inst = _pymeasure(cls, served)
        replies = {key: getattr(obj, name) for key, obj, name in _properties(inst, bugs, "get")}
        assert_clean(served.twin)
    assert len(replies) >= 60
    assert replies["ch_2.shape"] == "SIN" and replies["id"].split(",")[1] in ("33522B", "81160A")


@pytest.mark.parametrize(("driver", "cls", "bugs"), PYMEASURE, ids=["33500B", "81160A"])
def test_pymeasure_sets_every_property(driver: str, cls: type, bugs: dict, transport: str) -> None:
    with serve(driver, transport) as served:
        inst = _pymeasure(cls, served)
        count = 0
        for _, obj, name in _properties(inst, bugs, "set"):
            if name in ("arb_file", "waveform_volatile"):  # see the arb and the user waveform tests
                continue
            readable = name in pymeasure_readable(obj)
            current = getattr(obj, name) if readable else None
            value = pymeasure_value(obj, name, current, CHOSEN) if readable else "mtjhw"
            setattr(obj, name, value)
            if readable:
                assert same(getattr(obj, name), short_form(pymeasure_sent(obj, name, value))), name
            inst.ask("*RST;*OPC?")  # each property from the *RST state, whose couplings CHOSEN values respect
            assert error_entries(served.twin) == [], f"{name} = {value!r}"
            count += 1
    assert count >= 50


@pytest.mark.parametrize("where", ["", "ch_2"])
def test_pymeasure_33500_burst_is_fired_by_the_bus_trigger(where: str, transport: str) -> None:
    with serve("keysight33500b", transport) as served:
        inst = _pymeasure(Agilent33500, served)
        channel = getattr(inst, where) if where else inst
        ch = 2 if where else 1
        channel.shape, channel.output_load = "PULS", "INF"
        channel.voltage_low, channel.voltage_high = 0.0, 0.3
        channel.pulse_period, channel.pulse_width = 1e-3, 20e-6
        channel.burst_ncycles, channel.burst_state, channel.output = 5, True, True
        inst.write(f"TRIG{ch}:SOUR BUS")  # Agilent33500.trigger_source is channel 1's only
        start = served.bench.time
        inst.trigger()
        inst.wait_for_trigger(timeout=1)
        assert served.twin.bursts_fired == 1
        assert served.bench.time - start == pytest.approx(5 * 1e-3)  # five periods went through the DUT
        assert_clean(served.twin)


def test_pymeasure_33500_arbitrary_waveform_and_front_panel(transport: str) -> None:
    with serve("keysight33500b", transport) as served:
        inst = _pymeasure(Agilent33500, served)
        inst.ch_1.data_volatile_clear()
        inst.ch_1.data_arb("mtjhw_ramp", range(-10000, 10000, 2000))
        inst.data_arb("mtjhw_float", np.linspace(-1, 1, 9).round(3), data_format="float")
        inst.ch_1.arb_file = "mtjhw_ramp"
        inst.ch_1.shape = "ARB"
        assert inst.ch_1.arb_file.strip('"') == "mtjhw_ramp" and inst.ch_1.shape == "ARB"
        assert served.twin.waveforms[1]["MTJHW_RAMP"] == pytest.approx(np.arange(-10000, 10000, 2000) / 32767)
        inst.display = "mtjhw"
        inst.beep()
        inst.phase_sync()
        assert inst.complete == "1"  # the writes are done (TCP writes do not wait for the instrument)
        assert served.twin.display_text == "mtjhw" and served.twin.actions == ["beep", "phase sync"]
        inst.clear_display()
        assert inst.complete == "1" and served.twin.display_text == ""
        assert_clean(served.twin)
        inst.ch_1.data_arb("mtjhw_ramp", range(8))  # a name already in volatile memory: refused, as documented
        assert inst.complete == "1" and [code for code, _ in error_entries(served.twin)] == [-221]


def test_pymeasure_81160a_burst_and_apply(transport: str) -> None:
    with serve("keysight81160a", transport) as served:
        inst = _pymeasure(Keysight81160A, served)
        ch = inst.ch_2
        ch.apply_pulse(1e5, 1.0, 0.2)
        assert (ch.shape, ch.frequency, ch.amplitude, ch.offset, ch.output) == ("PULS", 1e5, 1.0, 0.2, True)
        ch.pulse_width, ch.trigger_count, ch.trigger_mode = 1e-6, 4, "MAN"
        start = served.bench.time
        inst.trigger()
        assert inst.complete == "1" and served.twin.bursts_fired == 1
        assert served.bench.time - start == pytest.approx(4e-5)  # four 10 µs periods went through the DUT
        ch.apply_dc(1.5)
        assert (ch.shape, ch.offset) == ("DC", 1.5)
        assert_clean(served.twin)


def test_pymeasure_81160a_user_waveforms(transport: str) -> None:
    """Over a raw socket the upload is refused: PyMeasure writes the binary block with no terminator
    (``Adapter.write_binary_values(termination="")``), so the next command runs into the block (-103); over
    USB/GPIB the END of the write ends the message."""
    with serve("keysight81160a", transport) as served:
        inst = _pymeasure(Keysight81160A, served)
        ch = inst.ch_1
        waveform = [-2.0, -1.5, 0.0, 1.5, 2.0]
        ch.save_waveform(waveform, "MTJHW")
        if transport == "tcp":
            assert ch.waveforms == "" and [code for code, _ in error_entries(served.twin)] == [-103]
            return
        assert ch.waveforms == "MTJHW" and ch.free_memory_slots == 3
        assert served.twin.waveforms["VOLATILE"] == pytest.approx(np.array(waveform) / 2, abs=1 / 8191)
        ch.delete_waveform("mtjhw")
        assert ch.free_memory_slots == 4
        assert_clean(served.twin)


def test_pymeasure_81160a_driver_bugs(transport: str) -> None:
    """PyMeasure's Keysight81160A inherits 33500 headers the 81160A lacks: each read times out and the
    instrument queues the error the real one does; its channel ``burst_state`` inverts the state."""
    assert set(PYMEASURE_81160A_BUGS) <= set(DRIVER_BUGS[K81160A])
    with serve("keysight81160a", transport) as served:
        kwargs = {"timeout": 100} if transport == "tcp" else {}
        inst = open_driver(Keysight81160A, served, **kwargs)
        objects = pymeasure_targets(inst)
        for key, (code, operations) in PYMEASURE_81160A_BUGS.items():
            where, _, name = key.rpartition(".")
            obj = objects[where]
            if "get" in operations:
                with pytest.raises(VisaIOError):
                    getattr(obj, name)
                assert [c for c, _ in error_entries(served.twin)] == [code], key
            if "set" in operations:
                value = pymeasure_value(obj, name, None, CHOSEN) if pymeasure_choices(obj, name) else "mtjhw"
                setattr(obj, name, value)
                assert inst.complete == "1" and [c for c, _ in error_entries(served.twin)] == [code], key
        # BURST_STATE values [True, False] with map_values: True is sent as index 0, i.e. OFF.
        inst.ch_1.burst_state = True
        assert inst.complete == "1" and served.twin.burst[1] is False and inst.ch_1.burst_state is True
        assert_clean(served.twin)


# ----------------------------------------------------------------- QCoDeS
#: Not an instrument setting: the VISA timeout of the session.
QCODES_SKIP = {"timeout"}


def test_qcodes_snapshot_reads_every_parameter(transport: str) -> None:
    with serve("keysight33500b", transport) as served:
        awg = open_driver(Keysight33522B, served, "awg")
        snapshot = awg.snapshot(update=True)
        assert_clean(served.twin)
    read = {}
    for module, snap in [(awg, snapshot), *((awg.submodules[m], s) for m, s in snapshot["submodules"].items())]:
        for name, parameter in module.parameters.items():
            if parameter.gettable and name not in QCODES_SKIP:
                read[parameter.full_name] = snap["parameters"][name]["value"]
    assert len(read) >= 46 and None not in read.values()
    assert read["awg_ch2_function_type"] == "SIN" and read["awg_ch2_burst_ncycles"] == 1
    assert read["awg_sync_source"] == 1 and read["awg_IDN"]["model"] == "33522B"


def test_qcodes_sets_every_parameter(transport: str) -> None:
    with serve("keysight33500b", transport) as served:
        awg = open_driver(Keysight33522B, served, "awg")
        settable = [p for p in qcodes_parameters(awg).values() if p.settable and p.name not in QCODES_SKIP]
        for parameter in settable:
            value = qcodes_value(parameter, parameter.get(), CHOSEN)
            parameter.set(value)
            assert same(parameter.get(), short_form(value)), parameter.full_name
            awg.ask("*RST;*OPC?")
            assert error_entries(served.twin) == [], f"{parameter.full_name} = {value!r}"
    assert len(settable) >= 44


def test_qcodes_burst_and_trigger(transport: str) -> None:
    with serve("keysight33500b", transport) as served:
        awg = open_driver(Keysight33522B, served, "awg")
        ch = awg.ch1
        ch.function_type("PULS")
        ch.frequency(2e3)
        ch.pulse_width(50e-6)
        ch.burst_mode("N Cycle")
        ch.burst_ncycles(7)
        ch.trigger_source("BUS")
        ch.burst_state("ON")
        ch.output("ON")
        start = served.bench.time
        awg.force_trigger()
        awg.sync_channel_phases()
        assert awg.ask("*OPC?") == "1" and served.twin.bursts_fired == 1
        assert served.bench.time - start == pytest.approx(7 / 2e3)  # seven 500 µs periods
        assert awg.error() == (0, "No error")
        assert_clean(served.twin)


# ----------------------------------------------------------------- status and error queue
@pytest.mark.parametrize(("driver", "cls", "no_error"), [("keysight33500b", Agilent33500, '+0,"No error"'),
                                                         ("keysight81160a", Keysight81160A, '0,"No error"')],
                         ids=["33500B", "81160A"])
def test_error_queue_and_status_bytes(driver: str, cls: type, no_error: str, transport: str) -> None:
    with serve(driver, transport) as served:
        inst = _pymeasure(cls, served)
        inst.write(":SOUR2:BURS9:STAT?")  # a channel suffix where none is taken / out of range: -114
        inst.write("OUTP3 ON")
        inst.write(":MTJHW:FOO 1")
        assert int(inst.ask("*STB?")) & 0x04  # error/event queue not empty
        assert int(inst.ask("*ESR?")) & 0x20  # command error
        assert [int(e[0]) for e in inst.check_errors()] == [-114, -114, -113]
        assert inst.ask("SYST:ERR?") == no_error


def test_33500_error_queue_holds_20_entries() -> None:
    with serve("keysight33500b", "in-process") as served:
        for _ in range(25):
            served.twin.handle(":MTJHW?")
        codes = [code for code, _ in error_entries(served.twin)]
    assert codes == [-113] * 19 + [-350]


@pytest.mark.parametrize(("driver", "good", "bad"), [
    ("keysight33500b", ["SOUR2:BURS:NCYC?", "TRIG2:SOUR?", "OUTP2:LOAD?"],
     ["SOUR2:BURS9?", "SOUR2:BURS2:NCYC?", "SOUR3:FUNC?", "OUTP0?", ":VOLT2?"]),
    ("keysight81160a", [":BURS2:NCYC?", ":VOLT2:HIGH?", ":ARM:SOUR2?"],
     ["SOUR2:BURS9?", "SOUR2:BURS1:NCYC?", ":BURS3:STAT?", ":FUNC2:PULS:WIDT3?"]),
], ids=["33500B", "81160A"])
def test_channel_suffixes(driver: str, good: list[str], bad: list[str]) -> None:
    """A suffix on a node that takes none, or a channel the instrument lacks, is -114 with no reply."""
    with serve(driver, "in-process") as served:
        assert all(served.twin.handle(q) is not None for q in good)
        assert [served.twin.handle(q) for q in bad] == [None] * len(bad)
        assert [code for code, _ in error_entries(served.twin)] == [-114] * len(bad)
