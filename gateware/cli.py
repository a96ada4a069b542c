"""``mtjhw gateware``: build the accelerator for a board, load it onto the board, print its register map."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from .accelerator_config import TopConfig, register_map
from .mlp_golden import ROUNDINGS, FixedFormat, activation_named

BOARDS = ("pynq-z2", "ulx3s")


def _config(args: argparse.Namespace) -> TopConfig:
    try:
        sizes = tuple(int(s) for s in args.sizes.split(","))
    except ValueError:
        raise ValueError(f"--sizes takes comma-separated layer sizes, e.g. 9,4 or 64,32,10; got {args.sizes!r}") \
            from None
    return TopConfig(sizes=sizes, lanes=args.lanes, fmt=FixedFormat(args.width, args.frac), lr_shift=args.lr_shift,
                     activation=activation_named(args.activation), rounding=args.rounding, rows=args.rows,
                     cols=args.cols, taps=args.taps, code_width=args.code_width)


def _config_or_report(args: argparse.Namespace, command: str) -> TopConfig | None:
    """The configuration from the options, or None after printing why it is not one."""
    try:
        return _config(args)
    except ValueError as exc:
        print(f"mtjhw gateware {command}: error: {exc}", file=sys.stderr)
        return None


def _build(args: argparse.Namespace, config: TopConfig, progress) -> dict:
    if args.board == "ulx3s":
        from . import ulx3s

        if args.vivado or args.no_synth:
            raise ValueError("--vivado and --no-synth are PYNQ-Z2 options; the ULX3S build always runs Yosys, "
                             "nextpnr and ecppack")
        return ulx3s.build(config, args.out, progress=progress, seed=args.seed)
    from . import pynq_z2

    return pynq_z2.build(config, args.out, synth=not args.no_synth, vivado=args.vivado, progress=progress)


def _stages(args: argparse.Namespace) -> int:
    """How many stages the build runs: ULX3S synth, pnr, pack; PYNQ-Z2 the Yosys count and Vivado, if run."""
    if args.board == "ulx3s":
        return 3
    vivado = args.vivado if args.vivado is not None else shutil.which("vivado") is not None
    return int(not args.no_synth) + int(vivado)


def cmd_build(args: argparse.Namespace) -> int:
    config = _config_or_report(args, "build")
    if config is None:
        return 2
    from mtjhw.progress import StepBar

    try:  # the build's stages (messages ending in '…') are the bar's steps, its other messages lines above it
        with StepBar("gateware build", _stages(args), quiet=args.quiet) as stages:
            summary = _build(args, config, lambda message: (stages if message.endswith("…") else stages.write)(
                message))
    except ValueError as exc:
        print(f"mtjhw gateware build: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, RuntimeError) as exc:  # TimingError is a RuntimeError
        print(f"mtjhw gateware build: error: {exc}", file=sys.stderr)
        return 1
    resources = summary.get("resources")
    if resources:
        print(json.dumps({k: resources[k] for k in ("lut", "ff", "dsp", "bram")}))
    for clock in summary.get("timing", {}).get("clocks", []):
        print(f"Fmax {clock['clock']}: {clock['fmax_mhz']} MHz (target {clock['target_mhz']} MHz, "
              f"{'met' if clock['met'] else 'FAILS'})")
    if "bitstream" in summary:
        print(f"bitstream {summary['bitstream']}")
    print(f"written to {args.out}")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    build_info = json.loads((args.build / "build.json").read_text())
    if build_info.get("board") == "ulx3s":
        return _deploy_ulx3s(args, build_info)
    from .deploy import run

    return run(args.build, args.bitstream, "mtjhw gateware deploy")


def _deploy_ulx3s(args: argparse.Namespace, build_info: dict) -> int:
    bitstream = args.bitstream or args.build / f"{build_info['top']}.bit"
    try:
        version = _load_ulx3s(args.port, bitstream, build_info)
    except RuntimeError as exc:
        print(f"mtjhw gateware deploy: error: {exc}", file=sys.stderr)
        return 1
    print(f"mtjhw accelerator {version['major']}.{version['minor']} on {args.port}: network "
          f"{build_info['config']['sizes']}, readout {build_info['config']['rows']}×{build_info['config']['cols']}")
    return 0


def _load_ulx3s(port: str | None, bitstream: Path, build_info: dict) -> dict[str, int]:
    """Load ``bitstream`` with openFPGALoader, check the accelerator answers on ``port``; its VERSION fields."""
    from .accelerator_host import Accelerator, GatewareError
    from .host import BusError
    from .serial_bus import SerialBus

    if port is None:
        raise RuntimeError("--port is needed for the ULX3S (its FTDI serial port, e.g. /dev/ttyUSB0)")
    if not bitstream.exists():
        raise RuntimeError(f"no bitstream at {bitstream}; run mtjhw gateware build --board ulx3s first")
    loader = shutil.which("openFPGALoader")
    if loader is None:
        raise RuntimeError("openFPGALoader is not on the PATH (apt-get install openfpgaloader)")
    if subprocess.run([loader, "-b", "ulx3s", str(bitstream)]).returncode != 0:
        raise RuntimeError(f"openFPGALoader could not load {bitstream}")
    try:
        accelerator = Accelerator(SerialBus.open(port, build_info["baud"]), TopConfig.from_dict(build_info["config"]))
        return accelerator.registers.read_fields("VERSION")
    except (GatewareError, BusError, OSError) as exc:  # TimeoutError is an OSError
        raise RuntimeError(f"the accelerator does not answer on {port}: {exc}") from exc


def cmd_registers(args: argparse.Namespace) -> int:
    config = _config_or_report(args, "registers")
    if config is None:
        return 2
    print(register_map(config).markdown())
    return 0


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = TopConfig()
    parser.add_argument("--sizes", default=",".join(map(str, defaults.sizes)), help="layer sizes, inputs first "
                        "(default %(default)s)")
    parser.add_argument("--lanes", type=int, default=defaults.lanes, help="parallel MAC lanes (default %(default)s)")
    parser.add_argument("--width", type=int, default=defaults.fmt.width, help="word width, bits")
    parser.add_argument("--frac", type=int, default=defaults.fmt.frac, help="fraction bits")
    parser.add_argument("--lr-shift", type=int, default=defaults.lr_shift, help="learning rate 2^-shift")
    parser.add_argument("--activation", default=defaults.activation.name, choices=["hard-sigmoid", "lut-sigmoid"],
                        help="activation function (default %(default)s)")
    parser.add_argument("--rounding", default=defaults.rounding, choices=ROUNDINGS,
                        help="rounding of the SGD update (default %(default)s)")
    parser.add_argument("--rows", type=int, default=defaults.rows, help="array rows driven by the readout")
    parser.add_argument("--cols", type=int, default=defaults.cols, help="array columns swept by the readout")
    parser.add_argument("--taps", type=int, default=defaults.taps, help="TDC delay-line taps")
    parser.add_argument("--code-width", type=int, default=defaults.code_width, help="TDC code bits")


def register(subparsers) -> None:
    """Add ``gateware build|deploy|registers`` to the ``mtjhw`` command line."""
    gateware = subparsers.add_parser("gateware", help="FPGA gateware: build, deploy, register map")
    sub = gateware.add_subparsers(dest="gateware_command", metavar="ACTION", required=True)

    build = sub.add_parser("build", help="build the accelerator for a board, with timing",
                           description="pynq-z2: writes the Verilog, XDC, Vivado script, register map and (with "
                           "Yosys) resources.json into --out; runs Vivado when it is on the PATH, which writes the "
                           "bitstream only if routing meets timing (timing_summary.txt beside it). ulx3s: builds "
                           "mtjhw_ulx3s.bit with Yosys, nextpnr-ecp5 and ecppack (the PyPI wheels), printing each "
                           "stage and its time; fails unpacked when nextpnr's Fmax misses 100 MHz. Either way "
                           "build.json in --out holds the configuration, resources and Fmax per clock.")
    build.add_argument("--board", choices=BOARDS, default="pynq-z2",
                       help="pynq-z2 (Zynq, Vivado; the primary target) or ulx3s (ECP5 85F, open toolchain, UART "
                       "host link); default %(default)s")
    build.add_argument("--out", required=True, type=Path, help="build directory")
    _add_config_arguments(build)
    build.add_argument("--no-synth", action="store_true", help="pynq-z2: skip the Yosys resource count")
    vivado = build.add_mutually_exclusive_group()
    vivado.add_argument("--vivado", dest="vivado", action="store_const", const=True, default=None,
                        help="pynq-z2: run Vivado (fail if it is not installed)")
    vivado.add_argument("--no-vivado", dest="vivado", action="store_const", const=False,
                        help="pynq-z2: do not run Vivado even if installed")
    build.add_argument("--seed", type=int, default=1, help="ulx3s: nextpnr placement seed (default %(default)s)")
    build.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    build.set_defaults(func=cmd_build)

    deploy = sub.add_parser("deploy", help="load the bitstream on the board and check it answers",
                            description="pynq-z2 (run on the board): loads mtjhw.bit/.hwh through pynq. ulx3s: "
                            "loads mtjhw_ulx3s.bit with openFPGALoader and talks to it over --port.")
    deploy.add_argument("--build", required=True, type=Path, help="build directory (build.json and the bitstream)")
    deploy.add_argument("--bitstream", type=Path, help="bitstream (default: the build directory's)")
    deploy.add_argument("--port", help="ulx3s: the board's serial port (e.g. /dev/ttyUSB0, or a pyserial URL)")
    deploy.set_defaults(func=cmd_deploy)

    registers = sub.add_parser("registers", help="print the register map (Markdown) for a configuration")
    _add_config_arguments(registers)
    registers.set_defaults(func=cmd_registers)
