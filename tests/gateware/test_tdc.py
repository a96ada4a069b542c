"""TDC: the ones-counter on bubbly samples, gateware against its golden model, the carry-chain resolution,
code-density calibration over chains from 0.8 to 2 clock periods, with drift, and the chain's placement."""

import re
import warnings

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.sim import Simulator

from mtjhw.gateware.calibration import ShortChainWarning, code_density
from mtjhw.gateware.delay_line import CarryChainDelayLine, DelayLineModel, delay_scale, placement
from mtjhw.gateware.pynq_z2 import constraints
from mtjhw.gateware.tdc import TDC, OnesCounter, golden_codes
from mtjhw.gateware.top import TopConfig

PERIOD = 10e-9  # 100 MHz


def simulate(tdc: TDC, line: DelayLineModel, intervals: np.ndarray, bins: int | None = None) -> list[int]:
    """Run each interval through the gateware: start on an edge, the delay line sampled at every edge."""
    codes: list[int] = []

    async def testbench(ctx):
        ctx.set(tdc.codes.ready, 1)
        if bins is not None:
            ctx.set(tdc.bins, bins)
        for t in intervals:
            ctx.set(tdc.start, 1)
            await ctx.tick()  # edge 0: the start
            ctx.set(tdc.start, 0)
            k = 1
            while not ctx.get(tdc.codes.valid):
                before = k * PERIOD - t  # time from the stop to edge k (negative: not arrived yet)
                ctx.set(tdc.taps_in, line.thermometer(before) if before >= 0 else 0)
                await ctx.tick()
                k += 1
            codes.append(ctx.get(tdc.codes.payload))
            ctx.set(tdc.taps_in, 0)
            await ctx.tick()

    sim = Simulator(tdc)
    sim.add_clock(PERIOD)
    sim.add_testbench(testbench)
    sim.run()
    return codes


def hits(n: int, rng: np.random.Generator) -> np.ndarray:
    """Stops uncorrelated with the clock, spread over 64 periods."""
    return rng.uniform(1e-15, 64 * PERIOD, n)


