"""Virtual Stanford Research SR830 lock-in amplifier demodulating the DUT's rectified voltage.

The reference is the RF source's amplitude-modulation clock (external reference): with the microwave chopped
on and off (100 % AM), the DUT's spin-diode voltage is a square wave of amplitude V_on, whose fundamental the
lock-in reports in rms, X = (√2/π)·V_on·depth (in phase), Y ≈ 0, plus the input noise (6 nV/√Hz) in the
equivalent noise bandwidth of the time constant (5/(64τ) for a 24 dB/oct filter). The SR830 speaks its own
syntax (``OUTP?1``, ``SNAP? 1,2``, ``SENS 10``, ``OFLT 8`` …), not SCPI; errors set ``ERRS?`` bits.
"""

from __future__ import annotations

import math
import re

from mtjhw.simulators.bench import VirtualBench

TIME_CONSTANTS = [10e-6, 30e-6, 100e-6, 300e-6, 1e-3, 3e-3, 10e-3, 30e-3, 100e-3, 300e-3, 1, 3, 10, 30, 100,
                  300, 1e3, 3e3, 10e3, 30e3]
SENSITIVITIES = [2e-9, 5e-9, 10e-9, 20e-9, 50e-9, 100e-9, 200e-9, 500e-9, 1e-6, 2e-6, 5e-6, 10e-6, 20e-6, 50e-6,
                 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3, 50e-3, 100e-3, 200e-3, 500e-3, 1]
_COMMAND = re.compile(r"^\s*(\*?[A-Za-z]+)\s*(\?)?\s*(.*?)\s*$")
_NOISE = 6e-9  # V/√Hz input noise


class SR830:
    """SR830 DSP lock-in on the bench: X, Y, R, θ of the DUT voltage at the AM reference frequency."""

    idn = ("Stanford_Research_Systems", "SR830", "s/n54321", "ver1.07")

    def __init__(self, bench: VirtualBench) -> None:
        self.bench = bench
        self.reset()

    def reset(self) -> None:
        self.settings = {"SENS": 22, "OFLT": 10, "OFSL": 1, "FMOD": 0, "HARM": 1, "PHAS": 0.0, "SLVL": 1.0,
                         "ISRC": 0, "ICPL": 0, "RSLP": 0, "FREQ": 1000.0}
        self.error_bits = 0

    def _xy(self) -> tuple[float, float]:
        rf = self.bench.rf
        rectify = getattr(self.bench.dut, "rectified_voltage", None)
        signal = 0.0
        if rf.on and rf.am_on and rectify is not None:
            v_on = rectify(rf.frequency, self.bench.field, rf.power)
            signal = math.sqrt(2) / math.pi * v_on * rf.am_depth
        tau = TIME_CONSTANTS[int(self.settings["OFLT"])]
        sigma = _NOISE * math.sqrt(5 / (64 * tau))
        rng = self.bench.rng
        return signal + sigma * rng.standard_normal(), sigma * rng.standard_normal()

    def _output(self, index: int) -> float:
        x, y = self._xy()
        return {1: x, 2: y, 3: math.hypot(x, y), 4: math.degrees(math.atan2(y, x))}.get(index, 0.0)

    def handle(self, message: str) -> str | None:
        with self.bench.lock:
            self.bench.catch_up()
            replies = []
            for unit in message.split(";"):
                if not unit.strip():
                    continue
                m = _COMMAND.match(unit)
                reply = self._execute(m.group(1).upper(), bool(m.group(2)), m.group(3)) if m else None
                if m is None:
                    self.error_bits |= 0x10  # command error
                if reply is not None:
                    replies.append(reply)
            return ";".join(replies) if replies else None

    def _execute(self, name: str, query: bool, args: str) -> str | None:
        if name == "*IDN" and query:
            return ",".join(self.idn)
        if name in ("*RST", "*CLS"):
            if name == "*RST":
                self.reset()
            self.error_bits = 0
            return None
        if name == "OUTP" and query:
            return f"{self._output(int(args or 1)):.6e}"
        if name == "SNAP" and query:
            x, y = self._xy()
            values = {1: x, 2: y, 3: math.hypot(x, y), 4: math.degrees(math.atan2(y, x)), 9: self._frequency()}
            return ",".join(f"{values.get(int(k), 0.0):.6e}" for k in args.split(","))
        if name == "FREQ" and query:
            return f"{self._frequency():.5e}"
        if name == "ERRS" and query:
            bits, self.error_bits = self.error_bits, 0
            return str(bits)
        if name in ("AGAN", "ARSV", "APHS", "AOFF", "REST"):
            return None
        if name in self.settings:
            if query:
                value = self.settings[name]
                return f"{value:g}" if isinstance(value, float) else str(value)
            try:
                value = float(args)
            except ValueError:
                self.error_bits |= 0x10
                return None
            limits = {"SENS": len(SENSITIVITIES) - 1, "OFLT": len(TIME_CONSTANTS) - 1}
            if name in limits and not 0 <= value <= limits[name]:
                self.error_bits |= 0x20  # parameter out of range
                return None
            self.settings[name] = value if name in ("PHAS", "SLVL", "FREQ") else int(value)
            return None
        self.error_bits |= 0x10
        return None

    def _frequency(self) -> float:
        rf = self.bench.rf
        return rf.am_frequency if self.settings["FMOD"] == 0 else float(self.settings["FREQ"])
