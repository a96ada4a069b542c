"""Analog front-end model for simulation: the array column, the integration capacitor, the comparator and the
TDC's delay line, driving the readout sequencer's ``taps_in`` with real delays.

When the sequencer closes the charge switch (clock edge 0), the capacitor ``capacitance`` (F) charges from
``v_supply`` (V) through the selected column's series resistance R (Ω, from the device physics); the comparator
fires when it crosses ``v_threshold`` plus its input noise (``v_noise`` V rms), after its own
``comparator_delay`` (s):  t = R·C·ln(V / (V − V_th − n)) + t_cmp. In calibration mode the stop comes from an
oscillator unrelated to the clock instead: a time uniform over ``calibration_span`` clock periods. The stop then
runs down :class:`~mtjhw.gateware.delay_line.DelayLineModel`'s chain; at every clock edge the model presents the taps
the flip-flops would sample, at the chain's present temperature and supply (``line.set_conditions``). Every
interval produced is logged (column, row mask, t) for the golden model.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mtjhw.simulators.physics.crossbar import CrossbarArray

from .delay_line import DelayLineModel

ColumnResistance = Callable[[int, int], float]


def series_columns(array: CrossbarArray, complement: CrossbarArray | None = None,
                   read_voltage: float = 0.0) -> ColumnResistance:
    """Column resistance (Ω) of a crossbar read as series columns: with ``complement`` (an XNOR pair) row i
    contributes its cell in ``array`` where the row mask's bit i is set and in ``complement`` where it is clear;
    without, only the rows whose bit is set are in the string. Cells at ``read_voltage`` (V)."""

    def resistance(column: int, row_mask: int) -> float:
        selected = np.array([(row_mask >> i) & 1 for i in range(array.rows)], dtype=bool)
        r = array.resistances(read_voltage)[:, column]
        total = float(r[selected].sum())
        if complement is not None:
            total += float(complement.resistances(read_voltage)[:, column][~selected].sum())
        return total

    return resistance


def xnor_pair_columns(array: CrossbarArray, read_voltage: float = 0.0) -> ColumnResistance:
    """Series-column resistance of an array storing each weight as a cell pair, columns 2j (w) and 2j+1 (¬w):
    output column j strings, row by row, the w cell where the row mask's bit is set and the ¬w cell where it is
    clear (XNOR of input and weight: a P cell where they agree)."""

    def resistance(column: int, row_mask: int) -> float:
        selected = np.array([(row_mask >> i) & 1 for i in range(array.rows)], dtype=bool)
        r = array.resistances(read_voltage)
        return float(np.where(selected, r[:, 2 * column], r[:, 2 * column + 1]).sum())

    return resistance


class AnalogFrontEnd:
    def __init__(self, column_resistance: ColumnResistance, line: DelayLineModel, capacitance: float = 1e-12,
                 v_supply: float = 1.0, v_threshold: float = 0.5, v_noise: float = 0.0,
                 comparator_delay: float = 0.0, calibration_span: int = 64,
                 rng: np.random.Generator | None = None) -> None:
        if not 0 < v_threshold < v_supply or capacitance <= 0 or v_noise < 0 or comparator_delay < 0:
            raise ValueError("need capacitance > 0, 0 < v_threshold < v_supply, v_noise >= 0, comparator_delay >= 0")
        self.column_resistance, self.line = column_resistance, line
        self.capacitance, self.v_supply, self.v_threshold = capacitance, v_supply, v_threshold
        self.v_noise, self.comparator_delay, self.calibration_span = v_noise, comparator_delay, calibration_span
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.log: list[tuple[int, int, float]] = []

    def charging_time(self, resistance: float) -> float:
        """Time (s) from closing the charge switch to the comparator edge, one noise draw included."""
        threshold = self.v_threshold + (self.v_noise * self.rng.standard_normal() if self.v_noise else 0.0)
        threshold = min(max(threshold, 1e-6 * self.v_supply), (1 - 1e-9) * self.v_supply)
        rc = resistance * self.capacitance
        return rc * math.log(self.v_supply / (self.v_supply - threshold)) + self.comparator_delay

    def interval(self, column: int, row_mask: int, calibrate: bool) -> float:
        if calibrate:
            t = float(self.rng.uniform(0.0, self.calibration_span * self.line.clock_period))
            t = max(t, 1e-15)
        else:
            t = self.charging_time(self.column_resistance(column, row_mask))
        self.log.append((column, row_mask, t))
        return t

    def intervals(self) -> np.ndarray:
        return np.array([t for _, _, t in self.log])

    async def drive(self, ctx, sequencer) -> None:
        """Background testbench (``add_testbench(..., background=True)``): watch ``charge``, present the
        sampled delay line on ``taps_in`` at every edge. ``sequencer`` has the sequencer's front-end ports."""
        period = self.line.clock_period
        edge, t = None, 0.0
        while True:
            await ctx.tick()
            if ctx.get(sequencer.charge):
                if edge is None:  # the charge switch closed at this edge: edge 0 of the measurement
                    edge = 0
                    t = self.interval(ctx.get(sequencer.column), ctx.get(sequencer.row_drive),
                                      bool(ctx.get(sequencer.calibration_stop)))
                edge += 1
                before = edge * period - t  # time from the stop to the next edge
                ctx.set(sequencer.taps_in, self.line.thermometer(before) if before >= 0 else 0)
            else:
                edge = None
                ctx.set(sequencer.taps_in, 0)
