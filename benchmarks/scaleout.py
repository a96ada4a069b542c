"""Scale-out on this machine: per-task overhead (no-op tasks) and the speed-up of HIL Monte Carlo trials on a
local Dask cluster of 2 workers, both against the serial run measured here. ``python benchmarks/scaleout.py``"""

from __future__ import annotations

import time

from mtjhw.hil.monte_carlo import monte_carlo
from mtjhw.scaleout import SerialExecutor, executor

NOOPS, TRIALS = 400, 16


def noop(item: int) -> int:
    return item


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    serial = SerialExecutor()
    noop_serial = seconds(lambda: serial.map(noop, range(NOOPS)))
    mc_serial = seconds(lambda: monte_carlo(TRIALS, array="domain-wall", executor=serial))
    print(f"serial: no-op {1e6 * noop_serial / NOOPS:.1f} µs/task, Monte Carlo {TRIALS} trials {mc_serial:.2f} s")
    for workers in (2,):
        with executor(workers=workers) as pool:
            pool.map(noop, range(workers))  # workers started
            monte_carlo(workers, array="domain-wall", executor=pool)  # imports and JIT once per worker
            noop_dask = seconds(lambda: pool.map(noop, range(NOOPS)))  # noqa: B023
            mc_dask = seconds(lambda: monte_carlo(TRIALS, array="domain-wall", executor=pool))  # noqa: B023
        print(f"dask {workers} workers: no-op {1e3 * noop_dask / NOOPS:.2f} ms/task "
              f"({noop_dask / noop_serial:.0f}x serial), Monte Carlo {mc_dask:.2f} s: "
              f"speed-up {mc_serial / mc_dask:.2f}x")


if __name__ == "__main__":
    main()