def test_the_ones_counter_counts_a_full_chains_bubbly_samples():
    line = DelayLineModel.carry_chain(150, PERIOD, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    reordered = np.flatnonzero(np.diff(line.thresholds) < 0)  # tap i + 1 reads 1 before tap i
    taus = np.concatenate([(line.thresholds[reordered] + line.thresholds[reordered + 1]) / 2,
                           rng.uniform(0, line.length, 40)])
    samples = [line.thermometer(tau) for tau in taus]
    bubbly = [s for s in samples if s & (s + 1)]  # not of the form 0…01…1: a later tap read before an earlier one
    assert len(bubbly) > 10
    counter = OnesCounter(line.taps)
    counts = []

    async def testbench(ctx):
        for sample in samples + [0] * counter.latency:
            ctx.set(counter.bits, sample)
            await ctx.tick()
            counts.append(ctx.get(counter.count))

    sim = Simulator(counter)
    sim.add_clock(PERIOD)
    sim.add_testbench(testbench)
    sim.run()
    assert counts[counter.latency - 1:-1] == [bin(s).count("1") for s in samples]


@pytest.mark.parametrize("bins", [None, 21])
def test_gateware_equals_golden_model_on_random_intervals(bins):
    rng = np.random.default_rng(7)
    line = DelayLineModel.uniform(32, PERIOD, length=1.5, nonuniformity=0.4, rng=rng)
    intervals = rng.uniform(0.3 * PERIOD, 12 * PERIOD, 40)
    assert simulate(TDC(taps=32), line, intervals, bins) == golden_codes(intervals, line, bins).tolist()


def test_a_7_series_chain_resolves_under_30_ps_and_codes_are_monotonic():
    line = DelayLineModel.carry_chain(150, PERIOD, np.random.default_rng(3))
    assert line.length > 1.1 * PERIOD  # a chain longer than the period: its last taps are never used
    true_bins = line.bin_widths()
    assert true_bins.sum() == pytest.approx(PERIOD)
    lsb = PERIOD / true_bins.size
    assert 10e-12 < lsb <= 30e-12
    t = np.linspace(0.05 * PERIOD, 20 * PERIOD, 50_000)
    codes = golden_codes(t, line, bins=true_bins.size)
    assert np.all(np.diff(codes) >= 0)  # no bubble breaks monotonicity, no period boundary either
    assert 1 / np.polyfit(t, codes, 1)[0] == pytest.approx(lsb, rel=1e-3)


@pytest.mark.parametrize("periods", [0.8, 1.2, 1.6, 2.0])
def test_code_density_calibration_for_chains_from_08_to_2_periods(periods):
    rng = np.random.default_rng(int(10 * periods))
    carry4s = round(periods * PERIOD / 80e-12)  # 80 ps per CARRY4 on average
    line = DelayLineModel.carry_chain(carry4s, PERIOD, rng)
    truth = line.bin_widths()
    stops = hits(1000 * line.taps, rng)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calibration = code_density(golden_codes(stops, line), line.taps, PERIOD)
    short = [w for w in caught if issubclass(w.category, ShortChainWarning)]
    assert calibration.short == (periods < 1) == bool(short)
    if short:
        assert f"covers only {line.length / PERIOD:.0%}" in str(short[0].message)
    assert calibration.bins == truth.size  # the used length: taps beyond the period excluded, not failures
    share = truth / PERIOD
    assert np.all(np.abs(calibration.widths - truth) <= 4 * PERIOD * np.sqrt(share * (1 - share) / stops.size))
    t = rng.uniform(PERIOD, 10 * PERIOD, 20_000)
    error = calibration.times(golden_codes(t, line, calibration.bins)) - t - line.thresholds.min()
    fine = line.passed(np.ceil((t + line.thresholds.min()) / PERIOD) * PERIOD - t)
    statistics = 4 * PERIOD / (2 * np.sqrt(stops.size))  # 4σ of a bin edge's place from N hits, at worst
    assert np.all(np.abs(error) <= truth[fine - 1] / 2 + statistics)  # within its own bin, up to the statistics
    quantisation = np.sum(truth**3) / 12 / PERIOD  # mean square of a uniform error over each bin, bins weighted
    edges = PERIOD**2 / 6 / stops.size  # mean square error of the bin edges from N hits (binomial, over a period)
    assert np.sqrt(np.mean(error**2)) == pytest.approx(np.sqrt(quantisation + edges), rel=0.15)


def test_drift_shifts_the_bins_and_recalibration_restores_the_accuracy():
    assert delay_scale(35.0) == pytest.approx(1.025)  # 2.5 % per 10 K
    assert delay_scale(25.0, 1.01) < 1 < delay_scale(25.0, 0.99)  # faster with more supply
    rng = np.random.default_rng(11)
    line = DelayLineModel.carry_chain(150, PERIOD, rng)
    cold = code_density(golden_codes(hits(200 * line.taps, rng), line), line.taps, PERIOD)
    line.set_conditions(temperature=65.0, voltage=0.97)
    hot = code_density(golden_codes(hits(200 * line.taps, rng), line), line.taps, PERIOD)
    assert hot.bins == line.bin_widths().size
    assert hot.bins == pytest.approx(cold.bins / delay_scale(65.0, 0.97), rel=0.02)  # ~14 % slower, fewer bins
    t = rng.uniform(PERIOD, 10 * PERIOD, 5000)
    offset = line.thresholds.min()
    stale = cold.times(golden_codes(t, line, cold.bins)) - t - offset
    fresh = hot.times(golden_codes(t, line, hot.bins)) - t - offset
    assert np.max(np.abs(fresh)) < hot.widths.max()
    assert np.max(np.abs(stale)) > 10 * np.max(np.abs(fresh))


def test_timeout_saturates_and_bad_calibration_input_is_refused():
    line = DelayLineModel.uniform(8, PERIOD)
    assert simulate(TDC(taps=8, code_width=6), line, np.array([40 * PERIOD])) == [63]
    assert golden_codes(np.array([40 * PERIOD]), line, code_width=6).tolist() == [63]
    with pytest.raises(ValueError, match="at least 800 hits"):
        code_density(np.arange(10), 8, PERIOD)
    with pytest.raises(ValueError, match="non-negative"):
        code_density(np.array([-1]), 8, PERIOD)


def test_the_placement_constrains_every_sampling_flip_flop_the_verilog_holds():
    lines = placement(3, column=7)
    placed = {int(m[3]): (int(m[1]), m[2]) for m in
              (re.search(r"LOC SLICE_X7Y(\d+) BEL (\w)FF.*tap_(\d+)_reg", line) for line in lines) if m}
    assert placed == {4 * i + j: (i, "ABCD"[j]) for i in range(3) for j in range(4)}  # tap 4i+j in slice i
    assert "resize_pblock tdc_chain -add SLICE_X7Y0:SLICE_X7Y2" in lines
    assert any("LOC SLICE_X7Y0" in line and "carry4_0}" in line for line in lines)
    assert sum("ASYNC_REG TRUE" in line for line in lines) == 2  # both register stages
    exported = verilog.convert(CarryChainDelayLine(3), name="line")
    assert all(f"reg tap_{n} " in exported for n in placed) and "reg [11:0] taps " in exported
    assert all(f"CARRY4 carry4_{i} " in exported for i in range(3))
    assert "SLICE_X96Y149" in constraints(TopConfig())  # the default chain fills an xc7z020 column
    with pytest.raises(ValueError, match="do not fit the 150 slices"):
        constraints(TopConfig(taps=604))
