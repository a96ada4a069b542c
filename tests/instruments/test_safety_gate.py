"""The safety gate in front of every driver's adapter: the reported bypasses are refused before anything is sent,
and no sequence of property sets or raw writes moves a twin beyond the bench limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymeasure.test import expected_protocol

from mtjhw.instruments.field_controller import MagnetFieldController
from mtjhw.instruments.keithley2450 import Keithley2450
from mtjhw.instruments.keithley2600 import tsp_units
from mtjhw.instruments.kepco import KepcoBOP
from mtjhw.instruments.lakeshore import LakeShore425
from mtjhw.instruments.lockin import SR830
from mtjhw.instruments.pulse_generator import Keysight33500B, Keysight81160A
from mtjhw.instruments.rf_source import Agilent8257D, AnritsuMG3692C, KeysightN5183B, RohdeSchwarzSMB100A
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.instruments.safety_gate import Rule, SafetyGate, parse_pattern, parse_value, split_units
from mtjhw.registry import REGISTRY
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.transport import VirtualVisaLibrary

PULSE = SafetyLimits(max_voltage=0.8)
RF = SafetyLimits(max_rf_power=1e-3)


# ----------------------------------------------------------------------------------- the reported bypasses
@pytest.mark.parametrize("driver", [Keysight81160A, Keysight33500B])
@pytest.mark.parametrize("target", ["", "ch_1", "ch_2"])
@pytest.mark.parametrize("name, value", [("voltage_high", 1.0), ("voltage_low", -5.0), ("amplitude", 2.0),
                                         ("offset", 1.5)])
def test_pulse_generator_levels_beyond_max_voltage_are_refused_unsent(driver, target, name, value):
    with expected_protocol(driver, [], limits=PULSE) as gen:
        obj = getattr(gen, target) if target else gen
        with pytest.raises(SafetyLimitError):
            setattr(obj, name, value)


@pytest.mark.parametrize("driver, volt", [(Keysight81160A, ":VOLT1"), (Keysight33500B, ":SOUR1:VOLT")])
def test_pulse_levels_count_at_the_dut_doubled_into_a_50_ohm_setting(driver, volt):
    """0.6 V programmed for 50 Ω is 1.2 V at a high-impedance DUT: refused; 0.5 V into INF is 0.5 V, sent."""
    with expected_protocol(driver, [(f":OUTP1:LOAD INF;{volt}:HIGH 0.5", None)], limits=PULSE) as gen:
        with pytest.raises(SafetyLimitError, match="1.2 V at the DUT"):
            gen.write(f":OUTP1:LOAD 50;{volt}:HIGH 0.6")
        gen.write(f":OUTP1:LOAD INF;{volt}:HIGH 0.5")
        with pytest.raises(SafetyLimitError):  # an amplitude around the offset: high = 0.5 + 0.7/2 V
            gen.write(f"{volt}:OFFS 0.5;{volt} 0.7")


def test_pulse_generator_apply_commands_are_checked():
    """The 81160A's APPLy sets both levels (checked); the 33500's is refused under a limit (not followed)."""
    with expected_protocol(Keysight81160A, [(":OUTP1:LOAD INF;:APPL1:PULS 1e6, 0.6, 0.1", None)],
                           limits=PULSE) as gen:
        gen.write(":OUTP1:LOAD INF;:APPL1:PULS 1e6, 0.6, 0.1")  # 0.4 … -0.2 V
        for message in (":APPL1:DC DEF, DEF, 5", ":APPL2:PULS 1e6, 1.6, 0.1", ":APPL:SIN", ":APPL1:SQU 1e3"):
            with pytest.raises(SafetyLimitError):
                gen.write(message)
        with pytest.raises(SafetyLimitError):
            gen.ch_1.apply_dc(5)
    with expected_protocol(Keysight33500B, [], limits=PULSE) as gen, pytest.raises(SafetyLimitError):
        gen.write("SOUR1:APPL:PULS 1e6, 0.1, 0")


@pytest.mark.parametrize("driver, load", [(Keysight81160A, "0.1"), (Keysight81160A, "2e6"), (Keysight33500B, "2e4")])
def test_a_load_the_instrument_refuses_is_refused(driver, load):
    """Else the gate would check later levels for a load the instrument never took."""
    with expected_protocol(driver, [], limits=PULSE) as gen, pytest.raises(SafetyLimitError, match="outside"):
        gen.write(f":OUTP1:LOAD {load}")


def test_pulse_generator_refuses_other_amplitude_units_and_keywords():
    with expected_protocol(Keysight33500B, [], limits=PULSE) as gen:
        for message in ("SOUR1:VOLT:UNIT VRMS", "SOUR2:VOLT:HIGH MAX", ":OUTP1:LOAD MIN"):
            with pytest.raises(SafetyLimitError):
                gen.write(message)


@pytest.mark.parametrize("driver", [Agilent8257D, AnritsuMG3692C])
def test_rf_power_property_beyond_max_rf_power_is_refused_unsent(driver):
    with expected_protocol(driver, [], limits=RF) as source:
        with pytest.raises(SafetyLimitError, match="12 dBm"):
            source.power = 12


def test_raw_writes_are_refused_unsent():
    with expected_protocol(Keithley2450, [], limits=SafetyLimits(max_voltage=0.8, max_current=1e-3)) as smu:
        for message in (":SOUR:VOLT 5", ":SOUR:VOLT:LEV\t5", "SOURce1:VOLTage:LEVel:IMMediate:AMPLitude 5000 mV",
                        ":SOUR:CURR:LEV 0.1", ":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM 10 mA",
                        ":SOUR:VOLT:LEV 0;:SOUR:VOLT:LEV MAX"):
            with pytest.raises(SafetyLimitError):
                smu.write(message)
    with expected_protocol(KeysightN5183B, [], limits=RF) as source:
        for message in (":POW 19 dBm", ":SOUR:POW:LEV:IMM:AMPL 79.4 mW", "POWer:STARt 5", "POW MAX"):
            with pytest.raises(SafetyLimitError):
                source.write(message)
    with expected_protocol(KepcoBOP, [], max_current=3.0) as supply:
        for message in ("CURR 12", "FUNC:MODE CURR;:CURR 12", "CURR:LEV:IMM -12.0"):
            with pytest.raises(SafetyLimitError):
                supply.write(message)


def test_magnet_set_points_beyond_the_field_limit_or_the_ramp_step_are_refused():
    """max_field 0.1 T over 0.03 T/A: |I| ≤ 3.67 A; 1 T/s in 50 ms steps: 1.67 A per step."""
    limits = SafetyLimits(max_field=0.1, field_ramp_rate=1.0)
    with expected_protocol(KepcoBOP, [("CURRent 1.5", None), ("CURRent?", "1.5"), ("CURR 3", None)]) as supply, \
            expected_protocol(LakeShore425, []) as probe:
        MagnetFieldController(supply, probe, 0.03, limits=limits, sleep=lambda s: None)
        with pytest.raises(SafetyLimitError):
            supply.current_setpoint = 10.9
        with pytest.raises(SafetyLimitError, match="per step"):
            supply.write("CURR 2")  # 2 A from 0 A
        supply.current_setpoint = 1.5
        assert supply.current_setpoint == 1.5  # the gate learns the set point from the reply
        supply.write("CURR 3")
        for message in ("CURR 0", "CURR 2;CURR 1.2", "OUTP 0", "*RST"):  # 3 A → 0 A, or two steps at once
            with pytest.raises(SafetyLimitError, match="per step"):
                supply.write(message)


def test_a_compliance_floor_never_raises_a_tighter_limit():
    """The 2450's VLIM minimum is 0.02 V: under max_voltage 0.01 V current sourcing is refused, not raised."""
    with expected_protocol(Keithley2450, [], limits=SafetyLimits(max_voltage=0.01)) as smu:
        with pytest.raises(SafetyLimitError):
            smu.source_current_mode(0.02)
        with pytest.raises(SafetyLimitError):
            smu.write(":SOUR:CURR:VLIM 0.005")


