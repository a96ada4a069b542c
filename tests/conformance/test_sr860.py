"""The virtual SR860 lock-in: its protocol message by message, harmonic detection against the DUT's nonlinear I–V,
PyMeasure's ``srs.SR860`` and QCoDeS's ``SR860`` reading the physics over in-process VISA and TCP, the project's
driver (safety gate, protection, the LockIn role) and st-fmr unchanged on an SR860 bench.

Every readable property and parameter of both third-party drivers is covered by ``test_registered.py``; their known
bugs are listed in ``drivers.DRIVER_BUGS``.
"""

from __future__ import annotations

import math

import drivers
import pytest
from conftest import assert_clean, make_twin, serve
from pymeasure.instruments.srs import SR860 as PyMeasureSR860
from pymeasure.test import expected_protocol
from qcodes.instrument_drivers.stanford_research import SR860 as QcodesSR860
from test_sr830 import chop_the_rf

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.instruments.sr860 import SR860
from mtjhw.runner import run_procedure
from mtjhw.simulators.instruments.sr860 import SR860 as VirtualSR860

CME, EXE = 0x20, 0x10  # standard event status bits: command error, execution error
LOCKIN = SafetyLimits(max_voltage=0.5)


def esr(twin: VirtualSR860) -> int:
    return int(twin.handle("*ESR?"))


def twin() -> VirtualSR860:
    lockin, _, _ = make_twin("sr860")
    lockin.handle("*ESR?")  # the power-on bit
    return lockin


# ===================================================================== protocol
def test_identity_defaults_and_reply_formats():
    lockin = twin()
    assert lockin.handle("*IDN?") == "Stanford_Research_Systems,SR860,003101,v1.47"
    assert lockin.handle("RSRC?") == "1"  # as on the bench: the RF source's AM clock
    assert lockin.handle("FREQ?") == "1.000000e+03" and lockin.handle("HARM?") == "1"
    assert lockin.handle("SCAL?") == "0" and lockin.handle("OFLT?") == "10"  # 1 V, 100 ms
    lockin.handle("*RST")
    assert lockin.handle("RSRC?") == "0" and lockin.handle("SLVL?") == "1.000000e+00"
    assert lockin.handle("CDSP? 0;CDSP? 3") == "0;3" and lockin.handle("CAPTURERATE?") == "1.250000e+06"
    assert lockin.handle("ENBW?") == f"{1 / 8 / 0.1:.6e}"  # 12 dB/oct at 100 ms
    assert len(lockin.handle("SNAP? X,Y,FINT").split(",")) == 3 and len(lockin.handle("SNAPD?").split(",")) == 4
    assert esr(lockin) == 0


def test_replies_and_capture_length_as_the_manual_has_them():
    """SR860 manual, Command Syntax: the queries of one line answer in one semicolon-separated line; CAPTURELEN:
    the buffer is made of 2 kB blocks, an odd length n is set to n + 1."""
    lockin = twin()
    assert lockin.handle("HARM?;SCAL 3;SCAL?;RSRC?") == "1;3;1"
    assert lockin.handle("HARM?\nSCAL?") == "1\n3"  # two lines, two replies
    for length, stored in ((255, "256"), (256, "256"), (1, "2"), (4095, "4096")):
        lockin.handle(f"CAPTURELEN {length}")
        assert lockin.handle("CAPTURELEN?") == stored
    assert lockin.handle("CAPTURELEN 4097") is None and esr(lockin) == EXE


def test_tokens_and_integer_codes_are_the_same_setting():
    lockin = twin()
    for text, code in (("RSRC EXT", "1"), ("rsrc dual", "2"), ("RSRC INTERNAL", "0"), ("ICPL dc", "1"),
                       ("IVMD CURR", "1"), ("IVMD 0", "0"), ("CEXP 1, X100", "2")):
        lockin.handle(text)
        assert lockin.handle(text.split()[0].upper() + "?" + (" 1" if "," in text else "")) == code, text
    assert lockin.handle("OUTP? THETA") is not None and esr(lockin) == 0


