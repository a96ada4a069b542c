"""The campaign file (YAML): its model, and its problems named by key like the bench file's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class CampaignError(ValueError):
    """A campaign file is malformed: one line per problem, each naming its key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class DieSelection(_Section):
    """Dies by grid row and column (each absent: every one)."""

    rows: list[int] | None = None
    columns: list[int] | None = None


class WaferDevices(_Section):
    """The dies of the bench's wafer: ``all``, a list of ``[column, row]``, or rows/columns."""

    dies: Literal["all"] | list[Annotated[list[int], Field(min_length=2, max_length=2)]] | DieSelection = "all"


class Crosspoint(_Section):
    """A cell of a switch-matrix array: the channels closed (exclusively) before each of its runs."""

    label: str
    channels: list[str] = Field(min_length=1)


class Devices(_Section):
    """Exactly one of: the wafer's dies, switch-matrix crosspoints, bench files (relative to the campaign file)."""

    wafer: WaferDevices | None = None
    crosspoints: list[Crosspoint] | None = Field(None, min_length=1)
    benches: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Devices:
        given = [key for key in ("wafer", "crosspoints", "benches") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of wafer, crosspoints, benches (got {', '.join(given) or 'none'})")
        return self


class ProcedureEntry(_Section):
    """A procedure with its settings, and a grid: each parameter's values, run as their cartesian product."""

    name: str
    settings: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _grid_values(self) -> ProcedureEntry:
        empty = [key for key, values in self.grid.items() if not values]
        if empty:
            raise ValueError(f"grid.{empty[0]}: needs at least one value")
        both = sorted(set(self.grid) & set(self.settings))
        if both:
            raise ValueError(f"{both[0]} is in both settings and grid: keep one")
        return self


class CampaignFile(_Section):
    """A campaign: its name, the bench, the devices, the procedures and an optional seed."""

    name: str
    bench: str | None = None
    devices: Devices
    procedures: list[ProcedureEntry] = Field(min_length=1)
    seed: int | None = Field(None, ge=0)
    source: Path = Field(Path("."), exclude=True)

    def bench_path(self, name: str | None = None) -> Path:
        """A bench file named in the campaign (default: ``bench``), relative to the campaign file's folder."""
        name = name if name is not None else self.bench
        if name is None:
            raise CampaignError(f"{self.source}: bench: missing (required unless devices lists benches)")
        return (self.source.parent / name).resolve()

    @model_validator(mode="after")
    def _bench_given(self) -> CampaignFile:
        if self.bench is None and self.devices.benches is None:
            raise ValueError("bench: missing (required unless devices lists benches)")
        names = [p.name for p in self.procedures]
        if len(set(names)) != len(names):
            raise ValueError("procedures: a procedure is listed twice: give it one entry with a grid")
        return self


def load_campaign(path: str | Path) -> CampaignFile:
    """The campaign of the YAML file at ``path``; every problem in it is one line of the :class:`CampaignError`."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CampaignError(f"cannot read campaign file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CampaignError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CampaignError(f"{path}: expected a mapping of campaign settings, got {type(data).__name__}")
    try:
        campaign = CampaignFile.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(k) for k in e['loc']) or '(top level)'}: {_message(e)}" for e in exc.errors()]
        raise CampaignError(f"{path}: " + lines[0] if len(lines) == 1 else
                            f"{path}: {len(lines)} problems\n" + "\n".join(f"  {line}" for line in lines)) from None
    return campaign.model_copy(update={"source": path.resolve()})


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"][0].lower() + error["msg"][1:]
