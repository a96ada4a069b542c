"""The fast event-driven model against the compiled sLLGS macrospin (and cmtj, when installed), many trials.

- I50 of current pulses at 1 ns, 10 ns, 100 ns and 1 µs (Δ 45, α 0.01, μ0Hk 0.2 T, 300 K): the macrospin's
  P_sw at seven currents around the fast model's I50, I50 by a logistic fit in ln I; the ratio.
- write-error rate vs width of a precessional pulse (I = 3 Ic0).
- mean dwell times of a Δ = 5 junction (α 0.2, μ0Hk 0.5 T) at three currents.
- mean coercive field of a field staircase at three sweep rates (Δ 30, α 0.1, μ0Hk 0.2 T).
- cmtj (GPL, ``pip install cmtj``; skipped when absent): I50/Ic0 at 1 ns and 10 ns, Ic0 being cmtj's own
  zero-temperature critical current (its current convention differs from ours by a constant factor).
- ``--procedure``: the switching-probability procedure through the virtual bench on both engines of the bench
  DUT (10 ns pulses, the raw P_sw per amplitude).

Prints ``<name>: <value>`` lines. Run: ``python benchmarks/fast_vs_macrospin.py [--trials N] [--procedure]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq, curve_fit

from mtjhw.simulators.physics.constants import KB, MU0
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.telegraph import ConstantDrive, HysteresisDwellCounter, TelegraphMTJ, TelegraphParams

T = 300.0
MS, THICKNESS = 1.0e6, 1e-9


def info(msg: str) -> None:
    print(msg, file=sys.stderr)


def device(delta: float, hk: float, alpha: float) -> tuple[MacrospinParams, TelegraphParams]:
    volume = 2 * KB * T * delta / (MS * hk)
    ms = MacrospinParams(ms=MS, thickness=THICKNESS, diameter=math.sqrt(4 * volume / (math.pi * THICKNESS)),
                         alpha=alpha, hk=hk, temperature=T)
    return ms, TelegraphParams(delta=delta, hk=hk, alpha=alpha, ic0=float(ms.ic0()))


def fast_probability(fast: TelegraphMTJ, width: float, current: float) -> float:
    laws, which = fast.switch_laws(STATE_AP, width, ConstantDrive(current), ConstantDrive())
    return laws[which[0]].probability


def fast_i50(fast: TelegraphMTJ, width: float, ic0: float) -> float:
    """The fast model's I50 (in Ic0) of a pulse of ``width`` s from rest."""
    return brentq(lambda i: fast_probability(fast, width, i * ic0) - 0.5, 0.2, 30.0, xtol=1e-5)


def i50_of(ratios: np.ndarray, p: np.ndarray) -> float:
    """I50 (same units as ``ratios``) from a logistic fit of P_sw in ln I."""
    def logistic(x, x50, s):
        return 1 / (1 + np.exp(-(x - x50) / s))
    (x50, _), _ = curve_fit(logistic, np.log(ratios), p, p0=(np.log(np.median(ratios)), 0.05))
    return float(np.exp(x50))


def pulses(trials: int) -> None:
    ms, params = device(45.0, 0.2, 0.01)
    fast = TelegraphMTJ(params)
    for width in (1e-9, 10e-9, 100e-9, 1e-6):
        t0 = time.perf_counter()
        i50 = fast_i50(fast, width, params.ic0)
        t_fast = time.perf_counter() - t0
        ratios = i50 * np.linspace(0.8, 1.2, 7)
        mag = Macrospin(ms, n=ratios.size * trials, m0=(0.0, 0.0, -1.0))
        rng = np.random.default_rng(11)
        t0 = time.perf_counter()
        mag.advance(10e-9, rng)
        mag.advance(width, rng, current=np.repeat(ratios, trials) * params.ic0)
        mag.advance(20e-9, rng)
        t_ms = time.perf_counter() - t0
        p = (mag.m[:, 2] > 0).reshape(ratios.size, trials).mean(axis=1)
        i50_ms = i50_of(ratios, p)
        info(f"width {width:g} s: fast I50 {i50:.4f} Ic0 ({t_fast * 1e3:.0f} ms); macrospin {i50_ms:.4f} Ic0 "
             f"({ratios.size * trials} junctions, {t_ms:.1f} s); P_sw macrospin {np.round(p, 3).tolist()}, fast "
             f"{[round(fast_probability(fast, width, r * params.ic0), 3) for r in ratios]}")
        print(f"i50_{width:g}s_fast_over_macrospin: {i50 / i50_ms:.4f}")


