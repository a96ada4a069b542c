"""Progress of long work: tqdm bars on stderr with rate and ETA, silenced by quiet / -q, never on stdout."""

import io
import re

import pytest

from mtjhw.bench import Bench
from mtjhw.cli import main
from mtjhw.procedures.rv_loop import loop_levels
from mtjhw.progress import PercentBar, StepBar
from mtjhw.runner import run_procedure
from tests.conftest import simulated_config

EXAMPLE = "examples/simulated-pmtj.yaml"
ETA = re.compile(r"\[\d\d:\d\d<\d\d:\d\d")  # tqdm's [elapsed<remaining


def final_line(text: str) -> str:
    return re.split(r"[\r\n]", text.strip())[-1]


def test_percent_bar_counts_to_100_with_rate_and_eta():
    out = io.StringIO()
    bar = PercentBar("rv-loop", file=out)
    for percent in (12.5, 50.0, 100.0):
        bar(percent)
    bar.close()
    last = final_line(out.getvalue())
    assert last.startswith("rv-loop: 100.0 %")
    assert ETA.search(last) and "%/s" in last


def test_percent_bar_refuses_a_percentage_outside_0_to_100():
    with pytest.raises(ValueError, match="between 0 and 100"):
        PercentBar("x", file=io.StringIO())(150.0)


def test_step_bar_counts_steps_and_writes_each_with_its_elapsed_time():
    out = io.StringIO()
    with StepBar("repro", file=out) as steps:
        steps.expect(3)
        for message in ("training", "sweep 1", "sweep 2"):
            steps(message)
    text = out.getvalue()
    for message in ("training", "sweep 1", "sweep 2"):
        assert re.search(rf"\r{message} \(\d+\.\d s\)\n", text), message  # a line above the bar
    last = final_line(text)
    assert last.startswith("repro: 100%") and "3/3" in last and ETA.search(last)


def test_quiet_bars_write_nothing(capsys):
    percent = PercentBar("x", quiet=True)
    percent(50.0)
    percent.close()
    with StepBar("y", 2, quiet=True) as steps:
        steps("a")
        steps.write("a line")
    assert capsys.readouterr() == ("", "")


def test_bars_go_to_stderr_not_stdout(capsys):
    with StepBar("build", 1) as steps:
        steps("synth …")
    captured = capsys.readouterr()
    assert captured.out == "" and "build: 100%" in captured.err and "synth … (" in captured.err


def test_a_procedure_reports_increasing_progress_up_to_the_total(tmp_path):
    seen = []
    with Bench.open(simulated_config(r_p=5000.0, tmr=1.2)) as bench:
        outcome = run_procedure("rv-loop", bench, tmp_path, {"v_max": 0.6, "points": 5, "loops": 2},
                                progress=seen.append)
    assert outcome.status == "finished"
    segments = 2 * len(loop_levels(0.6, 5))  # a buffered sweep per segment: one report after each
    assert seen == pytest.approx([100 * (k + 1) / segments for k in range(segments)])


def test_run_procedure_shows_a_bar_on_stderr_by_default_and_none_with_progress_false(tmp_path, capsys):
    settings = {"v_max": 0.6, "points": 5}
    with Bench.open(simulated_config(r_p=5000.0, tmr=1.2)) as bench:
        run_procedure("rv-loop", bench, tmp_path / "shown", settings)
        shown = capsys.readouterr()
        run_procedure("rv-loop", bench, tmp_path / "silent", settings, progress=False)
        silent = capsys.readouterr()
    assert shown.out == "" and final_line(shown.err).startswith("rv-loop: 100.0 %")
    assert silent == ("", "")
    assert "100.0 %" not in (tmp_path / "shown" / "data.csv").read_text()


@pytest.mark.parametrize("quiet", [True, False])
def test_cli_run_progress_on_stderr_unless_quiet(tmp_path, capsys, quiet):
    argv = ["run", "rv-loop", "--bench", EXAMPLE, "--out", str(tmp_path), "--set", "v_max=0.6",
            "--set", "points=5"]
    assert main(argv + ["-q"] * quiet) == 0
    captured = capsys.readouterr()
    assert "%|" not in captured.out and "rv-loop: finished" in captured.out
    assert ("rv-loop: 100.0 %" in captured.err) is not quiet


def test_hil_loop_counts_epochs_with_the_last_accuracy_and_hides_them_when_quiet(capsys):
    from mtjhw.hil.loop import HilLoop
    from mtjhw.hil.trainer import FloatTrainer
    from tests.hil.test_hil_loop import UNIT, letters, simulated

    x, y = letters()
    result = HilLoop(simulated(), FloatTrainer(9, 4), x, y, UNIT).run(3, stop_at_target=False)
    last = final_line(capsys.readouterr().err)
    assert last.startswith("hil: 100%") and "3/3" in last and ETA.search(last)
    assert f"accuracy={100 * result.accuracy:.1f} %" in last
    HilLoop(simulated(), FloatTrainer(9, 4), x, y, UNIT).run(3, stop_at_target=False, quiet=True)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("quiet", [True, False])
def test_gateware_build_messages_go_above_its_bar_on_stderr_unless_quiet(tmp_path, capsys, quiet):
    argv = ["gateware", "build", "--board", "pynq-z2", "--out", str(tmp_path), "--sizes", "4,3", "--lanes", "2",
            "--rows", "2", "--cols", "2", "--taps", "8", "--no-synth", "--no-vivado"]
    assert main(argv + ["-q"] * quiet) == 0
    captured = capsys.readouterr()
    assert "gateware:" not in captured.out and "written to" in captured.out
    assert ("\rgateware: exporting Verilog" in captured.err) is not quiet
    assert ("gateware build: " in captured.err) is not quiet
