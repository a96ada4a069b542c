"""Training-engine cycles per step, and simulation speed: the Amaranth simulator against the Verilator build.

Run as ``PYTHONPATH=. python benchmarks/gateware.py`` (``--quick`` for shorter runs). Cycle counts are
:func:`engine_cycles`, confirmed by simulated steps. Speeds are simulated clock cycles per wall-clock second over
a whole session (parameter load, training steps, read-back) of the 64→32→10 engine with 16 lanes; elaboration
and Verilator compilation are excluded (the build is cached, see :mod:`mtjhw.gateware.verilator`). Resources are
Yosys ``synth_xilinx`` counts of the PYNQ-Z2 build (engine, readout with its delay line, register bank) against
the xc7z020 (``--no-resources`` skips the synthesis, about a minute).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from mtjhw.gateware.engine_session import EngineSession
from mtjhw.gateware.mlp_engine import MLPEngine, engine_cycles
from mtjhw.gateware.mlp_golden import DEFAULT_FORMAT as FMT
from mtjhw.gateware.mlp_golden import GoldenMLP
from mtjhw.gateware.pynq_z2 import build
from mtjhw.gateware.synthesis import XC7Z020
from mtjhw.gateware.top import TopConfig
from mtjhw.gateware.verilator import VerilatorEngine, verilator_path

TARGETS = (int(FMT.quantize(0.9)), int(FMT.quantize(0.05)))
SIZES, LANES = (64, 32, 10), 16


def confirm(name: str, measured: list[int], expected: int) -> None:
    if any(cycles != expected for cycles in measured):
        raise SystemExit(f"{name}: simulated steps took {measured} cycles, engine_cycles says {expected}")
    print(f"{name}: {expected}")


def samples(steps: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``steps`` random inputs in [0, 1) (Q format) and labels for the 64→32→10 network; a longer run starts
    with the samples of a shorter one."""
    xs = np.random.default_rng([seed, 0]).uniform(0, 1, (steps, SIZES[0]))
    return FMT.quantize(xs), np.random.default_rng([seed, 1]).integers(0, SIZES[-1], steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 Amaranth and 2000 Verilator steps")
    parser.add_argument("--no-resources", action="store_true", help="skip the Yosys resource counts")
    args = parser.parse_args()
    if not args.no_resources:
        for name, config in (("9x4", TopConfig()), ("64x32x10", TopConfig(sizes=SIZES, lanes=LANES))):
            with tempfile.TemporaryDirectory() as out:
                used = build(config, Path(out), vivado=False, progress=lambda message: None)["resources"]
            print(f"resources_{name}: " + ", ".join(f"{k} {used[k]}/{XC7Z020[k]} ({100 * used[k] / XC7Z020[k]:.1f} %)"
                                                  for k in XC7Z020))
    amaranth_steps, verilator_steps = (5, 2000) if args.quick else (20, 20000)

    with EngineSession(MLPEngine((9, 4), FMT, lanes=9)) as session:
        session.load(GoldenMLP.for_config(session.engine))
        result = session.step(np.full(9, FMT.one // 2), 1, TARGETS)
    confirm("train_step_cycles_9x4", [result.cycles], engine_cycles((9, 4), 9))

    xs, labels = samples(amaranth_steps)
    with EngineSession(MLPEngine(SIZES, FMT, lanes=LANES)) as session:
        start = time.perf_counter()
        session.load(GoldenMLP.for_config(session.engine))
        results = [session.step(x, label, TARGETS) for x, label in zip(xs, labels, strict=True)]
        session.parameters()
        amaranth_speed = session.cycles / (time.perf_counter() - start)
    confirm("train_step_cycles_64x32x10", [r.cycles for r in results], engine_cycles(SIZES, LANES))
    print(f"amaranth_cycles_per_s: {amaranth_speed:.4g}")

    if verilator_path() is None:
        print("verilator_speedup: n/a (verilator not installed)")
        return
    start = time.perf_counter()
    fast = VerilatorEngine(MLPEngine(SIZES, FMT, lanes=LANES))
    print(f"verilator_build_s: {time.perf_counter() - start:.1f} ({'compiled' if fast.built else 'cached'})")
    xs, labels = samples(verilator_steps)
    run = fast.run(GoldenMLP.for_config(fast.engine), xs, labels, TARGETS)
    if run.outputs[:amaranth_steps].tolist() != [r.outputs.tolist() for r in results]:
        raise SystemExit("the Verilator build and the Amaranth simulator disagree on the first steps")
    confirm(f"verilator_{verilator_steps}_step_cycles", run.cycles.tolist(), engine_cycles(SIZES, LANES))
    verilator_speed = run.simulated_cycles / run.wall_seconds
    print(f"verilator_cycles_per_s: {verilator_speed:.4g}")
    print(f"verilator_speedup: {verilator_speed / amaranth_speed:.3g}x")


if __name__ == "__main__":
    main()
