"""The hardware-in-the-loop training loop: forward on the array, backward in the trainer, write-verify.

Every epoch: each sample's dot products are measured on the array and handed to the trainer; then the binary
weights are written back to the devices (write-verify with retries within a pulse budget) and the whole set is
scored with forward passes on the freshly programmed array. A checkpoint after every epoch (trainer state,
random-generator state, history, and the array's own snapshot where it has one) makes runs resumable: a run
interrupted anywhere and resumed ends exactly where an uninterrupted run ends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from mtjhw.progress import bar

from .arrays import ArrayBackend, MeasuresDots, ProgramsWeights, Restorable, differential, weights_to_states


@dataclass
class EpochRecord:
    epoch: int
    accuracy: float
    loss: float
    pulses: int
    failed_cells: list[tuple[int, int]]


@dataclass
class HilResult:
    status: str  # 'finished', 'stopped' or 'converged'
    history: list[EpochRecord] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.history[-1].accuracy if self.history else float("nan")

    @property
    def epochs_to_target(self) -> int | None:
        return next((r.epoch for r in self.history if r.accuracy >= 1.0), None)


class HilLoop:
    """Train ``trainer`` on (``x`` in {0, 1}, labels ``y``) with the forward pass on ``array``.

    ``unit_current`` (A) converts a differential bit-line current into a dot-product count (the current of one
    active input on one weight: V·(G_P − G_AP)); arrays that measure dot products themselves
    (:class:`~mtjhw.hil.arrays.MeasuresDots`, e.g. read through the TDC) need none; ``max_attempts`` write
    pulses per cell and epoch; ``pulse_budget`` pulses per epoch in all (programming stops there and reports the
    rest as failed).
    """

    def __init__(self, array: ArrayBackend, trainer: Any, x: np.ndarray, y: np.ndarray,
                 unit_current: float | None = None, *,
                 max_attempts: int = 5, pulse_budget: int = 10_000, checkpoint_dir: str | Path | None = None,
                 seed: int = 0) -> None:
        self.array, self.trainer = array, trainer
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y, dtype=int)
        if unit_current is None and not isinstance(array, MeasuresDots):
            raise ValueError("unit_current is needed to turn this array's bit-line currents into dot products")
        self.unit_current = unit_current
        self.max_attempts, self.pulse_budget = max_attempts, pulse_budget
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.rng = np.random.default_rng(seed)
        self.history: list[EpochRecord] = []

    def dots(self, x: np.ndarray) -> np.ndarray:
        """x·W measured on the array."""
        if isinstance(self.array, MeasuresDots):
            return self.array.dots(x)
        return differential(self.array.column_currents(x)) / self.unit_current

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.array([int(np.argmax(self.trainer.scores(self.dots(row)))) for row in x])

    def program(self) -> tuple[int, list[tuple[int, int]]]:
        """Write the trainer's weights into the array: analog weights into multi-level arrays
        (:class:`~mtjhw.hil.arrays.ProgramsWeights`), their signs into binary ones."""
        if isinstance(self.array, ProgramsWeights):
            report = self.array.program_weights(self.trainer.weights(), self.max_attempts, self.pulse_budget)
        else:
            states = weights_to_states(self.trainer.binary_weights())
            report = self.array.program(states, self.max_attempts, self.pulse_budget)
        return report.pulses, report.failed

    def run(self, epochs: int, progress: Callable[[EpochRecord], None] | None = None,
            stop: threading.Event | None = None, stop_at_target: bool = True, quiet: bool = False) -> HilResult:
        """Train up to ``epochs`` epochs (continuing from the last checkpoint when there is one), with a bar of
        the epochs on stderr (accuracy, loss and write pulses of the last one; ``quiet`` hides it)."""
        self._resume()
        with bar(epochs, "hil", unit="epoch", quiet=quiet, initial=len(self.history)) as epochs_bar:
            return self._train(epochs, progress, stop, stop_at_target, epochs_bar)

    def _train(self, epochs: int, progress: Callable[[EpochRecord], None] | None, stop: threading.Event | None,
               stop_at_target: bool, epochs_bar: tqdm) -> HilResult:
        if not self.history:
            self.program()  # the devices start from the trainer's initial weights
        elif stop_at_target and self.history[-1].accuracy >= 1.0:
            return HilResult("converged", list(self.history))  # resumed after it had converged
        while len(self.history) < epochs:
            loss = 0.0
            for k in self.rng.permutation(len(self.x)):
                if stop is not None and stop.is_set():
                    return HilResult("stopped", list(self.history))
                loss += self.trainer.step(self.x[k], self.dots(self.x[k]), int(self.y[k]))
            pulses, failed = self.program()
            accuracy = float(np.mean(self.predict(self.x) == self.y))
            record = EpochRecord(len(self.history) + 1, accuracy, loss / len(self.x), pulses, failed)
            self.history.append(record)
            self._checkpoint()
            epochs_bar.set_postfix(accuracy=f"{100 * accuracy:.1f} %", loss=f"{record.loss:.3g}", pulses=pulses)
            epochs_bar.update(1)
            if progress is not None:
                progress(record)
            if stop_at_target and accuracy >= 1.0:
                return HilResult("converged", list(self.history))
        return HilResult("finished", list(self.history))

    # ----------------------------------------------------------------- checkpoints
    def _checkpoint(self) -> None:
        if self.checkpoint_dir is None:
            return
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        arrays = {f"trainer_{k}": v for k, v in self.trainer.state().items()}
        meta: dict[str, Any] = {"rng": self.rng.bit_generator.state,
                                "history": [r.__dict__ for r in self.history]}
        if isinstance(self.array, Restorable):
            cells, array_rng = self.array.snapshot()
            arrays["array_cells"] = cells
            meta["array_rng"] = array_rng
        tmp = self.checkpoint_dir / "checkpoint.tmp.npz"
        np.savez(tmp, **arrays)
        tmp.replace(self.checkpoint_dir / "checkpoint.npz")
        (self.checkpoint_dir / "checkpoint.json").write_text(json.dumps(meta))

    def _resume(self) -> None:
        if self.checkpoint_dir is None or not (self.checkpoint_dir / "checkpoint.json").exists():
            return
        meta = json.loads((self.checkpoint_dir / "checkpoint.json").read_text())
        with np.load(self.checkpoint_dir / "checkpoint.npz") as data:
            self.trainer.load({k[len("trainer_"):]: data[k] for k in data.files if k.startswith("trainer_")})
            if isinstance(self.array, Restorable) and "array_cells" in data.files:
                self.array.restore(data["array_cells"], meta["array_rng"])
            else:
                self.program()  # a real array keeps its state physically; make sure it holds the weights
        self.rng.bit_generator.state = meta["rng"]
        self.history = [EpochRecord(**{**r, "failed_cells": [tuple(c) for c in r["failed_cells"]]})
                        for r in meta["history"]]
