"""Running a campaign: every planned run once, resumable after any interruption, recorded in the database.

The output folder holds ``campaign.json`` (the plan and its digest), one run directory per planned run
(``<device>/<procedure>[-<grid index>]``, each written by :func:`mtjhw.runner.run_procedure`), and after each
session ``status.txt``, ``summary.csv`` and, for a wafer, ``maps/wafer-<key>.png``. Running the same campaign
into the same folder again skips the finished runs, continues the interrupted ones after their last point and
starts the rest; nothing is measured twice and nothing is deleted.

The work is one task per device (open the bench, step the prober to the die or close the crosspoint, measure each
of its runs, close the bench), run serially or on Dask workers (:mod:`mtjhw.scaleout`). Each device draws its
noise from (bench seed, die) so that serial and parallel campaigns give identical results. Workers never touch
the database: this process records each run as its task returns, idempotently by the run's uid, and on resume
records any run that finished without being recorded (a kill in between).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .plan import Device, PlannedRun, plan_hash, plan_runs
from .spec import CampaignError, CampaignFile, load_campaign
from .tables import run_status, status_table, summary_table, write_summary_csv

log = logging.getLogger(__name__)

MANIFEST = "campaign.json"
#: Set by Ctrl-C during a serial campaign: the run in progress ends after its point, the rest stay pending.
_STOP = threading.Event()


@dataclass(frozen=True)
class RunTask:
    """One run of a device task: ``mode`` is "fresh", "resume" (after its last point) or "record" (it ended but
    is not in the database yet)."""

    run_id: str
    procedure: str
    settings: dict[str, Any]
    mode: str


@dataclass(frozen=True)
class DeviceTask:
    """Everything a worker needs to measure one device: picklable, no open connections."""

    root: Path
    device: Device
    seed_key: tuple[int, ...]
    runs: tuple[RunTask, ...]
    campaign: str
    plots: bool = True


@dataclass
class RunResult:
    """What a worker reports of one run; ``record`` is its database record (None where the run did not start)."""

    run_id: str
    status: str
    points: int = 0
    error: str | None = None
    record: Any = None


@dataclass
class CampaignReport:
    """The state of a campaign after a session: counts by status of every planned run, what ran this time."""

    out: Path
    total: int
    counts: dict[str, int]
    measured: int
    recorded: int
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    summary_csv: Path | None = None
    maps: list[Path] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.counts.get("finished", 0) == self.total


def measure_device(task: DeviceTask) -> list[RunResult]:
    """Open the device's bench; for each of its runs select the device and run it (or record it); outputs off
    at the end.

    A device that cannot be reached (bench, prober, switch) fails its runs with the reason; run directories never
    started stay pending, so the next session tries them again."""
    from mtjhw.bench import Bench
    from mtjhw.config import BenchConfig

    try:
        bench = Bench.open(BenchConfig.load(task.device.bench_file))
    except Exception as exc:
        return [RunResult(r.run_id, "failed", error=f"bench did not open: {exc}") for r in task.runs]
    with bench:
        bench.reseed(*task.seed_key)
        results = []
        for run in task.runs:
            if _STOP.is_set():
                break
            results.append(_measure(bench, task, run))
    return results


def _select(bench: Any, device: Device) -> None:
    """Land on the die or close the crosspoint; before each run, as every run ends with the outputs off (the
    needles lifted, the switch opened)."""
    from mtjhw.wafer import step_to_die

    if device.die is not None:
        step_to_die(bench, *device.die)
    elif device.channels:
        bench.outputs_off()
        bench.switch.exclusive_close(device.channels)


def _measure(bench: Any, task: DeviceTask, run: RunTask) -> RunResult:
    from mtjhw.runner import record_of, run_procedure

    out = task.root / run.run_id
    bench_file = task.device.bench_file
    try:
        if run.mode == "record":
            record = record_of(out, bench, task.device.identity, task.campaign, bench_file)
            return RunResult(run.run_id, record.status, record.points, record.error, record)
        _select(bench, task.device)
        outcome = run_procedure(run.procedure, bench, out, None if run.mode == "resume" else run.settings,
                                progress=False, stop=_STOP, resume=run.mode == "resume", bench_file=bench_file,
                                device=task.device.identity, database=False, campaign=task.campaign,
                                plot=task.plots)
    except Exception as exc:  # a refused directory or settings: this run fails, the device's others go on
        log.error("%s: %s", run.run_id, exc)
        return RunResult(run.run_id, "failed", error=str(exc))
    return RunResult(run.run_id, outcome.status, outcome.points, outcome.error, outcome.record)


# ------------------------------------------------------------------------------------------------ the plan
def campaign_devices(campaign: CampaignFile) -> list[Device]:
    """The campaign's devices: its wafer's dies, its crosspoints or its bench files."""
    from .plan import bench_devices, crosspoint_devices, wafer_devices

    if campaign.devices.benches is not None:
        return bench_devices(campaign)
    if campaign.devices.crosspoints is not None:
        return crosspoint_devices(campaign)
    name, dies = _wafer_dies(campaign.bench_path())
    return wafer_devices(campaign, dies, name)


@dataclass(frozen=True)
class _Site:
    """A die of a real prober's wafer map: position unknown until the chuck is there."""

    column: int
    row: int
    x: float | None = None
    y: float | None = None

    @property
    def label(self) -> str:
        return f"C{self.column:02d}R{self.row:02d}"


