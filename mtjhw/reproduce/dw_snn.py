"""``dw-snn``: a rate-coded 2-layer spiking network on domain-wall MTJ LIF neurons.

Training: a rate network whose hidden activation is the DW neuron's analytic f–I curve (hardware-aware ANN
training, Adam, softmax cross-entropy), then run as a spiking network of DW-MTJ neurons with device-to-device
spreads of the threshold position and the wall mobility and a cycle-to-cycle threshold spread
(:mod:`mtjhw.networks.dw_snn`). The software reference: the same network with ReLU float neurons.

By default on scikit-learn's 8×8 digits (64-128-10); ``mnist_dir`` points at MNIST or Fashion-MNIST IDX files
(the same file names) to run the paper's 784-128-10 network.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.datasets import load_image_split
from mtjhw.networks.dw_snn import RateMLP, SpikingMLP, reference_rate, reset_energy, spike_energy
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor
from mtjhw.simulators.physics.lif import LifParams

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test accuracy of the spiking network on DW-MTJ LIF neurons",
         "dataset": "scikit-learn digits 8×8, 64-128-10 (the paper's: Fashion-MNIST, 784-128-10; "
                    "Fashion-MNIST or MNIST with mnist_dir)",
         "reference": "review Table 3: domain-wall MTJ LIF neurons, 784-128-10 SNN on Fashion-MNIST, 87 %, "
                      "508 fJ/spike", "accuracy": 0.87, "energy_per_spike": 508e-15}

SWEEP_SAMPLES = 2000  #: test samples each sweep point runs (all of the digits' test set)



def spiking_accuracy(model: RateMLP, x: np.ndarray, y: np.ndarray, **settings: Any) -> dict[str, float]:
    """One sweep point: accuracy and energy of ``model`` run as a DW-MTJ SNN with ``settings``."""
    result = SpikingMLP(model, **settings).run(x)
    return {"accuracy": result.accuracy(y), "energy_per_inference": result.energy_per_inference,
            "energy_per_spike": result.energy_per_spike, "spikes_per_inference": result.spikes_per_inference}


def _sweep_values(quick: bool) -> dict[str, list[Any]]:
    sigmas = [0.0, 0.5] if quick else [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    return {"sigma_position": sigmas, "sigma_mobility": sigmas,
            "steps": [4, 25] if quick else [2, 4, 6, 10, 25, 50, 100]}


def _points(model: RateMLP, x: np.ndarray, y: np.ndarray, quick: bool, steps: int) -> list[SweepPoint]:
    """The sweeps, each about the nominal settings (``steps`` time steps per inference)."""
    point = partial(spiking_accuracy, model, x[:SWEEP_SAMPLES], y[:SWEEP_SAMPLES], steps=steps)
    labels = {"sigma_position": "dw-snn: threshold-position spread {:.0%}", "sigma_mobility":
              "dw-snn: mobility spread {:.0%}", "steps": "dw-snn: {} time steps per inference"}
    return [SweepPoint(key, v, labels[key].format(v), partial(point, **{key: v}))
            for key, values in _sweep_values(quick).items() for v in values]


def _energy(model: RateMLP, nominal: SpikingMLP, result: Any) -> dict[str, float]:
    p = model.params
    i_ref = p.rheobase + model.current_scale
    return {"energy_per_spike": result.energy_per_spike,
            "paper_energy_per_spike": PAPER["energy_per_spike"],
            "energy_per_inference": result.energy_per_inference,
            "spikes_per_inference": result.spikes_per_inference,
            "time_per_inference": result.duration,
            "power_per_inference": result.energy_per_inference / result.duration,
            "spike_energy_at_unit_activation": spike_energy(p, i_ref),
            "unit_activation_current": i_ref, "unit_activation_rate": reference_rate(p, model.current_scale),
            "spike_energy_at_150uA": spike_energy(p, 150e-6), "reset_energy": reset_energy(p),
            "note": "neurons only: I²·r_track while integrating + reset pulse (150 µA for t_reset); synapses "
                    f"and peripherals left out; {nominal.steps} steps of {nominal.dt:g} s"}


def reproduce_dw_snn(out: Path, quick: bool, progress: StepBar, executor: Executor,
                     mnist_dir: str | Path | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    dataset, x_train, y_train, x_test, y_test = load_image_split(mnist_dir, rng)
    if quick:
        x_test, y_test = x_test[:150], y_test[:150]
    epochs = (4 if quick else 15) if mnist_dir else (20 if quick else 80)
    sizes = (x_train.shape[1], 128, 10)
    progress.expect(5 + sum(map(len, _sweep_values(quick).values())))
    progress(f"dw-snn: training a {sizes[0]}-128-10 ReLU network (software reference) on {dataset}")
    software = RateMLP(sizes, "relu", seed=1)
    software.train(x_train, y_train, epochs)
    progress("dw-snn: training the same network with the DW neuron's f–I curve as activation")
    model = RateMLP(sizes, "dw", LifParams(), seed=1)
    model.train(x_train, y_train, epochs)
    progress("dw-snn: spiking inference on DW-MTJ neurons with device variation")
    nominal = SpikingMLP(model, steps=25 if quick else 50)
    result = nominal.run(x_test)
    value = result.accuracy(y_test)
    sweeps = run_sweeps("dw-snn", _points(model, x_test, y_test, quick, nominal.steps), progress, executor)
    report = {
        "name": "dw-snn",
        "metric": PAPER["metric"],
        "value": value,
        "paper_value": PAPER["accuracy"],
        "software_value": software.accuracy(x_test, y_test),
        "rate_network_value": model.accuracy(x_test, y_test),
        "paper": PAPER["reference"],
        "dataset": dataset,
        "settings": {"layers": list(sizes), "epochs": epochs, "training": "rate network with the DW f–I curve "
                     "as activation (slope capped at 2), Adam lr 2e-3, batch 64", "current_scale": model.current_scale,
                     "steps": nominal.steps, "dt": nominal.dt, "tau_synapse": nominal.tau_synapse,
                     "sigma_position": nominal.sigma_position, "sigma_mobility": nominal.sigma_mobility,
                     "sigma_cycle": nominal.sigma_cycle, "lif_params": LifParams().__dict__,
                     "seeds": {"split": 0, "weights": 1, "devices": nominal.seed},
                     "train_samples": len(x_train), "test_samples": len(x_test), "sweep_samples": SWEEP_SAMPLES},
        "energy": _energy(model, nominal, result),
        "sweeps": sweeps,
    }
    progress("dw-snn: plotting")
    _plot(report, out / "report.png")
    return report


def _plot(report: dict[str, Any], path: Path) -> None:
    fig, axes = figure(1, 3, size=(12.0, 3.6))
    labels = {"sigma_position": "threshold-position spread (relative)", "sigma_mobility": "mobility spread",
              "steps": "time steps per inference"}
    for ax, (key, label) in zip(axes, labels.items(), strict=True):
        sweep = report["sweeps"][key]
        ax.plot([p["x"] for p in sweep], [100 * p["accuracy"] for p in sweep], "o-", label="DW-MTJ SNN")
        ax.axhline(100 * report["software_value"], color="tab:green", ls=":", label="software ReLU (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper (Fashion-MNIST)")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (%)")
    axes[2].set_xscale("log")
    axes[0].legend(fontsize=8)
    energy = report["energy"]
    fig.suptitle(f"DW-MTJ LIF SNN on {report['dataset']}: {100 * report['value']:.1f} % "
                 f"(software {100 * report['software_value']:.1f} %), {1e15 * energy['energy_per_spike']:.0f} "
                 f"fJ/spike (paper 508)", fontsize=10)
    fig.savefig(path, dpi=110)
