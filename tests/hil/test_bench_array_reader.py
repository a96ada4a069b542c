"""A bench array's cell states read by the delta-mode resistance role (6221 + 2182A on their own matrix rows)."""

import json

import numpy as np
import pytest

from mtjhw.bench import Bench, MissingRoleError
from mtjhw.cli import main
from mtjhw.config import BenchConfig
from mtjhw.hil.arrays import BenchArray
from mtjhw.instruments.safety import SafetyLimitError
from mtjhw.simulators.bench import Bias
from mtjhw.simulators.bench.devices import crosspoint_of_line
from mtjhw.simulators.instruments.keithley6221 import Keithley6221 as Twin6221

EXAMPLE = "examples/simulated-array-delta-mode.yaml"
ROWS, COLS = 4, 5
THRESHOLD = 7400.0  # Ω, between R_P (5 kΩ) and R_AP (≈ 11 kΩ)
SMU = {"smu": {"driver": "keithley2450"}, "switch": {"driver": "keithley707b"}}
DELTA = {"resistance": {"driver": "keithley6221", "compliance": 0.8}}


def open_bench(instruments, seed=3, max_current=1e-3):
    return Bench.open(BenchConfig.from_dict({
        "simulated": True, "seed": seed, "safety": {"max_voltage": 0.8, "max_current": max_current},
        "dut": {"model": "array", "rows": ROWS, "cols": COLS, "sigma_log_rp": 0.1}, "instruments": instruments}))


def scramble(bench, seed):
    """Put the simulated cells in a seeded random pattern; return it."""
    cells = bench.virtual.dut.physics.state
    cells[...] = np.random.default_rng(seed).choice([-1, 1], size=cells.shape)
    return cells.copy()


def twin_6221(bench):
    return next(h for h in bench.virtual_handlers() if isinstance(h, Twin6221))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_states_read_by_delta_mode_equal_the_smus_and_the_true_ones(seed):
    with open_bench(SMU | DELTA, seed=seed) as bench:
        truth = scramble(bench, seed)
        by_delta = BenchArray(bench, ROWS, COLS, THRESHOLD, reader="resistance").states()
        by_smu = BenchArray(bench, ROWS, COLS, THRESHOLD, reader="smu").states()
        again = BenchArray(bench, ROWS, COLS, THRESHOLD, reader="resistance").states()
        after = bench.virtual.dut.physics.state.copy()
    np.testing.assert_array_equal(by_delta, truth)
    np.testing.assert_array_equal(by_smu, truth)
    np.testing.assert_array_equal(again, truth)
    np.testing.assert_array_equal(after, truth)  # reads at ±1 µA leave every cell as it was


def test_the_delta_current_reaches_the_selected_cell_through_the_matrix_rows_of_its_role():
    with open_bench(SMU | DELTA) as bench:
        BenchArray(bench, ROWS, COLS, THRESHOLD, reader="resistance")
        cells = bench.virtual.dut.physics
        readings = []
        for col in range(COLS):
            bench.switch.exclusive_close([crosspoint_of_line("word", 2, "resistance"),
                                          crosspoint_of_line("bit", col + 1, "resistance")])
            readings.append(bench.resistance.measure_resistance())
        # at ±1 µA a cell sees ≈ 5 mV: its resistance there, within the read noise
        np.testing.assert_allclose(readings, cells.resistances(0.005)[1], rtol=2e-3)
        bench.switch.exclusive_close([crosspoint_of_line("word", 2), crosspoint_of_line("bit", 1)])
        with pytest.raises(RuntimeError, match="overflowed"):  # the SMU's rows: the 6221 sees an open circuit
            bench.resistance.measure_resistance()
        bench.switch.exclusive_close([crosspoint_of_line("word", 2, "resistance"),
                                      crosspoint_of_line("bit", 1, "resistance")])
        v, i = bench.smu.measure()  # and the SMU none of the 6221's
        assert abs(i) < 1e-9 < abs(v)


