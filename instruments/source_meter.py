"""The :class:`~mtjhw.instruments.roles.SourceMeter` role, written once for every source-measure unit.

:class:`SourceMeterMixin` goes before the PyMeasure driver class in the bases
(``class Model(RaisesInstrumentErrors, SourceMeterMixin, PyMeasureModel)``) and carries what does not depend on the
model: levels and compliances checked against the bench's :class:`~mtjhw.instruments.safety.SafetyLimits` before
anything is sent, the limits installed in the safety gate and the dynamic validators, ``output_off``'s best-effort
semantics, the checks of sweeps and triggered readings, and (V, I) ordering of (source, reading) pairs.

A model provides

- PyMeasure dynamic controls ``source_voltage``, ``source_current``, ``compliance_current``,
  ``compliance_voltage`` (validator :func:`~mtjhw.instruments._validators.limited`) and ``safety_rules``;
- the class attributes ``voltage_range`` (V), ``current_range`` (A) (largest magnitudes it sources),
  ``compliance_minimum`` (``(A, V)``, smallest compliances), ``max_readings`` (buffer size) and ``gate_scpi_only``;
- ``enable_source()`` / ``disable_source()`` (PyMeasure's) and the hooks ``_configure_source(mode, compliance,
  nplc)`` (mode ``"VOLT"`` or ``"CURR"``), ``_zero_level()``, ``_read_pair()``, ``_run_sweep(levels, delay)``,
  ``_arm_readings(count, delay)``, ``_fetch_pairs(count)``; ``_read_pair``, ``_run_sweep`` and ``_fetch_pairs``
  answer (source, reading), which the mixin turns into (V, I); levels and counts reach them already checked;
- ``arm_protection()`` (the instrument's own limits), called by the bench.

The mixin's ``__init__`` gives PyMeasure the :attr:`SourceMeterMixin.connection_defaults` where the caller does not
say otherwise; the model's ``__init__`` calls :meth:`SourceMeterMixin._init_limits` after it.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from ._validators import limited
from .safety import SafetyLimits
from .safety_gate import GateLimits, install

T = TypeVar("T", float, np.ndarray)


class SourceMeterMixin:
    """The SourceMeter role on top of a model's hooks (see the module docstring)."""

    voltage_range: float = 210.0  #: largest source voltage magnitude (V)
    current_range: float = 1.05  #: largest source current magnitude (A)
    compliance_minimum: tuple[float, float] = (1e-9, 0.02)  #: smallest current (A) and voltage (V) compliance
    max_readings: int = 100_000  #: readings in one sweep or one triggered run (instrument buffer)
    gate_scpi_only: bool = True  #: the gate refuses messages it cannot parse as SCPI (TSP)
    safety_rules: tuple = ()
    #: VISA settings every supported model shares (terminations, timeout in ms)
    connection_defaults: dict[str, Any] = {"read_termination": "\n", "write_termination": "\n", "timeout": 10000}

    def __init__(self, adapter: Any, name: str, **kwargs: Any) -> None:
        super().__init__(adapter, name, **(self.connection_defaults | kwargs))

    def _init_limits(self, limits: SafetyLimits | None) -> None:
        self._mode = "VOLT"
        self.apply_limits(limits or SafetyLimits())

    def apply_limits(self, limits: SafetyLimits) -> None:
        """Restrict levels and compliances to ``limits`` (and the instrument's own ranges), in the validators and
        in the safety gate every message passes."""
        self.limits = limits
        install(self, self.safety_rules, GateLimits.from_safety(limits), scpi_only=self.gate_scpi_only)
        v, i = min(self.voltage_range, limits.max_voltage), min(self.current_range, limits.max_current)
        i_min, v_min = self.compliance_minimum
        self._level_range = {"VOLT": (-v, v), "CURR": (-i, i)}
        self.source_voltage_values = [-v, v]
        self.source_current_values = [-i, i]
        self.compliance_current_values = [i_min, i]
        self.compliance_voltage_values = [v_min, max(v_min, v)]  # below the minimum the gate refuses them all

    # ----------------------------------------------------------------- SourceMeter role
    def source_voltage_mode(self, compliance_current: float, nplc: float = 1.0) -> None:
        self.compliance_current = compliance_current  # validated before anything else is sent
        self._configure_source("VOLT", compliance_current, nplc)
        self._mode = "VOLT"
        self.check_errors()

    def source_current_mode(self, compliance_voltage: float, nplc: float = 1.0) -> None:
        self.compliance_voltage = compliance_voltage
        self._configure_source("CURR", compliance_voltage, nplc)
        self._mode = "CURR"
        self.check_errors()

    def set_level(self, level: float) -> None:
        if self._mode == "VOLT":
            self.source_voltage = level
        else:
            self.source_current = level

    def output_on(self) -> None:
        self.enable_source()

    def output_off(self) -> None:
        """Zero the level and switch the output off (best effort: both are attempted even if one fails), then wait
        until the instrument has executed both (``*OPC?``): a write alone may still sit in its input buffer when
        the caller goes on, or closes the connection and reports the output off."""
        try:
            self._zero_level()
        finally:
            self.disable_source()
        self.ask("*OPC?")

    def measure(self) -> tuple[float, float]:
        return self._as_vi(*self._read_pair())

    def sweep(self, levels: np.ndarray, delay: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Buffered list sweep in one run of the instrument; returns (V, I) per level."""
        levels = np.asarray(levels, dtype=float)
        if not 1 <= levels.size <= self.max_readings:
            raise ValueError(f"a sweep takes 1..{self.max_readings} levels, got {levels.size}")
        low, high = self._level_range[self._mode]
        bad = levels[~((levels >= low) & (levels <= high))]  # NaN too
        if bad.size:
            limited("sweep level", "V" if self._mode == "VOLT" else "A")(float(bad[0]), [low, high])
        source, reading = self._run_sweep(levels, delay)
        self.check_errors()
        return self._as_vi(source, reading)

    def arm_triggered_readings(self, count: int, delay: float = 0.0) -> None:
        """One reading per trigger-line edge, ``delay`` s after it, into the instrument's buffer (cleared); fetch
        them with :meth:`fetch_readings` once the triggering instrument is done."""
        if not 1 <= count <= self.max_readings:
            raise ValueError(f"count must be 1..{self.max_readings}, got {count}")
        self._arm_readings(count, delay)
        self.check_errors()

    def fetch_readings(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(V, I) of the first ``count`` triggered readings (one transfer)."""
        return self._as_vi(*self._fetch_pairs(count))

    def _as_vi(self, source: T, reading: T) -> tuple[T, T]:
        """(V, I) from a (source, reading) pair of the present mode (and back: the swap is its own inverse)."""
        return (source, reading) if self._mode == "VOLT" else (reading, source)

    # ----------------------------------------------------------------- model hooks
    def _configure_source(self, mode: str, compliance: float, nplc: float) -> None:
        """Model hook: source ``mode`` ("VOLT" or "CURR") with ``compliance`` (A or V) at ``nplc``."""
        raise NotImplementedError

    def _zero_level(self) -> None:
        """Model hook: source level to zero."""
        raise NotImplementedError

    def _read_pair(self) -> tuple[float, float]:
        """Model hook: one (source, reading) pair."""
        raise NotImplementedError

    def _run_sweep(self, levels: np.ndarray, delay: float) -> tuple[np.ndarray, np.ndarray]:
        """Model hook: the instrument's list sweep of checked ``levels``; (source, reading) arrays."""
        raise NotImplementedError

    def _arm_readings(self, count: int, delay: float) -> None:
        """Model hook: ``count`` readings on trigger-line edges, ``delay`` s after each."""
        raise NotImplementedError

    def _fetch_pairs(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Model hook: (source, reading) arrays of the first ``count`` triggered readings."""
        raise NotImplementedError