@pytest.mark.parametrize(("message", "bit"), [
    ("FOO 1", CME), ("SLVL1", CME), ("PSTF2, 1e3", CME), ("SCAL 28", EXE), ("OFLT -1", EXE), ("HARM 1.5", EXE),
    ("OUTP? 4", EXE), ("SNAP? 0", CME), ("SNAP? 0,1,2,3", CME), ("SLVL 3", EXE), ("PHAS abc", CME),
    ("AUXV 4, 1", EXE), ("*IDN? 1", CME),
])
def test_bad_input_is_ignored_with_its_status_bit(message, bit):
    lockin = twin()
    before = dict(lockin.settings)
    assert lockin.handle(message) is None
    assert esr(lockin) == bit and lockin.settings == before
    assert lockin.errors.pop()[0] < 0


def test_harmonic_times_frequency_stays_below_500_khz():
    lockin = twin()
    lockin.handle("RSRC 0;FREQ 100e3;HARM 5")
    assert lockin.handle("HARM?") == "5" and lockin.handle("FREQDET?") == "5.000000e+05"
    lockin.handle("HARM 6")
    assert lockin.handle("HARM?") == "5" and esr(lockin) == EXE


def test_status_registers_read_clear_and_enable():
    lockin = twin()
    chop_the_rf(lockin.bench)
    lockin.handle("SCAL 27")  # 1 nV full scale under a millivolt signal: output overload
    lockin.handle("LIAE 4, 1;*SRE 8")
    assert int(lockin.handle("*STB?")) & 0x48 == 0x48  # LIA summary and SRQ
    assert lockin.handle("LIAS? 4") == "1"
    lockin.handle("SCAL 0")  # latched until read: the overload lasted until this message
    assert lockin.handle("LIAS?") == "16" and lockin.handle("LIAS? 4") == "0" and lockin.handle("LIAE?") == "16"
    assert lockin.handle("ERRS?") == "0" and lockin.handle("*CLS;*ESR?") == "0"


# ===================================================================== harmonic detection
def demodulate(lockin: VirtualSR860, harmonic_number: int) -> tuple[float, float]:
    lockin.handle(f"HARM {harmonic_number}")
    x, y = lockin.handle("SNAP? 0,1").split(",")
    return float(x), float(y)


def drive(lockin: VirtualSR860, amplitude: float, offset: float) -> tuple[float, float]:
    """Internal reference, sine of ``amplitude`` V rms on ``offset`` V, 10 s: the ballast's current (A) offset and
    peak amplitude."""
    lockin.handle(f"RSRC INT;FREQ 137;OFLT 14;SLVL {amplitude};SOFF {offset}")
    return offset / lockin.ballast, math.sqrt(2) * amplitude / lockin.ballast


def derivatives(resistance, voltage: float, h: float = 1e-3) -> tuple[float, float, float]:
    """R, dR/dV and d²R/dV² at ``voltage`` (V), by central differences."""
    r0, up, down = resistance(voltage), resistance(voltage + h), resistance(voltage - h)
    return r0, (up - down) / (2 * h), (up - 2 * r0 + down) / h**2


