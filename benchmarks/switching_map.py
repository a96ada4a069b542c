"""Switching map throughput: 40 amplitudes × 1000 pulses, burst-buffered vs one SCPI round trip per pulse.

Both paths run the same virtual bench (SMU + pulse generator through the in-process VISA library). The
buffered path arms the source-meter's LogicTrigger model, fires one burst per amplitude and fetches all
readings in one transfer; the per-pulse path fires a one-trial burst and reads the SMU for every pulse. The
per-pulse path runs ``--per-pulse-trials`` trials (default 2000) and its rate is compared per trial.

Prints ``switching_map_seconds: <s>`` and ``buffered_vs_per_pulse: <ratio>x`` (goal ≥ 20x).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig

AMPLITUDES = np.linspace(0.3, 0.48, 40)
PERIOD, RESET_WIDTH, WIDTH = 300e-6, 10e-6, 1e-6


def open_bench() -> Bench:
    config = BenchConfig.from_dict({"simulated": True, "seed": 1, "safety": {"max_voltage": 0.8},
                                    "dut": {"model": "pmtj", "h_offset": 0.0}})
    bench = Bench.open(config)
    bench.smu.source_voltage_mode(1e-3, nplc=0.01)
    bench.smu.set_level(0.02)
    bench.smu.output_on()
    return bench


def buffered_map(bench: Bench, trials: int) -> np.ndarray:
    probabilities = []
    for amplitude in AMPLITUDES:
        bench.pulser.setup_pulse(2, -0.6, RESET_WIDTH, PERIOD, trials, 0.0)
        bench.pulser.setup_pulse(1, float(amplitude), WIDTH, PERIOD, trials, 30e-6)
        bench.smu.arm_triggered_readings(trials, 50e-6)
        bench.pulser.fire()
        v, i = bench.smu.fetch_readings(trials)
        probabilities.append(np.mean(v / i < 7400.0))
    return np.array(probabilities)


def per_pulse_map(bench: Bench, trials: int) -> np.ndarray:
    probabilities = []
    per_amplitude = max(1, trials // len(AMPLITUDES))
    for amplitude in AMPLITUDES:
        bench.pulser.setup_pulse(2, -0.6, RESET_WIDTH, PERIOD, 1, 0.0)
        bench.pulser.setup_pulse(1, float(amplitude), WIDTH, PERIOD, 1, 30e-6)
        switched = 0
        for _ in range(per_amplitude):
            bench.pulser.fire()
            v, i = bench.smu.measure()
            switched += v / i < 7400.0
        probabilities.append(switched / per_amplitude)
    return np.array(probabilities)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000, help="pulses per amplitude (buffered)")
    parser.add_argument("--per-pulse-trials", type=int, default=2000, help="pulses in all for the per-pulse path")
    args = parser.parse_args()
    with open_bench() as bench:
        start = time.perf_counter()
        p_buffered = buffered_map(bench, args.trials)
        t_buffered = time.perf_counter() - start
    with open_bench() as bench:
        start = time.perf_counter()
        p_single = per_pulse_map(bench, args.per_pulse_trials)
        t_single = time.perf_counter() - start
    per_trial_buffered = t_buffered / (len(AMPLITUDES) * args.trials)
    n_single = len(AMPLITUDES) * max(1, args.per_pulse_trials // len(AMPLITUDES))
    per_trial_single = t_single / n_single
    agreement = float(np.max(np.abs(p_buffered - p_single)))
    print(f"switching_map_seconds: {t_buffered:.3f}")
    print(f"per_pulse_seconds_per_trial: {per_trial_single:.3e}")
    print(f"max_probability_difference: {agreement:.3f}")
    print(f"buffered_vs_per_pulse: {per_trial_single / per_trial_buffered:.1f}x")


if __name__ == "__main__":
    main()
