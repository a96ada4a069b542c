"""Every registered source-meter model measures the same device alike: rh-loop, rv-loop and switching-probability
on one simulated bench per model (the same DUT, seed and other instruments), compared with the Keithley 2450's.

Models are found in the registry by their ``smu`` role: a new SMU joins this test by registering. Resistances and
TMR agree within 2 % (of each other and of the device's own), switching voltages and currents within three
combined standard errors of the two results.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest

from mtjhw.bench import Bench, BenchConfig
from mtjhw.bench_schema import DEFAULT_SIMULATED_INSTRUMENTS
from mtjhw.registry import REGISTRY
from mtjhw.runner import run_procedure

REFERENCE = "keithley2450"
MODELS = sorted(name for name, entry in REGISTRY.items() if "smu" in entry.roles and name != REFERENCE)
SAFETY = {"max_voltage": 0.8, "max_current": 1e-3, "max_field": 0.3, "field_ramp_rate": 1.0}
DUT = {"model": "pmtj", "r_p": 5000.0, "tmr": 1.2, "hk": 0.08, "h_offset": 0.0, "delta": 45.0, "ic0": 60e-6,
       "tau0": 1e-9}
#: short runs: no loop shift to measure and cancel; bursts of at most 1000 triggered readings (100 trials, then one
#: tenfold block at WER 1e-2), within every model's reading buffer (the 2400's holds 2500)
PROCEDURES = {"rh-loop": {}, "rv-loop": {"v_max": 0.8, "loops": 8},
              "switching-probability": {"amplitudes": 6, "trials": 100, "wer_target": 1e-2, "field": 0.0}}
#: results compared within their standard errors (``<key>_err``), by procedure
WITH_ERRORS = {"rv-loop": ("v_sw_p_to_ap", "v_sw_ap_to_p", "i_sw_p_to_ap", "i_sw_ap_to_p"),
               "switching-probability": ("i50", "ic0")}


def bench_config(smu: str) -> BenchConfig:
    """The default simulated bench (without its scope) with ``smu`` as the source-meter."""
    instruments = {role: spec for role, spec in DEFAULT_SIMULATED_INSTRUMENTS.items() if role != "scope"}
    return BenchConfig.from_dict({"name": f"smu-{smu}", "simulated": True, "seed": 3, "safety": SAFETY, "dut": DUT,
                                  "instruments": {**instruments, "smu": {"driver": smu}}})


@functools.cache
def summaries(smu: str, folder: Path) -> dict[str, dict]:
    """Each procedure's summary on the bench of ``smu``."""
    results = {}
    for name, settings in PROCEDURES.items():
        with Bench.open(bench_config(smu)) as bench:
            outcome = run_procedure(name, bench, folder / smu / name, settings)
        assert outcome.status == "finished", f"{smu} {name}: {outcome.error}"
        results[name] = outcome.summary
    return results


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("source-meters")


def test_smu_models_are_found_by_role():
    assert "keithley2400" in MODELS and REFERENCE in REGISTRY


@pytest.mark.parametrize("smu", MODELS)
def test_every_source_meter_measures_the_device_alike(smu, folder):
    reference, results = summaries(REFERENCE, folder), summaries(smu, folder)
    for name in ("rh-loop", "rv-loop"):
        for key, truth in (("r_p", DUT["r_p"]), ("tmr", DUT["tmr"])):
            value = results[name][key]
            assert value == pytest.approx(reference[name][key], rel=0.02), f"{smu} {name} {key}"
            assert value == pytest.approx(truth, rel=0.02), f"{smu} {name} {key} against the device's own"
    for name, keys in WITH_ERRORS.items():
        for key in keys:
            ours, theirs = results[name], reference[name]
            error = math.hypot(ours[f"{key}_err"], theirs[f"{key}_err"])
            assert abs(ours[key] - theirs[key]) <= 3 * error, \
                f"{smu} {name} {key}: {ours[key]:.4g} vs {theirs[key]:.4g} ± {error:.2g} ({REFERENCE})"
