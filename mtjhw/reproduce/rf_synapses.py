"""``rf-synapses``: a single-layer network whose synapses are spin-diode resonators rectifying frequency-multiplexed
microwave inputs, chains of them in series summing one output each (:mod:`mtjhw.networks.rf_mac`).

By default on scikit-learn's bundled 8×8 digits, the paper's own task (its 784-resonator chains are the MNIST
variant); ``mnist_dir`` points at a directory with the MNIST IDX files.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.datasets import load_image_split
from mtjhw.networks.rf_mac import RfMacDesign, RfMacLayer, diode_params, float_accuracy, train_linear, with_bias
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor
from mtjhw.simulators.physics.stno import STNO, STNOParams

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test accuracy of the single-layer RF network (spin-diode synapses, Johnson noise)",
         "dataset": "scikit-learn digits 8×8 (RF-encoded; the paper's: 8×8 digits, 784-resonator chains for MNIST)",
         "reference": "review Table 3 (Leroux et al., Phys. Rev. Applied 15, 034067 (2021)): RF multiply-and-"
                      "accumulate with chains of spintronic resonators (spin diodes), frequency-multiplexed inputs",
         "accuracy": 0.9940, "power_W": 8e-3}
#: residual spread of the resonance frequencies after each resonator's field is trimmed, Hz (an assumption)
SIGMA_F = 0.5e6
SEED = 0



def layer_accuracy(weights: np.ndarray, x: np.ndarray, labels: np.ndarray, params: STNOParams,
                   design: RfMacDesign, sigma_f: float) -> dict[str, float]:
    """One sweep point: test accuracy of the chains programmed for ``weights`` on resonators of ``params``."""
    layer = RfMacLayer(weights, params, design, sigma_f=sigma_f, seed=SEED + 3)
    return {"accuracy": layer.accuracy(x, labels), "snr": layer.signal_to_noise(),
            "rf_power_W": layer.energy(x)["rf_power_W"]}


def reproduce_rf_synapses(out: Path, quick: bool, progress: StepBar, executor: Executor,
                          mnist_dir: str | Path | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    dataset, x_train, y_train, x_test, y_test = load_image_split(mnist_dir, rng)
    if quick:
        x_test, y_test = x_test[:200], y_test[:200]
    spreads = [0.0, 2e6, 10e6] if quick else [0.0, 0.5e6, 1e6, 2e6, 5e6, 10e6, 20e6]
    alphas = [0.004, 0.016] if quick else [0.002, 0.004, 0.008, 0.012, 0.016]
    powers = [1e-6, 1e-4] if quick else [1e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 1e-3]
    progress.expect(3 + len(spreads) + len(alphas) + len(powers))
    progress(f"rf-synapses: float softmax regression {x_train.shape[1]}→10 on {dataset}")
    weights = train_linear(x_train, y_train, c=10.0)
    software = float_accuracy(weights, x_test, y_test)
    params, design = diode_params(), RfMacDesign()
    xb = with_bias(x_test)
    progress(f"rf-synapses: {weights.size} resonators in 10 chains, σ_f = {SIGMA_F / 1e6:g} MHz, Johnson noise")
    layer = RfMacLayer(weights, params, design, sigma_f=SIGMA_F, seed=SEED + 3)
    hardware = layer.accuracy(xb, y_test)
    point = partial(layer_accuracy, weights, xb, y_test)
    points = [SweepPoint("sigma_f_Hz", s, f"rf-synapses: resonance spread {s / 1e6:g} MHz",
                         partial(point, params, design, s)) for s in spreads]
    points += [SweepPoint("alpha", a, f"rf-synapses: damping α = {a:g}",
                          partial(point, diode_params(alpha=a), design, SIGMA_F)) for a in alphas]
    points += [SweepPoint("p_max_W", p, f"rf-synapses: full-scale input power {p * 1e6:g} µW",
                          partial(point, params, replace(design, p_max=p), SIGMA_F)) for p in powers]
    sweeps = run_sweeps("rf-synapses", points, progress, executor)
    _add_linewidths(sweeps["alpha"])
    _plot(sweeps, hardware, software, out / "report.png")
    return {
        "name": "rf-synapses",
        "metric": PAPER["metric"],
        "value": hardware,
        "paper_value": PAPER["accuracy"],
        "software_value": software,
        "paper": PAPER["reference"],
        "dataset": dataset,
        "settings": {"inputs": weights.shape[1], "outputs": weights.shape[0], "resonators": int(weights.size),
                     "f_first_Hz": design.f_first, "spacing_Hz": design.spacing, "p_max_W": design.p_max,
                     "integration_time_s": design.integration_time, "matched": design.matched,
                     "alpha": params.alpha, "dh0_T": params.dh0, "r_p_ohm": params.r_p, "sigma_f_Hz": SIGMA_F,
                     "half_width_Hz": _half_width(params), "l2_c": 10.0, "snr": layer.signal_to_noise(),
                     "train_samples": len(x_train), "test_samples": len(x_test), "seed": SEED},
        "energy": layer.energy(xb),
        "paper_power_W": PAPER["power_W"],
        "lowest_power_within_half_percent_of_software_W": _lowest_power(sweeps["p_max_W"], software),
        "sweeps": sweeps,
    }


def _lowest_power(points: list[dict[str, Any]], software: float) -> float | None:
    """Total RF power (W) of the lowest input power swept whose accuracy is within 0.5 % of the float one."""
    good = [p["rf_power_W"] for p in points if p["accuracy"] >= software - 0.005]
    return min(good) if good else None


def _half_width(params: STNOParams) -> float:
    """Half width σ (Hz) of the resonators' line at the middle of the input band (μ0H = 0.1 T)."""
    return float(STNO(params).diode_lineshape(0.1, 1e-6)[3])


def _add_linewidths(points: list[dict[str, Any]]) -> None:
    for p in points:
        p["half_width_Hz"] = _half_width(diode_params(alpha=p["x"]))


def _plot(sweeps: dict[str, list[dict[str, Any]]], hardware: float, software: float, path: Path) -> None:
    fig, axes = figure(1, 3, size=(13.0, 3.6))
    labels = {"sigma_f_Hz": ("resonance-frequency spread (MHz)", 1e-6), "alpha": ("line half width (MHz)", None),
              "p_max_W": ("full-scale input power per chain (W)", 1.0)}
    for ax, (key, (label, scale)) in zip(axes, labels.items(), strict=True):
        pts = sweeps[key]
        xs = [p["half_width_Hz"] / 1e6 for p in pts] if scale is None else [p["x"] * scale for p in pts]
        ax.plot(xs, [100 * p["accuracy"] for p in pts], "o-", label="RF chains")
        ax.axhline(100 * software, color="tab:green", ls=":", label="float linear (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (%)")
    axes[2].set_xscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"spin-diode RF MAC on digits: {100 * hardware:.2f} % (float {100 * software:.2f} %)")
    fig.savefig(path, dpi=110)
