"""``stochastic-stdp-snn``: unsupervised WTA SNN on 9-device compound stochastic MTJ synapses (Zhang et al. 2016).

Rate-coded pixels, each on an ON line (x) and an OFF line (1 − x), reach the output LIF neurons through compound
synapses of binary MTJs that learn by stochastic STDP; lateral inhibition makes the first neuron to fire the
winner. Neurons are labelled from the training data afterwards. By default on scikit-learn's 8×8 digits
(``mnist_dir``: the MNIST IDX files). The software value is the same WTA network (same inputs, neurons, leak and
threshold) with float weights and the deterministic competitive STDP of
:class:`mtjhw.networks.spiking.WinnerTakeAllLayer`.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.datasets import load_image_split
from mtjhw.networks.spiking import WinnerTakeAllLayer
from mtjhw.networks.stochastic_stdp import (
    StochasticSynapseParams,
    StochasticWTA,
    first_to_fire,
    fit_and_score,
    rate_spikes,
)
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test accuracy, output neurons labelled from the training data after unsupervised STDP",
         "dataset": "scikit-learn digits 8×8, 64 pixels on ON/OFF lines (MNIST with mnist_dir; the paper's is "
                    "MNIST, 784 inputs)",
         "reference": "review Table 3 (Zhang et al. 2016): SNN with 9-device compound stochastic MTJ synapses, "
                      "stochastic STDP, 300 output neurons with lateral inhibition, unsupervised, MNIST",
         "accuracy": 0.9127}


def _data(mnist_dir: str | Path | None, rng: np.random.Generator):
    name, x_train, y_train, x_test, y_test = load_image_split(mnist_dir, rng)
    on_off = lambda x: np.hstack([x, 1 - x])  # noqa: E731
    return name, on_off(x_train), np.asarray(y_train, int), on_off(x_test), np.asarray(y_test, int)


def _config(quick: bool) -> dict[str, Any]:
    """Network and presentation settings (full: the paper's 300 output neurons)."""
    return {"n_outputs": 40 if quick else 300, "epochs": 1 if quick else 3, "steps": 40 if quick else 60,
            "threshold": 7.0 if quick else 10.0, "leak": 0.98, "window": 3, "max_rate": 0.5, "layer_seed": 1,
            "train_seed": 3, "train_limit": 600 if quick else None}


def _layer(config: dict[str, Any], n_inputs: int, synapse: StochasticSynapseParams | None) -> WinnerTakeAllLayer:
    shape = {"n_inputs": n_inputs, "n_outputs": config["n_outputs"], "leak": config["leak"],
             "threshold": config["threshold"], "seed": config["layer_seed"]}
    if synapse is None:
        return WinnerTakeAllLayer(**shape)
    return StochasticWTA(**shape, synapse=synapse, window=config["window"])


def snn_accuracy(data: tuple[np.ndarray, ...], config: dict[str, Any],
                 synapse: StochasticSynapseParams | None) -> dict[str, Any]:
    """One network (a sweep point): trained on ``data`` = (x_train, y_train, x_test, y_test); MTJ synapses of
    ``synapse``, or float weights where None. MTJ: with the STDP write and the read energies."""
    layer = _layer(config, data[0].shape[1], synapse)
    scores = fit_and_score(layer, *data, epochs=config["epochs"], steps=config["steps"],
                           max_rate=config["max_rate"], seed=config["train_seed"])
    if isinstance(layer, StochasticWTA):
        scores |= _energy(layer, data[2], config)
    return scores


def _energy(layer: StochasticWTA, x_test: np.ndarray, config: dict[str, Any]) -> dict[str, float]:
    """Write energy per STDP event (every device of the winner's synapses pulsed: Σ I²·R·t_pulse; and the part in
    the devices that switched); read energy per inference on 100 test samples (the input spikes up to the winner's
    spike, which decides, and over a full presentation of ``steps``); the share of test samples on which a neuron
    fired within the presentation and the median step it did; the relative device-to-device spread of the
    potentiation probability."""
    spikes = rate_spikes(x_test[:100], config["steps"], config["max_rate"], np.random.default_rng(5))
    p = layer.device_probabilities(layer.synapse.p_potentiate)
    fired = first_to_fire(layer, spikes)[1]
    return {"p_potentiate_relative_spread": float(np.std(p) / np.mean(p)),
            "fired_fraction": float(np.mean(fired < config["steps"] - 1)), "median_fire_step": float(np.median(fired)),
            "write_energy_per_event": float(np.mean(layer.write_energy)),
            "switched_devices_per_event": float(np.mean(layer.switched)),
            "write_energy_switching_devices": float(np.mean(layer.switch_energy)),
            "read_energy_per_inference": float(np.mean([layer.read_energy(t[:k + 1])
                                                        for t, k in zip(spikes, fired, strict=True)])),
            "read_energy_full_presentation": float(np.mean([layer.read_energy(t) for t in spikes])),
            "stdp_events": len(layer.write_energy)}


def reproduce_stochastic_stdp_snn(out: Path, quick: bool, progress: StepBar, executor: Executor,
                                  mnist_dir: str | Path | None = None) -> dict[str, Any]:
    config, synapse = _config(quick), StochasticSynapseParams()
    dataset, x_train, y_train, x_test, y_test = _data(mnist_dir, np.random.default_rng(0))
    limit = config["train_limit"]
    data = (x_train[:limit], y_train[:limit], x_test, y_test)
    grids = {"sigma_delta": [4.0] if quick else [0.0, 4.0, 8.0], "n_devices": [3] if quick else [1, 3]}
    point = partial(snn_accuracy, data, config)
    points = [SweepPoint(key, v, f"stochastic-stdp-snn: {key} = {v:g}", partial(point, replace(synapse, **{key: v})))
              for key, values in grids.items() for v in values]
    progress.expect(3 + len(points))
    progress(f"stochastic-stdp-snn: {data[0].shape[1]}-{config['n_outputs']} WTA on MTJ synapses, {dataset}")
    hardware = snn_accuracy(data, config, synapse)
    progress("stochastic-stdp-snn: the same WTA network with float weights")
    software = snn_accuracy(data, config, None)
    sweeps = run_sweeps("stochastic-stdp-snn", points, progress, executor)
    for key in grids:
        sweeps[key] = sorted(sweeps[key] + [{"x": getattr(synapse, key), **hardware}], key=lambda p: p["x"])
    _plot(sweeps, hardware["accuracy"], software["accuracy"], out / "report.png")
    energy_keys = ("write_energy_per_event", "switched_devices_per_event", "write_energy_switching_devices",
                   "read_energy_per_inference", "read_energy_full_presentation", "stdp_events",
                   "p_potentiate_relative_spread")
    return {
        "name": "stochastic-stdp-snn",
        "metric": PAPER["metric"],
        "value": hardware["accuracy"],
        "paper_value": PAPER["accuracy"],
        "software_value": software["accuracy"],
        "software": "the same WTA network (inputs, neurons, leak, threshold, epochs) with float weights and the "
                    "deterministic competitive STDP of spiking.WinnerTakeAllLayer",
        "paper": PAPER["reference"],
        "dataset": dataset,
        "settings": config | {"inputs": data[0].shape[1], "coding": "rate, ON/OFF line per pixel",
                              "synapse": vars(synapse), "potentiation_current": synapse.amplitude(
                                  synapse.p_potentiate), "depression_current": synapse.amplitude(synapse.p_depress),
                              "split_seed": 0, "train_samples": len(data[0]), "test_samples": len(data[2])},
        "train_accuracy": hardware["train_accuracy"],
        "active_neurons": hardware["active_neurons"],
        "fired_fraction": hardware["fired_fraction"],
        "median_fire_step": hardware["median_fire_step"],
        "energy": {k: hardware[k] for k in energy_keys} | {"t_pulse": synapse.t_pulse, "v_read": synapse.v_read,
                                                           "t_read": synapse.t_read},
        "sweeps": sweeps,
    }


def _plot(sweeps: dict[str, list[dict[str, Any]]], hardware: float, software: float, path: Path) -> None:
    fig, axes = figure(1, len(sweeps), size=(4.2 * len(sweeps), 3.6))
    labels = {"sigma_delta": "σ(Δ), device to device (kBT)", "n_devices": "MTJs per compound synapse"}
    for ax, (key, points) in zip(axes, sweeps.items(), strict=True):
        ax.plot([p["x"] for p in points], [100 * p["accuracy"] for p in points], "o-", label="MTJ synapses")
        ax.axhline(100 * software, color="tab:green", ls=":", label="float WTA (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper (MNIST)")
        ax.set_xlabel(labels[key])
        ax.set_ylabel("accuracy (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"stochastic STDP SNN: {100 * hardware:.2f} % (float WTA {100 * software:.2f} %)")
    fig.savefig(path, dpi=110)
