"""The gallery: every procedure and every reproduction, run at each build, so that no picture is ever stale.

At ``builder-inited`` of an HTML build, :func:`items` (one per registered procedure, on a simulated bench with short
settings, and one per reproduction, ``--quick``) run on a process pool into ``_build/gallery-runs``; each gets a
page under ``gallery/generated/`` with its plot, its summary or report values and the command that reproduces
it, and ``gallery/generated/grid.txt`` (included by ``gallery/index.md``) the cards and the toctree. A failing
item (an error, an aborted run, an analysis that gave no result) fails the build and names the item.
``MTJHW_DOCS_GALLERY=skip`` leaves the runs out, for fast local iterations (CI never sets it).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import shutil
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from numbers import Real
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
GENERATED = Path(__file__).resolve().parents[1] / "gallery" / "generated"
ENV_VAR = "MTJHW_DOCS_GALLERY"
SEED = 1
GALLERY_BENCHES = "docs/gallery/benches"

#: Bench file (from the repository root) and short settings of each procedure's gallery run; the slowest first,
#: so that the pool is not left waiting on one long run at the end.
PROCEDURE_RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "thermal-stability": ("examples/simulated-temperature.yaml",
                          {"t_stop": 340.0, "temperatures": 2, "points": 21, "loops": 6, "sweep_rates": 3,
                           "hold": 5.0}),
    "switching-probability": ("examples/simulated-pmtj.yaml", {"amplitudes": 10, "trials": 200, "wer_target": 0.01}),
    "astroid": ("examples/simulated-rotator.yaml",
                {"angles": 4, "points": 41, "loops": 1, "sweep_rate": 0.5, "delta": 45.0}),
    "breakdown": ("examples/simulated-breakdown.yaml", {"v_step": 0.02}),
    "hard-axis": ("examples/simulated-hard-axis.yaml", {"points": 51}),
    "sot-switching": ("examples/simulated-sot.yaml", {"fields": 4, "amplitudes": 11, "trials": 100}),
    "noise-psd": ("examples/simulated-noise.yaml", {"records": 2, "area": 1e-15}),
    "st-fmr": (f"{GALLERY_BENCHES}/simulated-stno.yaml", {"frequencies": 4, "coarse_points": 40, "fine_points": 41}),
    "stno-spectrum": (f"{GALLERY_BENCHES}/simulated-stno.yaml",
                      {"currents": 10, "averages": 4, "points": 501, "i_min": 7e-4, "i_max": 1.6e-3}),
    "lif-neuron": ("examples/simulated-lif.yaml", {}),
    "telegraph": ("examples/simulated-tektronix.yaml", {}),
    "neuron-transfer": ("examples/simulated-tektronix.yaml", {}),
    "rh-loop": ("examples/simulated-pmtj.yaml", {"points": 101}),
    "rv-loop": ("examples/simulated-pmtj.yaml", {}),
    "synapse-ltp-ltd": (f"{GALLERY_BENCHES}/simulated-dw-synapse.yaml", {"pulses": 40, "width": 1e-8}),
}


@dataclass(frozen=True)
class Item:
    """One gallery entry: a procedure run on ``bench`` with ``settings``, or a reproduction (``kind``)."""

    kind: str
    name: str
    bench: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.name}"

    @property
    def command(self) -> str:
        """The command line that makes the same run, from the repository root."""
        if self.kind == "reproduction":
            return f"mtjhw reproduce {self.name} --quick --out runs/{self.name}"
        sets = "".join(f" --set {key}={value}" for key, value in self.settings.items())
        return f"mtjhw run {self.name} --bench {self.bench} --out runs/{self.name} --seed {SEED}{sets}"


@dataclass
class Result:
    """What an item's run gave: the plot, (name, value) rows, a one-line description and the seconds it took."""

    item: Item
    plot: Path
    rows: list[tuple[str, str]]
    description: str
    seconds: float


def items() -> list[Item]:
    """Every registered procedure (as :data:`PROCEDURE_RUNS` runs it) and every reproduction, in run order."""
    from mtjhw.reproduce import REPRODUCTIONS

    return ([Item("procedure", name, bench, settings) for name, (bench, settings) in PROCEDURE_RUNS.items()]
            + [Item("reproduction", name) for name in REPRODUCTIONS])


def run_item(item: Item, folder: Path) -> Result:
    """Run ``item`` into ``folder`` (emptied first); raises RuntimeError when it did not give its result."""
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    plot, rows, description = (_run_procedure if item.kind == "procedure" else _run_reproduction)(item, folder)
    if not plot.is_file():
        raise RuntimeError(f"no plot {plot}")
    return Result(item, plot, rows, description, time.perf_counter() - start)


