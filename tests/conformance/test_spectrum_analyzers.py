"""Conformance of the virtual spectrum analyzers with unmodified third-party drivers, in-process and over TCP.

QCoDeS ``KeysightN9030B`` drives the N9030B PXA twin (Spectrum Analyzer and Phase Noise modes) and the N9010B EXA
twin (same X-series command set, Spectrum Analyzer mode only); PyMeasure ``FSW`` drives the R&S FSW twin (Spectrum
and Phase Noise channels). Traces are read from a spin-torque oscillator on the bench (``DUT_FOR``: stno) biased
above threshold, and checked against its physics.

Driver bugs found (each has a test below that checks the twin reacts as the real instrument does):

- QCoDeS ``KeysightN9030B.snapshot(update=True)`` queries the Phase Noise submodule's ``:SENSe:LPLot…`` and
  ``:SENSe:FREQuency:CARRier:TRACk?`` while the Spectrum Analyzer mode is selected (and the SA submodule's
  commands in Phase Noise mode); an X-series analyzer knows only the selected mode's commands: -113, no reply.
- QCoDeS ``KeysightN9030BPhaseNoiseMode.freq_axis`` is linear from start to stop offset; the Log Plot's offsets
  (the x column of ``:READ:LPLot3?``, which the driver discards) are logarithmically spaced.
- QCoDeS ``res_bw_type`` offers "NOISE" (the long form); the analyzer answers the short form "NOIS".
- PyMeasure ``FSW.nominal_level`` is ``[SENSe:]POWer:RLEVel``, the nominal level of a Phase Noise (K40) channel: in
  a Spectrum channel the header is undefined (-113, no reply).
- PyMeasure ``FSW.Marker.y`` is settable, but ``CALCulate:MARKer:Y`` is a query only (-113).
- PyMeasure ``FSW.read_trace`` maps the channel type back to the default channel name: a Phase Noise channel named
  anything but "Phase Noise" fails with UnboundLocalError (no SCPI involved).
"""

from __future__ import annotations

import logging
import math
import time
import tracemalloc
from typing import Any

import numpy as np
import pytest
from conftest import Served, assert_clean, error_entries, make_twin, serve
from drivers import (
    DRIVER_BUGS,
    open_driver,
    pymeasure_choices,
    pymeasure_readable,
    pymeasure_settable,
    qcodes_choices,
    same,
)
from pymeasure.instruments.rohdeschwarz import FSW
from pyvisa.errors import VisaIOError
from qcodes.instrument_drivers.Keysight import KeysightN9030B
from scipy.integrate import trapezoid

from mtjhw.simulators.bench import Bias
from mtjhw.simulators.instruments.spectrum_analyzer import filtered_levels
from mtjhw.simulators.physics.constants import KB

X_SERIES = ["keysight-n9010b", "keysight-n9030b"]
QCODES_X_SERIES = "qcodes.instrument_drivers.Keysight.KeysightN9030B"
FIELD, CURRENT = 0.05, 2.0e-3  # T, A: the oscillator above its threshold current (1.43 mA), below breakdown

#: Values the QCoDeS driver's validator allows but whose reply the analyzer gives in another form.
QCODES_READBACK = {("res_bw_type", "NOISE"): "NOIS"}  # SCPI queries answer the short form NOISe → NOIS
#: Parameters set by their own tests: which values are valid depends on the selected mode.
QCODES_MODE_DEPENDENT = {"mode", "measurement"}

#: Values for the PyMeasure FSW properties that declare no validator (typical settings of an STNO measurement).
FSW_VALUES: dict[str, list[Any]] = {
    "freq_center": [6e9], "freq_span": [2e9], "freq_start": [5e9], "freq_stop": [7e9], "attenuation": [20.0],
    "res_bandwidth": [1e5, "AUTO"], "video_bandwidth": [3e4, "AUTO"], "sweep_time": [0.5, "AUTO"],
    "activate_channel": ["Spectrum"],
}
#: FSW properties not read or set in a Spectrum channel: the Phase Noise channel test covers them (driver bug above).
FSW_PHASE_NOISE_ONLY = {"nominal_level"}
assert FSW_PHASE_NOISE_ONLY <= DRIVER_BUGS["pymeasure.instruments.rohdeschwarz.FSW"].keys()


