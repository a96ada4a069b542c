"""Readout sequencer: column by column, discharge, charge through the selected column, time the comparator edge.

For each column of the array in turn the sequencer drives the column address and the row drive pattern (the
word lines selected, e.g. the input vector of an XNOR crossbar), keeps the integration capacitor discharged for
``settle`` cycles, then closes the charge switch on the same clock edge that starts the TDC. The capacitor
charges through the column's series resistance until the comparator fires; the comparator output runs down the
TDC's delay line, whose sampled taps arrive on ``taps_in``; ``bins`` (fine bins per clock period, from the
host's calibration) sets the TDC's code scale. Each code leaves on ``codes`` with its column and a
``last`` flag on the sweep's final column. With ``calibrate`` set the front end routes an oscillator unrelated to
the clock to the delay line instead of the comparator (stops uniform in time, for code-density calibration).

:func:`golden_sweep` is the bit-exact model: the codes a sweep streams for the intervals the front end produced.
:class:`CodeConverter` turns codes into the engine's fixed-point inputs, :func:`golden_converted` its model.
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, Mux, Signal, Value, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .delay_line import DelayLineModel
from .mlp_golden import FixedFormat
from .tdc import TDC, golden_codes


def code_layout(cols: int, code_width: int) -> data.StructLayout:
    return data.StructLayout({"code": code_width, "column": range(max(cols, 2)), "last": 1})


class ReadoutSequencer(wiring.Component):
    def __init__(self, rows: int, cols: int, taps: int = 32, code_width: int = 16) -> None:
        if rows < 1 or cols < 1:
            raise ValueError(f"need at least one row and one column, got {rows}×{cols}")
        self.rows, self.cols, self.taps, self.code_width = rows, cols, taps, code_width
        super().__init__({
            "start": In(1),
            "calibrate": In(1),
            "row_mask": In(rows),
            "settle": In(16),
            "bins": In(16, init=taps),
            "busy": Out(1),
            # to the analog front end
            "column": Out(range(max(cols, 2))),
            "row_drive": Out(rows),
            "charge": Out(1),
            "calibration_stop": Out(1),
            "taps_in": In(taps),
            # measured codes
            "codes": Out(stream.Signature(code_layout(cols, code_width))),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.tdc = tdc = TDC(self.taps, self.code_width)
        m.d.comb += [tdc.taps_in.eq(self.taps_in), tdc.bins.eq(self.bins)]
        settle = Signal(16)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [self.busy.eq(1), self.column.eq(0), self.row_drive.eq(self.row_mask),
                                 self.calibration_stop.eq(self.calibrate), settle.eq(0)]
                    m.next = "DISCHARGE"
            with m.State("DISCHARGE"):
                m.d.sync += settle.eq(settle + 1)
                with m.If(settle >= self.settle):
                    m.d.comb += tdc.start.eq(1)
                    m.d.sync += self.charge.eq(1)
                    m.next = "MEASURE"
            with m.State("MEASURE"):
                m.d.comb += tdc.codes.ready.eq(~self.codes.valid)
                with m.If(tdc.codes.valid & ~self.codes.valid):
                    m.d.sync += [self.codes.payload.code.eq(tdc.codes.payload),
                                 self.codes.payload.column.eq(self.column),
                                 self.codes.payload.last.eq(self.column == self.cols - 1),
                                 self.codes.valid.eq(1), self.charge.eq(0)]
                    m.next = "EMIT"
            with m.State("EMIT"):
                with m.If(self.codes.ready):
                    m.d.sync += [self.codes.valid.eq(0), settle.eq(0)]
                    with m.If(self.column == self.cols - 1):
                        m.d.sync += self.busy.eq(0)
                        m.next = "IDLE"
                    with m.Else():
                        m.d.sync += self.column.eq(self.column + 1)
                        m.next = "DISCHARGE"
        return m


def golden_sweep(intervals: np.ndarray, line: DelayLineModel, bins: int | None = None,
                 code_width: int = 16) -> list[tuple[int, int, bool]]:
    """(code, column, last) per column for the charging ``intervals`` (s) of one sweep, in column order, with
    ``bins`` per clock period (default: the taps)."""
    codes = golden_codes(intervals, line, bins, code_width)
    return [(int(code), column, column == len(codes) - 1) for column, code in enumerate(codes)]


class CodeConverter(wiring.Component):
    """x = sat(((code − offset)·gain) >> shift) in ``fmt``, a stream stage of :attr:`LATENCY` registers (subtract,
    multiply, shift, saturate) that passes one code a cycle. Each register loads when it is empty or its content
    moves on the same edge, so back-pressure on ``values`` stalls the pipeline without losing or repeating a
    code. ``offset``, ``gain`` and ``shift`` are held while codes flow."""

    LATENCY = 4

    def __init__(self, code_width: int, fmt: FixedFormat) -> None:
        self.fmt = fmt
        super().__init__({
            "offset": In(16),
            "gain": In(signed(16)),
            "shift": In(5),
            "codes": In(stream.Signature(code_width)),
            "values": Out(stream.Signature(signed(fmt.width))),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        fmt = self.fmt
        steps = [lambda code: (code - self.offset).as_signed(), lambda x: x * self.gain,
                 lambda x: x >> self.shift, lambda x: Mux(x > fmt.high, fmt.high, Mux(x < fmt.low, fmt.low, x))]
        valid, data, ready = self.codes.valid, self.codes.payload, self.codes.ready
        for i, step in enumerate(steps):
            valid, data, ready = self._stage(m, i, valid, step(data), ready)
        m.d.comb += [self.values.valid.eq(valid), self.values.payload.eq(data), ready.eq(self.values.ready)]
        return m

    @staticmethod
    def _stage(m: Module, i: int, valid: Value, data: Value, ready: Signal) -> tuple[Signal, Signal, Signal]:
        """A register for ``data``: it loads when empty or drained (``loads`` is the ``ready`` upstream); returns
        its valid, its data and the ready it waits on."""
        held_valid, held = Signal(name=f"valid_{i}"), Signal(data.shape(), name=f"data_{i}")
        drained, loads = Signal(name=f"drained_{i}"), Signal(name=f"loads_{i}")
        m.d.comb += [ready.eq(loads), loads.eq(~held_valid | drained)]
        with m.If(loads):
            m.d.sync += [held_valid.eq(valid), held.eq(data)]
        return held_valid, held, drained


def golden_converted(codes: np.ndarray, fmt: FixedFormat, offset: int, gain: int, shift: int) -> np.ndarray:
    """What :class:`CodeConverter` makes of ``codes``: sat(((code − offset)·gain) >> shift) in ``fmt``."""
    return fmt.saturate((np.asarray(codes, dtype=np.int64) - offset) * gain >> shift)
