"""Virtual Keysight B2902A Precision Source/Measure Unit (B2900 series), channel 1 wired to the DUT of a bench.

Implements, from the B2900 SCPI Command Reference, what QCoDeS's B2962A driver (the same command set) and our
driver use, per channel (``:SOURce2``, ``:SENSe2``, ``:OUTPut2``, ``:TRIGger2``, channel lists ``(@1,2)``):
source function and levels, source modes FIXed/LIST/SWEep (``:SOURce:LIST:VOLTage``, ≤ 2500 points; linear
start/stop/points), compliance (``:SENSe:CURRent:PROTection``) with its tripped flag, the output protection
(``:OUTPut:PROTection ON``: the output turns off when a compliance is reached), NPLC, remote sensing, automatic
output on for ``:INITiate``/``:READ``, and the trigger model: acquire and transient layers with count, delay and
source. ``AINT``/``TIMer`` run at once in simulated time; ``BUS`` waits for ``*TRG``; ``EXT<n>`` takes one
acquisition per edge on the bench's trigger line (at the acquire delay). ``:FETCh:ARRay?`` answers every
reading of the last run, each with the ``:FORMat:ELEMents:SENSe`` elements in the manual's fixed order (voltage,
current, resistance, time, status, source), ``+9.910000E+37`` for data not measured; ``:FETCh?`` the last one;
``:MEASure?`` is a spot measurement. Status bits: 1 current source, 2 compliance, 8 over voltage, 16 over current.

Channel 1 is a :class:`~mtjhw.simulators.instruments.source_meter.SourceMeterTwin` (the DUT operating point,
compliance clipping, read noise, the trigger listener with its bulk path for bursts); this file holds the B2900
dialect. Channel 2 is connected to nothing (an open output): it sources and measures like channel 1, but no
current flows and a current source sits at its voltage compliance. Data format ASCII only (``REAL`` is not
simulated: -224).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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
    Variadic,
    command,
)

from .source_meter import LINE_FREQUENCY, SourceMeterTwin

V_MAX, I_MAX = 210.0, 3.03  # V, A: the B2902A's largest output ranges (3 A pulsed, DC up to 1.515 A)
CHANNELS = (1, 2)
_NAN = 9.91e37  # "not a number" in ASCII data
_MAX_LIST = 2500
_ELEMENTS = ("VOLTAGE", "CURRENT", "RESISTANCE", "TIME", "STATUS", "SOURCE")  # the manual's fixed order
_TRIGGER_SOURCES = ["AINT", "BUS", "TIMer", "INT1", "INT2", "LAN", *(f"EXT{n}" for n in range(1, 15))]
_FUNCTIONS = Enum(["VOLTage", "CURRent", "RESistance"],
                  responses={"VOLTAGE": '"VOLT"', "CURRENT": '"CURR"', "RESISTANCE": '"RES"'})
STATUS_CURRENT_SOURCE, STATUS_COMPLIANCE = 1, 2


@dataclass(frozen=True)
class Reading:
    voltage: float
    current: float
    time: float  # s of bench time
    status: int
    source: float


def _level(limit: float, unit: str, default: float = 0.0) -> Numeric:
    return Numeric(default, -limit, limit, unit)


def _positive(default: float, limit: float, unit: str) -> Numeric:
    return Numeric(default, 0.0, limit, unit)


def channel_list(tokens: list[str]) -> list[int]:
    """The channels of an optional channel list (``(@1)``, ``(@1,2)``, ``(@1:2)``, ``(@2,1)``): 1 when absent."""
    if not tokens:
        return [1]
    text = ",".join(tokens).replace(" ", "")
    if not (text.startswith("(@") and text.endswith(")")):
        raise ScpiError(-104, f"'{text[:40]}' is no channel list, e.g. (@1,2)")
    channels: list[int] = []
    for part in text[2:-1].split(","):
        ends = part.split(":")
        if not all(e.isdigit() for e in ends) or len(ends) > 2:
            raise ScpiError(-104, f"'{text[:40]}' is no channel list")
        first, last = int(ends[0]), int(ends[-1])
        step = 1 if last >= first else -1
        channels.extend(range(first, last + step, step))
    bad = [c for c in channels if c not in CHANNELS]
    if bad:
        raise ScpiError(-114, f"channel {bad[0]} (this instrument has 1, 2)")
    return channels


_CHANLIST = Variadic(Raw(), maximum=4)


class KeysightB2902A(SourceMeterTwin):
    """Virtual B2902A: channel 1 across ``bench``'s DUT (two-wire), channel 2 open. The twin base reads channel 1
    through ``source_function``, ``source_voltage``, … (properties here); channel 2 is this file's own."""

    idn = ("Keysight Technologies", "B2902A", "MY51140000", "3.4.2011.5100")

    functions = ChannelSetting("[:SOURce#]:FUNCtion:MODE", Enum(["VOLTage", "CURRent"], "VOLTage"), CHANNELS,
                               after="_apply")
    voltage = ChannelSetting("[:SOURce#]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", _level(V_MAX, "V"), CHANNELS,
                             after="_apply")
    current = ChannelSetting("[:SOURce#]:CURRent[:LEVel][:IMMediate][:AMPLitude]", _level(I_MAX, "A"), CHANNELS,
                             after="_apply")
    voltage_mode = ChannelSetting("[:SOURce#]:VOLTage:MODE", Enum(["FIXed", "LIST", "SWEep"], "FIXed"), CHANNELS)
    current_mode = ChannelSetting("[:SOURce#]:CURRent:MODE", Enum(["FIXed", "LIST", "SWEep"], "FIXed"), CHANNELS)
    voltage_start = ChannelSetting("[:SOURce#]:VOLTage:STARt", _level(V_MAX, "V"), CHANNELS)
    voltage_stop = ChannelSetting("[:SOURce#]:VOLTage:STOP", _level(V_MAX, "V"), CHANNELS)
    current_start = ChannelSetting("[:SOURce#]:CURRent:STARt", _level(I_MAX, "A"), CHANNELS)
    current_stop = ChannelSetting("[:SOURce#]:CURRent:STOP", _level(I_MAX, "A"), CHANNELS)
    sweep_points = ChannelSetting("[:SOURce#]:SWEep:POINts", Integer(1, 1, _MAX_LIST), CHANNELS)
    voltage_range = ChannelSetting("[:SOURce#]:VOLTage:RANGe", _positive(2.0, V_MAX, "V"), CHANNELS)
    voltage_autorange = ChannelSetting("[:SOURce#]:VOLTage:RANGe:AUTO", Boolean(True), CHANNELS)
    current_range = ChannelSetting("[:SOURce#]:CURRent:RANGe", _positive(1e-4, I_MAX, "A"), CHANNELS)
    current_autorange = ChannelSetting("[:SOURce#]:CURRent:RANGe:AUTO", Boolean(True), CHANNELS)
    current_compliance = ChannelSetting("[:SENSe#]:CURRent[:DC]:PROTection[:LEVel]",
                                        _positive(1e-4, I_MAX, "A"), CHANNELS, after="_apply")
    voltage_compliance = ChannelSetting("[:SENSe#]:VOLTage[:DC]:PROTection[:LEVel]",
                                        _positive(2.0, V_MAX, "V"), CHANNELS, after="_apply")
    nplc_current = ChannelSetting("[:SENSe#]:CURRent[:DC]:NPLCycles", Numeric(1.0, 4e-4, 100.0), CHANNELS)
    nplc_voltage = ChannelSetting("[:SENSe#]:VOLTage[:DC]:NPLCycles", Numeric(1.0, 4e-4, 100.0), CHANNELS)
    current_sense_autorange = ChannelSetting("[:SENSe#]:CURRent[:DC]:RANGe:AUTO", Boolean(True), CHANNELS)
    voltage_sense_autorange = ChannelSetting("[:SENSe#]:VOLTage[:DC]:RANGe:AUTO", Boolean(True), CHANNELS)
    sense_functions = ChannelSetting("[:SENSe#]:FUNCtion[:ON]", Variadic(_FUNCTIONS, minimum=1, maximum=3),
                                     CHANNELS)
    remote_sense = ChannelSetting("[:SENSe#]:REMote", Boolean(False), CHANNELS)
    outputs = ChannelSetting(":OUTPut#[:STATe]", Boolean(False), CHANNELS, after="_apply")
    output_protection = ChannelSetting(":OUTPut#:PROTection[:STATe]", Boolean(False), CHANNELS)
    auto_output_on = ChannelSetting(":OUTPut#:ON:AUTO", Boolean(True), CHANNELS)
    acquire_count = ChannelSetting(":TRIGger#:ACQuire:COUNt", Integer(1, 1, 100000), CHANNELS)
    transient_count = ChannelSetting(":TRIGger#:TRANsient:COUNt", Integer(1, 1, 100000), CHANNELS)
    acquire_delay = ChannelSetting(":TRIGger#:ACQuire:DELay", _positive(0.0, 100.0, "S"), CHANNELS)
    transient_delay = ChannelSetting(":TRIGger#:TRANsient:DELay", _positive(0.0, 100.0, "S"), CHANNELS)
    acquire_source = ChannelSetting(":TRIGger#:ACQuire:SOURce[:SIGNal]", Enum(_TRIGGER_SOURCES, "AINT"), CHANNELS)
    transient_source = ChannelSetting(":TRIGger#:TRANsient:SOURce[:SIGNal]", Enum(_TRIGGER_SOURCES, "AINT"),
                                      CHANNELS)
    timer = ChannelSetting(":TRIGger#:ACQuire:TIMer", Numeric(1e-5, 1e-5, 1e5, "S"), CHANNELS)
    elements = Setting(":FORMat:ELEMents:SENSe[:DATA]", Variadic(Enum(["VOLTage", "CURRent", "RESistance", "TIME",
                                                                      "STATus", "SOURce"]), minimum=1, maximum=6))
    data_format = Setting(":FORMat[:DATA]", Enum(["ASCii"], "ASCii"))

    def __init__(self, bench: VirtualBench) -> None:
        self.data: dict[int, list[Reading]] = {ch: [] for ch in CHANNELS}
        self.lists: dict[tuple[int, str], list[float]] = {}
        self.open_tripped = False  # channel 2's compliance (channel 1's is the base's ``tripped``)
        self._waiting_bus: list[int] = []
        super().__init__(bench)

    # ----------------------------------------------------------------- channel 1, as the twin base reads it
    source_function = property(lambda self: self.functions[1])
    source_voltage = property(lambda self: self.voltage[1])
    source_current = property(lambda self: self.current[1])
    current_limit = property(lambda self: self.current_compliance[1])
    voltage_limit = property(lambda self: self.voltage_compliance[1])
    output = property(lambda self: self.outputs[1])

    def _tripped(self, ch: int) -> bool:
        return self.tripped if ch == 1 else self.open_tripped

    # ----------------------------------------------------------------- state
    def reset(self) -> None:
        super().reset()
        self.settings["elements"] = list(_ELEMENTS)
        self.settings["sense_functions"] = {ch: ["VOLTAGE", "CURRENT"] for ch in CHANNELS}
        self.data = {ch: [] for ch in CHANNELS}
        self.lists = {(ch, f): [] for ch in CHANNELS for f in ("VOLTAGE", "CURRENT")}
        self.open_tripped = False
        self._waiting_bus = []
        for ch in CHANNELS:
            self._apply(ch)

    def _apply(self, ch: int = 1) -> None:
        """Push channel ``ch``'s programmed source to its load (channel 1: the DUT, through the base's compliance
        clipping); with the output protection on, a compliance reached switches the output off."""
        if ch != 1:
            self._operating_point(ch)
            return
        bias = self._limited(self._programmed_bias()) if self.output else None
        if bias is not None and self.tripped and self.output_protection[1]:
            self.settings["outputs"][1] = False
            bias = None
        if bias is None:
            self.bench.release_bias(self)
        else:
            self.bench.apply_bias(self, bias)

    def _operating_point(self, ch: int) -> tuple[float, float]:
        """(V, I) of open channel 2: the voltage source's level at no current, or a current source stopped at
        its voltage compliance (no current flows)."""
        if not self.outputs[ch]:
            return 0.0, 0.0
        level = self.voltage[ch] if self.functions[ch] == "VOLTAGE" else self.current[ch]
        self.open_tripped = self.functions[ch] == "CURRENT" and level != 0.0
        if self.open_tripped and self.output_protection[ch]:
            self.settings["outputs"][ch] = False
            return 0.0, 0.0
        if self.functions[ch] == "VOLTAGE":
            return level, 0.0
        return (math.copysign(self.voltage_compliance[ch], level) if level else 0.0), 0.0

    def _nplc(self, ch: int) -> float:
        return self.nplc_current[ch] if self.functions[ch] == "VOLTAGE" else self.nplc_voltage[ch]

    # ----------------------------------------------------------------- measuring
    def measure(self, ch: int) -> Reading:
        """One acquisition on channel ``ch`` over its integration time, stored in its data (channel 1 through the
        twin base's integration of the DUT)."""
        nplc = self._nplc(ch)
        if ch == 1:
            return self._store(1, *self._integrate(nplc / LINE_FREQUENCY, nplc))
        self.bench.advance(nplc / LINE_FREQUENCY)
        v, i = self._operating_point(ch)
        rng, scale = self.bench.rng, self.noise_rel * math.sqrt(1.0 / nplc)
        v_floor, i_floor = self._noise_floor()
        return self._store(ch, v + scale * max(abs(v), v_floor) * rng.standard_normal(),
                           i + scale * i_floor * rng.standard_normal())

    def _store(self, ch: int, v: float, i: float) -> Reading:
        current_source = self.functions[ch] == "CURRENT"
        status = STATUS_CURRENT_SOURCE * current_source + STATUS_COMPLIANCE * self._tripped(ch)
        level = self.current[ch] if current_source else self.voltage[ch]
        reading = Reading(v, i, self.bench.time, status, level)
        self.data[ch].append(reading)
        return reading

    def _element(self, ch: int, reading: Reading, element: str) -> str:
        resistance_on = "RESISTANCE" in self.sense_functions[ch]
        value = {"VOLTAGE": reading.voltage, "CURRENT": reading.current, "TIME": reading.time,
                 "STATUS": float(reading.status), "SOURCE": reading.source,
                 "RESISTANCE": reading.voltage / reading.current if resistance_on and reading.current else _NAN}
        return f"{value[element]:+.6E}"

    def _format(self, ch: int, readings: list[Reading], elements: list[str]) -> list[list[str]]:
        """Per reading, its elements in the manual's order (all of them when ``elements`` is empty)."""
        chosen = [e for e in _ELEMENTS if e in (elements or self.elements)]
        return [[self._element(ch, r, e) for e in chosen] for r in readings]

    def _answer(self, channels: list[int], rows: dict[int, list[list[str]]]) -> str:
        """Channels interleaved point by point; a channel with fewer points gives NaN (as the manual shows)."""
        width = max(len(rows[ch][0]) if rows[ch] else 1 for ch in channels)
        depth = max(len(rows[ch]) for ch in channels)
        out: list[str] = []
        for k in range(max(depth, 1)):
            for ch in channels:
                out.extend(rows[ch][k] if k < len(rows[ch]) else [f"{_NAN:+.6E}"] * width)
        return ",".join(out)

    def _fetch(self, tokens: list[str], elements: list[str], last: bool) -> str:
        channels = channel_list(tokens)
        rows = {ch: self._format(ch, self.data[ch][-1:] if last else self.data[ch], elements) for ch in channels}
        return self._answer(channels, rows)

    @command(":FETCh:ARRay?", _CHANLIST)
    def _fetch_array(self, tokens: list[str]) -> str:
        return self._fetch(tokens, [], last=False)

    @command(":FETCh[:SCALar]?", _CHANLIST)
    def _fetch_scalar(self, tokens: list[str]) -> str:
        return self._fetch(tokens, [], last=True)

    @command(":FETCh:ARRay:VOLTage?", _CHANLIST)
    def _fetch_array_voltage(self, tokens: list[str]) -> str:
        return self._fetch(tokens, ["VOLTAGE"], last=False)

    @command(":FETCh:ARRay:CURRent?", _CHANLIST)
    def _fetch_array_current(self, tokens: list[str]) -> str:
        return self._fetch(tokens, ["CURRENT"], last=False)

    @command(":FETCh:ARRay:RESistance?", _CHANLIST)
    def _fetch_array_resistance(self, tokens: list[str]) -> str:
        return self._fetch(tokens, ["RESISTANCE"], last=False)

    @command(":FETCh:ARRay:SOURce?", _CHANLIST)
    def _fetch_array_source(self, tokens: list[str]) -> str:
        return self._fetch(tokens, ["SOURCE"], last=False)

    @command(":FETCh:ARRay:TIME?", _CHANLIST)
    def _fetch_array_time(self, tokens: list[str]) -> str:
        return self._fetch(tokens, ["TIME"], last=False)

    @command(":FETCh:ARRay:STATus?", _CHANLIST)
    def _fetch_array_status(self, tokens: list[str]) -> str:
        return self._fetch(tokens, ["STATUS"], last=False)

    def _spot(self, tokens: list[str], elements: list[str]) -> str:
        """A spot measurement on each listed channel (its data then holds that reading only)."""
        channels = channel_list(tokens)
        for ch in channels:
            self.data[ch] = []
            self.measure(ch)
        return self._fetch(tokens, elements, last=True)

    @command(":MEASure[:SCALar]?", _CHANLIST)
    def _measure(self, tokens: list[str]) -> str:
        return self._spot(tokens, [])

    @command(":MEASure[:SCALar]:VOLTage[:DC]?", _CHANLIST)
    def _measure_voltage(self, tokens: list[str]) -> str:
        return self._spot(tokens, ["VOLTAGE"])

    @command(":MEASure[:SCALar]:CURRent[:DC]?", _CHANLIST)
    def _measure_current(self, tokens: list[str]) -> str:
        return self._spot(tokens, ["CURRENT"])

    @command(":MEASure[:SCALar]:RESistance?", _CHANLIST)
    def _measure_resistance(self, tokens: list[str]) -> str:
        channels = channel_list(tokens)
        rows = {}
        for ch in channels:
            self.data[ch] = []
            r = self.measure(ch)
            rows[ch] = [[f"{r.voltage / r.current if r.current else _NAN:+.6E}"]]
        return self._answer(channels, rows)

    @command(":READ[:SCALar]?", _CHANLIST)
    def _read(self, tokens: list[str]) -> str:
        self._initiate(tokens)
        return self._fetch(tokens, [], last=True)

    @command(":READ:ARRay?", _CHANLIST)
    def _read_array(self, tokens: list[str]) -> str:
        self._initiate(tokens)
        return self._fetch(tokens, [], last=False)

    @command("[:SENSe#]:CURRent[:DC]:PROTection:TRIPped?")
    def _current_tripped(self, ch: int) -> str:
        self._check_channel(ch)
        return "1" if self._tripped(ch) and self.functions[ch] == "VOLTAGE" else "0"

    @command("[:SENSe#]:VOLTage[:DC]:PROTection:TRIPped?")
    def _voltage_tripped(self, ch: int) -> str:
        self._check_channel(ch)
        return "1" if self._tripped(ch) and self.functions[ch] == "CURRENT" else "0"

    @staticmethod
    def _check_channel(ch: int) -> None:
        if ch not in CHANNELS:
            raise ScpiError(-114, f"channel {ch} (this instrument has 1, 2)")

    # ----------------------------------------------------------------- lists and trigger model
    def _set_list(self, ch: int, function: str, values: list[float], append: bool) -> None:
        self._check_channel(ch)
        limit = V_MAX if function == "VOLTAGE" else I_MAX
        if any(not abs(v) <= limit for v in values):
            raise ScpiError(-222, f"list value beyond ±{limit:g}")
        new = (self.lists[(ch, function)] if append else []) + list(values)
        if len(new) > _MAX_LIST:
            raise ScpiError(-223, f"a list holds at most {_MAX_LIST} points")
        self.lists[(ch, function)] = new

    _VALUES = Variadic(Numeric(0.0), minimum=1, maximum=_MAX_LIST)

    @command("[:SOURce#]:LIST:VOLTage", _VALUES)
    def _list_voltage(self, ch: int, values: list[float]) -> None:
        self._set_list(ch, "VOLTAGE", values, append=False)

    @command("[:SOURce#]:LIST:CURRent", _VALUES)
    def _list_current(self, ch: int, values: list[float]) -> None:
        self._set_list(ch, "CURRENT", values, append=False)

    @command("[:SOURce#]:LIST:VOLTage:APPend", _VALUES)
    def _list_voltage_append(self, ch: int, values: list[float]) -> None:
        self._set_list(ch, "VOLTAGE", values, append=True)

    @command("[:SOURce#]:LIST:CURRent:APPend", _VALUES)
    def _list_current_append(self, ch: int, values: list[float]) -> None:
        self._set_list(ch, "CURRENT", values, append=True)

    @command("[:SOURce#]:LIST:VOLTage?")
    def _list_voltage_query(self, ch: int) -> str:
        self._check_channel(ch)
        return ",".join(f"{v:+.6E}" for v in self.lists[(ch, "VOLTAGE")]) or f"{0.0:+.6E}"

    @command("[:SOURce#]:LIST:CURRent?")
    def _list_current_query(self, ch: int) -> str:
        self._check_channel(ch)
        return ",".join(f"{v:+.6E}" for v in self.lists[(ch, "CURRENT")]) or f"{0.0:+.6E}"

    @command("[:SOURce#]:LIST:VOLTage:POINts?")
    def _list_voltage_points(self, ch: int) -> str:
        self._check_channel(ch)
        return str(len(self.lists[(ch, "VOLTAGE")]))

    @command("[:SOURce#]:LIST:CURRent:POINts?")
    def _list_current_points(self, ch: int) -> str:
        self._check_channel(ch)
        return str(len(self.lists[(ch, "CURRENT")]))

    def _set_both(self, ch: int, name: str, value: Any) -> None:
        self._check_channel(ch)
        for layer in ("acquire", "transient"):
            self.settings[f"{layer}_{name}"][ch] = value

    @command(":TRIGger#[:ALL]:COUNt", Integer(1, 1, 100000))
    def _trigger_count(self, ch: int, value: int) -> None:
        self._set_both(ch, "count", value)

    @command(":TRIGger#[:ALL]:DELay", _positive(0.0, 100.0, "S"))
    def _trigger_delay(self, ch: int, value: float) -> None:
        self._set_both(ch, "delay", value)

    @command(":TRIGger#[:ALL]:SOURce[:SIGNal]", Enum(_TRIGGER_SOURCES))
    def _trigger_source(self, ch: int, value: str) -> None:
        self._set_both(ch, "source", value)

    def _levels(self, ch: int) -> list[float]:
        """The transient's levels: the list, the linear sweep or the fixed level."""
        function = self.functions[ch]
        key = function.lower()
        mode = self.settings[f"{key}_mode"][ch]
        if mode == "LIST":
            if not self.lists[(ch, function)]:
                raise ScpiError(-221, "settings conflict; the source list is empty")
            return self.lists[(ch, function)]
        if mode == "SWEEP":
            start, stop, n = self.settings[f"{key}_start"][ch], self.settings[f"{key}_stop"][ch], self.sweep_points[ch]
            return [start + (stop - start) * k / max(n - 1, 1) for k in range(n)]
        return [self.settings[key][ch]]

    @command(":INITiate[:IMMediate][:ALL]", _CHANLIST)
    @command(":INITiate[:IMMediate]:ACQuire", _CHANLIST)
    @command(":INITiate[:IMMediate]:TRANsient", _CHANLIST)
    def _initiate(self, tokens: list[str]) -> None:
        """Run each listed channel's trigger model: at once for AINT/TIMer, on ``*TRG`` for BUS, one acquisition per
        trigger-line edge for EXT<n> (channel 1)."""
        for ch in channel_list(tokens):
            levels = self._levels(ch)
            self.data[ch] = []
            if self.auto_output_on[ch] and not self.outputs[ch]:
                self.settings["outputs"][ch] = True
                self._apply(ch)
            source = self.acquire_source[ch]
            if source.startswith("EXT") or source in ("INT1", "INT2", "LAN"):
                self._arm_external(ch)
            elif source == "BUS":
                self._waiting_bus.append(ch)
            else:
                self._run(ch, levels)

    def _run(self, ch: int, levels: list[float]) -> None:
        """The acquire count's points: the source steps through ``levels`` (cycling), each point waits the
        transient and acquire delays (or the timer period), then measures; the level returns to the immediate
        level after."""
        key = self.functions[ch].lower()
        resting = self.settings[key][ch]
        wait = self.transient_delay[ch] + self.acquire_delay[ch]
        if self.acquire_source[ch] == "TIMER":
            wait = max(wait, self.timer[ch])
        for k in range(self.acquire_count[ch]):
            self.settings[key][ch] = levels[k % len(levels)]
            self._apply(ch)
            if wait > 0:
                self.bench.advance(wait)
            self.measure(ch)
        self.settings[key][ch] = resting
        self._apply(ch)

    def _arm_external(self, ch: int) -> None:
        if ch != 1:
            raise ScpiError(-221, "settings conflict; only channel 1 is wired to the bench trigger line")
        if self._listener is not None:
            self._disarm()
        self._listen(self.acquire_count[1], self.acquire_delay[1], self._nplc(1), lambda: self.measure(1),
                     self._record)

    def _record(self, v: np.ndarray, i: np.ndarray) -> None:
        """A burst's channel-1 readings at once (the bench's bulk path)."""
        for a, b in zip(v, i, strict=True):
            self._store(1, float(a), float(b))

    @command("*TRG")
    def _trg(self) -> None:
        for ch in self._waiting_bus:
            self._run(ch, self._levels(ch))
        self._waiting_bus = []

    @command(":ABORt[:ALL]", _CHANLIST)
    @command(":ABORt:ACQuire", _CHANLIST)
    @command(":ABORt:TRANsient", _CHANLIST)
    def _abort(self, tokens: list[str]) -> None:
        channels = channel_list(tokens)
        if 1 in channels and self._listener is not None:
            self._disarm()
        self._waiting_bus = [ch for ch in self._waiting_bus if ch not in channels]

    @command(":IDLE[:ALL]?", _CHANLIST)
    def _idle(self, tokens: list[str]) -> str:
        channels = channel_list(tokens)
        busy = (1 in channels and self._listener is not None) or any(ch in self._waiting_bus for ch in channels)
        return "0" if busy else "1"

    @command(":SENSe#:DATA:CLEar")
    def _data_clear(self, ch: int) -> None:
        self._check_channel(ch)
        self.data[ch] = []

    @command(":SYSTem:LFRequency?")
    def _line_frequency(self) -> str:
        return str(int(LINE_FREQUENCY))
