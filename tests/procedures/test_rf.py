"""RF characterisation on the virtual bench: ST-FMR (with and without a DC bias) and STNO spectra recovery, the ST-FMR
line fits, injection locking at the bench, RF drivers and unit handling."""

import json
import logging
import math

import h5py
import numpy as np
import pytest
from pymeasure.test import expected_protocol
from scipy.optimize import brentq

from mtjhw.analysis import AnalysisError
from mtjhw.analysis.rf import fit_fmr_line, fit_oscillator_threshold
from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.rf_source import Agilent8257D, AnritsuMG3692C, KeysightN5183B, RangeError, RohdeSchwarzSMB100A
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.instruments.spectrum_analyzer import KeysightXSeries
from mtjhw.instruments.units import dbm_to_watts, watts_to_dbm
from mtjhw.procedures.st_fmr import StFmr
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench.devices import OscillatorDevice
from mtjhw.simulators.bench.rf import RfDrive
from mtjhw.simulators.physics.stno import STNO, STNOParams


def stno_bench(seed=1, **dut):
    return Bench.open(BenchConfig.from_dict({"simulated": True, "seed": seed, "dut": {"model": "stno", **dut}}))


@pytest.mark.parametrize("dut", [dict(alpha=0.01, mu0_meff=1.0, dh0=1e-3), dict(alpha=0.02, mu0_meff=0.8, dh0=0.5e-3)],
                         ids=["alpha0.01", "alpha0.02"])
def test_st_fmr_recovers_damping_and_meff(tmp_path, dut):
    with stno_bench(**dut) as bench:
        outcome = run_procedure("st-fmr", bench, tmp_path, {"frequencies": 5, "f_min": 5e9, "f_max": 10e9})
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["alpha"] == pytest.approx(dut["alpha"], rel=0.03)
    assert s["mu0_meff"] == pytest.approx(dut["mu0_meff"], rel=0.01)
    assert s["dh0"] == pytest.approx(dut["dh0"], abs=0.03e-3)  # no bias from the lineshape model
    assert s["skipped"] == 0 and all(0 < s[f"{k}_err"] < 0.1 * abs(s[k]) for k in ("alpha", "mu0_meff", "dh0"))
    resonances = s["resonances"]
    assert len(resonances) == 5 and all(r["h_res"] > 0 and r["dh"] > 0 and r["dh_err"] > 0 for r in resonances)
    assert json.loads((tmp_path / "summary.json").read_text())["resonances"][0]["frequency"] == 5e9


def test_stno_spectrum_recovers_threshold_and_frequency(tmp_path):
    with stno_bench(i_th=1.2e-3) as bench:
        outcome = run_procedure("stno-spectrum", bench, tmp_path, {"i_min": 0.7e-3, "i_max": 1.6e-3, "currents": 14,
                                                                  "averages": 10})
        physics, field = bench.virtual.dut.physics, bench.virtual.field
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["i_th"] == pytest.approx(1.2e-3, rel=0.02)
    assert s["f_at_i_max"] == pytest.approx(float(physics.frequency(1.6e-3, field)), rel=0.01)
    assert s["f0"] == pytest.approx(float(physics.fmr_frequency(field)), rel=0.01)
    assert s["df_dp"] == pytest.approx(float(physics.nonlinear_shift(field)), rel=0.15)
    assert s["linewidth_min"] > 0 and all(s[f"{k}_err"] > 0 for k in ("i_th", "q", "f0", "df_dp", "df_di"))
    with h5py.File(tmp_path / "spectra.h5", "r") as store:
        assert store["power_dBm"].shape == (14, 1501) and store["frequency_Hz"].shape == (1501,)


def test_fits_refuse_what_they_cannot_constrain():
    field = np.linspace(0.05, 0.1, 50)
    with pytest.raises(AnalysisError, match="no resonance|outside the swept field range"):
        fit_fmr_line(field, 1e-9 * np.random.default_rng(0).standard_normal(50))
    with pytest.raises(AnalysisError, match="no threshold in the current range"):
        fit_oscillator_threshold(np.linspace(1e-3, 2e-3, 8), np.full(8, 6.4e9))


def test_fmr_line_noise_is_measured_off_the_line():
    """A narrow line 20× above its noise: the scatter of point-to-point differences (the line's own slope) calls it
    noise; the residuals of the fit measure the noise that is there."""
    h = np.linspace(0.04, 0.06, 81)
    x = (h - 0.05) / 0.5e-3
    noise = 2e-7
    v = (20 * noise * (1 + 0.3 * x)) / (1 + x**2) + noise * np.random.default_rng(3).standard_normal(h.size)
    assert np.max(np.abs(v)) < 10 * np.std(np.diff(v))  # the old criterion rejected this line
    line = fit_fmr_line(h, v)
    assert line.noise == pytest.approx(noise, rel=0.25)
    assert line.h_res == pytest.approx(0.05, abs=3 * line.h_res_err) and line.h_res_err < 0.05e-3
    assert line.dh == pytest.approx(0.5e-3, abs=3 * line.dh_err)


