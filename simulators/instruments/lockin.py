"""Virtual Stanford Research SR830 DSP lock-in amplifier demodulating the DUT's rectified voltage.

Physics: at power-on the twin is set up as on the bench, referenced externally (``FMOD 0``) to the RF source's
amplitude-modulation clock. With the microwave chopped on and off (100 % AM) the DUT's spin-diode voltage is a
square wave of amplitude V_on; its n-th harmonic (odd n) has the rms amplitude (√2/(nπ))·V_on·depth, in phase with
the reference, so X = S·cos φ and Y = −S·sin φ for the reference phase φ (``PHAS``). Even harmonics and an internal
reference (not coherent with the chop) leave only the input noise: 6 nV/√Hz (voltage inputs) or 130 fA/√Hz and
13 fA/√Hz (current inputs, 1 MΩ and 100 MΩ gain) in the equivalent noise bandwidth of the time constant and slope.
The current inputs are not wired to the DUT.

Protocol (SR830 manual, chapter 5): four-letter mnemonics, case-insensitive, spaces anywhere, ``?`` right after
the mnemonic for a query, parameters separated by commas and commands by semicolons. Each answer ends with the
reply terminator of the interface (LF on GPIB, CR on RS-232); answers are sent only to the interface ``OUTX``
selects. Bad input sets a bit of the standard event status byte (``*ESR?``): CMD (bit 5) for an illegal command or
malformed parameter, EXE (bit 4) for a parameter out of range or a command that cannot run now; the command is
ignored and a query gets no answer. The SR830 has no error queue; ``errors`` records each refusal, with its SCPI
code, for inspection only. ``ERRS?`` reports hardware faults (backup, RAM, ROM, DSP, math) and the GPIB fast-transfer
abort, and reads 0 on a healthy instrument.

Data storage: ``SRAT`` samples per second (or one per ``TRIG``) of the CH1 and CH2 displays into two 16383-point
buffers, single shot or loop (``SEND``), read with ``TRCA?`` (ASCII), ``TRCB?`` (IEEE float32, little-endian) and
``TRCL?`` (16-bit mantissa, exponent biased by 124); binary transfers carry no terminator. Points accumulate in
the bench's time; those that fall between two messages are taken under the drive present at the second one.
``FAST`` data streaming is not modelled: nobody reads the stream, so the transfer aborts once the 63-pair transmit
queue would overflow, setting the GPIB error bit as on the real instrument.
"""

from __future__ import annotations

import copy
import logging
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.instruments.base import BenchInstrument
from mtjhw.simulators.scpi import ScpiError
from mtjhw.simulators.transport.handler import EndOnly

log = logging.getLogger(__name__)

TIME_CONSTANTS = [10e-6, 30e-6, 100e-6, 300e-6, 1e-3, 3e-3, 10e-3, 30e-3, 100e-3, 300e-3, 1, 3, 10, 30, 100,
                  300, 1e3, 3e3, 10e3, 30e3]
SENSITIVITIES = [2e-9, 5e-9, 10e-9, 20e-9, 50e-9, 100e-9, 200e-9, 500e-9, 1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6,
                 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3, 50e-3, 100e-3, 200e-3, 500e-3, 1]
#: ``SRAT`` 0..13 in Hz; 14 is "one point per trigger".
SAMPLE_RATES = [62.5e-3 * 2**i for i in range(14)]
SRAT_TRIGGER = 14
BUFFER_POINTS = 16383
FAST_QUEUE_PAIRS = 63  #: X, Y pairs the transmit queue holds in FAST mode before the transfer aborts
MAX_DETECTION = 102e3  #: highest detection frequency (Hz)
HIGH_RANGE = 200.0  #: detection frequency (Hz) above which time constants > 30 s are not available
OVERLOAD = 1.09  #: output overload threshold, in full scales
ENBW_TAU = [1 / 4, 1 / 8, 3 / 32, 5 / 64]  #: noise bandwidth × τ for 6, 12, 18 and 24 dB/oct
_NOISE = [6e-9, 6e-9, 130e-15, 13e-15]  #: input noise (V/√Hz or A/√Hz) of each ISRC input