def test_sweep_levels_that_are_not_numbers_are_refused_unsent():
    with expected_protocol(Keithley2450, [], limits=SafetyLimits(max_voltage=0.8)) as smu:
        with pytest.raises(SafetyLimitError):
            smu.sweep(np.array([0.0, math.nan, 0.0]))
        for message in (":SOUR:LIST:VOLT 0,nan,0", ":SOUR:LIST:VOLT:APP 0.1,INF", ":SOUR:SWE:VOLT:LIN 0, 5, 11, 0"):
            with pytest.raises(SafetyLimitError):
                smu.write(message)


def test_without_limits_nothing_is_refused():
    with expected_protocol(Keithley2450, [(":SOUR:VOLT:LEV MAX", None), (":SOUR:LIST:VOLT 0,nan", None)]) as smu:
        smu.write(":SOUR:VOLT:LEV MAX")
        smu.write(":SOUR:LIST:VOLT 0,nan")


# ----------------------------------------------------------------------------------- the gaps closed after
LOCKIN = SafetyLimits(max_voltage=0.5)
SMU = SafetyLimits(max_voltage=0.8, max_current=1e-3)
RF_DRIVERS = [KeysightN5183B, RohdeSchwarzSMB100A, Agilent8257D, AnritsuMG3692C]
NO_ERROR = [("SYST:ERR?", '0,"No error"')]


def test_sr830_sine_output_is_limited_at_its_peak():
    """0.35 V rms peaks at 0.495 V: sent; 0.36 V rms (0.509 V) is refused however the SR830's free spacing writes
    it, and so is 0.3535 V, which the SR830 rounds to 0.354 V (0.5006 V)."""
    with expected_protocol(SR830, [("SLVL 0.35", None), ("SLVL0.350", None)], limits=LOCKIN) as lockin:
        lockin.write("SLVL 0.35")
        lockin.sine_voltage = 0.35
        for message in ("SLVL 0.36", "S LVL 0 .36", "slvl0.3535", "FMOD0;SLVL 1", "SLVL 0.1\nSLVL 5"):
            with pytest.raises(SafetyLimitError):
                lockin.write(message)
        with pytest.raises(SafetyLimitError, match="peak"):
            lockin.sine_voltage = 0.4


def test_sr830_reset_and_setup_recall_are_refused_under_a_voltage_limit():
    """*RST sets 1 V rms (1.41 V peak; the sine output is never off) and RSET restores any amplitude."""
    with expected_protocol(SR830, [], limits=LOCKIN) as lockin:
        for call in (lockin.reset, lambda: lockin.load_setup(1)):
            with pytest.raises(SafetyLimitError):
                call()
    with expected_protocol(SR830, [("*RST", None)], limits=SafetyLimits(max_voltage=1.5)) as lockin:
        lockin.reset()


