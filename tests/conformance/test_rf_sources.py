"""The virtual microwave sources with unmodified third-party drivers, in-process and over TCP.

QCoDeS: ``KeysightN5183B`` (N51x1, reads ``*OPT?`` at start-up), ``AgilentE8257D`` (reads
``DIAG:CPU:INFO:OPT:DET?``), qcodes_contrib_drivers' ``RohdeSchwarz_SMB100A`` and ``Keysight_E8267D``. The E8267D
is the vector PSG: it shares the PSG command set with the analog E8257D, so its driver runs against the E8257D
twin — except its I/Q, wideband-I/Q and wideband-AM parameters (``DM:``, ``WDM:``, ``AM:WID``), which exist on
the vector model only: the E8257D answers them ``-113 Undefined header``, as checked below.

PyMeasure: ``Agilent8257D`` and ``AnritsuMG3692C``. Properties and parameters are enumerated from the drivers
(every gettable one read, every settable one set to a value its validator accepts and read back), so a driver
upgrade is covered without editing this file.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_clean, error_entries, make_twin, serve
from drivers import (
    open_driver,
    pymeasure_readable,
    pymeasure_sent,
    pymeasure_settable,
    pymeasure_value,
    qcodes_sent,
    qcodes_value,
    same,
    synced,
)
from pymeasure.instruments.agilent import Agilent8257D
from pymeasure.instruments.anritsu import AnritsuMG3692C
from qcodes.parameters import Parameter

CABLE_LOSS_DB = 3.0  # the twins' default cable to the bias tee

#: QCoDeS drivers by case name: (dotted class path, twin). The E8267D driver sets no terminator; its users add LF
#: (:data:`drivers.OPENING`).
QCODES = {
    "n5183b": ("qcodes.instrument_drivers.Keysight.KeysightN5183B", "keysight-n5183b"),
    "e8257d": ("qcodes.instrument_drivers.agilent.AgilentE8257D", "agilent-e8257d"),
    "smb100a": ("qcodes_contrib_drivers.drivers.RohdeSchwarz.SMB100A.RohdeSchwarz_SMB100A", "rs-smb100a"),
    "e8267d": ("qcodes_contrib_drivers.drivers.Keysight.Keysight_E8267D.Keysight_E8267D", "agilent-e8257d"),
}

#: QCoDeS parameters not set: ``IDN`` is read-only, ``timeout`` is the VISA session's, not the instrument's.
QCODES_NOT_SET = {"IDN", "timeout"}

#: Commands of the vector PSG (E8267D) only: I/Q modulator, wideband I/Q, wideband AM.
VECTOR_ONLY = ("DM:", "WDM:", "AM:WID")

#: Values given where a validator offers a choice that is no test: ``FIX`` is the PSG's synonym of ``CW`` and
#: reads back as ``CW``; the SMB100A's sweep points follow span and step, so its sweep needs a span (start and
#: stop would otherwise both get the same value from their common range).
QCODES_VALUES = {"freq_mode": "LIST", "sweep_freq_stop": 5e8}

#: PyMeasure drivers by twin (their users set LF both ways on GPIB and LAN: :data:`drivers.OPENING`).
PYMEASURE = {
    "agilent-e8257d": Agilent8257D,
    "anritsu-mg3692c": AnritsuMG3692C,
}

#: Values for properties without a validator where 0.9 × the value after ``*RST`` would leave the range: the
#: PSG's sweep start and the MG3692C's CW frequency sit at the lowest frequency after ``*RST``.
PYMEASURE_VALUES = {Agilent8257D: {"start_frequency": 2e9}, AnritsuMG3692C: {"frequency": 12e9}}


# ----------------------------------------------------------------------------------------------- QCoDeS
def open_qcodes(case: str, served: Any) -> Any:
    return open_driver(QCODES[case][0], served, f"rf_{case}")


def query_of(param: Parameter) -> str:
    """The SCPI query a parameter's getter sends ("" for one that is computed)."""
    return str(getattr(param.get_raw, "cmd_str", ""))


def vector_only(param: Parameter) -> bool:
    return query_of(param).startswith(VECTOR_ONLY)


def gettable(inst: Any, case: str) -> list[Parameter]:
    params = [p for p in inst.parameters.values() if p.gettable]
    return [p for p in params if not (case == "e8267d" and vector_only(p))]


