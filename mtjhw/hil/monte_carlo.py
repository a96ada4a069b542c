"""Variability Monte Carlo of the HIL letter training: ``trials`` simulated arrays, each with its own draw of the
device-to-device variability (and the trainer's initial weights and sample order of that draw), trained on the
same letters; the distribution of the accuracy reached, of the epochs to 100 % and of the write pulses.

Each trial's seed is derived from the base seed and the trial number alone, so a trial gives the same numbers
whichever process runs it and in whichever order: the serial run and any cluster report the same distribution.
For the same reason a run can resume: with a ``journal`` (JSON lines: the base seed and settings, then one line
per finished trial, written as it finishes), an interrupted run keeps every trial done, and the same call again
runs only the trials missing, even for more trials than before.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.letters import letter_dataset
from mtjhw.scaleout import Executor, SerialExecutor

from .loop import HilLoop
from .setups import ARRAYS, letter_setup

#: Arrays a trial can build in a worker process (the bench array is one physical bench, not a draw).
SIMULATED_ARRAYS = tuple(a for a in ARRAYS if a != "bench")
WORST = 3  # trials listed as the worst seeds


@dataclass(frozen=True)
class Trial:
    """One training run of the Monte Carlo (picklable: it travels to the worker)."""

    trial: int
    seed: int
    array: str = "simulated"
    trainer: str = "float"
    epochs: int = 60
    per_class: int = 10
    noise: float = 0.05
    data_seed: int = 0
    max_attempts: int = 30
    pulse_budget: int = 10_000


def trial_seed(seed: int, trial: int) -> int:
    """The seed of trial ``trial`` of a Monte Carlo with base ``seed`` (independent streams per trial)."""
    return int(np.random.SeedSequence([seed, trial]).generate_state(1)[0])


def run_trial(trial: Trial) -> dict[str, Any]:
    """Train one trial's array; its status, final accuracy, epochs, epochs to 100 % and write pulses."""
    x, y = letter_dataset(trial.per_class, trial.noise, np.random.default_rng(trial.data_seed))
    with letter_setup(trial.array, trial.trainer, seed=trial.seed) as setup:
        loop = HilLoop(setup.array, setup.trainer, x, y, setup.unit_current, max_attempts=trial.max_attempts,
                       pulse_budget=trial.pulse_budget, seed=trial.seed)
        result = loop.run(trial.epochs, quiet=True)
    return {"trial": trial.trial, "seed": trial.seed, "status": result.status, "accuracy": result.accuracy,
            "epochs": len(result.history), "epochs_to_100": result.epochs_to_target,
            "pulses": sum(r.pulses for r in result.history)}


def monte_carlo(trials: int, array: str = "simulated", trainer: str = "float", seed: int = 0,
                executor: Executor | None = None, quiet: bool = True, journal: str | Path | None = None,
                **settings: Any) -> dict[str, Any]:
    """Run ``trials`` trials on ``executor`` (serial by default); the report: settings, every trial (in trial
    order) and the distribution (:func:`distribution`). ``settings``: the other :class:`Trial` fields;
    ``journal``: the file that keeps each finished trial, and the trials a previous run kept (module docstring)."""
    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    if array not in SIMULATED_ARRAYS:
        raise ValueError(f"the Monte Carlo draws simulated arrays: array must be one of "
                         f"{', '.join(SIMULATED_ARRAYS)}, got {array!r}")
    plan = [Trial(k, trial_seed(seed, k), array, trainer, data_seed=seed, **settings) for k in range(trials)]
    fixed = {k: v for k, v in asdict(plan[0]).items() if k not in ("trial", "seed")}
    done = kept_trials(journal, seed, fixed) if journal is not None else {}
    todo = [t for t in plan if t.trial not in done]
    with _JournalWriter(journal, seed, fixed) as keep:
        for index, result in (executor or SerialExecutor()).map_unordered(run_trial, todo, "monte carlo", quiet):
            done[todo[index].trial] = result
            keep(result)
    results = [done[k] for k in range(trials)]
    return {"trials": trials, "seed": seed, "settings": fixed, "distribution": distribution(results),
            "results": results}


