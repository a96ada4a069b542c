"""The DUT follows the sample stage a Lake Shore 336 heats, end to end: sot-switching and stno-spectrum runs at
two stage temperatures measure the shifts of I_c0, Δ, the oscillator's frequency and threshold that the
closed forms predict (Bloch's Ms(T), Callen–Callen Hk ∝ m^{n−1}, n = 2.5, T_C = 1000 K), and a DUT model that does
not follow the stage makes the controller's twin warn when a set point leaves the base."""

import math
import warnings

import pytest
from scipy.constants import e, hbar, k, mu_0, physical_constants

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.models import MODELS, build_dut
from mtjhw.simulators.instruments.lakeshore336 import LakeShore336

GAMMA = physical_constants["electron gyromag. ratio"][0]  # rad/(s·T)
SAFETY = {"max_voltage": 2.0, "max_current": 2.5e-3, "max_field": 0.3, "field_ramp_rate": 1.0,
          "max_temperature": 450.0}
STAGE = {"temperature": {"driver": "lakeshore336", "heater_range": "high"}}
SOT_BENCH = {"smu": {"driver": "keithley2450"}, "magnet": {"driver": "kepco-bop", "coil_constant": 0.03},
             "gaussmeter": {"driver": "lakeshore425"}, "pulser": {"driver": "keysight81160a"},
             "scope": {"driver": "keysight-dsox3000"}, **STAGE}
STNO_BENCH = {"smu": {"driver": "keithley2450"}, "magnet": {"driver": "kepco-bop", "coil_constant": 0.03},
              "gaussmeter": {"driver": "lakeshore425"}, "analyzer": {"driver": "keysight-n9010b"}, **STAGE}


def bloch(t, t_ref=300.0):
    """m = Ms(T)/Ms(t_ref), T_C = 1000 K."""
    return (1 - (t / 1000.0) ** 1.5) / (1 - (t_ref / 1000.0) ** 1.5)


def open_bench(dut: dict, instruments: dict) -> Bench:
    return Bench.open(BenchConfig.from_dict({"name": "stage", "simulated": True, "seed": 2, "safety": SAFETY,
                                             "dut": dut, "instruments": instruments}))


def soak(bench: Bench, kelvin: float) -> None:
    """The stage at ``kelvin`` K, held there for 10 time constants."""
    bench.temperature.set_temperature(kelvin)
    bench.temperature.wait_for_stable(0.01, 3600.0, 300.0)


def sot_expected(t: float) -> dict[str, float]:
    """I_c0 = e·Ms·μ0Hk·t_F·w·t_HM/(ħθ_SH) (a_DL = μ0Hk/2 at zero in-plane field) and Δ = Ms·μ0Hk·V/(2kBT) of the
    sot-mtj defaults given at 300 K."""
    ms, hk = 1.0e6 * bloch(t), 0.15 * bloch(t) ** 1.5
    return {"ic0": e * ms * hk * 1e-9 * 200e-9 * 5e-9 / (hbar * 0.3), "hk": hk,
            "delta": ms * hk * math.pi / 4 * (56e-9) ** 2 * 1e-9 / (2 * k * t)}


def test_sot_switching_measures_the_shift_of_a_heated_stage(tmp_path):
    """A device given at 300 K on a stage at 200 K, then heated to 300 K: I_c0 falls by m^n (19 %), Δ by
    m^n·T_ref/T (46 %); each run recovers its temperature's values, and the ratios the predicted shift."""
    summaries = {}
    with open_bench({"model": "sot-mtj", "temperature": 200.0, "t_ref": 300.0}, SOT_BENCH) as bench:
        for t in (200.0, 300.0):
            soak(bench, t)
            assert bench.virtual.dut.temperature == t
            ic0, hk = sot_expected(t)["ic0"], sot_expected(t)["hk"]
            outcome = run_procedure("sot-switching", bench, tmp_path / f"{t:g}K", {
                "current_min": 0.33 * ic0, "current_max": 0.99 * ic0, "reset_current": 0.79 * ic0,
                "field_min": -0.25 * hk, "field_max": 0.25 * hk, "fields": 4, "amplitudes": 21, "trials": 100})
            assert outcome.status == "finished", outcome.error
            summaries[t] = outcome.summary
    cold, hot = summaries[200.0], summaries[300.0]
    for t, s in summaries.items():
        assert s["ic0"] == pytest.approx(sot_expected(t)["ic0"], rel=0.10)
        for key in ("ic0", "delta"):  # Δ's error holds that of the fixed τ0 (3× either way)
            assert abs(s[key] - sot_expected(t)[key]) < 4 * s[f"{key}_err"]
    for key in ("ic0", "delta"):
        ratio = hot[key] / cold[key]
        error = ratio * math.hypot(hot[f"{key}_err"] / hot[key], cold[f"{key}_err"] / cold[key])
        predicted = sot_expected(300.0)[key] / sot_expected(200.0)[key]
        assert abs(ratio - predicted) < 3 * error
        assert abs(1 - predicted) > 3 * error  # a DUT that ignored the stage would fail


