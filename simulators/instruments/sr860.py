"""Virtual Stanford Research SR860 lock-in amplifier: the RF source's AM (1f, as the SR830 twin) or its own sine
output driving the DUT through a ballast resistor (harmonic detection, 1f/2f…).

Physics. Referenced externally (``RSRC 1``, as set up on the bench) to the RF source's AM clock, X + iY is the
SR830 twin's: the rms n-th harmonic of the chopped spin-diode voltage. On the internal reference (``RSRC 0``) the
sine output (``SLVL`` V rms on the DC level ``SOFF`` V) drives the current I(t) = (SOFF + √2·SLVL·cos ωt)/R_b through
the ballast R_b into the DUT, and the DUT voltage solves V = I·R(V) (the DUT's ``resistance(voltage)``, bias-dependent
TMR). Its n-th harmonic is the projection of V(t) over one period onto cos and sin(nωt): X = a_n/√2, Y = −b_n/√2
(rms; a signal lagging the reference has θ < 0), rotated by the reference phase. A linear DUT has 1f only; 2f is
nonzero exactly where R(V) bends. Dual and chopper references are not coherent with anything on the bench: only the
input noise, 2.5 nV/√Hz (voltage input) or 130 fA/√Hz and 13 fA/√Hz (current input, 1 MΩ and 100 MΩ gain), in the
noise bandwidth of the filter.

Protocol (SR860 manual, remote programming): mnemonics of up to 14 letters, case-insensitive, ``?`` right after the
mnemonic for a query, parameters after white space separated by commas, commands by semicolons, the replies to
the queries of one line separated by semicolons and ending with LF. Enumerated parameters are integers or the
manual's tokens (``RSRC EXT``, ``OUTP? X``); indices start at 0. Bad input sets CME (bit 5) or EXE (bit 4) of
``*ESR``: the command is ignored and a query is not answered. Like the SR830 the SR860 keeps no error queue:
``errors`` records each refusal, with its SCPI code, for inspection only. ``LIAS?`` (16 bits) sets bit 4 on an
output overload; ``ERRS?`` reports hardware faults, 0 on a healthy instrument. The capture buffer keeps its
settings (``CAPTURELEN`` in kB, rounded up to even: the buffer is made of 2 kB blocks; ``CAPTURECFG``,
``CAPTURERATE``) and captures nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.instruments.lockin import ENBW_TAU, LockInTwin, Stored, diode_harmonic, rotation, wrapped_phase
from mtjhw.simulators.scpi import ScpiError

#: ``SCAL`` 0..27: full scale (V; ×1e-6 A on the current input), 1 V down to 1 nV.
SENSITIVITIES = [m * 10.0 ** -e for e in range(10) for m in (1.0, 0.5, 0.2)][:28]
#: ``OFLT`` 0..21: 1 µs to 30 ks.
TIME_CONSTANTS = [m * 10.0 ** e for e in range(-6, 5) for m in (1.0, 3.0)]
MAX_DETECTION = 500e3  #: highest reference and detection frequency (Hz)
MAX_CAPTURE_RATE = 1.25e6  #: Hz, capture rate 0
OVERLOAD = 1.2  #: output overload threshold, in full scales
_NOISE = {(0, 0): 2.5e-9, (0, 1): 2.5e-9, (1, 0): 130e-15, (1, 1): 13e-15}  #: by (IVMD, ICUR): V or A /√Hz
_SAMPLES = 64  #: points of V(t) per period in the harmonic projection
_ITERATIONS = 30  #: fixed-point iterations of V = I·R(V)
BALLAST = 100e3  #: Ω between the sine output and the DUT
LIA_OUTPUT = 1 << 4
_NUMBER = re.compile(r"[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_HEADER = re.compile(r"(\*?[A-Z]+)(\?)?(.*)")


@dataclass(frozen=True)
class Enumerated(Stored):
    """An integer code that may also be written as the manual's token: ``EXTernal`` takes EXT…EXTERNAL."""

    tokens: tuple[str, ...] = ()


def _code(tokens: str) -> Enumerated:
    names = tuple(tokens.split())
    return Enumerated(0, 0, len(names) - 1, 0.0, names)