# Serial poll status byte, standard event status byte, LIA status byte and error status byte bits.
STB_SCN, STB_IFC, STB_ERR, STB_LIA, STB_ESB, STB_SRQ = 0x01, 0x02, 0x04, 0x08, 0x20, 0x40
ESR_EXE, ESR_CMD = 0x10, 0x20
LIA_OUTPUT, LIA_RANGE, LIA_TC, LIA_TRIG = 0x04, 0x10, 0x20, 0x40
ERR_GPIB = 0x20

_NUMBER = re.compile(r"[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_HEADER = re.compile(r"(\*?[A-Z]{3,4})(\?)?(.*)")


@dataclass(frozen=True)
class Stored:
    """A setting's default, limits and resolution (0: an integer code)."""

    default: float
    low: float
    high: float
    step: float = 0.0

    def parse(self, value: float) -> float | int:
        if not self.low <= value <= self.high:
            raise ScpiError(-222, f"{value:g} not in [{self.low:g}, {self.high:g}]")
        if self.step == 0:
            return int(round(value))
        return round(round(value / self.step) * self.step, 10)


#: The settings ``*RST`` restores (the manual's standard settings) and ``SSET``/``RSET`` save and recall.
SETTINGS: dict[str, Stored] = {
    "PHAS": Stored(0.0, -360.0, 729.99, 0.01), "FMOD": Stored(1, 0, 1), "FREQ": Stored(1e3, 1e-3, MAX_DETECTION, 1e-4),
    "RSLP": Stored(0, 0, 2), "HARM": Stored(1, 1, 19999), "SLVL": Stored(1.0, 0.004, 5.0, 0.002),
    "ISRC": Stored(0, 0, 3), "IGND": Stored(0, 0, 1), "ICPL": Stored(0, 0, 1), "ILIN": Stored(0, 0, 3),
    "SENS": Stored(26, 0, 26), "RMOD": Stored(1, 0, 2), "OFLT": Stored(8, 0, 19), "OFSL": Stored(1, 0, 3),
    "SYNC": Stored(0, 0, 1), "SRAT": Stored(4, 0, 14), "SEND": Stored(1, 0, 1), "TSTR": Stored(0, 0, 1),
    "FAST": Stored(0, 0, 2), "KCLK": Stored(1, 0, 1), "ALRM": Stored(1, 0, 1),
}
#: Interface settings: kept by ``*RST``.
INTERFACE: dict[str, Stored] = {"OVRM": Stored(0, 0, 1), "LOCL": Stored(1, 0, 2)}
#: Settings with a channel index: index range, then one Stored per value (CH1/CH2 display, front panel output,
#: X/Y/R offset and expand, aux outputs).
INDEXED: dict[str, tuple[range, tuple[Stored, ...]]] = {
    "DDEF": (range(1, 3), (Stored(0, 0, 4), Stored(0, 0, 2))),
    "FPOP": (range(1, 3), (Stored(0, 0, 1),)),
    "OEXP": (range(1, 4), (Stored(0.0, -105.0, 105.0, 0.01), Stored(0, 0, 2))),
    "AUXV": (range(1, 5), (Stored(0.0, -10.5, 10.5, 0.001),)),
}


def _format(value: float) -> str:
    """A reading as the SR830 sends it: up to six significant digits."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _trca_number(value: float) -> str:
    """``TRCA?`` format: signed, seven digits and a three-digit exponent ("+7.654321e-009")."""
    mantissa, exponent = f"{value:+.6e}".split("e")
    return f"{mantissa}e{int(exponent):+04d}"


def _trcl_point(value: float) -> bytes:
    """``TRCL?`` format: little-endian 16-bit mantissa m and exponent e, value = m·2^(e−124), 0 ≤ e ≤ 248."""
    if value == 0 or not math.isfinite(value):
        return struct.pack("<hh", 0, 0)
    exponent = min(max(math.ceil(math.log2(abs(value) / 32767)) + 124, 0), 248)
    mantissa = round(value / 2.0 ** (exponent - 124))
    if abs(mantissa) > 32767 and exponent < 248:
        exponent += 1
        mantissa = round(value / 2.0 ** (exponent - 124))
    return struct.pack("<hh", max(-32768, min(32767, mantissa)), exponent)


def diode_harmonic(bench: VirtualBench, n: int) -> float:
    """rms n-th harmonic (V) of the DUT's spin-diode voltage with the RF chopped on and off (100 % AM, a square
    wave): (√2/(nπ))·V_on·depth for odd n, 0 for even n or without RF, AM or a DUT that rectifies."""
    rf = bench.rf
    rectify = getattr(bench.dut, "rectified_voltage", None)
    if not (n % 2 == 1 and rf.on and rf.am_on and rectify is not None):
        return 0.0
    return math.sqrt(2) / (math.pi * n) * rectify(rf.frequency, bench.field, rf.power) * rf.am_depth


def rotation(phase: float) -> complex:
    """X + iY of a unit signal in phase with the reference, seen at reference phase ``phase`` (°)."""
    return complex(math.cos(math.radians(phase)), -math.sin(math.radians(phase)))


def wrapped_phase(phase: float, digits: int) -> float:
    """``phase`` (°) wrapped into (−180°, 180°], rounded to ``digits`` decimals."""
    return round(phase - 360 * math.ceil((phase - 180) / 360), digits)


class LockInTwin(BenchInstrument):
    """What the SRS lock-in twins share: each message taken line by line (``_handle_line``) under the bench's lock,
    a failure of the twin itself logged and queued as -200 rather than taking the server down."""

    def handle(self, message: str) -> str | bytes | None:
        """Execute one message; the answers, each but the last followed by the reply terminator."""
        with self.bench.lock:
            self.bench.catch_up()
            try:
                return self._handle_line(message)
            except Exception as exc:  # a bug in the twin must not take the server down
                log.exception("virtual %s failed on %r", self.idn[1], message)
                self.push_error(-200, f"Execution error; {type(exc).__name__}: {exc}")
                return None

    def _handle_line(self, message: str) -> str | bytes | None:
        """The model's own parser: execute every command of ``message``, return the answers."""
        raise NotImplementedError

    @staticmethod
    def _count(args: list, low: int, high: int | None = None) -> None:
        """Refuse fewer than ``low`` or more than ``high`` (default ``low``) parameters, as -109/-108."""
        high = low if high is None else high
        if len(args) < low:
            raise ScpiError(-109, f"{low} parameter(s) needed")
        if len(args) > high:
            raise ScpiError(-108, f"at most {high} parameter(s)")

    def _q_idn(self, args: list) -> str:
        self._count(args, 0)
        return ",".join(self.idn)

    def _c_rst(self, args: list) -> None:
        self._count(args, 0)
        self.reset()

    def _c_cls(self, args: list) -> None:
        """Clears the status registers; the enable registers are kept."""
        self._count(args, 0)
        self.esr = self.lias = self.errs = 0

    def _normalised(self, unit: str) -> str:
        """One command as the model's parser takes it: upper case, whitespace dropped."""
        return re.sub(r"\s+", "", unit).upper()

    def _line_replies(self, line: str) -> list[str | bytes]:
        """The replies to the ';'-separated commands of one line; a failing command queues its error, the rest
        run."""
        self._update_status()
        replies: list[str | bytes] = []
        for unit in map(self._normalised, line.split(";")):
            if not unit:
                continue
            try:
                reply = self._execute(unit)
            except ScpiError as err:
                self.push_error(err.code, f"{err.text} ({unit})")
                continue
            if reply is not None:
                replies.append(reply)
        return replies


