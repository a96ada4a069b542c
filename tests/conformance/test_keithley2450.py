"""The virtual Keithley 2450 with the unmodified QCoDeS and PyMeasure 2450 drivers, in-process and over TCP.

Readings are checked against the bench's DUT (its operating point under the programmed bias). Where a driver
sends something a real 2450 (SCPI command set) rejects, the test names the driver bug and checks that the twin
reacts as the instrument does (which error, no reply, still in sync).
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from conftest import Served, assert_clean, error_entries, make_twin, serve
from drivers import (
    DRIVER_BUGS,
    open_driver,
    open_visa,
    pymeasure_readable,
    pymeasure_settable,
    qcodes_parameters,
    qcodes_value,
    same,
    synced,
)
from pymeasure.instruments.keithley import Keithley2450 as PyMeasureKeithley2450
from qcodes.instrument_drivers.Keithley import Keithley2450 as QcodesKeithley2450
from qcodes.instrument_drivers.Keithley import Keithley2450Buffer
from qcodes.parameters import Parameter

from mtjhw.simulators.bench import Bias

DRIVER = "keithley2450"
QCODES_BUGS = DRIVER_BUGS["qcodes.instrument_drivers.Keithley.Keithley2450"]
PYMEASURE_BUGS = DRIVER_BUGS["pymeasure.instruments.keithley.Keithley2450"]
#: Fixed ranges of the 2450 (Reference Manual, source and measure range commands), by unit; a range value
#: selects the lowest range that holds it (105 % of full scale).
RANGES = {"A": (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0), "V": (0.02, 0.2, 2.0, 20.0, 200.0),
          "Ohm": (20.0, 200.0, 2e3, 2e4, 2e5, 2e6, 2e7, 2e8)}
ELEMENTS = sorted(Keithley2450Buffer.buffer_elements)  #: every buffer element, by its QCoDeS name


def selected_range(unit: str, value: float) -> float:
    return next(r for r in RANGES[unit] if abs(value) <= 1.05 * r)


def synced_clean(smu: Any, served: Served) -> None:
    """Nothing the driver sent was refused."""
    synced(smu)
    assert_clean(served.twin)


@contextlib.contextmanager
def plain_visa(served: Served) -> Iterator[Any]:
    """A plain pyvisa resource on the served twin."""
    inst = open_visa(served)
    try:
        yield inst
    finally:
        inst.close()


def dut_current(served: Served, volts: float) -> float:
    return served.bench.dut.operating_point(Bias("V", volts))[1]


def dut_voltage(served: Served, amps: float) -> float:
    return served.bench.dut.operating_point(Bias("I", amps))[0]


# --------------------------------------------------------------------------------------------------- QCoDeS
@contextlib.contextmanager
def qcodes_smu(transport: str) -> Iterator[tuple[Any, Served]]:
    with serve(DRIVER, transport) as served:
        smu = open_driver(QcodesKeithley2450, served, "smu")
        try:
            yield smu, served
        finally:
            smu.close()


#: Parameters the set test leaves alone: they hold no instrument state, or have a test of their own.
QCODES_NOT_SET = {
    "timeout": "the VISA timeout, client-side",
    "buffer_name": "client-side: which buffer the driver reads",
    "user_number": "client-side: which user delay user_delay addresses",
    "block_during_ramp": "client-side: whether level sets wait for *OPC?",
    "elements": "client-side: buffer elements the driver asks for (used in the buffer test)",
    "source_function": "changes which source module the driver uses: test_qcodes_source_and_sense_both_ways",
    "sense_function": "changes which sense module the driver uses: test_qcodes_source_and_sense_both_ways",
}
#: Values for settable parameters whose validator does not bound them, by (module, parameter); terminals: "rear",
#: not the default.
QCODES_VALUES: dict[tuple[str, str], Any] = {
    ("smu_source", "current"): 1e-5, ("smu_source", "voltage"): 0.05,
    ("smu_sense", "count"): 3, ("smu_defbuffer1", "size"): 2000, ("smu", "terminals"): "rear",
}
#: The limit, by source function: volts when sourcing current, amperes when sourcing voltage. (QCoDeS gives
#: the limit the source's unit, "A" for the voltage limit of the current source: a cosmetic driver bug.)
QCODES_LIMITS = {"current": 5.0, "voltage": 1e-3}


def keithley_value(param: Parameter) -> Any:
    """A value the driver's validator and the instrument both accept."""
    module = param.instrument
    if param.name == "limit":
        return QCODES_LIMITS["current" if "current" in module.parameters else "voltage"]
    if (module.full_name, param.name) in QCODES_VALUES:
        return QCODES_VALUES[(module.full_name, param.name)]
    return qcodes_value(param, param.get())


