"""STO-array reservoir: memory and parity capacities, their growth with the array, DC energy, the report."""

import json

import numpy as np

from mtjhw.cli import main
from mtjhw.networks.echo_state import EchoStateNetwork
from mtjhw.networks.sto_array import StoArrayReservoir, capacities, memory_task
from mtjhw.reproduce.sto_array_rc import ESN


def test_capacities_of_a_perfect_delay_line():
    # features that are the last 5 inputs: STM capacity 5 (delays 1..5), parity of 2 bits is not linear in them
    rng = np.random.default_rng(0)
    u = rng.integers(0, 2, 1200).astype(float)
    x = np.column_stack([np.concatenate([np.zeros(d), u[:-d]]) for d in range(1, 6)])
    stm, pc = capacities(x, u, 10, 20, 700)
    assert np.allclose(stm[:5], 1.0) and stm[5:].sum() < 0.1 and pc.sum() < 0.2


def test_capacity_grows_with_the_array_and_comes_from_the_input():
    one = memory_task(StoArrayReservoir(n_oscillators=1), 1500, 20)
    sixteen = memory_task(StoArrayReservoir(n_oscillators=16), 1500, 20)
    assert sixteen["stm_capacity"] > 5 * one["stm_capacity"]
    assert sixteen["pc_capacity"] > one["pc_capacity"] + 0.2
    assert 0.5 < one["stm_capacity"] < 1.5  # one power: at most about one bit of memory
    blind = memory_task(StoArrayReservoir(n_oscillators=16, i_in=0.0), 1500, 20)
    assert blind["stm_capacity"] < 0.1 * sixteen["stm_capacity"]


def test_memory_needs_the_synchronising_coupling_and_the_phase_readout_carries_the_parity():
    coupled = memory_task(StoArrayReservoir(), 1500, 20)
    uncoupled = memory_task(StoArrayReservoir(coupling=0.0), 1500, 20)
    powers = memory_task(StoArrayReservoir(phase_readout=False), 1500, 20)
    assert coupled["stm_capacity"] > 4 * uncoupled["stm_capacity"]
    assert coupled["pc_capacity"] > 4 * powers["pc_capacity"]
    assert StoArrayReservoir().n_features == 2 * (16 + 2 * 15)


def test_the_coupling_stands_for_a_dipolar_field_of_a_few_millitesla():
    assert 3e-3 < StoArrayReservoir().coupling_field() < 12e-3
    assert StoArrayReservoir(coupling=3.0).coupling_field() == 2 * StoArrayReservoir().coupling_field()


def test_bias_keeps_every_junction_below_a_volt():
    assert StoArrayReservoir().max_junction_voltage() < 1.0
    assert StoArrayReservoir(i_dc=6.0).max_junction_voltage() > 1.0


def test_dc_energy_is_i_squared_r_times_the_step():
    one = StoArrayReservoir(n_oscillators=1, sigma=0.0, bias_spread=0.0)
    four = StoArrayReservoir(n_oscillators=4, sigma=0.0, bias_spread=0.0)
    i = one.i_bias[0]
    r = float(one.oscillators[0].resistance(i))
    assert np.isclose(one.dc_energy_per_step(), i**2 * r * one.step_time)
    assert np.isclose(four.dc_energy_per_step(), 4 * one.dc_energy_per_step())
    assert 3e-3 < i**2 * r < 2e-2  # several mW per oscillator at 2 × I_th


def test_echo_state_network_memory_is_bounded_by_its_size():
    esn = memory_task(EchoStateNetwork(8, **ESN), 1000, 20)
    assert 4.0 < esn["stm_capacity"] < 8.5


def test_reproduce_writes_the_report(tmp_path):
    assert main(["reproduce", "sto-array-rc", "--out", str(tmp_path), "--quick", "-q"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert "echo-state network of 16" in report["paper_value_note"] and report["beats_paper"]
    assert report["value"] > report["paper_value"] > 5.0  # Kanao et al.: above an ESN of as many units
    one = report["sweeps"]["array_size"][0]
    assert report["capacity_grows_with_size"] and report["value"] > 5 * one["stm_capacity"]
    assert report["software_value"] > report["value"]  # an ESN with as many units as the readout has features
    assert [p["x"] for p in report["sweeps"]["array_size"]] == [1, 4, 16]
    assert report["energy"]["energy_per_step_J"] > 0
    assert (tmp_path / "report.png").stat().st_size > 10_000
