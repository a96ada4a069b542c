"""The instruments' own protection on the twins, as mtjhw's drivers arm it (``arm_protection``): each command is
stored and answered, a value outside its range leaves a standard error-queue entry, and the instrument holds the
limit whatever it is sent next, as the real one does (for a host that crashed, or a client that bypasses mtjhw).
"""

from __future__ import annotations

import pytest
from conftest import error_entries, make_twin

from mtjhw.simulators.bench import Bias


def test_2450_overvoltage_protection_clamps_the_output_in_either_source_function():
    """``PROT2``: 5 V asked gives 2 V at the DUT (tripped); a current source meets 2 V before its 21 V limit."""
    twin, bench, _ = make_twin("keithley2450")
    assert twin.handle(":SOUR:VOLT:PROT PROT2;:SOUR:VOLT:PROT?") == "PROT2"
    twin.handle(":SOUR:VOLT:ILIM 0.1;:SOUR:VOLT 5;:OUTP ON")
    assert bench.bias == Bias("V", 2.0)
    assert twin.handle(":SOUR:VOLT:PROT:TRIP?") == "1"
    twin.handle(":SOUR:FUNC CURR;:SOUR:CURR 1e-3")  # 1 mA through kΩ would need volts
    assert bench.bias.mode == "V" and abs(bench.bias.level) == pytest.approx(2.0)
    twin.handle(":SOUR:VOLT:PROT PROT3")
    twin.handle(":SOUR:VOLT:PROT MAX")
    assert [code for code, _ in error_entries(twin)] == [-224, -224]
    twin.handle("*RST")
    assert twin.handle(":SOUR:VOLT:PROT?;:SOUR:VOLT:PROT:TRIP?") == "NONE;0"


@pytest.mark.parametrize("name, volt", [("keysight33500b", "SOUR1:VOLT"), ("keysight81160a", ":VOLT1")])
def test_pulse_generator_voltage_limits_refuse_levels_outside_them(name, volt):
    """While ``VOLTage:LIMit:STATe`` is on, a level outside ±0.8 V is refused (-221) and the levels stay; limits
    cannot be switched on, or narrowed, around levels outside them."""
    twin, _, _ = make_twin(name)
    twin.handle(f":OUTP1:LOAD INF;{volt}:LOW 0;{volt}:HIGH 0.1;{volt}:LIM:HIGH 0.8;{volt}:LIM:LOW -0.8")
    twin.handle(f"{volt}:LIM:STAT ON")
    assert twin.handle(f"{volt}:LIM:STAT?") == "1"
    twin.handle(f"{volt}:HIGH 1.5")
    twin.handle(f"{volt}:OFFS 0.78")
    twin.handle(f"{volt}:LIM:HIGH 0.05")
    assert [code for code, _ in error_entries(twin)] == [-221, -221, -221]
    assert (twin.high[1], twin.low[1], twin.limit_high[1]) == (pytest.approx(0.1), 0.0, 0.8)
    twin.handle(f"{volt}:LIM:HIGH 11")
    assert [code for code, _ in error_entries(twin)] == [-222]
    twin.handle(f"{volt}:LIM:STAT OFF;{volt}:HIGH 1.5;{volt}:LIM:STAT ON")
    assert [code for code, _ in error_entries(twin)] == [-221]
    assert twin.limit_state[1] is False


@pytest.mark.parametrize("name", ["keysight-n5183b", "agilent-e8257d", "rs-smb100a"])
def test_rf_power_offset_lowers_the_output(name):
    """A +10 dB offset (an amplifier after the source): −5 dBm set is −15 dBm at the connector; the offset is
    answered; out of range it is refused (-222)."""
    twin, bench, _ = make_twin(name)
    twin.handle(":POW:OFFS 10;:POW -5;:OUTP ON")
    assert float(twin.handle(":POW:OFFS?")) == 10.0
    assert bench.rf.power == pytest.approx(1e-3 * 10 ** ((-15 - twin.cable_loss_db) / 10))
    twin.handle(":POW:OFFS 999")
    assert [code for code, _ in error_entries(twin)] == [-222]


@pytest.mark.parametrize("name", ["keysight-n5183b", "agilent-e8257d"])
def test_keysight_power_reference_adds_while_on(name):
    twin, bench, _ = make_twin(name)
    twin.handle(":POW -20;:POW:REF 6;:OUTP ON")
    assert twin.output_power() == -20.0
    twin.handle(":POW:REF:STAT ON")
    assert twin.output_power() == -14.0
    assert twin.handle(":POW:REF?;:POW:REF:STAT?") == "+6.00000000E+000;1"
    assert error_entries(twin) == []


@pytest.mark.parametrize("name, arm, ceiling", [
    ("keysight-n5183b", ":POW:USER:MAX 0;:POW:USER:ENAB ON", ":POW:USER:MAX"),
    ("rs-smb100a", ":POW:LIM 0", ":POW:LIM"),
])
def test_rf_power_ceiling_holds_and_outlives_presets(name, arm, ceiling):
    """With a 0 dBm ceiling: 5 dBm is refused (-221, the power kept), a lower offset that would raise the output
    too; lowering the ceiling brings the power down; ``*RST`` and ``:SYST:PRES`` keep it."""
    twin, _, _ = make_twin(name)
    twin.handle(f":POW -10;{arm}")
    twin.handle(":POW 5")
    twin.handle(":POW:OFFS -20")
    assert [code for code, _ in error_entries(twin)] == [-221, -221]
    assert twin.output_power() == -10.0
    twin.handle(f"{ceiling} -13")
    assert twin.output_power() == pytest.approx(-13.0)
    twin.handle("*RST;:SYST:PRES")
    assert float(twin.handle(f"{ceiling}?")) == -13.0
    twin.handle(":POW 0")
    assert [code for code, _ in error_entries(twin)] == [-221]
