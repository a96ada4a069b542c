"""``mtjhw gui``'s window on the simulated bench, headless: queue a run, see its points arrive in the live plot,
abort it (outputs off, data kept), run one to the end (summary shown, the files of ``mtjhw run``), browse runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from qtpy.QtCore import Qt

from mtjhw.bench import Bench
from mtjhw.cli import main
from mtjhw.runner import run_procedure

ROOT = Path(__file__).resolve().parents[2]
BENCH_FILE = ROOT / "examples" / "simulated-pmtj.yaml"
SCREENSHOT = ROOT / "test-artifacts" / "gui-rh-loop.png"
SHORT = {"points": 41, "loops": 1}  # 82 points: a run of a second or two
LONG = {"points": 101, "loops": 20}  # 4040 points: still running when it is aborted
RUN_FILES = {"data.csv", "plot.png", "summary.json", "run.json"}


@pytest.fixture
def bench():
    return Bench.open(BENCH_FILE)  # the window closes it


@pytest.fixture
def window(qtbot, bench, tmp_path):
    from mtjhw.gui.window import RunWindow

    window = RunWindow("rh-loop", bench, tmp_path / "runs", bench_file=BENCH_FILE)
    qtbot.addWidget(window)  # closed after the test
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def queue(qtbot, window, settings):
    """Type ``settings`` into the inputs and press Queue, as a user would; the queued Experiment."""
    for name, value in settings.items():
        getattr(window.inputs, name).setValue(value)
    qtbot.mouseClick(window.queue_button, Qt.MouseButton.LeftButton)
    return window.manager.experiments[-1]


def curve_points(experiment) -> int:
    x, _ = experiment.curve_list[0].getData()
    return 0 if x is None else len(x)


def outputs(bench):
    twins = {type(h).__name__: h for h in bench.virtual_handlers()}
    return twins["Keithley2450"].output, twins["KepcoBOP"].output


def curve_coloured_pixels(image, colour) -> int:
    """Pixels of ``image`` (a QImage) within 40 of ``colour`` in each channel."""
    image = image.convertToFormat(image.Format.Format_RGB32)
    buffer = image.constBits()
    buffer.setsize(image.sizeInBytes())
    bgra = np.frombuffer(buffer, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    rgb = bgra[:, : image.width(), 2::-1].astype(int)
    return int((np.abs(rgb - [colour.red(), colour.green(), colour.blue()]) <= 40).all(axis=2).sum())


def test_a_queued_run_plots_live_and_abort_keeps_its_points_with_outputs_off(qtbot, window, bench):
    experiment = queue(qtbot, window, LONG)
    qtbot.waitUntil(lambda: curve_points(experiment) > 100, timeout=20_000)
    assert window.manager.is_running() and any(outputs(bench))

    SCREENSHOT.parent.mkdir(exist_ok=True)
    assert window.grab().save(str(SCREENSHOT))
    curve = experiment.curve_list[0]
    assert curve_coloured_pixels(window.plot_widget.grab().toImage(), curve.color) > 200  # the points, drawn

    shown = curve_points(experiment)
    qtbot.mouseClick(window.abort_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.manager.is_running(), timeout=20_000)
    outcome = experiment.procedure.outcome
    assert outcome.status == "aborted" and outputs(bench) == (False, False)
    rows = pd.read_csv(outcome.out_dir / "data.csv", comment="#")
    assert shown <= len(rows) == outcome.points < 2 * LONG["points"] * LONG["loops"]
    assert rows["Resistance (ohm)"].notna().all()
    journal = json.loads((outcome.out_dir / "run.json").read_text())
    assert journal["attempts"][-1]["status"] == "aborted" and journal["attempts"][-1]["points"] == len(rows)
    assert outcome.out_dir.parent == window.out_root and outcome.out_dir.name.startswith("rh-loop-")
    assert "aborted" in window.summary.toPlainText()


def test_a_finished_run_shows_its_summary_and_writes_what_mtjhw_run_writes(qtbot, window, tmp_path):
    experiment = queue(qtbot, window, SHORT)
    qtbot.waitUntil(lambda: getattr(experiment.procedure, "outcome", None) is not None
                    and not window.manager.is_running(), timeout=20_000)
    outcome = experiment.procedure.outcome
    assert outcome.status == "finished" and curve_points(experiment) == outcome.points == 82
    assert window.browser.topLevelItem(0).text(3) == "Finished"
    text = window.summary.toPlainText()
    assert "finished, 82 points" in text and "kΩ" in text and "tmr" in text

    reference = tmp_path / "cli-run"
    assert main(["run", "rh-loop", "--bench", str(BENCH_FILE), "--out", str(reference), "-q",
                 *(f"--set={k}={v}" for k, v in SHORT.items())]) == 0
    assert RUN_FILES <= {p.name for p in outcome.out_dir.iterdir()} == {p.name for p in reference.iterdir()}
    ours, theirs = (json.loads((d / "summary.json").read_text()) for d in (outcome.out_dir, reference))
    assert ours == theirs  # the same bench and seed: the same data, fit and record
    assert (pd.read_csv(outcome.out_dir / "data.csv", comment="#")
            .equals(pd.read_csv(reference / "data.csv", comment="#")))

    browsed = window.open_run(reference)  # the results browser shows an earlier run beside it
    assert window.browser.topLevelItemCount() == 2 and curve_points(browsed) == 82
    assert window.open_run(reference) is browsed  # opened once


def test_closing_the_window_switches_the_bench_off(qtbot, window, bench):
    experiment = queue(qtbot, window, LONG)
    qtbot.waitUntil(lambda: curve_points(experiment) > 10, timeout=20_000)
    window.close()
    assert experiment.procedure.outcome.status == "aborted" and window.bench is None
    assert outputs(bench) == (False, False)


def test_the_window_refuses_a_run_of_another_procedure(window, tmp_path):
    with Bench.open(BENCH_FILE) as other:
        run_procedure("rv-loop", other, tmp_path / "rv", {"points": 5}, progress=False)
    with pytest.raises(ValueError, match="holds a rv-loop run"):
        window.open_run(tmp_path / "rv")