def oscillate(served: Served) -> tuple[float, float]:
    """Bias the STNO above threshold in the field; its generation frequency and linewidth (Hz)."""
    bench = served.bench
    bench.magnet.set_current(FIELD / bench.magnet.coil_constant)
    bench.advance(1.0)
    bench.apply_bias(object(), Bias("I", CURRENT))
    physics = bench.dut.physics
    return float(physics.frequency(CURRENT, bench.field)), float(physics.linewidth(CURRENT, bench.field))


def noise_floor_dbm(twin: Any, rbw: float) -> float:
    """The displayed noise level (dBm) in a noise bandwidth of 1.065·``rbw``: amplifier kTFG plus analyzer DANL."""
    gain_db = twin.amplifier_gain_db - twin.cable_loss_db
    psd = KB * 290 * 10 ** ((twin.noise_figure_db + gain_db) / 10) + 1e-3 * 10 ** (twin.danl_dbm_per_hz / 10)
    return 10 * math.log10(psd * 1.0645 * rbw / 1e-3)


# ----------------------------------------------------------------------------------------------- QCoDeS X-series
def open_qcodes(served: Served) -> KeysightN9030B:
    return open_driver(KeysightN9030B, served, "analyzer")


def set_and_read_back(module: Any) -> int:
    """Set every settable parameter of ``module`` to each valid value and read it back; how many were set."""
    count = 0
    for name, parameter in module.parameters.items():
        if not (parameter.settable and parameter.gettable) or name in QCODES_MODE_DEPENDENT:
            continue
        for value in qcodes_choices(parameter) or [parameter.get()]:  # every choice; no validator: the present value
            parameter.set(value)
            expected = QCODES_READBACK.get((name, value), value)
            assert same(parameter.get(), expected), name
        count += 1
    return count


@pytest.mark.parametrize("driver", X_SERIES)
def test_qcodes_connects_and_snapshots_each_mode(driver: str, transport: str, caplog: pytest.LogCaptureFixture
                                                 ) -> None:
    caplog.set_level(logging.WARNING)
    with serve(driver, transport) as served:
        analyzer = open_qcodes(served)
        assert analyzer.IDN()["model"] == served.twin.idn[1]
        assert analyzer.options()[0] == "526" and analyzer.sa.stop.vals.max_value == 27e9  # option 526
        assert hasattr(analyzer, "pn") == (driver == "keysight-n9030b")  # only the PXA has the Phase Noise mode
        read = 0
        for mode in analyzer.mode.vals.valid_values:
            analyzer.mode(mode)
            module = analyzer.sa if mode == "SA" else analyzer.pn
            snapshot = module.snapshot(update=True)["parameters"]
            read += len(snapshot)
            assert analyzer.measurement() == {"SA": "SAN", "PNOISE": "LPL"}[mode]
        analyzer.mode("SA")
        read += len({name: p.snapshot(update=True) for name, p in analyzer.parameters.items()})  # top level
        sa = analyzer.sa
        assert sa.center() == pytest.approx((sa.start() + sa.stop()) / 2)
        assert sa.span() == pytest.approx(sa.stop() - sa.start())
        assert sa.npts() == served.twin.settings["points"] and sa.mech_attenuation() == 10
        assert read >= {"keysight-n9010b": 26, "keysight-n9030b": 32}[driver]
        assert not [r for r in caplog.records if "Could not update" in r.getMessage()]  # snapshot hides failures
        assert_clean(served.twin)


