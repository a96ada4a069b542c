"""Catalogue of device models for the virtual bench: ``dut.model`` name → class, parameters, units.

``create(model, params, n, rng)`` builds a device from the bench file's parameter names (unknown names are
rejected with the list of allowed ones). Every model documents its parameters in its ``*Params`` dataclass;
:func:`parameters` lists them with defaults.

- ``pmtj`` / ``smtj`` (Δ = 45 / 5 by default): :class:`~.telegraph.TelegraphMTJ`: ``advance(duration, rng,
  current | voltage, field)``, ``apply_pulse``, ``resistance(voltage)``; switching sampled event by event
  (Néel–Brown with a fixed τ0, or, with ``alpha``, the macrospin's Fokker–Planck reduction in every regime).
- ``macrospin``: :class:`~.macrospin.Macrospin`: ``advance`` / ``run`` (sLLGS), ``resistance(m, voltage)``.
- ``stno``: :class:`~.stno.STNO`: ``psd(f, current, field)``, ``simulate``, ``diode_voltage(f, field, P_rf)``.
- ``dw-synapse``: :class:`~.synapse.DomainWallSynapse`: ``apply_pulse(amplitude, width, rng)``,
  ``conductance``.
- ``compound-synapse``: :class:`~.synapse.CompoundSynapse`: ``apply_pulse``, ``conductance``.
- ``array``: :class:`~.crossbar.CrossbarArray`: ``write`` / ``program``, ``read_series_columns``,
  ``read_parallel_columns``, ``charging_times``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .crossbar import CrossbarArray, CrossbarParams
from .macrospin import Macrospin, MacrospinParams
from .stno import STNO, STNOParams
from .synapse import CompoundParams, CompoundSynapse, DomainWallParams, DomainWallSynapse
from .telegraph import TelegraphMTJ, TelegraphParams

#: model name → parameter dataclass
PARAMS = {
    "pmtj": TelegraphParams,
    "smtj": TelegraphParams,
    "macrospin": MacrospinParams,
    "stno": STNOParams,
    "dw-synapse": DomainWallParams,
    "compound-synapse": CompoundParams,
    "array": CrossbarParams,
}

#: defaults that differ from the dataclass defaults
_MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "pmtj": {"delta": 45.0},
    "smtj": {"delta": 5.0},
}


def parameters(model: str) -> dict[str, Any]:
    """Parameter names of ``model`` with their defaults (units in the dataclass field comments)."""
    cls = _params_class(model)
    out = {f.name: f.default for f in dataclasses.fields(cls)}
    out.update(_MODEL_DEFAULTS.get(model, {}))
    return out


def _params_class(model: str):
    if model not in PARAMS:
        raise ValueError(f"unknown model {model!r}; choose one of {sorted(PARAMS)}")
    return PARAMS[model]


def create(
    model: str,
    params: dict[str, Any] | None = None,
    n: int = 1,
    rng: np.random.Generator | None = None,
    shape: tuple[int, int] = (8, 8),
):
    """Build ``n`` devices of ``model`` (``shape`` = (rows, cols) for ``array``) from named parameters."""
    cls = _params_class(model)
    values = dict(_MODEL_DEFAULTS.get(model, {}))
    values.update(params or {})
    allowed = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for model {model!r}; allowed: {sorted(allowed)}")
    p = cls(**values)
    if model in ("pmtj", "smtj"):
        return TelegraphMTJ(p, n=n)
    if model == "macrospin":
        return Macrospin(p, n=n)
    if model == "stno":
        return STNO(p)
    if model == "dw-synapse":
        return DomainWallSynapse(p, n=n, rng=rng)
    if model == "compound-synapse":
        return CompoundSynapse(p, n=n, rng=rng)
    return CrossbarArray(shape[0], shape[1], p, rng=rng)
