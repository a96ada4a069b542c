"""``mtjhw gui [--bench FILE] [--out DIR] [--open RUN_DIR] [PROCEDURE]``: the measurement window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_BENCH = Path("examples/simulated-pmtj.yaml")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add ``gui`` to the ``mtjhw`` command line."""
    from mtjhw.cli import LAZY_COMMANDS

    gui = subparsers.add_parser(
        "gui", help=LAZY_COMMANDS["gui"][0],
        description="Open PyMeasure's ManagedWindow for a procedure on a bench held open while the window is: queue "
        "runs with the parameters set in the window; each writes what `mtjhw run` writes into a new "
        "<out>/<procedure>-<time>/ and is plotted live; Abort stops after the current point, outputs off, data kept. "
        "Needs the gui extra (pip install 'mtjhw[gui]').")
    gui.add_argument("procedure", nargs="?", help="procedure name (default: choose in a dialog)")
    gui.add_argument("--bench", type=Path, default=DEFAULT_BENCH, help=f"bench file (default {DEFAULT_BENCH})")
    gui.add_argument("--out", type=Path, default=Path("runs"), help="where run directories go (default ./runs)")
    gui.add_argument("--open", type=Path, action="append", default=[], metavar="RUN_DIR",
                     help="show an earlier run of the procedure in the browser (repeatable)")
    gui.add_argument("--seed", type=int, default=None, help="seed of a simulated bench (overrides the file)")
    gui.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from mtjhw.bench import Bench
    from mtjhw.bench_record import BenchInUseError
    from mtjhw.config import BenchConfig, BenchConfigError
    from mtjhw.connection import InstrumentUnreachableError
    from mtjhw.procedures import PROCEDURES

    if args.procedure is not None and args.procedure not in PROCEDURES:
        print(f"mtjhw gui: error: unknown procedure {args.procedure!r}; known procedures: "
              f"{', '.join(sorted(PROCEDURES))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = BenchConfig.load(args.bench)
    except BenchConfigError as exc:
        print(f"mtjhw gui: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        from pymeasure.display.Qt import QtWidgets

        from .window import RunWindow
    except ImportError as exc:
        print(f"mtjhw gui: error: Qt is not available ({exc}); install the gui extra: pip install 'mtjhw[gui]'",
              file=sys.stderr)
        return EXIT_FAILED
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    name = args.procedure or choose_procedure(sorted(PROCEDURES))
    if name is None:
        return EXIT_OK
    try:
        bench = Bench.open(config, seed=args.seed)
    except (InstrumentUnreachableError, BenchInUseError) as exc:
        print(f"mtjhw gui: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    window = RunWindow(name, bench, args.out, bench_file=args.bench)  # closes the bench when it closes
    try:
        for run_dir in args.open:
            window.open_run(run_dir)
    except (OSError, ValueError) as exc:
        print(f"mtjhw gui: error: --open {run_dir}: {exc}", file=sys.stderr)
        window.close()
        return EXIT_USAGE
    window.show()
    return EXIT_OK if app.exec() == 0 else EXIT_FAILED


def choose_procedure(names: list[str]) -> str | None:
    """The procedure picked in a dialog, None when it is cancelled."""
    from pymeasure.display.Qt import QtWidgets

    name, chosen = QtWidgets.QInputDialog.getItem(None, "mtjhw gui", "Procedure:", names, 0, False)
    return name if chosen else None
