"""Readout sequencer with the analog front-end model: codes against the golden model, physics and back-pressure;
the code converter's pipeline against its model behind a stalled FIFO."""

import numpy as np
import pytest
from amaranth import Module
from amaranth.lib import fifo
from amaranth.sim import Simulator

from mtjhw.gateware.afe import AnalogFrontEnd, series_columns
from mtjhw.gateware.calibration import code_density
from mtjhw.gateware.delay_line import DelayLineModel
from mtjhw.gateware.mlp_golden import DEFAULT_FORMAT
from mtjhw.gateware.readout import CodeConverter, ReadoutSequencer, golden_converted, golden_sweep
from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams

PERIOD = 10e-9


def sweep(sequencer, afe, row_masks, settle=3, ready_pattern=None, calibrate=False, bins=None):
    """Run one sweep per row mask; return the streamed (code, column, last) tuples per sweep."""
    sweeps = []

    async def host(ctx):
        rng = np.random.default_rng(0)
        ctx.set(sequencer.settle, settle)
        ctx.set(sequencer.calibrate, int(calibrate))
        if bins is not None:
            ctx.set(sequencer.bins, bins)
        for mask in row_masks:
            ctx.set(sequencer.row_mask, mask)
            ctx.set(sequencer.start, 1)
            await ctx.tick()
            ctx.set(sequencer.start, 0)
            got = []
            while True:
                ready = 1 if ready_pattern is None else int(rng.random() < ready_pattern)
                ctx.set(sequencer.codes.ready, ready)
                valid = ctx.get(sequencer.codes.valid)
                payload = ctx.get(sequencer.codes.payload)
                await ctx.tick()
                if valid and ready:
                    got.append((payload.code, payload.column, bool(payload.last)))
                    if payload.last:
                        break
            sweeps.append(got)
            ctx.set(sequencer.codes.ready, 0)
            while ctx.get(sequencer.busy):
                await ctx.tick()

    async def front_end(ctx):
        await afe.drive(ctx, sequencer)

    sim = Simulator(sequencer)
    sim.add_clock(PERIOD)
    sim.add_testbench(host)
    sim.add_testbench(front_end, background=True)
    sim.run()
    return sweeps


def make_array(rows, cols, seed, **params):
    rng = np.random.default_rng(seed)
    array = CrossbarArray(rows, cols, CrossbarParams(r_p=5e3, **params), rng)
    array.state[...] = np.where(rng.random((rows, cols)) < 0.5, 1, -1)
    return array


def test_streamed_codes_equal_the_golden_model_with_noise_and_back_pressure():
    rows, cols = 6, 5
    line = DelayLineModel.uniform(24, PERIOD, length=1.4, nonuniformity=0.4, rng=np.random.default_rng(1))
    afe = AnalogFrontEnd(series_columns(make_array(rows, cols, 2)), line, capacitance=0.2e-12, v_noise=0.02,
                         comparator_delay=1.3e-9, rng=np.random.default_rng(3))
    masks = [0b111111, 0b101010, 0b000111]
    sweeps = sweep(ReadoutSequencer(rows, cols, taps=24), afe, masks, ready_pattern=0.4, bins=17)
    intervals = afe.intervals().reshape(len(masks), cols)
    for got, measured in zip(sweeps, intervals, strict=True):
        assert got == golden_sweep(measured, line, bins=17)
    assert [column for column, _, _ in afe.log] == list(range(cols)) * len(masks)
    assert [mask for _, mask, _ in afe.log] == [m for m in masks for _ in range(cols)]


def test_codes_track_the_column_resistance():
    rows, cols = 4, 8
    array = make_array(rows, cols, 5, sigma_log_rp=0.0, sigma_tmr=0.0, tmr=1.0)
    array.state[...] = -1  # all AP ...
    for column in range(cols):  # ... then column c holds c mod (rows + 1) cells in P
        array.state[: column % (rows + 1), column] = 1
    line = DelayLineModel.uniform(24, PERIOD, length=1.5)  # 16 equal bins to a period, the rest never reached
    afe = AnalogFrontEnd(series_columns(array), line, capacitance=0.1e-12)
    (codes,) = sweep(ReadoutSequencer(rows, cols, taps=24), afe, [0b1111], bins=16)
    r_column = [sum(array.resistances()[:, c]) for c in range(cols)]
    # time = R·C·ln 2: with the period's bins as the code scale, the code is proportional to the column
    # resistance within one LSB
    expected = np.array(r_column) * 0.1e-12 * np.log(2) / (PERIOD / 16)
    assert np.max(np.abs(np.array([c for c, _, _ in codes]) - expected)) <= 1.0
    order = np.argsort(r_column, kind="stable")
    assert np.all(np.diff(np.array([c for c, _, _ in codes])[order]) >= 0)