def test_first_harmonic_is_the_resistance_and_the_second_the_curvature_of_v_of_i():
    """V(I) = I·R(V(I)): V' = R/(1 − I·R'), and the second-order term ½V''·i² of a drive i0·cos ωt puts
    V''·i0²/4 (peak) at 2f. With a DC offset the bias-dependent TMR bends V(I) and 2f appears; at zero offset V(I)
    is odd and 2f vanishes."""
    lockin = twin()
    resistance = lockin.bench.dut.resistance
    i_dc, i0 = drive(lockin, 0.1, 0.0)
    x1, y1 = demodulate(lockin, 1)
    assert x1 == pytest.approx(i0 * resistance(0.0) / math.sqrt(2), rel=1e-3) and abs(y1) < 1e-8
    assert max(map(abs, demodulate(lockin, 2))) < 1e-8
    i_dc, i0 = drive(lockin, 0.1, 4.0)
    v_dc = i_dc * resistance(0.0)
    for _ in range(50):
        v_dc = i_dc * resistance(v_dc)
    r, r1, r2 = derivatives(resistance, v_dc)
    slope = r / (1 - i_dc * r1)
    curvature = (r1 * slope * (1 - i_dc * r1) + r * (r1 + i_dc * r2 * slope)) / (1 - i_dc * r1) ** 2
    x2, y2 = demodulate(lockin, 2)
    assert abs(x2) > 1e-6 and abs(y2) < 1e-8
    assert x2 == pytest.approx(curvature * i0**2 / 4 / math.sqrt(2), rel=0.02)
    assert demodulate(lockin, 1)[0] == pytest.approx(slope * i0 / math.sqrt(2), rel=1e-3)


def test_a_linear_dut_has_no_second_harmonic_and_the_phase_rotates_xy():
    lockin = twin()

    class Resistor:
        def resistance(self, voltage: float) -> float:
            return 2e3

    lockin.bench.dut = Resistor()
    _, i0 = drive(lockin, 0.2, 1.0)
    assert max(map(abs, demodulate(lockin, 2))) < 1e-8
    lockin.handle("PHAS 30")
    x, y = demodulate(lockin, 1)
    assert math.hypot(x, y) == pytest.approx(i0 * 2e3 / math.sqrt(2), rel=1e-6)
    assert math.degrees(math.atan2(y, x)) == pytest.approx(-30, abs=1e-3)
    lockin.handle("APHS")
    assert abs(float(lockin.handle("PHAS?"))) < 1e-3  # auto phase: back to the signal's own phase, 0°


# ===================================================================== third-party drivers over VISA and TCP
def test_pymeasure_and_qcodes_read_the_chopped_diode_signal(transport):
    with serve("sr860", transport) as served:
        signal = chop_the_rf(served.bench)
        pymeasure = drivers.open_driver(PyMeasureSR860, served)
        pymeasure.time_constant = 1.0
        assert pymeasure.x == pytest.approx(signal, rel=1e-3) and abs(pymeasure.y) < 1e-6
        assert pymeasure.harmonic == 1 and pymeasure.reference_source == "EXT"
        drivers.close_driver(pymeasure)
        qcodes = drivers.open_driver(QcodesSR860, served, "sr860")
        x, y = qcodes.get_values("X", "Y")
        assert x == pytest.approx(signal, rel=1e-3) and qcodes.time_constant() == 1.0
        qcodes.harmonic(2)  # even harmonics of the chop are absent
        assert abs(qcodes.X()) < 1e-6
        drivers.close_driver(qcodes)
        assert_clean(served.twin)


# ===================================================================== the project's driver
def test_sine_output_is_limited_at_its_peak_and_reset_refused():
    with expected_protocol(SR860, [("SLVL 3.500000000e-01", None)], limits=LOCKIN) as lockin:
        lockin.sine_voltage = 0.35  # peaks at 0.495 V
        with pytest.raises(SafetyLimitError):
            lockin.sine_voltage = 0.36
        with pytest.raises(SafetyLimitError):
            lockin.write("SOFF 0.6")
        with pytest.raises(SafetyLimitError):
            lockin.write("*RST")