def qcodes_expected(param: Parameter, value: Any) -> Any:
    """What the instrument answers after ``value`` was set."""
    if param.name == "range":
        return selected_range(param.unit, value)
    if param.name == "terminals":
        # QCoDeS driver bug: terminals takes "rear"/"front" but has no val_mapping for the answer; the 2450
        # answers the short form, so the parameter reads back "REAR"/"FRON".
        return value.upper()[:4]
    return value


def test_qcodes_connects_and_snapshot_reads_every_parameter(transport, caplog):
    with qcodes_smu(transport) as (smu, served), caplog.at_level(logging.WARNING):
        for module in smu.submodules.values():
            if hasattr(module, "user_number"):
                module.user_number(1)  # see test_qcodes_snapshot_without_user_number_is_a_driver_bug
            if hasattr(module, "sweep_setup"):
                module.sweep_setup(0.0, 0.01, 5)  # sweep_axis is only defined for a set-up sweep
        snapshot = smu.snapshot(update=True)
        synced_clean(smu, served)
    assert "Could not update" not in caplog.text and "unsupported language" not in caplog.text
    params = snapshot["parameters"]
    assert params["IDN"]["value"]["model"] == "2450"
    assert params["source_function"]["value"] == "voltage" and params["sense_function"]["value"] == "current"
    assert params["terminals"]["value"] == "FRON" and params["line_frequency"]["value"] == "50"
    sense = snapshot["submodules"]["_sense_current"]["parameters"]
    assert float(sense["nplc"]["value"]) == 1.0 and sense["range"]["value"] > 0
    limit = snapshot["submodules"]["_source_voltage"]["parameters"]["limit"]["value"]
    assert limit == pytest.approx(1.05e-4)  # the 2450's default current limit
    assert snapshot["submodules"]["_buffer_defbuffer1"]["parameters"]["size"]["value"] == 100000


def test_qcodes_snapshot_without_user_number_is_a_driver_bug():
    """QCoDeS driver bug: user_delay asks ``…:DELay:USERNone?`` until user_number is set; the 2450 has no such
    header (-113) and sends no reply. In-process only: over TCP each unanswered query is a timeout."""
    with qcodes_smu("in-process") as (smu, served):
        smu.snapshot(update=True)
        entries = error_entries(served.twin)
    assert [code for code, _ in entries] == [-113] * 5  # 2 source and 3 sense modules
    assert all("USERNone?" in text for _, text in entries)
    modules = sorted(key.split(".")[0] for key in QCODES_BUGS if key.endswith(".user_delay"))
    assert modules == sorted(f"_{m}" for m in ("source_current", "source_voltage", "sense_current",
                                                "sense_voltage", "sense_resistance"))


def test_qcodes_sets_every_settable_parameter(transport):
    done = []
    with qcodes_smu(transport) as (smu, served):
        for module in smu.submodules.values():
            if hasattr(module, "user_number"):
                module.user_number(2)
        for param in qcodes_parameters(smu).values():
            if not param.settable or param.name in QCODES_NOT_SET:
                continue
            value = keithley_value(param)
            param(value)
            got, expected = param(), qcodes_expected(param, value)
            assert same(got, expected), f"{param.full_name}: set {value!r}, read {got!r}, expected {expected!r}"
            done.append(param.full_name)
        smu.output_enabled(False)
        synced_clean(smu, served)
    assert len(done) >= 40


def test_qcodes_source_and_sense_both_ways(transport):
    with qcodes_smu(transport) as (smu, served):
        for source, level in (("voltage", 0.01), ("current", 1e-6)):
            smu.sense_function("current")  # the driver refuses a source change while sensing resistance
            smu.source_function(source)
            assert smu.source_function() == source and smu.source.function() == source
            smu.source.limit(QCODES_LIMITS[source])
            getattr(smu.source, source)(level)
            expected_v = level if source == "voltage" else dut_voltage(served, level)
            expected_i = level if source == "current" else dut_current(served, level)
            with smu.output_enabled.set_to(True):
                for sense, expected in (("current", expected_i), ("voltage", expected_v),
                                        ("resistance", expected_v / expected_i)):
                    smu.sense_function(sense)
                    assert smu.sense_function() == sense
                    assert getattr(smu.sense, sense)() == pytest.approx(expected, rel=5e-3)
            assert not smu.source.limit_tripped()
        synced_clean(smu, served)