@pytest.mark.parametrize("driver", RF_DRIVERS)
def test_rf_power_offset_and_reference_count_in_the_output(driver):
    """The output is the set value − offset (+ reference while on): −5 dBm set under a −10 dB offset is +5 dBm.
    A lower offset needs the level read back; a higher one counts once read back (the source may refuse it)."""
    with expected_protocol(driver, [(":POW -5", None), (":POW?", "-5"), (":POW:OFFS -4", None),
                                    (":POW:OFFS 0", None), (":POW:OFFS?", "+0.00000000E+000"),
                                    (":POW:REF 3;:POW:REF:STAT ON", None)], limits=RF) as source:
        source.write(":POW -5")
        with pytest.raises(SafetyLimitError, match="read back"):
            source.write(":POW:OFFS -4")
        assert source.ask(":POW?") == "-5"
        with pytest.raises(SafetyLimitError, match="peak output of 5 dBm"):
            source.write(":POW:OFFS -10")
        source.write(":POW:OFFS -4")  # -1 dBm out
        for message in (":POW 0", ":POW:REF 3;:POW:REF:STAT ON", ":SOUR:POW:STAR -3", ":LIST:POW -10,-4,-3.5"):
            with pytest.raises(SafetyLimitError):
                source.write(message)
        source.write(":POW:OFFS 0")
        with pytest.raises(SafetyLimitError):  # the offset may still be -4 dB
            source.write(":POW:REF 3;:POW:REF:STAT ON")
        source.ask(":POW:OFFS?")
        source.write(":POW:REF 3;:POW:REF:STAT ON")  # -2 dBm out
        with pytest.raises(SafetyLimitError):
            source.write(":POW -2")


def test_rf_am_is_limited_at_its_peak_envelope_power():
    """With AM of depth m the peak is P·(1 + m)²: −5 dBm at 50 % peaks at −1.5 dBm, sent once the level and depth
    are read back (a depth not read back counts 100 %); −3 dBm at 50 % (+0.5 dBm), 90 % at −5 dBm (+0.6 dBm), a
    second AM path at an unseen depth, and AM over a level not read back are refused."""
    with expected_protocol(KeysightN5183B, [(":POW -5", None), (":AM:DEPT 50", None), (":POW?", "-5"),
                                            (":AM:DEPT?", "+5.00000000E+001"), (":AM:STAT ON", None)],
                           limits=RF) as source:
        with pytest.raises(SafetyLimitError, match="read back"):
            source.write(":AM:STAT ON")
        source.write(":POW -5")
        source.write(":AM:DEPT 50")
        source.ask(":POW?")
        with pytest.raises(SafetyLimitError, match="peak output of 1.021 dBm"):  # the depth may still be 100 %
            source.write(":AM:STAT ON")
        source.ask(":AM:DEPT?")
        source.write(":AM:STAT ON")
        for message in (":POW -3", ":AM 90", ":AM2:STAT ON", ":LIST:POW -10,-3", ":UNIT:POW V", ":AM:TYPE EXP"):
            with pytest.raises(SafetyLimitError):
                source.write(message)
    with expected_protocol(KeysightN5183B, [(":POW -5.00", None), (":AM:INT:FREQ 1000;:AM:DEPT 100", None),
                                            (":AM:DEPT?", "100"), (":POW?", "-5")], limits=RF) as source:
        source.set_power_dbm(-5.0)
        with pytest.raises(SafetyLimitError, match="peak output of 1.021 dBm"):
            source.set_amplitude_modulation(True, 1e3, 1.0)  # 100 %: 6 dB over the carrier


def test_a_reply_counts_only_when_its_query_ends_the_message():
    """``:POW?;:POW -2`` answers the level before ``:POW -2``: the gate learns nothing from it."""
    with expected_protocol(KeysightN5183B, [(":POW?;:POW -2", "-30")], limits=RF) as source:
        source.ask(":POW?;:POW -2")
        with pytest.raises(SafetyLimitError, match="read back"):
            source.write(":AM:STAT ON")


def test_rf_preset_returns_the_gate_to_no_offset_and_recalls_are_refused():
    with expected_protocol(KeysightN5183B, [(":POW:OFFS 10", None), (":POW:OFFS?", "10"), (":POW 8", None),
                                            (":SYST:PRES", None)], limits=RF) as source:
        source.write(":POW:OFFS 10")
        source.ask(":POW:OFFS?")
        source.write(":POW 8")  # -2 dBm out
        source.write(":SYST:PRES")
        for message in (":POW 8", "*RCL 1"):  # 8 dBm out after the preset
            with pytest.raises(SafetyLimitError):
                source.write(message)


def test_2450_refuses_language_changes_tsp_and_recalls():
    """After ``*LANG TSP`` (at the next power-on) the SCPI rules would see nothing; raw TSP could set levels."""
    with expected_protocol(Keithley2450, [("*LANG SCPI", None), ("*LANG?", "SCPI")], limits=SMU) as smu:
        smu.write("*LANG SCPI")
        assert smu.ask("*LANG?") == "SCPI"
        for message in ("*LANG TSP", "*lang scpi2400", "smu.source.level = 5", "smu.source.level=5",
                        "smu .source.level = 5", "print(smu.source.level)", "*RCL 1", ":SOUR:CONF:LIST:REC 'a', 1",
                        ":SOUR:VOLT:PROT NONE", ":SOUR:VOLT:PROT PROT5"):
            with pytest.raises(SafetyLimitError):
                smu.write(message)


def test_2450_arms_its_own_limits_and_rearms_them_after_a_reset():
    """Overvoltage protection at the smallest level ≥ 0.8 V (2 V) and both compliances at the bench limits; a
    reset (output off, 21 V voltage limit) is followed by the same commands."""
    arm = (":SOUR:VOLT:PROT PROT2;:SOUR:VOLT:ILIM 0.001;:SOUR:CURR:VLIM 0.8", None)
    with expected_protocol(Keithley2450, [arm, *NO_ERROR, ("*RST", None), arm, *NO_ERROR], limits=SMU) as smu:
        smu.arm_protection()
        smu.write("*RST")


@pytest.mark.parametrize("driver, recall", [(KepcoBOP, "*RCL 2"), (Keysight81160A, "*RCL 1"),
                                            (Keysight33500B, "*RCL 1"), (Keysight33500B, 'MMEM:LOAD:STAT "a.sta"')])
