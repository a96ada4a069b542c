"""Virtual Keysight X-series signal analyzers: N9010B EXA and N9030B PXA in Spectrum Analyzer mode, the PXA also
in Phase Noise mode (N9068C), on the shared analyzer of :mod:`~mtjhw.simulators.instruments.spectrum_analyzer`."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from scipy.integrate import trapezoid

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

from .analyzer_trace import Sweep, auto_rbw, auto_sweep_time
from .spectrum_analyzer import PREAMP_DB, SIGMA_PER_RBW, TRACE_NAMES, TRACES, Marker, SpectrumAnalyzer, block, only

_PREAMP_LOW_BAND = 3.6e9  # Hz, upper edge of the X-series preamplifier's LOW band
_X_DETECTORS = ["AVERage", "NEGative", "NORMal", "POSitive", "SAMPle", "QPEak", "EAVerage", "EPOSitive", "MPOSitive",
                "RAVerage", "RMS"]
_X_DETECTOR_KIND = {"AVERAGE": "average", "RMS": "average", "RAVERAGE": "average", "EAVERAGE": "average",
                    "SAMPLE": "sample", "NEGATIVE": "negative"}
_X_SCALE = {"LOG": "log", "RMS": "power", "SCALAR": "voltage"}
_X_HOLD = {"WRITE": "write", "AVERAGE": "average", "MAXHOLD": "max", "MINHOLD": "min"}
_X_F_MIN, _X_F_MAX = -80e6, 27e9  # option 526: settable range (the specified range is 10 Hz to 26.5 GHz)
_X_PRESET_RANGE = (10e6, 26.5e9)  # Hz, start and stop after a preset and with full span


def _frequency(default: float, minimum: float = _X_F_MIN, maximum: float = _X_F_MAX) -> Numeric:
    return Numeric(default, minimum, maximum, "HZ")


class KeysightN9010B(SpectrumAnalyzer):
    """EXA N9010B, option 526 (10 Hz – 26.5 GHz), Spectrum Analyzer mode, Swept SA measurement."""

    idn = ("Keysight Technologies", "N9010B", "MY56470123", "A.26.06")
    installed_options = ("526", "B25", "EA3", "FSA", "P26", "PFR")
    f_min, f_max = _X_F_MIN, _X_F_MAX
    measurements: ClassVar[dict[str, str]] = {"SA": "SAN"}

    center = only("SA")(Setting("[:SENSe]:FREQuency:CENTer", _frequency(sum(_X_PRESET_RANGE) / 2),
                                 after="_center_set"))
    span = only("SA")(Setting("[:SENSe]:FREQuency:SPAN", _frequency(_X_PRESET_RANGE[1] - _X_PRESET_RANGE[0], 0.0,
                                                                      _X_F_MAX - _X_F_MIN),
                               after="_span_set"))
    rbw = only("SA")(Setting("[:SENSe]:BANDwidth[:RESolution]", _frequency(3e6, 1.0, 8e6), after="_rbw_set"))
    rbw_auto = only("SA")(Setting("[:SENSe]:BANDwidth[:RESolution]:AUTO", Boolean(True), after="_couple"))
    vbw = only("SA")(Setting("[:SENSe]:BANDwidth:VIDeo", _frequency(3e6, 1.0, 50e6), after="_vbw_set"))
    vbw_auto = only("SA")(Setting("[:SENSe]:BANDwidth:VIDeo:AUTO", Boolean(True), after="_couple"))
    rbw_type = only("SA")(Setting("[:SENSe]:BANDwidth:TYPE", Enum(["DB3", "DB6", "IMPulse", "NOISe"], "DB3")))
    sweep_time = only("SA")(Setting("[:SENSe]:SWEep:TIME", Numeric(0.05, 1e-6, 6000.0, "S"),
                                     after="_sweep_time_set"))
    sweep_time_auto = only("SA")(Setting("[:SENSe]:SWEep:TIME:AUTO", Boolean(True), after="_couple"))
    points = only("SA")(Setting("[:SENSe]:SWEep:POINts", Integer(1001, 1, 100001), after="_couple"))
    sweep_type = only("SA")(Setting("[:SENSe]:SWEep:TYPE", Enum(["FFT", "SWEep"], "SWEep"),
                                     after="_sweep_type_set"))
    sweep_type_auto = only("SA")(Setting("[:SENSe]:SWEep:TYPE:AUTO", Boolean(True), after="_couple"))
    average_count = only("SA")(Setting("[:SENSe]:AVERage:COUNt", Integer(100, 1, 10000)))
    average_type = only("SA")(Setting("[:SENSe]:AVERage:TYPE", Enum(["LOG", "RMS", "SCALar"], "LOG"),
                                       after="_average_type_set"))
    average_type_auto = only("SA")(Setting("[:SENSe]:AVERage:TYPE:AUTO", Boolean(True), after="_couple"))
    detectors = only("SA")(ChannelSetting("[:SENSe]:DETector:TRACe#", Enum(_X_DETECTORS, "NORMal"), TRACES,
                                           after="_detector_set"))
    detector_auto = only("SA")(ChannelSetting("[:SENSe]:DETector:TRACe#:AUTO", Boolean(True), TRACES,
                                               after="_couple_trace"))
    trace_type = only("SA")(ChannelSetting(":TRACe#:TYPE", Enum(["WRITe", "AVERage", "MAXHold", "MINHold"],
                                                                 "WRITe"), TRACES, after="_couple_trace"))
    trace_update = only("SA")(ChannelSetting(":TRACe#:UPDate[:STATe]", Boolean(False), TRACES))
    trace_display = only("SA")(ChannelSetting(":TRACe#:DISPlay[:STATe]", Boolean(False), TRACES))
    reference_level = only("SA")(Setting(":DISPlay:WINDow[1]:TRACe:Y[:SCALe]:RLEVel",
                                          Numeric(0.0, -170.0, 30.0, "DBM")))
    per_division = only("SA")(Setting(":DISPlay:WINDow[1]:TRACe:Y[:SCALe]:PDIVision",
                                       Numeric(10.0, 0.1, 20.0, "DB")))
    peak_excursion = only("SA")(Setting(":CALCulate:MARKer:PEAK:EXCursion", Numeric(6.0, 0.0, 100.0, "DB")))
    peak_threshold = only("SA")(Setting(":CALCulate:MARKer:PEAK:THReshold", Numeric(-90.0, -200.0, 30.0, "DBM")))
    display_enabled = Setting(":DISPlay:ENABle", Boolean(True))
    attenuation = Setting("[:SENSe]:POWer[:RF]:ATTenuation", Integer(10, 0, 60), after="_attenuation_set")
    attenuation_auto = Setting("[:SENSe]:POWer[:RF]:ATTenuation:AUTO", Boolean(True), after="_couple")
    preamp = Setting("[:SENSe]:POWer[:RF]:GAIN[:STATe]", Boolean(False))
    preamp_band = Setting("[:SENSe]:POWer[:RF]:GAIN:BAND", Enum(["LOW", "FULL"], "LOW"))
    continuous = Setting(":INITiate:CONTinuous", Boolean(True))
    byte_order = Setting(":FORMat:BORDer", Enum(["NORMal", "SWAPped"], "NORMal"))

    def __init__(self, bench: VirtualBench, **chain: float) -> None:
        self._mode = "SA"
        self.trace_format = "ASC,8"
        super().__init__(bench, **chain)

    def reset(self) -> None:
        super().reset()
        self.trace_format = "ASC,8"
        for setting in ("trace_update", "trace_display"):
            self.settings[setting][1] = True
        self._couple()

    @property
    def mode(self) -> str:
        return self._mode

    # ----------------------------------------------------------------- couplings
    def _couple(self) -> None:
        """Auto-coupled values follow span, RBW, VBW, detector: RBW = span/106, VBW = RBW, sweep time, type."""
        s = self.settings
        if s["rbw_auto"]:
            s["rbw"] = min(auto_rbw(s["span"]), 8e6)
        if s["vbw_auto"]:
            s["vbw"] = s["rbw"]
        if s["sweep_type_auto"]:
            fft = auto_sweep_time(s["span"], s["rbw"], s["vbw"], "FFT")
            s["sweep_type"] = "FFT" if fft < auto_sweep_time(s["span"], s["rbw"], s["vbw"], "SWEEP") else "SWEEP"
        if s["sweep_time_auto"]:
            s["sweep_time"] = auto_sweep_time(s["span"], s["rbw"], s["vbw"], s["sweep_type"])
        if s["attenuation_auto"]:
            s["attenuation"] = 10
        for n in TRACES:
            if s["detector_auto"][n]:
                averaged = s["trace_type"][n] == "AVERAGE" and s["average_type"] == "RMS"
                s["detectors"][n] = "AVERAGE" if averaged else "NORMAL"
        if s["average_type_auto"]:
            s["average_type"] = "RMS" if s["detectors"][1] == "AVERAGE" else "LOG"

    def _sweep_type_set(self) -> None:
        self.settings["sweep_type_auto"] = False
        self._couple()

    def _average_type_set(self) -> None:
        self.settings["average_type_auto"] = False
        self._couple()

    def _attenuation_set(self) -> None:
        self.settings["attenuation"] = 2 * round(self.settings["attenuation"] / 2)  # mechanical: 2 dB steps
        self.settings["attenuation_auto"] = False

    def preamp_db(self, frequencies: np.ndarray) -> np.ndarray:
        if not self.settings["preamp"]:
            return np.zeros_like(frequencies)
        covered = frequencies <= (_PREAMP_LOW_BAND if self.settings["preamp_band"] == "LOW" else math.inf)
        return np.where(covered, PREAMP_DB, 0.0)

    @only("SA")
    @command("[:SENSe]:FREQuency:STARt", _frequency(0.0, _X_F_MIN, _X_F_MAX - 10.0))
    def _start_set(self, value: float) -> None:
        self._set_range(value, max(self.stop(), value + self.min_span))

    @only("SA")
    @command("[:SENSe]:FREQuency:STOP", _frequency(0.0, _X_F_MIN + 10.0, _X_F_MAX))
    def _stop_set(self, value: float) -> None:
        self._set_range(min(self.start(), value - self.min_span), value)

    @only("SA")
    @command("[:SENSe]:FREQuency:STARt?")
    def _start_query(self) -> str:
        return f"{self.start():+.9E}"

    @only("SA")
    @command("[:SENSe]:FREQuency:STOP?")
    def _stop_query(self) -> str:
        return f"{self.stop():+.9E}"

    @only("SA")
    @command("[:SENSe]:FREQuency:SPAN:FULL")
    def _full_span(self) -> None:
        self._set_range(*_X_PRESET_RANGE)

    @only("SA")
    @command("[:SENSe]:FREQuency:TUNE:IMMediate")
    def _auto_tune(self) -> None:
        self.centre_strongest()

    def centre_strongest(self) -> None:
        found = self.strongest_signal(max(self.start(), 1.0), self.stop())
        if found is not None:
            self.settings["center"] = found
            self._center_set()

    # ----------------------------------------------------------------- detector and averaging (PSA forms)
    @only("SA")
    @command("[:SENSe]:DETector[:FUNCtion]", Enum(_X_DETECTORS))
    def _detector_function(self, value: str) -> None:
        self.settings["detectors"][1] = value
        self._detector_set(1)

    @only("SA")
    @command("[:SENSe]:DETector[:FUNCtion]?")
    def _detector_function_query(self) -> str:
        return type(self).detectors.param.format(self.settings["detectors"][1])

    @only("SA")
    @command("[:SENSe]:AVERage[:STATe]", Boolean())
    def _average_state(self, on: bool) -> None:
        """Backwards-compatible averaging switch: trace 1 becomes a trace average (or clear/write)."""
        self.settings["trace_type"][1] = "AVERAGE" if on else "WRITE"
        self._couple()

    @only("SA")
    @command("[:SENSe]:AVERage[:STATe]?")
    def _average_state_query(self) -> str:
        return "1" if self.settings["trace_type"][1] == "AVERAGE" else "0"

    # ----------------------------------------------------------------- sweeps and traces
    def sweep_setup(self, n: int) -> Sweep:
        """The acquisition of trace ``n`` under the present settings."""
        s = self.settings
        hold = _X_HOLD[s["trace_type"][n]]
        sigma = s["rbw"] * SIGMA_PER_RBW[s["rbw_type"]]
        return Sweep(self.start(), self.stop(), s["points"], sigma, s["rbw"], s["vbw"], s["sweep_time"],
                     _X_DETECTOR_KIND.get(s["detectors"][n], "peak"), _X_SCALE[s["average_type"]], hold,
                     1 if hold == "write" else s["average_count"])

    def sweep_traces(self, traces: list[int]) -> None:
        for n in traces:
            self.traces[n] = self.acquire(self.sweep_setup(n))

    def marker_frequencies(self) -> np.ndarray:
        return np.linspace(self.start(), self.stop(), self.settings["points"])

    def _updating(self) -> list[int]:
        return [n for n in TRACES if self.settings["trace_update"][n]] or [1]

    def _latest(self, n: int) -> np.ndarray:
        """Trace ``n`` as a query returns it: a fresh sweep while sweeping continuously."""
        if self.settings["continuous"] and self.mode == "SA":
            self.sweep_traces([n])
        return self.trace_data(n)

    def formatted(self, values: np.ndarray) -> str | bytes:
        """``values`` in the :FORMat: ASCII or a definite-length binary block."""
        if self.trace_format.startswith("ASC"):
            return ",".join(f"{v:.6E}" for v in values)
        return block(values, self.trace_format, self.settings["byte_order"] == "SWAPPED")

    @command(":INITiate[:IMMediate]")
    def _initiate(self) -> None:
        if self.mode == "SA":
            self.sweep_traces(self._updating())
        else:
            self.measure_log_plot()

    @command(":INITiate:RESTart")
    def _restart(self) -> None:
        self._initiate()

    @command(":ABORt")
    def _abort(self) -> None:
        """Sweeps complete as they start: nothing to abort."""

    @only("SA")
    @command(":TRACe[:DATA]?", Enum(TRACE_NAMES, "TRACE1", optional=True))
    def _trace_query(self, name: str) -> str | bytes:
        return self.formatted(self._latest(int(name[-1])))

    @only("SA")
    @command(":TRACe[:DATA]", Enum(TRACE_NAMES), Variadic(Numeric(), 1))
    def _trace_load(self, name: str, values: list[float]) -> None:
        if len(values) != self.settings["points"]:
            raise ScpiError(-222, f"{len(values)} values for {self.settings['points']} sweep points")
        self.traces[int(name[-1])] = np.asarray(values, dtype=float)

    @command(":FORMat[:TRACe][:DATA]", Enum(["ASCii", "INTeger", "REAL"]), Integer(None, 8, 64, optional=True))
    def _format(self, kind: str, bits: int | None) -> None:
        if kind == "ASCII":
            self.trace_format = "ASC,8"
        elif kind == "INTEGER" and bits in (None, 32):
            self.trace_format = "INT,32"
        elif kind == "REAL" and bits in (None, 32, 64):
            self.trace_format = f"REAL,{bits or 32}"
        else:
            raise ScpiError(-224, f"{kind},{bits} (ASCii, INTeger,32, REAL,32 or REAL,64)")

    @command(":FORMat[:TRACe][:DATA]?")
    def _format_query(self) -> str:
        return self.trace_format

    # ----------------------------------------------------------------- measurements
    @command(":CONFigure?")
    def _configure_query(self) -> str:
        return self.measurements[self.mode]

    @command(":CONFigure:CATalog?")
    def _configure_catalog(self) -> str:
        return f'"{self.measurements[self.mode]}"'

    @only("SA")
    @command(":CONFigure:SANalyzer")
    def _configure_swept_sa(self) -> None:
        """Swept SA is the one measurement: nothing to switch."""

    def _swept_sa_pairs(self, n: int, fresh: bool) -> str | bytes:
        if not 1 <= n <= 6:
            raise ScpiError(-114, f"SANalyzer{n}: 1 to 6 return trace n as x,y pairs")
        if fresh:
            self._initiate()
        y = self.trace_data(n) if fresh else self._latest(n)
        return self.formatted(np.column_stack([self.marker_frequencies(), y]).ravel())

    @only("SA")
    @command(":READ:SANalyzer#?")
    def _read_swept_sa(self, n: int) -> str | bytes:
        return self._swept_sa_pairs(n, fresh=True)

    @only("SA")
    @command(":MEASure:SANalyzer#?")
    def _measure_swept_sa(self, n: int) -> str | bytes:
        return self._swept_sa_pairs(n, fresh=True)

    @only("SA")
    @command(":FETCh:SANalyzer#?")
    def _fetch_swept_sa(self, n: int) -> str | bytes:
        return self._swept_sa_pairs(n, fresh=False)

    def measure_log_plot(self) -> None:
        raise ScpiError(-113, "no Phase Noise mode installed")

    # ----------------------------------------------------------------- markers
    def _x_marker(self, n: int) -> Marker:
        marker = self.marker(n, 12)
        marker.excursion = self.settings["peak_excursion"]
        return marker

    @only("SA")
    @command(":CALCulate:MARKer#:MAXimum[:PEAK]")
    def _marker_peak(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "max")

    @only("SA")
    @command(":CALCulate:MARKer#:MAXimum:NEXT")
    def _marker_next(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "next", self.settings["peak_threshold"])

    @only("SA")
    @command(":CALCulate:MARKer#:MAXimum:LEFT")
    def _marker_left(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "left", self.settings["peak_threshold"])

    @only("SA")
    @command(":CALCulate:MARKer#:MAXimum:RIGHt")
    def _marker_right(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "right", self.settings["peak_threshold"])

    @only("SA")
    @command(":CALCulate:MARKer#:MINimum")
    def _marker_minimum(self, n: int) -> None:
        self.peak_search(self._x_marker(n), "min")

    @only("SA")
    @command(":CALCulate:MARKer#:X", _frequency(0.0))
    def _marker_x_set(self, n: int, x: float) -> None:
        marker = self._x_marker(n)
        marker.on, marker.x = True, x

    @only("SA")
    @command(":CALCulate:MARKer#:X?")
    def _marker_x(self, n: int) -> str:
        marker = self._x_marker(n)
        if not marker.on:
            raise ScpiError(-221, f"marker {n} is off")
        x = marker.x - (self._x_marker(1).x if marker.delta else 0.0)
        return f"{x:+.9E}"

    @only("SA")
    @command(":CALCulate:MARKer#:Y?")
    def _marker_y(self, n: int) -> str:
        marker = self._x_marker(n)
        level = self.marker_level(marker)
        if marker.delta:
            level -= self.marker_level(self._x_marker(1))
        return f"{level:+.9E}"

    @only("SA")
    @command(":CALCulate:MARKer#:STATe", Boolean())
    def _marker_state(self, n: int, on: bool) -> None:
        marker = self._x_marker(n)
        if on and not marker.on:
            marker.x = (self.start() + self.stop()) / 2
        marker.on = on

    @only("SA")
    @command(":CALCulate:MARKer#:STATe?")
    def _marker_state_query(self, n: int) -> str:
        return "1" if self._x_marker(n).on else "0"

    @only("SA")
    @command(":CALCulate:MARKer#:MODE", Enum(["POSition", "DELTa", "FIXed", "OFF"]))
    def _marker_mode(self, n: int, mode: str) -> None:
        marker = self._x_marker(n)
        self._marker_state(n, mode != "OFF")
        marker.delta = mode == "DELTA"

    @only("SA")
    @command(":CALCulate:MARKer#:MODE?")
    def _marker_mode_query(self, n: int) -> str:
        marker = self._x_marker(n)
        return "OFF" if not marker.on else ("DELT" if marker.delta else "POS")

    @only("SA")
    @command(":CALCulate:MARKer#:TRACe", Integer(1, 1, 6))
    def _marker_trace(self, n: int, trace: int) -> None:
        self._x_marker(n).trace = trace

    @only("SA")
    @command(":CALCulate:MARKer#:TRACe?")
    def _marker_trace_query(self, n: int) -> str:
        return str(self._x_marker(n).trace)

    @only("SA")
    @command(":CALCulate:MARKer:AOFF")
    def _markers_off(self) -> None:
        for marker in self.markers.values():
            marker.on = False

    # ----------------------------------------------------------------- modes, presets, options
    @command(":INSTrument[:SELect]", Raw())
    def _select_mode(self, name: str) -> None:
        mode = name.upper()
        if mode not in self.modes:
            raise ScpiError(-224, f"mode {name} (installed: {', '.join(self.modes)})")
        self._mode = mode

    @command(":INSTrument[:SELect]?")
    def _mode_query(self) -> str:
        return self.mode

    @command(":INSTrument:NSELect", Integer(1, 1, 999))
    def _select_mode_number(self, number: int) -> None:
        by_number = {v: k for k, v in self.modes.items()}
        if number not in by_number:
            raise ScpiError(-224, f"mode number {number} (installed: {', '.join(map(str, by_number))})")
        self._mode = by_number[number]

    @command(":INSTrument:NSELect?")
    def _mode_number_query(self) -> str:
        return str(self.modes[self.mode])

    @command(":INSTrument:CATalog?")
    def _mode_catalog(self) -> str:
        return '"' + ", ".join(f"{name} {number}" for name, number in self.modes.items()) + '"'

    @command(":INSTrument:DEFault")
    def _mode_defaults(self) -> None:
        self.reset()

    @command(":SYSTem:PRESet")
    def _preset(self) -> None:
        self.reset()

    @command("*OPT?")
    def _options(self) -> str:
        return '"' + ",".join(self.installed_options) + '"'

    @command(":SYSTem:ERRor[:NEXT]?")
    def _system_error(self) -> str:
        code, text = self.errors.pop()
        return f'{code:+d},"{text}"'


class KeysightN9030B(KeysightN9010B):
    """PXA N9030B, option 526, with the Phase Noise mode (N9068C): Swept SA and Log Plot measurements."""

    idn = ("Keysight Technologies", "N9030B", "MY55120123", "A.26.06")
    installed_options = ("526", "B40", "EA3", "P26", "PFR")
    modes = {"SA": 1, "PNOISE": 14}
    measurements = {"SA": "SAN", "PNOISE": "LPL"}

    attenuation = Setting("[:SENSe]:POWer[:RF]:ATTenuation", Integer(10, 0, 70), after="_attenuation_set")
    pn_points = only("PNOISE")(Setting("[:SENSe]:LPLot:SWEep:POINts", Integer(601, 601, 20001)))
    pn_start = only("PNOISE")(Setting("[:SENSe]:LPLot:FREQuency:OFFSet:STARt", _frequency(100.0, 1.0, _X_F_MAX),
                                       after="_pn_start_set"))
    pn_stop = only("PNOISE")(Setting("[:SENSe]:LPLot:FREQuency:OFFSet:STOP", _frequency(1e6, 1.0, _X_F_MAX),
                                      after="_pn_stop_set"))
    pn_average = only("PNOISE")(Setting("[:SENSe]:LPLot:AVERage[:STATe]", Boolean(False)))
    pn_average_count = only("PNOISE")(Setting("[:SENSe]:LPLot:AVERage:COUNt", Integer(10, 1, 10000)))
    carrier = only("PNOISE")(Setting("[:SENSe]:FREQuency:CARRier", _frequency(1e9, 1.0, _X_F_MAX)))
    carrier_track = only("PNOISE")(Setting("[:SENSe]:FREQuency:CARRier:TRACk", Boolean(False)))

    #: The last Log Plot: carrier power (W) and frequency (Hz), raw and smoothed L(f) (dBc/Hz).
    log_plot: tuple[float, float, np.ndarray, np.ndarray] | None

    def reset(self) -> None:
        super().reset()
        self.log_plot = None

    def _pn_start_set(self) -> None:
        s = self.settings
        if s["pn_start"] >= s["pn_stop"]:  # the stop offset moves a decade above
            s["pn_stop"] = min(10 * s["pn_start"], _X_F_MAX)

    def _pn_stop_set(self) -> None:
        s = self.settings
        if s["pn_stop"] <= s["pn_start"]:
            s["pn_start"] = max(s["pn_stop"] / 10, 1.0)

    @only("PNOISE")
    @command(":CONFigure:LPLot")
    def _configure_log_plot(self) -> None:
        """Log Plot is the one Phase Noise measurement: nothing to switch."""

    @only("PNOISE")
    @command("[:SENSe]:FREQuency:CARRier:SEARch")
    def _carrier_search(self) -> None:
        found = self.strongest_signal(1e6, 26.5e9)
        if found is not None:
            self.settings["carrier"] = found

    def offsets(self) -> np.ndarray:
        """Log Plot offsets (Hz): logarithmically spaced from the start to the stop offset."""
        s = self.settings
        return np.geomspace(s["pn_start"], s["pn_stop"], s["pn_points"])

    def measure_log_plot(self) -> None:
        """One Log Plot: carrier power and frequency, L(f) raw and smoothed (dBc/Hz); time passes."""
        s = self.settings
        if s["carrier_track"]:
            reach = max(10 * s["pn_stop"], 1e6)
            found = self.strongest_signal(s["carrier"] - reach, s["carrier"] + reach)
            s["carrier"] = found if found is not None else s["carrier"]
        offsets = self.offsets()
        carrier_power, ssb = self.phase_noise(s["carrier"], offsets)
        averages = s["pn_average_count"] if s["pn_average"] else 1
        raw = ssb * self.bench.rng.gamma(4 * averages, 1 / (4 * averages), offsets.size)
        raw_dbc = 10 * np.log10(raw)
        smooth = np.convolve(np.pad(raw_dbc, 2, mode="edge"), np.full(5, 0.2), mode="valid")
        self.bench.advance(max(0.1, 10 / s["pn_start"]) * averages)
        self.log_plot = (carrier_power, s["carrier"], raw_dbc, smooth)

    def _log_plot_result(self, n: int, fresh: bool) -> str | bytes:
        if fresh or self.log_plot is None or self.settings["continuous"]:
            self.measure_log_plot()
        carrier_power, carrier, raw_dbc, smooth = self.log_plot  # type: ignore[misc]
        offsets = self.offsets()
        if n == 1:
            return self.formatted(self._phase_noise_results(carrier_power, carrier, offsets, raw_dbc))
        if n in (3, 4):
            return self.formatted(np.column_stack([offsets, raw_dbc if n == 3 else smooth]).ravel())
        raise ScpiError(-114, f"LPLot{n}: 1 results, 3 raw trace, 4 smoothed trace")

    @staticmethod
    def _phase_noise_results(carrier_power: float, carrier: float, offsets: np.ndarray, dbc: np.ndarray
                             ) -> np.ndarray:
        """Carrier power (dBm) and frequency (Hz), integrated phase noise (dBc), RMS phase noise (rad, °),
        RMS jitter (s) and residual FM (Hz) over the offset range."""
        ssb = 10 ** (dbc / 10)
        integrated = float(trapezoid(ssb, offsets))
        rms = math.sqrt(2 * integrated)
        residual_fm = math.sqrt(2 * float(trapezoid(ssb * offsets**2, offsets)))
        return np.array([10 * math.log10(carrier_power / 1e-3), carrier, 10 * math.log10(integrated), rms,
                         math.degrees(rms), rms / (2 * math.pi * carrier), residual_fm])

    @only("PNOISE")
    @command(":READ:LPLot#?")
    def _read_log_plot(self, n: int) -> str | bytes:
        return self._log_plot_result(n, fresh=True)

    @only("PNOISE")
    @command(":MEASure:LPLot#?")
    def _measure_log_plot(self, n: int) -> str | bytes:
        return self._log_plot_result(n, fresh=True)

    @only("PNOISE")
    @command(":FETCh:LPLot#?")
    def _fetch_log_plot(self, n: int) -> str | bytes:
        return self._log_plot_result(n, fresh=False)