@pytest.mark.parametrize("driver", X_SERIES)
def test_qcodes_sets_every_settable_parameter(driver: str, transport: str) -> None:
    with serve(driver, transport) as served:
        analyzer = open_qcodes(served)
        set_count = 0
        for mode in analyzer.mode.vals.valid_values:
            analyzer.mode(mode)
            assert analyzer.mode() == mode
            measurement = {"SA": "SAN", "PNOISE": "LPL"}[mode]
            analyzer.measurement(measurement)
            assert analyzer.measurement() == measurement
            set_count += set_and_read_back(analyzer.sa if mode == "SA" else analyzer.pn)
        analyzer.mode("SA")
        set_count += set_and_read_back(analyzer)
        assert set_count >= {"keysight-n9010b": 20, "keysight-n9030b": 24}[driver]
        assert_clean(served.twin)


@pytest.mark.parametrize("driver", X_SERIES)
def test_qcodes_swept_sa_trace_shows_the_noise_floor_then_the_oscillator(driver: str, transport: str) -> None:
    with serve(driver, transport) as served:
        analyzer = open_qcodes(served)
        sa = analyzer.sa
        sa.setup_swept_sa_sweep(4e9, 7e9, 1501)
        sa.res_bw(1e6)
        sa.detector("AVER")  # average detector: the averaging type follows (RMS), the trace reads the mean noise
        assert sa.average_type() == "RMS"
        f, floor = sa.freq_axis(), sa.trace()  # no field, no bias: nothing but noise
        assert floor.shape == f.shape == (1501,)
        mean_dbm = 10 * np.log10(np.mean(10 ** (floor / 10)))  # RMS averaging: the power mean is unbiased
        assert mean_dbm == pytest.approx(noise_floor_dbm(served.twin, 1e6), abs=0.3)
        f_osc, linewidth = oscillate(served)
        trace = sa.trace()
        assert abs(f[np.argmax(trace)] - f_osc) < max(linewidth / 2, 2 * (f[1] - f[0]))
        assert trace.max() > floor.max() + 30
        sa.center(6.5e9)
        sa.autotune()  # the strongest signal to the center
        assert sa.center() == pytest.approx(f_osc, abs=2 * linewidth)
        assert_clean(served.twin)


def test_qcodes_phase_noise_log_plot_follows_the_oscillator_linewidth(transport: str) -> None:
    with serve("keysight-n9030b", transport) as served:
        f_osc, linewidth = oscillate(served)
        analyzer = open_qcodes(served)
        pn = analyzer.pn
        pn.setup_log_plot_sweep(1e3, 1e8, 601)
        pn.autotune()  # carrier search
        ssb = 10 ** (pn.trace() / 10)
        assert ssb.shape == (601,)
        carrier = float(analyzer.ask(":SENSe:FREQuency:CARRier?"))
        assert carrier == pytest.approx(f_osc, abs=linewidth / 10)
        results = analyzer.visa_handle.query_binary_values(":FETCh:LPLot1?", datatype="d", is_big_endian=False)
        assert len(results) == 7 and results[0] > -50 and results[1] == pytest.approx(carrier)
        # a Lorentzian line: L(f) ∝ 1/(f² + (Γ/2)²), flat well inside Γ/2, falling 20 dB/decade beyond
        pairs = analyzer.visa_handle.query_binary_values(":FETCh:LPLot3?", datatype="d", is_big_endian=False)
        offsets = np.array(pairs[0::2])
        near, far = offsets < 1e5, offsets > 7e7
        expected = (linewidth / 2) ** 2 / (np.mean(offsets[far] ** 2) + (linewidth / 2) ** 2)
        assert np.mean(ssb[far]) / np.mean(ssb[near]) == pytest.approx(expected, rel=0.2)
        assert_clean(served.twin)


def test_qcodes_phase_noise_frequency_axis_is_linear_but_the_log_plot_is_logarithmic() -> None:
    """Driver bug: ``pn.freq_axis`` is linspace(start, stop, npts); the Log Plot's offsets are log-spaced."""
    with serve("keysight-n9030b", "in-process") as served:
        analyzer = open_qcodes(served)
        analyzer.pn.setup_log_plot_sweep(1e3, 1e7, 601)
        pairs = analyzer.visa_handle.query_binary_values(":READ:LPLot3?", datatype="d", is_big_endian=False)
        offsets = np.array(pairs[0::2])
        np.testing.assert_allclose(offsets, np.geomspace(1e3, 1e7, 601))
        assert not np.allclose(analyzer.pn.freq_axis(), offsets)
        assert_clean(served.twin)