def test_recalls_are_refused(driver, recall):
    """A recalled setup holds levels, set points and output states the gate cannot check."""
    options = {"max_current": 3.0} if driver is KepcoBOP else {"limits": PULSE}
    with expected_protocol(driver, [], **options) as inst, pytest.raises(SafetyLimitError, match="recall"):
        inst.write(recall)


def test_a_pulse_generator_reset_is_refused_unless_protection_rearms_it():
    """The 81160A's power-on levels are 1 V at a high-impedance DUT; armed, the reset is followed by safe levels
    and the instrument's own limits (outputs are off in between)."""
    highs = [(":VOLT1:HIGH?", "+5.0E-01"), (":VOLT2:HIGH?", "-1.0E-01")]  # the low level is set first on ch1
    arm = (":OUTP1:LOAD INF;:VOLT1:UNIT VPP;:VOLT1:LOW 0;:VOLT1:HIGH 0.1;:VOLT1:LIM:HIGH 0.8;:VOLT1:LIM:LOW -0.8;"
           ":VOLT1:LIM:STAT ON;:OUTP2:LOAD INF;:VOLT2:UNIT VPP;:VOLT2:HIGH 0.1;:VOLT2:LOW 0;:VOLT2:LIM:HIGH 0.8;"
           ":VOLT2:LIM:LOW -0.8;:VOLT2:LIM:STAT ON", None)
    with expected_protocol(Keysight81160A, [*highs, arm, *NO_ERROR, ("*RST", None), *highs, arm, *NO_ERROR],
                           limits=PULSE) as gen:
        with pytest.raises(SafetyLimitError, match="power-on level"):
            gen.write("*RST")
        gen.arm_protection()
        with pytest.raises(SafetyLimitError, match="on its own"):  # levels set before the re-arm
            gen.write("*RST;:APPL1:DC DEF, DEF, 0.1")
        gen.write("*RST")


ARMED = {  # driver: (a message sent to the twin around the gate, as by a crashed host's successor, and what holds)
    "keithley2400": (":SENS:CURR:PROT 1;:SENS:VOLT:PROT 200;:SOUR:VOLT 100;:OUTP ON",  # its lowest protection: 20 V
                     lambda twin: abs(twin.bench.bias.level) <= 20.0 and twin.voltage_protection == 20.0),
    "keithley2450": (":SOUR:VOLT:ILIM 1;:SOUR:CURR:VLIM 200;:SOUR:VOLT 20;:OUTP ON",
                     lambda twin: abs(twin.bench.bias.level) <= 2.0 and twin.voltage_protection == "PROT2"),
    "keysight-b2900": (":SOUR:FUNC:MODE CURR;:SOUR:CURR 1e-3;:OUTP ON",  # ~10 V: the output switches off
                       lambda twin: twin.handle(":OUTP?") == "0" and twin.voltage_compliance[1] <= BENCH.max_voltage),
    "keysight81160a": (":VOLT1:HIGH 2", lambda twin: twin.high[1] <= BENCH.max_voltage),
    "keysight33500b": ("SOUR1:VOLT:HIGH 2", lambda twin: twin.high[1] <= BENCH.max_voltage),
    "keysight-n5183b": (":POW 10", lambda twin: twin.output_power() <= 0.0),
    "rs-smb100a": (":POW 10", lambda twin: twin.output_power() <= 0.0),
    "agilent-e8257d": (":POW -20", lambda twin: twin.output_power() == -20.0 and not twin.am),  # no ceiling known
    "anritsu-mg3692c": (":POW -20", lambda twin: not twin.am),  # no ceiling, offset or reference known
    "sr830": ("FMOD0", lambda twin: math.sqrt(2) * twin.settings["SLVL"] <= BENCH.max_voltage),
    "sr860": ("RSRC 0", lambda twin: abs(twin.settings["SOFF"]) + math.sqrt(2) * twin.settings["SLVL"]
              <= BENCH.max_voltage),
    "newport-esp300": ("1PA120", lambda twin: twin.stages[1].target == 0.0),
    "keithley2636b": ("smua.source.func = 0 smua.source.leveli = 0.1 smua.source.output = 1",  # limitv holds V
                      lambda twin: abs(twin.bench.dut.operating_point(twin.bench.bias)[0]) <= BENCH.max_voltage),
    "keithley6221": (":SOUR:CURR 0.1;:OUTP ON",  # 100 mA into the DUT: the armed compliance holds the voltage
                     lambda twin: abs(twin.bench.dut.operating_point(twin.bench.bias)[0]) <= BENCH.max_voltage),
    "lakeshore336": ("SETP 1,450;RANGE 1,3", lambda twin: (twin.bench.advance(600.0), twin.handle("RANGE? 1"))[1] == "0"
                     and twin.bench.stage.temperature <= BENCH.max_temperature),
}


@pytest.mark.parametrize("name", sorted(ARMED))
def test_armed_instruments_hold_the_bench_limits_without_the_gate(name):
    """Armed from power-on, each instrument keeps the bench limit itself where it has a limit of its own; the RF
    sources without one are left with no AM (what the gate assumes), the SR830 with a DUT-safe amplitude."""
    _, twin, _ = _open(name, armed=True)
    message, holds = ARMED[name]
    twin.handle(message)
    assert holds(twin)


def test_every_driver_that_can_arm_its_instrument_is_checked_above():
    assert {name for name in GATED if hasattr(REGISTRY[name].driver, "arm_protection")} == set(ARMED)


class FakeClock:
    """A bench clock (s) that moves only when waited on."""

    def __init__(self) -> None:
        self.time, self.waits = 0.0, []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.time += seconds


