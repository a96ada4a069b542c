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
from mtjhw.instruments.kepco import KepcoBOP
from mtjhw.instruments.lakeshore import LakeShore425
from mtjhw.instruments.pulse_generator import Keysight33500B, Keysight81160A
from mtjhw.instruments.rf_source import Agilent8257D, AnritsuMG3692C, KeysightN5183B
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.instruments.safety_gate import SafetyGate, parse_pattern, parse_value, split_units
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
BENCH = SafetyLimits(max_voltage=0.5, max_current=1e-3, max_field=0.1, field_ramp_rate=1.0, max_rf_power=1e-3)
COIL = 0.03  # T/A
GATED = [name for name, entry in REGISTRY.items() if getattr(entry.driver, "safety_rules", ())]


def _dut_levels(twin, ch):
    scale = 1.0 if twin.load[ch] >= 1e37 else (twin.load[ch] + 50.0) / twin.load[ch]
    return twin.high[ch] * scale, twin.low[ch] * scale


def _state(twin):
    """The twin's settings that reach the DUT, as (name, value, limit) with values in SI units (W for RF)."""
    if hasattr(twin, "source_voltage"):
        return [("source voltage", twin.source_voltage, BENCH.max_voltage),
                ("source current", twin.source_current, BENCH.max_current),
                ("current limit", twin.current_limit, BENCH.max_current),
                ("voltage limit", twin.voltage_limit, BENCH.max_voltage),
                *(("list voltage", v, BENCH.max_voltage) for v in twin.source_list["VOLTAGE"]),
                *(("list current", v, BENCH.max_current) for v in twin.source_list["CURRENT"])]
    if hasattr(twin, "power"):
        return [(name, 1e-3 * 10 ** (getattr(twin, name) / 10), BENCH.max_rf_power)
                for name in ("power", "power_start", "power_stop") if hasattr(twin, name)]
    if hasattr(twin, "high"):
        return [(f"ch{ch} {which}", level, BENCH.max_voltage) for ch in (1, 2)
                for which, level in zip(("high", "low"), _dut_levels(twin, ch), strict=True)] + \
               [(f"ch{ch} unit VPP", float(twin.unit[ch] != "VPP"), 0.0) for ch in (1, 2)]
    return [("magnet current", twin.current, 1.1 * BENCH.max_field / COIL)]


def _open(name):
    entry = REGISTRY[name]
    bench = VirtualBench(build_dut({"model": "pmtj"}), seed=3)
    twin = entry.twin(bench)
    library = VirtualVisaLibrary.for_instruments({entry.resource: twin}, lock=bench.lock)
    driver = entry.driver(entry.resource, visa_library=library,
                          **({"limits": BENCH} if entry.driver is not KepcoBOP else {}))
    if entry.driver is KepcoBOP:
        MagnetFieldController(driver, None, COIL, limits=BENCH, sleep=lambda s: None)
    if hasattr(driver, "setup_pulse"):  # from the power-on levels (1 V at the DUT) to DUT-safe ones
        for ch in (1, 2):
            driver.setup_pulse(ch, 0.1, 1e-7, 1e-6, 1)
    if hasattr(driver, "source_current_mode"):  # from the power-on compliances (21 V, 0.1 mA) to DUT-safe ones
        driver.source_current_mode(0.1)
        driver.source_voltage_mode(1e-4)
    return driver, twin


def _settable(target):
    return sorted(name for name in dir(type(target))
                  if isinstance(getattr(type(target), name, None), property) and getattr(type(target), name).fset
                  and not name.startswith("_"))


def _targets(driver):
    return {"": driver, **{name: obj for name, obj in vars(driver).items()
                           if name.startswith("ch") and _settable(obj) and hasattr(obj, "parent")}}


def _header(rule, draw):
    """A concrete header the rule matches: short or long forms, optional nodes in or out, suffixes 1 or 2."""
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


def _argument(kind, draw):
    value = draw(NUMBERS)
    if kind == "magnet_output":
        return draw(st.sampled_from(["0", "1", "OFF", "ON"]))
    if kind == "load":
        return draw(st.sampled_from(["INF", "50", "1e3", "MAX", "1e5", "0.5"]))
    if kind == "level_unit":
        return draw(st.sampled_from(["VPP", "VRMS", "DBM"]))
    if kind in ("apply", "apply_dc"):
        return draw(st.sampled_from([f"1e3, {draw(NUMBERS):g}, {value:g}", f"DEF, DEF, {value:g}", "", "1e3"]))
    if kind == "rf_power":
        value = draw(st.floats(-40, 25))
        return draw(st.sampled_from([f"{value:g}", f"{value:g} dBm", f"{1e3 * 10 ** (value / 10):g} mW", "MAX"]))
    keyword = draw(st.sampled_from(["MAX", "DEF", "nan"]))
    return draw(st.sampled_from([f"{value:g}", f"{value:g}", f"{value:g}", f"{value:g},{value / 2:g}", keyword,
                                 f"{value * 1e3:g} m{'A' if 'current' in kind else 'V'}"]))


@pytest.mark.parametrize("name", GATED)
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_property_or_raw_write_moves_a_twin_beyond_the_limits(name, data):
    driver, twin = _open(name)
    if hasattr(driver, "setup_pulse"):  # outputs programmed for a high-impedance or a 50 Ω load
        driver.write(";".join(f":OUTP{ch}:LOAD {data.draw(st.sampled_from(['INF', '50']))}" for ch in (1, 2)))
    magnet = [twin.current] if name == "kepco-bop" else []
    try:
        _exercise(driver, twin, magnet, data)
    finally:
        driver.adapter.close()


def _exercise(driver, twin, magnet, data):
    """Random property sets (instrument and channels) and raw writes of the rule headers; the twin's state is
    checked after each."""
    targets, rules = _targets(driver), driver.safety_rules
    for _ in range(data.draw(st.integers(4, 12))):
        if data.draw(st.integers(0, 2)) == 0:
            target = targets[data.draw(st.sampled_from(sorted(targets)))]
            prop = data.draw(st.sampled_from(_settable(target)))
            action = (setattr, target, prop, data.draw(NUMBERS))
        else:
            units = [f"{_header(rule, data.draw)} {_argument(rule.kind, data.draw)}"
                     for rule in data.draw(st.lists(st.sampled_from(rules), min_size=1, max_size=2))]
            action = (driver.write, ";".join(units))
        try:
            action[0](*action[1:])
        except Exception:  # refused by the gate, a validator or the twin: what counts is the twin's state
            pass
        for quantity, value, limit in _state(twin):
            assert abs(value) <= limit * (1 + 1e-5), f"{quantity} {value:g} beyond {limit:g} after {action[1:]}"
        if magnet:
            step = abs(twin.current - magnet[-1])
            assert step <= BENCH.field_ramp_rate * 0.05 / COIL * (1 + 1e-5), f"step {step:g} A after {action[1:]}"
            magnet.append(twin.current)
