"""Virtual Tektronix MSO5204B mixed-signal oscilloscope watching the DUT's voltage.

Follows the MSO/DPO5000B programmer manual (the command set it shares with the DPO7000 and DPO70000 series).
Channel 1 is DC-coupled across the DUT (wired 1:1), so it records the same signal as the Keysight twin: the
junction's voltage with its telegraph switching and resistance noise (:func:`.oscilloscope.dut_voltage`); channels
2–4 are open inputs. The screen has 10 horizontal and 10 vertical divisions; one acquisition covers the record,
``HORizontal:MODE:RECOrdlength`` samples at ``HORizontal:MODE:SAMPLERate``, and advances the bench's time by it.

The horizontal mode decides which of scale, record length and sample rate follows the others (AUTO: the record
length is kept as the scale changes; CONStant: the sample rate is kept; MANual: record length and sample rate are
set, the scale follows). ``ACQuire:STOPAfter SEQuence`` with ``ACQuire:STATE ON`` acquires once and stops; while
the scope runs (``RUNSTop``), ``CURVe?`` answers from a fresh acquisition. Triggering is not modelled (every
acquisition is taken at once, as the AUTO trigger mode does when nothing triggers). ``CURVe?`` sends samples
``DATa:STARt`` to ``DATa:STOP`` of the ``DATa:SOUrce`` channel as a definite-length block (``#72000000…``) in the
``DATa:ENCdg`` encoding, scaled by the ``WFMOutpre`` fields: value = (code − YOFf)·YMUlt + YZEro; the preamble
describes the stored record when stopped, else the next one. The waveform sources are the four channels (math and
reference waveforms are not modelled: ``DATa:SOUrce MATH1`` is refused, -224). ``MEASUrement`` computes the level
and timing types of the Keysight twin's analysis on a slot's source and answers 9.91E37 for the others.

Errors are Tektronix events: queued as they happen, made readable by ``*ESR?`` (which also forgets the events a
previous ``*ESR?`` made readable and nobody read), then read with ``EVMsg?``, ``EVENT?`` or ``ALLEv?``; their
codes are the SCPI numbers without the sign (113 "Undefined header", 222 "Data out of range"). The scope
has no ``SYSTem:ERRor?``. Replies carry no headers (``HEADer OFF``, what drivers set) and keywords in their long
form (``VERBose ON``, the default); both settings are stored, neither changes the replies.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mtjhw.simulators.scpi import (
    Boolean,
    ChannelSetting,
    Enum,
    Integer,
    Numeric,
    Raw,
    ScpiError,
    Setting,
    command,
)

from .base import BenchInstrument
from .oscilloscope import dut_voltage
from .scope_analysis import Record, measure

_CHANNELS = (1, 2, 3, 4)
_DIVISIONS = 10  # horizontal and vertical
_CODES_PER_DIVISION = 25  # 8-bit digitizing levels per vertical division (6400 with two bytes)
_CLIP_DIVISIONS = 127 / _CODES_PER_DIVISION  # from the screen centre to either end of the ADC's range
_NOISE_DIVISIONS = 0.02  # rms noise of the front end
_RECORD_RANGE = (1000, 25_000_000)  # samples
_MAX_SAMPLE_RATE = 10e9  # S/s
_SCALE_RANGE = (200e-12, 1000.0)  # s/div
_NOT_AVAILABLE = 9.91e37  # what a measurement that cannot be made answers
#: DATa:ENCdg → (WFMOutpre:ENCdg, BN_Fmt, BYT_Or)
#: (FAStest: the fastest for the source, signed integers MSB first for a channel)
_ENCODINGS = {"ASCII": ("ASCII", "RI", "MSB"), "RIBINARY": ("BINARY", "RI", "MSB"),
              "RPBINARY": ("BINARY", "RP", "MSB"), "FPBINARY": ("BINARY", "FP", "MSB"),
              "SRIBINARY": ("BINARY", "RI", "LSB"), "SRPBINARY": ("BINARY", "RP", "LSB"),
              "SFPBINARY": ("BINARY", "FP", "LSB"), "FASTEST": ("BINARY", "RI", "MSB")}
_ENCODING_NAMES = ["ASCIi", "FAStest", "RIBinary", "RPBinary", "FPBinary", "SRIbinary", "SRPbinary", "SFPbinary"]
_SOURCES = [f"CH{ch}" for ch in _CHANNELS]
#: MEASUrement types this twin computes → the measurement of :func:`.scope_analysis.measure`; others answer
#: 9.91E37, as the scope does for a measurement it cannot make on the signal.
_MEASUREMENTS = {"AMPLITUDE": "VAMPLITUDE", "HIGH": "VTOP", "LOW": "VBASE", "MAXIMUM": "VMAX", "MINIMUM": "VMIN",
                 "MEAN": "VAVERAGE", "PK2PK": "VPP", "RMS": "VRMS", "FREQUENCY": "FREQUENCY", "PERIOD": "PERIOD",
                 "PWIDTH": "PWIDTH", "NWIDTH": "NWIDTH", "PDUTY": "DUTYCYCLE", "NDUTY": "NDUTY",
                 "RISE": "RISETIME", "FALL": "FALLTIME"}
_MEASUREMENT_TYPES = ["AMPlitude", "AREa", "BURst", "CARea", "CMEan", "CRMs", "DELay", "DISTDUty", "EXTINCTDB",
                      "EXTINCTPCT", "EXTINCTRATIO", "EYEHeight", "EYEWIdth", "FALL", "FREQuency", "HIGH", "HITs",
                      "LOW", "MAXimum", "MEAN", "MEDian", "MINImum", "NCROss", "NDUty", "NOVershoot", "NWIdth",
                      "PBASe", "PCROss", "PCTCROss", "PDUty", "PEAKHits", "PERIod", "PHAse", "PK2Pk", "PKPKJitter",
                      "PKPKNoise", "POVershoot", "PTOP", "PWIdth", "QFACtor", "RISe", "RMS", "RMSJitter", "RMSNoise",
                      "SIGMA1", "SIGMA2", "SIGMA3", "SIXSigmajit", "SNRatio", "STDdev", "UNDEFINED", "WAVEFORMS"]
_MEASUREMENT_SLOTS = tuple(range(1, 9))
_TRIGGER_TYPES = ["EDGe", "LOGIc", "PULse", "VIDeo", "I2C", "CAN", "SPI", "COMMunication", "SERIAL", "RS232"]
_TRIGGER_SOURCES = [*_SOURCES, "AUXiliary", "LINE"]
_TRIGGER_COUPLINGS = ["AC", "DC", "HFRej", "LFRej", "NOISErej"]
_SLOPES = ["RISe", "FALL", "EITher"]


def nr3(value: float) -> str:
    """A number as the scope answers it: four decimals and an exponent (``1.0000E-01``)."""
    return f"{value:.4E}"


class TekNumeric(Numeric):
    """A :class:`Numeric` answered in the scope's NR3."""

    def format(self, value: float) -> str:
        return nr3(value)


