"""Every bench DUT model through the virtual 2450: the physics engine seen through SCPI."""

import numpy as np
import pytest

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.models import DutConfigError, build_dut
from mtjhw.simulators.instruments import Keithley2450


def smu_on(dut, seed=2):
    bench = VirtualBench(dut, seed=seed)
    smu = Keithley2450(bench)
    smu.handle(':SOUR:FUNC CURR;:SOUR:CURR:VLIM 1.2;:SENS:FUNC "VOLT";:OUTP ON')
    return bench, smu


def resistance_at(smu, current):
    smu.handle(f":SOUR:CURR {current:g}")
    return float(smu.handle(":READ?")) / current


def test_dw_synapse_potentiates_and_depresses_in_steps_under_write_pulses():
    from mtjhw.bench import Bench
    from mtjhw.config import BenchConfig

    config = BenchConfig.from_dict({"simulated": True, "seed": 4, "dut": {"model": "dw-synapse", "n_sites": 8,
                                                                        "sigma_c2c": 0.0}})
    with Bench.open(config) as bench:
        bench.smu.source_voltage_mode(1e-3, nplc=1)
        bench.smu.set_level(0.02)
        bench.smu.output_on()
        g = [1 / np.divide(*bench.smu.measure())]
        for amplitude in [0.09] * 10 + [-0.09] * 10:  # 90 µA through the 1 kΩ write track: creep
            bench.pulser.setup_pulse(1, amplitude, 10e-9, 1e-6, 1)
            bench.pulser.fire()
            g.append(1 / np.divide(*bench.smu.measure()))
        bench.smu.set_level(0.3)  # DC on the read path does not move the wall
        bench.smu.measure()
        bench.smu.set_level(0.02)
        unchanged = 1 / np.divide(*bench.smu.measure())
    g = np.array(g)
    potentiation, depression = np.diff(g[:11]), np.diff(g[10:])
    assert np.all(potentiation >= -2e-7) and np.all(depression <= 2e-7)  # monotonic within read noise
    assert g[10] > 1.3 * g[0] and g[-1] < 0.8 * g[10]  # potentiated, then depressed
    assert len(np.unique(np.round(g * 1e6))) >= 5  # in several distinguishable levels
    assert unchanged == pytest.approx(g[-1], rel=1e-3)


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


def test_the_sot_magnet_axis_is_a_choice_in_bench_files():
    from mtjhw.config import BenchConfig, BenchConfigError

    config = BenchConfig.from_dict({"simulated": True, "dut": {"model": "sot-mtj", "field_axis": "z"}})
    assert build_dut(config.dut).field_axis == "z"
    with pytest.raises(BenchConfigError, match="dut.field_axis: must be x"):
        BenchConfig.from_dict({"simulated": True, "dut": {"model": "sot-mtj", "field_axis": "y"}})
