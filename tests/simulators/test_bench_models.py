"""Every bench DUT model through the virtual 2450: the physics engine seen through SCPI."""

import numpy as np
import pytest

from simulators.bench import VirtualBench
from simulators.bench.models import DutConfigError, build_dut
from simulators.instruments import Keithley2450


def smu_on(dut, seed=2):
    bench = VirtualBench(dut, seed=seed)
    smu = Keithley2450(bench)
    smu.handle(':SOUR:FUNC CURR;:SOUR:CURR:VLIM 1.2;:SENS:FUNC "VOLT";:OUTP ON')
    return bench, smu


def resistance_at(smu, current):
    smu.handle(f":SOUR:CURR {current:g}")
    return float(smu.handle(":READ?")) / current


def test_dw_synapse_potentiates_and_depresses_in_steps_under_current_pulses():
    dut = build_dut({"model": "dw-synapse", "seed": 4, "n_sites": 8, "site": 0, "sigma_c2c": 0.0})
    bench, smu = smu_on(dut)
    smu.handle(":SENS:VOLT:NPLC 0.01")  # a list point lasts 200 µs: the write pulse
    g = [1 / resistance_at(smu, 1e-6)]
    for amplitude in [62e-6] * 10 + [-62e-6] * 10:  # below depinning (100 µA): thermally activated creep
        smu.handle(f":SOUR:LIST:CURR {amplitude:g};:SOUR:SWE:CURR:LIST 1, 0")
        smu.handle(":INIT")
        g.append(1 / resistance_at(smu, 1e-6))
    g = np.array(g)
    potentiation, depression = np.diff(g[:11]), np.diff(g[10:])
    assert np.all(potentiation >= -2e-6) and np.all(depression <= 2e-6)  # monotonic within read noise
    assert g[10] > 1.3 * g[0] and g[-1] < 0.8 * g[10]  # potentiated, then depressed
    assert len(np.unique(np.round(g * 1e7))) >= 5  # in several distinguishable levels


def test_stno_dc_resistance_follows_the_physics_model():
    dut = build_dut({"model": "stno", "r_p": 100.0, "tmr": 0.8, "i_th": 2e-3})
    _, smu = smu_on(dut)
    for current in (0.5e-3, 2e-3, 4e-3):
        assert resistance_at(smu, current) == pytest.approx(float(dut.physics.resistance(current)), rel=2e-3)


def test_smtj_telegraph_averages_over_an_integration_window():
    dut = build_dut({"model": "smtj", "delta": 3.0, "tau0": 1e-9, "r_p": 4000.0, "tmr": 1.0})
    _, smu = smu_on(dut)
    r = resistance_at(smu, 1e-6)  # τ ~ 20 ns ≪ 20 ms: the reading averages P and AP
    assert 4000 * 1.2 < r < 8000 * 0.9


@pytest.mark.parametrize(("config", "message"), [
    ({"model": "stno", "alpha": 2.0}, "dut.alpha = 2.0 is outside the plausible range"),
    ({"model": "dw-synapse", "n_sites": 1}, "dut.n_sites = 1 is outside the plausible range 2..10000"),
    ({"model": "dw-synapse", "site": 40}, "site must be in 0..15"),
    ({"model": "dw-synapse", "hk": 0.1}, "dut.hk: not a parameter of model 'dw-synapse'"),
])
def test_bench_models_validate_their_parameters(config, message):
    with pytest.raises(DutConfigError, match=message):
        build_dut(config)
