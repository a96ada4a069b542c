"""The training engine against its golden model, bit for bit, over full training steps."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from gateware.mlp_golden import FixedFormat, GoldenMLP
from gateware.training_engine import TrainingEngine, engine_cycles


def run_engine(engine: TrainingEngine, model: GoldenMLP, samples, targets):
    """Load the golden model's initial weights, run every step, return per-step outputs, cycles, and weights."""
    n_in, n_out = engine.n_in, engine.n_out
    results = {"y": [], "cycles": [], "weights": None}

    async def testbench(ctx):
        for j in range(n_out):
            for i in range(n_in):
                ctx.set(engine.weight_addr, j * n_in + i)
                ctx.set(engine.weight_data_in, int(model.weights[0][j, i]))
                ctx.set(engine.weight_we, 1)
                await ctx.tick()
        ctx.set(engine.weight_we, 0)
        for x, t in zip(samples, targets, strict=True):
            for i in range(n_in):
                ctx.set(getattr(engine.x, f"x{i}"), int(x[i]))
            for j in range(n_out):
                ctx.set(getattr(engine.target, f"t{j}"), int(t[j]))
            ctx.set(engine.start, 1)
            await ctx.tick()
            ctx.set(engine.start, 0)
            cycles = 1
            while not ctx.get(engine.done):
                await ctx.tick()
                cycles += 1
            results["cycles"].append(cycles)
            results["y"].append([ctx.get(getattr(engine.y, f"y{j}")) for j in range(n_out)])
        weights = np.zeros((n_out, n_in), dtype=np.int64)
        for j in range(n_out):
            for i in range(n_in):
                ctx.set(engine.weight_addr, j * n_in + i)
                weights[j, i] = ctx.get(engine.weight_data_out)
        results["weights"] = weights

    sim = Simulator(engine)
    sim.add_clock(10e-9)
    sim.add_testbench(testbench)
    sim.run()
    return results


@pytest.mark.parametrize(("n_in", "n_out", "lanes"), [(9, 4, 3), (5, 3, 5), (6, 2, 4)])
def test_engine_equals_golden_model_bit_for_bit(n_in, n_out, lanes):
    fmt = FixedFormat(16, 10)
    rng = np.random.default_rng(n_in * 10 + lanes)
    samples = fmt.quantize(rng.uniform(-1, 1, (12, n_in)))
    targets = fmt.quantize(rng.uniform(0, 1, (12, n_out)))
    golden = GoldenMLP((n_in, n_out), fmt, lr_shift=2, seed=5)
    engine = TrainingEngine(n_in, n_out, fmt, lr_shift=2, lanes=lanes)
    initial = GoldenMLP((n_in, n_out), fmt, lr_shift=2, seed=5)
    result = run_engine(engine, initial, samples, targets)
    for step, (x, t) in enumerate(zip(samples, targets, strict=True)):
        expected_y = golden.step(x, t)
        assert result["y"][step] == expected_y.tolist(), f"step {step}"
    np.testing.assert_array_equal(result["weights"], golden.weights[0])
    assert set(result["cycles"]) == {engine_cycles(n_in, n_out, lanes)}