def test_qcodes_measurement_count_returns_the_last_reading(transport):
    """Reference Manual, :READ? and :MEASure?: with a count above one all readings go to the buffer and only the
    last is returned (also with buffer elements)."""
    with qcodes_smu(transport) as (smu, served):
        smu.source.voltage(0.01)
        smu.sense.count(5)
        with smu.output_enabled.set_to(True):
            value = smu.sense.current()
            reading, source = smu.ask(":READ? 'defbuffer1', READ, SOUR").split(",")
        buffer = smu.buffer("defbuffer1")
        assert buffer.number_of_readings() == 10
        assert float(reading) == pytest.approx(dut_current(served, 0.01), rel=5e-3) and float(source) == 0.01
        assert buffer.get_data(5, 5) == [value]
        assert float(buffer.get_last_reading()) == float(reading)
        synced_clean(smu, served)


def test_qcodes_sweeps_both_source_functions(transport):
    with qcodes_smu(transport) as (smu, served):
        for source, sense, (start, stop) in (("voltage", "current", (-0.05, 0.05)),
                                             ("current", "voltage", (-4e-6, 4e-6))):
            smu.source_function(source)
            smu.sense_function(sense)
            smu.source.limit(QCODES_LIMITS[source])
            smu.source.sweep_setup(start, stop, 11)
            swept, axis = smu.sense.sweep(), smu.source.sweep_axis()
            measure = dut_current if source == "voltage" else dut_voltage
            expected = np.array([measure(served, x) for x in axis])
            np.testing.assert_allclose(swept, expected, rtol=5e-3, atol=1e-4 * np.abs(expected).max())
            assert smu.buffer("defbuffer1").number_of_readings() == 0  # the driver clears it after reading
            assert not smu.output_enabled()  # the sweep's trigger model turns the output off again
        synced_clean(smu, served)


def test_qcodes_user_buffer_with_every_element(transport):
    with qcodes_smu(transport) as (smu, served):
        # QCoDeS gives sense.sweep its setpoints only when a function is set: on a fresh driver sweep() raises.
        smu.sense_function("current")
        smu.source_function("voltage")
        with smu.buffer("userbuff1", 100) as buff:
            assert buff.size() == 100
            buff.size(200)
            assert buff.size() == 200
            buff.elements(ELEMENTS)
            smu.source.sweep_setup(0.0, 0.02, 5, buffer_name=buff.buffer_name)
            data = smu.sense.sweep()
            selected = smu.sense.sweep.get_selected()
            assert len(selected) == 5 * len(ELEMENTS)
            rows = [dict(zip(ELEMENTS, selected[k:k + len(ELEMENTS)], strict=True))
                    for k in range(0, len(selected), len(ELEMENTS))]
            assert [float(r["measurement"]) for r in rows] == pytest.approx(list(data))
            assert [float(r["source_value"]) for r in rows] == pytest.approx([0.0, 0.005, 0.01, 0.015, 0.02])
            assert {r["measurement_unit"] for r in rows} == {"Amp DC"}
            assert {r["source_value_unit"] for r in rows} == {"Volt DC"}
            assert rows[2]["source_value_formatted"] == "+010.000 mV"
            assert rows[0]["date"].count("/") == 2 and rows[0]["time"].count(":") == 2
            assert float(rows[0]["relative_time"]) == 0.0 and float(rows[4]["relative_time"]) > 0
            buff.trigger_start()
            assert buff.number_of_readings() == 1
            assert float(buff.get_data(1, 1, readings_only=True)[0]) == pytest.approx(float(
                buff.get_last_reading().split(",")[ELEMENTS.index("measurement")]))
            buff.clear_buffer()
            assert buff.number_of_readings() == 0
        synced(smu)
        assert "userbuff1" not in served.twin.buffers and smu.buffer_name() == "defbuffer1"
        synced_clean(smu, served)


