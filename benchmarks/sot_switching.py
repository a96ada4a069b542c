"""SOT-MTJ fast model against the compiled macrospin (and cmtj when installed), and sot-switching's parameter
recovery over random devices.

Sections (``--only NAME`` runs one): ``thresholds``: critical current vs in-plane field at T = 0 (slow current
ramps) from the macrospin, cmtj and Lee's formula, against the fast model; ``thermal``: I50 of pulses with 1 ns
edges at 300 K, fast model vs sLLGS, over α, h = H_x/Hk and widths; ``recovery``: the procedure on random
devices, the fraction whose Ic0, Hk and Δ come back within 10 %, and their pulls (recovered − true) / stated
error. Run: ``python benchmarks/sot_switching.py`` (about 15 min on 2 cores; ``--quick`` for a few minutes).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time

import numpy as np

from mtjhw.simulators.physics.constants import KB, MU0
from mtjhw.simulators.physics.macrospin import Drive, Macrospin, MacrospinParams, Waveform
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.sot import SOTJunction, SOTParams

EDGE = 1e-9  # s, linear rise and fall of the thermal-regime pulses


def info(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def macrospin_params(p: SOTParams, temperature: float, fl_ratio: float | np.ndarray = 0.0) -> MacrospinParams:
    return MacrospinParams(ms=p.ms, thickness=p.thickness, diameter=p.diameter, alpha=p.alpha, hk=p.hk,
                           temperature=temperature, theta_sh=p.theta_sh, sot_sigma=(0, 1, 0),
                           sot_cross_section=p.line_cross_section, sot_fl_ratio=fl_ratio)


def lee(h: float) -> float:
    """Lee et al. 2013: damping-like field (units of μ0Hk) at the critical current, 1/2 − h/√2."""
    return 0.5 - h / math.sqrt(2)


def macrospin_ramp(p: SOTParams, h: np.ndarray, beta: np.ndarray, a_start: np.ndarray) -> np.ndarray:
    """a_DL/μ0Hk at which the macrospin (T = 0, AP) first reaches m_z > 0 under a ramp of 0.1 % per 0.3 ns."""
    n = h.size
    m0 = np.column_stack([h + 1e-3, np.zeros(n), -np.sqrt(1 - h**2)])
    mag = Macrospin(macrospin_params(p, 0.0, beta), n=n, m0=m0)
    field = np.column_stack([h * p.hk, np.zeros((n, 2))])
    unit = p.hk / p.dl_field_per_ampere()  # A at a_DL = μ0Hk
    found = np.full(n, np.nan)
    for f in np.arange(0.8, 1.3, 0.001):
        mag.run(0.3e-9, 1e-12, drive=Drive(sot_current=Waveform(dc=f * a_start * unit), field_dc=field))
        found[(mag.m[:, 2] > 0) & np.isnan(found)] = f
    return found * a_start


def cmtj_ramp(p: SOTParams, h: float, beta: float, edge: float) -> float:
    """The same in cmtj (RK4, 0.2 ps; a ramp 0 → 1.3 μ0Hk over ``edge`` s), whose static SOT field is efficiency
    × current density (A/m per A/m²)."""
    import cmtj

    zero = [cmtj.CVector(0, 0, 0)] * 3
    efficiency = p.dl_field_per_ampere() * p.line_cross_section / MU0
    layer = cmtj.Layer.createSOTLayer("free", cmtj.CVector(h, 0, -math.sqrt(1 - h * h)), cmtj.CVector(0, 0, 1),
                                      MU0 * p.ms, p.thickness, math.pi * p.diameter**2 / 4, zero, damping=p.alpha,
                                      fieldLikeTorque=beta * efficiency, dampingLikeTorque=efficiency)
    layer.setAnisotropyDriver(cmtj.constantDriver(p.ms * p.hk / 2))
    layer.setReferenceLayer(cmtj.CVector(0, 1, 0))
    junction = cmtj.Junction([layer])
    j_unit = p.hk / p.dl_field_per_ampere() / p.line_cross_section
    junction.setLayerCurrentDriver("free", cmtj.ScalarDriver.getTrapezoidDriver(0.0, 1.3 * j_unit, 1e-9, edge, 5e-9))
    junction.setLayerExternalFieldDriver("free", cmtj.AxialDriver(cmtj.constantDriver(h * p.hk / MU0),
                                                                  cmtj.constantDriver(0), cmtj.constantDriver(0)))
    junction.runSimulation(1e-9 + edge, 2e-13, 1e-11, solverMode=cmtj.SolverMode.RK4)
    log = junction.getLog()
    t, mz = np.array(log["time"]), np.array(log["free_mz"])
    k = int(np.argmax(mz > 0))
    return (t[k] - 1e-9) / edge * 1.3 if mz[k] > 0 else float("nan")


def thresholds(quick: bool) -> None:
    p = SOTParams(alpha=0.05)
    cases = [(h, 0.0) for h in (0.0, 0.05, 0.1, 0.2, 0.3, 0.4)] + [(0.2, 0.5), (0.2, 1.0), (0.3, 0.3)]
    fast = np.array([SOTJunction(SOTParams(alpha=0.05, fl_ratio=b)).critical_current(STATE_AP, 1, h * p.hk)
                     * p.dl_field_per_ampere() / p.hk for h, b in cases])
    h, beta = np.array([c[0] for c in cases]), np.array([c[1] for c in cases])
    llg = macrospin_ramp(p, h, beta, fast)
    try:
        import cmtj  # noqa: F401

        reference = [cmtj_ramp(p, hh, b, 200e-9 if quick else 600e-9) for hh, b in cases]
    except ImportError:
        info("cmtj is not installed (pip install cmtj): its column is left out")
        reference = [float("nan")] * len(cases)
    print("| h = H_x/Hk | field-like ratio | fast model a_c/μ0Hk | Lee | macrospin ramp | cmtj ramp |")
    print("|---|---|---|---|---|---|")
    for (hh, b), a, m, c in zip(cases, fast, llg, reference, strict=True):
        lee_col = f"{lee(hh):.4f} ({lee(hh) / a - 1:+.1%})" if b == 0 else "—"
        print(f"| {hh:g} | {b:g} | {a:.4f} | {lee_col} | {m:.4f} ({m / a - 1:+.1%}) | {c:.4f} ({c / a - 1:+.1%}) |")


def i50(x: np.ndarray, p_sw: np.ndarray) -> float:
    k = int(np.argmax(p_sw >= 0.5))
    return float(np.interp(0.5, p_sw[k - 1:k + 1], x[k - 1:k + 1])) if k > 0 else float("nan")


def macrospin_p_sw(p: SOTParams, h: float, width: float, currents: np.ndarray, trials: int, seed: int) -> np.ndarray:
    """P_sw(AP → P) of the sLLGS at 300 K for pulses of ``width`` plateau and 1 ns linear edges."""
    current = np.repeat(currents, trials)
    mag = Macrospin(macrospin_params(p, 300.0), n=current.size, m0=(0, 0, -1))
    rng, field = np.random.default_rng(seed), (h * p.hk, 0.0, 0.0)
    mag.run(2e-9, 1e-12, drive=Drive(field_dc=field), rng=rng)
    rise = np.linspace(0.1, 1.0, 10)
    steps = [(f, EDGE / 10) for f in rise] + [(1.0, width)] + [(f, EDGE / 10) for f in rise[::-1]]
    for f, duration in steps:  # rise, plateau, fall
        mag.run(duration, 1e-12, drive=Drive(sot_current=Waveform(dc=f * current), field_dc=field), rng=rng)
    mag.run(5e-9, 1e-12, drive=Drive(field_dc=field), rng=rng)
    return (mag.m[:, 2] > 0).reshape(currents.size, trials).mean(axis=1)


def thermal(quick: bool) -> None:
    alphas, hs, widths = ((0.05,), (0.2,), (30e-9,)) if quick else ((0.01, 0.05), (0.1, 0.2, 0.3),
                                                                     (10e-9, 30e-9, 100e-9, 300e-9))
    print("| α | h | width | I50/Ic macrospin | fast | fast/macrospin | run time (sLLGS) |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for alpha in alphas:
        p = SOTParams(alpha=alpha)
        junction = SOTJunction(p)
        for h in hs:
            ic = junction.critical_current(STATE_AP, 1, h * p.hk)
            x = np.linspace(0.3, 1.0, 15)
            for width in widths:
                t0 = time.perf_counter()
                llg = i50(x, macrospin_p_sw(p, h, width, x * ic, 160, seed=1))
                elapsed = time.perf_counter() - t0
                rng = np.random.default_rng(2)
                fast = i50(x, np.array([np.mean([junction.evolve(STATE_AP, width + EDGE, rng, i_write=c,
                                                                 h_x=h * p.hk)[0] == STATE_P for _ in range(400)])
                                        for c in x * ic]))
                worst = max(worst, abs(fast / llg - 1))
                print(f"| {alpha:g} | {h:g} | {width * 1e9:g} ns | {llg:.3f} | {fast:.3f} | {fast / llg:.3f} | "
                      f"{elapsed:.0f} s |", flush=True)
    print(f"thermal_i50_worst_deviation: {worst:.1%}")


def random_device(rng: np.random.Generator) -> dict[str, float]:
    hk, delta, ms, thickness = rng.uniform(0.1, 0.3), rng.uniform(35, 70), 1.0e6, 1.0e-9
    volume = 2 * KB * 300.0 * delta / (ms * hk)
    return {"hk": hk, "theta_sh": float(rng.choice([-1, 1]) * rng.uniform(0.1, 0.4)),
            "diameter": math.sqrt(4 * volume / (math.pi * thickness)), "h_x": rng.uniform(-0.01, 0.01),
            "alpha": float(np.exp(rng.uniform(np.log(0.005), np.log(0.05)))), "r_line": rng.uniform(100, 400)}


def recovery(quick: bool) -> None:
    from mtjhw.bench import Bench
    from mtjhw.config import BenchConfig
    from mtjhw.runner import run_procedure

    rng, passed, n, pulls = np.random.default_rng(2026), 0, 4 if quick else 20, []
    safety = {"max_voltage": 0.8, "max_current": 1e-3, "max_field": 0.3, "field_ramp_rate": 1.0}
    for k in range(n):
        dut = random_device(rng)
        config = BenchConfig.from_dict({"name": "sot", "simulated": True, "seed": k, "safety": safety,
                                        "dut": {"model": "sot-mtj", **dut}})
        with Bench.open(config) as bench, tempfile.TemporaryDirectory() as out:
            device = bench.virtual.dut
            ic0 = device.critical_current(1, -device.h_x)
            truth = {"ic0": ic0, "hk": dut["hk"], "delta": device.delta()}
            settings = {"current_min": 0.25 * ic0, "current_max": 1.0 * ic0, "amplitudes": 25, "trials": 150,
                        "field_min": -0.3 * dut["hk"], "field_max": 0.3 * dut["hk"], "fields": 6,
                        "reset_current": 0.7 * ic0, "line_resistance": dut["r_line"]}
            t0 = time.perf_counter()
            outcome = run_procedure("sot-switching", bench, out, settings)
            elapsed = time.perf_counter() - t0
        s = outcome.summary
        errors = {key: s[key] / value - 1 for key, value in truth.items()} if s else {}
        pull = {key: (s[key] - value) / s[f"{key}_err"] for key, value in truth.items()} if s else {}
        pulls += list(pull.values())
        ok = bool(errors) and all(abs(e) < 0.1 for e in errors.values())
        passed += ok
        shown = ", ".join(f"{key} {e:+.1%} ({pull[key]:+.1f} σ)" for key, e in errors.items()) or \
            f"no summary ({outcome.error})"
        info(f"device {k}: Hk {dut['hk']:.3f} T, Δ {truth['delta']:.0f}, θ {dut['theta_sh']:+.2f}, "
             f"h_x {dut['h_x'] * 1e3:+.1f} mT, α {dut['alpha']:.3f}: {shown} ({elapsed:.0f} s){'' if ok else ' FAIL'}")
    print(f"recovery_within_10_percent: {passed}/{n}")
    if pulls:  # (recovered − true) / stated error: the errors cover the scatter when these stay within ±3
        print(f"recovery_pull_rms: {np.sqrt(np.mean(np.square(pulls))):.2f}; "
              f"recovery_pull_max: {np.max(np.abs(pulls)):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=("thresholds", "thermal", "recovery"))
    args = parser.parse_args()
    for name, section in (("thresholds", thresholds), ("thermal", thermal), ("recovery", recovery)):
        if args.only in (None, name):
            info(f"--- {name}")
            section(args.quick)


if __name__ == "__main__":
    main()
