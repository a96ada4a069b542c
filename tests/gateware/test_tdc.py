"""TDC gateware against its golden model, monotonicity and LSB, and code-density calibration."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from mtjhw.gateware.calibration import code_density
from mtjhw.gateware.tdc import TDC, DelayLineModel, golden_codes

PERIOD = 10e-9  # 100 MHz


def simulate(tdc: TDC, line: DelayLineModel, intervals: np.ndarray) -> list[int]:
    """Run each interval through the gateware: start on an edge, the delay line sampled at every edge."""
    codes: list[int] = []

    async def testbench(ctx):
        ctx.set(tdc.codes.ready, 1)
        for t in intervals:
            ctx.set(tdc.start, 1)
            await ctx.tick()  # edge 0: the start
            ctx.set(tdc.start, 0)
            k = 1
            while True:
                before = k * PERIOD - t  # time from the stop to edge k (negative: not arrived yet)
                ctx.set(tdc.taps_in, line.thermometer(before) if before >= 0 else 0)
                await ctx.tick()
                if ctx.get(tdc.codes.valid):
                    codes.append(ctx.get(tdc.codes.payload))
                    break
                k += 1
            ctx.set(tdc.taps_in, 0)
            await ctx.tick()

    sim = Simulator(tdc)
    sim.add_clock(PERIOD)
    sim.add_testbench(testbench)
    sim.run()
    return codes


def test_gateware_equals_golden_model_on_random_intervals():
    rng = np.random.default_rng(7)
    line = DelayLineModel(16, PERIOD, nonuniformity=0.4, rng=rng)
    intervals = rng.uniform(0.3 * PERIOD, 12 * PERIOD, 60)
    assert simulate(TDC(taps=16), line, intervals) == golden_codes(intervals, line).tolist()


def test_codes_are_monotonic_with_the_configured_lsb():
    line = DelayLineModel(32, PERIOD, nonuniformity=0.3, rng=np.random.default_rng(1))
    t = np.linspace(0.05 * PERIOD, 20 * PERIOD, 20000)
    codes = golden_codes(t, line)
    assert np.all(np.diff(codes) >= 0)
    slope = np.polyfit(t, codes, 1)[0]
    assert 1 / slope == pytest.approx(PERIOD / 32, rel=0.01)  # LSB = T/taps
    assert simulate(TDC(taps=32), line, t[::2000]) == codes[::2000].tolist()


def test_calibration_recovers_an_injected_nonuniformity():
    rng = np.random.default_rng(3)
    line = DelayLineModel(16, PERIOD, nonuniformity=0.6, rng=rng)
    raw_dnl = line.delays / (PERIOD / 16) - 1
    assert np.max(np.abs(raw_dnl)) > 0.3  # a poor chain: uncalibrated codes are off by up to ~0.6 LSB
    hits = rng.uniform(0.0, 200 * PERIOD, 40_000)  # stops uncorrelated with the clock
    calibration = code_density(golden_codes(hits[hits > 0], line), 16, PERIOD)
    np.testing.assert_allclose(calibration.dnl, raw_dnl, atol=0.1)  # measured DNL = the injected one
    assert np.max(np.abs(calibration.widths - line.delays)) / calibration.lsb < 0.5  # DNL after calibration
    t = rng.uniform(PERIOD, 10 * PERIOD, 5000)
    calibrated_error = calibration.times(golden_codes(t, line)) - t
    raw_error = golden_codes(t, line) * calibration.lsb - t
    assert np.max(np.abs(calibrated_error)) < np.max(np.abs(raw_error))
    assert np.max(np.abs(calibrated_error)) / calibration.lsb < 1.0  # within a bin of the true time


def test_timeout_saturates_and_calibration_needs_enough_hits():
    line = DelayLineModel(8, PERIOD)
    assert simulate(TDC(taps=8, code_width=6), line, np.array([40 * PERIOD])) == [63]
    with pytest.raises(ValueError, match="at least 800 hits"):
        code_density(np.arange(10), 8, PERIOD)
