"""A campaign's runs in their fixed order (device × procedure × grid point), each with a stable id that is its
directory under the campaign's output folder: ``<device-label>/<procedure>[-<grid-index>]``."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .spec import CampaignFile


@dataclass(frozen=True)
class Device:
    """One device of a campaign: its ``label`` (directory name), its identity for the database, the bench file
    it is measured on, and what selects it (``die`` as (column, row), or switch ``channels``)."""

    label: str
    identity: dict[str, Any]
    bench_file: Path
    die: tuple[int, int] | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedRun:
    """One run: its ``index`` in the plan, device, procedure, grid index (None: no grid) and full settings."""

    index: int
    device: Device
    procedure: str
    grid_index: int | None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        suffix = "" if self.grid_index is None else f"-{self.grid_index}"
        return f"{self.device.label}/{self.procedure}{suffix}"

    def out_dir(self, root: Path) -> Path:
        return Path(root) / self.run_id


def grid_points(settings: dict[str, Any], grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The settings of each grid point: the cartesian product of the grid's values (first key slowest)."""
    keys = list(grid)
    return [{**settings, **dict(zip(keys, values, strict=True))} for values in itertools.product(*grid.values())]


def plan_runs(campaign: CampaignFile, devices: list[Device]) -> list[PlannedRun]:
    """Every run of ``campaign`` on ``devices``: device by device, in the procedures' order, grid point by point."""
    runs: list[PlannedRun] = []
    for device in devices:
        for entry in campaign.procedures:
            points = grid_points(entry.settings, entry.grid)
            for k, settings in enumerate(points):
                runs.append(PlannedRun(len(runs), device, entry.name, k if entry.grid else None, settings))
    return runs


def plan_hash(runs: list[PlannedRun]) -> str:
    """A digest of what the plan measures (ids, devices, settings): a resumed campaign must have the same one."""
    document = [[r.run_id, r.procedure, r.settings, r.device.identity, list(r.device.channels)] for r in runs]
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def wafer_devices(campaign: CampaignFile, dies: list[Any], wafer: str | None) -> list[Device]:
    """The devices of a wafer campaign: the selected ones of ``dies`` (``Die`` objects of the wafer map, in its
    order), each with its identity (:func:`_die_identity`)."""
    selection = campaign.devices.wafer.dies
    bench = campaign.bench_path()
    if selection == "all":
        chosen = dies
    elif isinstance(selection, list):
        by_index = {(d.column, d.row): d for d in dies}
        missing = [pair for pair in selection if tuple(pair) not in by_index]
        if missing:
            raise ValueError(f"devices.wafer.dies: {list(missing[0])} is not a die of the wafer map")
        chosen = [by_index[tuple(pair)] for pair in selection]
    else:
        chosen = [d for d in dies if (selection.rows is None or d.row in selection.rows)
                  and (selection.columns is None or d.column in selection.columns)]
    return [Device(d.label, _die_identity(d, wafer), bench, die=(d.column, d.row)) for d in chosen]


def _die_identity(die: Any, wafer: str | None) -> dict[str, Any]:
    """{"wafer", "die", "column", "row"} and, where the die's centre is known, its "x" and "y" (m)."""
    identity = {"wafer": wafer, "die": die.label, "column": die.column, "row": die.row}
    if die.x is not None and die.y is not None:
        identity.update(x=die.x, y=die.y)
    return identity


def crosspoint_devices(campaign: CampaignFile) -> list[Device]:
    bench = campaign.bench_path()
    return [Device(c.label, {"crosspoint": c.label}, bench, channels=tuple(c.channels))
            for c in campaign.devices.crosspoints]


def bench_devices(campaign: CampaignFile) -> list[Device]:
    """One device per bench file, labelled by the file's name (without .yaml)."""
    paths = [campaign.bench_path(name) for name in campaign.devices.benches]
    labels = [p.stem for p in paths]
    if len(set(labels)) != len(labels):
        raise ValueError("devices.benches: two bench files have the same name; their run directories would clash")
    return [Device(p.stem, {"label": p.stem}, p) for p in paths]