def test_qcodes_snapshot_queries_the_other_modes_commands() -> None:
    """Driver bug: a full snapshot reads both submodules; the PXA rejects the Phase Noise mode's commands while
    the Spectrum Analyzer mode is selected (and vice versa), with -113 and no reply."""
    with serve("keysight-n9030b", "in-process") as served:
        analyzer = open_qcodes(served)
        analyzer.snapshot(update=True)
        rejected = error_entries(served.twin)
        assert rejected and all(code == -113 and "SA mode" in text for code, text in rejected)
        assert any("LPLot:SWEep:POINts" in text for _, text in rejected)
        listed = [key for key in DRIVER_BUGS[QCODES_X_SERIES] if key.startswith("pn.")]
        assert len(rejected) == len(listed)  # one refused query each
        analyzer.mode("PNOISE")
        analyzer.sa.snapshot(update=True)
        assert any("FREQuency:STARt" in text for _, text in error_entries(served.twin))


# ----------------------------------------------------------------------------------------------- PyMeasure FSW
def open_fsw(served: Served) -> FSW:
    return open_driver(FSW, served)


def fsw_settable() -> dict[str, list[Any]]:
    """The FSW driver's settable properties, each with the values its validator offers (empty: none)."""
    return {name: pymeasure_choices(FSW, name) for name in pymeasure_settable(FSW)}


def test_pymeasure_fsw_reads_every_property(transport: str) -> None:
    with serve("rs-fsw", transport) as served:
        fsw = open_fsw(served)
        readable = set(pymeasure_readable(FSW)) - FSW_PHASE_NOISE_ONLY
        values = {name: getattr(fsw, name) for name in sorted(readable)}
        assert len(values) >= 19
        settings = served.twin.settings
        assert values["id"].startswith("Rohde&Schwarz,FSW-26") and "K40" in values["options"]
        assert (values["freq_center"], values["freq_span"]) == (settings["center"], settings["span"])
        assert values["freq_stop"] - values["freq_start"] == values["freq_span"]
        assert values["available_channels"] == {"Spectrum": "SANALYZER"}
        assert values["active_channel"] == values["activate_channel"] == "Spectrum"
        assert values["trace_mode"] == "WRIT" and values["continuous_sweep_enabled"] is True
        assert values["next_error"] == [0, '"No error"'] and values["complete"] == "1"
        assert_clean(served.twin)


def test_pymeasure_fsw_sets_every_settable_property(transport: str) -> None:
    settable = fsw_settable()
    free = {name for name, values in settable.items() if not values}
    assert free == set(FSW_VALUES) | FSW_PHASE_NOISE_ONLY  # a new driver property without a value list needs one
    with serve("rs-fsw", transport) as served:
        fsw = open_fsw(served)
        settings = served.twin.settings
        for name in sorted(set(settable) - FSW_PHASE_NOISE_ONLY):
            for value in settable[name] or FSW_VALUES[name]:
                setattr(fsw, name, value)
                got = getattr(fsw, name)
                if value == "AUTO":  # coupled again: RBW to span, VBW to RBW, sweep time to both
                    auto = {"res_bandwidth": "rbw_auto", "video_bandwidth": "vbw_auto", "sweep_time": "sweep_time_auto"}
                    assert settings[auto[name]] is True and isinstance(got, float)
                else:
                    assert same(got, value), name
        assert len(settable) >= 12
        assert_clean(served.twin)