def test_a_read_current_above_the_critical_current_disturbs_the_cells_and_the_small_one_does_not():
    with open_bench(SMU | DELTA) as bench:
        cells = bench.virtual.dut.physics
        assert np.all(cells.state == -1)
        for current, expected in ((1e-6, -1), (70e-6, 1)):  # Ic0 = 60 µA; a delta run ends on its +I half
            BenchArray(bench, ROWS, COLS, THRESHOLD, reader="resistance", read_current=current).states()
            assert np.all(cells.state == expected)


@pytest.mark.parametrize("reader", ["smu", "resistance"])
def test_write_verify_through_either_reader_programs_every_cell_in_one_pulse_each(reader):
    with open_bench(SMU | DELTA, seed=5) as bench:
        start = scramble(bench, 5)
        target = np.random.default_rng(6).choice([-1, 1], size=start.shape)
        report = BenchArray(bench, ROWS, COLS, THRESHOLD, reader=reader).program(target, max_attempts=10)
        cells = bench.virtual.dut.physics.state.copy()
    np.testing.assert_array_equal(cells, target)
    # 0.7 V for 1 ms drives either state well past Ic0: each wrong cell switches at its first pulse
    assert report.failed == [] and report.pulses == int(np.sum(start != target))


def test_write_verify_through_delta_mode_reports_the_cells_it_cannot_program():
    with open_bench(SMU | DELTA, seed=5) as bench:
        stuck = bench.virtual.dut.physics.stuck
        stuck[1, 2] = -1  # stuck in AP
        report = BenchArray(bench, ROWS, COLS, THRESHOLD, reader="resistance").program(
            np.ones((ROWS, COLS), dtype=int), max_attempts=3)
        cells = bench.virtual.dut.physics.state.copy()
    assert report.failed == [(1, 2)] and report.pulses == ROWS * COLS - 1 + 3
    assert np.sum(cells == 1) == ROWS * COLS - 1


def test_auto_reads_by_delta_mode_where_the_bench_has_the_resistance_role():
    with open_bench(SMU | DELTA) as bench:
        assert BenchArray(bench, ROWS, COLS, THRESHOLD).reader == "resistance"
        assert BenchArray(bench, ROWS, COLS, THRESHOLD, reader="smu").reader == "smu"
    with open_bench(SMU) as bench:
        assert BenchArray(bench, ROWS, COLS, THRESHOLD).reader == "smu"
        with pytest.raises(MissingRoleError, match="instruments.resistance"):
            BenchArray(bench, ROWS, COLS, THRESHOLD, reader="resistance")
        with pytest.raises(ValueError, match="reader must be one of auto, smu, resistance"):
            BenchArray(bench, ROWS, COLS, THRESHOLD, reader="lockin")
    with open_bench({"switch": SMU["switch"]} | DELTA) as bench:  # the writes and column currents need an SMU
        with pytest.raises(MissingRoleError, match="instruments.smu"):
            BenchArray(bench, ROWS, COLS, THRESHOLD)


def test_a_read_current_beyond_max_current_is_refused_before_anything_is_sent():
    with open_bench(SMU | DELTA, max_current=1e-5) as bench:
        twin = twin_6221(bench)
        with pytest.raises(SafetyLimitError):
            BenchArray(bench, ROWS, COLS, THRESHOLD, read_current=2e-5)
        assert twin.delta_high == 1e-3 and not twin.output  # the 6221's reset levels: nothing reached it
        assert bench.virtual.bias == Bias.open_circuit()  # nor was the SMU switched on


def test_closing_the_bench_switches_both_sources_off():
    with open_bench(SMU | DELTA) as bench:
        array = BenchArray(bench, ROWS, COLS, THRESHOLD)
        array.states()
        twin = twin_6221(bench)
        assert twin.output
    assert not twin.output and twin.source_current == 0.0 and bench.virtual.bias == Bias.open_circuit()


def test_the_letter_network_trains_on_the_example_bench_with_delta_mode_reads(tmp_path):
    out = tmp_path / "run"
    assert main(["hil", "--array", "bench", "--bench", EXAMPLE, "--reader", "resistance", "--per-class", "3",
                 "--out", str(out), "-q"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["status"] == "converged" and history["history"][-1]["accuracy"] == 1.0
    assert main(["hil", "--array", "simulated", "--reader", "smu", "--out", str(tmp_path / "s")]) == 2
