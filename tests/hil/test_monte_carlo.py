"""HIL variability Monte Carlo: per-trial seeds, serial == parallel, the journal that resumes it, the CLI report."""

import json

import pytest

import mtjhw.hil.monte_carlo as mc
from mtjhw.cli import main
from mtjhw.hil.monte_carlo import monte_carlo, trial_seed


def counting_trials(monkeypatch):
    """Count the trials run from here on (run_trial wrapped in this process: the serial executor)."""
    ran = []
    real = mc.run_trial

    def run(trial):
        ran.append(trial.trial)
        return real(trial)

    monkeypatch.setattr(mc, "run_trial", run)
    return ran


def test_a_rerun_resumes_from_the_journal_and_reports_what_one_run_would(tmp_path, monkeypatch):
    journal = tmp_path / "trials.jsonl"
    whole = monte_carlo(4, seed=5, epochs=5)
    ran = counting_trials(monkeypatch)
    monte_carlo(2, seed=5, epochs=5, journal=journal)
    assert len(journal.read_text().splitlines()) == 1 + 2  # the header, then one line a finished trial
    assert monte_carlo(4, seed=5, epochs=5, journal=journal) == whole
    assert ran == [0, 1, 2, 3]  # trials 0 and 1 once, then only the two missing
    with pytest.raises(ValueError, match="other settings"):
        monte_carlo(4, seed=6, epochs=5, journal=journal)


def test_a_line_cut_short_by_an_interruption_is_run_again(tmp_path, monkeypatch):
    journal = tmp_path / "trials.jsonl"
    whole = monte_carlo(2, seed=5, epochs=5)
    monte_carlo(2, seed=5, epochs=5, journal=journal)
    journal.write_text(journal.read_text()[:-20])  # the last trial's line cut mid-write
    ran = counting_trials(monkeypatch)
    assert monte_carlo(2, seed=5, epochs=5, journal=journal) == whole and ran == [1]
    assert sorted(mc.kept_trials(journal, 5, whole["settings"])) == [0, 1]  # its new line stands on its own


def test_an_interrupted_command_keeps_its_trials_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    real = mc.run_trial

    def interrupted(trial):
        if trial.trial == 2:
            raise KeyboardInterrupt
        return real(trial)

    monkeypatch.setattr(mc, "run_trial", interrupted)
    command = ["hil", "--monte-carlo", "4", "--epochs", "5", "--out", str(tmp_path), "-q"]
    assert main(command) == 130
    assert "the same command resumes" in capsys.readouterr().err
    assert len((tmp_path / "monte-carlo-trials.jsonl").read_text().splitlines()) == 1 + 2
    monkeypatch.setattr(mc, "run_trial", real)
    ran = counting_trials(monkeypatch)
    assert main(command) == 0 and ran == [2, 3]
    assert json.loads((tmp_path / "monte-carlo.json").read_text()) == monte_carlo(4, seed=0, epochs=5)


def test_monte_carlo_is_the_same_serially_and_on_a_cluster():
    distributed = pytest.importorskip("distributed")
    serial = monte_carlo(4, seed=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        from mtjhw.scaleout import executor

        with executor(scheduler=cluster.scheduler_address) as pool:
            assert monte_carlo(4, seed=3, executor=pool) == serial
    seeds = [r["seed"] for r in serial["results"]]
    assert seeds == [trial_seed(3, k) for k in range(4)] and len(set(seeds)) == 4
    d = serial["distribution"]
    assert d["accuracy_min"] <= d["accuracy_mean"] <= d["accuracy_max"] and len(d["worst"]) == 3


def test_hil_monte_carlo_command_writes_the_distribution(tmp_path, capsys):
    assert main(["hil", "--monte-carlo", "3", "--out", str(tmp_path), "-q"]) == 0
    report = json.loads((tmp_path / "monte-carlo.json").read_text())
    assert report["trials"] == 3 and len(report["results"]) == 3
    assert "worst seeds" in capsys.readouterr().out
    assert main(["hil", "--monte-carlo", "2", "--array", "bench", "--out", str(tmp_path)]) == 2
