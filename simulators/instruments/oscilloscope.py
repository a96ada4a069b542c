"""Virtual Keysight InfiniiVision 3000T X-series oscilloscope (DSOX3024T) watching the DUT's voltage.

Follows the InfiniiVision 3000 X-series programmer's guide. Channel 1 is DC-coupled across the DUT (1 MΩ, wired
1:1), so under a source-meter current bias it shows V = I·R(t): the random telegraph signal of a superparamagnetic
junction and the junction's resistance noise (1/f, defects' telegraph noise), each sample averaged over its
interval; channels 2–4 are open inputs (front-end noise only). An acquisition covers the screen, 10 divisions of
``:TIMebase:SCALe``, and advances the bench's simulated time by that window. ``:DIGitize``/``:SINGle`` acquire once
and stop; while the scope runs, every waveform query (``:WAVeform:DATA?``, ``:MEASure:…?``, ``:DISPlay:DATA?``) is
answered from a fresh acquisition, as the running scope shows its latest one. Triggering is not modelled: every
acquisition is taken at once, as the AUTO sweep does when nothing triggers.

The acquisition record has ``:WAVeform:POINts`` samples (at most 62 500 in the NORMal points mode, the measurement
record; up to 4 Mpts in RAW/MAXimum). ``:WAVeform:DATA?`` sends ASCii values or BYTE/WORD codes as an IEEE 488.2
``#8`` block, decimated to the points asked for, with ``:WAVeform:PREamble?`` giving the scaling; math
(``:FUNCtion``), ``:FFT`` and the two reference memories (``:WMEMory<r>``) are waveform sources too. Numbers are
answered in the instrument's engineering NR3 style (``+40.0E+00``); a measurement that cannot be made answers
``+9.9E+37``. Display, label and annotation settings are stored; ``:DISPlay:DATA?`` renders the screen as PNG or BMP.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import (
    Boolean,
    ChannelSetting,
    Enum,
    Integer,
    Numeric,
    Raw,
    ScpiError,
    Setting,
    String,
    Variadic,
    command,
)

from .base import BenchInstrument
from .scope_analysis import ADC_CODES, CLIP_CODES, DIVISIONS_Y, Record, bmp, measure, png, spectrum

_CHANNELS = (1, 2, 3, 4)
_MEMORIES = (1, 2)
_NOISE_DIVISIONS = 0.02  # rms noise of the front end, in vertical divisions
_MEASUREMENT_RECORD = 62_500  # largest NORMal-mode record; math and FFT waveforms never have more points
_MAX_RECORD = 4_000_000
_NOT_MEASURABLE = 9.9e37
_SCREEN_ROWS, _SCREEN_COLUMNS = 480, 800
_TRACE_COLOURS: dict[Any, tuple[int, int, int]] = {1: (255, 235, 0), 2: (0, 220, 0), 3: (60, 130, 255),
                                                   4: (255, 60, 60), "FUNCTION": (255, 0, 255), "FFT": (255, 140, 0),
                                                   1000: (230, 230, 230), 1001: (140, 140, 140)}
_REFERENCE_DIVISIONS = {"LEFT": 1.0, "CENTER": 5.0, "RIGHT": 9.0}  # trigger reference, divisions from the left
_CHANNEL_NAMES = [f"CHANnel{ch}" for ch in _CHANNELS]
_SOURCES = [*_CHANNEL_NAMES, "FUNCtion", "MATH", "FFT", "WMEMory1", "WMEMory2"]
_DIGITIZE_SOURCES = [*_CHANNEL_NAMES, "FUNCtion", "MATH", "FFT"]
_PREAMBLE_FORMAT = {"BYTE": 0, "WORD": 1, "ASCII": 4}
_PREAMBLE_TYPE = {"NORMAL": 0, "PEAK": 1, "AVERAGE": 2, "HRESOLUTION": 3}
#: :MEASure headers → label in :MEASure:RESults?
_MEASUREMENTS = {"VPP": "Pk-Pk", "VMAX": "Maximum", "VMIN": "Minimum", "VAMPlitude": "Amplitude", "VTOP": "Top",
                 "VBASe": "Base", "VAVerage": "Average", "VRMS": "RMS", "FREQuency": "Frequency", "PERiod": "Period",
                 "PWIDth": "+ Width", "NWIDth": "- Width", "DUTYcycle": "Duty cycle", "NDUTy": "- Duty",
                 "RISetime": "Rise time", "FALLtime": "Fall time"}


def nr3(value: float) -> str:
    """A number in the InfiniiVision's engineering NR3 style (``+40.0E+00``, ``+100.0E-06``); +9.9E+37 (or its
    negative) for infinity, the answer of a measurement that cannot be made."""
    if not math.isfinite(value) or abs(value) >= _NOT_MEASURABLE:
        return "-9.9E+37" if value < 0 else "+9.9E+37"
    if value == 0:
        return "+0.0E+00"
    exponent = 3 * math.floor(math.log10(abs(value)) / 3)
    mantissa = f"{value / 10.0 ** exponent:+.9g}"
    if abs(float(mantissa)) >= 1000:  # rounding carried into the next power of a thousand
        exponent += 3
        mantissa = f"{value / 10.0 ** exponent:+.9g}"
    return f"{mantissa if '.' in mantissa else mantissa + '.0'}E{exponent:+03d}"


def nice_scale(span: float) -> float:
    """The smallest 1-2-5 step at least ``span`` (autoscale's V/div)."""
    decade = 10.0 ** math.floor(math.log10(span))
    return next(step * decade for step in (1, 2, 5, 10) if step * decade >= span * (1 - 1e-12))


class Nr3(Numeric):
    """A :class:`Numeric` answered in engineering NR3."""

    def format(self, value: float) -> str:
        return nr3(value)


def dut_voltage(bench: VirtualBench, n: int, dt: float) -> np.ndarray:
    """``n`` samples ``dt`` apart of the voltage across the DUT (wired 1:1 to a high-impedance input), from now on
    (the bench's time advances); under a current bias each sample carries the DUT's resistance noise averaged over
    its interval, V = I·R(t)(1 + δ). The acquisition physics every scope twin shares."""
    start, bias = bench.time, bench.effective_bias
    v = _dut_levels(bench, n, dt)
    if bias.mode != "I":
        return v
    return v * (1 + bench.dut.resistance_fluctuation(start, dt, n, bench.rng))


def _dut_levels(bench: VirtualBench, n: int, dt: float) -> np.ndarray:
    """``n`` samples ``dt`` apart of the voltage of the DUT's state (telegraph switching included)."""
    window = n * dt
    dut = bench.dut
    record = getattr(dut, "voltage_record", None)  # a DUT whose voltage is more than two levels (a LIF neuron)
    if record is not None:
        v = record(n, dt, bench.effective_bias, bench.rng)
        bench.time += window
        return v
    trajectory = getattr(dut, "trajectory", None)
    if trajectory is None:
        return np.full(n, bench.advance(window)[0])
    bias = bench.effective_bias
    start, switches = trajectory(window, bias, bench.field, bench.rng)
    bench.time += window
    flips = np.searchsorted(switches, np.arange(n) * dt, side="right")
    (v_p, _), (v_ap, _) = dut._operating_point(1, bias), dut._operating_point(-1, bias)
    return np.where(np.where(flips % 2 == 0, start, -start) == 1, v_p, v_ap)


def _block(payload: bytes) -> bytes:
    """An IEEE 488.2 definite-length block with the InfiniiVision's 8-digit length (``#800001000…``)."""
    return f"#8{len(payload):08d}".encode() + payload


def _measurement(header: str) -> Callable[..., str]:
    """The query ``:MEASure:<header>? [<parameters>]`` and its command form (which puts the measurement on the
    screen, for :MEASure:RESults?), as one handler carrying both entries."""
    kind = header.upper()

    def query(self: KeysightDSOX3000, tokens: list[str]) -> str:
        return nr3(self._measure(kind, *self._parse_measurement(tokens)))

    def install(self: KeysightDSOX3000, tokens: list[str]) -> None:
        self._install(kind, self._parse_measurement(tokens)[0])

    handler = command(f":MEASure:{header}?", Variadic(Raw(), 0, 3))(query)
    handler._scpi_entries += command(f":MEASure:{header}", Variadic(Raw(), 0, 3))(install)._scpi_entries
    return handler


class KeysightDSOX3000(BenchInstrument):
    """4-channel 200 MHz scope with 4 Mpts of memory, math, FFT and two reference waveforms."""

    idn = ("KEYSIGHT TECHNOLOGIES", "DSOX3024T", "MY58260123", "07.50.2021102830")

    # :CHANnel<n> (*RST: channel 1 on, others off; 1:1, the wiring to the DUT)
    display = ChannelSetting(":CHANnel#:DISPlay", Boolean(False), _CHANNELS)
    scale = ChannelSetting(":CHANnel#:SCALe", Nr3(0.5, 0.0, math.inf, "V"), _CHANNELS, after="_check_scale")
    offset = ChannelSetting(":CHANnel#:OFFSet", Nr3(0.0, unit="V"), _CHANNELS, after="_limit_offset")
    coupling = ChannelSetting(":CHANnel#:COUPling", Enum(["DC", "AC"], "DC"), _CHANNELS)
    impedance = ChannelSetting(":CHANnel#:IMPedance", Enum(["ONEMeg", "FIFTy"], "ONEMeg"), _CHANNELS)
    bandwidth_limit = ChannelSetting(":CHANnel#:BWLimit", Boolean(False), _CHANNELS)
    invert = ChannelSetting(":CHANnel#:INVert", Boolean(False), _CHANNELS)
    vernier = ChannelSetting(":CHANnel#:VERNier", Boolean(False), _CHANNELS)
    label = ChannelSetting(":CHANnel#:LABel", String(""), _CHANNELS, after="_trim_label")
    units = ChannelSetting(":CHANnel#:UNITs", Enum(["VOLT", "AMPere"], "VOLT"), _CHANNELS)
    probe = ChannelSetting(":CHANnel#:PROBe", Nr3(1.0), _CHANNELS, read_only=True)
    probe_skew = ChannelSetting(":CHANnel#:PROBe:SKEW", Nr3(0.0, -100e-9, 100e-9, "S"), _CHANNELS)
    probe_signal = ChannelSetting(":CHANnel#:PROBe:STYPe", Enum(["SINGle", "DIFFerential"], "SINGle"), _CHANNELS)

    # :TIMebase (*RST: 100 µs/div, main window, reference at the centre)
    timebase_mode = Setting(":TIMebase:MODE", Enum(["MAIN", "WINDow", "XY", "ROLL"], "MAIN"))
    timebase_reference = Setting(":TIMebase:REFerence", Enum(["LEFT", "CENTer", "RIGHt"], "CENTer"))
    timebase_scale = Setting(":TIMebase:SCALe", Nr3(100e-6, 1e-9, 50.0, "S"))
    timebase_position = Setting(":TIMebase:POSition", Nr3(0.0, -500.0, 500.0, "S"))
    timebase_vernier = Setting(":TIMebase:VERNier", Boolean(False))
    window_scale = Setting(":TIMebase:WINDow:SCALe", Nr3(10e-6, 1e-9, 50.0, "S"))
    window_position = Setting(":TIMebase:WINDow:POSition", Nr3(0.0, -500.0, 500.0, "S"))

    # :TRIGger (stored: acquisitions are not gated by the trigger)
    trigger_mode = Setting(":TRIGger:MODE", Enum(["EDGE", "GLITch", "PATTern", "TV", "DELay", "EBURst", "OR", "RUNT",
                                                  "SHOLd", "TRANsition", "SBUS1", "SBUS2", "USB"], "EDGE"))
    trigger_sweep = Setting(":TRIGger:SWEep", Enum(["AUTO", "NORMal"], "AUTO"))
    trigger_holdoff = Setting(":TRIGger:HOLDoff", Nr3(40e-9, 40e-9, 10.0, "S"))
    trigger_noise_reject = Setting(":TRIGger:NREJect", Boolean(False))
    trigger_hf_reject = Setting(":TRIGger:HFReject", Boolean(False))
    trigger_source = Setting(":TRIGger[:EDGE]:SOURce", Enum([*_CHANNEL_NAMES, "EXTernal", "LINE", "WGEN"],
                                                            "CHANnel1"))
    trigger_slope = Setting(":TRIGger[:EDGE]:SLOPe", Enum(["POSitive", "NEGative", "EITHer", "ALTernate"],
                                                          "POSitive"))
    trigger_coupling = Setting(":TRIGger[:EDGE]:COUPling", Enum(["DC", "AC", "LFReject"], "DC"))
    trigger_reject = Setting(":TRIGger[:EDGE]:REJect", Enum(["OFF", "LFReject", "HFReject"], "OFF"))

    # :ACQuire
    acquire_type = Setting(":ACQuire:TYPE", Enum(["NORMal", "AVERage", "HRESolution", "PEAK"], "NORMal"))
    acquire_mode = Setting(":ACQuire:MODE", Enum(["RTIMe", "SEGMented"], "RTIMe"))
    acquire_count = Setting(":ACQuire:COUNt", Integer(8, 2, 65536))
    segment_count = Setting(":ACQuire:SEGMented:COUNt", Integer(2, 2, 1000))
    segment_index = Setting(":ACQuire:SEGMented:INDex", Integer(1, 1, 1000))

    # :WAVeform (*RST: CHAN1, BYTE, 1000 points, unsigned, MSB first)
    waveform_source = Setting(":WAVeform:SOURce", Enum(_SOURCES, "CHANnel1"), after="_alias_math")
    waveform_format = Setting(":WAVeform:FORMat", Enum(["ASCii", "WORD", "BYTE"], "BYTE"))
    points_mode = Setting(":WAVeform:POINts:MODE", Enum(["NORMal", "MAXimum", "RAW"], "NORMal"))
    byte_order = Setting(":WAVeform:BYTeorder", Enum(["LSBFirst", "MSBFirst"], "MSBFirst"))
    unsigned = Setting(":WAVeform:UNSigned", Boolean(True))
    waveform_view = Setting(":WAVeform:VIEW", Enum(["MAIN"], "MAIN"))

    # :FUNCtion (math) and :FFT
    function_operation = Setting(":FUNCtion:OPERation", Enum(["ADD", "SUBTract", "MULTiply", "DIVide", "INTegrate",
                                                              "DIFFerentiate", "FFT", "ABSolute", "SQUare"], "ADD"))
    function_source1 = Setting(":FUNCtion:SOURce1", Enum(_CHANNEL_NAMES, "CHANnel1"))
    function_source2 = Setting(":FUNCtion:SOURce2", Enum(_CHANNEL_NAMES, "CHANnel2"))
    function_display = Setting(":FUNCtion:DISPlay", Boolean(False))
    function_scale = Setting(":FUNCtion:SCALe", Nr3(1.0, 1e-12, 1e12))
    function_offset = Setting(":FUNCtion:OFFSet", Nr3(0.0))
    fft_source = Setting(":FFT:SOURce1", Enum(_CHANNEL_NAMES, "CHANnel1"))
    fft_window = Setting(":FFT:WINDow", Enum(["HANNing", "FLATtop", "RECTangular", "BHARris"], "HANNing"))
    fft_vtype = Setting(":FFT:VTYPe", Enum(["DECibel", "VRMS"], "DECibel"))
    fft_display = Setting(":FFT:DISPlay", Boolean(False))
    fft_scale = Setting(":FFT:SCALe", Nr3(10.0, 1e-12, 1e12))
    fft_offset = Setting(":FFT:OFFSet", Nr3(0.0))
    memory_display = ChannelSetting(":WMEMory#:DISPlay", Boolean(False), _MEMORIES)

    # :MEASure, :AUToscale, :DISPlay, :SYSTem
    statistics = Setting(":MEASure:STATistics", Enum(["ON", "CURRent", "MEAN", "MINimum", "MAXimum", "STDDev",
                                                      "COUNt"], "ON"))
    autoscale_channels = Setting(":AUToscale:CHANnels", Enum(["ALL", "DISPlayed"], "ALL"))
    autoscale_mode = Setting(":AUToscale:AMODE", Enum(["NORMal", "CURRent"], "NORMal"))
    display_labels = Setting(":DISPlay:LABel", Boolean(False))
    display_intensity = Setting(":DISPlay:INTensity:WAVeform", Integer(50, 0, 100))
    display_persistence = Setting(":DISPlay:PERSistence", Raw("MIN"), after="_check_persistence")
    annotation = Setting(":DISPlay:ANNotation", Boolean(False))
    annotation_text = Setting(":DISPlay:ANNotation:TEXT", String(""))
    system_lock = Setting(":SYSTem:LOCK", Boolean(False))

    # :MEASure:<measurement>? [<parameters>] and its command form
    _measure_vpp = _measurement("VPP")
    _measure_vmax = _measurement("VMAX")
    _measure_vmin = _measurement("VMIN")
    _measure_vamplitude = _measurement("VAMPlitude")
    _measure_vtop = _measurement("VTOP")
    _measure_vbase = _measurement("VBASe")
    _measure_vaverage = _measurement("VAVerage")
    _measure_vrms = _measurement("VRMS")
    _measure_frequency = _measurement("FREQuency")
    _measure_period = _measurement("PERiod")
    _measure_pwidth = _measurement("PWIDth")
    _measure_nwidth = _measurement("NWIDth")
    _measure_dutycycle = _measurement("DUTYcycle")
    _measure_nduty = _measurement("NDUTy")
    _measure_risetime = _measurement("RISetime")
    _measure_falltime = _measurement("FALLtime")

    def __init__(self, bench: VirtualBench) -> None:
        self.records: dict[int, Record] = {}
        self.memories: dict[int, Record] = {}
        super().__init__(bench)

    def reset(self) -> None:
        """``*RST`` and ``:SYSTem:PRESet``: default setup, running, no acquisition; the reference memories are kept."""
        super().reset()
        self.display[1] = True
        self.label.update({ch: str(ch) for ch in _CHANNELS})
        self.settings["waveform_points"] = 1000
        self.settings["measure_sources"] = ["CHANNEL1", "CHANNEL2"]
        self.settings["trigger_levels"] = {}
        self.records = {}
        self.running = True
        self.triggered = False
        self.acquisitions = 0
        self.installed: list[tuple[str, str]] = []
        self.statistics_log: dict[tuple[str, str], dict[int, float]] = {}

    # ----------------------------------------------------------------- helpers of settings
    def _channel(self, ch: int) -> int:
        if ch not in _CHANNELS:
            raise ScpiError(-114, f"channel {ch} (this scope has 1-4)")
        return ch

    def _check_scale(self, ch: int) -> None:
        low, high = 1e-3 * self.probe[ch], 5.0 * self.probe[ch]
        if not low * (1 - 1e-9) <= self.scale[ch] <= high * (1 + 1e-9):
            raise ScpiError(-222, f"{self.scale[ch]:g} V/div not in [{low:g}, {high:g}]")

    def _limit_offset(self, ch: int) -> None:
        """Out-of-range offsets are set to the nearest legal value, as the programmer's guide says."""
        limit = 40.0 * self.probe[ch]
        self.offset[ch] = min(max(self.offset[ch], -limit), limit)

    def _trim_label(self, ch: int) -> None:
        self.label[ch] = self.label[ch][:10].upper()

    def _alias_math(self) -> None:
        if self.waveform_source == "MATH":
            self.waveform_source = "FUNCTION"  # MATH is an alias of FUNCtion

    def _check_persistence(self) -> None:
        value = self.display_persistence.upper()
        if value.startswith("MIN") or value.startswith("INF"):
            self.display_persistence = value[:3]
            return
        seconds = Nr3(None, 0.1, 60.0, "S").parse(value)
        self.display_persistence = nr3(seconds)

    @command(":CHANnel#:PROBe", Numeric(None, 0.1, 10000.0))
    def _set_probe(self, ch: int, attenuation: float) -> None:
        """A new probe factor scales V/div and offset with it (the input's gain is unchanged)."""
        ratio = attenuation / self.probe[self._channel(ch)]
        self.probe[ch] = attenuation
        self.scale[ch] *= ratio
        self.offset[ch] *= ratio

    @command(":CHANnel#:RANGe", Numeric(None, 0.0, math.inf, "V"))
    def _set_range(self, ch: int, full_scale: float) -> None:
        old = self.scale[self._channel(ch)]
        self.scale[ch] = full_scale / DIVISIONS_Y
        try:
            self._check_scale(ch)
        except ScpiError:
            self.scale[ch] = old
            raise

    @command(":CHANnel#:RANGe?")
    def _range(self, ch: int) -> str:
        return nr3(DIVISIONS_Y * self.scale[self._channel(ch)])

    @command(":CHANnel#?")
    def _channel_setup(self, ch: int) -> str:
        self._channel(ch)
        return (f":CHAN{ch}:RANG {nr3(8 * self.scale[ch])};OFFS {nr3(self.offset[ch])};"
                f"COUP {self.coupling[ch]};IMP {self._short('impedance', ch)};DISP {int(self.display[ch])};"
                f"BWL {int(self.bandwidth_limit[ch])};INV {int(self.invert[ch])};LAB {String().format(self.label[ch])};"
                f"UNIT {self._short('units', ch)};PROB {nr3(self.probe[ch])};PROB:SKEW {nr3(self.probe_skew[ch])};"
                f"STYP {self._short('probe_signal', ch)}")

    def _short(self, name: str, ch: int | None = None) -> str:
        """A setting's query answer (its short form)."""
        attr = getattr(type(self), name)
        return attr.param.format(self.settings[name] if ch is None else self.settings[name][ch])

    @command(":TIMebase:RANGe", Numeric(None, 10e-9, 500.0, "S"))
    def _set_timebase_range(self, full_scale: float) -> None:
        self.timebase_scale = full_scale / 10

    @command(":TIMebase:RANGe?")
    def _timebase_range(self) -> str:
        return nr3(10 * self.timebase_scale)

    @command(":TIMebase:WINDow:RANGe", Numeric(None, 10e-9, 500.0, "S"))
    def _set_window_range(self, full_scale: float) -> None:
        self.window_scale = full_scale / 10

    @command(":TIMebase:WINDow:RANGe?")
    def _window_range(self) -> str:
        return nr3(10 * self.window_scale)

    @command(":TIMebase?")
    def _timebase_setup(self) -> str:
        return (f":TIM:MODE {self._short('timebase_mode')};REF {self._short('timebase_reference')};"
                f"MAIN:RANG {nr3(10 * self.timebase_scale)};POS {nr3(self.timebase_position)}")

    @command(":TRIGger[:EDGE]:LEVel", Numeric(None, -1e3, 1e3, "V"), Enum(_CHANNEL_NAMES + ["EXTernal"],
                                                                           optional=True))
    def _set_trigger_level(self, level: float, source: str | None) -> None:
        self.settings["trigger_levels"][source or self.trigger_source] = level

    @command(":TRIGger[:EDGE]:LEVel?", Enum(_CHANNEL_NAMES + ["EXTernal"], optional=True))
    def _trigger_level(self, source: str | None) -> str:
        return nr3(self.settings["trigger_levels"].get(source or self.trigger_source, 0.0))

    @command(":TRIGger:FORCe")
    def _force(self) -> None:
        self._capture()

    @command(":TER?")
    def _trigger_event(self) -> str:
        value, self.triggered = self.triggered, False
        return f"{int(value):+d}"

    @command(":OPERegister:CONDition?")
    def _operation_condition(self) -> str:
        return f"{8 if self.running else 0:+d}"  # bit 3: Run

    @command(":ACQuire:POINts?")
    def _acquire_points(self) -> str:
        """Samples in the acquisition record: the stored one when stopped, else the next one's."""
        stored = next(iter(self.records.values()), None)
        return f"{len(stored.values) if stored is not None and not self.running else self._record_length():+d}"

    @command(":ACQuire:SRATe?")
    def _sample_rate(self) -> str:
        return nr3(self._record_length() / (10 * self.timebase_scale))

    # ----------------------------------------------------------------- acquisition
    def _record_length(self) -> int:
        """Samples of the next acquisition: the points asked for, at most 62 500 in the NORMal points mode."""
        cap = _MEASUREMENT_RECORD if self.points_mode == "NORMAL" else _MAX_RECORD
        return min(self.settings["waveform_points"], cap)

    def _inputs(self, n: int, dt: float, shots: int) -> dict[int, np.ndarray]:
        """Each input's signal (V) over ``shots`` successive screens, averaged."""
        dut = sum((dut_voltage(self.bench, n, dt) for _ in range(shots)), np.zeros(n)) / shots
        return {1: dut, **{ch: np.zeros(n) for ch in _CHANNELS[1:]}}

    def _capture(self, channels: set[int] | None = None) -> None:
        """Acquire the screen now on ``channels`` (default: what is displayed and what math uses)."""
        wanted = sorted(channels if channels is not None else self._acquired_channels())
        n = self._record_length()
        dt = 10 * self.timebase_scale / n
        shots = self.acquire_count if self.acquire_type == "AVERAGE" else 1
        inputs = self._inputs(n, dt, shots)
        x0 = self.timebase_position - _REFERENCE_DIVISIONS[self.timebase_reference] * self.timebase_scale
        self.records = {ch: self._trace(ch, inputs[ch], dt, x0, shots) for ch in wanted}
        self.triggered = True
        self.acquisitions += 1

    def _trace(self, ch: int, signal: np.ndarray, dt: float, x0: float, shots: int) -> Record:
        """What channel ``ch`` records of ``signal``: inverted, AC-coupled, with front-end noise, clipped."""
        scale, offset = self.scale[ch], self.offset[ch]
        v = -signal if self.invert[ch] else signal
        if self.coupling[ch] == "AC":
            v = v - v.mean()
        v = v + _NOISE_DIVISIONS * scale / math.sqrt(shots) * self.bench.rng.standard_normal(len(v))
        limit = CLIP_CODES * DIVISIONS_Y * scale / ADC_CODES
        return Record(np.clip(v, offset - limit, offset + limit), dt, x0, scale, offset)

    def _acquired_channels(self) -> set[int]:
        displayed = {ch for ch in _CHANNELS if self.display[ch]}
        return displayed | self._math_channels(self.function_display, self.fft_display)

    def _math_channels(self, function: bool, fft: bool) -> set[int]:
        """The channels the math function and the FFT (when they are on) are computed from."""
        channels = {int(self.function_source1[-1]), int(self.function_source2[-1])} if function else set()
        return channels | ({int(self.fft_source[-1])} if fft else set())

    def _latest(self) -> dict[int, Record]:
        """The records waveform queries answer from: a fresh acquisition while running."""
        if self.running:
            self._capture()
        return self.records

    @command(":DIGitize", Variadic(Enum(_DIGITIZE_SOURCES)))
    def _digitize(self, sources: list[str]) -> None:
        """Acquire once and stop. Named sources are turned on and only they (with the channels math uses) are
        acquired; without sources, what is displayed."""
        for source in sources:
            if source.startswith("CHANNEL"):
                self.display[int(source[-1])] = True
            elif source == "FFT":
                self.fft_display = True
            else:
                self.function_display = True
        named = {int(s[-1]) for s in sources if s.startswith("CHANNEL")}
        math_channels = self._math_channels(bool({"FUNCTION", "MATH"} & set(sources)), "FFT" in sources)
        self._capture(named | math_channels if sources else None)
        self.running = False

    @command(":SINGle")
    def _single(self) -> None:
        self._capture()
        self.running = False

    @command(":RUN")
    def _run(self) -> None:
        self.running = True

    @command(":STOP")
    def _stop(self) -> None:
        if self.running:
            self._capture()  # the screen that was showing stays
        self.running = False

    @command(":AUToscale", Variadic(Enum(_CHANNEL_NAMES)))
    def _autoscale(self, sources: list[str]) -> None:
        """Display the inputs carrying a signal (≥ 10 mV), with a 1-2-5 scale showing it over about four
        divisions, centred, and trigger on the first; the others are turned off. Nothing changes when no input has
        a signal. The timebase is kept: the DUT's signal has no period to fit."""
        chosen = [int(s[-1]) for s in sources] or [
            ch for ch in _CHANNELS if self.autoscale_channels == "ALL" or self.display[ch]]
        n = 1000
        inputs = self._inputs(n, 10 * self.timebase_scale / n, 1)
        found = {ch: (float(inputs[ch].min()), float(inputs[ch].max())) for ch in chosen
                 if max(abs(inputs[ch].min()), abs(inputs[ch].max())) >= 10e-3}
        if not found:
            return
        for ch in chosen:
            self.display[ch] = ch in found
        for ch, (low, high) in found.items():
            span = max(high - low, 0.05 * max(abs(low), abs(high)))
            self.scale[ch] = min(max(nice_scale(span / 4), 1e-3 * self.probe[ch]), 5.0 * self.probe[ch])
            self.offset[ch] = (low + high) / 2
        first = min(found)
        self.trigger_source = f"CHANNEL{first}"
        self.settings["trigger_levels"][self.trigger_source] = self.offset[first]
        self.running = True

    # ----------------------------------------------------------------- waveform sources
    def _displayed(self, source: str) -> bool:
        """Whether a source (long form) is on: only what is on has data."""
        if source.startswith("CHANNEL"):
            return bool(self.display[int(source[-1])])
        if source.startswith("WMEMORY"):
            return int(source[-1]) in self.memories
        return bool(self.fft_display if source == "FFT" else self.function_display)

    def _source_record(self, source: str, records: dict[int, Record] | None = None) -> Record:
        """The waveform behind a source name (long form), from ``records`` (default: the latest acquisition)."""
        if not self._displayed(source):
            raise ScpiError(-222, f"{Enum(_SOURCES).format(source)} is off or empty: no data")
        if source.startswith("WMEMORY"):
            return self.memories[int(source[-1])]
        return self._computed(source, self._latest() if records is None else records)

    def _computed(self, source: str, records: dict[int, Record]) -> Record:
        """A channel's, the math function's or the FFT's waveform from the acquisition ``records``."""
        if source in ("FUNCTION", "MATH"):
            return self._function_record(records)
        if source == "FFT":
            channel = self._channel_record(records, int(self.fft_source[-1]))
            return spectrum(channel, self.fft_window, self.fft_vtype, self.fft_scale, self.fft_offset)
        return self._channel_record(records, int(source[-1]))

    @staticmethod
    def _channel_record(records: dict[int, Record], ch: int) -> Record:
        if ch not in records:
            raise ScpiError(-230, f"no acquisition of channel {ch}: :DIGitize or :RUN first")
        return records[ch]

    def _function_record(self, records: dict[int, Record]) -> Record:
        """The math waveform (at most 62 500 points), scaled by :FUNCtion:SCALe and :FUNCtion:OFFSet."""
        a = self._channel_record(records, int(self.function_source1[-1])).decimated(_MEASUREMENT_RECORD)
        op = self.function_operation
        if op == "FFT":
            return spectrum(a, "HANNING", "DECIBEL", self.function_scale, self.function_offset)
        b = self._channel_record(records, int(self.function_source2[-1])).decimated(_MEASUREMENT_RECORD).values
        x = a.values
        with np.errstate(divide="ignore", invalid="ignore"):
            values = {"ADD": lambda: x + b, "SUBTRACT": lambda: x - b, "MULTIPLY": lambda: x * b,
                      "DIVIDE": lambda: np.nan_to_num(x / b, nan=0.0, posinf=1e30, neginf=-1e30),
                      "INTEGRATE": lambda: np.cumsum(x) * a.dx, "DIFFERENTIATE": lambda: np.gradient(x, a.dx),
                      "ABSOLUTE": lambda: np.abs(x), "SQUARE": lambda: x * x}[op]()
        return replace(a, values=values, scale=self.function_scale, offset=self.function_offset, acquired=False)

    @command(":WMEMory#:SAVE", Enum(_DIGITIZE_SOURCES + ["WMEMory1", "WMEMory2"]))
    def _save_memory(self, memory: int, source: str) -> None:
        if memory not in _MEMORIES:
            raise ScpiError(-114, f"waveform memory {memory} (this scope has 1-2)")
        self.memories[memory] = self._source_record(source).decimated(_MEASUREMENT_RECORD)
        self.memory_display[memory] = True

    @command(":WMEMory#:CLEar")
    def _clear_memory(self, memory: int) -> None:
        if memory not in _MEMORIES:
            raise ScpiError(-114, f"waveform memory {memory} (this scope has 1-2)")
        self.memories.pop(memory, None)
        self.memory_display[memory] = False

    # ----------------------------------------------------------------- :WAVeform transfer
    @command(":WAVeform:POINts", Raw())
    def _set_points(self, token: str) -> None:
        if token.upper() in ("NORM", "NORMAL", "MAX", "MAXIMUM", "RAW"):
            self.points_mode = Enum(["NORMal", "MAXimum", "RAW"]).parse(token)  # deprecated <points_mode> form
            return
        self.settings["waveform_points"] = Integer(None, 100, _MAX_RECORD).parse(token)

    @command(":WAVeform:POINts?")
    def _points(self) -> str:
        """The points :WAVeform:DATA? would send now."""
        source = self.waveform_source
        if not source.startswith("CHANNEL"):
            return f"{len(self._transfer_record().values):+d}"
        stored = self.records.get(int(source[-1]))
        length = len(stored.values) if stored is not None and not self.running else self._record_length()
        return f"{min(self.settings['waveform_points'], self._transfer_limit(length, source)):+d}"

    def _transfer_limit(self, length: int, source: str) -> int:
        if self.points_mode == "NORMAL" or not source.startswith("CHANNEL"):
            return min(length, _MEASUREMENT_RECORD)
        return length

    def _transfer_record(self) -> Record:
        """The source's waveform decimated to the points asked for (and the points mode allows)."""
        record = self._source_record(self.waveform_source)
        points = min(self.settings["waveform_points"], self._transfer_limit(len(record.values), self.waveform_source))
        return record.decimated(points)

    def _codes(self, record: Record) -> tuple[np.ndarray, float, int]:
        """Integer codes of ``record`` with (y increment, y reference) for the BYTE/WORD formats."""
        bits = 16 if self.waveform_format == "WORD" else 8
        y_increment = DIVISIONS_Y * record.scale / ADC_CODES / (256 if bits == 16 else 1)
        half = 2 ** (bits - 1)
        codes = np.clip(np.round((record.values - record.offset) / y_increment) + half, 1, 2 ** bits - 1)
        if not self.unsigned:
            return (codes - half).astype(np.int64), y_increment, 0
        return codes.astype(np.int64), y_increment, half

    @command(":WAVeform:PREamble?")
    def _preamble(self) -> str:
        record = self._transfer_record()
        _, y_increment, y_reference = self._codes(record)
        kind = self.acquire_type if self.waveform_source.startswith("CHANNEL") else "NORMAL"
        count = self.acquire_count if kind == "AVERAGE" else 1
        return (f"{_PREAMBLE_FORMAT[self.waveform_format]:+d},{_PREAMBLE_TYPE[kind]:+d},{len(record.values):+d},"
                f"{count:+d},{record.dx:+.9E},{record.x0:+.9E},+0,{y_increment:+.9E},{record.offset:+.9E},"
                f"{y_reference:+d}")

    @command(":WAVeform:DATA?")
    def _data(self) -> str | bytes:
        record = self._transfer_record()
        if self.waveform_format == "ASCII":
            body = ",".join(f"{x:+.6E}" for x in record.values)
            return f"#8{len(body):08d}{body}"
        codes, *_ = self._codes(record)
        bits = "1" if self.waveform_format == "BYTE" else "2"
        kind = ("u" if self.unsigned else "i") + bits
        order = ">" if self.byte_order == "MSBFIRST" else "<"
        return _block(codes.astype(order + kind).tobytes())

    def _preamble_field(self, index: int) -> str:
        return self._preamble().split(",")[index]

    @command(":WAVeform:XINCrement?")
    def _x_increment(self) -> str:
        return self._preamble_field(4)

    @command(":WAVeform:XORigin?")
    def _x_origin(self) -> str:
        return self._preamble_field(5)

    @command(":WAVeform:XREFerence?")
    def _x_reference(self) -> str:
        return self._preamble_field(6)

    @command(":WAVeform:YINCrement?")
    def _y_increment(self) -> str:
        return self._preamble_field(7)

    @command(":WAVeform:YORigin?")
    def _y_origin(self) -> str:
        return self._preamble_field(8)

    @command(":WAVeform:YREFerence?")
    def _y_reference(self) -> str:
        return self._preamble_field(9)

    @command(":WAVeform:COUNt?")
    def _waveform_count(self) -> str:
        return f"{self.acquire_count if self.acquire_type == 'AVERAGE' else 1:+d}"

    @command(":WAVeform:TYPE?")
    def _waveform_type(self) -> str:
        return self._short("acquire_type")

    @command(":WAVeform?")
    def _waveform_setup(self) -> str:
        return (f":WAV:UNS {int(self.unsigned)};VIEW MAIN;BYT {self._short('byte_order')};"
                f"FORM {self._short('waveform_format')};POIN {self._points()};SOUR {self._short('waveform_source')};"
                f"SOUR:SUBS NONE")

    # ----------------------------------------------------------------- :MEASure
    def _parse_measurement(self, tokens: Sequence[str]) -> tuple[str, str, str]:
        """(source, interval, VRMS type) from a measurement's optional parameters, in any order."""
        source, interval, rms_type = self.settings["measure_sources"][0], "DISPLAY", "DC"
        for token in tokens:
            up = token.upper()
            if up in ("CYCL", "CYCLE", "DISP", "DISPLAY"):
                interval = "CYCLE" if up.startswith("CYCL") else "DISPLAY"
            elif up in ("AC", "DC"):
                rms_type = up
            else:
                source = Enum(_SOURCES).parse(token)
        return ("FUNCTION" if source == "MATH" else source), interval, rms_type

    def _measure(self, kind: str, source: str, interval: str, rms_type: str,
                 records: dict[int, Record] | None = None) -> float:
        """A measurement on ``source``; inf when it is off or has no data."""
        try:
            record = self._source_record(source, records)
        except ScpiError:
            return math.inf
        return measure(kind, record, interval, rms_type)

    def _install(self, kind: str, source: str) -> None:
        if (kind, source) not in self.installed:
            self.installed = [*self.installed, (kind, source)][-10:]  # the screen shows the last ten

    @command(":MEASure:SOURce", Variadic(Enum(_SOURCES), 1, 2))
    def _set_measure_sources(self, sources: list[str]) -> None:
        sources = ["FUNCTION" if s == "MATH" else s for s in sources]
        self.settings["measure_sources"] = sources + self.settings["measure_sources"][len(sources):]

    @command(":MEASure:SOURce?")
    def _measure_sources(self) -> str:
        return ",".join(Enum(_SOURCES).format(s) for s in self.settings["measure_sources"])

    @command(":MEASure:CLEar")
    def _clear_measurements(self) -> None:
        self.installed = []
        self.statistics_log = {}

    @command(":MEASure:STATistics:RESet")
    def _reset_statistics(self) -> None:
        self.statistics_log = {}

    @command(":MEASure:RESults?")
    def _results(self) -> str:
        """The installed measurements: label, current, minimum, maximum, mean, std dev and count with statistics
        ON, else the one column :MEASure:STATistics names."""
        records = self._latest()  # every measurement on the same acquisition
        out = []
        for kind, source in self.installed:
            value = self._measure(kind, source, "DISPLAY", "DC", records)
            log = self.statistics_log.setdefault((kind, source), {})
            log[self.acquisitions] = value  # one entry per acquisition, however often it is asked
            out.append(self._result_fields(kind, source, value, [v for v in log.values() if math.isfinite(v)]))
        return ",".join(out)

    def _result_fields(self, kind: str, source: str, value: float, log: list[float]) -> str:
        stats = {"CURRENT": value, "MINIMUM": min(log, default=math.inf), "MAXIMUM": max(log, default=math.inf),
                 "MEAN": float(np.mean(log)) if log else math.inf, "STDDEV": float(np.std(log)) if log else math.inf,
                 "COUNT": len(log)}
        if self.statistics != "ON":
            return nr3(stats[self.statistics]) if self.statistics != "COUNT" else f"{len(log):+d}"
        label = f"{_MEASUREMENTS[next(h for h in _MEASUREMENTS if h.upper() == kind)]}({self._source_label(source)})"
        return ",".join([label, *(nr3(stats[k]) for k in ("CURRENT", "MINIMUM", "MAXIMUM", "MEAN", "STDDEV")),
                         f"{len(log):+d}"])

    @staticmethod
    def _source_label(source: str) -> str:
        return source[-1] if source.startswith("CHANNEL") else Enum(_SOURCES).format(source)

    # ----------------------------------------------------------------- :DISPlay
    @command(":DISPlay:VECTors?")
    def _vectors(self) -> str:
        return "1"  # the 3000 X always draws vectors

    @command(":DISPlay:CLEar")
    def _clear_display(self) -> None:
        """Clears persistence; no stored waveform changes."""

    @command(":DISPlay:DATA?", Variadic(Enum(["BMP", "BMP8bit", "PNG", "COLor", "GRAYscale"]), 0, 2))
    def _screen_image(self, options: list[str]) -> bytes:
        """The screen as an image file in a ``#8`` block (default BMP, colour)."""
        image_format = next((o for o in options if o.startswith(("BMP", "PNG"))), "BMP")
        image = self._render()
        if "GRAYSCALE" in options:
            image = np.repeat((image @ np.array([0.299, 0.587, 0.114]))[:, :, None], 3, axis=2).astype(np.uint8)
        data = png(image) if image_format == "PNG" else bmp(image, image_format == "BMP8BIT")
        return _block(data)

    def _render(self) -> np.ndarray:
        """The screen: graticule and every displayed waveform."""
        image = np.zeros((_SCREEN_ROWS, _SCREEN_COLUMNS, 3), np.uint8)
        image[:: _SCREEN_ROWS // DIVISIONS_Y, ::4] = 70
        image[::4, :: _SCREEN_COLUMNS // 10] = 70
        records = self._latest() if self._acquired_channels() else self.records
        shown: list[tuple[Any, Record]] = [(m + 999, rec) for m, rec in self.memories.items()
                                           if self.memory_display[m]]
        for source, key in [*((f"CHANNEL{ch}", ch) for ch in _CHANNELS), ("FUNCTION", "FUNCTION"), ("FFT", "FFT")]:
            if self._displayed(source):
                try:
                    shown.append((key, self._computed(source, records)))
                except ScpiError:
                    continue  # on, but not acquired since
        for key, record in shown:
            self._draw(image, record, _TRACE_COLOURS[key])
        return image

    @staticmethod
    def _draw(image: np.ndarray, record: Record, colour: tuple[int, int, int]) -> None:
        """Draw ``record`` as vertical strokes between each column's lowest and highest sample."""
        n = len(record.values)
        column = np.arange(n) * _SCREEN_COLUMNS // n
        row = _SCREEN_ROWS / 2 - (record.values - record.offset) / record.scale * (_SCREEN_ROWS / DIVISIONS_Y)
        row = np.clip(np.round(row), 0, _SCREEN_ROWS - 1).astype(int)
        top = np.full(_SCREEN_COLUMNS, _SCREEN_ROWS)
        bottom = np.full(_SCREEN_COLUMNS, -1)
        np.minimum.at(top, column, row)
        np.maximum.at(bottom, column, row)
        rows = np.arange(_SCREEN_ROWS)[:, None]
        image[(rows >= top) & (rows <= bottom)] = colour

    # ----------------------------------------------------------------- :SYSTem
    @command(":SYSTem:PRESet")
    def _preset(self) -> None:
        self.reset()

    @command(":SYSTem:ERRor[:NEXT]?")
    def _system_error(self) -> str:
        code, text = self.errors.pop()
        return f'{code:+d},"{text}"'

    @command(":SYSTem:SETup?")
    def _setup(self) -> str:
        """The setup as an opaque block (the settings, hex-encoded) that :SYSTem:SETup restores."""
        state = {name: ({str(k): v for k, v in value.items()} if isinstance(value, dict) else value)
                 for name, value in self.settings.items()}
        payload = json.dumps(state, sort_keys=True).encode().hex()
        return f"#8{len(payload):08d}{payload}"

    @command(":SYSTem:SETup", Raw())
    def _restore_setup(self, block: str) -> None:
        m = re.fullmatch(r"#8(\d{8})([0-9a-f]*)", block.strip())
        if m is None or int(m.group(1)) != len(m.group(2)):
            raise ScpiError(-104, "expected the #8 block :SYSTem:SETup? sent")
        try:
            state = json.loads(bytes.fromhex(m.group(2)))
        except ValueError:
            raise ScpiError(-224, "not a setup of this instrument") from None
        if set(state) != set(self.settings):
            raise ScpiError(-224, "not a setup of this instrument")
        for name, value in state.items():
            current = self.settings[name]
            if isinstance(current, dict) and current and all(isinstance(k, int) for k in current):
                value = {int(k): v for k, v in value.items()}
            self.settings[name] = value
        self.records = {}

