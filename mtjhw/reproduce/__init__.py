"""Reproductions of the review's network results: ``mtjhw reproduce <name> --out DIR``.

Each writes ``report.json`` (at least ``metric``, ``value``, ``paper_value``, plus the paper, the settings, and
device-variation sweeps) and ``report.png`` into the output directory, our number beside the paper's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor, SerialExecutor

from . import jung_crossbar, population_coding, stno_reservoir, zhao_letters


class Reproduction(NamedTuple):
    """A reproduction: ``run(out_dir, quick, progress, executor, **options) -> report`` and what it is measured
    against, ``paper``: ``reference``, ``metric``, ``accuracy`` (the paper's value, the one to beat) and
    ``dataset`` (the data set ours runs on)."""

    run: Callable[..., dict[str, Any]]
    paper: dict[str, Any]


REPRODUCTIONS: dict[str, Reproduction] = {
    "stno-reservoir": Reproduction(stno_reservoir.reproduce_stno_reservoir, stno_reservoir.PAPER),
    "jung-crossbar": Reproduction(jung_crossbar.reproduce_jung_crossbar, jung_crossbar.PAPER),
    "population-coding": Reproduction(population_coding.reproduce_population_coding, population_coding.PAPER),
    "zhao-letters": Reproduction(zhao_letters.reproduce_zhao_letters, zhao_letters.PAPER),
}


def catalogue() -> list[str]:
    """One line per reproduction: name, the paper's value of its metric, the metric, our data set, the paper."""
    return [f"{name:<18} {r.paper['accuracy']:7.2%}  {r.paper['metric']}; on {r.paper['dataset']}\n"
            f"{'':<28}{r.paper['reference']}" for name, r in sorted(REPRODUCTIONS.items())]


def run_reproduction(name: str, out_dir: str | Path, quick: bool = False, progress: bool = True,
                     executor: Executor | None = None, **options: Any) -> dict[str, Any]:
    """Run reproduction ``name`` and write its report into ``out_dir``; returns the report. ``progress`` shows
    a bar of its steps (training, sweep points) with ETA on stderr. The sweep points run on ``executor`` (this
    process by default; the same report on any executor). ``options`` go to the reproductions that take them
    (``mnist_dir`` for ``jung-crossbar``, ``backend`` for ``zhao-letters``)."""
    try:
        function = REPRODUCTIONS[name].run
    except KeyError:
        raise ValueError(f"unknown reproduction {name!r}; known: {', '.join(sorted(REPRODUCTIONS))}") from None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with StepBar(name, quiet=not progress) as steps:
        report = function(out, quick=quick, progress=steps, executor=executor or SerialExecutor(), **options)
    (out / "report.json").write_text(json.dumps(_finite(report), indent=2) + "\n")
    return report


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
