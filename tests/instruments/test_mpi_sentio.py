"""MPI SENTIO prober: the driver's messages (PyMeasure expected_protocol) and the twin stepping a wafer."""

from __future__ import annotations

import json

import pytest
from pymeasure.test import expected_protocol

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.errors import InstrumentError
from mtjhw.instruments.mpi_sentio import MPISentio
from mtjhw.instruments.roles import Prober
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.devices import OpenJunction
from mtjhw.simulators.bench.wafer import VirtualWafer, WaferSpec
from mtjhw.simulators.instruments.mpi_sentio import MPISentio as VirtualSentio
from mtjhw.wafer import step_to_die

MAP = [("map:get_num_dies", "0,1,2"), ("map:path:get_die 0", "0,2,4, 0"), ("map:path:get_die 1", "0,3,5, 0")]


def test_driver_steps_lands_and_lifts():
    with expected_protocol(MPISentio, [("*RCS 1", None), *MAP, ("get_chuck_z Contact", "0,4,-50"),
                                       ("map:step_die 5, 0", "0,5,5, 0, 0"), ("move_chuck_contact", "0,6,10000"),
                                       ("move_chuck_separation", "0,7,9950")]) as prober:
        prober.move_to_die(5, 0)
        prober.contact()
        prober.separate()


def test_driver_reads_positions_in_si_units():
    with expected_protocol(MPISentio, [("*RCS 1", None), ("get_chuck_xy", "0,1,-17500.0, 2500.0"),
                                       ("map:die:get_current_index", "0,2,41, 3, 7"), ("get_chuck_z Contact", "0,3,0"),
                                       ("get_chuck_z Contact", "0,4,-50")]) as prober:
        assert prober.position == pytest.approx((-17.5e-3, 2.5e-3))
        assert prober.die == (3, 7)
        assert prober.contacted is True
        assert prober.contacted is False


def test_driver_refuses_a_step_in_contact_and_a_die_off_the_map():
    with expected_protocol(MPISentio, [("*RCS 1", None), *MAP, ("get_chuck_z Contact", "0,4,0")]) as prober:
        with pytest.raises(ValueError, match="not on the wafer map"):
            prober.move_to_die(9, 9)
        with pytest.raises(RuntimeError, match="separate before moving"):
            prober.move_to_die(4, 0)


def test_driver_raises_the_error_reply_and_ignores_status_bits():
    with expected_protocol(MPISentio, [("*RCS 1", None), ("move_chuck_contact", "1024,1,0"),
                                       ("move_chuck_contact", "3,2,chuck is not aligned")]) as prober:
        prober.contact()  # 1024: a status flag (bit 10), no error
        with pytest.raises(InstrumentError, match="not aligned"):
            prober.contact()


def test_twin_answers_bad_commands_with_error_replies():
    twin = VirtualSentio(VirtualBench())
    replies = [twin.handle(m) for m in ("bogus", "map:step_die a, b", "map:step_die 0, 0", "map:path:get_die 9999",
                                         "map:step_die 5", "move_chuck_contact", "map:step_die 5, 5")]
    codes = [int(r.split(",")[0]) for r in replies]
    assert codes == [2, 3, 3, 3, 3, 0, 4]
    assert [int(r.split(",")[1]) for r in replies] == list(range(1, 8))  # every reply carries its command's id
    assert twin.handle("*IDN?").startswith("MPI Corporation,SENTIO")


BENCH = {"name": "wafer-test", "seed": 3, "safety": {"max_voltage": 0.6, "max_current": 5e-4, "max_field": 0.3},
         "dut": {"model": "pmtj", "r_p": 5000.0, "tmr": 1.5},
         "wafer": {"name": "W1", "gradients": {"r_p": {"radial": 0.3}, "tmr": {"radial": -0.2}},
                   "spread": {"r_p": 0.02}, "short_fraction": 0.05, "open_fraction": 0.05, "seed": 5},
         "instruments": {"smu": {"driver": "keithley2450"}, "magnet": {"driver": "kepco-bop"},
                         "gaussmeter": {"driver": "lakeshore425"}}}


@pytest.fixture
def wafer_bench():
    config = BenchConfig.from_dict(BENCH)
    wafer = VirtualWafer(WaferSpec.from_mapping(config.wafer), config.dut)
    with Bench.open(config) as bench:
        yield bench, wafer


def test_a_wafer_bench_gets_a_prober_that_fills_the_role(wafer_bench):
    bench, wafer = wafer_bench
    assert bench.has_prober and isinstance(bench.prober, Prober)
    assert bench.prober.dies() == [(d.column, d.row) for d in wafer.dies()]
    with pytest.raises(Exception, match="simulated: true"):
        BenchConfig.from_dict({**BENCH, "simulated": False})


def test_contact_puts_each_die_under_the_needles(wafer_bench, tmp_path):
    bench, wafer = wafer_bench
    good = [d for d in wafer.dies() if wafer.defect(d) is None]
    centre = min(good, key=lambda d: d.x ** 2 + d.y ** 2)
    rim = max(good, key=lambda d: d.x ** 2 + d.y ** 2)
    for die in (centre, rim):
        step_to_die(bench, die.column, die.row)
        assert bench.prober.die == (die.column, die.row) and bench.prober.contacted
        outcome = run_procedure("rh-loop", bench, tmp_path / die.label, progress=False)
        truth = wafer.true_parameters(die)
        assert outcome.summary["r_p"] == pytest.approx(truth["r_p"], rel=0.02)
        assert outcome.summary["tmr"] == pytest.approx(truth["tmr"], rel=0.03)
    bench.prober.separate()
    assert isinstance(bench.virtual.dut, OpenJunction)


@pytest.mark.parametrize("defect", ["short", "open"])
def test_a_dead_die_fails_its_analysis_clearly_with_outputs_off(wafer_bench, tmp_path, defect):
    bench, wafer = wafer_bench
    die = next(d for d in wafer.dies() if wafer.defect(d) == defect)
    step_to_die(bench, die.column, die.row)
    outcome = run_procedure("rh-loop", bench, tmp_path / die.label, progress=False)
    run = json.loads(outcome.summary_file.read_text())["run"]
    assert outcome.summary == {} and "did not switch" in run["analysis_error"]
    assert bench.virtual.bias.level == 0.0