#: Settings ``*RST`` restores (an enumerated code to 0, its first token).
SETTINGS: dict[str, Stored] = {
    "FREQ": Stored(1e3, 1e-3, MAX_DETECTION, 1e-6), "PHAS": Stored(0.0, -360000.0, 360000.0, 1e-7),
    "HARM": Stored(1, 1, 99), "HARMDUAL": Stored(1, 1, 99), "SLVL": Stored(1.0, 1e-9, 2.0, 1e-9),
    "SOFF": Stored(0.0, -5.0, 5.0, 1e-4), "TBMODE": _code("AUTO INTernal"), "REFM": _code("COMmon DIFference"),
    "RSRC": _code("INTernal EXTernal DUAL CHOP"), "RTRG": _code("SINe POSttl NEGttl"),
    "REFZ": _code("50 1M"), "IVMD": _code("VOLTage CURRent"), "ISRC": _code("A A-B"), "ICPL": _code("AC DC"),
    "IGND": _code("FLOat GROund"), "IRNG": _code("1V 300M 100M 30M 10M"), "ICUR": _code("1MEG 100MEG"),
    "SCAL": Stored(0, 0, 27), "OFLT": Stored(10, 0, 21), "OFSL": Stored(1, 0, 3), "SYNC": _code("OFF ON"),
    "ADVFILT": _code("OFF ON"), "DBLK": _code("OFF ON"), "DLAY": Stored(0, 0, 5), "GSPD": Stored(0, 0, 16),
    "CAPTURELEN": Stored(256, 1, 4096), "CAPTURECFG": _code("X XY RT XYRT"), "OVRM": _code("OFF ON"),
}
#: Settings with an index: indices, value (frequency, amplitude and DC level presets, aux outputs, data
#: channels, strip charts, X/Y/R offsets and expands).
INDEXED: dict[str, tuple[range, Stored]] = {
    "PSTF": (range(4), Stored(1e3, 1e-3, MAX_DETECTION, 1e-6)), "PSTA": (range(4), Stored(1e-3, 1e-9, 2.0, 1e-9)),
    "PSTL": (range(4), Stored(0.0, -5.0, 5.0, 1e-4)), "AUXV": (range(4), Stored(0.0, -10.5, 10.5, 1e-3)),
    "CDSP": (range(4), Stored(0, 0, 16)), "CGRF": (range(4), _code("OFF ON")),
    "COFP": (range(3), Stored(0.0, -999.99, 999.99, 0.01)), "CEXP": (range(3), _code("OFF X10 X100")),
}
#: ``OUTP?`` and ``SNAP?`` quantities, as tokens in code order.
QUANTITIES = ("X Y R THeta IN1 IN2 IN3 IN4 XNOise YNOise OUT1 OUT2 PHAse SAMp LEVel FINt FEXt").split()
_CDSP_DEFAULTS = (0, 1, 2, 3)  #: data channels DAT1..DAT4 show X, Y, R, θ after *RST


def _format(value: float | int) -> str:
    """A reply value: an integer code as it is, a number in exponent form with 7 significant digits."""
    return str(value) if isinstance(value, int) else f"{value:.6e}"


def harmonic(resistance: Callable[[float], float], offset: float, amplitude: float, n: int) -> complex:
    """Peak cos and sin coefficients a_n + i·b_n (V) of the DUT voltage under the current offset + amplitude·cos ωt
    (A), from V = I·R(V) solved by fixed-point iteration at ``_SAMPLES`` phases of one period."""
    theta = 2 * math.pi * np.arange(_SAMPLES) / _SAMPLES
    currents = offset + amplitude * np.cos(theta)
    volts = np.empty(_SAMPLES)
    for k, current in enumerate(currents):
        v = current * resistance(0.0)
        for _ in range(_ITERATIONS):
            v = current * resistance(float(v))
        volts[k] = v
    return complex(2 * np.mean(volts * np.cos(n * theta)), 2 * np.mean(volts * np.sin(n * theta)))


