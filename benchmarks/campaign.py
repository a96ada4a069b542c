"""A wafer campaign (examples/campaign-wafer.yaml: R-H and R-V loop per die) on a row of the simulated wafer W7,
serially in this process and on a local Dask cluster of 2 workers: seconds per die and the speed-up, and whether
both give the same summary.csv. ``python benchmarks/campaign.py [--row 6] [--columns 4 11]``"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mtjhw.campaign.runner import run_campaign
from mtjhw.scaleout import SerialExecutor, executor

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def plan(folder: Path, row: int, columns: list[int]) -> Path:
    """The example campaign restricted to dies (``columns``, ``row``)."""
    text = (EXAMPLES / "campaign-wafer.yaml").read_text()
    for old, new in (("bench: simulated-wafer.yaml", f"bench: {EXAMPLES / 'simulated-wafer.yaml'}"),
                     ("dies: all", f"dies: {{rows: [{row}], columns: {columns}}}")):
        if old not in text:
            raise SystemExit(f"examples/campaign-wafer.yaml no longer says {old!r}: update this benchmark")
        text = text.replace(old, new)
    path = folder / "campaign.yaml"
    path.write_text(text)
    return path


def timed(file: Path, out: Path, pool) -> float:
    start = time.perf_counter()
    report = run_campaign(file, out, executor=pool, database=False, plots=False, quiet=True)
    if not report.complete:
        raise SystemExit(f"the campaign in {out} did not complete: {report.counts}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--row", type=int, default=6)
    parser.add_argument("--columns", type=int, nargs=2, default=(4, 11), metavar=("FIRST", "LAST"))
    args = parser.parse_args()
    columns = list(range(args.columns[0], args.columns[1] + 1))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        file = plan(folder, args.row, columns)
        (folder / "warm").mkdir()
        warm_file = plan(folder / "warm", args.row, columns[:2])
        warm = timed(warm_file, folder / "warm-serial", SerialExecutor())  # imports and compilation, this process
        serial = timed(file, folder / "serial", SerialExecutor())
        with executor(workers=2) as pool:
            timed(warm_file, folder / "warm-dask", pool)  # the same once per worker
            dask = timed(file, folder / "dask", pool)
        same = (folder / "serial" / "summary.csv").read_text() == (folder / "dask" / "summary.csv").read_text()
    dies = len(columns)
    print(f"{dies} dies × (rh-loop, rv-loop), warm-up {warm:.1f} s")
    print(f"serial: {serial:.1f} s ({serial / dies:.2f} s/die)")
    print(f"dask 2 workers: {dask:.1f} s ({dask / dies:.2f} s/die): speed-up {serial / dask:.2f}x; "
          f"summary.csv {'identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
