"""The DUT model catalogue: ``dut.model`` names in a bench file mapped to device classes.

Every model takes its parameters as keyword arguments in SI units; :func:`build_dut` checks names, types and
plausible ranges and names the offending key in its error.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any

from mtjhw.simulators.physics.crossbar import CrossbarParams
from mtjhw.simulators.physics.resistance_noise import ResistanceNoise, ResistanceNoiseParams
from mtjhw.simulators.physics.stno import STNOParams
from mtjhw.simulators.physics.synapse import DomainWallParams

from .devices import ArrayDevice, DomainWallDevice, OpenJunction, OscillatorDevice, ShortedJunction, TwoTerminalDevice
from .lif import LifNeuronDevice
from .pmtj import MacrospinPerpendicularMTJ, PerpendicularMTJ
from .sot import SOTMTJ


class DutConfigError(ValueError):
    """A ``dut:`` entry is unknown, of the wrong type, or outside its plausible (SI) range."""


#: Plausible ranges (SI) of the parameters: values outside almost always mean a unit mistake (mT for T, …).
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "r_p": (1.0, 1e9, "Ω"),
    "tmr": (0.0, 20.0, "(ratio, 1.5 = 150 %)"),
    "v_half": (0.01, 10.0, "V"),
    "hk": (1e-4, 5.0, "T"),
    "h_offset": (-1.0, 1.0, "T"),
    "field_angle": (-2 * math.pi, 2 * math.pi, "rad"),
    "delta": (0.0, 500.0, "(kBT units)"),
    "temperature": (1.0, 1000.0, "K"),
    "t_ref": (1.0, 1000.0, "K"),
    "ic0": (1e-9, 1.0, "A"),
    "tau0": (1e-15, 1e-3, "s"),
    "n_current": (1.0, 2.0, ""),
    "read_noise": (0.0, 0.5, "(relative)"),
    "v_breakdown": (0.1, 10.0, "V"),
    "gamma_breakdown": (0.5, 200.0, "1/V"),
    "weibull_beta": (0.2, 20.0, ""),
    "i_backhop": (1e-7, 1.0, "A"),
    "delta_backhop": (1.0, 500.0, "(kBT units)"),
    "tau_backhop": (1e-15, 1e-3, "s"),
    "r_short": (0.1, 1e6, "Ω"),
    "t_curie": (100.0, 3000.0, "K"),
    "anisotropy_exponent": (1.0, 4.0, "(Callen–Callen n of K ∝ Ms^n)"),
    "polarisation_a": (0.0, 3e-5, "K^-3/2"),
    "rp_tcr": (-0.01, 0.01, "1/K"),
    "r_thermal": (0.0, 1e8, "K/W"),
    "alpha": (1e-5, 1.0, ""),
    "mu0_meff": (1e-3, 3.0, "T"),
    "dh0": (0.0, 1.0, "T"),
    "i_th": (1e-7, 0.1, "A"),
    "nonlinearity": (-1e11, 1e11, "Hz"),
    "q": (0.0, 100.0, ""),
    "ms": (1e4, 3e6, "A/m"),
    "volume": (1e-27, 1e-18, "m³"),
    "n_sites": (2, 10000, ""),
    "i_dep": (1e-7, 0.1, "A"),
    "track_length": (1e-9, 1e-3, "m"),
    "r_write": (1.0, 1e7, "Ω"),
    "rows": (1, 36, ""),
    "cols": (1, 36, ""),
    "hooge": (0.0, 1e-18, "m² (Hooge α_H; MgO MTJs 1e-24..1e-20 m², i.e. 1e-12..1e-8 µm²)"),
    "area": (1e-18, 1e-8, "m²"),
    "rtn_amplitude": (0.0, 0.5, "(ΔR/R of the defect)"),
    "rtn_rate_up": (1e-6, 1e12, "1/s"),
    "rtn_rate_down": (1e-6, 1e12, "1/s"),
}

#: Parameters that are counts or indices (kept as integers).
_INTEGER_PARAMETERS = ("n_sites", "site", "seed", "rows", "cols")

#: Defaults that distinguish the superparamagnetic model from the memory-type one.
_SMTJ_DEFAULTS = {"delta": 6.0, "hk": 0.02, "h_offset": 0.0, "ic0": 20e-6}

MODELS: dict[str, tuple[type, dict[str, Any]]] = {
    "pmtj": (PerpendicularMTJ, {}),
    "smtj": (PerpendicularMTJ, _SMTJ_DEFAULTS),
    "stno": (OscillatorDevice, {}),
    "dw-synapse": (DomainWallDevice, {}),
    "dw-lif": (LifNeuronDevice, {}),
    "array": (ArrayDevice, {}),
    "sot-mtj": (SOTMTJ, {}),
    "short": (ShortedJunction, {}),  # a dead die: pinholes through the barrier
    "open": (OpenJunction, {}),  # a dead die: no contact
}

#: ``dut.engine`` of the models that have more than one: the fast event-driven engine (default) or the sLLGS
ENGINES: dict[type, dict[str, type]] = {PerpendicularMTJ: {"fast": PerpendicularMTJ,
                                                            "macrospin": MacrospinPerpendicularMTJ}}

#: Physics parameter dataclasses that adapters taking ``**params`` pass their extra keywords to.
_PHYSICS_PARAMS: dict[type, type] = {OscillatorDevice: STNOParams, DomainWallDevice: DomainWallParams,
                                     ArrayDevice: CrossbarParams}

#: Resistance-noise parameters every two-terminal DUT takes (:mod:`mtjhw.simulators.physics.resistance_noise`).
_NOISE_PARAMETERS = [f.name for f in dataclasses.fields(ResistanceNoiseParams)]


def model_parameters(model: str) -> list[str]:
    """Names ``dut:`` may set for ``model``."""
    cls, _ = MODELS[model]
    names = [n for n, p in inspect.signature(cls).parameters.items() if p.kind is not p.VAR_KEYWORD]
    if cls in ENGINES:
        names.append("engine")
    if cls in _PHYSICS_PARAMS:
        names += [f.name for f in dataclasses.fields(_PHYSICS_PARAMS[cls])]
    if issubclass(cls, TwoTerminalDevice):
        names += _NOISE_PARAMETERS
    return names


def build_dut(config: dict[str, Any]) -> Any:
    """A device model from a bench file's ``dut:`` mapping (``model`` plus parameters; ``seed`` also seeds
    the device-to-device variability of models that have one)."""
    config = dict(config or {})
    model = config.pop("model", "pmtj")
    seed = config.pop("seed", None)
    if model not in MODELS:
        raise DutConfigError(f"dut.model: unknown model {model!r}; known models: {', '.join(sorted(MODELS))}")
    cls, defaults = MODELS[model]
    allowed = set(model_parameters(model))
    engine = config.pop("engine", "fast")
    if engine != "fast" and engine not in ENGINES.get(cls, {}):
        known = ", ".join(ENGINES.get(cls, {"fast": cls}))
        raise DutConfigError(f"dut.engine: unknown engine {engine!r} for model {model!r}; known: {known}")
    cls = ENGINES.get(cls, {}).get(engine, cls)
    kwargs: dict[str, Any] = dict(defaults)
    if seed is not None and "seed" in allowed:
        kwargs["seed"] = seed
    for key, value in config.items():
        if key not in allowed:
            raise DutConfigError(f"dut.{key}: not a parameter of model {model!r}; "
                                 f"its parameters are {', '.join(sorted(allowed))}")
        if key == "state":
            if value not in (1, -1, "P", "AP"):
                raise DutConfigError("dut.state: must be P, AP, +1 or -1")
            kwargs[key] = {"P": 1, "AP": -1}.get(value, value)
            continue
        if key == "field_axis":  # which axis the bench magnet's field lies along (sot-mtj)
            if value not in ("x", "z"):
                raise DutConfigError("dut.field_axis: must be x (in-plane, along the write current) or z")
            kwargs[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise DutConfigError(f"dut.{key}: expected a number in SI units, got {value!r}")
        if key in _INTEGER_PARAMETERS and not float(value).is_integer():
            raise DutConfigError(f"dut.{key}: must be an integer (got {value!r})")
        low, high, unit = PLAUSIBLE.get(key, (-math.inf, math.inf, ""))
        if not low <= value <= high:
            raise DutConfigError(f"dut.{key} = {value!r} is outside the plausible range {low:g}..{high:g} {unit} "
                                 "(bench files use SI units: tesla, ampere, volt, ohm, second, kelvin)")
        kwargs[key] = int(value) if key in _INTEGER_PARAMETERS else float(value)
    noise = {key: kwargs.pop(key) for key in _NOISE_PARAMETERS if key in kwargs}
    try:
        dut = cls(**kwargs)
        if noise:
            dut.resistance_noise = ResistanceNoise(ResistanceNoiseParams(**noise))
        return dut
    except ValueError as exc:
        raise DutConfigError(f"dut: {exc}") from None