def kept_trials(journal: str | Path, seed: int, settings: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The trials a journal holds, by trial number ({} when there is no file); a journal written for another
    base seed or other settings is refused (ValueError). A last line cut short by an interruption is ignored."""
    path = Path(journal)
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = lines[0]
    if header != {"seed": seed, "settings": settings}:
        raise ValueError(f"{path} was written by a Monte Carlo with other settings ({header}): give another "
                         "output directory, or the same settings to resume it")
    kept = {}
    for line in lines[1:]:
        try:
            result = json.loads(line)
        except json.JSONDecodeError:
            continue
        kept[result["trial"]] = result
    return kept


class _JournalWriter:
    """Appends each finished trial to the journal (its header first, on a new file); a no-op without one."""

    def __init__(self, journal: str | Path | None, seed: int, settings: dict[str, Any]) -> None:
        self.path, self.header = (Path(journal) if journal is not None else None), {"seed": seed, "settings": settings}
        self.file = None

    def __enter__(self) -> _JournalWriter:
        if self.path is not None:
            text = self.path.read_text() if self.path.exists() else ""
            self.file = self.path.open("a")
            if not text:
                self._write(self.header)
            elif not text.endswith("\n"):  # a line cut short: the next record starts on a line of its own
                self.file.write("\n")
        return self

    def __call__(self, result: dict[str, Any]) -> None:
        if self.file is not None:
            self._write(result)

    def _write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def distribution(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean, standard deviation, minimum and maximum of the final accuracy, the fraction that reached 100 %,
    the epochs to 100 % of those that did, the mean write pulses, and the :data:`WORST` trials."""
    accuracy = np.array([r["accuracy"] for r in results])
    reached = [r["epochs_to_100"] for r in results if r["epochs_to_100"] is not None]
    worst = sorted(results, key=lambda r: (r["accuracy"], -r["epochs"], r["trial"]))[:WORST]
    return {"accuracy_mean": float(accuracy.mean()), "accuracy_std": float(accuracy.std()),
            "accuracy_min": float(accuracy.min()), "accuracy_max": float(accuracy.max()),
            "converged_fraction": len(reached) / len(results),
            "epochs_to_100_mean": float(np.mean(reached)) if reached else None,
            "epochs_to_100_max": max(reached) if reached else None,
            "pulses_mean": float(np.mean([r["pulses"] for r in results])),
            "worst": [{k: r[k] for k in ("trial", "seed", "accuracy", "epochs")} for r in worst]}


def table(report: dict[str, Any]) -> str:
    """The distribution as printed by ``mtjhw hil --monte-carlo``."""
    d = report["distribution"]
    settings = report["settings"]
    epochs = "-" if d["epochs_to_100_mean"] is None else f"{d['epochs_to_100_mean']:.1f} (max {d['epochs_to_100_max']})"
    lines = [f"Monte Carlo: {report['trials']} trials, {settings['array']} array, {settings['trainer']} trainer, "
             f"base seed {report['seed']}",
             f"  {'accuracy':>20} = {100 * d['accuracy_mean']:.1f} ± {100 * d['accuracy_std']:.1f} % "
             f"(min {100 * d['accuracy_min']:.1f} %, max {100 * d['accuracy_max']:.1f} %)",
             f"  {'reached 100 %':>20} = {100 * d['converged_fraction']:.0f} % of the trials",
             f"  {'epochs to 100 %':>20} = {epochs}",
             f"  {'write pulses':>20} = {d['pulses_mean']:.0f} per trial",
             "  worst seeds:"]
    lines += [f"    trial {w['trial']:>4}  seed {w['seed']:>10}  accuracy {100 * w['accuracy']:5.1f} %  "
              f"{w['epochs']} epochs" for w in d["worst"]]
    return "\n".join(lines)