class SR830(LockInTwin):
    """SR830 DSP lock-in on the bench: X, Y, R, θ of the DUT voltage at the AM reference frequency.

    ``interface``: the port the twin is reached by, "GPIB" (replies end with LF) or "RS232" (CR).
    """

    idn = ("Stanford_Research_Systems", "SR830", "s/n54321", "ver1.07")

    def __init__(self, bench: VirtualBench, interface: str = "GPIB") -> None:
        if interface not in ("GPIB", "RS232"):
            raise ValueError(f"interface must be 'GPIB' or 'RS232', got {interface!r}")
        self.interface = interface
        self.reply_termination = "\n" if interface == "GPIB" else "\r"
        self.output_to = 1 if interface == "GPIB" else 0  #: OUTX: the interface answers go to (kept by ``*RST``)
        self.interface_settings = {name: spec.default for name, spec in INTERFACE.items()}
        self.setups: dict[int, dict] = {}  #: SSET/RSET setup memories 1..9
        self.lias = self.errs = self.liae = self.erre = 0
        self.power_on_clear = 1
        super().__init__(bench)
        self._commands_table = self._handlers()
        self.settings["FMOD"] = 0  # as set up on the bench: external reference from the RF source's AM clock
        self._high_range = self._detection_frequency() > HIGH_RANGE

    def reset(self) -> None:
        """``*RST``: the standard settings; interface settings and status registers are kept, storage is reset."""
        self.settings = {name: spec.default for name, spec in SETTINGS.items()}
        for name, (indices, specs) in INDEXED.items():
            self.settings[name] = {i: [spec.default for spec in specs] for i in indices}
        self._reset_storage()
        self._high_range = self._detection_frequency() > HIGH_RANGE

    # ----------------------------------------------------------------- message processing
    def _handle_line(self, message: str) -> str | bytes | None:
        lines = re.split(r"[\r\n]", message) if self.interface == "RS232" else message.split("\n")
        replies = [reply for line in lines for reply in self._line_replies(line)]
        if not replies or self.output_to != (1 if self.interface == "GPIB" else 0):
            return None  # no answer, or the answers go to the other interface
        if any(isinstance(r, bytes) for r in replies):
            term = self.reply_termination.encode()
            joined = term.join(r if isinstance(r, bytes) else r.encode() for r in replies)
            return EndOnly(joined) if isinstance(replies[-1], bytes) else joined  # binary transfers end with EOI
        return self.reply_termination.join(replies)  # type: ignore[arg-type]

    def _execute(self, unit: str) -> str | bytes | None:
        match = _HEADER.fullmatch(unit)
        if match is None:
            raise ScpiError(-113, "illegal command")
        name, query, arg_text = match.group(1), bool(match.group(2)), match.group(3)
        args = self._numbers(arg_text)
        if name in SETTINGS or name in INTERFACE:
            return self._single(name, query, args)
        if name in INDEXED:
            return self._indexed(name, query, args)
        handler = self._commands_table.get(name)
        if handler is None:
            raise ScpiError(-113, "illegal command")
        queries, command = handler
        method = queries if query else command
        if method is None:
            raise ScpiError(-113, f"{name} has no {'query' if query else 'set'} form")
        return method(args)

    @staticmethod
    def _numbers(text: str) -> list[float]:
        if not text:
            return []
        values = []
        for token in text.split(","):
            if not _NUMBER.fullmatch(token):
                raise ScpiError(-104, f"'{token}' is not a number")
            value = float(token)
            if not math.isfinite(value):
                raise ScpiError(-222, f"'{token}' is out of range")
            values.append(value)
        return values

    @staticmethod
    def _index(value: float, indices: range) -> int:
        if value != int(value) or int(value) not in indices:
            raise ScpiError(-222, f"index {value:g} not in {indices.start}..{indices.stop - 1}")
        return int(value)

    def _handlers(self) -> dict[str, tuple[Callable | None, Callable | None]]:
        """Commands other than stored settings: mnemonic -> (query handler, set handler)."""
        return {
            "*IDN": (self._q_idn, None), "*RST": (None, self._c_rst), "*CLS": (None, self._c_cls),
            "*TRG": (None, self._c_trig),  # the transports deliver a GPIB group execute trigger as "*TRG"
            "*ESE": (self._register_query("ese"), self._register_set("ese")),
            "*SRE": (self._register_query("sre"), self._register_set("sre")),
            "ERRE": (self._register_query("erre"), self._register_set("erre")),
            "LIAE": (self._register_query("liae"), self._register_set("liae")),
            "*ESR": (self._event_query("esr"), None), "ERRS": (self._event_query("errs"), None),
            "LIAS": (self._event_query("lias"), None), "*STB": (self._q_stb, None),
            "*PSC": (self._q_psc, self._c_psc), "OUTX": (self._q_outx, self._c_outx),
            "OUTP": (self._q_outp, None), "OUTR": (self._q_outr, None), "SNAP": (self._q_snap, None),
            "OAUX": (self._q_oaux, None), "SPTS": (self._q_spts, None),
            "TRCA": (self._trace(self._trca), None), "TRCB": (self._trace(self._trcb), None),
            "TRCL": (self._trace(self._trcl), None),
            "AGAN": (None, self._c_agan), "ARSV": (None, self._c_arsv), "APHS": (None, self._c_aphs),
            "AOFF": (None, self._c_aoff), "SSET": (None, self._c_sset), "RSET": (None, self._c_rset),
            "TRIG": (None, self._c_trig), "STRT": (None, self._c_strt), "PAUS": (None, self._c_paus),
            "REST": (None, self._c_rest), "STRD": (None, self._c_strd),
        }

    # ----------------------------------------------------------------- stored settings
    def _single(self, name: str, query: bool, args: list[float]) -> str | None:
        store = self.settings if name in SETTINGS else self.interface_settings
        if query:
            self._count(args, 0)
            return _format(self._frequency() if name == "FREQ" else store[name])
        self._count(args, 1)
        value = (SETTINGS.get(name) or INTERFACE[name]).parse(args[0])
        setter = getattr(self, f"_set_{name.lower()}", None)
        if setter is not None:
            setter(value)
        else:
            store[name] = value
        return None

    def _set_phas(self, phase: float) -> None:
        """The phase wraps into (−180°, 180°]."""
        self.settings["PHAS"] = wrapped_phase(phase, 2)

    def _set_freq(self, frequency: float) -> None:
        """Internal oscillator only; 5 digits or 0.1 mHz; harmonic × frequency at most 102 kHz."""
        if self.settings["FMOD"] != 1:
            raise ScpiError(-221, "FREQ is set only with the internal reference")
        step = max(10 ** (math.floor(math.log10(frequency)) - 4), 1e-4)
        frequency = min(round(round(frequency / step) * step, 6), MAX_DETECTION / self.settings["HARM"])
        self.settings["FREQ"] = frequency
        self._check_range()

    def _set_harm(self, harmonic: int) -> None:
        """Limited to the largest harmonic with a detection frequency up to 102 kHz."""
        self.settings["HARM"] = max(1, min(harmonic, int(MAX_DETECTION / self._frequency())))
        self._check_range()

    def _set_fmod(self, source: int) -> None:
        self.settings["FMOD"] = source
        self._check_range()

    def _set_oflt(self, index: int) -> None:
        if index > 13 and self._detection_frequency() > HIGH_RANGE:
            raise ScpiError(-221, "time constants above 30 s need a detection frequency below 200 Hz")
        self.settings["OFLT"] = index

    def _set_sens(self, index: int) -> None:
        """Current sensitivities from 20 nA up select the 1 MΩ current gain."""
        self.settings["SENS"] = index
        if self.settings["ISRC"] == 3 and index > 20:
            self.settings["ISRC"] = 2

    def _set_isrc(self, source: int) -> None:
        """The 100 MΩ current gain allows sensitivities up to 10 nA."""
        self.settings["ISRC"] = source
        if source == 3:
            self.settings["SENS"] = min(self.settings["SENS"], 20)

    def _set_srat(self, index: int) -> None:
        """Sampling at the new rate starts now (not from the last point taken at the old rate or trigger)."""
        self.settings["SRAT"] = index
        self._acquired_at = self.bench.time

    def _indexed(self, name: str, query: bool, args: list[float]) -> str | None:
        indices, specs = INDEXED[name]
        if query:
            self._count(args, 1)
            values = self.settings[name][self._index(args[0], indices)]
            return ",".join(_format(v) for v in values)
        self._count(args, 1 + len(specs))
        index = self._index(args[0], indices)
        self.settings[name][index] = [spec.parse(value) for spec, value in zip(specs, args[1:], strict=True)]
        return None

    # ----------------------------------------------------------------- interface and status
    def _register_query(self, register: str) -> Callable[[list[float]], str]:
        def query(args: list[float]) -> str:
            self._count(args, 0, 1)
            value = getattr(self, register)
            return str(value >> self._index(args[0], range(8)) & 1 if args else value)
        return query

    def _register_set(self, register: str) -> Callable[[list[float]], None]:
        """``i``: the register to i (0..255); ``i, j``: bit i (0..7) to j (0, 1)."""
        def command(args: list[float]) -> None:
            self._count(args, 1, 2)
            if len(args) == 1:
                setattr(self, register, Stored(0, 0, 255).parse(args[0]))
                return
            bit, state = 1 << self._index(args[0], range(8)), Stored(0, 0, 1).parse(args[1])
            setattr(self, register, getattr(self, register) & ~bit | (bit if state else 0))
        return command

    def _event_query(self, register: str) -> Callable[[list[float]], str]:
        """Reading the whole byte clears it; reading bit i clears that bit."""
        def query(args: list[float]) -> str:
            self._count(args, 0, 1)
            value = getattr(self, register)
            if not args:
                setattr(self, register, 0)
                return str(value)
            bit = self._index(args[0], range(8))
            setattr(self, register, value & ~(1 << bit))
            return str(value >> bit & 1)
        return query

    def status_byte(self) -> int:
        """Serial poll status byte (MAV is the transport's to add)."""
        stb = STB_IFC | (0 if self._state == "running" else STB_SCN)
        stb |= (STB_ERR if self.errs & self.erre else 0) | (STB_LIA if self.lias & self.liae else 0)
        stb |= STB_ESB if self.esr & self.ese else 0
        return stb | (STB_SRQ if stb & self.sre else 0)

    def _q_stb(self, args: list[float]) -> str:
        self._count(args, 0, 1)
        value = self.status_byte()
        return str(value >> self._index(args[0], range(8)) & 1 if args else value)

    def _q_psc(self, args: list[float]) -> str:
        self._count(args, 0)
        return str(self.power_on_clear)

    def _c_psc(self, args: list[float]) -> None:
        self._count(args, 1)
        self.power_on_clear = Stored(0, 0, 1).parse(args[0])

    def _q_outx(self, args: list[float]) -> str:
        self._count(args, 0)
        return str(self.output_to)

    def _c_outx(self, args: list[float]) -> None:
        self._count(args, 1)
        self.output_to = Stored(0, 0, 1).parse(args[0])

    def _update_status(self) -> None:
        """Before each command line: storage up to now, frequency range, output overload."""
        self._acquire()
        self._check_range()
        if self._output_level() > OVERLOAD * self._full_scale():
            self.lias |= LIA_OUTPUT

    # ----------------------------------------------------------------- physics
    def _frequency(self) -> float:
        """Reference frequency (Hz): the RF source's AM clock (external) or the internal oscillator."""
        return self.bench.rf.am_frequency if self.settings["FMOD"] == 0 else float(self.settings["FREQ"])

    def _detection_frequency(self) -> float:
        return self.settings["HARM"] * self._frequency()

    def _check_range(self) -> None:
        """Crossing 200 Hz sets the RANGE bit; above it a time constant over 30 s drops to 30 s (TC bit)."""
        high = self._detection_frequency() > HIGH_RANGE
        if high != self._high_range:
            self.lias |= LIA_RANGE
            self._high_range = high
        if high and self.settings["OFLT"] > 13:
            self.settings["OFLT"] = 13
            self.lias |= LIA_TC

    def _full_scale(self) -> float:
        """Full scale (V, or A on the current inputs)."""
        scale = SENSITIVITIES[self.settings["SENS"]]
        return scale * 1e-6 if self.settings["ISRC"] >= 2 else scale

    def _signal(self) -> complex:
        """The demodulated signal X + iY without noise (V rms)."""
        s = self.settings
        if s["FMOD"] != 0 or s["ISRC"] > 1:
            return 0j  # an internal reference is not coherent with the chop; the current inputs are not wired
        return diode_harmonic(self.bench, s["HARM"]) * rotation(s["PHAS"])

    def _noise(self) -> float:
        """Standard deviation of X and of Y (V or A): input noise in the filter's noise bandwidth."""
        tau = TIME_CONSTANTS[self.settings["OFLT"]]
        return _NOISE[self.settings["ISRC"]] * math.sqrt(ENBW_TAU[self.settings["OFSL"]] / tau)

    def _output_level(self) -> float:
        """rms of R, signal and noise: what the output overload detector compares with full scale."""
        return math.sqrt(abs(self._signal()) ** 2 + 2 * self._noise() ** 2)

    def _readings(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` independent readings of X and Y."""
        signal, sigma = self._signal(), self._noise()
        rng = self.bench.rng
        return signal.real + sigma * rng.standard_normal(n), signal.imag + sigma * rng.standard_normal(n)

    def _quantities(self, n: int) -> dict[int, np.ndarray]:
        """``n`` readings of each SNAP? quantity: 1 X, 2 Y, 3 R, 4 θ, 5–8 aux inputs, 9 f, 10/11 CH1/CH2."""
        x, y = self._readings(n)
        values = {1: x, 2: y, 3: np.hypot(x, y), 4: np.degrees(np.arctan2(y, x))}
        values.update({5 + i: np.zeros(n) for i in range(4)})  # nothing is connected to the aux inputs
        values[9] = np.full(n, self._frequency())
        noise = np.full(n, _NOISE[self.settings["ISRC"]])
        displays = {1: [values[1], values[3], noise, values[5], values[6]],
                    2: [values[2], values[4], noise, values[7], values[8]]}
        for channel in (1, 2):
            display, ratio = self.settings["DDEF"][channel]
            value = displays[channel][display]
            offset = self._offset(channel, display)
            values[9 + channel] = self._ratio(value - offset, ratio)
        return values

    def _offset(self, channel: int, display: int) -> float:
        """The offset (V) of a display of X, R (CH1) or Y (CH2), in percent of full scale."""
        quantity = {(1, 0): 1, (1, 1): 3, (2, 0): 2}.get((channel, display))
        return 0.0 if quantity is None else self.settings["OEXP"][quantity][0] / 100 * self._full_scale()

    def _ratio(self, value: np.ndarray, ratio: int) -> np.ndarray:
        """The display divided by an aux input (in volts): with 0 V on the open aux inputs the output overloads."""
        if ratio == 0:
            return value
        self.lias |= LIA_OUTPUT
        return np.zeros_like(value)

    # ----------------------------------------------------------------- auto functions
    def _c_agan(self, args: list[float]) -> None:
        """Auto gain: the most sensitive range that holds the output below 90 % of full scale."""
        self._count(args, 0)
        level = self._output_level() / (1e-6 if self.settings["ISRC"] >= 2 else 1)
        fitting = [i for i, scale in enumerate(SENSITIVITIES) if level < 0.9 * scale]
        self._set_sens(fitting[0] if fitting else len(SENSITIVITIES) - 1)

    def _c_arsv(self, args: list[float]) -> None:
        """Auto reserve: the least reserve without overload; nothing overloads the input here."""
        self._count(args, 0)
        self.settings["RMOD"] = 2

    def _c_aphs(self, args: list[float]) -> None:
        """Auto phase: the reference phase that brings θ to zero."""
        self._count(args, 0)
        x, y = self._readings(1)
        self._set_phas(self.settings["PHAS"] + math.degrees(math.atan2(y[0], x[0])))

    def _c_aoff(self, args: list[float]) -> None:
        """Auto offset of X (1), Y (2) or R (3): the offset that zeroes it, within ±105 % of full scale."""
        self._count(args, 1)
        quantity = self._index(args[0], range(1, 4))
        value = self._quantities(1)[quantity][0]
        percent = max(-105.0, min(105.0, round(value / self._full_scale() * 100, 2)))
        self.settings["OEXP"][quantity][0] = percent

    # ----------------------------------------------------------------- setups
    def _c_sset(self, args: list[float]) -> None:
        self._count(args, 1)
        self.setups[self._index(args[0], range(1, 10))] = copy.deepcopy(self.settings)

    def _c_rset(self, args: list[float]) -> None:
        self._count(args, 1)
        setup = self.setups.get(self._index(args[0], range(1, 10)))
        if setup is None:
            raise ScpiError(-200, "setup not saved")
        self.settings = copy.deepcopy(setup)
        self._reset_storage()

    # ----------------------------------------------------------------- readings
    def _q_outp(self, args: list[float]) -> str:
        self._count(args, 1)
        return _format(float(self._quantities(1)[self._index(args[0], range(1, 5))][0]))

    def _q_outr(self, args: list[float]) -> str:
        self._count(args, 1)
        return _format(float(self._quantities(1)[9 + self._index(args[0], range(1, 3))][0]))

    def _q_snap(self, args: list[float]) -> str:
        """2 to 6 quantities taken at the same instant."""
        self._count(args, 2, 6)
        indices = [self._index(a, range(1, 12)) for a in args]
        values = self._quantities(1)
        return ",".join(_format(float(values[i][0])) for i in indices)

    def _q_oaux(self, args: list[float]) -> str:
        self._count(args, 1)
        self._index(args[0], range(1, 5))
        return _format(0.0)  # nothing is connected to the aux inputs

    # ----------------------------------------------------------------- data storage
    def _reset_storage(self) -> None:
        self._state = "reset"  # reset, waiting (STRD delay, TSTR trigger), running, paused, done
        self._start_at: float | None = None
        self._acquired_at = self.bench.time  # bench time up to which points are stored
        self._points = np.zeros((2, 0))
        self._since_start = 0
        self._fast_transfer = False

    def _acquire(self) -> None:
        """Store the points sampled since the last message, at the sample rate."""
        now = self.bench.time
        if self._state == "waiting" and self._start_at is not None and now >= self._start_at:
            self._state, self._acquired_at = "running", self._start_at
        if self._state != "running" or self.settings["SRAT"] == SRAT_TRIGGER:
            return
        period = 1 / SAMPLE_RATES[self.settings["SRAT"]]
        n = int((now - self._acquired_at) / period + 1e-9)
        if n > 0:
            self._acquired_at += n * period
            self._store(n)

    def _store(self, n: int) -> None:
        """Store ``n`` new points of CH1 and CH2; single shot stops when the buffers are full."""
        room = BUFFER_POINTS - self._points.shape[1]
        if self.settings["SEND"] == 0 and n >= room:
            n, self._state = room, "done"
        kept = min(n, BUFFER_POINTS)
        values = self._quantities(kept)
        points = np.concatenate([self._points, np.vstack([values[10], values[11]])], axis=1)
        self._points = points[:, -BUFFER_POINTS:]
        self._since_start += n
        if self._fast_transfer and self._since_start > FAST_QUEUE_PAIRS:
            self._fast_transfer = False  # nobody reads the stream: the transmit queue overflows
            self.errs |= ERR_GPIB

    def _start(self, delay: float) -> None:
        if self._state in ("running", "done"):
            return  # already storing
        if self._state == "reset":
            self._since_start = 0
            self._fast_transfer = self.settings["FAST"] != 0 and self.interface == "GPIB"
        self._state, self._start_at = "waiting", self.bench.time + delay
        self._acquire()

    def _c_strt(self, args: list[float]) -> None:
        """Start or resume storage."""
        self._count(args, 0)
        self._start(0.0)

    def _c_strd(self, args: list[float]) -> None:
        """Start storage after 0.5 s (time for the host to start reading a FAST transfer)."""
        self._count(args, 0)
        self._start(0.5)

    def _c_paus(self, args: list[float]) -> None:
        self._count(args, 0)
        if self._state in ("running", "waiting"):
            self._acquire()
            self._state, self._start_at = "paused", None

    def _c_rest(self, args: list[float]) -> None:
        self._count(args, 0)
        self._reset_storage()

    def _c_trig(self, args: list[float]) -> None:
        """Software trigger: one point when sampling on triggers, or the start of storage with TSTR 1."""
        self._count(args, 0)
        if self.settings["SRAT"] == SRAT_TRIGGER and self._state == "running":
            self._store(1)
            self.lias |= LIA_TRIG
        elif self.settings["TSTR"] == 1 and self._state in ("reset", "paused"):
            self._start(0.0)
            self.lias |= LIA_TRIG

    def _q_spts(self, args: list[float]) -> str:
        self._count(args, 0)
        return str(self._points.shape[1])

    def _trace(self, encode: Callable[[np.ndarray], str | bytes]) -> Callable[[list[float]], str | bytes]:
        """A ``TRCx? i, j, k`` query: k points of channel i's buffer from bin j (0 = oldest)."""
        def query(args: list[float]) -> str | bytes:
            self._count(args, 3)
            channel = self._index(args[0], range(1, 3))
            first, count = int(args[1]), int(args[2])
            if args[1] != first or args[2] != count or first < 0 or count < 1:
                raise ScpiError(-222, "bin j >= 0 and count k >= 1 are integers")
            if first + count > self._points.shape[1]:
                raise ScpiError(-222, f"bins {first}..{first + count - 1} not stored")
            return encode(self._points[channel - 1, first:first + count])
        return query

    @staticmethod
    def _trca(points: np.ndarray) -> str:
        return "".join(f"{_trca_number(float(v))}," for v in points)

    @staticmethod
    def _trcb(points: np.ndarray) -> bytes:
        return points.astype("<f4").tobytes()

    @staticmethod
    def _trcl(points: np.ndarray) -> bytes:
        return b"".join(_trcl_point(float(v)) for v in points)
