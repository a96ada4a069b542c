"""Loading a PYNQ-Z2 build on the board: check the build directory, load the overlay, find the accelerator.

Runs on the board with numpy and pynq alone: ``python -m mtjhw.gateware.deploy --build build/`` (``mtjhw gateware
deploy`` calls the same). The build directory holds what :func:`mtjhw.gateware.pynq_z2.build` and Vivado wrote:
``build.json`` (board, configuration, base address), ``mtjhw.bit`` with Vivado's ``mtjhw.hwh`` beside it (what
``pynq.Overlay`` loads), and ``register_map.json``, the bitstream's register map, which must be the one this
installed host computes for the build's configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .accelerator_config import TopConfig, register_map
from .accelerator_host import Accelerator, GatewareError
from .host import MmioBus

BITSTREAM = "mtjhw.bit"
REGISTER_MAP = "register_map.json"
WINDOW = 0x1000  # bytes of the register bank's address window (4 KiB on M_AXI_GP0)


class DeployError(RuntimeError):
    """The build directory cannot be loaded on this board (files missing, another board or host version)."""


def check_build(build: Path, bitstream: Path | None = None) -> tuple[dict, TopConfig, Path]:
    """(build.json, its configuration, the bitstream) of a PYNQ-Z2 build directory, or a :class:`DeployError`
    saying what is missing or does not match."""
    info_path = build / "build.json"
    if not info_path.exists():
        raise DeployError(f"no build.json in {build}: run `mtjhw gateware build --out {build}` first")
    info = json.loads(info_path.read_text())
    if info.get("board", "pynq-z2") != "pynq-z2":
        raise DeployError(f"{build} holds a {info['board']} build, not a PYNQ-Z2 one")
    bitstream = bitstream or build / BITSTREAM
    if not bitstream.exists():
        raise DeployError(f"no bitstream at {bitstream}; run build.tcl with Vivado first")
    if not bitstream.with_suffix(".hwh").exists():
        raise DeployError(f"no {bitstream.with_suffix('.hwh').name} beside {bitstream}: pynq.Overlay needs Vivado's "
                          "hardware handoff (build.tcl copies it there)")
    config = TopConfig.from_dict(info["config"])
    _check_register_map(build / REGISTER_MAP, config)
    return info, config, bitstream


def _check_register_map(path: Path, config: TopConfig) -> None:
    """Refuse a bitstream whose register map differs from the host's (builds older than the file have none)."""
    if path.exists() and json.loads(path.read_text()) != register_map(config).to_json():
        raise DeployError(f"{path} differs from this mtjhw's register map for the build's configuration: the "
                          "bitstream was built by another version; rebuild it, or install the mtjhw that built it")


def deploy(build: Path, bitstream: Path | None = None, pynq: Any = None,
           timeout: float = 10.0) -> tuple[Accelerator, int]:
    """Load the build's bitstream with ``pynq.Overlay``; the :class:`Accelerator` on it (identified, its shape
    checked against the build's configuration) and its base address. ``pynq``: the module, or a stand-in with
    ``Overlay`` and ``MMIO``; default: ``import pynq``."""
    info, config, bitstream = check_build(build, bitstream)
    if pynq is None:
        try:
            import pynq
        except ImportError:
            raise DeployError("pynq is not installed; run this on the PYNQ board (pip install mtjhw[pynq])") from None
    overlay = pynq.Overlay(str(bitstream))
    base = next((ip["phys_addr"] for name, ip in overlay.ip_dict.items() if "mtjhw" in name), info["base_address"])
    return Accelerator(MmioBus(mmio=pynq.MMIO(base, WINDOW)), config, timeout), base


def describe(accelerator: Accelerator, base: int) -> str:
    """One line: gateware version, base address, network and readout."""
    version, c = accelerator.registers.read_fields("VERSION"), accelerator.config
    return (f"mtjhw accelerator {version['major']}.{version['minor']} at {base:#x}: network {list(c.sizes)}, "
            f"readout {c.rows}×{c.cols}")


def run(build: Path, bitstream: Path | None, prog: str) -> int:
    """Deploy and print :func:`describe`; on failure print why (as ``prog``) and return 1."""
    try:
        accelerator, base = deploy(build, bitstream)
    except (DeployError, GatewareError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    print(describe(accelerator, base))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mtjhw.gateware.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, type=Path, help="build directory (build.json and the bitstream)")
    parser.add_argument("--bitstream", type=Path, help="bitstream (default: the build directory's mtjhw.bit)")
    args = parser.parse_args(argv)
    return run(args.build, args.bitstream, parser.prog)


if __name__ == "__main__":
    sys.exit(main())