def test_magnet_set_points_wait_for_the_field_ramp_rate():
    """1 T/s over 0.03 T/A is 33.3 A/s: 1.5 A then 3 A at once waits 45 ms; ten 0.1 A steps in a tight loop take at
    least 1 A / 33.3 A/s; two set points in one message cannot be spaced and are refused."""
    clock, limits = FakeClock(), SafetyLimits(max_field=0.1, field_ramp_rate=1.0)
    steps = [f"CURR {3 - 0.1 * k:g}" for k in range(1, 11)]
    with expected_protocol(KepcoBOP, [("CURR 1.5", None), ("CURR 3", None), *((s, None) for s in steps)]) as supply:
        MagnetFieldController(supply, None, 0.03, limits=limits, sleep=clock.sleep, clock=clock.now)
        supply.write("CURR 1.5")
        assert clock.waits == []  # nothing changed before: no wait
        supply.write("CURR 3")
        assert clock.waits == [pytest.approx(0.045)]
        for step in steps:
            supply.write(step)
        assert clock.time >= 0.045 + 1.0 / (1.0 / 0.03) * (1 - 1e-6)
        with pytest.raises(SafetyLimitError, match="one message"):
            supply.write("CURR 1.9;CURR 1.8")
        for message in ("FUNC:MODE VOLT", "LIST:CURR 1,2,3"):
            with pytest.raises(SafetyLimitError):
                supply.write(message)


# ----------------------------------------------------------------------------------- the matcher and parser
def test_headers_match_in_short_and_long_forms_with_optional_nodes_and_suffixes():
    gate = SafetyGate(None, Keithley2450.safety_rules, None)
    for header in ("SOUR:VOLT", "SOURce1:VOLTage:LEVel", "VOLT:IMM:AMPL", "source:volt:lev:imm:ampl"):
        assert gate.rule_for(header).kind == "voltage", header
    for header in ("SOUR:VOLT:RANG", "SOURC:VOLT", "SOUR:VOLTA", "SENS:VOLT", "SOUR:VOLT2"):
        assert gate.rule_for(header) is None, header
    assert gate.rule_for("SOUR2:VOLT").kind == "voltage"  # a suffix in the notation: any number, to be safe
    assert [n.optional for n in parse_pattern("[:SOURce[1]]:VOLTage[:LEVel]")] == [True, False, True]


def test_program_units_resolve_relative_paths_and_keep_quoted_semicolons():
    assert split_units(':SOUR:VOLT:LEV 1;ILIM 2;*WAI;:TRAC:CLE "a;b"') == [
        ("SOUR:VOLT:LEV", "1"), ("SOUR:VOLT:ILIM", "2"), ("*WAI", ""), ("TRAC:CLE", '"a;b"')]


@pytest.mark.parametrize("token, unit, value", [("100 mV", "V", 0.1), ("100MV", "V", 0.1), ("2.5e-3", "A", 2.5e-3),
                                                ("5 uA", "A", 5e-6), ("-3 dBm", "DBM", -3.0),
                                                ("1 mW", "DBM", 0.0), ("1 kOHM", "OHM", 1e3), ("1MOHM", "OHM", 1e6)])
def test_values_with_si_prefixed_units(token, unit, value):
    assert parse_value(token, unit, "H") == pytest.approx(value)


@pytest.mark.parametrize("token", ["MIN", "MAX", "DEF", "INF", "NAN", "nan", "UP", "1 A", "1 dBW"])
def test_keywords_and_foreign_units_are_refused_for_limited_quantities(token):
    with pytest.raises(SafetyLimitError):
        parse_value(token, "V", "H")


# ----------------------------------------------------------------------------------- property test on the twins
BENCH = SafetyLimits(max_voltage=0.5, max_current=1e-3, max_field=0.1, field_ramp_rate=1.0, max_rf_power=1e-3,
                     max_temperature=400.0, min_angle=-math.pi / 2, max_angle=math.pi / 2)
COIL = 0.03  # T/A
GATED = [name for name, entry in REGISTRY.items() if getattr(entry.driver, "safety_rules", ())]


def _dut_levels(twin, ch):
    scale = 1.0 if twin.load[ch] >= 1e37 else (twin.load[ch] + 50.0) / twin.load[ch]
    return twin.high[ch] * scale, twin.low[ch] * scale


def _rf_peak_gain(twin):
    """dB from a set power to the twin's peak output: the reference (while on) − the offset, + AM's (1 + m)²."""
    settings = twin.settings
    gain = settings.get("power_reference", 0.0) * bool(settings.get("power_reference_on")) - \
        settings.get("power_offset", 0.0)
    if twin.am and settings.get("modulation", True):
        gain += 20 * math.log10(1 + twin.am_depth / 100)
    return gain


def _state(twin, armed):
    """The twin's settings that reach the DUT, and when ``armed`` those that protect it, as (name, value, limit)
    with values in SI units (W for RF); an instrument's own limit that is off counts as infinite."""
    return [entry for entry in _settings(twin) if armed or not entry[0].startswith("own ")]


