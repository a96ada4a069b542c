"""Virtual Lake Shore Model 460 three-channel gaussmeter with a three-axis Hall probe at the DUT position.

Follows the remote-operation chapter of the Model 460 user's manual (as the drivers written against a real 460
use it: the manual's text was not at hand): Lake Shore's own flat headers, not SCPI.
``CHNL X|Y|Z|V`` selects the channel the channel commands act on (V: the vector magnitude of X, Y and Z);
``FIELD?`` answers the selected channel's reading as a mantissa in the unit (``UNIT G|T``) and ``FIELDM?`` its
multiplier (``u``, ``m``, a space for none, ``k``); ``ALLF?`` the mantissas of X, Y, Z and V, comma-separated,
each read with its own channel's ``FIELDM?``. ``AUTO``, ``RANGE`` (0 the highest: 30 kG … 3 the lowest: 30 G with
the high-sensitivity probe), ``FILT`` and ``ONOFF`` (0 on, 1 off) are kept per channel. Like the other Lake Shore
gaussmeters it has no error queue: a refused command sets a bit of ``*ESR?`` (CME, EXE) and a refused query sends
nothing. Replies end with CR LF.
"""

from __future__ import annotations

import math

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Enum, Integer, ScpiError, Setting, command
from mtjhw.simulators.scpi.instrument import STB_ESB, STB_MSS

from .base import BenchInstrument

#: UNIT → reading per tesla.
_PER_TESLA = {"G": 1e4, "T": 1.0}
#: FIELDM? multipliers, largest first, as the 460 writes them.
_MULTIPLIERS = (("k", 1e3), (" ", 1.0), ("m", 1e-3), ("u", 1e-6))
#: RANGE codes → full scale (T) with the high-sensitivity three-axis probe, highest first: 30 kG … 30 G.
_RANGES_T = {0: 3.0, 1: 3e-1, 2: 3e-2, 3: 3e-3}
_ON, _OFF = 0, 1  #: ONOFF codes
_CHANNELS = ("X", "Y", "Z", "V")


def reading_and_multiplier(value: float) -> tuple[str, str]:
    """(FIELD? mantissa, FIELDM? multiplier) of ``value`` in the present unit: the mantissa below 1000."""
    symbol, scale = next(((s, k) for s, k in _MULTIPLIERS if abs(value) >= k), _MULTIPLIERS[-1])
    return f"{value / scale:+.3f}", symbol


class LakeShore460(BenchInstrument):
    """Virtual 460: X, Y and Z probe axes and their vector magnitude V, read from ``VirtualBench.field_vector``,
    with a per-axis zero offset and noise of 0.002 % of the range; auto range picks the smallest range that holds
    the field, a manual range that does not reads ``OL``."""

    idn = ("LSCI", "MODEL460", "0", "032804")
    reply_termination = "\r\n"
    withdrawn = ("*OPT?", ":SYSTem:ERRor[:NEXT]?", ":SYSTem:ERRor:ALL?", ":SYSTem:ERRor:COUNt?", ":SYSTem:VERSion?")

    channel = Setting("CHNL", Enum(list(_CHANNELS), "X"))
    unit = Setting("UNIT", Enum(["G", "T"], "G"))

    def __init__(self, bench: VirtualBench, probe_offset: tuple[float, float, float] = (2e-5, -1e-5, 1.5e-5)
                 ) -> None:
        self.probe_offset = probe_offset  # T per axis
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.per_channel = {c: {"AUTO": 1, "RANGE": 0, "FILT": 0, "ONOFF": _ON} for c in _CHANNELS}

    # ----------------------------------------------------------------- probe physics
    def axis_fields(self) -> dict[str, float]:
        """The probe's X, Y, Z readings and their magnitude V (T), offset and noise included."""
        noise = 2e-5 * self.bench.rng.standard_normal(3)
        xyz = [b + offset + n * _RANGES_T[self._range(c, b)] for c, b, offset, n in
               zip("XYZ", self.bench.field_vector, self.probe_offset, noise, strict=True)]
        return dict(zip("XYZ", xyz, strict=True)) | {"V": math.hypot(*xyz)}

    def _range(self, channel: str, b: float) -> int:
        settings = self.per_channel[channel]
        if settings["AUTO"]:
            settings["RANGE"] = next((k for k, fs in reversed(_RANGES_T.items()) if abs(b) < 0.95 * fs), 0)
        return settings["RANGE"]

    # ----------------------------------------------------------------- readings
    @command("FIELD?")
    def _field(self) -> str:
        return self._reading()[0]

    @command("FIELDM?")
    def _multiplier(self) -> str:
        return self._reading()[1]

    @command("ALLF?")
    def _all_fields(self) -> str:
        fields = self.axis_fields()
        return ",".join(self._reading(channel, fields)[0] for channel in _CHANNELS)

    def _reading(self, channel: str | None = None, fields: dict[str, float] | None = None) -> tuple[str, str]:
        """(mantissa, multiplier) of ``channel`` (the selected one) from ``fields`` (a fresh reading)."""
        channel = channel or self.channel
        if self.per_channel[channel]["ONOFF"] != _ON:
            raise ScpiError(-221, f"channel {channel} is off (ONOFF 0 turns it on)")
        b = (fields or self.axis_fields())[channel]
        if abs(b) > 1.05 * _RANGES_T[self._range(channel, b)]:
            return "OL", " "
        return reading_and_multiplier(b * _PER_TESLA[self.unit])

    # ----------------------------------------------------------------- per-channel settings
    def _set(self, key: str, value: int) -> None:
        self.per_channel[self.channel][key] = value

    def _get(self, key: str) -> str:
        return str(self.per_channel[self.channel][key])

    @command("AUTO", Integer(1, 0, 1))
    def _set_auto(self, value: int) -> None:
        self._set("AUTO", value)

    @command("AUTO?")
    def _get_auto(self) -> str:
        return self._get("AUTO")

    @command("RANGE", Integer(0, 0, 3))
    def _set_range(self, value: int) -> None:
        self._set("RANGE", value)
        self._set("AUTO", 0)

    @command("RANGE?")
    def _get_range(self) -> str:
        return self._get("RANGE")

    @command("FILT", Integer(0, 0, 1))
    def _set_filter(self, value: int) -> None:
        self._set("FILT", value)

    @command("FILT?")
    def _get_filter(self) -> str:
        return self._get("FILT")

    @command("ONOFF", Integer(_ON, 0, 1))
    def _set_on(self, value: int) -> None:
        self._set("ONOFF", value)

    @command("ONOFF?")
    def _get_on(self) -> str:
        return self._get("ONOFF")

    # ----------------------------------------------------------------- status
    def status_byte(self) -> int:
        """ESB and MSS only: no error queue, so no "error available" bit."""
        stb = STB_ESB if self.esr & self.ese else 0
        return stb | (STB_MSS if stb & self.sre else 0)