def settable(inst: Any, case: str) -> list[Parameter]:
    return [p for p in gettable(inst, case) if p.settable and p.name not in QCODES_NOT_SET]


@pytest.mark.parametrize("case", QCODES)
def test_qcodes_reads_every_parameter(case, transport):
    with serve(QCODES[case][1], transport) as served:
        inst = open_qcodes(case, served)
        if case == "e8267d":
            values = {p.name: p.get() for p in gettable(inst, case)}
        else:
            values = {name: entry["value"] for name, entry in inst.snapshot(update=True)["parameters"].items()}
        assert_clean(served.twin)
    assert len(values) == len(gettable(inst, case)) and None not in values.values(), values
    assert values["IDN"]["model"] == served.twin.idn[1]
    power = values["power"]
    assert power == {"n5183b": -130.0, "e8257d": -135.0, "smb100a": -30.0, "e8267d": -135.0}[case]  # *RST levels


@pytest.mark.parametrize("case", QCODES)
def test_qcodes_sets_every_settable_parameter_and_reads_it_back(case, transport):
    with serve(QCODES[case][1], transport) as served:
        inst = open_qcodes(case, served)
        changed = {}
        for param in settable(inst, case):
            value = qcodes_value(param, param.get(), QCODES_VALUES)
            param.set(value)
            changed[param.name] = (qcodes_sent(param, value), param.get())
        assert_clean(served.twin)
    wrong = {name: pair for name, pair in changed.items() if not same(pair[1], pair[0])}
    assert changed and not wrong, wrong


@pytest.mark.parametrize("case", QCODES)
def test_qcodes_output_reaches_the_bench(case, transport):
    with serve(QCODES[case][1], transport) as served:
        inst = open_qcodes(case, served)
        inst.frequency(6.5e9)
        inst.power(-10.0)
        getattr(inst, "on", lambda: inst.rf_output("on"))()
        rf = synced(inst) and served.bench.rf
        assert (rf.on, rf.frequency) == (True, 6.5e9)
        assert rf.power == pytest.approx(1e-3 * 10 ** ((-10.0 - CABLE_LOSS_DB) / 10))
        getattr(inst, "off", lambda: inst.rf_output("off"))()
        assert synced(inst) and not rf.on
        assert_clean(served.twin)


def test_e8267d_vector_commands_are_undefined_on_the_e8257d(transport):
    """The E8257D is the analog PSG: the vector model's I/Q commands are no headers it knows."""
    with serve("agilent-e8257d", transport) as served:
        inst = open_qcodes("e8267d", served)
        vector = [p for p in inst.parameters.values() if vector_only(p)]
        for param in vector:
            assert served.twin.handle(query_of(param)) is None  # no reply: the query times out on a real one
            codes = [code for code, _ in error_entries(served.twin)]
            assert codes == [-113], (param.name, codes)
    assert len(vector) == 13


def test_smb100a_sweep_runs_on_trigger(transport):
    with serve("rs-smb100a", transport) as served:
        inst = open_qcodes("smb100a", served)
        inst.sweep_freq_start(5e9)
        inst.sweep_freq_stop(7e9)
        inst.sweep_points(201)
        assert inst.sweep_step() == pytest.approx(10e6)  # step and points are coupled through the span
        inst.sourcemode("sweep")
        inst.sweepmode("single")
        assert synced(inst) and served.bench.rf.frequency == 5e9
        inst.start_sweep()  # *TRG
        assert synced(inst) and served.twin.sweeps_run == 1
        assert served.bench.rf.frequency == 7e9  # no retrace: the source rests at the stop frequency
        inst.reset()
        assert (inst.sourcemode(), inst.frequency(), inst.power()) == ("CW", 1e9, -30.0)
        assert_clean(served.twin)


def test_smb100a_driver_bug_self_test_written_not_asked(transport):
    """Driver bug: ``run_self_tests`` *writes* ``*TST?`` and never reads the answer. The SMB100A answers it
    (``0``: passed), so the reply waits in the output buffer and a client reading next gets it."""
    with serve("rs-smb100a", transport) as served:
        inst = open_qcodes("smb100a", served)
        inst.run_self_tests()
        assert inst.visa_handle.read() == "0"
        assert_clean(served.twin)


# ----------------------------------------------------------------------------------------------- PyMeasure
def open_pymeasure(name: str, served: Any) -> Any:
    return open_driver(PYMEASURE[name], served)


