"""Role protocols: what procedures program against, whichever instrument fills the role.

A driver "fills" a role by implementing its methods; procedures never call model-specific commands.
All quantities in SI units.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class SourceMeter(Protocol):
    """A source-measure unit across the DUT."""

    def source_voltage_mode(self, compliance_current: float, nplc: float = 1.0) -> None:
        """Source voltage, measure current, with a current compliance (A) and integration time (NPLC)."""

    def source_current_mode(self, compliance_voltage: float, nplc: float = 1.0) -> None:
        """Source current, measure voltage, with a voltage compliance (V) and integration time (NPLC)."""

    def set_level(self, level: float) -> None:
        """Source level (V or A, per the mode), checked against the safety limits before it is sent."""

    def output_on(self) -> None: ...

    def output_off(self) -> None:
        """Level to zero and output off; safe to call in any state, also after an error."""

    def measure(self) -> tuple[float, float]:
        """One reading: (voltage V, current A) across the DUT."""

    def sweep(self, levels: np.ndarray, delay: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Buffered list sweep: source each level, wait ``delay`` s, measure; returns (V, I) arrays."""


@runtime_checkable
class FieldController(Protocol):
    """A magnetic field at the DUT, closed-loop on a field probe."""

    def set_field(self, target: float) -> float:
        """Ramp to ``target`` (T) within the ramp-rate limit; return the measured field (T)."""

    def measure_field(self) -> float:
        """Present field at the DUT (T)."""

    def shutdown(self) -> None:
        """Ramp to zero field and switch the supply off."""


@runtime_checkable
class SwitchMatrix(Protocol):
    """Crosspoints connecting instrument rows to device columns (names like "1A01": slot, row, column)."""

    def exclusive_close(self, channels: Iterable[str]) -> None:
        """Close exactly ``channels``; every other crosspoint is opened first."""

    def open_all(self) -> None: ...

    def closed(self) -> set[str]: ...


@runtime_checkable
class PulseGenerator(Protocol):
    """Rectangular pulses at the DUT (volts at the device), in manually triggered bursts."""

    def setup_pulse(self, channel: int, amplitude: float, width: float, period: float, count: int,
                    delay: float = 0.0) -> None:
        """Arm ``channel`` for ``count`` pulses per burst; amplitudes are checked against the safety limits."""

    def fire(self) -> None:
        """Trigger the armed burst; returns when it is out."""

    def output_off(self) -> None: ...


@runtime_checkable
class Oscilloscope(Protocol):
    """Single acquisitions of a voltage vs time."""

    def configure_channel(self, channel: int, volts_per_div: float, offset: float = 0.0,
                          coupling: str = "DC") -> None: ...

    def acquire(self, channel: int, duration: float, points: int) -> tuple[np.ndarray, np.ndarray]:
        """(times s, volts) of one acquisition of ``duration`` s in ``points`` samples."""


@runtime_checkable
class RFSource(Protocol):
    """A CW microwave source: frequency in Hz, level in dBm at its connector."""

    def set_frequency(self, frequency: float) -> None: ...

    def set_power_dbm(self, power_dbm: float) -> None:
        """Checked against the instrument's range and the bench's ``max_rf_power`` (W) before it is sent."""

    def set_amplitude_modulation(self, on: bool, frequency: float = 1e3, depth: float = 1.0) -> None: ...

    def set_pulse_modulation(self, on: bool) -> None: ...

    def output_on(self) -> None: ...

    def output_off(self) -> None: ...


@runtime_checkable
class SpectrumAnalyzer(Protocol):
    """Swept power spectra."""

    def configure(self, start: float, stop: float, rbw: float, points: int = 1001, averages: int = 1,
                  vbw: float | None = None, reference_level_dbm: float = 0.0) -> None: ...

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        """(frequencies Hz, power dBm per point) of one (averaged) sweep."""

    def peak(self) -> tuple[float, float]: ...


@runtime_checkable
class LockIn(Protocol):
    """A lock-in amplifier on an external reference."""

    def configure(self, time_constant: float, sensitivity: float) -> None: ...

    def settle_time(self) -> float: ...

    def read_xy(self) -> tuple[float, float]:
        """(X, Y) in V rms."""