def test_calibration_mode_feeds_code_density_calibration():
    line = DelayLineModel.uniform(12, PERIOD, length=1.6, nonuniformity=0.5, rng=np.random.default_rng(4))
    afe = AnalogFrontEnd(lambda column, mask: 1e3, line, calibration_span=8, rng=np.random.default_rng(6))
    sweeps = sweep(ReadoutSequencer(1, 100, taps=12), afe, [1] * 12, settle=0, calibrate=True)
    codes = np.array([code for s in sweeps for code, _, _ in s])
    calibration = code_density(codes, 12, PERIOD)
    truth = line.bin_widths()
    assert calibration.bins == truth.size < 12  # the taps past one period are never hit
    assert np.max(np.abs(calibration.widths - truth)) / calibration.lsb < 0.3


def test_an_empty_array_is_refused():
    with pytest.raises(ValueError, match="at least one row"):
        ReadoutSequencer(0, 3)


def converted(codes, params, offered, popped, depth=4):
    """Codes offered to a :class:`CodeConverter` with probability ``offered`` per cycle, its values into a FIFO of
    ``depth`` popped with probability ``popped``: the values popped, in order, and the cycles taken."""
    m = Module()
    m.submodules.converter = converter = CodeConverter(16, DEFAULT_FORMAT)
    m.submodules.queue = queue = fifo.SyncFIFOBuffered(width=DEFAULT_FORMAT.width, depth=depth)
    m.d.comb += [queue.w_data.eq(converter.values.payload), queue.w_en.eq(converter.values.valid),
                 converter.values.ready.eq(queue.w_rdy)]
    out, cycles = [], [0]

    async def testbench(ctx):
        rng = np.random.default_rng(11)
        for port, value in zip((converter.offset, converter.gain, converter.shift), params, strict=True):
            ctx.set(port, value)
        pending = list(codes)
        while len(out) < len(codes):
            offer = bool(pending) and rng.random() < offered
            ctx.set(converter.codes.valid, offer)
            ctx.set(converter.codes.payload, pending[0] if offer else 0)
            ctx.set(queue.r_en, rng.random() < popped)
            if offer and ctx.get(converter.codes.ready):
                pending.pop(0)
            if ctx.get(queue.r_en) and ctx.get(queue.r_rdy):
                out.append(ctx.get(queue.r_data.as_signed()))
            await ctx.tick()
            cycles[0] += 1

    sim = Simulator(m)
    sim.add_clock(PERIOD)
    sim.add_testbench(testbench)
    sim.run()
    return out, cycles[0]


@pytest.mark.parametrize("params", [(300, 45, 3), (40_000, -7, 0), (0, 32767, 31), (1000, -32768, 12)])
def test_the_converter_passes_every_code_once_in_order_through_a_stalled_fifo(params):
    codes = np.random.default_rng(5).integers(0, 1 << 16, 300)
    expected = golden_converted(codes, DEFAULT_FORMAT, *params)
    got, _ = converted(codes.tolist(), params, offered=0.7, popped=0.15)
    assert got == expected.tolist()


def test_the_converter_saturates_both_ways_and_takes_a_code_a_cycle():
    codes = np.random.default_rng(6).integers(0, 1 << 16, 200)
    params = (1 << 15, 300, 2)  # (code − 32768)·75 spans ±2.5e6, well past the Q format's ±32768
    expected = golden_converted(codes, DEFAULT_FORMAT, *params)
    assert {DEFAULT_FORMAT.low, DEFAULT_FORMAT.high} <= set(expected.tolist())  # both limits exercised
    got, cycles = converted(codes.tolist(), params, offered=1.0, popped=1.0)
    assert got == expected.tolist()
    assert cycles <= len(codes) + CodeConverter.LATENCY + 2  # no bubbles: a code a cycle once the pipeline is full
