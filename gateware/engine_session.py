"""The training engine in the Amaranth simulator, driven port by port: load parameters, run steps, read back.

:class:`EngineSession` is the cycle-accurate reference run of :class:`~mtjhw.gateware.mlp_engine.MLPEngine` (tests,
``--backend gateware``, benchmarks); the board and the register-level host go through
:class:`~mtjhw.gateware.blocks.TrainingEngineHost` instead. The simulation runs on a background thread and advances
only while a request is being served (:class:`~mtjhw.gateware.sim_thread.SimulationThread`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mlp_engine import MLPEngine
from .mlp_golden import GoldenMLP
from .sim_thread import SimulationThread


@dataclass
class StepResult:
    outputs: np.ndarray  # output activations (Q format integers)
    prediction: int
    cycles: int  # engine cycles, last input beat to done


class EngineSession(SimulationThread):
    """``engine`` in the simulator at ``clock_period`` s. Use as a context manager (or call :meth:`close`)."""

    def __init__(self, engine: MLPEngine, clock_period: float = 10e-9) -> None:
        self.engine = engine
        super().__init__(engine, clock_period)

    async def _select(self, ctx, layer: int, row: int, column: int) -> None:
        e = self.engine
        n_in = e.sizes[layer]
        ctx.set(e.param_layer, layer)
        ctx.set(e.param_row, row)
        ctx.set(e.param_bias, int(column == n_in))
        ctx.set(e.param_chunk, column // e.lanes if column < n_in else 0)
        ctx.set(e.param_lane, column % e.lanes if column < n_in else 0)

    async def _do_load(self, ctx, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
        e = self.engine
        for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
            augmented = np.concatenate([w, b[:, None]], axis=1)
            for (row, column), value in np.ndenumerate(augmented):
                await self._select(ctx, layer, row, column)
                ctx.set(e.param_data_in, int(value))
                ctx.set(e.param_we, 1)
                await self._tick(ctx)
        ctx.set(e.param_we, 0)

    async def _do_read(self, ctx) -> tuple[list[np.ndarray], list[np.ndarray]]:
        e = self.engine
        weights, biases = [], []
        for layer, (n_in, n_out) in enumerate(zip(e.sizes[:-1], e.sizes[1:], strict=True)):
            augmented = np.zeros((n_out, n_in + 1), dtype=np.int64)
            for row in range(n_out):
                for column in range(n_in + 1):
                    await self._select(ctx, layer, row, column)
                    await self._tick(ctx)  # the memory answers one cycle after the selection
                    augmented[row, column] = ctx.get(e.param_data_out)
            weights.append(augmented[:, :-1])
            biases.append(augmented[:, -1].copy())
        return weights, biases

    async def _do_step(self, ctx, beats: list[int], label: int, train: bool, measured: bool,
                       targets: tuple[int, int]) -> StepResult:
        e = self.engine
        ctx.set(e.label, label)
        ctx.set(e.train, int(train))
        ctx.set(e.measured, int(measured))
        ctx.set(e.target_high, targets[0])
        ctx.set(e.target_low, targets[1])
        ctx.set(e.inputs.valid, 1)
        for value in beats:
            ctx.set(e.inputs.payload, value)
            await self._tick(ctx)
        ctx.set(e.inputs.valid, 0)
        while not ctx.get(e.done):
            await self._tick(ctx)
        outputs = []
        for j in range(e.sizes[-1]):
            ctx.set(e.out_index, j)
            outputs.append(ctx.get(e.out_data))
        return StepResult(np.array(outputs, dtype=np.int64), ctx.get(e.prediction), ctx.get(e.cycles))

    def load(self, model: GoldenMLP) -> None:
        """Program ``model``'s weights and biases (same sizes and format as the engine)."""
        if tuple(model.sizes) != self.engine.sizes:
            raise ValueError(f"model sizes {model.sizes} differ from the engine's {self.engine.sizes}")
        self._call("load", model.weights, model.biases)

    def parameters(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The engine's current (weights, biases) per layer."""
        return self._call("read")

    def step(self, x: np.ndarray, label: int, targets: tuple[int, int], train: bool = True,
             z: np.ndarray | None = None) -> StepResult:
        """One step on input ``x`` (Q format) toward the one-hot ``label`` with (high, low) ``targets``; with
        ``z`` the first layer's pre-activations are the measured values given (bias not included)."""
        e = self.engine
        if len(x) != e.sizes[0] or not 0 <= label < e.sizes[-1]:
            raise ValueError(f"need {e.sizes[0]} inputs and a label in 0..{e.sizes[-1] - 1}")
        beats = [int(v) for v in x]
        if z is not None:
            if len(z) != e.sizes[1]:
                raise ValueError(f"need {e.sizes[1]} measured pre-activations, got {len(z)}")
            beats += [int(v) for v in z]
        return self._call("step", beats, int(label), bool(train), z is not None, (int(targets[0]),
                                                                                   int(targets[1])))
