"""``population-coding``: sMTJ p-bit population coding + a 2-layer spiking network, unsupervised, on Iris."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.datasets import load_iris
from mtjhw.networks.spiking import cross_validate
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test accuracy (5-fold cross-validation, labels assigned after unsupervised learning)",
         "dataset": "Iris (scikit-learn)",
         "reference": "review Table 3: superparamagnetic-MTJ population coding with a 2-layer SNN, "
                      "unsupervised, Iris", "accuracy": 0.95, "accuracy_with_20pc_variation": 0.85}


def cv_accuracy(x: np.ndarray, labels: np.ndarray, **devices: float) -> dict[str, float]:
    """One sweep point: the cross-validated accuracy with the p-bits of ``devices`` (variation, delta)."""
    return {"accuracy": cross_validate(x, labels, **devices)}


def reproduce_population_coding(out: Path, quick: bool, progress: StepBar, executor: Executor) -> dict[str, Any]:
    features, labels = load_iris()
    x = (features - features.min(axis=0)) / (features.max(axis=0) - features.min(axis=0))
    repeats = 1 if quick else 3
    variations = [0.0, 0.4] if quick else [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    deltas = [3.0] if quick else [1.5, 3.0, 6.0]
    progress.expect(3 + len(variations) + len(deltas))
    progress(f"population-coding: {repeats}× 5-fold cross-validation, ideal devices")
    clean = cross_validate(x, labels, repeats=repeats)
    progress("population-coding: ±20 % device variation")
    varied = cross_validate(x, labels, repeats=repeats, variation=0.2)
    points = [SweepPoint("variation", variation, f"population-coding: variation ±{100 * variation:.0f} %",
                         partial(cv_accuracy, x, labels, variation=variation)) for variation in variations]
    points += [SweepPoint("delta", delta, f"population-coding: thermal stability Δ = {delta:g}",
                          partial(cv_accuracy, x, labels, delta=delta)) for delta in deltas]
    sweeps = run_sweeps("population-coding", points, progress, executor)
    _plot(sweeps, clean, out / "report.png")
    return {
        "name": "population-coding",
        "metric": PAPER["metric"],
        "value": clean,
        "paper_value": PAPER["accuracy"],
        "value_with_20pc_variation": varied,
        "paper_value_with_20pc_variation": PAPER["accuracy_with_20pc_variation"],
        "paper": PAPER["reference"],
        "settings": {"pbits_per_feature": 12, "output_neurons": 24, "steps_per_sample": 80, "epochs": 5,
                     "delta": 3.0, "repeats": repeats},
        "sweeps": sweeps,
    }


def _plot(sweeps: dict[str, list[dict[str, float]]], accuracy: float, path: Path) -> None:
    fig, axes = figure(1, 2, size=(9.0, 3.6))
    for ax, key, label in ((axes[0], "variation", "device variation (±, relative)"), (axes[1], "delta", "Δ")):
        ax.plot([p["x"] for p in sweeps[key]], [100 * p["accuracy"] for p in sweeps[key]], "o-")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper 95 %")
        ax.axhline(100 * PAPER["accuracy_with_20pc_variation"], color="grey", ls=":", lw=0.8,
                   label="paper ≥ 85 % at ±20 %")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"p-bit population coding + WTA SNN on Iris: {100 * accuracy:.1f} %")
    fig.savefig(path, dpi=110)


