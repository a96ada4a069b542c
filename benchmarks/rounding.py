"""Floor against nearest and stochastic rounding of the engine's SGD update, on the letter and the digits tasks.

Run as ``PYTHONPATH=. python benchmarks/rounding.py`` (``--quick`` for fewer seeds and epochs). Both tasks train
the engine's bit-exact golden model (:class:`~mtjhw.gateware.mlp_golden.GoldenMLP`, Q6.10), so the figures are
the gateware's:

* letters (``zhao-letters``, 9→4, lr_shift 4 as the reproduction uses, and 7, steps small against the LSB):
  epochs until 100 % on the held-out sensed letters, per seed;
* digits (scikit-learn 8×8 digits, 64→32→10, 16 lanes): test accuracy per epoch over a seeded 75/25 split; epochs
  to ``--target`` test accuracy and the final accuracy.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from mtjhw.gateware.mlp_golden import DEFAULT_FORMAT as FMT
from mtjhw.gateware.mlp_golden import ROUNDINGS, GoldenMLP
from mtjhw.networks.datasets import load_digits, split
from mtjhw.reproduce.zhao_letters import train as train_letters


def letters(rounding: str, seeds: int, max_epochs: int, lr_shift: int) -> tuple[list[int | None], float]:
    """Epochs to 100 % per seed (None: not within ``max_epochs``) and the mean final accuracy."""
    epochs, final = [], []
    for seed in range(seeds):
        sensitivity = 1 + 0.05 * np.random.default_rng(seed + 100).standard_normal(9)
        history = train_letters(sensitivity, 0.05, max_epochs, lr_shift=lr_shift, seed=seed, rounding=rounding)
        epochs.append(len(history) if history[-1] == 1.0 else None)
        final.append(history[-1])
    return epochs, float(np.mean(final))


def digits(rounding: str, seed: int, epochs: int, lr_shift: int) -> list[float]:
    """Test accuracy after each epoch of the 64→32→10 network."""
    images, labels = load_digits()
    rng = np.random.default_rng(seed)
    train, test = split(len(labels), 0.25, rng)
    x = FMT.quantize(images / 16.0)
    targets = np.where(np.eye(10, dtype=bool), int(FMT.quantize(0.95)), int(FMT.quantize(0.05)))
    model = GoldenMLP((64, 32, 10), FMT, lr_shift=lr_shift, seed=seed, rounding=rounding, lanes=16)
    model.seed_rounding(seed + 1)
    history = []
    for _ in range(epochs):
        for k in rng.permutation(train):
            model.step(x[k], targets[labels[k]])
        history.append(float(np.mean([model.predict(x[k]) == labels[k] for k in test])))
    return history


def first_reaching(history: list[float], target: float) -> int | None:
    return next((epoch + 1 for epoch, accuracy in enumerate(history) if accuracy >= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 letter seeds, 1 digits seed of 8 epochs")
    parser.add_argument("--target", type=float, default=0.9, help="digits test accuracy to reach")
    parser.add_argument("--lr-shift", type=int, default=3, help="digits learning rate 2^-lr_shift")
    args = parser.parse_args()
    letter_seeds, digit_seeds, digit_epochs = (3, 1, 8) if args.quick else (20, 3, 20)
    for lr_shift, rounding in itertools.product((4, 7), ROUNDINGS):
        epochs, final = letters(rounding, letter_seeds, 300, lr_shift)
        reached = [e for e in epochs if e is not None]
        print(f"letters lr_shift {lr_shift} {rounding:10s}: 100 % in {len(reached)}/{letter_seeds} seeds, median "
              f"{np.median(reached) if reached else float('nan'):.0f} epochs (each {sorted(reached)}), "
              f"final accuracy {100 * final:.1f} %")
    for rounding in ROUNDINGS:
        histories = [digits(rounding, seed, digit_epochs, args.lr_shift) for seed in range(digit_seeds)]
        to_target = [first_reaching(h, args.target) for h in histories]
        print(f"digits  {rounding:10s}: {100 * args.target:.0f} % test accuracy after {to_target} epochs, final "
              f"{', '.join(f'{100 * h[-1]:.1f}' for h in histories)} %, best "
              f"{', '.join(f'{100 * max(h):.1f}' for h in histories)} %")


if __name__ == "__main__":
    main()
