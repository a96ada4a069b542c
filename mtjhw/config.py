"""Bench files (YAML): parsing and validation into a :class:`BenchConfig`.

Every problem is reported as one :class:`BenchConfigError` that names the offending key.
"""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mtjhw.instruments.roles import ROLES
from mtjhw.instruments.safety import SafetyLimits

from .registry import REGISTRY


class BenchConfigError(ValueError):
    """A bench file is malformed: the message names the key and what was expected."""


class _BenchLoader(yaml.SafeLoader):
    """YAML with the numbers of YAML 1.2 (and of people): ``1e9``, ``2.0e9``, ``-5e-3`` are floats, where YAML 1.1
    (PyYAML's default) reads a number without a dot or an exponent sign as a string."""


_BenchLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."))


#: The virtual instruments a simulated bench gets when its file has no ``instruments:`` section (plus a
#: Keithley 707B ``switch`` when the DUT is an ``array``, an RF source, a spectrum analyzer and a lock-in
#: for an ``stno``).
DEFAULT_SIMULATED_INSTRUMENTS: dict[str, dict[str, Any]] = {
    "smu": {"driver": "keithley2450"},
    "magnet": {"driver": "kepco-bop", "coil_constant": 0.03},
    "gaussmeter": {"driver": "lakeshore425"},
    "pulser": {"driver": "keysight81160a"},
    "scope": {"driver": "keysight-dsox3000"},
}

#: Safety limits: unit and the largest plausible value (beyond it a limit protects nothing: a unit mistake).
_SAFETY_KEYS = {"max_voltage": ("V", 1e3), "max_current": ("A", 10.0), "max_field": ("T", 30.0),
                "field_ramp_rate": ("T/s", 100.0), "max_rf_power": ("W", 10.0)}
#: Options of an instrument entry that go to VISA (pyvisa resource attributes and PyMeasure's adapter), with
#: their check: positive numbers (timeout in ms, delays in s), strings, or a choice.
_VISA_OPTIONS: dict[str, str] = {"timeout": "positive", "query_delay": "non-negative", "read_termination": "string",
                                 "write_termination": "string", "visa_library": "string", "encoding": "string",
                                 "baud_rate": "positive", "data_bits": "positive", "chunk_size": "positive",
                                 "send_end": "boolean"}
_TOP_KEYS = {"name", "simulated", "safety", "dut", "instruments", "seed", "realtime"}


@dataclass(frozen=True)
class InstrumentConfig:
    role: str
    driver: str
    resource: str | None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchConfig:
    name: str
    simulated: bool
    safety: SafetyLimits
    dut: dict[str, Any]
    instruments: dict[str, InstrumentConfig]
    seed: int | None = None
    realtime: bool = False

    @classmethod
    def load(cls, path: str | Path) -> BenchConfig:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BenchConfigError(f"cannot read bench file {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise BenchConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the bench file as UTF-8") from None
        try:
            data = yaml.load(text, Loader=_BenchLoader)
        except yaml.YAMLError as exc:
            raise BenchConfigError(f"{path}: not valid YAML: {exc}") from None
        except RecursionError:
            raise BenchConfigError(f"{path}: nested too deeply to be a bench file") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "bench") -> BenchConfig:
        if not isinstance(data, dict):
            raise BenchConfigError(f"{source}: expected a mapping of bench settings, got {type(data).__name__}")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise BenchConfigError(f"{sorted(unknown)[0]}: unknown top-level key; known keys: "
                                   f"{', '.join(sorted(_TOP_KEYS))}")
        name = data.get("name", Path(source).stem)
        simulated = data.get("simulated", True)
        if not isinstance(simulated, bool):
            raise BenchConfigError(f"simulated: expected true or false, got {simulated!r}")
        safety = _parse_safety(data.get("safety") or {})
        dut = data.get("dut") or {}
        if not isinstance(dut, dict):
            raise BenchConfigError("dut: expected a mapping of DUT model parameters")
        seed = data.get("seed", dut.get("seed"))
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise BenchConfigError(f"seed: expected a non-negative integer, got {seed!r}")
        realtime = data.get("realtime", False)
        if not isinstance(realtime, bool):
            raise BenchConfigError(f"realtime: expected true or false, got {realtime!r}")
        raw_instruments = data.get("instruments")
        if raw_instruments is None:
            if not simulated:
                raise BenchConfigError("instruments: required when simulated is false")
            raw_instruments = dict(DEFAULT_SIMULATED_INSTRUMENTS)
            if dut.get("model") == "array":
                raw_instruments["switch"] = {"driver": "keithley707b"}
            if dut.get("model") == "stno":
                raw_instruments["rf"] = {"driver": "keysight-n5183b"}
                raw_instruments["analyzer"] = {"driver": "keysight-n9010b"}
                raw_instruments["lockin"] = {"driver": "sr830"}
        instruments = _parse_instruments(raw_instruments, simulated)
        if simulated:
            from mtjhw.simulators.bench.models import DutConfigError, build_dut

            try:
                build_dut(dut)  # validate now, with the key named, rather than when the bench opens
            except DutConfigError as exc:
                raise BenchConfigError(str(exc)) from None
        return cls(str(name), simulated, safety, dict(dut), instruments, seed, realtime)