class SR860(LockInTwin):
    """SR860 lock-in on the bench: X, Y, R, θ of the DUT voltage at the reference's harmonic ``HARM``.

    ``ballast``: the resistance (Ω) through which the sine output drives the DUT.
    """

    idn = ("Stanford_Research_Systems", "SR860", "003101", "v1.47")

    def __init__(self, bench: VirtualBench, ballast: float = BALLAST) -> None:
        if not ballast > 0:
            raise ValueError(f"ballast must be a resistance > 0 Ω, got {ballast!r}")
        self.ballast = ballast
        self.lias = self.errs = self.liae = self.erre = 0
        self.power_on_clear = 1
        super().__init__(bench)
        self._commands_table = self._handlers()
        self.settings["RSRC"] = 1  # as set up on the bench: external reference from the RF source's AM clock

    def reset(self) -> None:
        """``*RST``: the default settings; status registers are kept."""
        self.settings = {name: spec.default for name, spec in SETTINGS.items()}
        self.indexed = {name: {i: spec.default for i in indices} for name, (indices, spec) in INDEXED.items()}
        self.indexed["CDSP"] = dict(enumerate(_CDSP_DEFAULTS))
        self.capture_rate = 0  #: n: the capture rate is the maximum over 2^n

    # ----------------------------------------------------------------- message processing
    def _handle_line(self, message: str) -> str | None:
        lines = [self._line(line) for line in re.split(r"[\r\n]", message)]
        return "\n".join(line for line in lines if line is not None) or None

    def _normalised(self, unit: str) -> str:
        """One command as the SR860 takes it: upper case, a space (at least one) kept before the arguments."""
        return re.sub(r"\s+", " ", unit).strip().upper()

    def _line(self, line: str) -> str | None:
        """The replies to the queries of one line, ';'-separated (None without any)."""
        replies = self._line_replies(line)
        return ";".join(replies) if replies else None  # type: ignore[arg-type]

    def _execute(self, unit: str) -> str | None:
        match = _HEADER.fullmatch(unit)
        if match is None or (match.group(3) and match.group(3)[0] not in " ,"):
            raise ScpiError(-113, "illegal command")
        name, query = match.group(1), bool(match.group(2))
        args = [a.strip() for a in match.group(3).split(",")] if match.group(3).strip() else []
        if name in SETTINGS:
            return self._single(name, query, args)
        if name in INDEXED:
            return self._indexed(name, query, args)
        queries, command = self._commands_table.get(name, (None, None))
        method = queries if query else command
        if method is None:
            raise ScpiError(-113, "illegal command" if name not in self._commands_table else
                            f"{name} has no {'query' if query else 'set'} form")
        return method(args)

    @staticmethod
    def _value(spec: Stored, text: str) -> float | int:
        """A parameter: a number in range, or one of the setting's tokens."""
        tokens = spec.tokens if isinstance(spec, Enumerated) else ()
        for code, token in enumerate(tokens):
            short = "".join(c for c in token if not c.islower())
            if text.startswith(short) and token.upper().startswith(text):
                return code
        if not _NUMBER.fullmatch(text):
            raise ScpiError(-104, f"'{text}' is not a number")
        value = float(text)
        if not math.isfinite(value):
            raise ScpiError(-222, f"{text} is out of range")
        if spec.step == 0 and value != int(value):
            raise ScpiError(-222, f"{text} is not an integer code")
        return spec.parse(value)

    def _index(self, text: str, indices: range, tokens: tuple[str, ...] = ()) -> int:
        value = self._value(Enumerated(indices.start, indices.start, indices.stop - 1, 0.0, tokens), text)
        return int(value)

    def _handlers(self) -> dict[str, tuple[Callable | None, Callable | None]]:
        """Commands other than stored settings: mnemonic -> (query handler, set handler)."""
        return {
            "*IDN": (self._q_idn, None), "*RST": (None, self._c_rst), "*CLS": (None, self._c_cls),
            "*OPC": (self._q_opc, self._c_opc), "*ESE": self._register("ese", 8), "*SRE": self._register("sre", 8),
            "*ESR": (self._event("esr", 8), None), "*STB": (self._q_stb, None),
            "*PSC": self._register("power_on_clear", 1), "LIAE": self._register("liae", 16),
            "ERRE": self._register("erre", 8),
            "LIAS": (self._event("lias", 16), None), "ERRS": (self._event("errs", 8), None),
            "OUTP": (self._q_outp, None), "SNAP": (self._q_snap, None), "SNAPD": (self._q_snapd, None),
            "OAUX": (self._q_oaux, None), "FREQINT": (self._q_freqint, self._c_freqint),
            "FREQEXT": (self._q_freq_of(lambda: self.bench.rf.am_frequency), None),
            "FREQDET": (self._q_freq_of(self._detection_frequency), None), "TBSTAT": (self._q_const("1"), None),
            "ENBW": (self._q_enbw, None), "ILVL": (self._q_const("0"), None),
            "CAPTURERATEMAX": (self._q_const(_format(MAX_CAPTURE_RATE)), None),
            "CAPTURERATE": (self._q_capture_rate, self._c_capture_rate),
            "CAPTURESTAT": (self._q_const("0"), None), "CAPTUREBYTES": (self._q_const("0"), None),
            "CAPTUREPROG": (self._q_const("0"), None), "CAPTURESTART": (None, self._c_ignored(0, 2)),
            "CAPTURESTOP": (None, self._c_ignored(0, 0)), "APHS": (None, self._c_aphs),
        }

    # ----------------------------------------------------------------- stored settings
    def _single(self, name: str, query: bool, args: list[str]) -> str | None:
        if query:
            self._count(args, 0)
            return _format(self._frequency() if name == "FREQ" else self.settings[name])
        self._count(args, 1)
        value = self._value(SETTINGS[name], args[0])
        setter = getattr(self, f"_set_{name.lower()}", None)
        if setter is not None:
            setter(value)
        else:
            self.settings[name] = value
        return None

    def _indexed(self, name: str, query: bool, args: list[str]) -> str | None:
        indices, spec = INDEXED[name]
        self._count(args, 1 if query else 2)
        index = self._index(args[0], indices)
        if query:
            return _format(self.indexed[name][index])
        self.indexed[name][index] = self._value(spec, args[1])
        return None

    def _set_phas(self, phase: float) -> None:
        """The phase wraps into (−180°, 180°]."""
        self.settings["PHAS"] = wrapped_phase(phase, 7)

    def _set_freq(self, frequency: float) -> None:
        """The internal frequency; harmonic × frequency at most 500 kHz."""
        self.settings["FREQ"] = min(frequency, MAX_DETECTION / self.settings["HARM"])

    def _set_capturelen(self, kilobytes: int) -> None:
        """An odd length is rounded up: the buffer is made of 2 kB blocks."""
        self.settings["CAPTURELEN"] = kilobytes + kilobytes % 2

    def _set_harm(self, harmonic_number: int) -> None:
        if harmonic_number * self._frequency() > MAX_DETECTION:
            raise ScpiError(-222, f"harmonic {harmonic_number} × {self._frequency():g} Hz is above 500 kHz")
        self.settings["HARM"] = harmonic_number

    def _q_freqint(self, args: list[str]) -> str:
        self._count(args, 0)
        return _format(self.settings["FREQ"])

    def _c_freqint(self, args: list[str]) -> None:
        self._count(args, 1)
        self._set_freq(self._value(SETTINGS["FREQ"], args[0]))

    # ----------------------------------------------------------------- interface and status
    def _q_opc(self, args: list[str]) -> str:
        self._count(args, 0)
        return "1"

    def _c_opc(self, args: list[str]) -> None:
        self._count(args, 0)
        self.esr |= 0x01

    def _register(self, register: str, bits: int) -> tuple[Callable, Callable]:
        """An enable register: query (or bit i), set to j, or bit i to j."""
        def query(args: list[str]) -> str:
            self._count(args, 0, 1)
            value = getattr(self, register)
            return str(value >> self._index(args[0], range(bits)) & 1 if args else value)

        def command(args: list[str]) -> None:
            self._count(args, 1, 2)
            if len(args) == 1:
                setattr(self, register, int(self._value(Stored(0, 0, 2 ** bits - 1), args[0])))
                return
            bit, state = 1 << self._index(args[0], range(bits)), self._index(args[1], range(2))
            setattr(self, register, getattr(self, register) & ~bit | (bit if state else 0))
        return query, command

    def _event(self, register: str, bits: int) -> Callable[[list[str]], str]:
        """An event register: reading the whole of it clears it; reading bit i clears that bit."""
        def query(args: list[str]) -> str:
            self._count(args, 0, 1)
            value = getattr(self, register)
            mask = 1 << self._index(args[0], range(bits)) if args else (1 << bits) - 1
            setattr(self, register, value & ~mask)
            return str((value & mask) >> (mask.bit_length() - 1) if args else value)
        return query

    def status_byte(self) -> int:
        """Serial poll status byte: ERR (2), LIA (3), ESB (5), SRQ (6); MAV is the transport's to add."""
        stb = (0x04 if self.errs & self.erre else 0) | (0x08 if self.lias & self.liae else 0)
        stb |= 0x20 if self.esr & self.ese else 0
        return stb | (0x40 if stb & self.sre else 0)

    def _q_stb(self, args: list[str]) -> str:
        self._count(args, 0, 1)
        value = self.status_byte()
        return str(value >> self._index(args[0], range(8)) & 1 if args else value)

    def _q_const(self, reply: str) -> Callable[[list[str]], str]:
        def query(args: list[str]) -> str:
            self._count(args, 0)
            return reply
        return query

    def _c_ignored(self, low: int, high: int) -> Callable[[list[str]], None]:
        def command(args: list[str]) -> None:
            self._count(args, low, high)
        return command

    def _q_freq_of(self, frequency: Callable[[], float]) -> Callable[[list[str]], str]:
        def query(args: list[str]) -> str:
            self._count(args, 0)
            return _format(float(frequency()))
        return query

    def _q_capture_rate(self, args: list[str]) -> str:
        """The capture rate (Hz): the maximum over 2^n."""
        self._count(args, 0)
        return _format(MAX_CAPTURE_RATE / 2 ** self.capture_rate)

    def _c_capture_rate(self, args: list[str]) -> None:
        self._count(args, 1)
        self.capture_rate = self._index(args[0], range(21))

    def _q_enbw(self, args: list[str]) -> str:
        self._count(args, 0)
        return _format(ENBW_TAU[self.settings["OFSL"]] / TIME_CONSTANTS[self.settings["OFLT"]])

    def _update_status(self) -> None:
        if math.sqrt(abs(self._signal()) ** 2 + 2 * self._noise() ** 2) > OVERLOAD * self._full_scale():
            self.lias |= LIA_OUTPUT

    # ----------------------------------------------------------------- physics
    def _frequency(self) -> float:
        """Reference frequency (Hz): the RF source's AM clock (external) or the internal oscillator."""
        return self.bench.rf.am_frequency if self.settings["RSRC"] == 1 else float(self.settings["FREQ"])

    def _detection_frequency(self) -> float:
        return self.settings["HARM"] * self._frequency()

    def _full_scale(self) -> float:
        scale = SENSITIVITIES[self.settings["SCAL"]]
        return scale * 1e-6 if self.settings["IVMD"] == 1 else scale

    def _signal(self) -> complex:
        """The demodulated signal X + iY without noise (V rms), rotated by the reference phase."""
        s = self.settings
        if s["IVMD"] != 0:
            return 0j  # the current input is not wired to the DUT
        if s["RSRC"] == 1:
            phasor = complex(diode_harmonic(self.bench, s["HARM"]))
        elif s["RSRC"] == 0:
            resistance = getattr(self.bench.dut, "resistance", None)
            if resistance is None:
                return 0j
            drive = harmonic(resistance, s["SOFF"] / self.ballast, math.sqrt(2) * s["SLVL"] / self.ballast,
                             s["HARM"])
            phasor = drive.conjugate() / math.sqrt(2)
        else:
            return 0j
        return phasor * rotation(s["PHAS"])

    def _noise(self) -> float:
        """Standard deviation of X and of Y (V or A): input noise in the filter's noise bandwidth."""
        density = _NOISE[(self.settings["IVMD"], self.settings["ICUR"])]
        return density * math.sqrt(ENBW_TAU[self.settings["OFSL"]] / TIME_CONSTANTS[self.settings["OFLT"]])

    def _quantities(self) -> list[float]:
        """One reading of each ``SNAP?`` quantity 0..16, X and Y at the same instant."""
        signal, sigma, s = self._signal(), self._noise(), self.settings
        x, y = (signal.real + sigma * self.bench.rng.standard_normal(), signal.imag + sigma *
                self.bench.rng.standard_normal())
        return [x, y, math.hypot(x, y), math.degrees(math.atan2(y, x)), 0.0, 0.0, 0.0, 0.0, sigma, sigma,
                self.indexed["AUXV"][0], self.indexed["AUXV"][1], s["PHAS"], s["SLVL"], s["SOFF"],
                float(s["FREQ"]), float(self.bench.rf.am_frequency)]

    def _c_aphs(self, args: list[str]) -> None:
        """Auto phase: the reference phase that brings θ to zero."""
        self._count(args, 0)
        self._set_phas(self.settings["PHAS"] + self._quantities()[3])

    # ----------------------------------------------------------------- readings
    def _q_outp(self, args: list[str]) -> str:
        self._count(args, 1)
        return _format(self._quantities()[self._index(args[0], range(4), tuple(QUANTITIES[:4]))])

    def _q_snap(self, args: list[str]) -> str:
        """2 or 3 quantities taken at the same instant."""
        self._count(args, 2, 3)
        indices = [self._index(a, range(17), tuple(QUANTITIES)) for a in args]
        values = self._quantities()
        return ",".join(_format(values[i]) for i in indices)

    def _q_snapd(self, args: list[str]) -> str:
        """The four data channels DAT1..DAT4 (``CDSP``)."""
        self._count(args, 0)
        values = self._quantities()
        return ",".join(_format(values[self.indexed["CDSP"][i]]) for i in range(4))

    def _q_oaux(self, args: list[str]) -> str:
        self._count(args, 1)
        self._index(args[0], range(4))
        return _format(0.0)  # nothing is connected to the aux inputs
