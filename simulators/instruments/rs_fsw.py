"""Virtual R&S FSW26 signal and spectrum analyzer: Spectrum and Phase Noise (FSW-K40) channels, on the shared
analyzer of :mod:`~mtjhw.simulators.instruments.spectrum_analyzer`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
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
    command,
)

from .analyzer_trace import Sweep, auto_rbw, auto_sweep_time
from .spectrum_analyzer import PREAMP_DB, SIGMA_PER_RBW, TRACE_NAMES, TRACES, Marker, SpectrumAnalyzer, block, only


class _RsNumeric(Numeric):
    """R&S number replies: plain decimal, as short as exact (``13250000000``, ``0.001``)."""

    def format(self, value: float) -> str:
        return str(int(value)) if self.integer else f"{float(value):.12g}"


def _rs_frequency(default: float, minimum: float = 0.0, maximum: float = 26.5e9) -> _RsNumeric:
    return _RsNumeric(default, minimum, maximum, "HZ")


_RS_DETECTORS = ["APEak", "NEGative", "POSitive", "RMS", "AVERage", "SAMPle", "QPEak", "CAVerage", "CRMS"]
_RS_DETECTOR_KIND = {"RMS": "average", "AVERAGE": "average", "CAVERAGE": "average", "CRMS": "average",
                     "SAMPLE": "sample", "NEGATIVE": "negative"}
_RS_AUTO_DETECTOR = {"WRITE": "APEAK", "AVERAGE": "SAMPLE", "MAXHOLD": "POSITIVE", "MINHOLD": "NEGATIVE",
                     "VIEW": "APEAK", "BLANK": "APEAK"}
_RS_SCALE = {"VIDEO": "log", "POWER": "power", "LINEAR": "voltage"}
_RS_HOLD = {"WRITE": "write", "AVERAGE": "average", "MAXHOLD": "max", "MINHOLD": "min", "VIEW": "write",
            "BLANK": "write"}
_RS_TYPES = {"SANALYZER": "SAN", "PNOISE": "PNO"}  #: channel types and their short forms (INSTrument? answers)
_RS_DEFAULT_NAMES = {"SANALYZER": "Spectrum", "PNOISE": "Phase Noise"}


def _fsw_search(how: str, delta: bool) -> Callable[..., None]:
    """The handler of an FSW marker (or delta marker) peak search ``how`` ("max", "next", "left", "right", "min")."""

    def search(self: RohdeSchwarzFSW, window: int, n: int) -> None:
        self.peak_search(self._rs_marker(n, delta), how)

    return search


@dataclass
class Channel:
    """One FSW measurement channel: its type and its own settings, traces and markers."""

    kind: str
    settings: dict[str, Any]
    traces: dict[int, np.ndarray] = field(default_factory=dict)
    markers: dict[int, Marker] = field(default_factory=dict)


class RohdeSchwarzFSW(SpectrumAnalyzer):
    """R&S FSW26 (2 Hz – 26.5 GHz) with preamplifier (B24) and phase noise measurements (K40), as channels."""

    idn = ("Rohde&Schwarz", "FSW-26", "1331.5003K26/101234", "4.61")
    installed_options = ("B4", "B13", "B24", "K40")
    modes = {"SANALYZER": 1, "PNOISE": 2}
    f_min, f_max = 0.0, 26.5e9

    center = Setting("[:SENSe]:FREQuency:CENTer", _rs_frequency(13.25e9), after="_center_set")
    span = Setting("[:SENSe]:FREQuency:SPAN", _rs_frequency(26.5e9), after="_span_set")
    rbw = Setting("[:SENSe]:BANDwidth[:RESolution]", _rs_frequency(3e6, 1.0, 10e6), after="_rbw_set")
    rbw_auto = Setting("[:SENSe]:BANDwidth[:RESolution]:AUTO", Boolean(True), after="_couple")
    vbw = Setting("[:SENSe]:BANDwidth:VIDeo", _rs_frequency(10e6, 1.0, 10e6), after="_vbw_set")
    vbw_auto = Setting("[:SENSe]:BANDwidth:VIDeo:AUTO", Boolean(True), after="_couple")
    sweep_time = Setting("[:SENSe]:SWEep:TIME", _RsNumeric(0.02, 1e-6, 16000.0, "S"), after="_sweep_time_set")
    sweep_time_auto = Setting("[:SENSe]:SWEep:TIME:AUTO", Boolean(True), after="_couple")
    points = Setting("[:SENSe]:SWEep:POINts", Integer(1001, 101, 100001), after="_couple")
    sweep_count = Setting("[:SENSe]:SWEep:COUNt", Integer(0, 0, 200000))
    average_type = Setting("[:SENSe]:AVERage[1]:TYPE", Enum(["VIDeo", "LINear", "POWer"], "VIDeo"))
    detectors = ChannelSetting("[:SENSe]:DETector#[:FUNCtion]", Enum(_RS_DETECTORS, "APEak"), TRACES,
                               after="_detector_set")
    detector_auto = ChannelSetting("[:SENSe]:DETector#[:FUNCtion]:AUTO", Boolean(True), TRACES,
                                   after="_couple_trace")
    trace_mode = ChannelSetting(":DISPlay[:WINDow[1]]:TRACe#:MODE", Enum(["WRITe", "MAXHold", "MINHold", "AVERage",
                                                                        "VIEW", "BLANk"], "BLANk"), TRACES,
                                after="_couple_trace")
    reference_level = Setting(":DISPlay[:WINDow[1]]:TRACe[1]:Y[:SCALe]:RLEVel", _RsNumeric(0.0, -130.0, 30.0, "DBM"))
    display_format = Setting(":DISPlay:FORMat", Enum(["SPLit", "SINGle"], "SPLit"))
    display_update = Setting(":SYSTem:DISPlay:UPDate", Boolean(False))
    attenuation = Setting(":INPut:ATTenuation", Integer(10, 0, 79), after="_attenuation_set")
    attenuation_auto = Setting(":INPut:ATTenuation:AUTO", Boolean(True), after="_couple")
    preamp = Setting(":INPut:GAIN:STATe", Boolean(False))
    continuous = Setting(":INITiate[1]:CONTinuous", Boolean(True))
    byte_order = Setting(":FORMat:BORDer", Enum(["NORMal", "SWAPped"], "SWAPped"))
    nominal_level = only("PNOISE")(Setting("[:SENSe]:POWer:RLEVel", _RsNumeric(0.0, -200.0, 30.0, "DBM")))

    def __init__(self, bench: VirtualBench, **chain: float) -> None:
        self.channels: dict[str, Channel] = {}
        self.active = "Spectrum"
        self.trace_format = "ASC,0"
        super().__init__(bench, **chain)

    def reset(self) -> None:
        super().reset()
        self.trace_format = "ASC,0"
        self.channels = {}
        self._open("SANALYZER", "Spectrum", self.settings)

    def _open(self, kind: str, name: str, settings: dict[str, Any] | None = None) -> None:
        """Create channel ``name`` of ``kind`` with preset settings and make it the active one."""
        if settings is None:
            self.settings = {}
            self._reset_settings()
            settings = self.settings
        settings["trace_mode"][1] = "WRITE"
        if kind == "PNOISE":  # center: the nominal carrier frequency; offsets (Hz) set by FREQ:STAR and FREQ:STOP
            settings.update(center=1e9, pn_start=1e3, pn_stop=1e6)
        self.channels[name] = Channel(kind, settings)
        self._activate(name)
        self._couple()

    def _activate(self, name: str) -> None:
        channel = self.channels[name]
        self.active = name
        self.settings, self.traces, self.markers = channel.settings, channel.traces, channel.markers

    @property
    def mode(self) -> str:
        return self.channels[self.active].kind if self.active in self.channels else "SANALYZER"

    # ----------------------------------------------------------------- couplings
    def _couple(self) -> None:
        """Auto RBW (span/100 on E24), VBW = RBW, sweep time, attenuation 10 dB, detector by trace mode."""
        s = self.settings
        if s["rbw_auto"]:
            s["rbw"] = min(auto_rbw(s["span"], 100.0), 10e6)
        if s["vbw_auto"]:
            s["vbw"] = s["rbw"]
        if s["sweep_time_auto"]:
            s["sweep_time"] = min(auto_sweep_time(s["span"], s["rbw"], s["vbw"], kind)
                                  for kind in ("SWEEP", "FFT"))
        if s["attenuation_auto"]:
            s["attenuation"] = 10
        for n in TRACES:
            if s["detector_auto"][n]:
                s["detectors"][n] = _RS_AUTO_DETECTOR[s["trace_mode"][n]]

    def _attenuation_set(self) -> None:
        self.settings["attenuation_auto"] = False

    def preamp_db(self, frequencies: np.ndarray) -> np.ndarray:
        return np.full_like(frequencies, PREAMP_DB if self.settings["preamp"] else 0.0)

    # ----------------------------------------------------------------- frequencies (offsets in a Phase Noise channel)
    @command("[:SENSe]:FREQuency:STARt", _rs_frequency(0.0, 0.0, 26.5e9))
    def _start_set(self, value: float) -> None:
        if self.mode == "PNOISE":
            self.settings["pn_start"] = max(value, 1.0)
            self.settings["pn_stop"] = max(self.settings["pn_stop"], 10 * self.settings["pn_start"])
        else:
            self._set_range(value, max(self.stop(), value + self.min_span))

    @command("[:SENSe]:FREQuency:STOP", _rs_frequency(0.0, 0.0, 26.5e9))
    def _stop_set(self, value: float) -> None:
        if self.mode == "PNOISE":
            self.settings["pn_stop"] = max(value, 10.0)
            self.settings["pn_start"] = min(self.settings["pn_start"], self.settings["pn_stop"] / 10)
        else:
            self._set_range(min(self.start(), value - self.min_span), value)

    @command("[:SENSe]:FREQuency:STARt?")
    def _start_query(self) -> str:
        return f"{self.settings['pn_start'] if self.mode == 'PNOISE' else self.start():.12g}"

    @command("[:SENSe]:FREQuency:STOP?")
    def _stop_query(self) -> str:
        return f"{self.settings['pn_stop'] if self.mode == 'PNOISE' else self.stop():.12g}"

    @command("[:SENSe]:FREQuency:SPAN:FULL")
    def _full_span(self) -> None:
        self._set_range(0.0, self.f_max)

    # ----------------------------------------------------------------- sweeps and traces
    def _count(self) -> int:
        return self.settings["sweep_count"] or 10

    def sweep_setup(self, n: int) -> Sweep:
        s = self.settings
        hold = _RS_HOLD[s["trace_mode"][n]]
        sigma = s["rbw"] * SIGMA_PER_RBW["DB3"]
        return Sweep(self.start(), self.stop(), s["points"], sigma, s["rbw"], s["vbw"], s["sweep_time"],
                     _RS_DETECTOR_KIND.get(s["detectors"][n], "peak"), _RS_SCALE[s["average_type"]], hold,
                     1 if hold == "write" else self._count())

    def offsets(self) -> np.ndarray:
        s = self.settings
        return np.geomspace(s["pn_start"], s["pn_stop"], s["points"])

    def sweep_traces(self, traces: list[int]) -> None:
        if self.mode == "PNOISE":  # the noise diagram: L(f) in dBc/Hz at log-spaced offsets
            _, ssb = self.phase_noise(self.settings["center"], self.offsets())
            count = 1 if _RS_HOLD[self.settings["trace_mode"][1]] == "write" else self._count()
            ssb = ssb * self.bench.rng.gamma(4 * count, 1 / (4 * count), ssb.size)
            self.bench.advance(max(0.1, 10 / self.settings["pn_start"]) * count)
            for n in traces:
                self.traces[n] = 10 * np.log10(ssb)
            return
        for n in traces:
            self.traces[n] = self.acquire(self.sweep_setup(n))

    def marker_frequencies(self) -> np.ndarray:
        if self.mode == "PNOISE":
            return self.offsets()
        return np.linspace(self.start(), self.stop(), self.settings["points"])

    def _active_traces(self) -> list[int]:
        return [n for n in TRACES if self.settings["trace_mode"][n] not in ("BLANK", "VIEW")] or [1]

    def formatted(self, values: np.ndarray) -> str | bytes:
        if self.trace_format.startswith("ASC"):
            return ",".join(f"{v:.7g}" for v in values)
        return block(values, self.trace_format, self.settings["byte_order"] == "SWAPPED")

    @command(":INITiate#[:IMMediate]")
    def _initiate(self, window: int) -> None:
        self.sweep_traces(self._active_traces())

    @command(":INITiate#:CONMeas")
    def _continue(self, window: int) -> None:
        self.sweep_traces(self._active_traces())

    @command(":ABORt")
    def _abort(self) -> None:
        """Sweeps complete as they start: nothing to abort."""

    @command(":TRACe#[:DATA]?", Enum(TRACE_NAMES, "TRACE1", optional=True))
    def _trace_query(self, window: int, name: str) -> str | bytes:
        n = int(name[-1])
        if self.settings["continuous"]:
            self.sweep_traces([n])
        trace = self.trace_data(n)
        if self.mode == "PNOISE":
            return self.formatted(np.column_stack([self.offsets(), trace]).ravel())
        return self.formatted(trace)

    @command(":FORMat[:DATA]", Enum(["ASCii", "REAL"]), Integer(None, 0, 64, optional=True))
    def _format(self, kind: str, bits: int | None) -> None:
        if kind == "ASCII":
            self.trace_format = "ASC,0"
        elif kind == "REAL" and bits in (None, 32, 64):
            self.trace_format = f"REAL,{bits or 32}"
        else:
            raise ScpiError(-224, f"{kind},{bits} (ASCii, REAL,32 or REAL,64)")

    @command(":FORMat[:DATA]?")
    def _format_query(self) -> str:
        return self.trace_format

    @command("[:SENSe]:AVERage#:COUNt", Integer(0, 0, 200000))
    def _average_count(self, window: int, count: int) -> None:
        self.settings["sweep_count"] = count

    @command("[:SENSe]:AVERage#:COUNt?")
    def _average_count_query(self, window: int) -> str:
        return str(self.settings["sweep_count"])

    # ----------------------------------------------------------------- adjust
    def centre_strongest(self) -> None:
        if self.mode == "PNOISE":
            found = self.strongest_signal(1e6, self.f_max)
            self.settings["center"] = found if found is not None else self.settings["center"]
            return
        found = self.strongest_signal(max(self.start(), 1.0), self.stop())
        if found is not None:
            self.settings["center"] = found
            self._center_set()

    @command("[:SENSe]:ADJust:FREQuency")
    def _adjust_frequency(self) -> None:
        self.centre_strongest()

    @command("[:SENSe]:ADJust:LEVel")
    def _adjust_level(self) -> None:
        if self.mode != "PNOISE":
            peak = float(self.acquire(self.sweep_setup(1)).max())
            self.settings["reference_level"] = min(30.0, 10 * math.ceil((peak + 5) / 10))

    @command("[:SENSe]:ADJust:ALL")
    def _adjust_all(self) -> None:
        self._adjust_frequency()
        self._adjust_level()

    # ----------------------------------------------------------------- markers and delta markers
    def _rs_marker(self, n: int, delta: bool) -> Marker:
        """Marker ``n`` (delta marker ``n`` with ``delta``), 1 to 16 each."""
        if not 1 <= n <= 16:
            raise ScpiError(-114, f"marker {n} (1 to 16)")
        return self.markers.setdefault(n + 16 if delta else n, Marker(delta=delta))

    _marker_max = command(":CALCulate#:MARKer#:MAXimum[:PEAK]")(_fsw_search("max", False))
    _marker_next = command(":CALCulate#:MARKer#:MAXimum:NEXT")(_fsw_search("next", False))
    _marker_left = command(":CALCulate#:MARKer#:MAXimum:LEFT")(_fsw_search("left", False))
    _marker_right = command(":CALCulate#:MARKer#:MAXimum:RIGHt")(_fsw_search("right", False))
    _marker_min = command(":CALCulate#:MARKer#:MINimum[:PEAK]")(_fsw_search("min", False))
    _delta_max = command(":CALCulate#:DELTamarker#:MAXimum[:PEAK]")(_fsw_search("max", True))
    _delta_next = command(":CALCulate#:DELTamarker#:MAXimum:NEXT")(_fsw_search("next", True))
    _delta_left = command(":CALCulate#:DELTamarker#:MAXimum:LEFT")(_fsw_search("left", True))
    _delta_right = command(":CALCulate#:DELTamarker#:MAXimum:RIGHt")(_fsw_search("right", True))
    _delta_min = command(":CALCulate#:DELTamarker#:MINimum[:PEAK]")(_fsw_search("min", True))

    @command(":CALCulate#:MARKer#[:STATe]", Boolean())
    def _marker_state(self, window: int, n: int, on: bool) -> None:
        self._switch(self._rs_marker(n, False), on)

    @command(":CALCulate#:DELTamarker#[:STATe]", Boolean())
    def _delta_state(self, window: int, n: int, on: bool) -> None:
        self._switch(self._rs_marker(n, True), on)
        if on:
            self._switch(self._rs_marker(1, False), True)  # the reference marker

    def _switch(self, marker: Marker, on: bool) -> None:
        if on and not marker.on:
            f = self.marker_frequencies()
            marker.x = float(f[int(np.argmax(self.trace_data(marker.trace)))])
        marker.on = on

    @command(":CALCulate#:MARKer#[:STATe]?")
    def _marker_state_query(self, window: int, n: int) -> str:
        return "1" if self._rs_marker(n, False).on else "0"

    @command(":CALCulate#:DELTamarker#[:STATe]?")
    def _delta_state_query(self, window: int, n: int) -> str:
        return "1" if self._rs_marker(n, True).on else "0"

    @command(":CALCulate#:MARKer#:X", _rs_frequency(0.0, -30e9, 30e9))
    def _marker_x_set(self, window: int, n: int, x: float) -> None:
        marker = self._rs_marker(n, False)
        marker.on, marker.x = True, x

    @command(":CALCulate#:DELTamarker#:X", _rs_frequency(0.0, -30e9, 30e9))
    def _delta_x_set(self, window: int, n: int, x: float) -> None:
        marker = self._rs_marker(n, True)
        marker.on, marker.x = True, x

    @command(":CALCulate#:MARKer#:X?")
    def _marker_x(self, window: int, n: int) -> str:
        return self._x_reply(self._rs_marker(n, False), 0.0)

    @command(":CALCulate#:DELTamarker#:X?")
    def _delta_x(self, window: int, n: int) -> str:
        return self._x_reply(self._rs_marker(n, True), 0.0)

    @command(":CALCulate#:DELTamarker#:X:RELative?")
    def _delta_x_relative(self, window: int, n: int) -> str:
        return self._x_reply(self._rs_marker(n, True), self._rs_marker(1, False).x)

    def _x_reply(self, marker: Marker, reference: float) -> str:
        if not marker.on:
            raise ScpiError(-221, "marker is off")
        return f"{marker.x - reference:.12g}"

    @command(":CALCulate#:MARKer#:Y?")
    def _marker_y(self, window: int, n: int) -> str:
        return f"{self.marker_level(self._rs_marker(n, False)):.7g}"

    @command(":CALCulate#:DELTamarker#:Y?")
    def _delta_y(self, window: int, n: int) -> str:
        level = self.marker_level(self._rs_marker(n, True)) - self.marker_level(self._rs_marker(1, False))
        return f"{level:.7g}"

    @command(":CALCulate#:MARKer#:TRACe", Integer(1, 1, 6))
    def _marker_trace(self, window: int, n: int, trace: int) -> None:
        self._rs_marker(n, False).trace = trace

    @command(":CALCulate#:MARKer#:TRACe?")
    def _marker_trace_query(self, window: int, n: int) -> str:
        return str(self._rs_marker(n, False).trace)

    @command(":CALCulate#:DELTamarker#:TRACe", Integer(1, 1, 6))
    def _delta_trace(self, window: int, n: int, trace: int) -> None:
        self._rs_marker(n, True).trace = trace

    @command(":CALCulate#:DELTamarker#:TRACe?")
    def _delta_trace_query(self, window: int, n: int) -> str:
        return str(self._rs_marker(n, True).trace)

    @command(":CALCulate#:MARKer#:PEXCursion", _RsNumeric(6.0, 0.0, 80.0, "DB"))
    def _marker_excursion(self, window: int, n: int, db: float) -> None:
        self._rs_marker(n, False).excursion = db

    @command(":CALCulate#:MARKer#:PEXCursion?")
    def _marker_excursion_query(self, window: int, n: int) -> str:
        return f"{self._rs_marker(n, False).excursion:.12g}"

    @command(":CALCulate#:DELTamarker#:PEXCursion", _RsNumeric(6.0, 0.0, 80.0, "DB"))
    def _delta_excursion(self, window: int, n: int, db: float) -> None:
        self._rs_marker(n, True).excursion = db

    @command(":CALCulate#:DELTamarker#:PEXCursion?")
    def _delta_excursion_query(self, window: int, n: int) -> str:
        return f"{self._rs_marker(n, True).excursion:.12g}"

    @command(":CALCulate#:MARKer#:FUNCtion:ZOOM", _RsNumeric(1.0, 1.0, 1e6))
    def _marker_zoom(self, window: int, n: int, factor: float) -> None:
        """Zoom about the marker: the span shrinks by ``factor`` around it."""
        marker = self._rs_marker(n, False)
        if not marker.on:
            raise ScpiError(-221, "marker is off")
        self.settings["center"], self.settings["span"] = marker.x, self.settings["span"] / factor
        self._span_set()

    @command(":CALCulate#:MARKer#:AOFF")
    def _markers_off(self, window: int, n: int) -> None:
        for marker in self.markers.values():
            marker.on = False

    # ----------------------------------------------------------------- channels
    def _channel_named(self, name: str) -> str:
        for known in self.channels:
            if known.upper() == name.upper():
                return known
        raise ScpiError(-224, f"no channel {name!r} (open: {', '.join(self.channels)})")

    @staticmethod
    def _kind(token: str) -> str | None:
        """The channel type a mnemonic (long or short form) names, or None."""
        up = token.upper()
        return next((kind for kind, short in _RS_TYPES.items() if up in (kind, short)), None)

    @command(":INSTrument[:SELect]", Raw())
    def _select(self, token: str) -> None:
        """Select a channel by name, else by type (the first of that type, opened when there is none)."""
        kind = self._kind(token)
        if kind is None or any(known.upper() == token.upper() for known in self.channels):
            self._activate(self._channel_named(token))
            return
        existing = [name for name, channel in self.channels.items() if channel.kind == kind]
        if existing:
            self._activate(existing[0])
        else:
            self._open(kind, _RS_DEFAULT_NAMES[kind])

    @command(":INSTrument[:SELect]?")
    def _select_query(self) -> str:
        return _RS_TYPES[self.mode]

    @command(":INSTrument:CREate[:NEW]", Raw(), String())
    def _create(self, kind_token: str, name: str) -> None:
        kind = self._kind(kind_token)
        if kind is None:
            raise ScpiError(-224, f"channel type {kind_token} (installed: {', '.join(self.modes)})")
        if any(known.upper() == name.upper() for known in self.channels):
            raise ScpiError(-224, f"a channel named {name!r} is open already")
        self._open(kind, name)

    @command(":INSTrument:DELete", String())
    def _delete(self, name: str) -> None:
        name = self._channel_named(name)
        if len(self.channels) == 1:
            raise ScpiError(-221, "the last channel cannot be deleted")
        del self.channels[name]
        if name == self.active:
            self._activate(next(iter(self.channels)))

    @command(":INSTrument:REName", String(), String())
    def _rename(self, old: str, new: str) -> None:
        old = self._channel_named(old)
        self.channels = {(new if key == old else key): channel for key, channel in self.channels.items()}
        if self.active == old:
            self.active = new

    @command(":INSTrument:LIST?")
    def _list(self) -> str:
        return ",".join(f"'{channel.kind}','{name}'" for name, channel in self.channels.items())

    @command(":SYSTem:PRESet")
    def _preset(self) -> None:
        self.reset()