def test_the_gate_holds_offset_plus_peak_to_the_limit():
    """The gate follows SLVL and SOFF: each is refused where the output's extreme, |SOFF| + √2·SLVL, would pass
    the limit; until SLVL is sent it assumes a 1 V rms sine (1.414 V peak)."""
    with expected_protocol(SR860, [("SLVL 0.2", None), ("SOFF 0.2", None), ("SOFF -0.2", None)],
                           limits=LOCKIN) as lockin:
        with pytest.raises(SafetyLimitError):
            lockin.write("SOFF 0.1")  # on the assumed 1 V rms sine
        lockin.write("SLVL 0.2")  # 0.283 V peak
        with pytest.raises(SafetyLimitError):
            lockin.write("SOFF 0.3")
        lockin.write("SOFF 0.2")
        with pytest.raises(SafetyLimitError):
            lockin.write("SLVL 0.25")  # 0.2 + 0.354 V
        lockin.write("SOFF -0.2")


def test_excitation_holds_offset_plus_peak_to_the_limit():
    with expected_protocol(SR860, [("SOFF 0", None), ("SLVL 2.000000000e-01", None), ("SOFF 0.1000", None),
                                   ("RSRC 0", None), ("Harm 2", None)], limits=LOCKIN) as lockin:
        with pytest.raises(SafetyLimitError, match="peaks at 0.624"):
            lockin.set_excitation(0.3, 0.2)
        with pytest.raises(ValueError, match="1 nV–2 V rms"):
            lockin.set_excitation(3.0)
        lockin.set_excitation(0.2, 0.1)
        lockin.harmonic = 2


def test_arm_protection_brings_the_excitation_under_the_limit():
    with expected_protocol(SR860, [("SOFF?", "0.3"), ("SLVL?", "1.0"), ("SOFF 0", None),
                                   ("SLVL 3.535533900e-01", None), ("SOFF 0.0000", None)], limits=LOCKIN) as lockin:
        lockin.arm_protection()
    with expected_protocol(SR860, [("SOFF?", "-0.1"), ("SLVL?", "0.2"), ("SLVL 2.000000000e-01", None),
                                   ("SOFF -0.1000", None)], limits=LOCKIN) as lockin:
        lockin.arm_protection()  # within the limit: written as it is, for the gate to follow
    with expected_protocol(SR860, [], limits=SafetyLimits()) as lockin:
        lockin.arm_protection()


def test_fills_the_lockin_role():
    with expected_protocol(SR860, [("RSRC 1", None), ("IVMD 0", None), ("OFLT 10", None), ("SCAL 9", None),
                                   ("OFLT?", "10"), ("SNAP? X, Y", "1.5e-3,-2e-5")]) as lockin:
        lockin.configure(0.1, 1e-3)
        assert lockin.settle_time() == pytest.approx(0.5)
        assert lockin.read_xy() == (1.5e-3, -2e-5)


# ===================================================================== st-fmr on an SR860 bench
def stfmr_bench(lockin: str) -> Bench:
    instruments = {"smu": {"driver": "keithley2450"}, "magnet": {"driver": "kepco-bop", "coil_constant": 0.03},
                   "gaussmeter": {"driver": "lakeshore425"}, "rf": {"driver": "keysight-n5183b"},
                   "lockin": {"driver": lockin}}
    return Bench.open(BenchConfig.from_dict({"simulated": True, "seed": 3, "dut": {"model": "stno"},
                                             "instruments": instruments}))


def test_st_fmr_runs_unchanged_on_an_sr860_bench(tmp_path):
    results = {}
    for lockin in ("sr860", "sr830"):
        with stfmr_bench(lockin) as bench:
            outcome = run_procedure("st-fmr", bench, tmp_path / lockin, {
                "frequencies": 3, "f_min": 5e9, "f_max": 8e9, "detection": "lockin", "time_constant": 0.03,
                "coarse_points": 30, "fine_points": 31, "bias_steps": 1})
        assert outcome.status == "finished", outcome.error
        results[lockin] = outcome.summary
    new, old = results["sr860"], results["sr830"]
    assert new["skipped"] == 0 and len(new["resonances"]) == 3
    assert new["alpha"] == pytest.approx(0.01, rel=0.03)  # the STNO model's damping
    assert new["alpha"] == pytest.approx(old["alpha"], abs=3 * math.hypot(new["alpha_err"], old["alpha_err"]))