def _settings(twin):
    settings = getattr(twin, "settings", {})
    if hasattr(twin, "nanovoltmeter"):  # a current source: every level it may source, and its own compliance
        return [*((name, getattr(twin, name), BENCH.max_current) for name in
                  ("source_current", "delta_high", "delta_low", "pulse_high", "pulse_low", "wave_amplitude",
                   "wave_offset")),
                ("own voltage compliance", twin.compliance, BENCH.max_voltage)]
    if "SLVL" in settings:  # a lock-in's sine output (on the SR860's DC level SOFF)
        return [("sine output peak", abs(settings.get("SOFF", 0.0)) + math.sqrt(2) * settings["SLVL"],
                 BENCH.max_voltage)]
    if hasattr(twin, "smua"):  # a 2600B: both SMUs' levels, compliances and sweep lists (smua reaches the DUT)
        return [entry for smu in (twin.smua, twin.smub) for src, (kind, values) in
                [(smu.source, smu.trigger.source._values)] for entry in (
                    ("source voltage", src.levelv, BENCH.max_voltage),
                    ("source current", src.leveli, BENCH.max_current),
                    ("own current limit", src.limiti, BENCH.max_current),
                    ("own voltage limit", src.limitv, BENCH.max_voltage),
                    *((f"list {kind}", v, BENCH.max_voltage if kind == "v" else BENCH.max_current) for v in values))]
    if hasattr(twin, "current_compliance"):  # a B2900: channel 1 reaches the DUT (channel 2 is open)
        return [("source voltage", twin.voltage[1], BENCH.max_voltage),
                ("source current", twin.current[1], BENCH.max_current),
                ("current compliance", twin.current_compliance[1], BENCH.max_current),
                ("voltage compliance", twin.voltage_compliance[1], BENCH.max_voltage),
                ("own output protection", 0.0 if twin.output_protection[1] else math.inf, 0.0),
                *(("list voltage", v, BENCH.max_voltage) for v in twin.lists[(1, "VOLTAGE")]),
                *(("list current", v, BENCH.max_current) for v in twin.lists[(1, "CURRENT")])]
    if isinstance(settings.get("voltage_protection"), float):  # a 2400: protection in volts, 20 V at least
        return [("source voltage", twin.source_voltage, BENCH.max_voltage),
                ("source current", twin.source_current, BENCH.max_current),
                ("current limit", twin.current_limit, BENCH.max_current),
                ("voltage limit", twin.voltage_limit, BENCH.max_voltage),
                ("own overvoltage protection", math.inf if twin.voltage_protection > 160 else twin.voltage_protection,
                 20.0),
                *(("list voltage", v, BENCH.max_voltage) for v in twin.source_list["VOLTAGE"]),
                *(("list current", v, BENCH.max_current) for v in twin.source_list["CURRENT"])]
    if hasattr(twin, "source_voltage"):
        protection = settings["voltage_protection"]
        return [("source voltage", twin.source_voltage, BENCH.max_voltage),
                ("source current", twin.source_current, BENCH.max_current),
                ("current limit", twin.current_limit, BENCH.max_current),
                ("voltage limit", twin.voltage_limit, BENCH.max_voltage),
                ("own overvoltage protection", math.inf if protection == "NONE" else float(protection[4:]), 2.0),
                *(("list voltage", v, BENCH.max_voltage) for v in twin.source_list["VOLTAGE"]),
                *(("list current", v, BENCH.max_current) for v in twin.source_list["CURRENT"])]
    if hasattr(twin, "power"):
        ceilings = [settings["power_limit"]] if "power_limit" in settings else \
            [settings["user_max"] if settings["user_max_on"] else math.inf] if "user_max" in settings else []
        return [(name, 1e-3 * 10 ** ((getattr(twin, name) + _rf_peak_gain(twin)) / 10), BENCH.max_rf_power)
                for name in ("power", "power_start", "power_stop") if hasattr(twin, name)] + \
               [("own power ceiling", 1e-3 * 10 ** (dbm / 10), BENCH.max_rf_power) for dbm in ceilings]
    if hasattr(twin, "high"):
        return [(f"ch{ch} {which}", level, BENCH.max_voltage) for ch in (1, 2)
                for which, level in zip(("high", "low"), _dut_levels(twin, ch), strict=True)] + \
               [(f"ch{ch} unit VPP", float(twin.unit[ch] != "VPP"), 0.0) for ch in (1, 2)] + \
               [(f"own ch{ch} voltage limit", max(twin.limit_high[ch], -twin.limit_low[ch]) if twin.limit_state[ch]
                 else math.inf, BENCH.max_voltage) for ch in (1, 2)]
    if hasattr(twin, "stages"):  # a rotation stage: where it is going, and its own travel limits
        stage = twin.stages[1]
        return [("stage angle", math.radians(stage.target), BENCH.max_angle),
                ("own travel limit", math.radians(max(-stage.left, stage.right)), BENCH.max_angle)]
    if hasattr(twin, "setpoints"):  # a temperature controller: every output's set point, the stage, its own limit
        return [*((f"output {n} set point", twin.setpoints[n], BENCH.max_temperature) for n in (1, 2, 3, 4)),
                ("stage temperature", twin.bench.stage.temperature, BENCH.max_temperature),
                ("own temperature limit", twin.limits["A"] or math.inf, BENCH.max_temperature)]
    return [("magnet current", twin.current, 1.1 * BENCH.max_field / COIL)]


def _open(name, armed):
    """The registered driver on its twin, ``armed`` or not, from the power-on state to DUT-safe settings; for the
    magnet the bench clock its safety gate waits by."""
    entry, clock = REGISTRY[name], FakeClock()
    bench = VirtualBench(build_dut({"model": "pmtj"}), seed=3)
    twin = entry.twin(bench)
    library = VirtualVisaLibrary.for_instruments({entry.resource: twin}, lock=bench.lock)
    driver = entry.driver(entry.resource, visa_library=library,
                          **({"limits": BENCH} if entry.driver is not KepcoBOP else {}))
    if entry.driver is KepcoBOP:
        MagnetFieldController(driver, None, COIL, limits=BENCH, sleep=clock.sleep, clock=clock.now)
    if armed and hasattr(driver, "arm_protection"):
        driver.arm_protection()
    if "SLVL" in getattr(twin, "settings", {}):  # from the power-on 1 V rms (1.41 V peak)
        driver.sine_voltage = 0.3
    if hasattr(driver, "setup_pulse"):  # from the power-on levels (1 V at the DUT) to DUT-safe ones
        for ch in (1, 2):
            driver.setup_pulse(ch, 0.1, 1e-7, 1e-6, 1)
    if hasattr(driver, "source_current_mode"):  # from the power-on compliances (21 V, 0.1 mA) to DUT-safe ones
        driver.source_current_mode(0.1)
        driver.source_voltage_mode(1e-4)
    return driver, twin, clock


