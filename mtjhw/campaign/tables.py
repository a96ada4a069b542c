"""A campaign's tables from its run directories: each run's status, the per-device status table and the summary
table (one row per device and grid point, every extracted parameter with its unit in the header)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from .plan import PlannedRun

#: Statuses a run directory can be in; ``interrupted``: a writer's lock left by a kill, or an attempt still running.
STATUSES = ("finished", "aborted", "interrupted", "failed", "pending")


def run_status(out: Path) -> tuple[str, int]:
    """The status of the run in ``out`` and its points, from its ``run.json`` (no journal, or no data: pending)."""
    try:
        journal = json.loads((out / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "pending", 0
    last = journal.get("attempts", [{}])[-1] if journal.get("attempts") else {}
    if not (out / "data.csv").exists():
        return "pending", 0
    status = last.get("status", "pending")
    if status == "running" or (out / "run.lock").exists():
        status = "interrupted"
    return status, int(last.get("points") or 0)


def status_table(runs: list[PlannedRun], root: Path) -> str:
    """One line per device: each procedure's (grid point's) status and points; then the totals by status."""
    columns = list(dict.fromkeys(r.run_id.split("/", 1)[1] for r in runs))
    rows: dict[str, dict[str, str]] = {}
    totals = dict.fromkeys(STATUSES, 0)
    for run in runs:
        status, points = run_status(run.out_dir(root))
        totals[status] += 1
        rows.setdefault(run.device.label, {})[run.run_id.split("/", 1)[1]] = f"{status} ({points})"
    header = ["device", *columns]
    lines = [header] + [[label, *(cells.get(c, "") for c in columns)] for label, cells in rows.items()]
    widths = [max(len(line[k]) for line in lines) for k in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    text.append(f"{len(runs)} runs: " + ", ".join(f"{n} {s}" for s, n in totals.items() if n))
    return "\n".join(text)


def summary_table(runs: list[PlannedRun], root: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One row per device and grid point: the device's identity, the grid point, its status (``finished`` once
    every procedure has), ``yield`` (every procedure finished and analysed), each procedure's status and its
    numeric summary values; and the units."""
    rows: dict[tuple[str, int | None], dict[str, Any]] = {}
    units: dict[str, str] = {}
    summaries = {run.run_id: _summary(run.out_dir(root)) for run in runs}
    owners: dict[str, set[str]] = {}
    for run in runs:
        for key in summaries[run.run_id].get("values", {}):
            owners.setdefault(key, set()).add(run.procedure)
    for run in runs:
        row = rows.setdefault((run.device.label, run.grid_index), {
            "device": run.device.label, **run.device.identity, "grid": run.grid_index, "status": "finished",
            "yield": True})
        status, _ = run_status(run.out_dir(root))
        row[f"{run.procedure}.status"] = status
        if status != "finished":
            row["status"] = status
        summary = summaries[run.run_id]
        row["yield"] = row["yield"] and status == "finished" and not summary.get("analysis_error")
        for key, value in summary.get("values", {}).items():
            column = key if len(owners[key]) == 1 else f"{run.procedure}.{key}"
            row[column] = value
            units.setdefault(column, summary.get("units", {}).get(key, ""))
    return list(rows.values()), units


def _summary(out: Path) -> dict[str, Any]:
    try:
        document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    values = {k: v for k, v in document.items() if k != "run" and isinstance(v, (int, float))
              and not isinstance(v, bool) and math.isfinite(v)}
    run = document.get("run", {})
    return {"values": values, "units": run.get("units") or {}, "analysis_error": run.get("analysis_error")}


def write_summary_csv(rows: list[dict[str, Any]], units: dict[str, str], path: Path) -> Path:
    """``rows`` as CSV; a parameter's header names its unit, e.g. ``r_p [Ω]``."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    header = [f"{k} [{units[k]}]" if units.get(k) else k for k in keys]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows([[row.get(k, "") for k in keys] for row in rows])
    return path