def wer_vs_width(trials: int) -> None:
    ms, params = device(45.0, 0.2, 0.01)
    fast = TelegraphMTJ(params)
    current = 3.0 * params.ic0
    widths = np.array([3.0, 4.0, 5.0, 6.0, 7.0]) * 1e-9
    mag = Macrospin(ms, n=widths.size * trials, m0=(0.0, 0.0, -1.0))
    rng = np.random.default_rng(12)
    mag.advance(10e-9, rng)
    delay = mag.time
    drive = Drive(current=Waveform(pulse_amplitude=current, pulse_width=np.repeat(widths, trials), pulse_delay=delay))
    mag.run(widths.max() + 20e-9, 1e-12, drive=drive, rng=rng)
    wer_ms = (mag.m[:, 2] < 0).reshape(widths.size, trials).mean(axis=1)
    wer_fast = [1 - fast_probability(fast, w, current) for w in widths]
    for w, a, b in zip(widths, wer_fast, wer_ms, strict=True):
        info(f"WER at 3 Ic0, {w * 1e9:.1f} ns: fast {a:.4g}, macrospin {b:.4g} ({trials} trials)")
    good = wer_ms > 10 / trials
    print(f"wer_fast_over_macrospin_geomean: {np.exp(np.mean(np.log(np.array(wer_fast)[good] / wer_ms[good]))):.3f}")


def dwell_times() -> None:
    ms, params = device(5.0, 0.5, 0.2)
    for i in (-0.15, 0.0, 0.15):
        current = i * params.ic0
        mag = Macrospin(ms, n=128, m0=(0.0, 0.0, 1.0))
        rng = np.random.default_rng(13)
        counter = HysteresisDwellCounter(128, 1e-12, threshold=0.5)
        for _ in range(400):
            counter.update(mag.run(5e-9, 1e-12, drive=Drive(current=Waveform(dc=current)), rng=rng,
                                   record_every=1).m[..., 2])
        dwell_p, dwell_ap = counter.dwell_times()
        r_p, r_ap = TelegraphMTJ(params).rates(current=current)
        info(f"Δ 5, I = {i:+.2f} Ic0: dwell P {dwell_p.mean() * 1e9:.2f} ns ({dwell_p.size}) vs fast "
             f"{1e9 / r_p[0]:.2f} ns; AP {dwell_ap.mean() * 1e9:.2f} ns ({dwell_ap.size}) vs {1e9 / r_ap[0]:.2f} ns")
        print(f"dwell_{i:+.2f}ic0_fast_over_macrospin: P {1 / r_p[0] / dwell_p.mean():.3f} "
              f"AP {1 / r_ap[0] / dwell_ap.mean():.3f}")


def coercivity() -> None:
    ms, params = device(30.0, 0.2, 0.1)
    step = 1e-3
    for rate in (2e4, 2e5, 2e6):
        rng = np.random.default_rng(14)
        mag = Macrospin(ms, n=256, m0=(0.0, 0.0, -1.0))
        fast = TelegraphMTJ(params, n=20000, state=STATE_AP)
        mag.advance(5e-9, rng)
        h_ms, h_fast = np.full(256, np.nan), np.full(20000, np.nan)
        field = 0.0
        while np.isnan(h_ms).any() or np.isnan(h_fast).any():
            field += step
            mag.advance(step / rate, rng, field=field)
            fast.advance(step / rate, rng, field=field)
            h_ms[np.isnan(h_ms) & (mag.m[:, 2] > 0.5)] = field
            h_fast[np.isnan(h_fast) & (fast.state == STATE_P)] = field
        info(f"sweep {rate:g} T/s: coercive field macrospin {h_ms.mean() * 1e3:.2f} ± "
             f"{h_ms.std() / 16 * 1e3:.2f} mT, fast {h_fast.mean() * 1e3:.2f} mT")
        print(f"hc_{rate:g}Tps_fast_minus_macrospin_mT: {(h_fast.mean() - h_ms.mean()) * 1e3:+.2f}")


