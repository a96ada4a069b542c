"""``smtj-rnn-recommender``: a recurrent network of 64 hidden and 10 output sMTJs predicting user preferences.

There is no public data set of the paper's task, so the user sequences are synthetic, from :func:`generate`:

- 10 item categories. Each user has a latent taste, a set F of 2 or 3 favourite categories (drawn uniformly).
- Markov structure shared by all users: after choosing category c the user's *preferred* next category is the
  favourite that follows c in the cyclic order of the categories (the smallest f ∈ F above c, else the smallest
  f ∈ F): a user with F = {2, 5, 7} cycles 2 → 5 → 7 → 2 …, and after a stray choice 6 prefers 7.
- The user picks the preferred category with probability 1 − ε (ε = 0.02), any of the 10 uniformly otherwise.
- Taste drift: at every step, with probability ρ = 0.005, one favourite (uniform) is replaced by a category that
  was not one (uniform).
- Sequences of T = 30 choices, the first a random favourite.

The network sees the choices one at a time (one-hot) and must memorise the user's favourites from them: the
metric, next-preference prediction accuracy, is the fraction of predictions made after the 5th and later choices
of held-out users (steps 5 … T − 1 of each sequence, 0-based targets) whose predicted next category is the
user's preferred one at that step (the argmax of the generator's next-choice distribution, which is never
shown: the network learns from the observed next choices). Also reported: the accuracy against the observed
next choice, bounded by 1 − ε + ε/10 = 98.2 %.

Hardware: 64 hidden and 10 output Néel–Brown sMTJ neurons (:mod:`mtjhw.networks.stochastic_rnn`), each read 32
times per step (every 100 ns), lognormal 10 % spread of Δ and Ic0 and 1 mT stray fields; the network is trained
offline with binomial read noise; the software ceiling is the float network of the same size trained on the
same sequences.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.stochastic_neurons import SmtjNeuronParams, SmtjNeurons
from mtjhw.networks.stochastic_rnn import StochasticRNN
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "next-preference prediction accuracy (held-out users, after 5 choices)",
         "dataset": "synthetic user-preference sequences (10 categories, 2–3 favourites, Markov cycle, drift; "
                    "the paper's data are not public)",
         "reference": "review Table 3: 64×10 stochastic-MTJ array recurrent network memorising and predicting "
                      "user preferences", "accuracy": 0.9608}

CATEGORIES = 10
WARM_UP = 5  #: predictions for steps before this one (fewer than 5 choices seen) are not scored
NOMINAL = SmtjNeuronParams().varied(0.1, 1e-3)  #: the hardware of the headline value


def generate(users: int, steps: int, rng: np.random.Generator, explore: float = 0.02, drift: float = 0.005
             ) -> tuple[np.ndarray, np.ndarray]:
    """(choices, preferred) (users, steps) category indices of the generator of the module docstring;
    ``preferred[:, t]`` is the preferred category at step t (``preferred[:, 0]``: the first choice)."""
    favourite = np.zeros((users, CATEGORIES), dtype=bool)
    for u in range(users):
        favourite[u, rng.choice(CATEGORIES, rng.integers(2, 4), replace=False)] = True
    choices, preferred = np.empty((users, steps), dtype=int), np.empty((users, steps), dtype=int)
    choices[:, 0] = preferred[:, 0] = np.argmax(favourite * rng.random(favourite.shape), axis=1)
    order = np.arange(CATEGORIES)
    for t in range(1, steps):
        drifting = rng.random(users) < drift
        out = np.argmax(favourite * rng.random(favourite.shape), axis=1)
        into = np.argmax(~favourite * rng.random(favourite.shape), axis=1)
        favourite[drifting, out[drifting]] = False
        favourite[drifting, into[drifting]] = True
        above = favourite & (order > choices[:, t - 1, None])
        preferred[:, t] = np.where(above.any(axis=1), np.argmax(above, axis=1), np.argmax(favourite, axis=1))
        stray = rng.random(users) < explore
        choices[:, t] = np.where(stray, rng.integers(0, CATEGORIES, users), preferred[:, t])
    return choices, preferred


def scores(predictions: np.ndarray, choices: np.ndarray, preferred: np.ndarray) -> dict[str, float]:
    """Accuracy of ``predictions`` (users, T − 1; column t predicts step t + 1) against the preferred and the
    observed next categories, steps ≥ :data:`WARM_UP`."""
    scored = slice(WARM_UP - 1, None)
    return {"accuracy": float(np.mean(predictions[:, scored] == preferred[:, WARM_UP:])),
            "observed_accuracy": float(np.mean(predictions[:, scored] == choices[:, WARM_UP:]))}


def hardware_scores(model: StochasticRNN, choices: np.ndarray, preferred: np.ndarray, params: SmtjNeuronParams,
                    reads: int) -> dict[str, float]:
    """One sweep point: the scores of ``model`` on sMTJs of ``params`` read ``reads`` times per step."""
    hidden, outputs = SmtjNeurons(model.sizes[1], params, seed=3), SmtjNeurons(model.sizes[2], params, seed=4)
    predictions, energy = model.sample_predictions(choices, hidden, outputs, reads, np.random.default_rng(5))
    return {**scores(predictions, choices, preferred), "energy_per_prediction": energy}


def reproduce_smtj_rnn_recommender(out: Path, quick: bool, progress: StepBar, executor: Executor
                                   ) -> dict[str, Any]:
    train_users, test_users, steps, epochs, lr = (400, 200, 20, 12, 0.03) if quick else (2000, 500, 30, 40, 0.01)
    reads = 32
    spreads = [0.0, 0.3] if quick else [0.0, 0.1, 0.2, 0.3, 0.5]
    offsets = [0.0, 4e-3] if quick else [0.0, 1e-3, 2e-3, 4e-3, 8e-3]
    read_counts = [4, 16] if quick else [2, 4, 8, 16, 32, 64]
    progress.expect(3 + len(spreads) + len(offsets) + len(read_counts))
    rng = np.random.default_rng(0)
    train, _ = generate(train_users, steps, rng)
    test, preferred = generate(test_users, steps, rng)
    progress(f"smtj-rnn-recommender: training the float 10-64-10 network on {train_users} users")
    software = StochasticRNN(seed=1)
    software.train(train, epochs=epochs, lr=lr)
    soft = scores(np.argmax(software.probabilities(test), axis=2), test, preferred)
    progress(f"smtj-rnn-recommender: training with {reads}-read sMTJ noise")
    model = StochasticRNN(seed=1)
    model.train(train, epochs=epochs, lr=lr, reads=reads, seed=2)
    progress("smtj-rnn-recommender: inference on the sampled sMTJs")
    nominal = hardware_scores(model, test, preferred, NOMINAL, reads)
    point = partial(hardware_scores, model, test, preferred)
    points = [SweepPoint("spread", s, f"smtj-rnn: Δ, Ic0 spread {100 * s:g} %",
                         partial(point, NOMINAL.varied(s), reads)) for s in spreads]
    points += [SweepPoint("offset_mT", 1e3 * h, f"smtj-rnn: stray-field σ {1e3 * h:g} mT",
                          partial(point, NOMINAL.varied(NOMINAL.sigma_delta, h), reads)) for h in offsets]
    points += [SweepPoint("reads", r, f"smtj-rnn: {r} reads per step", partial(point, NOMINAL, r))
               for r in read_counts]
    sweeps = run_sweeps("smtj-rnn-recommender", points, progress, executor)
    _plot(sweeps, nominal["accuracy"], soft["accuracy"], out / "report.png")
    return {
        "name": "smtj-rnn-recommender",
        "metric": PAPER["metric"],
        "value": nominal["accuracy"],
        "observed_choice_accuracy": nominal["observed_accuracy"],
        "paper_value": PAPER["accuracy"],
        "software_value": soft["accuracy"],
        "software_observed_choice_accuracy": soft["observed_accuracy"],
        "paper": PAPER["reference"],
        "dataset": PAPER["dataset"],
        "settings": {"layers": list(model.sizes), "epochs": epochs, "lr": lr, "reads": reads,
                     "train_users": train_users, "test_users": test_users, "steps": steps, "warm_up": WARM_UP,
                     "explore": 0.02, "drift": 0.005, "device": vars(NOMINAL),
                     "seeds": {"data": 0, "weights": 1, "training_noise": 2, "devices": [3, 4], "reads": 5}},
        "energy": _energy(nominal["energy_per_prediction"], reads),
        "sweeps": sweeps,
    }


def _energy(per_prediction: float, reads: int) -> dict[str, float | str]:
    return {"energy_per_prediction": per_prediction, "reads_per_step": reads,
            "time_per_prediction": 2 * reads * NOMINAL.t_read, "t_read": NOMINAL.t_read,
            "model": "per step: reads × (hidden and output sMTJs' I²R·t_read at their input currents, zero-bias R "
                     "of the state read, + the synaptic currents V_read·|x·w|·I_unit·t_read of the input, "
                     "recurrent and output arrays, V_read = 0.1 V); the hidden layer's reads and then the "
                     "outputs' take 2·reads·t_read; counters and sense inverters left out"}


def _plot(sweeps: dict[str, list[dict[str, float]]], value: float, software: float, path: Path) -> None:
    fig, axes = figure(1, 3, size=(12.0, 3.6))
    labels = {"spread": "σ of Δ and Ic0 (relative)", "offset_mT": "stray-field σ (mT)", "reads": "reads per step"}
    for ax, key in zip(axes, labels, strict=True):
        ax.plot([p["x"] for p in sweeps[key]], [100 * p["accuracy"] for p in sweeps[key]], "o-", label="sMTJ")
        ax.axhline(100 * software, color="tab:green", ls=":", label="float network (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper")
        ax.set_xlabel(labels[key])
        ax.set_ylabel("next-preference accuracy (%)")
    axes[2].set_xscale("log", base=2)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"64×10 sMTJ recurrent network: {100 * value:.2f} % (float network {100 * software:.2f} %)")
    fig.savefig(path, dpi=110)
