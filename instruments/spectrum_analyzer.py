"""Spectrum analyzers as one SpectrumAnalyzer role: Keysight X-series (N9010B EXA, N9030B PXA), R&S FSW."""

from __future__ import annotations

import numpy as np
from pymeasure.instruments import Instrument, SCPIMixin
from pymeasure.instruments.rohdeschwarz import FSW as _PyMeasureFSW

from .errors import RaisesInstrumentErrors


class _AnalyzerRole(RaisesInstrumentErrors):
    """Terminations, checks and error handling shared by the analyzers of the SpectrumAnalyzer role."""

    f_max, rbw_max, min_points = 26.5e9, 8e6, 1
    default_name = "spectrum analyzer"

    def __init__(self, adapter, name: str | None = None, **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 60000)
        super().__init__(adapter, name or self.default_name, **kwargs)

    def _check(self, start: float, stop: float, rbw: float, points: int, averages: int) -> None:
        if not 0 <= start < stop <= self.f_max:
            raise ValueError(f"frequency range {start:g} … {stop:g} Hz outside 0 … {self.f_max:g} Hz")
        if not 1 <= rbw <= self.rbw_max or not self.min_points <= points <= 100001 or averages < 1:
            raise ValueError(f"rbw must be 1 Hz … {self.rbw_max:g} Hz, points {self.min_points} … 100001, "
                             "averages >= 1")


class KeysightXSeries(_AnalyzerRole, SCPIMixin, Instrument):
    """Spectrum traces in dBm per point, and marker peak search; frequencies in Hz."""

    default_name = "Keysight X-series analyzer"

    def configure(self, start: float, stop: float, rbw: float, points: int = 1001, averages: int = 1,
                  vbw: float | None = None, reference_level_dbm: float = 0.0) -> None:
        """Sweep ``start`` … ``stop`` (Hz) in ``points`` with resolution bandwidth ``rbw`` (Hz), averaging
        ``averages`` sweeps (1: none), single-sweep mode."""
        self._check(start, stop, rbw, points, averages)
        vbw = vbw or rbw
        average = f":AVER ON;:AVER:COUN {averages}" if averages > 1 else ":AVER OFF"
        self.write(f":INIT:CONT OFF;:FREQ:STAR {start:.6f};:FREQ:STOP {stop:.6f};:BAND {rbw:g};:BAND:VID {vbw:g};"
                   f":SWE:POIN {points};{average};:DET AVER;:DISP:WIND:TRAC:Y:RLEV {reference_level_dbm:g};"
                   ":FORM ASC")
        self.check_errors()

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        """One (averaged) sweep: (frequencies Hz, power dBm per point)."""
        self.write(":INIT")
        self.ask("*OPC?")
        start, stop = float(self.ask(":FREQ:STAR?")), float(self.ask(":FREQ:STOP?"))
        power = np.asarray(self.values(":TRAC? TRACE1"), dtype=float)
        return np.linspace(start, stop, power.size), power

    def peak(self) -> tuple[float, float]:
        """Marker 1 on the trace maximum: (frequency Hz, power dBm)."""
        self.write(":CALC:MARK1:MAX")
        return float(self.ask(":CALC:MARK1:X?")), float(self.ask(":CALC:MARK1:Y?"))


class RohdeSchwarzFSW(_AnalyzerRole, _PyMeasureFSW):
    """PyMeasure's R&S FSW (spectrum mode) filling the :class:`~mtjhw.instruments.roles.SpectrumAnalyzer` role."""

    rbw_max, min_points = 10e6, 101
    default_name = "Rohde&Schwarz FSW"

    def configure(self, start: float, stop: float, rbw: float, points: int = 1001, averages: int = 1,
                  vbw: float | None = None, reference_level_dbm: float = 0.0) -> None:
        self._check(start, stop, rbw, points, averages)
        self.continuous_sweep_enabled = False
        self.freq_start = start
        self.freq_stop = stop
        self.res_bandwidth = rbw
        self.video_bandwidth = vbw or rbw
        mode = f"AVER;:AVER:COUN {averages}" if averages > 1 else "WRIT"
        self.write(f"SWE:POIN {points};:DISP:TRAC:MODE {mode};:DISP:TRAC:Y:RLEV {reference_level_dbm:g}")
        self.check_errors()

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        self.single_sweep()
        self.ask("*OPC?")
        power = np.asarray(self.values("TRAC:DATA? TRACE1"), dtype=float)
        return np.linspace(float(self.freq_start), float(self.freq_stop), power.size), power

    def peak(self) -> tuple[float, float]:
        self.write("CALC:MARK1:MAX")
        return float(self.ask("CALC:MARK1:X?")), float(self.ask("CALC:MARK1:Y?"))