def cmtj_i50(trials: int) -> None:
    try:
        import cmtj
    except ImportError:
        info("cmtj not installed: skipped (pip install cmtj)")
        return
    ms, params = device(45.0, 0.2, 0.01)
    area = float(ms.area)

    def run(density: float, width: float, temperature: float, seed: int, tilt: float = 0.0) -> float:
        layer = cmtj.Layer.createSTTLayer("free", cmtj.CVector(tilt, 0.0, -1.0), cmtj.CVector(0, 0, 1), MU0 * MS,
                                          THICKNESS, area, [cmtj.CVector(0, 0, 0)] * 3, damping=0.01,
                                          SlonczewskiSpacerLayerParameter=1.0, beta=0.0, spinPolarisation=0.6)
        layer.setReferenceLayer(cmtj.CVector(0, 0, 1))
        layer.setAnisotropyDriver(cmtj.constantDriver(0.2 * MS / 2))  # Ku = μ0Hk·Ms/2
        layer.setTemperatureDriver(cmtj.constantDriver(temperature))
        j = cmtj.Junction([layer], 5000.0, 11000.0)
        j.setLayerSeed("free", seed)
        j.setLayerCurrentDriver("free", cmtj.stepDriver(0.0, density, 10e-9, 10e-9 + width))
        j.runSimulation(10e-9 + width + 20e-9, 1e-12, 1e-9, solverMode=cmtj.SolverMode.Heun)
        return j.getLog()["free_mz"][-1]

    # cmtj's own Ic0: the smallest DC current density that switches at 0 K from a 0.05 rad tilt in 2 µs
    # (1 % above Ic0 takes about 1 µs), a current scale independent of our η and Sun's formula
    jc = brentq(lambda jd: run(jd, 2e-6, 0.0, 0, tilt=0.05), 5e9, 5e10, xtol=1e7)
    fast = TelegraphMTJ(params)
    for width in (1e-9, 10e-9):
        i50 = fast_i50(fast, width, params.ic0)
        ratios = i50 * np.linspace(0.8, 1.2, 5)
        t0 = time.perf_counter()
        p = np.array([np.mean([run(r * jc, width, T, 1000 * k + s) > 0 for s in range(trials)])
                      for k, r in enumerate(ratios)])
        i50_cmtj = i50_of(ratios, p)
        info(f"cmtj width {width:g} s: I50 {i50_cmtj:.4f} Ic0 (its Ic0 {jc * area * 1e6:.2f} µA vs Sun's "
             f"{params.ic0 * 1e6:.2f} µA; {ratios.size * trials} runs, {time.perf_counter() - t0:.0f} s), "
             f"fast {i50:.4f} Ic0; P_sw {np.round(p, 3).tolist()}")
        print(f"cmtj_i50_{width:g}s_fast_over_cmtj: {i50 / i50_cmtj:.4f}")


def procedure(trials: int) -> None:
    import pandas as pd

    from mtjhw.bench import Bench
    from mtjhw.config import BenchConfig
    from mtjhw.runner import run_procedure

    # field 0: no loop-shift R-H loop first (thermally activated at ms scales: beyond the sLLGS's reach)
    settings = {"width": 10e-9, "v_min": 0.8, "v_max": 1.1, "amplitudes": 4, "trials": trials,
                "wer_target": 0.1, "field": 0.0}
    out = {}
    for engine in ("fast", "macrospin"):
        config = BenchConfig.from_dict({"simulated": True, "seed": 3, "safety": {"max_voltage": 1.2},
                                        "dut": {"model": "pmtj", "h_offset": 0.0, "engine": engine}})
        t0 = time.perf_counter()
        out_dir = Path(tempfile.mkdtemp(prefix=f"fast_vs_macrospin_{engine}_"))
        with Bench.open(config) as bench:
            outcome = run_procedure("switching-probability", bench, out_dir, settings)
        data = pd.read_csv(out_dir / "data.csv", comment="#")
        out[engine] = data["Probability"].to_numpy()
        info(f"switching-probability on engine {engine}: {outcome.status}, P_sw {np.round(out[engine], 3).tolist()} "
             f"at {data['Amplitude (V)'].round(3).tolist()} V ({time.perf_counter() - t0:.0f} s)")
    print(f"procedure_max_p_difference: {np.max(np.abs(out['fast'] - out['macrospin'])):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400, help="macrospin trials per current")
    parser.add_argument("--procedure", action="store_true", help="also run the procedure on both engines")
    args = parser.parse_args()
    pulses(args.trials)
    wer_vs_width(5 * args.trials)
    dwell_times()
    coercivity()
    cmtj_i50(max(args.trials // 4, 40))
    if args.procedure:
        procedure(max(args.trials // 4, 40))


if __name__ == "__main__":
    main()
