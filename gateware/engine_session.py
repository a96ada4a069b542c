"""The training engine in the Amaranth simulator, driven port by port: load parameters, run steps, read back.

:class:`EngineSession` is the cycle-accurate reference run of :class:`~mtjhw.gateware.mlp_engine.MLPEngine` (tests,
``--backend gateware``, benchmarks); the board and the register-level host go through
:class:`~mtjhw.gateware.accelerator_host.TrainingEngineHost` instead. The simulation runs on a background thread and
advances only while a request is being served (:class:`~mtjhw.gateware.sim_thread.SimulationThread`).
"""

from __future__ import annotations

import numpy as np

from .mlp_engine import MLPEngine, ParameterAddress, StepResult, parameter_addresses
from .mlp_golden import GoldenMLP
from .sim_thread import SimulationThread


class EngineSession(SimulationThread):
    """``engine`` in the simulator at ``clock_period`` s. Use as a context manager (or call :meth:`close`)."""

    def __init__(self, engine: MLPEngine, clock_period: float = 10e-9) -> None:
        self.engine = engine
        super().__init__(engine, clock_period)

    def _select(self, ctx, address: ParameterAddress) -> None:
        e = self.engine
        for port, value in ((e.param_layer, address.layer), (e.param_row, address.row),
                            (e.param_bias, int(address.bias)), (e.param_chunk, address.word),
                            (e.param_lane, address.lane)):
            ctx.set(port, value)

    async def _do_load(self, ctx, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
        e = self.engine
        for layer, row, column, address in parameter_addresses(e.sizes, e.lanes):
            self._select(ctx, address)
            n_in = e.sizes[layer]
            ctx.set(e.param_data_in, int(weights[layer][row, column] if column < n_in else biases[layer][row]))
            ctx.set(e.param_we, 1)
            await self._tick(ctx)
        ctx.set(e.param_we, 0)

    async def _do_read(self, ctx) -> tuple[list[np.ndarray], list[np.ndarray]]:
        e = self.engine
        augmented = [np.zeros((n_out, n_in + 1), dtype=np.int64) for n_in, n_out in zip(e.sizes[:-1], e.sizes[1:],
                                                                                         strict=True)]
        for layer, row, column, address in parameter_addresses(e.sizes, e.lanes):
            self._select(ctx, address)
            await self._tick(ctx)  # the memory answers one cycle after the selection
            augmented[layer][row, column] = ctx.get(e.param_data_out)
        return [a[:, :-1] for a in augmented], [a[:, -1].copy() for a in augmented]

    async def _do_seed(self, ctx, seed: int) -> None:
        e = self.engine
        ctx.set(e.seed, seed)
        ctx.set(e.seed_load, 1)
        await self._tick(ctx)
        ctx.set(e.seed_load, 0)

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

    def seed_rounding(self, seed: int) -> None:
        """Seed the stochastic-rounding generators (one clock), as :meth:`GoldenMLP.seed_rounding` does."""
        if not 0 <= seed < 1 << 32:
            raise ValueError(f"the rounding seed is 32 bits, got {seed}")
        self._call("seed", int(seed))

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
