"""``mtjhw db``: list, show, export the recorded runs; upgrade the schema."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="the measurement database: list, show and export recorded runs")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    runs = actions.add_parser("runs", help="a table of the recorded runs")
    _filters(runs)
    runs.add_argument("--limit", type=int, default=50, help="the newest N runs (default 50)")
    show = actions.add_parser("show", help="everything recorded of one run")
    show.add_argument("run", metavar="ID", help="run id or uid (prefix)")
    export = actions.add_parser("export", help="the matching runs as a table file")
    _filters(export)
    export.add_argument("--format", choices=("csv", "parquet", "json"), help="default: the file's suffix")
    export.add_argument("--out", required=True, help="file to write")
    actions.add_parser("upgrade", help="create or migrate the schema")
    for action in actions.choices.values():
        action.add_argument("--db", metavar="URL", help="database URL (default: $MTJHW_DATABASE or the user's one)")
    db.set_defaults(func=cmd_db)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--procedure")
    parser.add_argument("--status")
    parser.add_argument("--campaign")
    parser.add_argument("--where", action="append", default=[], metavar="EXPR", help="e.g. tmr>1.5, die=C03R07")


def cmd_db(args: argparse.Namespace) -> int:
    from . import Database, FilterError

    try:
        with Database(args.db) as db:
            return {"runs": _runs, "show": _show, "export": _export, "upgrade": lambda db, args: 0
                    }[args.db_command](db, args)
    except (FilterError, LookupError, ValueError) as exc:
        print(f"mtjhw db: error: {exc}", file=sys.stderr)
        return 2


def _selection(args: argparse.Namespace) -> dict:
    return {"procedure": args.procedure, "status": args.status, "campaign": args.campaign, "where": args.where}


def _runs(db, args: argparse.Namespace) -> int:
    for row in db.runs(**_selection(args), limit=args.limit):
        device = row.device.get("die") or row.device.get("crosspoint") or row.device.get("label") or ""
        values = " ".join(f"{k}={v:.4g}{(' ' + row.units[k]) if row.units.get(k) else ''}"
                          for k, v in [(k, v) for k, v in row.summary.items() if not k.endswith("_err")][:4]
                          if isinstance(v, float))
        started = row.started.strftime("%Y-%m-%d %H:%M") if row.started else ""
        print(f"{row.id:>5} {row.uid[:8]} {started:16} {row.procedure:20} {device:10} {row.status:9} {values}")
    return 0


def _show(db, args: argparse.Namespace) -> int:
    from dataclasses import asdict

    for key, value in asdict(db.run(args.run)).items():
        print(f"{key}: {value}")
    return 0


def _export(db, args: argparse.Namespace) -> int:
    print(db.export(args.out, args.format, **_selection(args)))
    return 0
