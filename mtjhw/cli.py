"""``mtjhw`` command line: run procedures, serve the virtual bench, list what is available."""

from __future__ import annotations

import argparse
import inspect
import logging
import math
import re
import shutil
import socket
import sys
import textwrap
import threading
from collections.abc import Sequence
from numbers import Real
from pathlib import Path
from typing import Any

from . import __version__
from .config import BenchConfig, BenchConfigError

log = logging.getLogger("mtjhw")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 130
#: Summary units printed without a symbol.
DIMENSIONLESS = frozenset({"", "1", "count", "ratio"})


def _parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set expects name=value, got {pair!r}")
        settings[name.strip()] = value.strip()
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from .bench import Bench
    from .bench_record import BenchInUseError
    from .connection import InstrumentUnreachableError
    from .run_journal import RunDirectoryError
    from .runner import procedure_class, run_procedure

    try:  # names, values and the output directory are checked before any instrument is opened
        settings = _parse_settings(args.set or [])
        config = BenchConfig.load(args.bench)
        seed = _run_seed(args)
    except (BenchConfigError, ValueError, RunDirectoryError) as exc:
        print(f"mtjhw run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        bench = Bench.open(config, seed=seed)
    except (InstrumentUnreachableError, BenchInUseError) as exc:
        print(f"mtjhw run: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        outcome = run_procedure(args.procedure, bench, args.out, settings, progress=not args.quiet,
                                stop=threading.Event(), resume=args.resume, bench_file=args.bench,
                                database=False if args.no_db else args.db)
    except (ValueError, RunDirectoryError) as exc:  # checked above already; the directory may have changed since
        print(f"mtjhw run: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        close_error = _close(bench)
    if close_error:  # a lost connection: the data and summary are kept; say so in one line
        print(f"mtjhw run: error: switching outputs off failed: {close_error}; run `mtjhw bench off` once the "
              "instruments are reachable", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.procedure}: {outcome.status}, {outcome.points} points -> {outcome.out_dir}")
    for line in summary_lines(outcome.summary, procedure_class(args.procedure).summary_keys):
        print(line)
    if outcome.error:
        print(f"mtjhw run: {outcome.error}", file=sys.stderr)
    return {"finished": EXIT_OK, "aborted": EXIT_ABORTED}.get(outcome.status, EXIT_FAILED)


def summary_lines(summary: dict[str, Any], units: dict[str, str]) -> list[str]:
    """A run summary as printed: each value with its unit, SI-prefixed where the unit is a single SI unit, and its
    ``<key>_err`` on the same line (``r_p = 1.2345 ± 0.0021 kΩ``)."""
    lines = []
    for key, value in summary.items():
        if key.endswith("_err") and key.removesuffix("_err") in summary:
            continue
        text = _with_unit(value, summary.get(f"{key}_err"), units.get(key, ""))
        lines.append(f"  {key:>20} = {text}")
    return lines


def _with_unit(value: Any, error: Any, unit: str) -> str:
    if not isinstance(value, Real) or isinstance(value, bool):
        return str(value)
    value, error, symbol = _prefixed(float(value), error, unit)
    return f"{_value_text(value, error)} {symbol}".rstrip()


def _value_text(value: float, error: float | None) -> str:
    """``value ± error`` with the error to two significant digits and the value to the same decimal place."""
    if error is None:
        return f"{value:.4g}"
    if not (math.isfinite(error) and error > 0 and math.isfinite(value)):
        return f"{value:.4g} ± {error:.2g}"
    decimals = max(0, 1 - math.floor(math.log10(error)))
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"


def _prefixed(value: float, error: Any, unit: str) -> tuple[float, Any, str]:
    """``value`` and ``error`` in ``unit`` with the SI prefix that suits ``value``, and the prefixed symbol; units
    that are dimensionless, compound (T/s, m²) or not SI (kBT) are kept as they are."""
    if unit in DIMENSIONLESS:
        return value, error, ""
    from pint.errors import PintError
    from pymeasure.units import ureg

    try:
        quantity = ureg.Quantity(value, unit)
    except (PintError, ValueError, TypeError):
        return value, error, unit
    if [power for _, power in quantity.unit_items()] != [1] or not math.isfinite(value):
        return value, error, unit
    compact = quantity.to_compact()
    scaled_error = None if error is None else ureg.Quantity(float(error), unit).to(compact.units).magnitude
    return compact.magnitude, scaled_error, f"{compact.units:~P}"


def _run_seed(args: argparse.Namespace) -> int | None:
    """Check the settings and ``--out`` for ``mtjhw run``; the bench seed to open with (a resumed run's own)."""
    from .run_journal import RunDirectoryError, RunJournal, check_run_directory
    from .runner import make_procedure, resumed_settings

    settings = _parse_settings(args.set or [])
    if not args.resume:
        make_procedure(args.procedure, settings)
        check_run_directory(args.out)
        return args.seed
    journal = RunJournal.load(args.out)
    journal.check_resumable(args.procedure)
    resumed_settings(args.procedure, journal, settings)
    if args.seed is not None and args.seed != journal.seed:
        raise RunDirectoryError(f"--seed {args.seed} differs from the run being resumed (seed {journal.seed})")
    return journal.seed


def _close(bench: Any) -> str | None:
    """Close ``bench`` (every output off) whatever a second Ctrl-C says; what went wrong, or None."""
    from .runner import interrupts_deferred

    with interrupts_deferred():
        try:
            bench.close()
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def cmd_procedures(args: argparse.Namespace) -> int:
    from .procedures import PROCEDURES

    width = shutil.get_terminal_size().columns
    for name, cls in sorted(PROCEDURES.items()):
        print(textwrap.fill(f"{name}: {_description(cls)}", width, subsequent_indent="    "))
        for key, param in cls().parameter_objects().items():
            if key == "bench_file":
                continue
            unit = f" [{param.units}]" if getattr(param, "units", None) else ""
            print(textwrap.fill(f"--set {key}=<{param.default}>{unit}  {param.name}", width,
                                initial_indent="    ", subsequent_indent="        "))
        keys = ", ".join(f"{k} ({u})" for k, u in cls.summary_keys.items())
        print(textwrap.fill(f"summary: {keys}", width, initial_indent="    ", subsequent_indent="      "))
    return EXIT_OK


def _description(cls: type) -> str:
    """The first paragraph of ``cls``'s docstring, on one line, without reST markup (``x``, :func:`x`)."""
    paragraph = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    return " ".join(re.sub(r":\w+:`~?([^`]+)`", r"\1", paragraph).replace("``", "").split())


def _load_bench_file(path: Path, command: str) -> BenchConfig | None:
    """The bench file's config, or None after printing the error (for commands that take only a bench)."""
    try:
        return BenchConfig.load(path)
    except BenchConfigError as exc:
        print(f"mtjhw {command}: error: {exc}", file=sys.stderr)
        return None


def cmd_bench_check(args: argparse.Namespace) -> int:
    config = _load_bench_file(args.bench, "bench check")
    if config is None:
        return EXIT_USAGE
    kind = "simulated" if config.simulated else "real"
    print(f"{config.name}: {kind} bench, roles: {', '.join(config.instruments)}")
    if not args.open:
        return EXIT_OK
    from .bench import check_bench

    checks = check_bench(config)
    for check in checks:
        print(f"{check.role:>12}: {check.status:<19} {check.driver} at {check.resource}: {check.detail}")
    return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED


def cmd_bench_off(args: argparse.Namespace) -> int:
    from .bench import Bench
    from .bench_record import BenchInUseError
    from .connection import InstrumentUnreachableError

    config = _load_bench_file(args.bench, "bench off")
    if config is None:
        return EXIT_USAGE
    try:
        Bench.open(config).close()  # closing switches every output off, ramping the magnet down
    except (InstrumentUnreachableError, BenchInUseError) as exc:
        print(f"mtjhw bench off: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{config.name}: every output off")
    return EXIT_OK


def cmd_bench_schema(args: argparse.Namespace) -> int:
    from .bench_schema import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


def cmd_resources(args: argparse.Namespace) -> int:
    from .connection import BACKEND_EXTRAS, missing_backend, visa_resources

    try:
        backend, resources, notes = visa_resources(args.visa_library)
    except (OSError, ValueError) as exc:  # no VISA implementation found
        print(f"mtjhw resources: error: {exc}; install pyvisa-py (pip install pyvisa-py) or a vendor VISA",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"VISA backend: {backend}")
    for resource in resources:
        print(f"  {resource}")
    if not resources:
        print("  (no instruments found)")
    for interface in BACKEND_EXTRAS:
        hint = missing_backend(interface)
        if hint:
            print(f"{interface} instruments are not listed without a backend extra: {hint}")
    for note in notes:
        print(f"note: {note}")
    return EXIT_OK


def cmd_sim_serve(args: argparse.Namespace) -> int:
    from mtjhw.simulators.transport import ScpiSocketServer, serve_forever

    from .bench import build_virtual_instruments

    config = _load_bench_file(args.bench, "sim serve")
    if config is None:
        return EXIT_USAGE
    if not config.simulated:
        print("mtjhw sim serve: error: the bench file says simulated: false", file=sys.stderr)
        return EXIT_USAGE
    virtual, instruments = build_virtual_instruments(config, realtime=True)
    logging.getLogger("mtjhw.simulators.transport").setLevel(logging.INFO)  # connections are logged
    servers = []
    for k, (role, (resource, handler)) in enumerate(instruments.items()):
        port = 0 if args.port == 0 else args.port + k
        server = ScpiSocketServer(handler, host=args.host, port=port, lock=virtual.lock).start()
        servers.append(server)
        name = server.resource_name
        if args.host in ("0.0.0.0", "::"):  # bound to every interface: print an address clients can reach
            name = f"TCPIP::{socket.gethostname()}::{server.port}::SOCKET"
        print(f"{role:>12}: {name}   ({handler.idn[1]}, answers as {resource})", flush=True)
    print("serving the virtual bench in real time; Ctrl-C or SIGTERM to stop", flush=True)
    try:
        serve_forever(servers)
    finally:
        for _, handler in instruments.values():
            reset = getattr(handler, "reset", None)  # *RST state: every output off, as at power-on
            if reset is not None:
                with virtual.lock:
                    reset()
    print("stopped: outputs off, sockets closed", flush=True)
    return EXIT_OK


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import catalogue, run_reproduction
    from .scaleout import TaskError, executor

    if args.list:
        print("\n".join(catalogue()))
        return EXIT_OK
    if args.name is None or args.out is None:
        print("mtjhw reproduce: error: give a reproduction's name and --out DIR (or --list)", file=sys.stderr)
        return EXIT_USAGE
    try:
        options = {"mnist_dir": args.mnist} if args.mnist else {}
        if args.hillenbrand:
            options["hillenbrand_file"] = args.hillenbrand
        if args.backend:
            options["backend"] = args.backend
        with executor(args.scheduler, args.workers) as pool:
            report = run_reproduction(args.name, args.out, quick=args.quick, progress=not args.quiet,
                                      executor=pool, **options)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"mtjhw reproduce: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TaskError as exc:
        print(f"mtjhw reproduce: error: a sweep point failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.name}: {report['metric']} = {report['value']:.4g} (paper: {report['paper_value']:.4g}) "
          f"-> {Path(args.out) / 'report.json'}")
    return EXIT_OK


def cmd_hil(args: argparse.Namespace) -> int:
    import json
    import signal

    import numpy as np

    if args.monte_carlo is not None:
        return _hil_monte_carlo(args)

    from .hil.loop import HilLoop
    from .hil.setups import letter_setup
    from .networks.letters import letter_dataset
    from .plotting import figure

    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())

    x, y = letter_dataset(args.per_class, args.noise, np.random.default_rng(args.seed))
    try:
        with letter_setup(args.array, args.trainer, seed=args.seed, bench_file=args.bench,
                          reader=args.reader) as setup:
            loop = HilLoop(setup.array, setup.trainer, x, y, setup.unit_current, max_attempts=args.max_attempts,
                           pulse_budget=args.pulse_budget, checkpoint_dir=args.out, seed=args.seed)
            result = loop.run(args.epochs, stop=stop, quiet=args.quiet)
    except (ValueError, BenchConfigError) as exc:
        print(f"mtjhw hil: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        signal.signal(signal.SIGINT, previous)
    history = [r.__dict__ for r in result.history]
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"status": result.status, "array": args.array, "trainer": args.trainer,
               "epochs_to_100": result.epochs_to_target, "history": history}
    (args.out / "history.json").write_text(json.dumps(summary, indent=2) + "\n")
    if history:
        fig, ax = figure()
        ax.plot([r["epoch"] for r in history], [100 * r["accuracy"] for r in history], "o-")
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (%)")
        ax.set_title(f"letters: {args.array} array, {args.trainer} trainer")
        fig.savefig(args.out / "history.png", dpi=110)
    print(f"hil: {result.status} after {len(history)} epochs, accuracy {100 * result.accuracy:.1f} % "
          f"-> {args.out / 'history.json'}")
    return EXIT_ABORTED if result.status == "stopped" else EXIT_OK


def _hil_monte_carlo(args: argparse.Namespace) -> int:
    """``mtjhw hil --monte-carlo N``: N trials of the device variability, their accuracy distribution."""
    import json

    from .hil.monte_carlo import monte_carlo, table
    from .scaleout import TaskError, executor

    if args.bench is not None:
        print("mtjhw hil: error: --monte-carlo draws simulated arrays; it takes no --bench", file=sys.stderr)
        return EXIT_USAGE
    settings = {"epochs": args.epochs, "per_class": args.per_class, "noise": args.noise,
                "max_attempts": args.max_attempts, "pulse_budget": args.pulse_budget}
    args.out.mkdir(parents=True, exist_ok=True)
    journal = args.out / "monte-carlo-trials.jsonl"
    try:
        with executor(args.scheduler, args.workers) as pool:
            report = monte_carlo(args.monte_carlo, args.array, args.trainer, seed=args.seed, executor=pool,
                                 quiet=args.quiet, journal=journal, **settings)
    except (ValueError, TaskError) as exc:
        print(f"mtjhw hil: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ValueError) else EXIT_FAILED
    except KeyboardInterrupt:  # the trials still queued were cancelled, the workers stopped
        print(f"mtjhw hil: Monte Carlo interrupted; the finished trials are kept in {journal}: the same command "
              "resumes", file=sys.stderr)
        return EXIT_ABORTED
    path = args.out / "monte-carlo.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"-> {path}")
    return EXIT_OK


def _add_scaleout(parser: argparse.ArgumentParser, what: str) -> None:
    """``--workers`` and ``--scheduler`` (mtjhw.scaleout) for a command whose ``what`` are independent tasks."""
    parser.add_argument("--workers", type=int, default=None, help=f"run the {what} on a local Dask cluster of this "
                        "many worker processes (default: serially in this process)")
    parser.add_argument("--scheduler", metavar="ADDR", help=f"run the {what} on the Dask cluster at this scheduler "
                        "address (tcp://host:port)")


def build_parser(expand: str | None = None) -> argparse.ArgumentParser:
    """The ``mtjhw`` parser; of the :data:`LAZY_COMMANDS` only ``expand`` gets its options (imported)."""
    parser = argparse.ArgumentParser(prog="mtjhw", description="Hardware-in-the-loop framework for MTJs and "
                                     "STNOs: procedures on real or simulated benches, virtual instruments, "
                                     "FPGA gateware.")
    parser.add_argument("--version", action="version", version=f"mtjhw {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run a measurement procedure on a bench",
                         description="Run a procedure; writes data.csv, plot.png and summary.json into --out.")
    run.add_argument("procedure", help="procedure name (see `mtjhw procedures`)")
    run.add_argument("--bench", required=True, type=Path, help="bench file (YAML)")
    run.add_argument("--out", required=True, type=Path, help="output directory")
    run.add_argument("--set", action="append", metavar="NAME=VALUE", help="procedure parameter (repeatable)")
    run.add_argument("--seed", type=int, default=None, help="seed of a simulated bench (overrides the file)")
    run.add_argument("--resume", action="store_true", help="continue the run in --out after its last recorded "
                     "point, with its settings and seed (after an abort, a fault or a kill)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument("--db", metavar="URL", help="record the run into this database (default: $MTJHW_DATABASE "
                     "or the user's one)")
    run.add_argument("--no-db", action="store_true", help="do not record the run in a database")
    run.set_defaults(func=cmd_run)
    from .campaign.cli import add_parser as add_campaign_parser  # argparse only: the work is imported when it runs
    from .database.cli import add_parser as add_db_parser

    add_db_parser(sub)
    add_campaign_parser(sub)

    procs = sub.add_parser("procedures", help="list procedures, their parameters and summary keys")
    procs.set_defaults(func=cmd_procedures)

    bench = sub.add_parser("bench", help="bench files")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    check = bench_sub.add_parser("check", help="validate a bench file")
    check.add_argument("bench", type=Path)
    check.add_argument("--open", action="store_true", help="also open every instrument, read *IDN? and compare "
                       "it with the declared driver (exit 1 if any is unreachable or not what was declared)")
    check.set_defaults(func=cmd_bench_check)

    off = bench_sub.add_parser("off", help="switch every output of a bench off (magnet ramped down), e.g. after a "
                               "crash")
    off.add_argument("--bench", required=True, type=Path, help="bench file (YAML)")
    off.set_defaults(func=cmd_bench_off)

    schema = bench_sub.add_parser("schema", help="print the JSON Schema of bench files (for editors: "
                                  "mtjhw bench schema > bench.schema.json)")
    schema.set_defaults(func=cmd_bench_schema)

    resources = sub.add_parser("resources", help="list the instruments VISA sees")
    resources.add_argument("--visa-library", default="", help="VISA backend, e.g. @py (default: pyvisa's choice)")
    resources.set_defaults(func=cmd_resources)

    sim = sub.add_parser("sim", help="the simulated bench")
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="ACTION", required=True)
    serve = sim_sub.add_parser("serve", help="serve the virtual instruments over TCP (raw SCPI sockets)")
    serve.add_argument("--bench", required=True, type=Path, help="bench file with simulated: true")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=0, help="first port (consecutive per instrument); 0 = free")
    serve.set_defaults(func=cmd_sim_serve)

    repro = sub.add_parser("reproduce", help="reproduce a network result of the review beside the paper's number")
    repro.add_argument("name", nargs="?", help="the reproduction (--list names them all)")
    repro.add_argument("--out", type=Path, help="output directory (report.json, report.png)")
    repro.add_argument("--list", action="store_true", help="list the reproductions: paper value, metric, data set")
    repro.add_argument("--quick", action="store_true", help="a smaller, faster run")
    repro.add_argument("--mnist", "--fashion-mnist", dest="mnist", type=Path, metavar="DIR",
                       help="directory with MNIST or Fashion-MNIST IDX files, for the reproductions whose data set "
                       "they are (default: scikit-learn's 8×8 digits)")
    repro.add_argument("--hillenbrand", type=Path, metavar="FILE",
                       help="Hillenbrand et al.'s vowdata.dat, for coupled-stno-vowels to run on its women's tokens "
                       "(default: vowels generated from that data set's statistics)")
    repro.add_argument("--backend", choices=["golden", "gateware", "verilator"],
                       help="trainer of zhao-letters: the engine's golden model (default), the engine in the "
                       "Amaranth simulator, or its Verilator build")
    _add_scaleout(repro, "sweep points")
    repro.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    repro.set_defaults(func=cmd_reproduce)

    for name, (summary, add) in LAZY_COMMANDS.items():
        if name == expand:
            add(sub)
        else:  # a stand-in that lists the command; main() builds the full one when it is chosen
            sub.add_parser(name, help=summary, add_help=False).set_defaults(expand=name)
    return parser


def _add_hil(sub: Any) -> None:
    from .hil.arrays import READERS
    from .hil.setups import ARRAYS, TRAINERS

    hil = sub.add_parser("hil", help=LAZY_COMMANDS["hil"][0], description="Hardware-in-the-loop training of the "
                         "Z/Y/H/L letter task. Writes a checkpoint into --out every epoch; run the same command again "
                         "to resume; Ctrl-C stops after the current sample.")
    hil.add_argument("--array", choices=ARRAYS, default="simulated", help="where the forward pass runs")
    hil.add_argument("--trainer", choices=TRAINERS, default="float", help="where gradients and updates run")
    hil.add_argument("--bench", type=Path, help="bench file of the bench array (e.g. examples/simulated-array.yaml)")
    hil.add_argument("--reader", choices=READERS, default="auto", help="what reads the bench array's cell states: "
                     "the smu, or the resistance role by delta mode (auto: the resistance role where the bench has "
                     "one); column currents are always the smu's")
    hil.add_argument("--out", required=True, type=Path, help="output directory (checkpoint, history.json/.png)")
    hil.add_argument("--epochs", type=int, default=60, help="at most this many epochs (stops at 100 %%)")
    hil.add_argument("--per-class", type=int, default=10, help="training samples per letter")
    hil.add_argument("--noise", type=float, default=0.05, help="fraction of flipped pixels")
    hil.add_argument("--max-attempts", type=int, default=30, help="write pulses per cell and epoch")
    hil.add_argument("--pulse-budget", type=int, default=10_000, help="write pulses per epoch in all")
    hil.add_argument("--seed", type=int, default=0)
    hil.add_argument("--monte-carlo", type=int, metavar="N", help="variability Monte Carlo: train N simulated arrays, "
                     "each its own draw of the devices (seeds derived from --seed), and report the accuracy "
                     "distribution (monte-carlo.json in --out); each finished trial is kept in "
                     "monte-carlo-trials.jsonl there, and the same command resumes an interrupted run")
    _add_scaleout(hil, "Monte Carlo trials")
    hil.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    hil.set_defaults(func=cmd_hil)


def _add_gateware(sub: Any) -> None:
    from mtjhw.gateware.cli import register

    register(sub)


def _add_gui(sub: Any) -> None:
    from .gui.cli import register

    register(sub)


#: Commands whose options need heavy imports (physics, Amaranth): name -> (help, adds the full parser).
LAZY_COMMANDS = {
    "hil": ("train the 3×3 letter network in the loop: forward on an array, backward in a trainer", _add_hil),
    "gateware": ("FPGA gateware: build, deploy, register map", _add_gateware),
    "gui": ("measurement window: a procedure's parameters, queue, live plot and results browser", _add_gui),
}


def main(argv: Sequence[str] | None = None) -> int:
    chosen, _ = build_parser().parse_known_args(argv)
    args = build_parser(getattr(chosen, "expand", None)).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
