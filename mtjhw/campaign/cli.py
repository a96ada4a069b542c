"""``mtjhw campaign run FILE --out DIR`` and ``mtjhw campaign status DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    campaign = subparsers.add_parser("campaign", help="measure many devices: wafer dies, crosspoints or benches; "
                                     "resumable, with status and summary tables and wafer maps")
    actions = campaign.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="run a campaign file, or continue it in --out after any interruption")
    run.add_argument("file", type=Path, help="campaign file (YAML)")
    run.add_argument("--out", type=Path, required=True, help="output folder: one run directory per planned run, "
                     "status.txt, summary.csv, maps/")
    run.add_argument("--retry-failed", action="store_true", help="run failed runs again, after their last point")
    run.add_argument("--no-plots", action="store_true", help="no plot.png per run (the wafer maps are drawn)")
    run.add_argument("--db", metavar="URL", help="record the runs into this database (default: $MTJHW_DATABASE "
                     "or the user's one)")
    run.add_argument("--no-db", action="store_true", help="do not record the runs in a database")
    run.add_argument("--workers", type=int, default=None, help="measure the devices on a local Dask cluster of "
                     "this many worker processes (simulated benches; default: serially in this process)")
    run.add_argument("--scheduler", metavar="ADDR", help="measure the devices on the Dask cluster at this "
                     "scheduler address (tcp://host:port)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    status = actions.add_parser("status", help="the per-device status table of a campaign's output folder")
    status.add_argument("out", type=Path, help="the campaign's output folder")
    campaign.set_defaults(func=cmd_campaign)


def cmd_campaign(args: argparse.Namespace) -> int:
    from mtjhw.cli import EXIT_USAGE

    from .spec import CampaignError

    try:
        return _run(args) if args.campaign_command == "run" else _status(args)
    except (CampaignError, ValueError, FileNotFoundError) as exc:
        print(f"mtjhw campaign: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    from mtjhw.cli import EXIT_ABORTED, EXIT_FAILED, EXIT_OK
    from mtjhw.scaleout import executor

    from .runner import run_campaign

    with executor(args.scheduler, args.workers) as pool:
        report = run_campaign(args.file, args.out, executor=pool, database=False if args.no_db else args.db,
                              retry_failed=args.retry_failed, plots=not args.no_plots, quiet=args.quiet)
    for error in report.errors[:10]:
        print(f"  {error}", file=sys.stderr)
    if len(report.errors) > 10:
        print(f"  ... and {len(report.errors) - 10} more (see {report.out / 'status.txt'})", file=sys.stderr)
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items())
    print(f"{report.total} runs: {counts}; {report.measured} done this session, {report.recorded} recorded")
    print(f"-> {report.out / 'status.txt'}, {report.summary_csv}" + (f", {len(report.maps)} wafer maps in "
                                                                   f"{report.out / 'maps'}" if report.maps else ""))
    if report.interrupted:
        print("interrupted: run the same command again to continue", file=sys.stderr)
        return EXIT_ABORTED
    return EXIT_OK if report.complete else EXIT_FAILED


def _status(args: argparse.Namespace) -> int:
    from .runner import load_plan
    from .tables import status_table

    name, runs = load_plan(args.out)
    print(f"campaign {name}")
    print(status_table(runs, args.out))
    return 0
