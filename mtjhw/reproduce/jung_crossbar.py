"""``jung-crossbar``: a binary 2-layer perceptron on MTJ crossbars read by resistance summation and a 4-bit TDC.

By default on scikit-learn's bundled 8×8 digits (MNIST cannot be downloaded here); ``mnist_dir`` points at a
directory with the MNIST IDX files to run on MNIST itself. Each pixel drives ``input_levels`` binary input lines
(a thermometer code, see :func:`thermometer`). The hidden layer is trained with batch norm, folded afterwards
into one digital threshold per neuron; ``software_value`` is the float perceptron of the same size.
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
         "dataset": "scikit-learn digits 8×8, 2 thermometer lines a pixel (MNIST with --mnist; the paper's is MNIST)",
         "reference": "review Table 3 (Jung et al. 2022): binary MTJ crossbar, resistance summation, 4-bit TDC, "
                      "2-layer perceptron on MNIST", "accuracy": 0.9323, "software_accuracy": 0.9524,
         "tops_per_watt": [10.0, 20.0]}


def thermometer(images: np.ndarray, levels: int, full_scale: float) -> np.ndarray:
    """Binary (±1) inputs: pixel > full_scale·k/(levels + 1) for k = 1 … ``levels``, ``levels`` lines a pixel.

    The 8×8 digits are counts (0 … 16) of set pixels in the 4×4 blocks of 32×32 binary bitmaps, so a few
    thermometer lines keep more of the bitmap than one threshold; one level at half scale is the usual
    binarisation (MNIST: > 127.5 of 255)."""
    flat = images.reshape(len(images), -1).astype(float)
    thresholds = full_scale * np.arange(1, levels + 1) / (levels + 1)
    return np.concatenate([np.where(flat > t, 1.0, -1.0) for t in thresholds], axis=1)


def _data(mnist_dir: str | Path | None, levels: int, rng: np.random.Generator):
    if mnist_dir is None:
        images, labels = load_digits()
        x = thermometer(images, levels, 16.0)
        train, test = split(len(x), 0.25, rng)
        return "sklearn digits 8x8", x[train], labels[train], x[test], labels[test]
    xtr, ytr = load_mnist(mnist_dir, "train")
    xte, yte = load_mnist(mnist_dir, "t10k")
    return "MNIST", thermometer(xtr, levels, 255.0), ytr.astype(int), thermometer(xte, levels, 255.0), yte.astype(int)


def train_model(x: np.ndarray, y: np.ndarray, hidden: int, epochs: int, binary: bool = True) -> BinaryMLP:
    """The ``x``-``hidden``-10 perceptron (binary, or its float twin) trained with 5 % input bit flips."""
    model = BinaryMLP((x.shape[1], hidden, 10), seed=1, binary=binary)
    model.train(x, y, epochs=epochs, lr=0.01, input_flips=0.05)
    return model


def crossbar_accuracy(model: BinaryMLP, x: np.ndarray, y: np.ndarray, params: CrossbarParams,
                      **crossbar: Any) -> dict[str, float]:
    """One sweep point: the test accuracy of ``model`` on a crossbar of ``params`` (``crossbar``: its options)."""
    return {"accuracy": XnorCrossbar(model, params, seed=2, **crossbar).accuracy(x, y)}


def levels_accuracy(mnist_dir: str | Path | None, levels: int, hidden: int, epochs: int) -> dict[str, float]:
    """One sweep point: train and test on the nominal crossbar with ``levels`` input lines a pixel."""
    _, x_train, y_train, x_test, y_test = _data(mnist_dir, levels, np.random.default_rng(0))
    model = train_model(x_train, y_train, hidden, epochs)
    return {"accuracy": XnorCrossbar(model, CrossbarParams(), seed=2).accuracy(x_test, y_test),
            "software_accuracy": float(np.mean(model.predict(x_test) == y_test))}


def reproduce_jung_crossbar(out: Path, quick: bool, progress: StepBar, executor: Executor,
                            mnist_dir: str | Path | None = None, input_levels: int = 2) -> dict[str, Any]:
    dataset, x_train, y_train, x_test, y_test = _data(mnist_dir, input_levels, np.random.default_rng(0))
    hidden, epochs = (128, 15) if quick else (256, 60)
    sigmas = [0.0, 0.2] if quick else [0.0, 0.05, 0.1, 0.2, 0.3]
    tdc_bits = [2, 4] if quick else [2, 3, 4, 5, 6, None]
    stuck_fractions = [0.0, 0.05] if quick else [0.0, 0.01, 0.02, 0.05, 0.1]
    levels = [] if quick else [n for n in (1, 2, 3) if n != input_levels]
    progress.expect(4 + len(sigmas) + len(tdc_bits) + len(stuck_fractions) + len(levels))
    progress(f"jung-crossbar: training a {x_train.shape[1]}-{hidden}-10 binary perceptron on {dataset}")
    model = train_model(x_train, y_train, hidden, epochs)
    binary_software = float(np.mean(model.predict(x_test) == y_test))
    progress(f"jung-crossbar: training the float {x_train.shape[1]}-{hidden}-10 perceptron (software ceiling)")
    software = float(np.mean(train_model(x_train, y_train, hidden, epochs, binary=False).predict(x_test) == y_test))
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
    points += [SweepPoint("input_levels", n, f"jung-crossbar: {n} input line(s) a pixel, trained anew",
                          partial(levels_accuracy, mnist_dir, n, hidden, epochs)) for n in levels]
    sweeps = run_sweeps("jung-crossbar", points, progress, executor)
    if levels:  # the nominal run is the sweep's point at input_levels
        sweeps["input_levels"] = sorted(sweeps["input_levels"] + [
            {"x": input_levels, "accuracy": hardware, "software_accuracy": binary_software}], key=lambda p: p["x"])
    _plot(sweeps, hardware, software, out / "report.png")
    return {
        "name": "jung-crossbar",
        "metric": PAPER["metric"],
        "value": hardware,
        "paper_value": PAPER["accuracy"],
        "software_value": software,
        "software_value_kind": "float perceptron of the same size (float weights, tanh hidden) on the same inputs",
        "binary_software_value": binary_software,
        "paper_software_value": PAPER["software_accuracy"],
        "paper": PAPER["reference"],
        "dataset": dataset,
        "settings": {"layers": list(model.sizes), "epochs": epochs, "lr": 0.01, "input_flips": 0.05,
                     "batch_norm": "folded into thresholds", "input_levels": input_levels, "segment": 16,
                     "tdc_bits": 4, "sigma_log_rp": nominal.sigma_log_rp, "sigma_tmr": nominal.sigma_tmr,
                     "train_samples": len(x_train), "test_samples": len(x_test), "split_seed": 0,
                     "model_seed": 1, "crossbar_seed": 2},
        "energy": crossbar.energy().as_dict(),
        "paper_tops_per_watt": PAPER["tops_per_watt"],
        "sweeps": sweeps,
    }


def _plot(sweeps: dict[str, list[dict[str, float]]], hardware: float, software: float, path: Path) -> None:
    labels = {"sigma_log_rp": "σ of ln Rp", "tdc_bits": "TDC bits (right: ideal)", "stuck_fraction": "stuck cells",
              "input_levels": "input lines a pixel"}
    keys = [key for key in labels if key in sweeps]
    fig, axes = figure(1, len(keys), size=(4.0 * len(keys), 3.6))
    for ax, key in zip(axes, keys, strict=True):
        xs = [p["x"] if p["x"] is not None else 8 for p in sweeps[key]]
        ax.plot(xs, [100 * p["accuracy"] for p in sweeps[key]], "o-", label="crossbar")
        ax.axhline(100 * software, color="tab:green", ls=":", label="float software (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper (MNIST)")
        ax.set_xlabel(labels[key])
        ax.set_ylabel("accuracy (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"binary MTJ crossbar + 4-bit TDC: {100 * hardware:.2f} % (float software {100 * software:.2f} %)")
    fig.savefig(path, dpi=110)
