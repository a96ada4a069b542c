"""Carry-chain TDC on simulated 7-series delays: bin width, DNL/INL, single-shot precision, calibration over chain
lengths, drift, and the readout's resistance resolution.

Run as ``PYTHONPATH=. python benchmarks/tdc.py`` (a few seconds). The chain is
:meth:`~mtjhw.gateware.delay_line.DelayLineModel.carry_chain` (the PYNQ-Z2 default: 150 CARRY4, 600 taps, at
100 MHz), codes are the bit-exact :func:`~mtjhw.gateware.tdc.golden_codes`, calibration is code density from
stops uniform in time (``--hits`` per tap). DNL/INL are measured (from the calibration's hits) and compared with
the model's true bins. Single-shot precision is the standard deviation of one interval measured many times as
the difference of two asynchronous edges at random phase to the clock (two TDC readings, each calibrated),
averaged over intervals from 0.1 to 20 ns.
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np

from mtjhw.gateware.calibration import Calibration, ShortChainWarning, code_density
from mtjhw.gateware.delay_line import DelayLineModel
from mtjhw.gateware.tdc import golden_codes
from mtjhw.gateware.top import DEFAULT_CONFIG

PERIOD = 10e-9  # s, 100 MHz


def calibrate(line: DelayLineModel, hits: int, rng: np.random.Generator) -> Calibration:
    stops = rng.uniform(1e-15, 64 * PERIOD, hits * line.taps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortChainWarning)
        return code_density(golden_codes(stops, line), line.taps, PERIOD)


def precision(line: DelayLineModel, calibration: Calibration, rng: np.random.Generator,
              repeats: int = 4000) -> tuple[float, float]:
    """(mean, worst) standard deviation (s) of intervals measured between two asynchronous edges."""
    spreads = []
    for interval in np.linspace(0.1e-9, 20e-9, 25):
        first = rng.uniform(PERIOD, 50 * PERIOD, repeats)
        measured = [calibration.times(golden_codes(t, line, calibration.bins)) for t in (first, first + interval)]
        spreads.append(np.std(measured[1] - measured[0]))
    return float(np.mean(spreads)), float(np.max(spreads))


def report_chain(hits: int, rng: np.random.Generator) -> float:
    carry4s = DEFAULT_CONFIG.taps // 4
    line = DelayLineModel.carry_chain(carry4s, PERIOD, rng)
    calibration = calibrate(line, hits, rng)
    truth = line.bin_widths()
    print(f"chain: {carry4s} CARRY4, {line.taps} taps, {line.length * 1e9:.2f} ns ({line.length / PERIOD:.2f} "
          f"periods) at 25 °C, 1.0 V")
    print(f"bins per period: {calibration.bins} found by calibration, {truth.size} true")
    print(f"bin width: {calibration.lsb * 1e12:.1f} ps mean (LSB), {calibration.widths.max() * 1e12:.1f} ps widest, "
          f"{np.count_nonzero(calibration.widths == 0)} never hit")
    print(f"DNL: {calibration.dnl.min():+.2f} .. {calibration.dnl.max():+.2f} LSB measured "
          f"(true {truth.min() / calibration.lsb - 1:+.2f} .. {truth.max() / calibration.lsb - 1:+.2f})")
    inl = calibration.inl
    print(f"INL: {inl.min():+.2f} .. {inl.max():+.2f} LSB (range {np.ptp(inl):.2f})")
    error = np.sqrt(np.mean((calibration.widths - truth[:calibration.bins]) ** 2))
    print(f"bin widths measured vs true: {error * 1e12:.2f} ps rms ({hits} hits per tap)")
    mean, worst = precision(line, calibration, rng)
    raw = precision(line, Calibration.nominal(PERIOD, line.taps, calibration.bins), rng)[0]
    print(f"single-shot precision: {mean * 1e12:.1f} ps rms mean, {worst * 1e12:.1f} ps worst "
          f"(equal-bin table: {raw * 1e12:.1f} ps; LSB/sqrt(6) = {calibration.lsb / math.sqrt(6) * 1e12:.1f} ps)")
    return calibration.lsb


def report_lengths(hits: int, rng: np.random.Generator) -> None:
    print("chain length (periods) | CARRY4 | bins found / true | widths vs true (LSB, max) | short warning")
    for periods in (0.8, 1.0, 1.2, 1.6, 2.0):
        line = DelayLineModel.carry_chain(round(periods * PERIOD / 80e-12), PERIOD, rng)
        calibration = calibrate(line, hits, rng)
        truth = line.bin_widths()
        error = np.max(np.abs(calibration.widths - truth[:calibration.bins])) / calibration.lsb
        print(f"{line.length / PERIOD:.2f} | {line.taps // 4} | {calibration.bins} / {truth.size} | {error:.2f} | "
              f"{'yes' if calibration.short else 'no'}")


def report_drift(hits: int, rng: np.random.Generator) -> None:
    line = DelayLineModel.carry_chain(DEFAULT_CONFIG.taps // 4, PERIOD, rng)
    reference = calibrate(line, hits, rng)
    t = rng.uniform(PERIOD, 20 * PERIOD, 20_000)
    print("conditions | bins | LSB (ps) | rms error, 25 °C table (ps) | rms error, recalibrated (ps)")
    for temperature, voltage in ((0.0, 1.0), (25.0, 1.0), (85.0, 1.0), (25.0, 0.95), (25.0, 1.05)):
        line.set_conditions(temperature, voltage)
        fresh = calibrate(line, hits, rng)
        offset = line.thresholds.min()
        errors = [np.sqrt(np.mean((c.times(golden_codes(t, line, c.bins)) - t - offset) ** 2))
                  for c in (reference, fresh)]
        print(f"{temperature:.0f} °C, {voltage:.2f} V | {fresh.bins} | {fresh.lsb * 1e12:.1f} | "
              f"{errors[0] * 1e12:.0f} | {errors[1] * 1e12:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=1000, help="calibration hits per tap")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    lsb = report_chain(args.hits, rng)
    capacitance, v_supply, v_threshold = 1e-12, 1.0, 0.5  # AnalogFrontEnd's defaults
    delta_r = lsb / (capacitance * math.log(v_supply / (v_supply - v_threshold)))
    print(f"readout resolution: {delta_r:.1f} Ω per LSB (C = 1 pF, threshold V/2: t = R·C·ln 2)")
    report_lengths(args.hits, rng)
    report_drift(args.hits, rng)


if __name__ == "__main__":
    main()