def _settable(target):
    return sorted(name for name in dir(type(target))
                  if isinstance(getattr(type(target), name, None), property) and getattr(type(target), name).fset
                  and not name.startswith("_"))


def _targets(driver):
    return {"": driver, **{name: obj for name, obj in vars(driver).items()
                           if name.startswith("ch") and _settable(obj) and hasattr(obj, "parent")}}


def _header(rule, draw):
    """A concrete header the rule matches: short or long forms, optional nodes in or out, suffixes 1 or 2; a
    common command as it is; an SR830 mnemonic in either case, its letters perhaps spaced (the SR830 ignores
    spaces)."""
    if rule.pattern.startswith("*"):
        return rule.pattern
    if ":" not in rule.pattern:
        return draw(st.sampled_from([rule.pattern, rule.pattern.lower(), " ".join(rule.pattern)]))
    parts = []
    for node in rule.nodes:
        if node.optional and draw(st.booleans()):
            continue
        name = draw(st.sampled_from([node.short, node.long.lower(), node.long]))
        parts.append(name + (draw(st.sampled_from(["", "1", "2"])) if node.suffix else ""))
    return ":" + ":".join(parts)


#: values about the limits (0.5 V, 1 mA, 3.7 A) and far beyond them
NUMBERS = st.one_of(st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.45, 0.5, 0.6, -0.3, 1e-3, 2.0, 4.0]), st.floats(-1, 1),
                    st.floats(-25, 25), st.floats(-2e-3, 2e-3))
#: RF powers (dBm) about the 0 dBm limit and far from it; offsets and references (dB) that move them across it
DBM = st.one_of(st.sampled_from([-10.0, -6.0, -3.0, -1.0, 0.0, 3.0]), st.floats(-40, 25))
DB = st.one_of(st.sampled_from([-10.0, -6.0, -3.0, 3.0, 10.0]), st.floats(-20, 20))
#: arguments of the rules that take a fixed set of words
WORDS = {"magnet_output": ["0", "1", "OFF", "ON"], "load": ["INF", "50", "1e3", "MAX", "1e5", "0.5"],
         "level_unit": ["VPP", "VRMS", "DBM"], "rf_reference_state": ["ON", "OFF", "1", "0", "MAX"],
         "am_state": ["ON", "OFF", "1", "0"], "ovp": ["PROT2", "PROT5", "PROT180", "NONE", "prot2"],
         "refused": ["1", "2"], "reset": [""]}


def _argument(rule, draw):
    kind, value = rule.kind, draw(NUMBERS)
    if kind == "ovp" and rule.levels:  # a protection in volts (the 2400's): about its levels and between them
        return draw(st.sampled_from(["20", "25", "40", "45", "160", "170", "210", "-20", "NONE", "MIN"]))
    if kind in WORDS:
        return draw(st.sampled_from(WORDS[kind]))
    if kind == "temperature":  # a loop or input, then kelvin about the 400 K limit and far beyond it
        kelvin = draw(st.one_of(st.sampled_from([0.0, 300.0, 399.0, 400.0, 400.01, 401.0, 1e3]), st.floats(0, 2e3)))
        return f"{draw(st.sampled_from(['1', '2', '3', 'A', 'B']))},{kelvin:g}"
    if kind == "keyword" and rule.skip:  # a loop or input first
        return f"1,{draw(st.sampled_from([*rule.allowed, '2', '3', '5']))},1,0"
    if kind == "keyword":
        return draw(st.sampled_from([*rule.allowed, "TSP", "SCPI2400", "V", "OFF", "0", "VOLT", "EXP"]))
    if kind in ("apply", "apply_dc"):
        return draw(st.sampled_from([f"1e3, {draw(NUMBERS):g}, {value:g}", f"DEF, DEF, {value:g}", "", "1e3"]))
    if kind in ("rf_power", "rf_ceiling"):
        value = draw(DBM)
        return draw(st.sampled_from([f"{value:g}", f"{value:g} dBm", f"{1e3 * 10 ** (value / 10):g} mW", "MAX",
                                     f"{value:g},{value - 3:g}"]))
    if kind in ("rf_offset", "rf_reference"):
        return draw(st.sampled_from([f"{draw(DB):g}", f"{draw(DB):g}", "MIN"]))
    if kind == "am_depth":
        return draw(st.sampled_from([f"{draw(st.floats(0, 100)):g}", "50", "100", "MAX", "30 PCT"]))
    keyword = draw(st.sampled_from(["MAX", "DEF", "nan"]))
    return draw(st.sampled_from([f"{value:g}", f"{value:g}", f"{value:g}", f"{value:g},{value / 2:g}", keyword,
                                 f"{value * 1e3:g} m{'A' if 'current' in kind else 'V'}"]))


def _reads_tsp(driver):
    return getattr(driver.adapter, "units", None) is tsp_units


