"""The Tektronix MSO5204B twin with QCoDeS's unmodified ``TektronixMSO5000`` (the MSO/DPO5000, DPO7000, DPO70000
family driver) and with mtjhw's own driver, over in-process VISA and TCP; and ``telegraph`` and ``noise-psd``
unchanged on a Tektronix bench, with the Keysight bench's results.

Why this model: QCoDeS's family driver covers the MSO/DPO5000B series, whose 25 M-sample records hold the 2 M-point
telegraph records of ``telegraph`` whole. PyMeasure's only Tektronix scope driver (``TDS2000``) has no record-length
control: a TDS2000 records 2500 points, three orders of magnitude too few.

The generic test (``test_registered.py``) snapshots every QCoDeS parameter but the measurement values, which the
driver reads with a 0.1 s sleep each (``drivers.SLOW_TO_SNAPSHOT``); they are read here, every type on one slot.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import assert_clean, error_entries, serve
from drivers import TEKTRONIX_MEASUREMENTS, open_driver
from pymeasure.test import expected_protocol
from qcodes.instrument_drivers.tektronix.DPO7200xx import TektronixDPOModeError

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.errors import InstrumentError
from mtjhw.instruments.tektronix_scope import TektronixMSO5000
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench.bias import Bias

SCOPE = "tektronix-mso5000"
QCODES = "qcodes.instrument_drivers.tektronix.TektronixMSO5000"
BIAS = Bias("I", 20e-6)  # about 0.2 V across the pMTJ
NOT_AVAILABLE = 9.91e37
#: The measurement types the twin computes; the others answer 9.91E37.
COMPUTED = {"amplitude", "high", "low", "maximum", "minimum", "mean", "pk2pk", "rms", "frequency", "period",
            "pwidth", "nwidth", "pduty", "nduty", "rise", "fall"}
SMTJ = {"model": "smtj", "delta": 8.0, "ic0": 20e-6, "tau0": 1e-9, "h_offset": 0.0, "n_current": 2.0}


def level(served) -> float:
    """The DUT's voltage under :data:`BIAS`, applied on the served bench."""
    served.bench.apply_bias(served, BIAS)
    return served.bench.dut.operating_point(BIAS)[0]


# --------------------------------------------------------------------------------------------- QCoDeS
def test_qcodes_acquires_a_trace_of_the_dut_in_manual_mode(transport):
    """Manual horizontal mode (record length and sample rate; the scale follows), one sequence, a 16-bit binary
    trace scaled by the driver with the preamble: the DUT's level within the front-end noise."""
    with serve(SCOPE, transport) as served:
        v = level(served)
        scope = open_driver(QCODES, served, "tek")
        scope.channel1.scale(0.01)
        scope.channel1.offset(round(v, 3))
        scope.horizontal.mode("manual")
        scope.horizontal.record_length(20_000)
        scope.horizontal.sample_rate(1e8)
        assert scope.horizontal.scale() == pytest.approx(20_000 / 1e8 / 10)
        scope.waveform.bytes_per_sample(2)
        scope.data.encoding("SRIbinary")
        scope.acquisition.stop_after("SEQUENCE")
        scope.acquisition.state("RUN")
        scope.channel1.set_trace_length(20_000)
        t0 = served.bench.time
        trace, axis = scope.channel1.waveform.trace(), scope.channel1.waveform.trace_axis()
        assert served.bench.time == t0  # stopped after the sequence: what it has, no new acquisition
        assert len(trace) == len(axis) == 20_000 and axis[1] - axis[0] == pytest.approx(1e-8, rel=1e-3)
        assert np.mean(trace) == pytest.approx(v, abs=1e-3) and np.std(trace) == pytest.approx(2e-4, rel=0.2)
        assert scope.acquisition.state() == "0" and scope.waveform.is_binary() is True
        scope.close()
        assert_clean(served.twin)


def test_qcodes_scale_and_record_length_follow_the_horizontal_mode(transport):
    """AUTO keeps the record length as the scale changes, MANUAL the scale follows record length and rate; the
    driver refuses a scale in MANUAL itself, and the twin refuses a sample rate in AUTO (-221)."""
    with serve(SCOPE, transport) as served:
        scope = open_driver(QCODES, served, "tek")
        scope.horizontal.mode("auto")
        scope.horizontal.scale(1e-4)
        assert scope.horizontal.record_length() == 10_000
        assert scope.horizontal.sample_rate() == pytest.approx(10_000 / 1e-3)
        scope.horizontal.mode("manual")
        scope.horizontal.record_length(1_000_000)
        assert scope.horizontal.scale() == pytest.approx(1e-2)
        with pytest.raises(TektronixDPOModeError, match="manual"):
            scope.horizontal.scale(1e-3)
        scope.horizontal.mode("auto")
        assert_clean(served.twin)
        scope.horizontal.sample_rate(1e9)
        scope.horizontal.record_length()  # a round trip
        assert [code for code, _ in error_entries(served.twin)] == [-221]
        scope.close()