def test_qcodes_language_check_and_housekeeping(transport, caplog):
    with qcodes_smu(transport) as (smu, served):
        smu.write("*LANG TSP")
        smu.reset()  # *LANG lives in nonvolatile memory: a reset keeps it
        assert smu.ask("*LANG?") == "TSP"
        smu.write("*LANG SCPI")
        smu.source.limit(1e-6)
        smu.source.block_during_ramp(True)
        smu.source.voltage(1.0)  # far above what 1 µA allows through the DUT
        with smu.output_enabled.set_to(True):
            assert smu.sense.current() == pytest.approx(1e-6, rel=1e-3)
            assert smu.source.limit_tripped()
        smu.sense.auto_zero_once()
        smu.sense.clear_trace()
        smu.initiate()
        smu.wait()
        smu.abort()
        smu.clear_event_register()
        smu.clear_event_log()
        synced_clean(smu, served)
    with caplog.at_level(logging.WARNING), serve(DRIVER, transport) as served:
        served.twin.settings["language"] = "TSP"  # as after *LANG TSP and a power cycle
        smu = open_driver(QcodesKeithley2450, served, "smu_tsp")
        assert "unsupported language mode" in caplog.text and "source_function" not in smu.parameters
        smu.set_correct_language()  # sends *LANG SCPI and closes the driver at once
        with plain_visa(served) as inst:  # another connection: the closed one's message may still be in flight
            deadline = time.monotonic() + 2.0
            while inst.query("*LANG?") != "SCPI" and time.monotonic() < deadline:
                time.sleep(0.01)
            assert inst.query("*LANG?") == "SCPI"
        assert_clean(served.twin)


# ------------------------------------------------------------------------------------------------ PyMeasure
@contextlib.contextmanager
def pymeasure_smu(transport: str) -> Iterator[tuple[Any, Served]]:
    with serve(DRIVER, transport) as served:
        smu = open_driver(PyMeasureKeithley2450, served)
        try:
            yield smu, served
        finally:
            smu.adapter.close()


#: Readable properties not read in test_pymeasure_reads_every_property, and why.
PYMEASURE_NOT_READ = {
    "options": "*OPT? is not a 2450 command: test_pymeasure_2400_commands_are_rejected_as_by_a_2450",
    "buffer_data": "sends the 2400's argument-less :TRAC:DATA?: test_pymeasure_2400_commands_…",
    "error": "deprecated alias of next_error, which is read",
    **{f"{stat}_{quantity}": "indexes a 2400 (V, I, R) statistic: test_pymeasure_buffer_statistics"
       for stat in ("mean", "max", "min", "std") for quantity in ("voltage", "current", "resistance")},
}
#: (value set, value read back) for every settable property.
PYMEASURE_SETTINGS: dict[str, tuple[Any, Any]] = {
    "source_mode": ("current", "current"),
    "buffer_points": (5000, 5000),
    "compliance_current": (2e-3, 2e-3), "compliance_voltage": (5.0, 5.0),
    "source_current": (1e-5, 1e-5), "source_voltage": (0.05, 0.05),
    "current_range": (5e-6, 1e-5), "voltage_range": (0.15, 0.2), "resistance_range": (3e3, 2e4),
    "source_current_range": (2e-4, 1e-3), "source_voltage_range": (3.0, 20.0),
    "current_nplc": (2.0, 2.0), "voltage_nplc": (0.1, 0.1), "resistance_nplc": (0.5, 0.5),
    "source_current_delay": (0.25, 0.25), "source_current_delay_auto": (True, True),
    "source_voltage_delay": (0.1, 0.1), "source_voltage_delay_auto": (False, False),
    "current_filter_type": ("MOV", "MOV"), "voltage_filter_type": ("REP", "REP"),
    "current_filter_count": (20, 20), "voltage_filter_count": (5, 5),
    # Driver quirk (in DRIVER_BUGS): the filter state is set as ON/OFF, the 2450 answers Booleans as 1/0.
    "current_filter_state": ("ON", 1.0),
    "current_output_off_state": ("HIMP", "HIMP"), "voltage_output_off_state": ("ZERO", "ZERO"),
    "wires": (4, 4),
}