def _unit(driver, rule, draw):
    """One program unit of ``rule``: SCPI, or for a gate that reads TSP (a 2600B) the Lua statement it stands for
    (an assignment, a call with its list or its start and stop, a reset, a loop the gate cannot follow)."""
    if not _reads_tsp(driver) or rule.pattern.startswith("*"):
        return f"{_header(rule, draw)} {_argument(rule, draw)}"
    path, value, other = rule.pattern.lower().replace(":", "."), f"{draw(NUMBERS):g}", f"{draw(NUMBERS):g}"
    if rule.kind in ("reset", "refused"):
        return f"{path}()" if rule.kind == "reset" else f"for k = 1, 2 do smua.source.levelv = {value} end"
    if path.endswith(("listv", "listi")):
        return f"{path}({{{value}, {other}}})"
    return f"{path}({value}, {other}, 5)" if rule.count == 2 else f"{path} = {value}"


@pytest.mark.parametrize("name", GATED)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_property_or_raw_write_moves_a_twin_beyond_the_limits(name, data):
    """With the instrument's own protection armed or not (the gate alone), and for the armed, the protection
    itself kept."""
    armed = data.draw(st.booleans())
    driver, twin, clock = _open(name, armed)
    if hasattr(driver, "setup_pulse"):  # outputs programmed for a high-impedance or a 50 Ω load
        driver.write(";".join(f":OUTP{ch}:LOAD {data.draw(st.sampled_from(['INF', '50']))}" for ch in (1, 2)))
    try:
        _exercise(driver, twin, armed, clock if name == "kepco-bop" else None, data)
    finally:
        driver.adapter.close()


#: rule kinds whose headers change what later values mean: drawn twice as often
STATEFUL = {"rf_offset", "rf_reference", "rf_reference_state", "am_depth", "am_state", "reset", "load"}


def _exercise(driver, twin, armed, clock, data):
    """Random property sets (instrument and channels) and raw writes of the rule headers and ``*RST``; the twin's
    state is checked after each, and the magnet's set point never changes faster than the ramp rate by the bench
    clock."""
    targets, rules = _targets(driver), (*driver.safety_rules, Rule("*RST", "reset"))
    rules += tuple(rule for rule in rules if rule.kind in STATEFUL)
    magnet = (getattr(twin, "current", 0.0), -math.inf)  # the magnet's set point, and since when (bench clock)
    for _ in range(data.draw(st.integers(4, 12))):
        if data.draw(st.integers(0, 2)) == 0:
            target = targets[data.draw(st.sampled_from(sorted(targets)))]
            prop = data.draw(st.sampled_from(_settable(target)))
            action = (setattr, target, prop, data.draw(NUMBERS))
        elif data.draw(st.integers(0, 3)) == 0:  # a query the gate learns the instrument's state from
            action = (driver.ask, _header(data.draw(st.sampled_from(rules)), data.draw) + "?")
        else:
            units = [_unit(driver, rule, data.draw)
                     for rule in data.draw(st.lists(st.sampled_from(rules), min_size=1, max_size=2))]
            action = (driver.write, (" " if _reads_tsp(driver) else ";").join(units))
        try:
            action[0](*action[1:])
        except Exception:  # refused by the gate, a validator or the twin: what counts is the twin's state
            pass
        for quantity, value, limit in _state(twin, armed):
            assert abs(value) <= limit * (1 + 1e-5), f"{quantity} {value:g} beyond {limit:g} after {action[1:]}"
        if clock is not None and twin.current != magnet[0]:
            step, elapsed = abs(twin.current - magnet[0]), clock.time - magnet[1]
            assert step <= BENCH.field_ramp_rate * 0.05 / COIL * (1 + 1e-5), f"step {step:g} A after {action[1:]}"
            assert step * COIL <= BENCH.field_ramp_rate * elapsed * (1 + 1e-5) + 1e-9, \
                f"{step:g} A in {elapsed:g} s after {action[1:]}"
            magnet = (twin.current, clock.time)


RF_NAMES = [name for name in GATED if REGISTRY[name].driver in RF_DRIVERS]
#: what sets an RF source's power or changes its meaning, written here (not taken from the gate's rules, so that a
#: rule missing there is found): (header in manual notation, the kind of argument it takes)
RF_HEADERS = tuple(Rule(pattern, kind) for pattern, kind in (
    ("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", "rf_power"), ("[:SOURce]:POWer:STARt", "rf_power"),
    ("[:SOURce]:LIST:POWer", "rf_power"), ("[:SOURce]:POWer[:LEVel][:IMMediate]:OFFSet", "rf_offset"),
    ("[:SOURce]:POWer:REFerence", "rf_reference"), ("[:SOURce]:POWer:REFerence:STATe", "rf_reference_state"),
    ("[:SOURce]:AM[:DEPTh]", "am_depth"), ("[:SOURce]:AM:STATe", "am_state"), (":SYSTem:PRESet", "reset"),
    ("*RST", "reset")))


@pytest.mark.parametrize("name", RF_NAMES)
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_sequence_of_power_offset_reference_and_am_raises_the_peak_rf_output_beyond_the_limit(name, data):
    """The gate alone (not armed): raw writes of the headers that set the power or change its meaning, and their
    queries (from whose replies the gate learns)."""
    driver, twin, _ = _open(name, armed=False)
    try:
        for _ in range(data.draw(st.integers(2, 12))):
            message = ";".join(f"{_header(rule, data.draw)} {_argument(rule, data.draw)}"
                               for rule in data.draw(st.lists(st.sampled_from(RF_HEADERS), min_size=1, max_size=3)))
            query = data.draw(st.booleans())
            if query:
                message = _header(data.draw(st.sampled_from(RF_HEADERS[:-2])), data.draw) + "?"
            try:
                driver.ask(message) if query else driver.write(message)
            except Exception:  # refused by the gate, or a query the twin does not answer
                pass
            for quantity, value, limit in _state(twin, armed=False):
                assert value <= limit * (1 + 1e-5), f"{quantity} {value:g} W beyond {limit:g} W after {message!r}"
    finally:
        driver.adapter.close()
