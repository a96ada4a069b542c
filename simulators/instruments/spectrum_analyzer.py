"""Virtual Keysight X-series signal analyzer (N9010B EXA / N9030B PXA) watching the DUT's microwave emission.

The DUT's emission (its power spectral density into 50 Ω, from the device physics) reaches the analyzer
through the bias tee, a low-noise amplifier (``amplifier_gain_db``, ``noise_figure_db``) and ``cable_loss_db``.
A sweep integrates that PSD, plus the amplifier's and analyzer's noise, over the resolution-bandwidth filter
(Gaussian, equivalent noise bandwidth 1.065·RBW) centred on every trace point; the displayed power of each point
fluctuates like a power detector's (Gamma statistics with as many degrees of freedom as independent samples:
averages × RBW/VBW). The bench's simulated time advances by the sweep time.
"""

from __future__ import annotations

import math

import numpy as np
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.physics.constants import KB
from mtjhw.simulators.scpi import Boolean, Enum, Integer, Numeric, ScpiError, Setting, command

from .base import BenchInstrument

_ENBW = 1.065  # Gaussian RBW filter: noise bandwidth over 3 dB bandwidth
_T0 = 290.0  # K, noise-figure reference temperature


class KeysightN9010B(BenchInstrument):
    """EXA N9010B, 10 Hz – 26.5 GHz."""

    idn = ("Keysight Technologies", "N9010B", "MY56470123", "A.26.06")
    f_max = 26.5e9

    center = Setting("[:SENSe]:FREQuency:CENTer", Numeric(13.25e9, 0.0, 26.5e9, "HZ"))
    span = Setting("[:SENSe]:FREQuency:SPAN", Numeric(26.5e9, 0.0, 26.5e9, "HZ"))
    rbw = Setting("[:SENSe]:BANDwidth[:RESolution]", Numeric(3e6, 1.0, 8e6, "HZ"))
    vbw = Setting("[:SENSe]:BANDwidth:VIDeo", Numeric(3e6, 1.0, 50e6, "HZ"))
    points = Setting("[:SENSe]:SWEep:POINts", Integer(1001, 1, 100001))
    averaging = Setting("[:SENSe]:AVERage[:STATe]", Boolean(False))
    average_count = Setting("[:SENSe]:AVERage:COUNt", Integer(10, 1, 10000))
    reference_level = Setting(":DISPlay[:WINDow[1]]:TRACe:Y[:SCALe]:RLEVel", Numeric(0.0, -170.0, 30.0, "DBM"))
    trace_mode = Setting(":DISPlay[:WINDow[1]]:TRACe[1]:MODE", Enum(["WRITe", "AVERage", "MAXHold", "MINHold",
                                                                     "VIEW"], "WRITe"), after="_trace_mode")
    input_attenuation = Setting(":INPut:ATTenuation", Numeric(10.0, 0.0, 79.0))
    sweep_time = Setting("[:SENSe]:SWEep:TIME", Numeric(0.01, 1e-6, 16000.0, "S"))
    detector = Setting("[:SENSe]:DETector[:FUNCtion]", Enum(["AVERage", "POSitive", "SAMPle", "NEGative",
                                                            "NORMal"], "NORMal"))
    continuous = Setting(":INITiate:CONTinuous", Boolean(True))
    trace_format = Setting(":FORMat[:TRACe][:DATA]", Enum(["ASCii", "REAL"], "ASCii"))
    attenuation = Setting("[:SENSe]:POWer[:RF]:ATTenuation", Numeric(10.0, 0.0, 70.0))

    def __init__(self, bench: VirtualBench, amplifier_gain_db: float = 30.0, noise_figure_db: float = 2.0,
                 cable_loss_db: float = 3.0, danl_dbm_per_hz: float = -155.0) -> None:
        self.amplifier_gain_db, self.noise_figure_db = amplifier_gain_db, noise_figure_db
        self.cable_loss_db, self.danl_dbm_per_hz = cable_loss_db, danl_dbm_per_hz
        self.trace = np.empty(0)
        self.markers: dict[int, int] = {}
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.trace = np.empty(0)
        self.markers = {}

    def _trace_mode(self) -> None:
        """The FSW averages through its trace mode."""
        self.settings["averaging"] = self.trace_mode == "AVERAGE"

    @command("[:SENSe]:FREQuency:STARt", Numeric(0.0, 0.0, 26.5e9, "HZ"))
    def _set_start(self, value: float) -> None:
        stop = self.center + self.span / 2
        self.settings["span"], self.settings["center"] = stop - value, (stop + value) / 2

    @command("[:SENSe]:FREQuency:STOP", Numeric(26.5e9, 0.0, 26.5e9, "HZ"))
    def _set_stop(self, value: float) -> None:
        start = self.center - self.span / 2
        self.settings["span"], self.settings["center"] = value - start, (value + start) / 2

    @command("[:SENSe]:FREQuency:STARt?")
    def _get_start(self) -> str:
        return f"{self.center - self.span / 2:+.9E}"

    @command("[:SENSe]:FREQuency:STOP?")
    def _get_stop(self) -> str:
        return f"{self.center + self.span / 2:+.9E}"

    def frequencies(self) -> np.ndarray:
        return np.linspace(self.center - self.span / 2, self.center + self.span / 2, self.points)

    def sweep(self) -> None:
        """One (averaged) sweep: the trace in dBm per point."""
        f = self.frequencies()
        rbw = self.rbw
        gain = 10 ** ((self.amplifier_gain_db - self.cable_loss_db) / 10)
        # input-referred noise: the amplifier's kT·F·G, the analyzer's own floor
        noise_psd = KB * _T0 * 10 ** (self.noise_figure_db / 10) * 10 ** (self.amplifier_gain_db / 10) \
            * 10 ** (-self.cable_loss_db / 10) + 1e-3 * 10 ** (self.danl_dbm_per_hz / 10)
        step = min(rbw / 8, max(self.span / max(self.points - 1, 1), rbw / 8))
        fine = np.arange(f[0] - 4 * rbw, f[-1] + 4 * rbw + step, step)
        signal = self._dut_psd(fine) * gain + noise_psd
        sigma = rbw / (2 * math.sqrt(2 * math.log(2)))
        kernel_f = np.arange(-4 * sigma, 4 * sigma + step, step)
        kernel = np.exp(-0.5 * (kernel_f / sigma) ** 2)
        kernel *= _ENBW * rbw / (kernel.sum() * step)  # so a flat PSD gives PSD·ENBW per point
        smoothed = np.convolve(signal, kernel, mode="same") * step
        power = np.interp(f, fine, smoothed)
        dof = (self.average_count if self.averaging else 1) * max(1.0, rbw / self.vbw)
        power = power * self.bench.rng.gamma(dof, 1.0 / dof, power.size)
        self.trace = 10 * np.log10(power / 1e-3)
        sweep_time = max(1e-3, 2.5 * self.span / rbw**2) * (self.average_count if self.averaging else 1)
        self.bench.advance(sweep_time)

    def _dut_psd(self, f: np.ndarray) -> np.ndarray:
        emission = getattr(self.bench.dut, "emission_psd", None)
        if emission is None:
            return np.zeros_like(f)
        _, current = self.bench.dut.operating_point(self.bench.bias)
        return emission(np.clip(f, 1.0, None), current, self.bench.field)

    @command(":INITiate[:IMMediate]")
    def _initiate(self) -> None:
        self.sweep()

    @command(":TRACe[:DATA]?", Enum(["TRACE1", "TRACE2", "TRACE3"], "TRACE1", optional=True))
    def _trace_data(self, trace: str) -> str:
        if not self.trace.size:
            self.sweep()
        return ",".join(f"{x:.4f}" for x in self.trace)

    def _marker(self, n: int) -> int:
        if n not in self.markers:
            raise ScpiError(-221, f"marker {n} is off: place it with :CALC:MARK{n}:MAX first")
        return self.markers[n]

    @command(":CALCulate:MARKer#:MAXimum[:PEAK]")
    def _peak(self, n: int) -> None:
        if not self.trace.size:
            self.sweep()
        self.markers[n] = int(np.argmax(self.trace))

    @command(":CALCulate:MARKer#:X?")
    def _marker_x(self, n: int) -> str:
        return f"{self.frequencies()[self._marker(n)]:+.9E}"

    @command(":CALCulate:MARKer#:Y?")
    def _marker_y(self, n: int) -> str:
        return f"{self.trace[self._marker(n)]:+.4f}"


class KeysightN9030B(KeysightN9010B):
    """PXA N9030B (same model, another front end)."""

    idn = ("Keysight Technologies", "N9030B", "MY55120123", "A.26.06")


class RohdeSchwarzFSW(KeysightN9010B):
    """R&S FSW26 in spectrum mode (the same model; its ``DISP:TRAC:MODE AVER``/``INP:ATT`` forms)."""

    idn = ("Rohde&Schwarz", "FSW-26", "1312.8000K26/101234", "4.61")
