"""switching-probability parameter recovery on more random devices than the test runs (same draw, same rules).

Run from the repository root as ``python -m benchmarks.switching_recovery``. For ``--devices`` devices drawn as in
``tests/procedures/test_switching_recovery.py`` and pulses of 2.5 ns, 10 ns and 1 µs, runs the procedure through
the virtual bench and prints one line per (device, width): the regime, the relative error of each value the regime
constrains and its fitted 1σ, or the refusal; then the fraction of values within 10 % and the run time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from mtjhw.bench import Bench
from mtjhw.runner import run_procedure
from tests.procedures.test_switching_recovery import (
    LIMIT,
    READ,
    TRIALS,
    WIDTHS,
    amplitude_window,
    config,
    draw,
    recovered,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    errors, start = [], time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.devices):
            device = draw(rng)
            for width in WIDTHS:
                with Bench.open(config(device, seed=n)) as bench:
                    physics = bench.virtual.dut.physics
                    tau0, tau_d = float(physics.tau0[0]), float(physics.tau_d[0])
                    lo, hi = amplitude_window(device, width, tau0)
                    if lo > LIMIT - READ:
                        print(f"{n} {width:.3g} s: P_sw reaches 3 % only at {lo + READ:.2f} V, beyond the limit")
                        continue
                    outcome = run_procedure("switching-probability", bench, Path(folder) / f"{n}-{width:g}",
                                            {"width": width, "v_min": lo, "v_max": min(hi, LIMIT - READ),
                                             "amplitudes": 8, "trials": TRIALS[width], "wer_target": 1e-2,
                                             "tau0": tau0})
                s = outcome.summary
                if not s:
                    print(f"{n} {width:.3g} s: refused: {outcome.error or 'analysis refused'}")
                    continue
                found = recovered(s, device, tau_d)
                errors += list(found.values())
                print(f"{n} {width:.3g} s: {s['regime']}: " + ", ".join(
                    f"{k} {e:+.3f} (1σ {s[k + '_err'] / s[k]:.3f})" for k, e in found.items()))
    print(f"within 10 %: {np.mean(np.abs(errors) <= 0.1):.3f} of {len(errors)} values; "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
