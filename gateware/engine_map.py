"""The training engine's host-side facts: where each parameter sits on the ``param_*`` ports, how many cycles a
step takes, and what a step leaves; plain Python (numpy), shared by :mod:`mtjhw.gateware.mlp_engine` and the host
classes that run on a PYNQ board without Amaranth. The cycle count is derived in ``mlp_engine``'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def layer_chunks(sizes: tuple[int, ...], lanes: int) -> list[int]:
    """Memory words per weight row, per layer."""
    return [-(-n_in // lanes) for n_in in sizes[:-1]]


def tree_levels(lanes: int) -> int:
    """Registered adder-tree levels that sum ``lanes`` products."""
    return (lanes - 1).bit_length()


def engine_cycles(sizes: tuple[int, ...], lanes: int, train: bool = True, measured: bool = False) -> int:
    """Clock cycles of one step, from the cycle after the last input beat to ``done`` (the module docstring
    derives them): forward passes R·W + 7 + T (+ 1 for the last layer), with ``train`` backward passes R·W + 6,
    and 1 to finish; a ``measured`` first layer costs 3 (4 when it is the last layer) instead of its pass."""
    words = [rows * c for rows, c in zip(sizes[1:], layer_chunks(sizes, lanes), strict=True)]
    forward = [n + 7 + tree_levels(lanes) for n in words]
    forward[-1] += 1
    if measured:
        forward[0] = 4 if len(words) == 1 else 3
    return sum(forward) + (sum(n + 6 for n in words) if train else 0) + 1


@dataclass(frozen=True)
class ParameterAddress:
    """Where a parameter sits on the engine's ``param_*`` ports."""

    layer: int
    row: int
    bias: bool
    word: int  # ``param_chunk``
    lane: int


def parameter_address(sizes: tuple[int, ...], lanes: int, layer: int, row: int, column: int) -> ParameterAddress:
    """The port address of weight (``row``, ``column``) of ``layer``; column n_in is the row's bias."""
    if not (0 <= layer < len(sizes) - 1 and 0 <= row < sizes[layer + 1] and 0 <= column <= sizes[layer]):
        raise IndexError(f"no parameter (layer {layer}, row {row}, column {column}) in a {sizes} network")
    bias = column == sizes[layer]
    word, lane = (0, 0) if bias else divmod(column, lanes)
    return ParameterAddress(layer, row, bias, word, lane)


def parameter_addresses(sizes: tuple[int, ...], lanes: int):
    """(layer, row, column, address) of every parameter, layer by layer, each row's weights then its bias."""
    for layer, (n_in, rows) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        for row in range(rows):
            for column in range(n_in + 1):
                yield layer, row, column, parameter_address(sizes, lanes, layer, row, column)


@dataclass
class StepResult:
    """What a step leaves in the engine."""

    outputs: np.ndarray  # output activations (Q format integers)
    prediction: int
    cycles: int  # engine cycles, last input beat to done
