"""``jung-crossbar``: a binary 2-layer perceptron on MTJ crossbars read by resistance summation and a 4-bit TDC.

By default on scikit-learn's bundled 8×8 digits (MNIST cannot be downloaded here); ``mnist_dir`` points at a
directory with the MNIST IDX files to run on MNIST itself.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.binary import BinaryMLP, XnorCrossbar
from mtjhw.networks.datasets import load_digits, load_mnist, split
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor
from mtjhw.simulators.physics.crossbar import CrossbarParams

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test accuracy on the crossbar (4-bit TDC)",
         "dataset": "scikit-learn digits 8×8 (MNIST with --mnist; the paper's is MNIST)",
         "reference": "review Table 3 (Jung et al. 2022): binary MTJ crossbar, resistance summation, 4-bit TDC, "
                      "2-layer perceptron on MNIST", "accuracy": 0.9323, "software_accuracy": 0.9524,
         "tops_per_watt": [10.0, 20.0]}


def _data(mnist_dir: str | Path | None, rng: np.random.Generator):
    if mnist_dir is None:
        images, labels = load_digits()
        x = np.where(images > 6, 1.0, -1.0)
        train, test = split(len(x), 0.25, rng)
        return "sklearn digits 8x8", x[train], labels[train], x[test], labels[test]
    xtr, ytr = load_mnist(mnist_dir, "train")
    xte, yte = load_mnist(mnist_dir, "t10k")
    binarise = lambda im: np.where(im.reshape(len(im), -1) > 127, 1.0, -1.0)  # noqa: E731
    return "MNIST", binarise(xtr), ytr.astype(int), binarise(xte), yte.astype(int)


def crossbar_accuracy(model: BinaryMLP, x: np.ndarray, y: np.ndarray, params: CrossbarParams,
                      **crossbar: Any) -> dict[str, float]:
    """One sweep point: the test accuracy of ``model`` on a crossbar of ``params`` (``crossbar``: its options)."""
    return {"accuracy": XnorCrossbar(model, params, seed=2, **crossbar).accuracy(x, y)}


def reproduce_jung_crossbar(out: Path, quick: bool, progress: StepBar, executor: Executor,
                            mnist_dir: str | Path | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    dataset, x_train, y_train, x_test, y_test = _data(mnist_dir, rng)
    hidden, epochs = (128, 40) if quick else (256, 100)
    sigmas = [0.0, 0.2] if quick else [0.0, 0.05, 0.1, 0.2, 0.3]
    tdc_bits = [2, 4] if quick else [2, 3, 4, 5, 6, None]
    stuck_fractions = [0.0, 0.05] if quick else [0.0, 0.01, 0.02, 0.05, 0.1]
    progress.expect(3 + len(sigmas) + len(tdc_bits) + len(stuck_fractions))
    progress(f"jung-crossbar: training a {x_train.shape[1]}-{hidden}-10 binary perceptron on {dataset}")
    model = BinaryMLP((x_train.shape[1], hidden, 10), seed=1)
    model.train(x_train, y_train, epochs=epochs, lr=0.003)
    software = float(np.mean(model.predict(x_test) == y_test))
    nominal = CrossbarParams()
    progress("jung-crossbar: inference on the simulated crossbar with a 4-bit TDC")
    crossbar = XnorCrossbar(model, nominal, tdc_bits=4, seed=2)
    hardware = crossbar.accuracy(x_test, y_test)
    point = partial(crossbar_accuracy, model, x_test, y_test)
    points = [SweepPoint("sigma_log_rp", sigma, f"jung-crossbar: R_P spread σ(ln R_P) = {sigma:g}",
                         partial(point, CrossbarParams(sigma_log_rp=sigma))) for sigma in sigmas]
    points += [SweepPoint("tdc_bits", bits, f"jung-crossbar: {bits or 'ideal'}-bit TDC",
                          partial(point, nominal, tdc_bits=bits)) for bits in tdc_bits]
    points += [SweepPoint("stuck_fraction", stuck, f"jung-crossbar: {100 * stuck:g} % stuck cells",
                          partial(point, CrossbarParams(stuck_at_p=stuck / 2, stuck_at_ap=stuck / 2)))
               for stuck in stuck_fractions]
    sweeps = run_sweeps("jung-crossbar", points, progress, executor)
    _plot(sweeps, hardware, software, out / "report.png")
    return {
        "name": "jung-crossbar",
        "metric": PAPER["metric"],
        "value": hardware,
        "paper_value": PAPER["accuracy"],
        "software_value": software,
        "paper_software_value": PAPER["software_accuracy"],
        "paper": PAPER["reference"],
        "dataset": dataset,
        "settings": {"layers": list(model.sizes), "epochs": epochs, "segment": 16, "tdc_bits": 4,
                     "sigma_log_rp": nominal.sigma_log_rp, "sigma_tmr": nominal.sigma_tmr,
                     "train_samples": len(x_train), "test_samples": len(x_test)},
        "energy": crossbar.energy().as_dict(),
        "paper_tops_per_watt": PAPER["tops_per_watt"],
        "sweeps": sweeps,
    }


def _plot(sweeps: dict[str, list[dict[str, float]]], hardware: float, software: float, path: Path) -> None:
    fig, axes = figure(1, 3, size=(12.0, 3.6))
    labels = {"sigma_log_rp": "σ of ln Rp", "tdc_bits": "TDC bits (right: ideal)", "stuck_fraction": "stuck cells"}
    for ax, key in zip(axes, labels, strict=True):
        xs = [p["x"] if p["x"] is not None else 8 for p in sweeps[key]]
        ax.plot(xs, [100 * p["accuracy"] for p in sweeps[key]], "o-", label="crossbar")
        ax.axhline(100 * software, color="tab:green", ls=":", label="software (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper (MNIST)")
        ax.set_xlabel(labels[key])
        ax.set_ylabel("accuracy (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"binary MTJ crossbar + 4-bit TDC: {100 * hardware:.2f} % (software {100 * software:.2f} %)")
    fig.savefig(path, dpi=110)
