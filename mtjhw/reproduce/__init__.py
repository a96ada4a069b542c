"""Reproductions of the review's network results: ``mtjhw reproduce <name> --out DIR``.

Each writes ``report.json`` (at least ``metric``, ``value``, ``paper_value``, plus the paper, the settings, and
device-variation sweeps) and ``report.png`` into the output directory, our number beside the paper's.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor, SerialExecutor

from . import (
    all_spin_ann,
    cann_tracking,
    coupled_stno_vowels,
    dw_snn,
    forward_forward,
    jung_crossbar,
    mtj_kan,
    population_coding,
    rf_synapses,
    smtj_ann,
    smtj_reservoir_waves,
    smtj_rnn_recommender,
    stno_reservoir,
    sto_array_rc,
    stochastic_stdp_snn,
    zhao_letters,
)


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
    "dw-snn": Reproduction(dw_snn.reproduce_dw_snn, dw_snn.PAPER),
    "cann-tracking": Reproduction(cann_tracking.reproduce_cann_tracking, cann_tracking.PAPER),
    "smtj-reservoir-waves": Reproduction(smtj_reservoir_waves.reproduce_smtj_reservoir_waves,
                                         smtj_reservoir_waves.PAPER),
    "sto-array-rc": Reproduction(sto_array_rc.reproduce_sto_array_rc, sto_array_rc.PAPER),
    "all-spin-ann": Reproduction(all_spin_ann.reproduce_all_spin_ann, all_spin_ann.PAPER),
    "stochastic-stdp-snn": Reproduction(stochastic_stdp_snn.reproduce_stochastic_stdp_snn,
                                        stochastic_stdp_snn.PAPER),
    "forward-forward": Reproduction(forward_forward.reproduce_forward_forward, forward_forward.PAPER),
    "mtj-kan": Reproduction(mtj_kan.reproduce_mtj_kan, mtj_kan.PAPER),
    "rf-synapses": Reproduction(rf_synapses.reproduce_rf_synapses, rf_synapses.PAPER),
    "coupled-stno-vowels": Reproduction(coupled_stno_vowels.reproduce_coupled_stno_vowels, coupled_stno_vowels.PAPER),
    "smtj-ann": Reproduction(smtj_ann.reproduce_smtj_ann, smtj_ann.PAPER),
    "smtj-rnn-recommender": Reproduction(smtj_rnn_recommender.reproduce_smtj_rnn_recommender,
                                         smtj_rnn_recommender.PAPER),
}


def catalogue() -> list[str]:
    """One line per reproduction: name, the paper's value of its metric, the metric, our data set, the paper."""
    return [f"{name:<21} {paper_figure(r.paper['accuracy']):>8}  {r.paper['metric']}; on {r.paper['dataset']}\n"
            f"{'':<32}{r.paper['reference']}" for name, r in sorted(REPRODUCTIONS.items())]


def paper_figure(value: float | str) -> str:
    """A paper's value as listed: a fraction as a percentage, a number (a capacity, …) as it is, a claim measured
    in the run (``"> ESN-16"``) as written."""
    if isinstance(value, str):
        return value
    return f"{value:.2%}" if 0 <= value <= 1 else f"{value:g}"


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
    taken = inspect.signature(function).parameters
    refused = [option for option in options if option not in taken]
    if refused:
        raise ValueError(f"{name} takes no {', '.join(refused)} (it runs on {REPRODUCTIONS[name].paper['dataset']})")
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