def stno_expected(t: float, field: float, zeta: float) -> dict[str, float]:
    """The stno defaults given at 300 K, at ``t`` K in ``field`` T: μ0Meff(T) = μ0Ms(T) − μ0Hk⊥·m^{n−1} (μ0Hk⊥ =
    μ0Ms − μ0Meff at 300 K); f0 = (γ/2π)√(μ0H(μ0H + μ0Meff)), I_th = 2eαMsV(μ0H + μ0Meff/2)/(ħη(−cos β)), and
    the generation frequency f0 + N·p0 at ``zeta`` I_th, p0 = (ζ − 1)/(ζ + Q), with the macrospin's
    2πN = −ω_M(ω_H + ω_M/4)/(ω_H + ω_M) and 1 + Q = ω_M(ω_M − 4ω_H)/(2ω0(2ω_H + ω_M))."""
    ms = 1.1e6 * bloch(t)
    meff = mu_0 * ms - (mu_0 * 1.1e6 - 1.0) * bloch(t) ** 1.5
    w_h, w_m = GAMMA * field, GAMMA * meff
    w0 = math.sqrt(w_h * (w_h + w_m))
    shift = -w_m * (w_h + w_m / 4) / (w_h + w_m) / (2 * math.pi)
    q = w_m * (w_m - 4 * w_h) / (2 * w0 * (2 * w_h + w_m)) - 1
    return {"f0": w0 / (2 * math.pi), "f_at_i_max": w0 / (2 * math.pi) + shift * (zeta - 1) / (zeta + q),
            "i_th": 2 * e * 0.01 * ms * 1.2e-23 * (field + meff / 2) / (hbar * 0.5 * -math.cos(0.6 * math.pi))}


def test_stno_spectrum_frequency_and_threshold_move_with_the_stage(tmp_path):
    """The stno given at 300 K on a stage heated to 400 K: its zero-power frequency falls 4 % with μ0Meff, its
    threshold 18 % with Ms and Meff, and the line at 1.4 I_th moves with both."""
    summaries, expected = {}, {}
    with open_bench({"model": "stno"}, STNO_BENCH) as bench:
        for t in (300.0, 400.0):
            soak(bench, t)
            i_th = stno_expected(t, 0.05, 1.0)["i_th"]
            outcome = run_procedure("stno-spectrum", bench, tmp_path / f"{t:g}K", {
                "field": 0.05, "i_min": 0.6 * i_th, "i_max": 1.4 * i_th, "currents": 14, "averages": 10,
                "f_start": 3.5e9, "f_stop": 7.5e9})
            assert outcome.status == "finished", outcome.error
            summaries[t], expected[t] = outcome.summary, stno_expected(t, bench.virtual.field, 1.4)
    for t, s in summaries.items():
        assert s["f0"] == pytest.approx(expected[t]["f0"], rel=1e-3)
        assert s["f_at_i_max"] == pytest.approx(expected[t]["f_at_i_max"], rel=5e-3)
        assert s["i_th"] == pytest.approx(expected[t]["i_th"], rel=0.01)
    for key, resolved in (("f0", 0.97), ("i_th", 0.9), ("f_at_i_max", 0.97)):
        ratio = summaries[400.0][key] / summaries[300.0][key]
        assert ratio == pytest.approx(expected[400.0][key] / expected[300.0][key], rel=5e-3)
        assert ratio < resolved  # a DUT that ignored the stage would fail


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_set_point_away_from_the_base_warns_for_a_dut_that_does_not_follow(model):
    bench = VirtualBench(build_dut({"model": model}))
    controller = LakeShore336(bench)
    follows = hasattr(type(bench.dut), "temperature")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for command in ("RANGE 1,3", "SETP 1,320", "SETP 1,330"):
            controller.handle(command)
        bench.advance(300.0)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if follows:
        assert messages == [] and bench.dut.temperature == pytest.approx(330.0, abs=1e-3)
    else:
        assert len(messages) == 1 and "does not follow the stage temperature" in messages[0]
        assert "320 K" in messages[0] and "sot-mtj" in messages[0] and "stno" in messages[0]