def _wafer_dies(bench_file: Path) -> tuple[str | None, list[Any]]:
    """The wafer's name and dies: the simulated wafer of the bench file, else the prober's own wafer map."""
    from mtjhw.bench import Bench
    from mtjhw.config import BenchConfig

    config = BenchConfig.load(bench_file)
    if config.wafer is not None:
        from mtjhw.simulators.bench.wafer import VirtualWafer, WaferSpec

        wafer = VirtualWafer(WaferSpec.from_mapping(config.wafer), config.dut)
        return wafer.spec.name, wafer.dies()
    if "prober" not in config.instruments:
        raise CampaignError(f"{bench_file}: devices.wafer needs a bench with a prober (instruments.prober)")
    with Bench.open(config) as bench:
        return None, [_Site(column, row) for column, row in bench.prober.dies()]


def _seed_key(device: Device, index: int) -> tuple[int, ...]:
    return (device.die[0], device.die[1]) if device.die is not None else (index,)


def _manifest(campaign: CampaignFile, runs: list[PlannedRun], out: Path) -> None:
    """Write ``campaign.json``, or check that the one there describes the same plan."""
    digest = plan_hash(runs)
    path = out / MANIFEST
    if path.exists():
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if recorded.get("plan_hash") != digest:
            raise CampaignError(f"{out} holds campaign {recorded.get('name')!r} with another plan (the campaign file, "
                                "its bench or its wafer changed): give this campaign another --out")
        return
    out.mkdir(parents=True, exist_ok=True)
    document = {"name": campaign.name, "source": str(campaign.source), "plan_hash": digest,
                "runs": [_planned(run) for run in runs]}
    temporary = out / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    temporary.replace(path)


def _planned(run: PlannedRun) -> dict[str, Any]:
    d = run.device
    return {"run_id": run.run_id, "procedure": run.procedure, "grid": run.grid_index, "settings": run.settings,
            "device": {"label": d.label, "identity": d.identity, "bench_file": str(d.bench_file),
                       "die": list(d.die) if d.die else None, "channels": list(d.channels)}}


def load_plan(out: str | Path) -> tuple[str, list[PlannedRun]]:
    """The campaign name and planned runs recorded in the ``campaign.json`` of output folder ``out``."""
    path = Path(out) / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CampaignError(f"{out} holds no campaign ({MANIFEST} missing)") from None
    devices: dict[str, Device] = {}
    runs = []
    for k, entry in enumerate(document["runs"]):
        d = entry["device"]
        device = devices.setdefault(d["label"], Device(d["label"], d["identity"], Path(d["bench_file"]),
                                                       tuple(d["die"]) if d["die"] else None, tuple(d["channels"])))
        runs.append(PlannedRun(k, device, entry["procedure"], entry["grid"], entry["settings"]))
    return document["name"], runs


def _mode(run: PlannedRun, root: Path, recorded: set[str] | None, retry_failed: bool) -> str | None:
    """What this session does with ``run``: None (nothing), or a :class:`RunTask` mode."""
    out = run.out_dir(root)
    status, _ = run_status(out)
    if status == "pending":
        return "fresh"
    if status in ("interrupted", "aborted") or (status == "failed" and retry_failed):
        return "resume"
    if recorded is not None and _uid(out) not in recorded:
        return "record"
    return None


def _uid(out: Path) -> str | None:
    try:
        return json.loads((out / "run.json").read_text(encoding="utf-8")).get("uid")
    except (OSError, ValueError):
        return None


def device_tasks(name: str, runs: list[PlannedRun], root: Path, recorded: set[str] | None = None,
                 retry_failed: bool = False, plots: bool = True) -> list[DeviceTask]:
    """One task per device with anything left to do (see :func:`_mode`), in the plan's order."""
    by_device: dict[str, list[RunTask]] = {}
    first: dict[str, tuple[int, Device]] = {}
    for run in runs:
        first.setdefault(run.device.label, (len(first), run.device))
        mode = _mode(run, root, recorded, retry_failed)
        if mode is not None:
            by_device.setdefault(run.device.label, []).append(RunTask(run.run_id, run.procedure, run.settings, mode))
    return [DeviceTask(root, first[label][1], _seed_key(first[label][1], first[label][0]), tuple(tasks), name, plots)
            for label, tasks in by_device.items()]


