"""``zhao-letters``: a 3×3 MTJ sensor array reads letters Z/Y/H/L; the FPGA trains a 9→4 layer by backprop.

Each pixel is sensed by an MTJ field sensor whose normalised output is pixel × sensitivity (device-to-device
spread ``sigma_sensitivity``) plus read noise, digitised to the engine's fixed-point format. The trainer is the
FPGA engine's bit-exact golden model (``backend="golden"``), the engine itself in the Amaranth simulator
(``backend="gateware"``) or its Verilator build (``backend="verilator"``), all three bit-exact; cycles per step
come from the engine.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.gateware.mlp_engine import engine_cycles
from mtjhw.gateware.mlp_golden import DEFAULT_FORMAT, GoldenMLP
from mtjhw.networks.letters import letter_dataset
from mtjhw.networks.readout import quantize
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "accuracy on held-out sensed letters",
         "dataset": "letters Z, Y, H, L on a 3×3 sensor array (generated)",
         "reference": "review Table 3 (Zhao et al. 2023): 3×3 MTJ sensor array, letters Z/Y/H/L, backpropagation "
                      "on an FPGA", "accuracy": 1.0, "epochs_to_100": 52, "seconds_per_image": 9e-6}
CLOCK = 100e6  # Hz
#: Sensor read: each MTJ field sensor biased at SENSOR_READ_V (V) across SENSOR_R (Ω) for SENSOR_READ_TIME (s),
#: the settling of a bridge readout; assumed values of a typical TMR sensor, not the paper's.
SENSOR_READ_V, SENSOR_R, SENSOR_READ_TIME = 0.1, 5e3, 1e-6
#: Dynamic power (W) of the training engine on the FPGA: an estimate for a design of this size (tens of LUTs per
#: lane, 9 DSP multipliers) in a 28 nm Zynq-7020's fabric at 100 MHz, not a measurement (Vivado's power report on
#: the built bitstream gives the board's figure).
ENGINE_POWER = 0.05
BACKENDS = ("golden", "gateware", "verilator")


def sense(pixels: np.ndarray, sensitivity: np.ndarray, read_noise: float, rng: np.random.Generator) -> np.ndarray:
    """Normalised sensor outputs for pixel patterns (n, 9)."""
    return pixels * sensitivity + read_noise * rng.standard_normal(pixels.shape)


def train(sensitivity: np.ndarray, read_noise: float, max_epochs: int, lr_shift: int = 4, seed: int = 0,
          backend: str = "golden", readout_bits: int | None = None, rounding: str = "floor") -> list[float]:
    """Training, an epoch being one freshly sensed presentation of each letter (as the array reads them);
    accuracy on 100 held-out sensed letters after every epoch (stops at 100 %). ``backend`` "golden" steps the
    engine's golden model; "gateware" runs every step through the engine in the Amaranth simulator, "verilator"
    through its Verilator build (slower to start, the same numbers: the three are bit-exact). ``readout_bits``:
    the sensor outputs digitised over [0, 1] with that many bits before the engine (None: the engine's own Q6.10
    resolution). ``rounding``: of the engine's SGD update (floor, nearest, stochastic; see
    :mod:`mtjhw.gateware.mlp_golden`)."""
    fmt = DEFAULT_FORMAT
    rng = np.random.default_rng(seed)

    def digitise(outputs: np.ndarray) -> np.ndarray:
        return fmt.quantize(outputs if readout_bits is None else quantize(outputs, readout_bits, 0.0, 1.0))

    test_pixels, test_labels = letter_dataset(25, 0.0, rng)
    x_test = digitise(sense(test_pixels, sensitivity, read_noise, rng))
    high, low = int(fmt.quantize(0.95)), int(fmt.quantize(0.05))
    targets = np.where(np.eye(4, dtype=bool), high, low)
    model = GoldenMLP((9, 4), fmt, lr_shift=lr_shift, seed=seed + 1, rounding=rounding, lanes=9)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    engine = fast = None
    if backend == "gateware":
        from mtjhw.gateware.engine_session import EngineSession
        from mtjhw.gateware.mlp_engine import MLPEngine

        engine = EngineSession(MLPEngine((9, 4), fmt, lr_shift=lr_shift, lanes=9, rounding=rounding),
                               clock_period=1 / CLOCK)
        engine.load(model)
    elif backend == "verilator":
        from mtjhw.gateware.mlp_engine import MLPEngine
        from mtjhw.gateware.verilator import VerilatorEngine

        fast = VerilatorEngine(MLPEngine((9, 4), fmt, lr_shift=lr_shift, lanes=9, rounding=rounding))
    history: list[float] = []
    try:
        while len(history) < max_epochs and (not history or history[-1] < 1.0):
            pixels, labels = letter_dataset(1, 0.0, rng)
            x = digitise(sense(pixels, sensitivity, read_noise, rng))
            order = rng.permutation(4)
            if fast is not None:  # the epoch's steps in one run of the Verilator build
                fast.run(model, x[order], labels[order], (high, low)).update(model)  # generators continue
            elif engine is not None:
                for k in order:
                    engine.step(x[k], labels[k], (high, low))
                model.weights, model.biases = engine.parameters()
            else:
                for k in order:
                    model.step(x[k], targets[labels[k]])
            history.append(float(np.mean([model.predict(r) == y for r, y in zip(x_test, test_labels, strict=True)])))
    finally:
        if engine is not None:
            engine.close()
    return history


def float_accuracy(sensitivity: np.ndarray, read_noise: float, epochs: int, lr: float = 2.0**-4,
                   seed: int = 0) -> float:
    """The software ceiling: the same 9→4 sigmoid layer in floating point, trained by the engine's SGD on the same
    squared error and (0.95, 0.05) targets for ``epochs`` epochs of freshly sensed letters; held-out accuracy."""
    rng = np.random.default_rng(seed)
    test_pixels, test_labels = letter_dataset(25, 0.0, rng)
    x_test = sense(test_pixels, sensitivity, read_noise, rng)
    w, b = 0.1 * rng.standard_normal((4, 9)), np.zeros(4)
    targets = np.where(np.eye(4, dtype=bool), 0.95, 0.05)
    for _ in range(epochs):
        pixels, labels = letter_dataset(1, 0.0, rng)
        for x, label in zip(sense(pixels, sensitivity, read_noise, rng), labels, strict=True):
            y = 1 / (1 + np.exp(-(w @ x + b)))
            delta = (y - targets[label]) * y * (1 - y)
            w, b = w - lr * np.outer(delta, x), b - lr * delta
    return float(np.mean(np.argmax(x_test @ w.T + b, axis=1) == test_labels))


def energy(cycles: int) -> dict[str, float]:
    """Energy (J) of one training step: the nine sensor reads (V²/R·t) and the engine's cycles at
    :data:`ENGINE_POWER`; the host and the board's static power are left out."""
    sensors = 9 * SENSOR_READ_V**2 / SENSOR_R * SENSOR_READ_TIME
    engine = ENGINE_POWER * cycles / CLOCK
    return {"energy_per_step_J": sensors + engine, "sensor_read_J": sensors, "engine_J": engine,
            "engine_power_W": ENGINE_POWER}