@pytest.mark.parametrize("name", PYMEASURE)
def test_pymeasure_reads_every_property(name, transport):
    with serve(name, transport) as served:
        inst = open_pymeasure(name, served)
        values = {prop: getattr(inst, prop) for prop in pymeasure_readable(PYMEASURE[name])}
        inst.adapter.close()
        assert_clean(served.twin)
    assert None not in values.values() and "" not in values.values(), values
    assert values["id"].startswith(",".join(served.twin.idn[:2]))
    assert values["complete"] == "1" and values["next_error"][0] == 0
    if name == "agilent-e8257d":
        assert len(values) == 27
        assert values["frequency"] == 20e9 and values["power"] == -135.0  # *RST: highest frequency, lowest level
        assert values["amplitude_source"] == "internal" and values["internal_shape"] == "sine"
        assert values["has_modulation"] is True and values["is_enabled"] is False
    else:
        assert values["output"] is False and values["options"] == "0"  # no options installed


@pytest.mark.parametrize("name", PYMEASURE)
def test_pymeasure_sets_every_settable_property_and_reads_it_back(name, transport):
    driver = PYMEASURE[name]
    with serve(name, transport) as served:
        inst = open_pymeasure(name, served)
        changed = {}
        for prop in pymeasure_settable(driver):
            value = pymeasure_value(driver, prop, getattr(inst, prop), PYMEASURE_VALUES[driver])
            setattr(inst, prop, value)
            changed[prop] = (pymeasure_sent(driver, prop, value), getattr(inst, prop))
        inst.adapter.close()
        assert_clean(served.twin)
    wrong = {prop: pair for prop, pair in changed.items() if not same(pair[1], pair[0])}
    assert len(changed) == {"agilent-e8257d": 18, "anritsu-mg3692c": 3}[name] and not wrong, (changed, wrong)


def test_agilent8257d_amplitude_modulation_reaches_the_bench(transport):
    with serve("agilent-e8257d", transport) as served:
        inst = open_pymeasure("agilent-e8257d", served)
        inst.frequency, inst.power = 8e9, -5.0
        inst.enable()
        inst.enable_modulation()  # :OUTPUT:MOD ON, the LF output on its internal source at 2 Vp
        inst.config_amplitude_modulation(frequency=1234.0, depth=80.0, shape="square")
        rf = synced(inst) and served.bench.rf
        assert (rf.on, rf.frequency, rf.am_on, rf.am_depth, rf.am_frequency) == (True, 8e9, True, 0.8, 1234.0)
        assert (inst.low_freq_out_source, inst.low_freq_out_amplitude) == ("internal", 2.0)
        assert inst.internal_shape == "square"
        inst.disable_modulation()  # the master switch: every modulation off
        assert synced(inst) and not rf.am_on and inst.has_amplitude_modulation
        inst.shutdown()
        assert synced(inst) and not rf.on
        assert_clean(served.twin)


def test_agilent8257d_pulse_modulation_chops_the_carrier(transport):
    """Internal square-wave pulse modulation: a 100 % on/off chop at the pulse rate."""
    with serve("agilent-e8257d", transport) as served:
        inst = open_pymeasure("agilent-e8257d", served)
        inst.enable()
        inst.config_pulse_modulation(frequency=2e3, input="square")
        rf = synced(inst) and served.bench.rf
        assert (rf.am_on, rf.am_depth, rf.am_frequency) == (True, 1.0, 2e3)
        assert (inst.pulse_source, inst.pulse_input, inst.has_pulse_modulation) == ("internal", "square", True)
        assert rf.mean_power == pytest.approx(rf.power / 2)
        inst.pulse_input = "free-run"
        assert synced(inst) and not rf.am_on
        inst.disable_pulse_modulation()
        assert not inst.has_pulse_modulation
        assert_clean(served.twin)


