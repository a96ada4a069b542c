"""Role protocols: what procedures program against, whichever instrument fills the role.

A driver "fills" a role by implementing its methods; procedures call nothing else. :data:`ROLES` names the roles a
bench file assigns. All quantities in SI units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class SourceMeter(Protocol):
    """A source-measure unit across the DUT."""

    #: readings one sweep or one triggered run holds (the instrument's buffer)
    max_readings: int

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

    def arm_triggered_readings(self, count: int, delay: float = 0.0) -> None:
        """Take one reading per edge on the trigger line, ``delay`` s after it, ``count`` times, into the
        instrument's buffer (cleared first); collect them with :meth:`fetch_readings`."""

    def fetch_readings(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(V, I) arrays of the first ``count`` triggered readings, in one transfer."""


@runtime_checkable
class ResistanceMeter(Protocol):
    """Low-noise resistance of the DUT by current reversal (a current source with a nanovoltmeter): readings free
    of thermoelectric offsets and their drift."""

    def configure(self, current: float, mode: str = "delta", nplc: float = 1.0, pulse_width: float = 1e-3) -> None:
        """Readings at ±``current`` A ("delta") or 0/``current`` A pulses of ``pulse_width`` s ("pulse-delta"),
        ``nplc`` power-line cycles per voltage; refused beyond ``max_current`` (or a compliance beyond
        ``max_voltage``) before anything is sent."""

    def measure_resistance(self) -> float:
        """One delta reading (Ω)."""

    def output_off(self) -> None:
        """Stop any run, level to zero and output off; safe to call in any state."""


@runtime_checkable
class FieldController(Protocol):
    """A magnetic field at the DUT, closed-loop on a field probe."""

    def set_field(self, target: float) -> float:
        """Ramp to ``target`` (T) within the ramp-rate limit; return the measured field (T)."""

    def step_field(self, target: float) -> None:
        """Set the supply for ``target`` (T) open-loop, within the limits, without waiting for the probe."""

    def measure_field(self) -> float:
        """Present field at the DUT (T)."""

    def shutdown(self) -> None:
        """Ramp to zero field and switch the supply off."""


@runtime_checkable
class MagnetSupply(Protocol):
    """A bipolar current supply driving the electromagnet (the FieldController closes the loop on a probe)."""

    current_setpoint: float  #: A, refused beyond the present maximum current

    output_enabled: bool

    def set_max_current(self, max_current: float, max_step: float = float("inf")) -> None:
        """Refuse set points beyond ±``max_current`` (A), and single steps beyond ``max_step`` (A), from now on."""

    def configure_current_mode(self) -> None:
        """Regulate current (with a voltage compliance); the output stays as it is."""


@runtime_checkable
class FieldProbe(Protocol):
    """A field probe (Hall gaussmeter) at the DUT."""

    def measure_field(self) -> float:
        """Field at the probe (T)."""


@runtime_checkable
class VectorProbe(Protocol):
    """A three-axis field probe at the DUT (x in-plane along the write current, z the DUT's easy axis)."""

    def measure_axis(self, channel: str) -> float:
        """Field (T) along probe axis ``channel`` ("X", "Y" or "Z")."""

    def measure_vector(self) -> tuple[float, float, float]:
        """(Bx, By, Bz) at the probe (T)."""


@runtime_checkable
class VectorFieldController(Protocol):
    """A field vector at the DUT from one supply per axis, each closed-loop on its own probe axis (angles in rad:
    ``polar`` from the easy axis z, ``azimuth`` from x about z)."""

    def set_field(self, magnitude: float, polar: float, azimuth: float = 0.0) -> None:
        """Ramp to the vector (T; a negative magnitude points the other way), every axis within the ramp-rate
        limit, then correct each axis on its probe axis; refused beyond ``max_field`` (of the magnitude and of each
        axis) before anything is sent."""

    def measure_field(self) -> tuple[float, float, float]:
        """(Bx, By, Bz) at the DUT (T)."""

    def zero(self) -> None:
        """Ramp every axis to zero field and switch its supply off: the safe state."""


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


@runtime_checkable
class TemperatureController(Protocol):
    """Closed-loop control of the sample stage's temperature (K) on the bench clock."""

    def set_temperature(self, kelvin: float, ramp: float | None = None) -> None:
        """Set point ``kelvin`` (K), reached at ``ramp`` K/s or as a step (None); refused beyond
        ``max_temperature`` before it is sent."""

    def measure_temperature(self) -> float:
        """Sample stage temperature (K)."""

    def wait_for_stable(self, tolerance: float = 0.1, timeout: float = 1800.0, hold: float = 10.0) -> float:
        """Wait until |T − set point| ≤ ``tolerance`` (K) for ``hold`` s, at most ``timeout`` s (else
        ``TimeoutError``); return T (K)."""

    def heater_off(self) -> None:
        """Heater off: the safe state."""


@runtime_checkable
class Rotator(Protocol):
    """A rotation stage turning the sample in the magnet's field (angles in rad)."""

    def rotate_to(self, angle: float) -> None:
        """Absolute move to ``angle`` (rad), checked against the bench's angle limits before it is sent; returns
        once the stage has stopped, raises with the controller's error text if it reported one."""

    def measure_angle(self) -> float:
        """Present angle of the stage (rad)."""

    def stop(self) -> None:
        """Stop any motion: the safe state."""


@runtime_checkable
class Prober(Protocol):
    """A probe station stepping a wafer's dies under the needles (positions in m from the wafer centre)."""

    def move_to_die(self, column: int, row: int) -> None:
        """Step the chuck to die (``column``, ``row``); refused while contacted (separate first) or off the map."""

    def contact(self) -> None:
        """Needles down on the present die."""

    def separate(self) -> None:
        """Needles off the wafer: the safe state."""

    @property
    def die(self) -> tuple[int, int]:
        """(column, row) of the present die."""

    @property
    def contacted(self) -> bool:
        """Whether the needles are down."""

    @property
    def position(self) -> tuple[float, float]:
        """Chuck (x, y) from the wafer centre, m."""

    def dies(self) -> list[tuple[int, int]]:
        """The prober's wafer map of testable dies, (column, row)."""


@dataclass(frozen=True)
class Role:
    """A role a bench file assigns: the protocol its driver fills and how it is made safe."""

    protocol: type
    description: str
    #: method that puts the role's outputs in a safe state when a bench closes (None: nothing to switch off)
    safe_state: str | None = None


#: The roles a bench file may assign, by name. ``magnet`` and ``gaussmeter`` come together: the bench closes
#: the field loop over them and offers a :class:`FieldController`. ``magnet_x``, ``magnet_z`` (and ``magnet_y``)
#: come with ``vector_gaussmeter``: the bench closes each axis's loop on its probe axis and offers a
#: :class:`VectorFieldController` (``Bench.vector_field``).
ROLES: dict[str, Role] = {
    "smu": Role(SourceMeter, "source-measure unit across the DUT", "output_off"),
    "resistance": Role(ResistanceMeter, "current source and nanovoltmeter for delta-mode resistance readings",
                       "output_off"),
    "magnet": Role(MagnetSupply, "bipolar supply driving the electromagnet (with 'coil_constant' in T/A)"),
    "gaussmeter": Role(FieldProbe, "field probe at the DUT"),
    "magnet_x": Role(MagnetSupply, "supply of the vector magnet's x axis (in-plane, along the write current)"),
    "magnet_y": Role(MagnetSupply, "supply of the vector magnet's y axis (in-plane, across the write current)"),
    "magnet_z": Role(MagnetSupply, "supply of the vector magnet's z axis (the DUT's easy axis)"),
    "vector_gaussmeter": Role(VectorProbe, "three-axis field probe at the DUT, one axis per vector-magnet supply"),
    "switch": Role(SwitchMatrix, "switch matrix addressing the cells of a device array", "open_all"),
    "pulser": Role(PulseGenerator, "pulse generator on the bias tee's AC port", "output_off"),
    "scope": Role(Oscilloscope, "oscilloscope across the DUT"),
    "rf": Role(RFSource, "microwave source on the bias tee's AC port", "output_off"),
    "analyzer": Role(SpectrumAnalyzer, "spectrum analyzer behind the bias tee and amplifier"),
    "lockin": Role(LockIn, "lock-in amplifier on the DUT's DC port, referenced to the RF modulation"),
    "temperature": Role(TemperatureController, "temperature controller of the sample stage", "heater_off"),
    "rotator": Role(Rotator, "rotation stage turning the sample in the magnet's field", "stop"),
    "prober": Role(Prober, "wafer probe station stepping the dies under the needles", "separate"),
}