def synthetic_st_fmr(physics: STNO, frequencies, biases=(0.0,), noise=1e-8, seed=0):
    """ST-FMR data columns (fine sweeps only) of ``physics``'s diode voltage with ``noise`` V of reading noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for bias in biases:
        for f in frequencies:
            h_res = brentq(lambda h, f=f: float(physics.fmr_frequency(h)) - f, 1e-4, 3.0)
            fields = np.linspace(h_res - 0.012, h_res + 0.012, 61)
            v = physics.diode_voltage(f, fields, 1e-4, current=bias) + noise * rng.standard_normal(fields.size)
            rows += [(bias, f, hh, vv, 1) for hh, vv in zip(fields, v, strict=True)]
    return dict(zip(("bias", "frequency", "field", "voltage", "fine"), np.array(rows).T, strict=True))


def test_st_fmr_analysis_is_unbiased_on_the_model_line():
    """Noiseless lines of the physics model: the Kittel-mapped lineshape gives ΔH0 to 5 µT (the Lorentzian in
    H − Hr was 60–120 µT high) and α to 0.5 %."""
    physics = STNO(STNOParams(alpha=0.01, dh0=1e-3))
    summary = StFmr.analyse(synthetic_st_fmr(physics, np.linspace(5e9, 10e9, 6), noise=1e-12), {})
    assert summary["dh0"] == pytest.approx(1e-3, abs=5e-6)
    assert summary["alpha"] == pytest.approx(0.01, rel=5e-3)
    assert summary["mu0_meff"] == pytest.approx(1.0, rel=1e-3)


def test_st_fmr_skips_the_lines_it_cannot_fit(caplog):
    physics = STNO(STNOParams(alpha=0.0073))
    data = synthetic_st_fmr(physics, [5e9, 6e9, 7e9, 8e9], noise=1e-8)
    lost = data["frequency"] == 6e9
    data["voltage"][lost] = 1e-8 * np.random.default_rng(1).standard_normal(lost.sum())  # no line there
    with caplog.at_level(logging.WARNING):
        summary = StFmr.analyse(data, {})
    assert summary["skipped"] == 1 and summary["skipped_lines"][0]["frequency"] == 6e9
    assert "no resonance above the noise" in summary["skipped_lines"][0]["reason"] and "skipped" in caplog.text
    assert summary["alpha"] == pytest.approx(0.0073, rel=0.02) and len(summary["resonances"]) == 3
    data["voltage"][data["frequency"] == 7e9] = 0.0
    with pytest.raises(AnalysisError, match="fewer than 3"):
        StFmr.analyse(data, {})


def test_st_fmr_under_dc_bias_gives_damping_and_threshold(tmp_path):
    """Lock-in detection at three bias currents: the spin torque narrows the line by 1 − I/I_th(H); α, μ0Meff and
    the threshold at 50 mT follow, and the threshold agrees with the one stno-spectrum sees on the same device."""
    with stno_bench(alpha=0.012, mu0_meff=0.9) as bench:
        physics = bench.virtual.dut.physics
        i_th = float(physics.threshold_current(0.05))
        outcome = run_procedure("st-fmr", bench, tmp_path, {
            "frequencies": 4, "f_min": 5e9, "f_max": 8e9, "detection": "lockin", "time_constant": 0.03,
            "coarse_points": 40, "fine_points": 41, "bias_current": 0.6 * i_th, "bias_steps": 3})
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["skipped"] == 0 and len(s["resonances"]) == 12, s["skipped_lines"]
    assert s["alpha"] == pytest.approx(0.012, rel=0.03)
    assert s["i_th"] == pytest.approx(i_th, rel=0.03) and s["i_th_field"] == 0.05 and s["i_th_err"] > 0
    expected = -math.cos(physics.params.ref_angle) * physics.torque_per_ampere()
    assert s["stt_efficiency"] == pytest.approx(expected, rel=0.03)
    narrow = [r["dh"] for r in s["resonances"] if r["frequency"] == 8e9]
    assert narrow[0] > narrow[1] > narrow[2]


def test_bench_oscillator_locks_to_the_rf_drive():
    """Within the Adler range of the drive the emission line sits at the source's frequency and narrows; outside
    it is pulled towards it; the rectified voltage follows the DC bias below threshold and is 0 above."""
    dut = OscillatorDevice()
    physics, field = dut.physics, 0.05
    current = 1.2 * float(physics.threshold_current(field))
    f_g = float(physics.frequency(current, field))
    rf = RfDrive(frequency=f_g, power=1e-6, on=True)
    half = physics.locking_range(current, field, rf.power)
    assert half > 0
    for detuning, locked in ((0.5, True), (2.0, False)):
        rf.frequency = f_g + detuning * half
        line = dut.line_frequency(current, field, rf)
        assert (line == rf.frequency) == locked
        assert line == pytest.approx(f_g + (detuning - math.sqrt(max(detuning**2 - 1, 0))) * half)
        f = np.array([line])
        ratio = float(dut.emission_psd(f, current, field, rf)[0] / dut.emission_psd(f - line + f_g, current, field)[0])
        assert ratio == (pytest.approx(1.0) if not locked else ratio) and (ratio > 1.2) == locked  # narrower, taller
    assert dut.line_frequency(current, field) == f_g
    dut.current = 0.5 * float(physics.threshold_current(field))
    biased = dut.rectified_voltage(float(physics.fmr_frequency(field)), field, 1e-6)
    assert biased == pytest.approx(float(physics.diode_voltage(float(physics.fmr_frequency(field)), field, 1e-6,
                                                               current=dut.current)))
    dut.current = current
    assert dut.rectified_voltage(f_g, field, 1e-6) == 0.0


def test_dbm_watt_conversions():
    np.testing.assert_allclose(dbm_to_watts([0.0, 30.0, -30.0]), [1e-3, 1.0, 1e-6])
    np.testing.assert_allclose(watts_to_dbm(dbm_to_watts([-47.3, 12.0])), [-47.3, 12.0])
    assert watts_to_dbm(0.0) == -np.inf
    with pytest.raises(ValueError):
        watts_to_dbm(-1.0)


@pytest.mark.parametrize(("cls", "frequency_cmd", "power_cmd", "output_cmd"), [
    (KeysightN5183B, ":FREQ 6000000000.000000", ":POW -10.00", ":OUTP 1"),
    (RohdeSchwarzSMB100A, ":FREQ 6000000000.000000", ":POW -10.00", ":OUTP 1"),
    (Agilent8257D, ":FREQ 6.000000e+09 Hz;", ":POW -10 dBm;", ":OUTPUT 1;"),
    (AnritsuMG3692C, ":FREQUENCY 6.000000e+09 Hz;", ":POWER -10 dBm;", ":OUTPUT 1;"),
])
def test_rf_source_role_protocol_ranges_and_safety(cls, frequency_cmd, power_cmd, output_cmd):
    limits = SafetyLimits(max_rf_power=dbm_to_watts(0.0))
    with expected_protocol(cls, [(frequency_cmd, None), (power_cmd, None), (output_cmd, None)],
                           limits=limits) as source:
        source.set_frequency(6e9)
        source.set_power_dbm(-10.0)
        source.output_on()
        with pytest.raises(RangeError, match="frequency 5e\\+10 Hz outside"):
            source.set_frequency(50e9)
        with pytest.raises(SafetyLimitError, match="RF power"):
            source.set_power_dbm(5.0)
        with pytest.raises(RangeError, match="power -200 dBm outside"):
            source.set_power_dbm(-200.0)


def test_spectrum_analyzer_protocol():
    with expected_protocol(KeysightXSeries, [
        (":INIT:CONT OFF;:FREQ:STAR 5000000000.000000;:FREQ:STOP 7000000000.000000;:BAND 1e+06;:BAND:VID 1e+06;"
         ":SWE:POIN 5;:AVER ON;:AVER:COUN 10;:DET AVER;:DISP:WIND:TRAC:Y:RLEV 0;:FORM ASC", None),
        ("SYST:ERR?", '+0,"No error"'),
        (":INIT", None), ("*OPC?", "1"), (":FREQ:STAR?", "5e9"), (":FREQ:STOP?", "7e9"),
        (":TRAC? TRACE1", "-90,-80,-40,-80,-90"),
        (":CALC:MARK1:MAX", None), (":CALC:MARK1:X?", "6e9"), (":CALC:MARK1:Y?", "-40"),
    ]) as analyzer:
        analyzer.configure(5e9, 7e9, 1e6, points=5, averages=10)
        f, p = analyzer.trace()
        np.testing.assert_allclose(f, np.linspace(5e9, 7e9, 5))
        assert p.max() == -40
        assert analyzer.peak() == (6e9, -40.0)
        with pytest.raises(ValueError, match="outside"):
            analyzer.configure(5e9, 30e9, 1e6)


def test_st_fmr_with_lock_in_detection(tmp_path):
    with stno_bench(alpha=0.015, mu0_meff=0.9) as bench:
        outcome = run_procedure("st-fmr", bench, tmp_path, {"frequencies": 4, "detection": "lockin",
                                                            "time_constant": 0.03})
        assert not bench.virtual.rf.on  # the source is switched off at the end
    assert outcome.status == "finished", outcome.error
    assert outcome.summary["alpha"] == pytest.approx(0.015, rel=0.1)
    assert outcome.summary["mu0_meff"] == pytest.approx(0.9, rel=0.02)


def test_lock_in_driver_protocol_and_twin():
    from mtjhw.instruments.lockin import SR830
    from mtjhw.simulators.bench import VirtualBench
    from mtjhw.simulators.bench.models import build_dut
    from mtjhw.simulators.instruments.lockin import SR830 as VirtualSR830

    with expected_protocol(SR830, [("FMOD0", None), ("OFLT8", None), ("SENS17", None), ("OFLT?", "8"),
                                   ("SNAP? 1,2", "1.0e-06,2.0e-08")]) as lockin:
        lockin.configure(0.1, 1e-3)
        assert lockin.settle_time() == pytest.approx(0.5)
        assert lockin.read_xy() == (1e-6, 2e-8)
    bench = VirtualBench(build_dut({"model": "stno"}), seed=0)
    bench.magnet.set_current(0.05 / bench.magnet.coil_constant)
    bench.advance(1.0)
    twin = VirtualSR830(bench)
    rf = bench.rf
    rf.on, rf.am_on, rf.am_depth, rf.am_frequency = True, True, 1.0, 1234.0
    rf.frequency, rf.power = float(bench.dut.physics.fmr_frequency(bench.field)), 1e-4
    v_on = bench.dut.rectified_voltage(rf.frequency, bench.field, rf.power)
    twin.handle("OFLT 12")  # 10 s: negligible noise
    assert float(twin.handle("OUTP?1")) == pytest.approx(np.sqrt(2) / np.pi * v_on, rel=1e-3)
    assert float(twin.handle("FREQ?")) == pytest.approx(1234.0)
    twin.handle("SENS 99")
    assert int(twin.handle("*ESR?")) & 16  # execution error, as on a real SR830 (ERRS? stays 0 when healthy)


def test_fsw_fills_the_analyzer_role(tmp_path):
    from mtjhw.instruments.spectrum_analyzer import RohdeSchwarzFSW

    with expected_protocol(RohdeSchwarzFSW, [
        ("INIT:CONT 0", None), ("FREQ:STAR 5000000000.0", None), ("FREQ:STOP 7000000000.0", None),
        ("BAND:RES 1000000.0", None), ("BAND:VID 1000000.0", None),
        ("SWE:POIN 201;:DISP:TRAC:MODE AVER;:AVER:COUN 4;:DISP:TRAC:Y:RLEV 0", None),
        ("SYST:ERR?", '0,"No error"'),
    ]) as fsw:
        fsw.configure(5e9, 7e9, 1e6, points=201, averages=4)
    config = BenchConfig.from_dict({"simulated": True, "seed": 2, "dut": {"model": "stno"},
                                    "instruments": {"smu": {"driver": "keithley2450"},
                                                    "magnet": {"driver": "kepco-bop"},
                                                    "gaussmeter": {"driver": "lakeshore425"},
                                                    "analyzer": {"driver": "rs-fsw"}}})
    with Bench.open(config) as bench:
        outcome = run_procedure("stno-spectrum", bench, tmp_path, {"averages": 4, "currents": 10})
        i_th = float(bench.virtual.dut.physics.threshold_current(bench.virtual.field))
    assert outcome.status == "finished", outcome.error
    assert outcome.summary["i_th"] == pytest.approx(i_th, rel=0.1)


@pytest.mark.parametrize("driver", ["keysight-n5183b", "rs-smb100a", "agilent-e8257d", "anritsu-mg3692c"])
def test_every_rf_source_modulates_its_twin_through_the_role(driver):
    config = BenchConfig.from_dict({"simulated": True, "dut": {"model": "stno"},
                                    "instruments": {"rf": {"driver": driver}}})
    with Bench.open(config) as bench:
        twin = bench.virtual_handlers()[0]
        bench.rf.set_amplitude_modulation(True, frequency=1234.0, depth=0.5)
        bench.rf.set_pulse_modulation(True)
        bench.rf.set_pulse_modulation(False)  # leaves AM on
        drive = bench.virtual.rf
        assert (drive.am_on, drive.am_depth, drive.am_frequency) == (True, pytest.approx(0.5), pytest.approx(1234.0))
        bench.rf.set_amplitude_modulation(False)
        assert not drive.am_on
        assert len(twin.errors) == 0