def test_pymeasure_fsw_trace_and_markers_show_the_oscillator(transport: str) -> None:
    with serve("rs-fsw", transport) as served:
        f_osc, linewidth = oscillate(served)
        fsw = open_fsw(served)
        fsw.continuous_sweep_enabled = False
        fsw.freq_start, fsw.freq_stop, fsw.res_bandwidth = 4e9, 7e9, 1e6
        fsw.single_sweep()
        f, power = fsw.read_trace()
        assert f.shape == power.shape == (1001,)
        assert abs(f[np.argmax(power)] - f_osc) < linewidth / 2
        marker = fsw.create_marker()
        marker.to_peak()
        assert marker.x == pytest.approx(f[np.argmax(power)]) and marker.y == pytest.approx(power.max(), abs=1e-4)
        marker.peak_excursion = 3.0
        assert marker.peak_excursion == 3.0
        peak_x = marker.x
        marker.to_next_peak("left")
        left = marker.x
        assert left < peak_x
        marker.to_next_peak("right")
        assert marker.x > left
        marker.to_trace(1)
        delta = fsw.create_marker(2, is_delta_marker=True)
        delta.to_peak()
        assert delta.y == pytest.approx(power.max() - marker.y, abs=1e-3)
        marker.to_peak()
        marker.zoom(3)
        assert fsw.freq_span == pytest.approx(1e9) and fsw.freq_center == pytest.approx(peak_x)
        marker.disable()
        delta.disable()
        assert_clean(served.twin)


def test_pymeasure_fsw_phase_noise_channel(transport: str) -> None:
    with serve("rs-fsw", transport) as served:
        f_osc, linewidth = oscillate(served)
        fsw = open_fsw(served)
        fsw.create_channel("PNOISE", "Phase Noise")
        assert fsw.available_channels == {"Spectrum": "SANALYZER", "Phase Noise": "PNOISE"}
        assert fsw.active_channel == "Phase Noise"
        fsw.auto_freq()  # the nominal frequency to the carrier
        assert fsw.freq_center == pytest.approx(f_osc, abs=linewidth / 10)
        fsw.nominal_level = -10.0
        assert fsw.nominal_level == -10.0
        start, stop = float(f"{linewidth / 1e3:.3g}"), float(f"{linewidth * 10:.3g}")  # offsets from the carrier
        fsw.freq_start, fsw.freq_stop = start, stop
        assert (fsw.freq_start, fsw.freq_stop) == (start, stop)
        fsw.single_sweep()
        offsets, dbc = fsw.read_trace()
        np.testing.assert_allclose(offsets, np.geomspace(start, stop, 1001), rtol=1e-6)
        # flat inside the line, falling as 1/f² beyond it
        assert np.mean(dbc[offsets < linewidth / 10]) > np.mean(dbc[offsets > 5 * linewidth]) + 10
        fsw.select_channel("Spectrum")
        fsw.rename_channel("Phase Noise", "PN 2")
        assert fsw.available_channels == {"Spectrum": "SANALYZER", "PN 2": "PNOISE"}
        fsw.delete_channel("PN 2")
        assert fsw.available_channels == {"Spectrum": "SANALYZER"}
        assert_clean(served.twin)


def test_pymeasure_fsw_driver_bugs_meet_the_real_fsw_reactions() -> None:
    """nominal_level in a Spectrum channel, Marker.y as a setting, read_trace of a renamed Phase Noise channel."""
    with serve("rs-fsw", "in-process") as served:
        fsw = open_fsw(served)
        with pytest.raises(VisaIOError):  # no reply: [SENSe:]POWer:RLEVel belongs to the Phase Noise application
            _ = fsw.nominal_level
        assert [code for code, _ in error_entries(served.twin)] == [-113]
        marker = fsw.create_marker()
        marker.y = -20.0
        assert [code for code, _ in error_entries(served.twin)] == [-113]  # CALC:MARK:Y is a query only
        fsw.create_channel("PNOISE", "PN1")
        with pytest.warns(UserWarning, match="can not be read"), pytest.raises(UnboundLocalError):
            fsw.read_trace()
        assert_clean(served.twin)