def test_pymeasure_reads_every_property(transport):
    with pymeasure_smu(transport) as (smu, served):
        smu.write(":SOUR:VOLT 0.01;:SENS:COUN 3;:OUTP ON")
        assert smu.current == pytest.approx(dut_current(served, 0.01), rel=5e-3)  # readings for the statistics
        read = {}
        for name in pymeasure_readable(PyMeasureKeithley2450):
            if name not in PYMEASURE_NOT_READ:
                read[name] = getattr(smu, name)
        synced_clean(smu, served)
    assert set(PYMEASURE_NOT_READ) - {"error"} == set(PYMEASURE_BUGS) - {"current_filter_state"}  # the same bugs
    assert read["id"].startswith("KEITHLEY INSTRUMENTS,MODEL 2450") and read["complete"] == "1"
    assert read["next_error"] == [0, '"No error"'] and read["source_enabled"] is True
    assert read["source_mode"] == "voltage" and read["wires"] == 2 and read["source_voltage"] == 0.01
    assert read["voltage"] == pytest.approx(read["current"], rel=5e-3)  # both :READ?: the sense function
    assert read["means"] == pytest.approx(dut_current(served, 0.01), rel=5e-3)
    assert len(read) >= 30


def test_pymeasure_sets_every_control(transport):
    controls = pymeasure_settable(PyMeasureKeithley2450)
    assert sorted(PYMEASURE_SETTINGS) == sorted(controls)  # a new driver control needs a value here
    with pymeasure_smu(transport) as (smu, served):
        for name, (value, expected) in PYMEASURE_SETTINGS.items():
            setattr(smu, name, value)
            got = getattr(smu, name)
            assert same(got, expected), f"{name}: set {value!r}, read {got!r}, expected {expected!r}"
        synced(smu)
        assert not served.twin.source_voltage_delay_auto  # setting a delay turns auto delay off
        synced_clean(smu, served)


def test_pymeasure_source_measure_operations(transport):
    with pymeasure_smu(transport) as (smu, served):
        smu.reset()
        smu.use_rear_terminals()
        smu.use_front_terminals()
        smu.apply_voltage(compliance_current=1e-3)
        smu.measure_current(nplc=1)
        smu.source_voltage = 0.01
        smu.enable_source()
        assert smu.source_enabled
        assert smu.current == pytest.approx(dut_current(served, 0.01), rel=5e-3)
        smu.ramp_to_voltage(0.02, steps=5, pause=0)
        synced(smu)
        assert served.bench.bias.level == pytest.approx(0.02)
        smu.measure_resistance(nplc=2, resistance=2e4, auto_range=False)
        assert smu.resistance == pytest.approx(0.02 / dut_current(served, 0.02), rel=5e-3)
        assert smu.resistance_range == 2e4
        smu.apply_current(current_range=1e-5, compliance_voltage=1.0)
        smu.measure_voltage(nplc=1, voltage=2.0, auto_range=False)
        smu.source_current = 2e-6
        assert smu.voltage == pytest.approx(dut_voltage(served, 2e-6), rel=5e-3)
        smu.ramp_to_current(4e-6, steps=4, pause=0)
        assert smu.voltage == pytest.approx(dut_voltage(served, 4e-6), rel=5e-3)
        smu.auto_range_source()
        smu.trigger()
        smu.beep(1000, 0.01)
        smu.start_buffer()
        smu.stop_buffer()
        assert smu.check_errors() == []
        smu.shutdown()
        assert not smu.source_enabled and served.bench.bias == Bias.open_circuit()
        assert served.twin.source_current == 0.0
        synced_clean(smu, served)


def test_pymeasure_buffer_statistics(transport):
    """The 2450's statistics are one value over the buffer; PyMeasure's mean_voltage etc. index a 2400-style
    (V, I, R) triple — a driver bug: they raise TypeError on a real 2450 too."""
    with pymeasure_smu(transport) as (smu, served):
        smu.write(":SOUR:VOLT 0.01;:SENS:COUN 10;:OUTP ON")
        last = smu.current
        data = np.array(smu.values(":TRAC:DATA? 1, 10"))
        assert data[-1] == last
        assert smu.buffer_points == 100000
        assert smu.means == pytest.approx(data.mean(), rel=1e-6)
        assert smu.maximums == pytest.approx(data.max(), rel=1e-6)
        assert smu.minimums == pytest.approx(data.min(), rel=1e-6)
        assert smu.standard_devs == pytest.approx(data.std(ddof=1), rel=1e-5)
        statistics = [name for name in PYMEASURE_BUGS if name.split("_")[0] in ("mean", "max", "min", "std")]
        assert len(statistics) == 12
        for name in statistics:
            with pytest.raises(TypeError):
                getattr(smu, name)
        synced_clean(smu, served)


