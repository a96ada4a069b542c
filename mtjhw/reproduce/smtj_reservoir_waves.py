"""``smtj-reservoir-waves``: a reservoir of 32 single superparamagnetic MTJs (Ganguly-style, time-averaged telegraph
states, each device's dwell time its memory) on three waveform tasks: square-wave reconstruction from a sine,
sine prediction, and sine/square classification (the metric)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.echo_state import EchoStateNetwork
from mtjhw.networks.reservoir import classify_waveforms
from mtjhw.networks.smtj_waves import Reservoir, SmtjWaveReservoir, sine, sine_prediction, square_from_sine
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "sine/square waveform classification, test accuracy (per sample)",
         "dataset": "sine and square waveforms (generated, 8 samples per period)",
         "reference": "review: superparamagnetic-MTJ reservoir (Ganguly, Camsari & Ghosh, stochastic magnets), "
                      "waveform classification 89 %", "accuracy": 0.89}

READOUT = {"history": 3, "alpha": 1e-2}  #: the readout sees the last 3 steps' responses; ridge for noisy nodes
HORIZONS = (1, 3)  #: sine prediction, steps ahead


def tasks(reservoir: Reservoir, periods: int, n_steps: int) -> dict[str, float]:
    """All three tasks on ``reservoir``: accuracy and the regressions' test NMSE."""
    h, alpha = READOUT["history"], READOUT["alpha"]
    result = {"accuracy": classify(reservoir, periods),
              "square_nmse": square_from_sine(reservoir, n_steps=n_steps, history=h, alpha=alpha)}
    for k in HORIZONS:
        result[f"predict_{k}_nmse"] = sine_prediction(reservoir, k, n_steps=n_steps, history=h, alpha=alpha)
    return result


def classify(reservoir: Reservoir, periods: int) -> float:
    """Per-sample test accuracy of sine vs square (:func:`mtjhw.networks.reservoir.classify_waveforms`)."""
    return classify_waveforms(reservoir, n_periods=periods, reservoir_history=READOUT["history"],
                              alpha=READOUT["alpha"])["accuracy"]


def sweep_point(periods: int, n_steps: int, **devices: Any) -> dict[str, float]:
    """One sweep point: accuracy and square-wave NMSE of the reservoir built with ``devices``."""
    reservoir = SmtjWaveReservoir(**devices)
    return {"accuracy": classify(reservoir, periods),
            "square_nmse": square_from_sine(reservoir, n_steps=n_steps, **READOUT)}


def energy(reservoir: SmtjWaveReservoir, n_steps: int = 200, seed: int = 0) -> dict[str, float]:
    """Joule energy per input step Σ_j I_j²·R_j·t_step (:func:`mtjhw.networks.smtj_waves.step_energy`), averaged
    over a sine drive; the devices' bias is also their read current, so read energy is included. The readout's
    ADC and the ridge multiply-accumulates are left out (the same for any reservoir)."""
    _, per_step = reservoir.run(sine(n_steps, 16), np.random.default_rng(seed))
    e = float(np.mean(per_step))
    return {"energy_per_step_J": e, "step_time_s": reservoir.step_time, "mean_power_W": e / reservoir.step_time,
            "energy_per_device_step_J": e / reservoir.n_devices}


def reproduce_smtj_reservoir_waves(out: Path, quick: bool, progress: StepBar, executor: Executor) -> dict[str, Any]:
    periods, n_steps = (80, 240) if quick else (300, 800)
    sigmas = [0.0, 0.5] if quick else [0.0, 0.1, 0.2, 0.3, 0.5, 0.7]
    sizes = [8, 32] if quick else [4, 8, 16, 32, 64]
    read_times = [0.5, 2.0] if quick else [0.25, 0.5, 1.0, 2.0, 4.0]
    progress.expect(3 + len(sigmas) + len(sizes) + len(read_times))
    reservoir = SmtjWaveReservoir()
    progress(f"smtj-reservoir-waves: {reservoir.n_devices} sMTJs, three tasks")
    main = tasks(reservoir, periods, n_steps)
    progress(f"smtj-reservoir-waves: echo-state network of {reservoir.n_devices} tanh nodes")
    software = tasks(EchoStateNetwork(reservoir.n_devices), periods, n_steps)
    points = [SweepPoint("sigma_delta", s, f"smtj-reservoir-waves: Δ spread {s:g}",
                         partial(sweep_point, periods, n_steps, sigma_delta=s)) for s in sigmas]
    points += [SweepPoint("n_devices", n, f"smtj-reservoir-waves: {n} devices",
                          partial(sweep_point, periods, n_steps, n_devices=n)) for n in sizes]
    points += [SweepPoint("read_time", t, f"smtj-reservoir-waves: read-out time {t:g} dwell times",
                          partial(sweep_point, periods, n_steps, read_time=t)) for t in read_times]
    sweeps = run_sweeps("smtj-reservoir-waves", points, progress, executor)
    _plot(sweeps, main["accuracy"], out / "report.png")
    return {
        "name": "smtj-reservoir-waves",
        "metric": PAPER["metric"],
        "value": main["accuracy"],
        "paper_value": PAPER["accuracy"],
        "software_value": software["accuracy"],
        "paper": PAPER["reference"],
        "dataset": PAPER["dataset"],
        "regressions": {"ours": {k: v for k, v in main.items() if k != "accuracy"},
                        "software": {k: v for k, v in software.items() if k != "accuracy"},
                        "tasks": "square_nmse: square wave in phase with a 16-sample sine input; predict_k_nmse: "
                                 "the sine input k steps ahead; test NMSE on the second half"},
        "settings": {"n_devices": reservoir.n_devices, "delta": reservoir.delta,
                     "sigma_delta": reservoir.sigma_delta, "read_time_dwell_times": reservoir.read_time,
                     "step_time_s": reservoir.step_time, "i_bias_over_ic0": reservoir.i_bias,
                     "i_in_over_ic0": reservoir.i_in, "coupling": reservoir.coupling,
                     "samples_per_step": reservoir.samples_per_step, "periods": periods, "points_per_period": 8,
                     "regression_steps": n_steps, "seeds": {"devices": reservoir.seed, "tasks": 0}, **READOUT},
        "energy": energy(reservoir),
        "sweeps": sweeps,
    }


def _plot(sweeps: dict[str, list[dict[str, float]]], accuracy: float, path: Path) -> None:
    fig, axes = figure(1, 3, size=(13.0, 3.6))
    labels = (("sigma_delta", "relative spread of Δ"), ("n_devices", "reservoir size (devices)"),
              ("read_time", "read-out time per step (dwell times)"))
    for ax, (key, label) in zip(axes, labels, strict=True):
        xs = [p["x"] for p in sweeps[key]]
        ax.plot(xs, [100 * p["accuracy"] for p in sweeps[key]], "o-", label="classification")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper 89 %")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (%)")
        twin = ax.twinx()
        twin.plot(xs, [p["square_nmse"] for p in sweeps[key]], "s:", color="C1", label="square NMSE")
        twin.set_ylabel("square-wave NMSE")
        ax.legend(fontsize=8, loc="lower right")
    for ax in axes[1:]:
        ax.set_xscale("log", base=2)
    fig.suptitle(f"32 sMTJ reservoir, sine vs square: {100 * accuracy:.1f} %")
    fig.savefig(path, dpi=110)