def test_agilent8257d_step_sweep(transport):
    with serve("agilent-e8257d", transport) as served:
        inst = open_pymeasure("agilent-e8257d", served)
        inst.start_frequency, inst.stop_frequency, inst.step_points, inst.dwell_time = 4e9, 6e9, 21, 0.01
        assert inst.center_frequency == 5e9
        inst.config_step_sweep()  # FREQ:MODE SWE, SWE:GEN STEP, SWE:MODE AUTO
        rf = synced(inst) and served.bench.rf
        assert rf.frequency == 4e9
        inst.disable_retrace()
        inst.single_sweep()  # :SOUR:TSW, trigger source immediate: the sweep runs
        assert synced(inst) and served.twin.sweeps_run == 1 and rf.frequency == 6e9
        inst.enable_retrace()
        inst.single_sweep()
        assert synced(inst) and served.twin.sweeps_run == 2 and rf.frequency == 4e9
        assert inst.ask(":STAT:OPER?") == "8"  # "sweeping" latched by the sweeps, cleared by the read
        assert inst.ask(":STAT:OPER?") == "0"
        assert_clean(served.twin)


def test_agilent8257d_driver_bug_start_step_sweep_is_master_slave_control(transport):
    """Driver bug: ``start_step_sweep`` sends ``:SOUR:SWE:CONT:STAT ON``, which on a PSG switches on master/slave
    sweep control (a second source following this one), it starts nothing. The PSG accepts it and runs no sweep;
    so does the twin. (A sweep starts with ``:INIT`` or ``:TSW``.)"""
    with serve("agilent-e8257d", transport) as served:
        inst = open_pymeasure("agilent-e8257d", served)
        inst.config_step_sweep()
        inst.write(":TRIG:SOUR BUS")
        inst.start_step_sweep()
        assert synced(inst) and served.twin.sweeps_run == 0 and inst.ask(":SWE:CONT:STAT?") == "1"
        inst.stop_step_sweep()
        assert inst.ask(":SWE:CONT:STAT?") == "0"
        assert_clean(served.twin)


def test_anritsu_output_and_shutdown(transport):
    with serve("anritsu-mg3692c", transport) as served:
        inst = open_pymeasure("anritsu-mg3692c", served)
        inst.frequency, inst.power = 12e9, 7.0
        inst.enable()
        rf = synced(inst) and served.bench.rf
        assert (rf.on, rf.frequency) == (True, 12e9)
        assert rf.power == pytest.approx(1e-3 * 10 ** ((7.0 - CABLE_LOSS_DB) / 10))
        inst.shutdown()
        assert synced(inst) and not rf.on and inst.output is False
        assert_clean(served.twin)


# ----------------------------------------------------------------------------------------------- the twins
@pytest.mark.parametrize("name", ["keysight-n5183b", "agilent-e8257d"])
def test_keysight_am_depth_is_the_default_node(name):
    """``[:SOURce]:AM[1][:DEPTh][:LINear]``: ``:AM 30`` sets 30 % depth; ``:AM:STATe`` (not optional) switches."""
    twin, bench, _ = make_twin(name)
    assert twin.handle(":AM 30;:AM?;:AM:STAT?") == "+3.00000000E+001;0"
    twin.handle(":AM:STAT ON;:OUTP ON;:AM1:INT:FREQ 2.5 kHz")
    assert (bench.rf.am_on, bench.rf.am_depth, bench.rf.am_frequency) == (True, 0.3, 2500.0)
    twin.handle(":OUTP:MOD OFF")
    assert not bench.rf.am_on
    assert error_entries(twin) == []


@pytest.mark.parametrize(("name", "frequency", "power", "error"), [
    ("keysight-n5183b", "+2.0000000000000E+10", "-1.30000000E+002", '+0,"No error"'),
    ("agilent-e8257d", "+2.0000000000000E+10", "-1.35000000E+002", '+0,"No error"'),
    ("rs-smb100a", "1000000000", "-30", '0,"No error"'),
])
def test_reply_formats_after_reset(name, frequency, power, error):
    twin, _, _ = make_twin(name)
    assert twin.handle("*RST;:FREQ?;:POW?;:SYST:ERR?") == f"{frequency};{power};{error}"


@pytest.mark.parametrize("name", ["keysight-n5183b", "agilent-e8257d", "rs-smb100a", "anritsu-mg3692c"])
def test_rejections_are_queued_with_standard_codes(name):
    twin, bench, _ = make_twin(name)
    twin.handle(":FREQ 50 GHZ")
    twin.handle(":POW:LEV:IMM:AMPL 99")
    twin.handle(":OUTP MAYBE")
    twin.handle(":FREQ:NONSENSE 1")
    assert [code for code, _ in error_entries(twin)] == [-222, -222, -224, -113]
    assert twin.handle("*ESR?") == str(0x20 | 0x10 | 0x80)  # command error, execution error, power on
    assert not bench.rf.on