class TekEnum(Enum):
    """An :class:`Enum` answered in its long form (``BINARY``), as the scope answers keywords with VERBose ON."""

    def format(self, value: str) -> str:
        return value


def _block(payload: bytes) -> bytes:
    """An IEEE 488.2 definite-length block with the fewest length digits (``#72000000…``)."""
    length = str(len(payload))
    return f"#{len(length)}{length}".encode() + payload


class TektronixMSO5000(BenchInstrument):
    """4-channel 2 GHz MSO5204B with up to 25 M samples per record at up to 10 GS/s."""

    idn = ("TEKTRONIX", "MSO5204B", "C012345", "CF:91.1CT FV:10.8.3 Build 3")
    withdrawn = (":SYSTem:ERRor[:NEXT]?", ":SYSTem:ERRor:ALL?", ":SYSTem:ERRor:COUNt?", ":SYSTem:VERSion?")

    header = Setting("HEADer", Boolean(False))
    verbose = Setting("VERBose", Boolean(True))

    # CH<x> (*RST: 100 mV/div, 1 MΩ, DC; channel 1 shown)
    shown = ChannelSetting("SELect:CH#", Boolean(False), _CHANNELS)
    scale = ChannelSetting("CH#:SCAle", TekNumeric(0.1, 0.0, math.inf), _CHANNELS, after="_check_scale")
    offset = ChannelSetting("CH#:OFFSet", TekNumeric(0.0), _CHANNELS, after="_limit_offset")
    position = ChannelSetting("CH#:POSition", TekNumeric(0.0, -5.0, 5.0), _CHANNELS)
    coupling = ChannelSetting("CH#:COUPling", TekEnum(["AC", "DC", "GND", "DCREJect"], "DC"), _CHANNELS)
    termination = ChannelSetting("CH#:TERmination", TekNumeric(1e6, 0.0, math.inf), _CHANNELS,
                                 after="_snap_termination")
    threshold = ChannelSetting("CH#:THRESHold", TekNumeric(0.0, -10.0, 10.0), _CHANNELS)
    termination_bias = ChannelSetting("CH#:VTERm:BIAS", TekNumeric(0.0, -10.0, 10.0), _CHANNELS)
    bandwidth = ChannelSetting("CH#:BANdwidth", TekNumeric(2e9, 20e6, 2e9), _CHANNELS)

    # HORizontal (scale, record length and sample rate are handled together: see _set_*)
    horizontal_mode = Setting("HORizontal:MODE", TekEnum(["AUTO", "CONStant", "MANual"], "AUTO"))
    horizontal_position = Setting("HORizontal:POSition", TekNumeric(50.0, 0.0, 100.0))
    roll = Setting("HORizontal:ROLL", TekEnum(["AUTO", "ON", "OFF"], "AUTO"))

    # ACQuire
    acquire_mode = Setting("ACQuire:MODe", TekEnum(["SAMple", "PEAKdetect", "HIRes", "AVErage", "WFMDB", "ENVelope"],
                                                   "SAMPLE"))
    stop_after = Setting("ACQuire:STOPAfter", TekEnum(["RUNSTop", "SEQuence"], "RUNSTOP"))
    averages = Setting("ACQuire:NUMAVg", Integer(16, 2, 10000))

    # TRIGger:A and :B (stored: acquisitions are not gated by the trigger)
    trigger_mode = Setting("TRIGger:A:MODe", TekEnum(["AUTO", "NORMal"], "AUTO"))
    trigger_a_type = Setting("TRIGger:A:TYPe", TekEnum(_TRIGGER_TYPES, "EDGE"))
    trigger_a_source = Setting("TRIGger:A:EDGE:SOUrce", TekEnum(_TRIGGER_SOURCES, "CH1"))
    trigger_a_coupling = Setting("TRIGger:A:EDGE:COUPling", TekEnum(_TRIGGER_COUPLINGS, "DC"))
    trigger_a_slope = Setting("TRIGger:A:EDGE:SLOpe", TekEnum(_SLOPES, "RISE"))
    trigger_a_level = Setting("TRIGger:A:LEVel", TekNumeric(0.0, -1e3, 1e3))
    trigger_b_type = Setting("TRIGger:B:TYPe", TekEnum(_TRIGGER_TYPES, "EDGE"))
    trigger_b_source = Setting("TRIGger:B:EDGE:SOUrce", TekEnum(_TRIGGER_SOURCES, "CH1"))
    trigger_b_coupling = Setting("TRIGger:B:EDGE:COUPling", TekEnum(_TRIGGER_COUPLINGS, "DC"))
    trigger_b_slope = Setting("TRIGger:B:EDGE:SLOpe", TekEnum(_SLOPES, "RISE"))
    trigger_b_level = Setting("TRIGger:B:LEVel", TekNumeric(0.0, -1e3, 1e3))

    # DATa and WFMOutpre (the encoding's parts are the WFMOutpre settings: DATa:ENCdg sets three at once)
    source = Setting("DATa:SOUrce", TekEnum(_SOURCES, "CH1"))
    start = Setting("DATa:STARt", Integer(1, 1, _RECORD_RANGE[1]))
    stop = Setting("DATa:STOP", Integer(10_000, 1, _RECORD_RANGE[1]))
    wfm_encoding = Setting("WFMOutpre:ENCdg", TekEnum(["ASCii", "BINary"], "BINARY"))
    number_format = Setting("WFMOutpre:BNFmt", TekEnum(["RI", "RP", "FP"], "RI"), after="_match_width")
    byte_order = Setting("WFMOutpre:BYTOr", TekEnum(["LSB", "MSB"], "MSB"))
    width = Setting("WFMOutpre:BYTNr", Integer(1, 1, 4), after="_check_width")

    # MEASUrement (computed on the latest acquisition of each slot's SOUrce1; STATe is stored)
    measurement_on = ChannelSetting("MEASUrement:MEAS#:STATe", Boolean(False), _MEASUREMENT_SLOTS)
    measurement_type = ChannelSetting("MEASUrement:MEAS#:TYPe", TekEnum(_MEASUREMENT_TYPES, "UNDEFINED"),
                                      _MEASUREMENT_SLOTS, after="_restart_statistics")
    immediate_type = Setting("MEASUrement:IMMed:TYPe", TekEnum(_MEASUREMENT_TYPES, "UNDEFINED"))
    gating = Setting("MEASUrement:GATing", TekEnum(["ON", "OFF", "ZOOM1", "ZOOM2", "ZOOM3", "ZOOM4", "CURSor"], "OFF"))
    statistics_mode = Setting("MEASUrement:STATIstics:MODe", TekEnum(["OFF", "ALL", "VALUEMean", "MINMax",
                                                                      "MEANSTDdev"], "ALL"))
    statistics_weighting = Setting("MEASUrement:STATIstics:WEIghting", Integer(32, 2, 1000))

    # CURSor (stored)
    cursor_function = Setting("CURSor:FUNCtion", TekEnum(["OFF", "HBArs", "VBArs", "SCREEN", "WAVEform"], "SCREEN"))
    cursor_state = Setting("CURSor:STATE", Boolean(False))
    vbars = ChannelSetting("CURSor:VBArs:POSition#", TekNumeric(0.0), (1, 2))  # s
    hbars = ChannelSetting("CURSor:HBArs:POSition#", TekNumeric(0.0), (1, 2))  # V

    def _execute(self, unit: str, path: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        """Tektronix mnemonics may hold underscores (``WFMOutpre:BYT_Nr``, short ``BYT_N``); they are declared here
        without them (``BYTNr``), and a header's underscores are dropped before it is looked up."""
        header, *rest = unit.split(None, 1)
        return super()._execute(" ".join([header.replace("_", ""), *rest]), path)

    def reset(self) -> None:
        """``*RST``: default setup, running; the event queue is kept (as ``*RST`` keeps it)."""
        super().reset()
        self.shown[1] = True
        self.settings.update(record_length=10_000, horizontal_scale=4e-6)
        self.settings["sample_rate"] = 10_000 / (_DIVISIONS * 4e-6)
        self.records: dict[int, Record] = {}
        self.running = True
        self.acquisitions = 0
        self.readable = getattr(self, "readable", 0)  # events made readable by the last *ESR?
        self.statistics: dict[int, list[float]] = {}
        #: measurement sources by (slot, 1 or 2); slot 0 is the immediate measurement
        self.measurement_sources = {(slot, k): f"CH{k}" for slot in (0, *_MEASUREMENT_SLOTS) for k in (1, 2)}

    # ----------------------------------------------------------------- vertical
    def _check_scale(self, ch: int) -> None:
        """1 mV/div to 10 V/div at 1 MΩ, to 1 V/div at 50 Ω."""
        high = 1.0 if self.termination[ch] == 50.0 else 10.0
        if not 1e-3 * (1 - 1e-9) <= self.scale[ch] <= high * (1 + 1e-9):
            raise ScpiError(-222, f"{self.scale[ch]:g} V/div not in [0.001, {high:g}]")

    def _limit_offset(self, ch: int) -> None:
        """Offsets beyond the range of the present V/div are set to the nearest legal value."""
        scale = self.scale[ch]
        limit = 1.0 if scale <= 50e-3 else 10.0 if scale <= 500e-3 else 100.0
        self.offset[ch] = min(max(self.offset[ch], -limit), limit)

    def _snap_termination(self, ch: int) -> None:
        """Either 50 Ω or 1 MΩ, the nearer; at 50 Ω the scale drops to 1 V/div if it was coarser."""
        self.termination[ch] = 50.0 if self.termination[ch] < math.sqrt(50.0 * 1e6) else 1e6
        if self.termination[ch] == 50.0:
            self.scale[ch] = min(self.scale[ch], 1.0)

    # ----------------------------------------------------------------- horizontal
    @command("HORizontal[:MODE]:SCAle", TekNumeric(None, *_SCALE_RANGE))
    def _set_scale(self, scale: float) -> None:
        if self.horizontal_mode == "MANUAL":
            raise ScpiError(-221, "HORizontal:MODE MANual: the scale follows record length and sample rate")
        if self.horizontal_mode == "AUTO":  # the record length is kept, unless the sample rate would pass its maximum
            length = min(self.settings["record_length"], round(_DIVISIONS * scale * _MAX_SAMPLE_RATE))
            self._horizontal(length, length / (_DIVISIONS * scale))
        else:
            self._horizontal(round(_DIVISIONS * scale * self.settings["sample_rate"]), self.settings["sample_rate"])

    @command("HORizontal[:MODE]:RECOrdlength", Integer(None, *_RECORD_RANGE))
    def _set_record_length(self, length: int) -> None:
        if self.horizontal_mode == "CONSTANT":
            raise ScpiError(-221, "HORizontal:MODE CONStant: the record length follows the scale")
        rate = self.settings["sample_rate"] if self.horizontal_mode == "MANUAL" else \
            length / (_DIVISIONS * self.settings["horizontal_scale"])
        self._horizontal(length, rate)

    @command("HORizontal[:MODE]:SAMPLERate", TekNumeric(None, 1e-3, _MAX_SAMPLE_RATE))
    def _set_sample_rate(self, rate: float) -> None:
        if self.horizontal_mode == "AUTO":
            raise ScpiError(-221, "HORizontal:MODE AUTO: the sample rate follows scale and record length")
        length = self.settings["record_length"] if self.horizontal_mode == "MANUAL" else \
            round(_DIVISIONS * self.settings["horizontal_scale"] * rate)
        self._horizontal(length, rate)

    def _horizontal(self, length: int, rate: float) -> None:
        """Record length and sample rate, checked together; the scale follows (10 divisions hold the record)."""
        if not _RECORD_RANGE[0] <= length <= _RECORD_RANGE[1]:
            raise ScpiError(-222, f"record length {length} not in [{_RECORD_RANGE[0]}, {_RECORD_RANGE[1]}]")
        if rate > _MAX_SAMPLE_RATE * (1 + 1e-12):
            raise ScpiError(-222, f"{rate:g} S/s is beyond {_MAX_SAMPLE_RATE:g} S/s")
        scale = length / (_DIVISIONS * rate)
        if not _SCALE_RANGE[0] * (1 - 1e-9) <= scale <= _SCALE_RANGE[1] * (1 + 1e-9):
            raise ScpiError(-222, f"{scale:g} s/div not in [{_SCALE_RANGE[0]:g}, {_SCALE_RANGE[1]:g}]")
        self.settings.update(record_length=length, sample_rate=rate, horizontal_scale=scale)

    @command("HORizontal[:MODE]:SCAle?")
    def _scale(self) -> str:
        return nr3(self.settings["horizontal_scale"])

    @command("HORizontal[:MODE]:RECOrdlength?")
    def _record_length(self) -> str:
        return str(self.settings["record_length"])

    @command("HORizontal[:MODE]:SAMPLERate?")
    def _sample_rate(self) -> str:
        return nr3(self.settings["sample_rate"])

    @command("HORizontal:MAIn:UNIts?")
    def _horizontal_units(self) -> str:
        return '"s"'

    # ----------------------------------------------------------------- acquisition
    @command("ACQuire:STATE", Raw())
    def _set_state(self, token: str) -> None:
        up = token.upper()
        if up in ("ON", "RUN", "1"):
            if self.stop_after == "SEQUENCE":
                self._capture()
            self.running = self.stop_after != "SEQUENCE"
        elif up in ("OFF", "STOP", "0"):
            if self.running:
                self._capture()  # the record that was showing stays
            self.running = False
        else:
            raise ScpiError(-224, f"ACQuire:STATE takes ON, OFF, RUN, STOP or 0/1, got {token}")

    @command("ACQuire:STATE?")
    def _state(self) -> str:
        return "1" if self.running else "0"

    @command("ACQuire:NUMACq?")
    def _acquired(self) -> str:
        return str(self.acquisitions)

    @command("TRIGger:A:READY?")
    @command("TRIGger:B:READY?")
    def _ready(self) -> str:
        return "1" if self.running else "0"

    @command("TRIGger:STATE?")
    def _trigger_state(self) -> str:
        return "AUTO" if self.running else "SAVE"

    def _capture(self) -> None:
        """Acquire one record on every shown channel (averaged over ACQuire:NUMAVg shots in AVErage mode)."""
        n, rate = self.settings["record_length"], self.settings["sample_rate"]
        shots = self.averages if self.acquire_mode == "AVERAGE" else 1
        dut = sum((dut_voltage(self.bench, n, 1 / rate) for _ in range(shots)), np.zeros(n)) / shots
        x0 = -self.horizontal_position / 100 * n / rate
        self.records = {ch: self._trace(ch, dut if ch == 1 else np.zeros(n), x0, shots)
                        for ch in _CHANNELS if self.shown[ch]}
        self.acquisitions += 1

    def _trace(self, ch: int, signal: np.ndarray, x0: float, shots: int) -> Record:
        """What channel ``ch`` records: coupled, with front-end noise, clipped at the ADC's range."""
        scale = self.scale[ch]
        centre = self.offset[ch] - self.position[ch] * scale  # the voltage at the screen's centre line
        v = {"AC": lambda: signal - signal.mean(), "GND": lambda: np.zeros_like(signal)}.get(
            self.coupling[ch], lambda: signal)()
        v = v + _NOISE_DIVISIONS * scale / math.sqrt(shots) * self.bench.rng.standard_normal(len(v))
        limit = _CLIP_DIVISIONS * scale
        return Record(np.clip(v, centre - limit, centre + limit), 1 / self.settings["sample_rate"], x0, scale,
                      centre)

    def _latest(self, ch: int) -> Record:
        """The record waveform queries answer from: a fresh acquisition while running."""
        if not self.shown[ch]:
            raise ScpiError(-200, f"CH{ch} is not displayed: no waveform (SELect:CH{ch} ON)")
        if self.running:
            self._capture()
        if ch not in self.records:
            raise ScpiError(-230, f"no acquisition of CH{ch} since it was turned on (ACQuire:STATE ON)")
        return self.records[ch]

    # ----------------------------------------------------------------- DATa and WFMOutpre
    @command("DATa:ENCdg", TekEnum(_ENCODING_NAMES))
    def _set_encoding(self, encoding: str) -> None:
        self.wfm_encoding, self.number_format, self.byte_order = _ENCODINGS[encoding]
        self._match_width()

    @command("DATa:ENCdg?")
    def _encoding(self) -> str:
        parts = (self.wfm_encoding, self.number_format, self.byte_order)
        name = "ASCII" if self.wfm_encoding == "ASCII" else next(k for k, v in _ENCODINGS.items() if v == parts)
        return TekEnum(_ENCODING_NAMES).format(name)

    def _match_width(self) -> None:
        """Floating point is four bytes; integers one or two."""
        if self.number_format == "FP":
            self.width = 4
        elif self.width == 4:
            self.width = 1

    def _check_width(self) -> None:
        if (self.width == 4) != (self.number_format == "FP") or self.width == 3:
            raise ScpiError(-224, f"WFMOutpre:BYT_Nr {self.width} with BN_Fmt {self.number_format}: integers take "
                                  "1 or 2 bytes, floating point 4")

    def _planned(self, ch: int) -> Record:
        """The record the next acquisition of ``ch`` will have, as the settings describe it (no samples: zeros)."""
        n, rate = self.settings["record_length"], self.settings["sample_rate"]
        return Record(np.broadcast_to(0.0, n), 1 / rate, -self.horizontal_position / 100 * n / rate,
                      self.scale[ch], self.offset[ch] - self.position[ch] * self.scale[ch])

    def _window(self, acquired: bool = True) -> Record:
        """Samples DATa:STARt..DATa:STOP (1-based, inclusive, within the record) of the DATa source: of its
        latest acquisition, or (``acquired`` False) of the one the preamble describes: the stored record when
        stopped, else the next one."""
        ch = int(self.source[-1])
        if acquired:
            record = self._latest(ch)
        else:
            record = self.records[ch] if ch in self.records and not self.running else self._planned(ch)
        first = min(self.start, len(record.values)) - 1
        last = max(first + 1, min(self.stop, len(record.values)))
        return Record(record.values[first:last], record.dx, record.x0 + first * record.dx, record.scale,
                      record.offset)

    def _scaling(self, record: Record) -> tuple[float, float, float]:
        """(YMUlt V, YOFf codes, YZEro V) of the present encoding for ``record``."""
        if self.number_format == "FP":
            return 1.0, 0.0, 0.0
        levels = _CODES_PER_DIVISION * (256 if self.width == 2 else 1)
        position = self.position[int(self.source[-1])]
        # RPBinary: the screen's centre is code 127 in one byte (the manual); 32768 in two (not stated there)
        unsigned = (127 if self.width == 1 else 32768) if self.number_format == "RP" else 0
        return record.scale / levels, position * levels + unsigned, record.offset + position * record.scale

    def _codes(self, record: Record) -> np.ndarray:
        y_mult, y_off, y_zero = self._scaling(record)
        if self.number_format == "FP":
            return record.values.astype(np.float32)
        bits = 8 * self.width
        low, high = (0, 2 ** bits - 1) if self.number_format == "RP" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        return np.clip(np.round((record.values - y_zero) / y_mult + y_off), low, high).astype(np.int64)

    @command("CURVe?")
    def _curve(self) -> str | bytes:
        codes = self._codes(self._window())
        if self.wfm_encoding == "ASCII":
            return ",".join(f"{c:g}" if self.number_format == "FP" else str(c) for c in codes)
        kind = "f" if self.number_format == "FP" else ("u" if self.number_format == "RP" else "i")
        order = "<" if self.byte_order == "LSB" else ">"
        return _block(codes.astype(f"{order}{kind}{self.width}").tobytes())

    def _preamble_fields(self) -> dict[str, str]:
        record = self._window(acquired=False)
        y_mult, y_off, y_zero = self._scaling(record)
        ch = int(self.source[-1])
        wfid = (f'"Ch{ch}, {self.coupling[ch]} coupling, {self.scale[ch]:g}V/div, '
                f'{self.settings["horizontal_scale"]:g}s/div, {len(record.values)} points, '
                f'{self.acquire_mode.capitalize()} mode"')
        return {"BYT_NR": str(self.width), "BIT_NR": str(8 * self.width), "ENCDG": self.wfm_encoding,
                "BN_FMT": self.number_format, "BYT_OR": self.byte_order, "WFID": wfid,
                "NR_PT": str(len(record.values)), "PT_FMT": "Y", "XUNIT": '"s"',
                "XINCR": nr3(record.dx), "XZERO": nr3(record.x0), "PT_OFF": "0", "YUNIT": '"V"',
                "YMULT": nr3(y_mult), "YOFF": nr3(y_off), "YZERO": nr3(y_zero), "NR_FR": "1"}

    @command("WFMOutpre?")
    def _preamble(self) -> str:
        """All the fields, in the manual's order (BYT_NR … YZERO, NR_FR), ';'-separated."""
        return ";".join(self._preamble_fields().values())

    @command("WFMOutpre:NRFr?")
    def _frames(self) -> str:
        """Frames in the record: one (FastFrame is not modelled)."""
        return self._preamble_fields()["NR_FR"]

    @command("WFMOutpre:NRPt?")
    def _points(self) -> str:
        return self._preamble_fields()["NR_PT"]

    @command("WFMOutpre:XINcr?")
    def _x_increment(self) -> str:
        return self._preamble_fields()["XINCR"]

    @command("WFMOutpre:XZEro?")
    def _x_zero(self) -> str:
        return self._preamble_fields()["XZERO"]

    @command("WFMOutpre:PTOff?")
    def _point_offset(self) -> str:
        return "0"

    @command("WFMOutpre:YMUlt?")
    def _y_mult(self) -> str:
        return self._preamble_fields()["YMULT"]

    @command("WFMOutpre:YOFf?")
    def _y_off(self) -> str:
        return self._preamble_fields()["YOFF"]

    @command("WFMOutpre:YZEro?")
    def _y_zero(self) -> str:
        return self._preamble_fields()["YZERO"]

    @command("WFMOutpre:WFId?")
    def _wfid(self) -> str:
        return self._preamble_fields()["WFID"]

    @command("WFMOutpre:XUNit?")
    def _x_unit(self) -> str:
        return '"s"'

    @command("WFMOutpre:YUNit?")
    def _y_unit(self) -> str:
        return '"V"'

    # ----------------------------------------------------------------- MEASUrement
    def _measured(self, kind: str, ch: int) -> float:
        """Measurement ``kind`` (a TYPe long form) on channel ``ch``'s latest record; 9.91E37 when it cannot be
        made (no record, a type this twin does not compute, a level measurement of a clipped record)."""
        try:
            record = self._latest(ch)
        except ScpiError:
            return _NOT_AVAILABLE
        kind = TekEnum(_MEASUREMENT_TYPES).parse(kind)
        if kind not in _MEASUREMENTS:
            return _NOT_AVAILABLE
        limit = _CLIP_DIVISIONS * record.scale * (1 - 1e-9)
        if kind in ("AMPLITUDE", "HIGH", "LOW", "MAXIMUM", "MINIMUM", "PK2PK") and \
                np.any(np.abs(record.values - record.offset) >= limit):
            return _NOT_AVAILABLE
        value = measure(_MEASUREMENTS[kind], Record(record.values, record.dx, record.x0, record.scale,
                                                    record.offset, acquired=False))
        return value if math.isfinite(value) else _NOT_AVAILABLE

    @command("MEASUrement:MEAS#:VALue?")
    def _value(self, slot: int) -> str:
        self._slot(slot)
        return nr3(self._sample(slot))

    def _sample(self, slot: int) -> float:
        """Slot ``slot``'s measurement now, entered into its statistics when it could be made."""
        value = self._measured(self.measurement_type[slot], int(self.measurement_sources[slot, 1][-1]))
        if value != _NOT_AVAILABLE:
            self.statistics.setdefault(slot, []).append(value)
        return value

    def _statistic(self, slot: int, reduce: str) -> str:
        """A statistic over the slot's measurements since its type was set (a running scope measures once more)."""
        self._slot(slot)
        if self.running:
            self._sample(slot)
        values = self.statistics.get(slot, [])
        if not values:
            return nr3(_NOT_AVAILABLE)
        return nr3(float({"MEAN": np.mean, "MAX": np.max, "MIN": np.min, "STD": np.std}[reduce](values)))

    @command("MEASUrement:MEAS#:MEAN?")
    def _mean(self, slot: int) -> str:
        return self._statistic(slot, "MEAN")

    @command("MEASUrement:MEAS#:MAXimum?")
    def _maximum(self, slot: int) -> str:
        return self._statistic(slot, "MAX")

    @command("MEASUrement:MEAS#:MINImum?")
    def _minimum(self, slot: int) -> str:
        return self._statistic(slot, "MIN")

    @command("MEASUrement:MEAS#:STDdev?")
    def _stddev(self, slot: int) -> str:
        return self._statistic(slot, "STD")

    def _restart_statistics(self, slot: int) -> None:
        """A slot's statistics start again when it measures something else."""
        self.statistics.pop(slot, None)

    @staticmethod
    def _slot(slot: int) -> None:
        if slot not in _MEASUREMENT_SLOTS:
            raise ScpiError(-114, f"measurement {slot} (this scope has MEAS1-MEAS8)")

    @command("MEASUrement:MEAS#:SOUrce#", TekEnum(_SOURCES))
    def _set_source(self, slot: int, which: int, source: str) -> None:
        self.measurement_sources[self._source_key(slot, which)] = source

    @command("MEASUrement:MEAS#:SOUrce#?")
    def _source(self, slot: int, which: int) -> str:
        return self.measurement_sources[self._source_key(slot, which)]

    @command("MEASUrement:IMMed:SOUrce#", TekEnum(_SOURCES))
    def _set_immediate_source(self, which: int, source: str) -> None:
        self.measurement_sources[self._source_key(0, which)] = source

    @command("MEASUrement:IMMed:SOUrce#?")
    def _immediate_source(self, which: int) -> str:
        return self.measurement_sources[self._source_key(0, which)]

    def _source_key(self, slot: int, which: int) -> tuple[int, int]:
        if slot:
            self._slot(slot)
        if which not in (1, 2):
            raise ScpiError(-114, f"SOUrce{which} (a measurement has SOUrce1 and SOUrce2)")
        return slot, which

    @command("MEASUrement:STATIstics:COUNt", TekEnum(["RESET"]))
    def _reset_statistics(self, _: str) -> None:
        self.statistics = {}

    @command("MEASUrement:IMMed:VALue?")
    def _immediate(self) -> str:
        return nr3(self._measured(self.immediate_type, int(self.measurement_sources[0, 1][-1])))

    @command("MEASUrement:IMMed:UNIts?")
    def _immediate_units(self) -> str:
        kind = TekEnum(_MEASUREMENT_TYPES).parse(self.immediate_type)
        unit = {"FREQUENCY": "Hz", "PDUTY": "%", "NDUTY": "%"}.get(kind, "s" if kind in (
            "PERIOD", "PWIDTH", "NWIDTH", "RISE", "FALL") else "V")
        return f'"{unit}"'

    # ----------------------------------------------------------------- events
    @command("*ESR?")
    def _esr_query(self) -> str:
        """The event status register (cleared); events a previous read made readable and nobody read are
        forgotten, and those queued since become readable."""
        for _ in range(min(self.readable, len(self.errors))):
            self.errors.pop()
        self.readable = len(self.errors)
        value, self.esr = self.esr, 0
        return str(value)

    def _next_event(self) -> tuple[int, str]:
        self.readable = min(self.readable, len(self.errors))
        if self.readable:
            self.readable -= 1
            return self.errors.pop()
        if len(self.errors):
            return 1, "No events to report - new events pending *ESR?"
        return 0, "No events to report - queue empty"

    @command("EVMsg?")
    def _event_message(self) -> str:
        code, text = self._next_event()
        return f'{abs(code)},"{text}"'

    @command("EVENT?")
    def _event(self) -> str:
        return str(abs(self._next_event()[0]))

    @command("ALLEv?")
    def _all_events(self) -> str:
        events = [self._next_event()]
        while self.readable and len(self.errors):
            events.append(self._next_event())
        return ",".join(f'{abs(code)},"{text}"' for code, text in events)

    @command("*CLS")
    def _cls(self) -> None:
        super()._cls()
        self.readable = 0