def _run_procedure(item: Item, folder: Path) -> tuple[Path, list[tuple[str, str]], str]:
    from mtjhw.bench import Bench
    from mtjhw.cli import summary_lines
    from mtjhw.config import BenchConfig
    from mtjhw.runner import procedure_class, run_procedure

    cls = procedure_class(item.name)
    with Bench.open(BenchConfig.load(ROOT / item.bench), seed=SEED) as bench:
        outcome = run_procedure(item.name, bench, folder, item.settings, progress=False, bench_file=item.bench,
                                database=False)
    analysis_error = json.loads(outcome.summary_file.read_text())["run"].get("analysis_error")
    if outcome.status != "finished" or analysis_error or not outcome.summary:
        raise RuntimeError(f"run {outcome.status}: {outcome.error or analysis_error or 'an empty summary'}")
    scalars = {k: v for k, v in outcome.summary.items() if isinstance(v, Real | str)}
    lines = [line.strip().split(" = ", 1) for line in summary_lines(scalars, cls.summary_keys)]
    rows = [(key, "not determined" if _undetermined(scalars[key]) else text) for key, text in lines]
    return outcome.plot_file, rows, _first_paragraph(cls.__doc__)


def _undetermined(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _run_reproduction(item: Item, folder: Path) -> tuple[Path, list[tuple[str, str]], str]:
    from mtjhw.reproduce import REPRODUCTIONS, run_reproduction

    report = run_reproduction(item.name, folder, quick=True, progress=False)
    first = ("metric", "value", "paper_value")
    rows = [(key, _number(report[key])) for key in first]
    rows += [(key, _number(value)) for key, value in report.items()
             if key not in (*first, "name", "paper", "dataset") and isinstance(value, Real | str)]
    paper = REPRODUCTIONS[item.name].paper
    return folder / "report.png", rows, f"{paper['metric']}, on {paper['dataset']}; {paper['reference']}"


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line, its reST literals and roles as Markdown code."""
    paragraph = " ".join(inspect.cleandoc(doc or "").split("\n\n")[0].split())
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", paragraph).replace("``", "`")


def run_all(gallery_items: list[Item], runs: Path, workers: int) -> list[Result]:
    """Run ``gallery_items`` on ``workers`` processes; raises ExtensionError naming every item that failed."""
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [(item, pool.submit(run_item, item, runs / item.slug)) for item in gallery_items]
        results, failures = [], []
        for item, future in futures:
            try:
                results.append(future.result())
            except Exception as exc:  # every failure is reported, each with its command
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                failures.append(f"{item.kind} {item.name} failed: {detail}\n    reproduce: {item.command}")
    if failures:
        raise ExtensionError("gallery: " + "\n".join(failures))
    return results


def page(result: Result) -> str:
    """The MyST page of one gallery item."""
    item = result.item
    where = (f"on `{item.bench}` (seed {SEED})" if item.kind == "procedure" else "with `--quick`")
    table = "\n".join(f"| `{key}` | {_cell(value)} |" for key, value in result.rows)
    return (f"# {item.name}\n\n{result.description}\n\n![{item.name}]({item.slug}.png)\n\n"
            f"| {'summary' if item.kind == 'procedure' else 'report'} | value |\n|---|---|\n{table}\n\n"
            f"Run {where} at this build of the documentation, in {result.seconds:.1f} s. The same run:\n\n"
            f"```bash\n{item.command}\n```\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def grid(results: list[Result]) -> str:
    """The cards of every item (thumbnail, link) and the hidden toctree of their pages, by kind."""
    parts = []
    for kind, title in (("procedure", "Procedures"), ("reproduction", "Reproductions")):
        chosen = [r for r in results if r.item.kind == kind]
        cards = "".join(f":::{{grid-item-card}} {r.item.name}\n:link: generated/{r.item.slug}\n:link-type: doc\n"
                        f":img-top: generated/{r.item.slug}.png\n:::\n\n" for r in chosen)
        parts.append(f"## {title}\n\n::::{{grid}} 1 2 3 3\n:gutter: 2\n\n{cards}::::\n")
    toc = "\n".join(f"generated/{r.item.slug}" for r in results)
    return "\n".join(parts) + f"\n```{{toctree}}\n:hidden:\n\n{toc}\n```\n"


def write_pages(results: list[Result], folder: Path) -> None:
    """Replace ``folder`` with one page and one plot per result and the grid."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for result in results:
        shutil.copyfile(result.plot, folder / f"{result.item.slug}.png")
        (folder / f"{result.item.slug}.md").write_text(page(result), encoding="utf-8")
    (folder / "grid.txt").write_text(grid(results), encoding="utf-8")


def _skipped(folder: Path, reason: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "grid.txt").write_text(f"```{{note}}\nThe gallery was not built: {reason}.\n```\n", encoding="utf-8")


def build_gallery(app: Sphinx) -> None:
    """``builder-inited``: run the gallery for HTML builds; other builders (doctest) keep the pages there are."""
    mode = os.environ.get(ENV_VAR, "run")
    if mode not in ("run", "skip"):
        raise ExtensionError(f"{ENV_VAR}={mode!r}: expected 'skip' (or unset to run the gallery)")
    if mode == "skip":
        _skipped(GENERATED, f"{ENV_VAR}=skip")
        return
    if app.builder.format != "html":
        if not (GENERATED / "grid.txt").is_file():
            _skipped(GENERATED, f"the {app.builder.name} builder does not run it")
        return
    gallery_items = items()
    workers = min(len(gallery_items), os.cpu_count() or 1)
    start = time.perf_counter()
    results = run_all(gallery_items, Path(app.outdir).parent / "gallery-runs", workers)
    write_pages(results, GENERATED)
    log.info("gallery: %d items in %.0f s on %d processes", len(results), time.perf_counter() - start, workers)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_design")
    app.connect("builder-inited", build_gallery)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
