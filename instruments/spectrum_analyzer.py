"""Spectrum analyzers as one SpectrumAnalyzer role: Keysight X-series (N9010B EXA, N9030B PXA), R&S FSW."""

from __future__ import annotations

import numpy as np
from pymeasure.instruments import Instrument, SCPIMixin
from pymeasure.instruments.rohdeschwarz import FSW as _PyMeasureFSW


class KeysightXSeries(SCPIMixin, Instrument):
    """Spectrum traces in dBm per point, and marker peak search; frequencies in Hz."""

    f_max = 26.5e9

    def __init__(self, adapter, name: str = "Keysight X-series analyzer", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 60000)
        super().__init__(adapter, name, **kwargs)

    def configure(self, start: float, stop: float, rbw: float, points: int = 1001, averages: int = 1,
                  vbw: float | None = None, reference_level_dbm: float = 0.0) -> None:
        """Sweep ``start`` … ``stop`` (Hz) in ``points`` with resolution bandwidth ``rbw`` (Hz), averaging
        ``averages`` sweeps (1: none), single-sweep mode."""
        if not 0 <= start < stop <= self.f_max:
            raise ValueError(f"frequency range {start:g} … {stop:g} Hz outside 0 … {self.f_max:g} Hz")
        if not 1 <= rbw <= 8e6 or not 1 <= points <= 100001 or averages < 1:
            raise ValueError("rbw must be 1 Hz … 8 MHz, points 1 … 100001, averages >= 1")
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

    def check_errors(self) -> list:
        errors = super().check_errors()
        if errors:
            raise RuntimeError(f"{self.name} reported: {errors}")
        return errors


class RohdeSchwarzFSW(_PyMeasureFSW):
    """PyMeasure's R&S FSW (spectrum mode) filling the :class:`~instruments.roles.SpectrumAnalyzer` role."""

    f_max = 26.5e9

    def __init__(self, adapter, name: str = "Rohde&Schwarz FSW", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 60000)
        super().__init__(adapter, name, **kwargs)

    def configure(self, start: float, stop: float, rbw: float, points: int = 1001, averages: int = 1,
                  vbw: float | None = None, reference_level_dbm: float = 0.0) -> None:
        if not 0 <= start < stop <= self.f_max:
            raise ValueError(f"frequency range {start:g} … {stop:g} Hz outside 0 … {self.f_max:g} Hz")
        if not 1 <= rbw <= 10e6 or not 101 <= points <= 100001 or averages < 1:
            raise ValueError("rbw must be 1 Hz … 10 MHz, points 101 … 100001, averages >= 1")
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

    def check_errors(self) -> list:
        errors = super().check_errors()
        if errors:
            raise RuntimeError(f"{self.name} reported: {errors}")
        return errors
