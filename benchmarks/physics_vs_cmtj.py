"""Speed of the physics engine against cmtj (GPL, benchmark-only extra) and of event-driven vs time-stepped
telegraph switching, measured in one run on one machine.

Prints one line per comparison, ``<name>: <ratio>x`` (ours over the reference, higher is better), details
on stderr. Exits 1 when cmtj is not installed. Run: ``python benchmarks/physics_vs_cmtj.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from mtjhw.simulators.physics.brown import attempt_time, mean_dwell_time
from mtjhw.simulators.physics.constants import KB, MU0
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.telegraph import HysteresisDwellCounter, TelegraphMTJ, TelegraphParams

DT = 1e-12
# one CoFeB/MgO p-MTJ for both engines: Ms, thickness, diameter, Ku, thin-film demag, α, T, STT
MS, THICKNESS, DIAMETER, KU, ALPHA, TEMPERATURE, ETA = 1.0e6, 1.5e-9, 50e-9, 1.2e6, 0.01, 300.0, 0.6
CURRENT = 20e-6  # A, DC through the junction


def info(msg: str) -> None:
    print(msg, file=sys.stderr)


def ours(n: int) -> Macrospin:
    p = MacrospinParams(
        ms=MS,
        thickness=THICKNESS,
        diameter=DIAMETER,
        ku=KU,
        demag=(0, 0, 1),
        alpha=ALPHA,
        temperature=TEMPERATURE,
        eta=ETA,
    )
    return Macrospin(p, n=n, m0=(0.1, 0.0, 0.995))


def cmtj_junction():
    import cmtj

    area = math.pi * DIAMETER**2 / 4
    demag = [cmtj.CVector(0, 0, 0), cmtj.CVector(0, 0, 0), cmtj.CVector(0, 0, 1)]
    layer = cmtj.Layer.createSTTLayer(
        "free",
        cmtj.CVector(0.1, 0.0, 0.995),
        cmtj.CVector(0, 0, 1),
        MU0 * MS,
        THICKNESS,
        area,
        demag,
        damping=ALPHA,
        SlonczewskiSpacerLayerParameter=1.0,
        beta=0.0,
        spinPolarisation=ETA,
    )
    layer.setReferenceLayer(cmtj.CVector(0, 0, 1))
    layer.setAnisotropyDriver(cmtj.constantDriver(KU))
    layer.setTemperatureDriver(cmtj.constantDriver(TEMPERATURE))
    j = cmtj.Junction([layer], 5000.0, 11000.0)
    j.setLayerCurrentDriver("free", cmtj.constantDriver(CURRENT / area))
    return j


def cmtj_rate(n_junctions: int, duration: float) -> float:
    """cmtj junction-steps per second (Heun, dt = 1 ps, log every 1 ns), junctions run one after another."""
    import cmtj

    junctions = [cmtj_junction() for _ in range(n_junctions)]
    t0 = time.perf_counter()
    for j in junctions:
        j.runSimulation(duration, DT, 1e-9, solverMode=cmtj.SolverMode.Heun)
    return n_junctions * duration / DT / (time.perf_counter() - t0)


def our_rate(n_junctions: int, duration: float) -> float:
    mag = ours(n_junctions)
    drive = Drive(current=Waveform(dc=CURRENT))
    rng = np.random.default_rng(1)
    mag.run(10 * DT, DT, drive=drive, rng=rng)  # compile / load the cached kernel
    t0 = time.perf_counter()
    mag.run(duration, DT, drive=drive, rng=rng, record_every=1000)
    return n_junctions * duration / DT / (time.perf_counter() - t0)


def best(f, repeats: int = 3) -> float:
    return max(f() for _ in range(repeats))


def telegraph(duration: float) -> None:
    """Δ = 5 superparamagnetic device: event-driven Néel–Brown vs time-stepped sLLGS over ``duration``."""
    delta, hk, alpha = 5.0, 0.1, 0.01
    volume = 2 * KB * TEMPERATURE * delta / (MS * hk)
    p = MacrospinParams(
        ms=MS,
        thickness=1e-9,
        diameter=math.sqrt(4 * volume / (math.pi * 1e-9)),
        hk=hk,
        alpha=alpha,
        temperature=TEMPERATURE,
    )
    mag = Macrospin(p, n=1)
    rng = np.random.default_rng(2)
    counter = HysteresisDwellCounter(1, DT, threshold=0.5)
    chunk = 1_000_000
    mag.run(10 * DT, DT, rng=rng)
    t_step = 0.0
    for _ in range(int(round(duration / DT)) // chunk):
        t0 = time.perf_counter()
        traj = mag.run(chunk * DT, DT, rng=rng, record_every=1)
        t_step += time.perf_counter() - t0
        counter.update(traj.m[..., 2])
    dwell_step = np.concatenate(counter.dwell_times())

    tau0 = float(attempt_time(delta, alpha, hk, threshold=0.5))
    dev = TelegraphMTJ(TelegraphParams(delta=delta, tau0=tau0, hk=hk), n=1)
    t_event = math.inf
    for seed in range(5):
        dev = TelegraphMTJ(TelegraphParams(delta=delta, tau0=tau0, hk=hk), n=1)
        t0 = time.perf_counter()
        rec = dev.advance(duration, np.random.default_rng(seed), record=True)
        t_event = min(t_event, time.perf_counter() - t0)
    dwell_event = np.concatenate(rec.dwell_times())
    exact = float(mean_dwell_time(delta, alpha, hk, 0.5))
    agree = abs(dwell_event.mean() / dwell_step.mean() - 1)
    info(
        f"telegraph Δ=5 over {duration * 1e3:g} ms: time-stepped {t_step:.1f} s "
        f"({dwell_step.size} dwells, mean {dwell_step.mean() * 1e9:.1f} ns), "
        f"event-driven {t_event * 1e3:.3f} ms "
        f"({dwell_event.size} dwells, mean {dwell_event.mean() * 1e9:.1f} ns), "
        f"exact first-passage {exact * 1e9:.1f} ns; means {agree:.1%} apart"
    )
    print(f"telegraph_event_vs_timestep: {t_step / t_event:.3g}x")
    print(f"telegraph_dwell_agreement_within_10pct: {'yes' if agree < 0.10 else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs (0.1 ms telegraph)")
    args = parser.parse_args()
    try:
        import cmtj  # noqa: F401
    except ImportError:
        print(
            "cmtj is not installed: pip install 'mtjhw[benchmark]' (cmtj is GPL, benchmark-only)",
            file=sys.stderr,
        )
        return 1
    info(f"numba threads: {__import__('numba').get_num_threads()}")
    ref1 = best(lambda: cmtj_rate(1, 100e-9))
    us1 = best(lambda: our_rate(1, 100e-9 if args.quick else 1e-6))
    info(f"single junction: ours {us1:.3g} steps/s, cmtj {ref1:.3g} steps/s")
    print(f"single_junction: {us1 / ref1:.3g}x")
    ref_n = cmtj_rate(1024, 2e-9 if args.quick else 10e-9)
    us_n = best(lambda: our_rate(1024, 5e-9 if args.quick else 20e-9))
    info(f"1024 junctions: ours {us_n:.3g} junction-steps/s, cmtj {ref_n:.3g} junction-steps/s")
    print(f"batch_1024_junctions: {us_n / ref_n:.3g}x")
    telegraph(0.1e-3 if args.quick else 1e-3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