# ------------------------------------------------------------------------------------------------ a session
def run_campaign(campaign: CampaignFile | str | Path, out: str | Path, executor: Any = None, database: Any = None,
                 retry_failed: bool = False, plots: bool = True, quiet: bool = False) -> CampaignReport:
    """Run (or resume) ``campaign`` into folder ``out``; write the tables and wafer maps; the report.

    ``executor``: an :mod:`mtjhw.scaleout` executor (default: serial in this process). ``database``: None the
    default database, a URL or a ``Database``, False none. ``retry_failed`` runs failed runs again (continuing
    after their last point). ``plots`` False leaves out each run's plot.png (the wafer maps are still drawn).
    A progress bar counts the devices with rate and ETA unless ``quiet``. Ctrl-C (serial) ends the run in
    progress after its point; the report then says ``interrupted`` and the next session continues it."""
    from mtjhw.scaleout import SerialExecutor

    campaign = campaign if isinstance(campaign, CampaignFile) else load_campaign(campaign)
    root = Path(out).resolve()
    runs = plan_runs(campaign, campaign_devices(campaign))
    _manifest(campaign, runs, root)
    db = _database(database)
    try:
        recorded = _recorded(db, campaign.name) if db is not None else None
        tasks = device_tasks(campaign.name, runs, root, recorded, retry_failed, plots)
        pool = executor if executor is not None else SerialExecutor()
        measured, saved, errors, interrupted = _session(pool, tasks, db, campaign.name, quiet)
    finally:
        if db is not None and db is not database:
            db.close()
    report = write_tables(campaign.name, runs, root)
    report.measured, report.recorded, report.errors, report.interrupted = measured, saved, errors, interrupted
    return report


def _database(database: Any) -> Any:
    if database is False:
        return None
    from mtjhw.database import Database

    return database if isinstance(database, Database) else Database(database if isinstance(database, str) else None)


def _recorded(db: Any, name: str) -> set[str]:
    return {row.uid for row in db.runs(campaign=name)}


def _session(pool: Any, tasks: list[DeviceTask], db: Any, name: str, quiet: bool
             ) -> tuple[int, int, list[str], bool]:
    """Run ``tasks`` on ``pool``, recording each run as its device returns: (runs measured or rebuilt, runs
    recorded, errors, interrupted)."""
    from mtjhw.runner import interrupts_deferred

    _STOP.clear()
    measured = saved = 0
    errors: list[str] = []
    try:
        with interrupts_deferred(_STOP):
            for _, results in pool.map_unordered(measure_device, tasks, desc=f"campaign {name}", quiet=quiet):
                for result in results:
                    measured += result.record is not None
                    if result.error:
                        errors.append(f"{result.run_id}: {result.error}")
                    if db is not None and result.record is not None:
                        saved += _save(db, result)
                if _STOP.is_set():
                    break
    except KeyboardInterrupt:
        _STOP.set()
    return measured, saved, errors, _STOP.is_set()


def _save(db: Any, result: RunResult) -> bool:
    try:
        db.record(result.record)
        return True
    except Exception as exc:  # the run is on disk: the next session records it
        log.error("%s: recording in the database failed: %s", result.run_id, exc)
        return False


def write_tables(name: str, runs: list[PlannedRun], root: Path) -> CampaignReport:
    """``status.txt``, ``summary.csv`` and (a wafer campaign) the wafer maps in ``root``; the counts by status."""
    table = status_table(runs, root)
    (root / "status.txt").write_text(table + "\n", encoding="utf-8")
    rows, units = summary_table(runs, root)
    summary = write_summary_csv(rows, units, root / "summary.csv")
    counts: dict[str, int] = {}
    for run in runs:
        status = run_status(run.out_dir(root))[0]
        counts[status] = counts.get(status, 0) + 1
    maps = _maps(rows, units, root / "maps") if runs and runs[0].device.die is not None else []
    return CampaignReport(root, len(runs), counts, 0, 0, summary_csv=summary, maps=maps)


def _maps(rows: list[dict[str, Any]], units: dict[str, str], folder: Path) -> list[Path]:
    """Wafer maps of every extracted parameter and the yield; one folder per grid point where there is a grid."""
    from mtjhw.wafer_map import plot_wafer_maps

    grids = sorted({row["grid"] for row in rows if row["grid"] is not None})
    paths = []
    for grid in grids or [None]:
        table = [{k: v for k, v in row.items() if k != "grid" and not k.endswith(("_err", ".status"))}
                 for row in rows if row["grid"] == grid]
        paths += plot_wafer_maps(table, folder if grid is None else folder / f"grid-{grid}", units=units)
    return paths