def test_qcodes_reads_every_measurement_type_on_one_slot():
    """Every type QCoDeS offers, on measurement 1 of a DUT at a steady level: the computed ones as the DUT gives
    them, the others 9.91E37 (in-process only: each reading costs the driver's 0.1 s sleep)."""
    with serve(SCOPE, "in-process") as served:
        v = level(served)
        scope = open_driver(QCODES, served, "tek")
        scope.channel1.scale(0.01)
        scope.channel1.offset(round(v, 3))
        values = {kind: getattr(scope.measurement1, kind)() for kind in TEKTRONIX_MEASUREMENTS}
        assert {k for k, x in values.items() if x != NOT_AVAILABLE} <= COMPUTED
        for kind in ("mean", "high", "low", "maximum", "minimum"):
            assert values[kind] == pytest.approx(v, abs=2e-3), kind
        assert values["rms"] == pytest.approx(v, abs=2e-3) and values["pk2pk"] < 2e-3
        assert values["frequency"] == NOT_AVAILABLE  # no edges on a steady level
        assert scope.measurement1.mean.mean() == pytest.approx(v, abs=2e-3)
        scope.close()
        assert_clean(served.twin)


# --------------------------------------------------------------------------------------------- twin dialect
def test_every_encoding_decodes_to_the_same_volts(transport):
    """ASCii, RIBinary, RPBinary, SRIbinary, SRPbinary in one and two bytes, (S)FPbinary and FAStest (signed
    integers, MSB first, for a channel: the manual's DATa and WFMOutpre table): the same record within one code,
    scaled by WFMOutpre's YMUlt, YOFf and YZEro; the block has the fewest length digits."""
    with serve(SCOPE, transport) as served:
        v = level(served)
        scope = open_driver(QCODES, served, "tek")
        visa = scope.visa_handle
        visa.write(f"CH1:SCA 0.01;OFFS {v:.4f};:HOR:MODE MAN;:HOR:MODE:RECO 4000;SAMPLER 1e8;"
                   ":DAT:SOU CH1;STAR 1;STOP 4000;:ACQ:STOPA SEQ;STATE ON")  # the driver left CH4 there
        decoded = {}
        for encoding, width, dtype, big in (("RIB", 1, "b", True), ("RPB", 1, "B", True), ("SRI", 2, "h", False),
                                            ("SRP", 2, "H", False), ("RIB", 2, "h", True), ("FPB", 4, "f", True),
                                            ("SFP", 4, "f", False), ("FAS", 2, "h", True)):
            visa.write(f"DAT:ENC {encoding};:WFMO:BYT_N {width}")
            y_mult, y_off, y_zero = (float(x) for x in visa.query("WFMO:YMU?;YOF?;YZE?").split(";"))
            codes = visa.query_binary_values("CURV?", datatype=dtype, is_big_endian=big, container=np.array)
            decoded[encoding, width] = (codes - y_off) * y_mult + y_zero
        visa.write("DAT:ENC ASCI;:WFMO:BYT_N 1")
        y_mult, y_off, y_zero = (float(x) for x in visa.query("WFMO:YMU?;YOF?;YZE?").split(";"))
        decoded["ASCII", 1] = (np.array(visa.query("CURV?").split(","), float) - y_off) * y_mult + y_zero
        reference = decoded["FPB", 4]
        for key, volts in decoded.items():
            step = 0.01 / 25 / (256 if key[1] == 2 else 1)
            assert len(volts) == 4000 and np.max(np.abs(volts - reference)) <= step * 0.51 + 1e-12, key
        assert np.mean(reference) == pytest.approx(v, abs=1e-3)
        visa.write("DAT:ENC RPB;:WFMO:BYT_N 1;:CH1:POS 0")
        assert float(visa.query("WFMO:YOF?")) == 127  # RPBinary: the screen's centre is 127
        preamble = visa.query("WFMO?").split(";")  # the manual's 17 fields, the FastFrame frames last
        assert len(preamble) == 17 and preamble[:5] == ["1", "8", "BINARY", "RP", "MSB"] and preamble[-1] == "1"
        visa.write("DAT:ENC SRI;:WFMO:BYT_N 2")
        assert visa.query("WFMO:ENC?;BN_F?;BYT_O?;BYT_N?;:DAT:ENC?") == "BINARY;RI;LSB;2;SRIBINARY"
        visa.write("CURV?")
        assert visa.read_bytes(6) == b"#48000"  # 4000 samples × 2 bytes
        visa.read_raw()
        scope.close()
        assert_clean(served.twin)


