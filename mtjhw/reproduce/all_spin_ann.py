"""``all-spin-ann``: a three-layer ANN on compound-MTJ synapses with MTJ neurons (Zhang et al. 2016).

Weights are trained offline in float (with the MTJ neuron's own transfer as activation), quantised to the
compound synapses' levels, and inference runs through the simulated resistive network with the device spread.
By default on scikit-learn's 8×8 digits; ``mnist_dir`` points at the MNIST IDX files to run on MNIST itself.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.compound import AllSpinANN, CompoundParams, FloatMLP, NeuronParams
from mtjhw.networks.datasets import load_image_split
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test accuracy of the all-spin network (compound MTJ synapses, MTJ neurons)",
         "dataset": "scikit-learn digits 8×8 (MNIST with mnist_dir; the paper's is MNIST)",
         "reference": "review Table 3 (Zhang et al. 2016): all-spin ANN, compound spintronic synapses of binary "
                      "MTJs and MTJ neurons, three layers, MNIST", "accuracy": 0.9085}

DEVICE_SEEDS = (2, 3, 4)  #: device draws averaged at every sweep point



def network_accuracy(model: FloatMLP, x: np.ndarray, y: np.ndarray, synapses: CompoundParams,
                     neurons: NeuronParams, samples: int | None) -> dict[str, float]:
    """One sweep point: test accuracy, mean and spread over the device draws of :data:`DEVICE_SEEDS`."""
    scores = [AllSpinANN(model, synapses, neurons, seed=s, samples=samples).accuracy(x, y) for s in DEVICE_SEEDS]
    return {"accuracy": float(np.mean(scores)), "accuracy_std": float(np.std(scores))}


def _grids(quick: bool) -> dict[str, list[float]]:
    """Swept values: devices per synapse, R_P spread, stuck fraction, neuron Ic0 spread, neuron trials."""
    return {"n_devices": [1, 8] if quick else [1, 2, 3, 4, 8, 16],
            "sigma_log_rp": [0.0, 0.3] if quick else [0.0, 0.05, 0.1, 0.2, 0.3, 0.5],
            "stuck": [0.0, 0.2] if quick else [0.0, 0.01, 0.02, 0.05, 0.1, 0.2],
            "sigma_ic0": [0.0, 0.05] if quick else [0.0, 0.01, 0.02, 0.05, 0.1],
            "samples": [1, 8] if quick else [1, 2, 4, 8, 16, 64]}


def _points(point: partial, synapses: CompoundParams, neurons: NeuronParams, samples: int | None,
            grids: dict[str, list[float]]) -> list[SweepPoint]:
    points = []
    for key, values in grids.items():
        for v in values:
            s, n, k = synapses, neurons, samples
            if key == "sigma_ic0":
                n = replace(neurons, sigma_ic0=v)
            elif key == "samples":
                k = v
            else:
                s = replace(synapses, **{key: v})
            points.append(SweepPoint(key, v, f"all-spin-ann: {key} = {v:g}", partial(point, s, n, k)))
    return points


def reproduce_all_spin_ann(out: Path, quick: bool, progress: StepBar, executor: Executor,
                           mnist_dir: str | Path | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    dataset, x_train, y_train, x_test, y_test = load_image_split(mnist_dir, rng)
    hidden, epochs = (64, 30) if quick else (100, 60)
    synapses, neurons, samples = CompoundParams(), NeuronParams(), 8
    grids = _grids(quick)
    progress.expect(3 + sum(map(len, grids.values())))
    progress(f"all-spin-ann: training a float {x_train.shape[1]}-{hidden}-10 network (MTJ activation) on {dataset}")
    model = FloatMLP((x_train.shape[1], hidden, 10), w_max=1.0, seed=1)
    model.train(x_train, y_train, epochs=epochs, lr=0.01)
    software = float(np.mean(model.predict(x_test) == y_test))
    progress("all-spin-ann: inference through the compound-MTJ network")
    network = AllSpinANN(model, synapses, neurons, seed=DEVICE_SEEDS[0], samples=samples)
    hardware = network.accuracy(x_test, y_test)
    points = _points(partial(network_accuracy, model, x_test, y_test), synapses, neurons, samples, grids)
    sweeps = run_sweeps("all-spin-ann", points, progress, executor)
    energy = network.energy(x_test) | {"v_read": synapses.v_read, "t_read": synapses.t_read,
                                       "t_pulse_neuron": neurons.t_pulse, "neuron_i50": neurons.i50 * neurons.ic0}
    _plot(sweeps, hardware, software, out / "report.png")
    return {
        "name": "all-spin-ann",
        "metric": PAPER["metric"],
        "value": hardware,
        "paper_value": PAPER["accuracy"],
        "software_value": software,
        "software": "the same float network (same size, MTJ activation, weights clipped to ±1), no quantisation",
        "paper": PAPER["reference"],
        "dataset": dataset,
        "settings": {"layers": list(model.sizes), "epochs": epochs, "train_seed": 1, "split_seed": 0,
                     "device_seed": DEVICE_SEEDS[0], "sweep_device_seeds": list(DEVICE_SEEDS),
                     "neuron_samples": samples, "synapses": vars(synapses), "neurons": vars(neurons),
                     "train_samples": len(x_train), "test_samples": len(x_test)},
        "energy": energy,
        "sweeps": sweeps,
    }


def _plot(sweeps: dict[str, list[dict[str, Any]]], hardware: float, software: float, path: Path) -> None:
    fig, axes = figure(1, len(sweeps), size=(3.2 * len(sweeps), 3.4))
    labels = {"n_devices": "MTJs per compound synapse", "sigma_log_rp": "σ(ln R_P)", "stuck": "stuck devices",
              "sigma_ic0": "neuron σ(Ic0)/Ic0", "samples": "neuron trials per inference"}
    for ax, (key, points) in zip(axes, sweeps.items(), strict=True):
        ax.errorbar([p["x"] for p in points], [100 * p["accuracy"] for p in points],
                    [100 * p["accuracy_std"] for p in points], fmt="o-", label="all-spin")
        ax.axhline(100 * software, color="tab:green", ls=":", label="software (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper (MNIST)")
        ax.set_xlabel(labels[key])
        if key in ("n_devices", "samples"):
            ax.set_xscale("log", base=2)
        ax.set_ylabel("accuracy (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"all-spin ANN: {100 * hardware:.2f} % (software {100 * software:.2f} %)")
    fig.savefig(path, dpi=110)
