"""`mtjhw hil`: the letter task on named backends, with checkpoints and resume."""

import json

from mtjhw.cli import main


def test_hil_command_trains_checkpoints_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["hil", "--array", "simulated", "--trainer", "golden", "--out", str(out), "-q"]) == 0
    first = json.loads((out / "history.json").read_text())
    assert first["status"] == "converged" and first["history"][-1]["accuracy"] == 1.0
    assert (out / "checkpoint.npz").is_file() and (out / "history.png").is_file()
    assert "converged" in capsys.readouterr().out
    # the same command again picks the run up from its checkpoint: nothing left to do
    assert main(["hil", "--array", "simulated", "--trainer", "golden", "--out", str(out), "-q"]) == 0
    assert json.loads((out / "history.json").read_text())["history"] == first["history"]


def test_hil_command_on_multi_level_synapses_and_bad_options(tmp_path, capsys):
    out = tmp_path / "dw"
    assert main(["hil", "--array", "domain-wall", "--out", str(out), "--epochs", "3", "-q"]) == 0
    history = json.loads((out / "history.json").read_text())["history"]
    assert len(history) == 3 and all(r["pulses"] > 0 for r in history)
    assert main(["hil", "--array", "bench", "--out", str(tmp_path / "b")]) == 2
    assert "bench file" in capsys.readouterr().err