def test_events_are_readable_after_esr_and_forgotten_by_the_next(transport):
    """As the manual's event handling: ALLEv? reads nothing until *ESR? summarised the events; the next *ESR?
    forgets those nobody read; the scope has no SYSTem:ERRor?."""
    with serve(SCOPE, transport) as served:
        scope = open_driver(QCODES, served, "tek")
        visa = scope.visa_handle
        visa.write("HOR:MODE:RECO 7")
        assert visa.query("EVMSG?") == '1,"No events to report - new events pending *ESR?"'
        assert int(visa.query("*ESR?")) & 16  # EXE
        assert visa.query("ALLEV?").startswith('222,"Data out of range')  # Tek event codes carry no sign
        assert visa.query("EVENT?") == "0"
        visa.write("FOO")
        visa.write("CH5:SCA 1")
        assert int(visa.query("*ESR?")) & 32  # CME
        assert visa.query("EVENT?") == "113"
        visa.query("*ESR?")  # forgets the 114 that was made readable but not read
        assert visa.query("ALLEV?") == '0,"No events to report - queue empty"'
        visa.write("SYST:ERR?")
        visa.query("*ESR?")
        assert visa.query("EVMSG?").startswith('113,"Undefined header')
        scope.close()


# --------------------------------------------------------------------------------------------- mtjhw's driver
def exchange(points: int, codes: np.ndarray) -> list[tuple[str | None, bytes | str | None]]:
    """What :meth:`TektronixMSO5000.acquire` sends and reads for one record of ``codes`` (int16, LSB first)."""
    payload = codes.astype("<i2").tobytes()
    block = f"#{len(str(len(payload)))}{len(payload)}".encode() + payload + b"\n"
    preamble = (f'2;16;BINARY;RI;LSB;"Ch1, DC coupling";{points};Y;"s";1.0000E-08;-1.0000E-06;0;"V";'
                "1.0000E-04;2.0000E+00;5.0000E-02;1")
    return [("HOR:MODE MANUAL", None), (f"HOR:MODE:RECO {points}", None),
            (f"HOR:MODE:SAMPLER {points / 1e-5:g}", None),
            (f"DAT:SOU CH1;ENC SRI;STAR 1;STOP {points};:WFMO:BYT_N 2;:ACQ:STOPA SEQ;STATE ON", None),
            ("*OPC?", "1"), ("*ESR?", "0"), ("ALLEV?", '0,"No events to report - queue empty"'),
            ("WFMO?", preamble), ("CURV?", block)]


def test_acquire_scales_the_codes_with_the_preamble():
    codes = np.array([2, -3, 0, 1000] * 250, dtype=np.int16)
    with expected_protocol(TektronixMSO5000, exchange(1000, codes)) as scope:
        t, v = scope.acquire(1, 1e-5, 1000)
    np.testing.assert_allclose(t[:2], [-1e-6, -1e-6 + 1e-8])
    np.testing.assert_allclose(v[:4], (codes[:4] - 2.0) * 1e-4 + 0.05)


def test_configure_channel_sets_the_1_megohm_termination_and_raises_the_scopes_events():
    with expected_protocol(TektronixMSO5000, [
            ("SEL:CH2 ON;:CH2:TER 1.0E+6;COUP AC;SCA 0.02;POS 0;OFFS -0.1", None), ("*ESR?", "0"),
            ("ALLEV?", '0,"No events to report - queue empty"'),
            ("SEL:CH1 ON;:CH1:TER 1.0E+6;COUP DC;SCA 0.005;POS 0;OFFS 3", None), ("*ESR?", "16"),
            ("ALLEV?", '221,"Settings conflict; offset, 50 mV/div",222,"Data out of range"')]) as scope:
        scope.configure_channel(2, 0.02, -0.1, "AC")
        with pytest.raises(InstrumentError, match="221") as raised:
            scope.configure_channel(1, 0.005, 3.0)
    assert [code for code, _ in raised.value.errors] == [221, 222]


