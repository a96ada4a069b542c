"""A crossbar DUT addressed through the virtual 707B switch matrix, read and written by the SMU."""

import numpy as np
import pytest

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.simulators.bench.devices import crosspoint_of_line


@pytest.fixture
def bench():
    config = BenchConfig.from_dict({"simulated": True, "seed": 3,
                                    "safety": {"max_voltage": 0.8, "max_current": 1e-3},
                                    "dut": {"model": "array", "rows": 4, "cols": 5, "sigma_log_rp": 0.1}})
    with Bench.open(config) as b:
        yield b


def select(bench, row, col):
    bench.switch.exclusive_close([crosspoint_of_line("word", row + 1), crosspoint_of_line("bit", col + 1)])


def test_each_cell_reads_its_own_resistance(bench):
    array = bench.virtual.dut.physics
    bench.smu.source_voltage_mode(1e-4, nplc=1)
    bench.smu.set_level(0.01)
    bench.smu.output_on()
    measured = np.empty((4, 5))
    for row in range(4):
        for col in range(5):
            select(bench, row, col)
            v, i = bench.smu.measure()
            measured[row, col] = v / i
    np.testing.assert_allclose(measured, array.resistances(0.01), rtol=3e-3)
    assert np.std(np.log(measured)) > 0.05  # device-to-device variability is visible
    bench.switch.open_all()
    v, i = bench.smu.measure()
    assert abs(i) < 1e-9  # nothing selected: open circuit


def test_write_pulses_program_the_addressed_cell_only(bench):
    array = bench.virtual.dut.physics
    assert np.all(array.state == -1)
    select(bench, 2, 3)
    bench.smu.source_voltage_mode(1e-3, nplc=0.01)
    bench.smu.sweep(np.array([0.7, 0.01]))  # a 200 µs write pulse at 0.7 V (> Ic0 through ~11 kΩ), then read
    expected = np.full((4, 5), -1)
    expected[2, 3] = 1
    np.testing.assert_array_equal(array.state, expected)
    bench.smu.sweep(np.array([-0.7, -0.01]))
    assert np.all(array.state == -1)


def test_outputs_off_opens_every_crosspoint(bench):
    select(bench, 0, 0)
    bench.outputs_off()
    assert not bench.virtual.dut.selected.any() and bench.switch.closed() == set()
