"""Parameter recovery of switching-probability on random devices at 2.5 ns, 10 ns and 1 µs voltage pulses.

Each device is drawn (Δ 30–70, μ0Hk 0.05–0.15 T, Ic0 30–150 µA, TMR 0.8–2, R_P 2–10 kΩ, α 0.005–0.03, a loop
shift within ±3 mT), measured through the virtual instruments by the procedure (loop shift cancelled, resistances
of both states read at the pulse voltages) and fitted with τ0 as the bench's own zero-drive attempt time (what a
telegraph measurement or Brown's formula gives a lab; a τ0 off by ×2 moves Δ by about +11 % and Ic0 by −8 % at
1 µs). What the regime constrains must come back within 10 %: Δ and Ic0 (thermal), Ic0 and
τ* = τ_D·ln(π√Δ/2) (precessional), Δ there too when it is reported; or the run refuses with a reason. 1 ns is
below what the bench's pulse generator makes (2.5 ns) and is refused before any pulse.
"""

import math

import numpy as np
import pytest

from mtjhw.analysis.switching import PulseConductance, voltage_switching_probability
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure
from mtjhw.simulators.physics.tmr import resistance

WIDTHS = (2.5e-9, 1e-8, 1e-6)
READ = 0.02  # V, the procedure's default read bias
LIMIT = 1.5  # V, the bench's safety limit in this test
#: trials per amplitude, by width: 1σ of Δ ≈ 2.5 % and of Ic0 ≈ 1 % at 1 µs (thermal); of Ic0 ≈ 2–3 % and of τ*
#: ≈ 3–4 % at 2.5 and 10 ns (precessional, where Δ and Ic0 are strongly correlated), so 10 % is ≥ 2.5σ
TRIALS = {2.5e-9: 4000, 1e-8: 4000, 1e-6: 1200}


def draw(rng: np.random.Generator) -> dict[str, float]:
    return dict(delta=rng.uniform(30, 70), hk=rng.uniform(0.05, 0.15), ic0=rng.uniform(30e-6, 150e-6),
                tmr=rng.uniform(0.8, 2.0), r_p=rng.uniform(2e3, 10e3), alpha=rng.uniform(0.005, 0.03),
                h_offset=rng.uniform(-3e-3, 3e-3))


def config(device: dict[str, float], seed: int) -> BenchConfig:
    return BenchConfig.from_dict({"simulated": True, "seed": seed, "safety": {"max_voltage": LIMIT},
                                  "dut": {"model": "pmtj", "v_breakdown": 3.0, **device}})


def amplitude_window(device: dict[str, float], width: float, tau0: float) -> tuple[float, float]:
    """Pulse amplitudes (V) over which the device's P_sw runs from 3 % to 97 % (the experimenter's coarse scan)."""
    v = np.geomspace(0.05, 3.0, 40)
    g_p, g_ap = (1 / resistance(device["r_p"], device["tmr"], s, v, 0.5) for s in (1.0, -1.0))
    cond = PulseConductance(g_p, g_ap, READ, 1 / device["r_p"],
                            1 / float(resistance(device["r_p"], device["tmr"], -1.0, READ, 0.5)))
    p = voltage_switching_probability(v, np.full(v.size, width), cond, device["delta"], device["ic0"], tau0)
    return float(np.interp(0.03, p, v)) - READ, float(np.interp(0.97, p, v)) - READ


def recovered(summary: dict, device: dict[str, float], tau_d: float) -> dict[str, float]:
    """Relative error of each value the regime constrains (and of Δ where reported)."""
    truth = {"ic0": device["ic0"], "delta": device["delta"],
             "tau_star": tau_d * math.log(math.pi * math.sqrt(device["delta"]) / 2)}
    keys = ["delta", "ic0"] if summary["regime"] == "thermal" else ["ic0", "tau_star"]
    keys += ["delta"] if summary["regime"] == "precessional" and math.isfinite(summary["delta"]) else []
    return {k: summary[k] / truth[k] - 1 for k in keys}


def test_random_devices_recover_what_each_regime_constrains_or_refuse(tmp_path):
    rng = np.random.default_rng(2026)
    errors, refused, cases = [], [], 0
    for n in range(4):
        device = draw(rng)
        for width in WIDTHS:
            with Bench.open(config(device, seed=n)) as bench:
                physics = bench.virtual.dut.physics
                tau0, tau_d = float(physics.tau0[0]), float(physics.tau_d[0])
                lo, hi = amplitude_window(device, width, tau0)
                if lo > LIMIT - READ:
                    continue  # nothing switches within the safety limit: refused as "no switching" (other tests)
                cases += 1
                outcome = run_procedure("switching-probability", bench, tmp_path / f"{n}-{width:g}",
                                        {"width": width, "v_min": lo, "v_max": min(hi, LIMIT - READ),
                                         "amplitudes": 8, "trials": TRIALS[width], "wer_target": 1e-2, "tau0": tau0})
            if not outcome.summary:
                refused.append(outcome.error or "analysis refused")
                continue
            errors += [(n, width, key, e) for key, e in recovered(outcome.summary, device, tau_d).items()]
    within = [abs(e) <= 0.10 for *_x, e in errors]
    assert cases >= 8 and len(errors) >= 2 * (cases - len(refused))
    assert len(refused) <= cases // 3, refused
    assert np.mean(within) >= 0.95, [e for e, ok in zip(errors, within, strict=True) if not ok]


def test_a_pulse_shorter_than_the_generator_makes_is_refused(tmp_path):
    with Bench.open(config(draw(np.random.default_rng(1)), seed=1)) as bench, \
            pytest.raises(ValueError, match="width=1e-09: FloatParameter value is below the minimum"):
        run_procedure("switching-probability", bench, tmp_path, {"width": 1e-9, "v_min": 0.5, "v_max": 1.0})