def test_bad_arguments_are_refused_before_anything_is_sent():
    with expected_protocol(TektronixMSO5000, []) as scope:
        for call in (lambda: scope.configure_channel(5, 0.1), lambda: scope.configure_channel(1, 20.0),
                     lambda: scope.configure_channel(1, 0.1, coupling="GND"), lambda: scope.acquire(1, 1e-3, 10)):
            with pytest.raises(ValueError):
                call()


def test_project_driver_over_both_transports(transport):
    """The role's two calls on the twin: 100 000 samples over 1 ms of the DUT's level, times from the trigger
    (50 % of the record before it); a refused setting raises with the scope's event."""
    with serve(SCOPE, transport) as served:
        v = level(served)
        scope = TektronixMSO5000(served.resource, **served.pymeasure_kwargs)
        assert scope.id.startswith("TEKTRONIX,MSO5204B")
        scope.configure_channel(1, 0.01, round(v, 3))
        t, volts = scope.acquire(1, 1e-3, 100_000)
        assert len(t) == 100_000 and t[1] - t[0] == pytest.approx(1e-8) and t[0] == pytest.approx(-5e-4)
        assert np.mean(volts) == pytest.approx(v, abs=1e-3)
        assert served.twin.termination[1] == 1e6
        with pytest.raises(InstrumentError, match=r"\(222, 'Data out of range"):
            scope.acquire(1, 2e4, 1000)  # 2000 s/div
        scope.adapter.close()
        assert_clean(served.twin)


# --------------------------------------------------------------------------------------------- procedures
def test_telegraph_runs_unchanged_on_a_tektronix_bench(tmp_path):
    """The Keysight bench's telegraph test on a Tektronix bench: Δ and Ic0 within 5 %, with errors."""
    config = BenchConfig.from_dict({"simulated": True, "seed": 6, "dut": SMTJ, "instruments": {
        "smu": {"driver": "keithley2450"}, "scope": {"driver": SCOPE}}})
    with Bench.open(config) as bench:
        assert isinstance(bench.scope, TektronixMSO5000)
        outcome = run_procedure("telegraph", bench, tmp_path, {"currents": 4, "duration": 20e-3,
                                                                "points": 2_000_000})
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["delta"] == pytest.approx(8.0, rel=0.05) and s["ic0"] == pytest.approx(20e-6, rel=0.05)
    for key in ("delta", "ic0"):
        assert 0 < s[f"{key}_err"] < 0.05 * s[key]
    data = pd.read_csv(tmp_path / "data.csv", comment="#")
    assert data["Sample interval (s)"].to_numpy() == pytest.approx(1e-8)


def test_noise_psd_gives_the_keysight_benchs_results_on_a_tektronix_bench(tmp_path):
    """The barrier-qualification bench (examples/simulated-noise.yaml's junction) with either scope: Hooge
    parameter, S_V ∝ V² exponent and the defect's corner the same within their errors, and near the DUT's own."""
    dut = {"model": "pmtj", "seed": 1, "state": "AP", "r_p": 5000.0, "tmr": 1.2, "delta": 45.0, "ic0": 60e-6,
           "hooge": 3e-22, "area": 1e-15, "rtn_amplitude": 3e-3, "rtn_rate_up": 1e5, "rtn_rate_down": 2e5}
    summaries = {}
    for scope in ("keysight-dsox3000", SCOPE):
        config = BenchConfig.from_dict({"simulated": True, "seed": 1, "dut": dut, "instruments": {
            "smu": {"driver": "keithley2450"}, "scope": {"driver": scope}}})
        with Bench.open(config) as bench:
            outcome = run_procedure("noise-psd", bench, tmp_path / scope, {"area": 1e-15})
        assert outcome.status == "finished", outcome.error
        summaries[scope] = outcome.summary
    keysight, tek = summaries["keysight-dsox3000"], summaries[SCOPE]
    for key in ("hooge", "exponent", "rtn_corner_1"):
        assert tek[key] == pytest.approx(keysight[key], abs=3 * math.hypot(tek[f"{key}_err"], keysight[f"{key}_err"]))
    assert tek["hooge"] == pytest.approx(3e-22, rel=0.05) and tek["exponent"] == pytest.approx(2.0, abs=0.05)
    assert tek["rtn_corner_1"] == pytest.approx((1e5 + 2e5) / (2 * math.pi), rel=0.1)