def accuracy_for(sigma: float, noise: float, max_epochs: int, seed: int = 0,
                 readout_bits: int | None = None) -> tuple[float, int]:
    sensitivity = 1 + sigma * np.random.default_rng(seed + 100).standard_normal(9)
    history = train(sensitivity, noise, max_epochs, seed=seed, readout_bits=readout_bits)
    return history[-1], len(history)


def sweep_point(sigma: float, noise: float, max_epochs: int, readout_bits: int | None = None) -> dict[str, Any]:
    """One sweep point: the final accuracy and the epochs of :func:`accuracy_for`."""
    accuracy, epochs = accuracy_for(sigma, noise, max_epochs, readout_bits=readout_bits)
    return {"accuracy": accuracy, "epochs": epochs}


def reproduce_zhao_letters(out: Path, quick: bool, progress: StepBar, executor: Executor,
                           backend: str = "golden") -> dict[str, Any]:
    max_epochs = 100 if quick else 300
    sigmas = [0.0, 0.3] if quick else [0.0, 0.1, 0.2, 0.3, 0.5]
    noises = [0.05, 0.3] if quick else [0.0, 0.05, 0.1, 0.2, 0.3]
    readout_bits = [1, 4] if quick else [1, 2, 3, 4, 6]
    progress.expect(2 + len(sigmas) + len(noises) + len(readout_bits))
    progress(f"zhao-letters: training the 9→4 layer on sensed letters ({backend} backend of the FPGA engine)")
    sensitivity = 1 + 0.05 * np.random.default_rng(100).standard_normal(9)
    history = train(sensitivity, 0.05, max_epochs, backend=backend)
    cycles = engine_cycles((9, 4), 9)
    software = float_accuracy(sensitivity, 0.05, max(len(history), PAPER["epochs_to_100"]))
    points = [SweepPoint("sigma_sensitivity", sigma, f"zhao-letters: sensitivity spread {sigma:g}",
                         partial(sweep_point, sigma, 0.05, max_epochs)) for sigma in sigmas]
    points += [SweepPoint("read_noise", noise, f"zhao-letters: read noise {noise:g}",
                          partial(sweep_point, 0.05, noise, max_epochs)) for noise in noises]
    points += [SweepPoint("readout_bits", bits, f"zhao-letters: {bits}-bit sensor readout",
                          partial(sweep_point, 0.2, 0.1, max_epochs, bits)) for bits in readout_bits]
    sweeps = run_sweeps("zhao-letters", points, progress, executor)
    fig, (ax, ax_s, ax_b) = figure(1, 3, size=(13.0, 3.6))
    ax.plot(np.arange(1, len(history) + 1), np.array(history) * 100, "o-")
    ax.axvline(PAPER["epochs_to_100"], color="grey", ls="--", label="paper: 100 % at 52 epochs")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.legend()
    ax_s.plot([p["x"] for p in sweeps["sigma_sensitivity"]], [100 * p["accuracy"] for p in sweeps["sigma_sensitivity"]],
              "o-", label="sensitivity spread")
    ax_s.plot([p["x"] for p in sweeps["read_noise"]], [100 * p["accuracy"] for p in sweeps["read_noise"]], "s-",
              label="read noise")
    ax_s.set_xlabel("relative spread / noise")
    ax_s.set_ylabel("final accuracy (%)")
    ax_s.legend()
    ax_b.plot([p["x"] for p in sweeps["readout_bits"]], [p["epochs"] for p in sweeps["readout_bits"]], "o-")
    ax_b.set_xlabel("sensor readout bits (spread 0.2, noise 0.1)")
    ax_b.set_ylabel("epochs (to 100 % or the limit)")
    fig.savefig(out / "report.png", dpi=110)
    return {
        "name": "zhao-letters",
        "metric": PAPER["metric"],
        "value": history[-1],
        "paper_value": PAPER["accuracy"],
        "software_value": software,
        "dataset": PAPER["dataset"],
        "energy": energy(cycles),
        "epochs_to_100": len(history) if history[-1] == 1.0 else None,
        "paper_epochs_to_100": PAPER["epochs_to_100"],
        "cycles_per_step": cycles,
        "seconds_per_step_at_100MHz": cycles / CLOCK,
        "paper_seconds_per_image": PAPER["seconds_per_image"],
        "paper": PAPER["reference"],
        "backend": backend,
        "settings": {"epoch": "each letter once, freshly sensed", "test_samples": 100, "lanes": 9,
                     "fixed_point": "Q6.10", "lr_shift": 4,
                     "sigma_sensitivity": 0.05, "read_noise": 0.05},
        "sweeps": sweeps,
    }