def _check_options(key: str, driver: str, options: dict[str, Any]) -> None:
    """Options of an instrument entry: VISA settings, or named parameters of the driver's constructor."""
    named = [p for p in inspect.signature(REGISTRY[driver].driver.__init__).parameters
             if p not in ("self", "adapter", "name", "limits", "kwargs")]
    for option, value in options.items():
        kind = _VISA_OPTIONS.get(option)
        if kind is None and option not in named:
            raise BenchConfigError(f"{key}.{option}: not an option of {driver}; options: "
                                   f"{', '.join(sorted([*_VISA_OPTIONS, *named]))}")
        ok = {"positive": lambda v: _is_number(v) and v > 0, "non-negative": lambda v: _is_number(v) and v >= 0,
              "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
              None: lambda v: True}[kind](value)
        if not ok:
            unit = {"timeout": " (ms)", "query_delay": " (s)"}.get(option, "")
            raise BenchConfigError(f"{key}.{option}: expected a {kind} value{unit}, got {value!r}")


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _number(key: str, value: Any, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise BenchConfigError(f"{key}: expected a positive number in {unit}, got {value!r}")
    return float(value)


def _parse_safety(raw: Any) -> SafetyLimits:
    if not isinstance(raw, dict):
        raise BenchConfigError("safety: expected a mapping of limits")
    values = {}
    for key, value in raw.items():
        if key not in _SAFETY_KEYS:
            raise BenchConfigError(f"safety.{key}: unknown limit; known limits: {', '.join(_SAFETY_KEYS)}")
        unit, plausible = _SAFETY_KEYS[key]
        values[key] = _number(f"safety.{key}", value, unit)
        if values[key] > plausible:
            raise BenchConfigError(f"safety.{key}: {value!r} {unit} is not a plausible device-safe limit "
                                   f"(at most {plausible:g} {unit}; bench files use SI units)")
    return SafetyLimits(**values)


def _parse_instruments(raw: Any, simulated: bool) -> dict[str, InstrumentConfig]:
    if not isinstance(raw, dict):
        raise BenchConfigError("instruments: expected a mapping of role: {driver, resource}")
    out = {}
    for role, entry in raw.items():
        key = f"instruments.{role}"
        if role not in ROLES:
            raise BenchConfigError(f"{key}: unknown role; known roles: {', '.join(ROLES)}")
        if not isinstance(entry, dict):
            raise BenchConfigError(f"{key}: expected a mapping with 'driver' and 'resource'")
        entry = dict(entry)
        driver = entry.pop("driver", None)
        if driver is None:
            raise BenchConfigError(f"{key}.driver: missing")
        if driver not in REGISTRY:
            raise BenchConfigError(f"{key}.driver: unknown driver {driver!r}; known drivers: "
                                   f"{', '.join(sorted(REGISTRY))}")
        if role not in REGISTRY[driver].roles:
            raise BenchConfigError(f"{key}.driver: {driver} cannot fill the {role!r} role (it fills "
                                   f"{', '.join(sorted(REGISTRY[driver].roles))})")
        resource = entry.pop("resource", None)
        if resource is None and not simulated:
            raise BenchConfigError(f"{key}.resource: missing (required when simulated is false)")
        if resource is not None and not isinstance(resource, str):
            raise BenchConfigError(f"{key}.resource: expected a VISA resource string, got {resource!r}")
        if role == "magnet":
            entry["coil_constant"] = _number(f"{key}.coil_constant", entry.get("coil_constant", 0.03), "T/A")
        _check_options(key, driver, {k: v for k, v in entry.items() if k != "coil_constant"})
        if resource is not None and any(resource == other.resource for other in out.values()):
            raise BenchConfigError(f"{key}.resource: {resource} is used twice")
        out[role] = InstrumentConfig(role, driver, resource, entry)
    if ("magnet" in out) != ("gaussmeter" in out):
        raise BenchConfigError("instruments: field control needs both a 'magnet' and a 'gaussmeter'")
    return out