def test_pymeasure_2400_commands_are_rejected_as_by_a_2450(transport, caplog):
    """PyMeasure's buffer methods and SCPI mixin send Model 2400 commands (the driver's docstring says buffers
    need the 2400 emulation mode): a 2450 in SCPI mode rejects them as undefined headers (-113, PyMeasure issue
    1200), and the argument-less :TRAC:DATA? of buffer_data misses its indices (-109); the queries get no
    reply. They are sent as the driver writes them; the twin stays in sync."""
    with pymeasure_smu(transport) as (smu, served), caplog.at_level(logging.ERROR):
        smu.config_buffer(points=10)  # :STAT:MEAS:ENAB and :TRAC:FEED; check_errors logs them
        assert caplog.text.count("-113") == 2
        for method in (smu.reset_buffer, smu.disable_buffer, lambda: smu.write("*OPT?")):  # the last: options
            method()
            synced(smu)
            assert [code for code, _ in error_entries(served.twin)] == [-113]
        smu.write(":FORM:DATA ASCII")  # buffer_data
        smu.write(":TRAC:DATA?")
        synced(smu)
        assert [code for code, _ in error_entries(served.twin)] == [-109]
        assert smu.complete == "1" and smu.buffer_points == 10
        synced_clean(smu, served)


# ------------------------------------------------------------------------------------------------ the twin
def test_reading_buffer_keeps_the_newest_readings_in_linear_time():
    """A full buffer overwrites its oldest readings, in constant time per reading: the issue's
    :SENS:COUN 150000;:READ? into the 100 000-reading defbuffer1 (47 s with the former list-backed buffer)."""
    twin, bench, _ = make_twin(DRIVER)
    twin.handle(':TRAC:MAKE "small", 10;:SOUR:VOLT 0.01;:SENS:CURR:NPLC 0.01;:OUTP ON;:SENS:COUN 25')
    assert len(twin.handle(':READ? "small"').split(",")) == 1
    assert twin.handle(':TRAC:ACT? "small"') == "10"
    times = [float(t) for t in twin.handle(':TRAC:DATA? 1, 10, "small", REL').split(",")]
    assert times[0] == 0.0 and times == sorted(times) and times[-1] == pytest.approx(9 * 0.01 / 50)
    twin.handle(":SENS:COUN 150000")
    t0 = bench.time
    twin.handle(":READ?")
    assert twin.handle(":TRAC:ACT?") == "100000"
    assert bench.time - t0 == pytest.approx(150000 * 0.01 / 50)
    assert error_entries(twin) == []


@pytest.mark.parametrize(("command", "code"), [
    (':SENS:FUNC "VOLT:AC"', -224), (':SENS:FUNC "RES:DC"', -224), (":SENS:CURR:RANG 2", -222),
    (":SOUR:VOLT:DEL:USER6 1", -114), (':TRAC:DATA? 1, 5, "defbuffer1"', -222), (":READ? 'nobuffer'", -224),
])
def test_the_twin_rejects_what_a_2450_rejects(command, code):
    twin, _, _ = make_twin(DRIVER)
    twin.handle(command)
    assert [c for c, _ in error_entries(twin)] == [code]


def test_sense_function_forms_and_range_rules():
    twin, _, _ = make_twin(DRIVER)
    for form, answer in (('"VOLT:DC"', '"VOLT:DC"'), ("'CURR'", '"CURR:DC"'), ('"RESistance"', '"RES"'),
                         ("VOLTAGE:DC", '"VOLT:DC"')):
        twin.handle(f":SENS:FUNC {form}")
        assert twin.handle(":SENS:FUNC?") == answer
    twin.handle(":SENS:CURR:RANG 50e-3")
    assert float(twin.handle(":SENS:CURR:RANG?")) == 0.1 and twin.handle(":SENS:CURR:RANG:AUTO?") == "0"
    twin.handle(":SOUR:VOLT 3")  # an autoranging source follows its level
    assert float(twin.handle(":SOUR:VOLT:RANG?")) == 20.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert twin.handle("*TST?") == "0" and twin.handle("*LANG?") == "SCPI"
    assert error_entries(twin) == []
