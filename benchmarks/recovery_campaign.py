"""Parameter-recovery campaign: seeded random devices through every characterisation procedure.

Each case draws a device with known parameters, measures it through the virtual instruments with the procedure,
fits, and compares every recovered value with the device's own: **within** tolerance (r_p, tmr 5 %, others 10 %),
**wrong** (a number outside tolerance: the failure a lab cannot forgive) or **refused** (a clear error instead of a
number). The issue-13 bar: ≥ 95 % within tolerance, no wrong numbers.

Run: ``python benchmarks/recovery_campaign.py [--devices 8] [--only rh-loop,...]`` (about 2 min per device on
2 cores for all cases).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure
from mtjhw.simulators.physics.constants import KB

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the recovery tests' device draws and benches
import tests.procedures.test_breakdown as breakdown  # noqa: E402
import tests.procedures.test_field_geometry as field_geometry  # noqa: E402
import tests.procedures.test_noise_psd as noise_psd  # noqa: E402
import tests.procedures.test_thermal_stability as thermal_stability  # noqa: E402

SAFETY = {"max_voltage": 0.8, "max_current": 1e-3, "max_field": 0.3, "field_ramp_rate": 1.0}
#: relative tolerance per recovered key (issue 13: r_p and tmr 5 %, others 10 %)
TIGHT = {"r_p": 0.05, "tmr": 0.05}
ETA = 10.0  #: s, the characteristic time to breakdown at the breakdown case's stress voltage


def _simulated(dut: dict[str, Any], seed: int) -> BenchConfig:
    return BenchConfig.from_dict({"name": "campaign", "simulated": True, "seed": seed, "safety": SAFETY, "dut": dut})


@dataclass(frozen=True)
class Case:
    """One procedure on random devices: ``draw(rng)`` → (dut, settings), ``truth(dut, bench)`` → {key: value},
    ``tune(truth)`` → settings a physicist would choose knowing roughly what the device is."""

    procedure: str
    draw: Callable[[np.random.Generator], tuple[dict[str, Any], dict[str, Any]]]
    truth: Callable[[dict[str, Any], Bench], dict[str, float]]
    tune: Callable[[dict[str, float]], dict[str, Any]] = lambda _truth: {}
    #: the bench for a device and a seed (default: the simulated pMTJ bench with the campaign's limits)
    bench: Callable[[dict[str, Any], int], BenchConfig] = _simulated


def _pmtj(rng: np.random.Generator) -> dict[str, float]:
    hk = rng.uniform(0.05, 0.12)
    return {"model": "pmtj", "r_p": rng.uniform(3000, 8000), "tmr": rng.uniform(0.8, 2.0), "hk": hk,
            "delta": rng.uniform(40, 55), "h_offset": rng.uniform(-0.1, 0.1) * hk, "tau0": 1e-9}


def _rh_loop(rng):
    dut = _pmtj(rng)
    return dut, {"sweep_rate": 0.1, "sweep_rates": 3, "loops": 4, "points": 101, "bias": 0.001, "nplc": 0.5,
                 "field_max": 1.25 * dut["hk"]}


def _rv_loop(rng):
    r_p, tmr, v_half = rng.uniform(2500, 10000), rng.uniform(0.8, 2.0), rng.uniform(0.3, 0.7)
    v_c = rng.uniform(0.35, 0.6)
    ic0 = v_c / (r_p * (1 + tmr / (1 + (v_c / v_half) ** 2)))  # an AP→P critical voltage inside the 0.8 V limit
    dut = {"model": "pmtj", "r_p": r_p, "tmr": tmr, "v_half": v_half, "delta": rng.uniform(35, 70), "ic0": ic0,
           "h_offset": 0.0, "tau0": 1e-9}
    return dut, {"v_max": 0.75, "points": 121, "loops": 3, "nplc": 0.1}


def _telegraph(rng):
    ic0 = rng.uniform(10e-6, 40e-6)
    dut = {"model": "smtj", "delta": rng.uniform(7, 10), "ic0": ic0, "tau0": 1e-9,
           "h_offset": rng.uniform(-0.002, 0.002)}
    return dut, {"currents": 4, "duration": 20e-3, "points": 2_000_000, "i_max": 0.15 * ic0}


def _st_fmr(rng):
    dut = {"model": "stno", "alpha": rng.uniform(0.005, 0.03), "mu0_meff": rng.uniform(0.7, 1.3),
           "dh0": rng.uniform(0.3e-3, 1.5e-3), "ms": rng.uniform(0.9e6, 1.3e6), "volume": rng.uniform(1e-23, 2.5e-23),
           "ref_angle": rng.uniform(0.6, 0.85) * math.pi, "eta": rng.uniform(0.4, 0.7),
           "r_p": rng.uniform(100.0, 400.0), "tmr": rng.uniform(0.6, 1.5)}
    return dut, {"frequencies": 5, "coarse_points": 40, "fine_points": 41}


def _sot(rng):
    hk, delta = rng.uniform(0.1, 0.3), rng.uniform(35, 70)
    volume = 2 * KB * 300.0 * delta / (1.0e6 * hk)  # Ms 1 MA/m, 1 nm free layer: the diameter that gives Δ
    dut = {"model": "sot-mtj", "hk": hk, "theta_sh": float(rng.choice([-1, 1]) * rng.uniform(0.1, 0.4)),
           "diameter": math.sqrt(4 * volume / (math.pi * 1.0e-9)), "h_x": rng.uniform(-0.01, 0.01),
           "alpha": float(np.exp(rng.uniform(np.log(0.005), np.log(0.05)))), "r_line": rng.uniform(100, 400)}
    return dut, {"fields": 6, "amplitudes": 25, "trials": 150, "line_resistance": dut["r_line"]}


def _own(keys: tuple[str, ...]) -> Callable[[dict[str, Any], Bench], dict[str, float]]:
    return lambda dut, _bench: {key: dut[key] for key in keys}


def _sot_truth(_dut, bench):
    device = bench.virtual.dut
    return {"ic0": device.critical_current(+1, -device.h_x), "hk": device.physics.params.hk, "delta": device.delta()}


def _hard_axis(rng):
    dut = field_geometry.random_device(rng, field_angle=math.pi / 2) | {"model": "pmtj"}
    return dut, {"field_max": 1.3 * dut["hk"], "points": 101}


def _astroid(rng):
    dut = field_geometry.random_device(rng)
    return dut | {"model": "pmtj"}, {"field_max": 0.75 * dut["hk"], "points": 61, "loops": 2, "delta": dut["delta"]} | \
        field_geometry.ANGLES


def _thermal_stability(rng):
    dut = thermal_stability.random_device(rng)
    return dut, thermal_stability.SETTINGS | {"field_max": 1.25 * dut["hk"]}


def _noise(rng):
    dut, _corner, _rms = noise_psd.random_device(rng)
    return noise_psd.PMTJ | dut, noise_psd.SCOPE_RUN | {"area": dut["area"]}


def _breakdown(rng):
    v_breakdown, gamma, beta = rng.uniform(1.1, 1.4), rng.uniform(15, 25), rng.uniform(1.5, 3.0)
    dut = {"model": "array", "rows": 16, "cols": 16, "v_breakdown": v_breakdown, "gamma_breakdown": gamma,
           "weibull_beta": beta}
    return dut, breakdown.CVS | {"v_stress": v_breakdown - math.log(ETA) / gamma}


CASES: dict[str, Case] = {
    "rh-loop": Case("rh-loop", _rh_loop, _own(("r_p", "tmr", "delta", "hk"))),
    "rv-loop": Case("rv-loop", _rv_loop, lambda d, _b: {"r_p": d["r_p"], "tmr": d["tmr"], "tmr_v_half": d["v_half"]}),
    "telegraph": Case("telegraph", _telegraph, _own(("delta", "ic0"))),
    "st-fmr": Case("st-fmr", _st_fmr, _own(("alpha", "mu0_meff", "dh0"))),
    "hard-axis": Case("hard-axis", _hard_axis, lambda d, _b: {
        "hk": d["hk"], "r_p": d["r_p"], "tmr": d["tmr"] / (1 + (0.01 / 0.5) ** 2)}),  # read at 10 mV, v_half 0.5 V
    "astroid": Case("astroid", _astroid, _own(("hk",)), bench=lambda d, seed: field_geometry.rotator_config(seed, **d)),
    "thermal-stability": Case("thermal-stability", _thermal_stability,
                              lambda d, _b: {"delta_ref": d["delta"], "hk_ref": d["hk"]},
                              bench=lambda d, _seed: thermal_stability.temperature_bench(**d)),
    "noise-psd": Case("noise-psd", _noise, lambda d, _b: {
        "hooge": d["hooge"], "rtn_corner_1": (d["rtn_rate_up"] + d["rtn_rate_down"]) / (2 * math.pi)}),
    "breakdown": Case("breakdown", _breakdown, lambda d, _b: {"beta": d["weibull_beta"], "eta": ETA},
                      bench=lambda d, seed: BenchConfig.from_dict({
                          "name": "campaign", "simulated": True, "seed": seed,
                          "safety": {"max_voltage": 2.5, "max_current": 2e-3}, "dut": d | {"seed": seed}})),
    "sot-switching": Case("sot-switching", _sot, _sot_truth, lambda t: {
        "current_min": 0.25 * t["ic0"], "current_max": t["ic0"], "reset_current": 0.7 * t["ic0"],
        "field_min": -0.3 * t["hk"], "field_max": 0.3 * t["hk"]}),
}


def run_case(case: Case, index: int, out: Path) -> list[tuple[str, str, float, float, float]]:
    """(key, verdict, recovered, its stated uncertainty, true) for one random device; verdict within|wrong|refused."""
    rng = np.random.default_rng([2026, index, sum(map(ord, case.procedure))])
    dut, settings = case.draw(rng)
    dut = {k: float(v) if isinstance(v, (float, np.floating)) else v for k, v in dut.items()}
    with Bench.open(case.bench(dut, index)) as bench:
        truth = case.truth(dut, bench)
        outcome = run_procedure(case.procedure, bench, out, settings | case.tune(truth))
    summary = outcome.summary or {}
    rows = []
    for key, true in truth.items():
        if key not in summary:
            rows.append((key, "refused", math.nan, math.nan, true))
            continue
        tolerance = TIGHT.get(key, 0.10)
        verdict = "within" if abs(summary[key] - true) <= tolerance * abs(true) else "wrong"
        rows.append((key, verdict, float(summary[key]), float(summary.get(f"{key}_err", math.nan)), true))
    if not summary:
        error = json.loads(outcome.summary_file.read_text())["run"].get("analysis_error") or outcome.error
        print(f"  {case.procedure} #{index}: refused: {error}", file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--only", default="", help="comma-separated procedures (default: all)")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(CASES)
    totals = {"within": 0, "wrong": 0, "refused": 0}
    print("| procedure | values | within | wrong | refused | s/device |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            counts = {"within": 0, "wrong": 0, "refused": 0}
            start = time.perf_counter()
            for index in range(args.devices):
                for key, verdict, got, err, true in run_case(CASES[name], index, Path(tmp) / f"{name}-{index}"):
                    counts[verdict] += 1
                    if verdict == "wrong":
                        print(f"  {name} #{index}: {key} = {got:.4g} ± {err:.2g}, true {true:.4g} "
                              f"({(got - true) / err:+.1f} σ)", file=sys.stderr)
            per_device = (time.perf_counter() - start) / args.devices
            n = sum(counts.values())
            print(f"| {name} | {n} | {counts['within']} | {counts['wrong']} | {counts['refused']} | {per_device:.1f} |",
                  flush=True)
            for verdict in totals:
                totals[verdict] += counts[verdict]
    n = sum(totals.values())
    print(f"\nwithin tolerance: {totals['within']}/{n} = {totals['within'] / n:.1%}; wrong numbers: {totals['wrong']}; "
          f"clear refusals: {totals['refused']}")
    return 0 if totals["within"] >= 0.95 * n and totals["wrong"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