# ----------------------------------------------------------------------------------------------- twin behaviour
@pytest.mark.parametrize("driver", [*X_SERIES, "rs-fsw"])
def test_rbw_1_hz_over_the_full_span_costs_what_the_trace_points_cost(driver: str) -> None:
    """A wide span at 1 Hz RBW (26.5 GHz/1 Hz of filter positions) is computed in memory and time set by the
    sweep points, and the line still shows (peak detector)."""
    twin, bench, _ = make_twin(driver)
    bench.magnet.set_current(FIELD / bench.magnet.coil_constant)
    bench.advance(1.0)
    bench.apply_bias(object(), Bias("I", CURRENT))
    f_osc = float(bench.dut.physics.frequency(CURRENT, bench.field))
    twin.handle(":INIT:CONT OFF;:FREQ:STAR 10 MHZ;:FREQ:STOP 26.5 GHZ;:BAND 1 HZ;:SWE:POIN 1001")
    tracemalloc.start()
    started = time.perf_counter()
    trace = np.array(twin.handle(":INIT;:TRAC? TRACE1").split(","), dtype=float)
    elapsed = time.perf_counter() - started
    peak_memory = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak_memory < 20e6 and elapsed < 2.0
    f = np.linspace(10e6, 26.5e9, 1001)
    assert abs(f[np.argmax(trace)] - f_osc) < 3 * (f[1] - f[0])
    assert error_entries(twin) == []


@pytest.mark.parametrize(("points", "rbw"), [(1001, 1.0), (100001, 1.0), (11, 8e6), (1501, 1e6)])
def test_filtered_trace_conserves_the_line_power_and_peaks_at_its_density(points: int, rbw: float) -> None:
    """Average-detector buckets add up to the emission's power (any bucket/RBW ratio); the peak detector shows the
    line at its PSD times the noise bandwidth (the line is wider than the RBW here)."""
    twin, bench, _ = make_twin("keysight-n9010b")
    bench.magnet.set_current(FIELD / bench.magnet.coil_constant)
    bench.advance(1.0)
    bench.apply_bias(object(), Bias("I", CURRENT))
    emission = twin.emission()
    (f_osc,) = emission.lines

    def power(lo: float, hi: float) -> float:  # reference: trapezoids on offsets spaced geometrically from the line
        offsets = np.geomspace(1e-3, 40e9, 400_001)
        x = np.concatenate([f_osc - offsets[::-1], [f_osc], f_osc + offsets])
        x = np.concatenate([[lo], x[(x > lo) & (x < hi)], [hi]])
        return float(trapezoid(emission.psd(x), x))

    f = np.linspace(10e6, 26.5e9, points)
    w = f[1] - f[0]
    sigma = rbw / (2 * math.sqrt(2 * math.log(2)))  # Gaussian with a 3 dB bandwidth of rbw
    enbw = math.sqrt(2 * math.pi) * sigma
    average = filtered_levels(emission, f, sigma, "average", 1e-21)
    inside = power(f[0] - w / 2, f[-1] + w / 2)
    assert average.sum() * w / enbw == pytest.approx(inside, rel=2e-3) and inside > 0.9 * power(1.0, 40e9)
    peak = filtered_levels(emission, f, sigma, "peak", 1e-21)
    assert peak.max() == pytest.approx(enbw * float(emission.psd(np.array([f_osc]))[0]), rel=0.02)


@pytest.mark.parametrize(("driver", "options"), [("keysight-n9010b", '"526,B25,EA3,FSA,P26,PFR"'),
                                                 ("keysight-n9030b", '"526,B40,EA3,P26,PFR"'),
                                                 ("rs-fsw", "B4,B13,B24,K40")])
def test_common_commands_status_and_errors(driver: str, options: str) -> None:
    twin, _, _ = make_twin(driver)
    assert twin.handle("*OPT?") == options  # X-series: one quoted string; FSW: a plain list
    assert twin.handle("*TST?") == "0" and twin.handle("*OPC?") == "1"
    twin.handle("*CLS;:BOGus 1")
    assert int(twin.handle("*STB?")) & 0x04  # error available
    assert int(twin.handle("*ESR?")) & 0x20  # command error
    assert twin.handle("SYST:ERR?").startswith("-113,")
    twin.handle(":SWE:POIN 0")
    assert twin.handle("SYST:ERR?").startswith("-222,") and twin.handle("SYST:ERR?").startswith(("0,", "+0,"))
