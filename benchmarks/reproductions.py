"""How long each ``mtjhw reproduce`` run takes on this machine, full and ``--quick``, against a reference measured
in the same run: a plain float 64-256-10 perceptron trained 20 epochs on the 8×8 digits in numpy (what the
simplest software ceiling costs). Prints seconds, the ratio to the reference and each report's value beside its
paper's. ``python benchmarks/reproductions.py [--quick-only] [NAME ...]``"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from mtjhw.networks.datasets import load_digits
from mtjhw.reproduce import REPRODUCTIONS, run_reproduction


def reference_seconds(epochs: int = 20) -> float:
    """Seconds to train a float 64-256-10 tanh/softmax perceptron by minibatch SGD on the digits."""
    x, y = load_digits()
    x, onehot = x / 16.0, np.eye(10)[y]
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(0, 0.1, (64, 256)), rng.normal(0, 0.1, (256, 10))
    start = time.perf_counter()
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(len(x)), len(x) // 32):
            h = np.tanh(x[batch] @ w1)
            z = h @ w2
            p = np.exp(z - z.max(axis=1, keepdims=True))
            error = p / p.sum(axis=1, keepdims=True) - onehot[batch]
            w1 -= 0.05 * x[batch].T @ ((error @ w2.T) * (1 - h * h)) / len(batch)
            w2 -= 0.05 * h.T @ error / len(batch)
    return time.perf_counter() - start


def timed(name: str, quick: bool, folder: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    report = run_reproduction(name, folder / f"{name}-{'quick' if quick else 'full'}", quick=quick, progress=False)
    return time.perf_counter() - start, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="reproductions to time (default: all)")
    parser.add_argument("--quick-only", action="store_true", help="time only the --quick runs")
    args = parser.parse_args()
    unknown = set(args.names) - set(REPRODUCTIONS)
    if unknown:
        raise SystemExit(f"unknown reproduction(s) {', '.join(sorted(unknown))}; known: {', '.join(REPRODUCTIONS)}")
    reference = reference_seconds()
    print(f"reference: float 64-256-10 perceptron, 20 epochs on the digits: {reference:.2f} s")
    print(f"{'reproduction':<22} {'quick (s)':>9} {'full (s)':>9} {'full/ref':>9}  value (paper)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names or sorted(REPRODUCTIONS):
            quick, _ = timed(name, True, Path(tmp))
            if args.quick_only:
                print(f"{name:<22} {quick:9.1f} {'-':>9} {'-':>9}")
                continue
            full, report = timed(name, False, Path(tmp))
            print(f"{name:<22} {quick:9.1f} {full:9.1f} {full / reference:9.1f}  "
                  f"{report['value']:.4g} ({report['paper_value']:.4g})", flush=True)


if __name__ == "__main__":
    main()
