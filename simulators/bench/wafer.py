"""A simulated wafer: a grid of dies whose devices vary across the wafer like a real deposition and etch.

Each die's device is the bench's nominal ``dut:`` with its parameters scaled by
``1 + radial·(r/R)² + wedge_x·x/D + wedge_y·y/D`` (the RA/TMR roll-off towards the edge, a thickness wedge across
the diameter ``D``) and a die-to-die lognormal factor ``exp(σ·z)``. The free layer's thermal stability follows its
anisotropy (Δ ∝ Hk at a fixed volume): Δ takes Hk's across-wafer factor on top of its own. A fraction of the dies
is shorted (pinholes in the barrier) or open (no contact, a broken via). Every draw comes from
(``seed``, column, row), so a die is the same whatever order the dies are visited in.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .models import MODELS, PLAUSIBLE, DutConfigError, build_dut

#: random streams of a die, apart from each other
_SPREAD_STREAM, _DEFECT_STREAM, _SEED_STREAM = 0x5D, 0xDE, 0x5E
#: parameters that follow Hk's across-wafer factor (thermal stability Δ = Ms·Hk·V / 2kBT)
_FOLLOW_HK = ("delta",)
DEFECTS = ("short", "open")


@dataclass(frozen=True)
class Die:
    """One die: its grid ``column`` and ``row`` and its centre (``x``, ``y``, m) from the wafer centre."""

    column: int
    row: int
    x: float
    y: float

    @property
    def label(self) -> str:
        """Name used in directory names and the database, e.g. ``C03R07``."""
        return f"C{self.column:02d}R{self.row:02d}"


@dataclass(frozen=True)
class WaferSpec:
    """Geometry and variation of a wafer (SI units): ``diameter`` m, ``die_pitch`` m, ``edge_exclusion`` m;
    ``gradients`` parameter → {"radial": fraction at the edge relative to the centre, "wedge_x"/"wedge_y": fraction
    across the diameter}; ``spread`` parameter → relative σ die to die; ``short_fraction``, ``open_fraction`` of the
    dies; ``seed`` of every draw; ``name`` the wafer's identity (e.g. its lot and slot, "W7")."""

    diameter: float = 0.1
    die_pitch: float = 5e-3
    edge_exclusion: float = 3e-3
    gradients: dict[str, dict[str, float]] = field(default_factory=dict)
    spread: dict[str, float] = field(default_factory=dict)
    short_fraction: float = 0.0
    open_fraction: float = 0.0
    seed: int = 0
    name: str | None = None

    def __post_init__(self) -> None:
        if not 0.01 <= self.diameter <= 0.45:
            raise ValueError(f"wafer.diameter = {self.diameter!r} m is outside 0.01..0.45 m")
        if not 1e-4 <= self.die_pitch <= self.diameter / 2:
            raise ValueError(f"wafer.die_pitch = {self.die_pitch!r} m is outside 1e-4 m..diameter/2")
        if not 0 <= self.edge_exclusion < self.diameter / 2 - self.die_pitch:
            raise ValueError(f"wafer.edge_exclusion = {self.edge_exclusion!r} m leaves no die on the wafer")
        fractions = (self.short_fraction, self.open_fraction)
        if min(fractions) < 0 or sum(fractions) > 1:
            raise ValueError("wafer.short_fraction and wafer.open_fraction must be >= 0 and sum to <= 1")
        for name, terms in self.gradients.items():
            unknown = set(terms) - {"radial", "wedge_x", "wedge_y"}
            if unknown:
                raise ValueError(f"wafer.gradients.{name}: unknown terms {sorted(unknown)} "
                                 "(radial, wedge_x, wedge_y)")
        for name, sigma in self.spread.items():
            if not 0 <= sigma <= 1:
                raise ValueError(f"wafer.spread.{name} = {sigma!r} is outside 0..1 (relative σ)")

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> WaferSpec:
        """The spec of a bench file's ``wafer:`` mapping (its keys are the fields; the error names a bad key)."""
        known = set(inspect.signature(cls).parameters)
        unknown = set(mapping) - known
        if unknown:
            raise ValueError(f"wafer: unknown keys {sorted(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**mapping)

    @property
    def radius(self) -> float:
        """Radius (m) inside which a die lies wholly to be testable."""
        return self.diameter / 2 - self.edge_exclusion

    @property
    def columns(self) -> int:
        """Columns (and rows) of the die grid that spans the testable disc."""
        return int(2 * self.radius // self.die_pitch)

    rows = columns


def _uniform(seed: int, die: Die, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, die.column, die.row, stream])


class VirtualWafer:
    """The dies of ``spec`` with devices of the ``nominal`` bench ``dut:`` mapping, varied per die."""

    def __init__(self, spec: WaferSpec, nominal: dict[str, Any]) -> None:
        self.spec = spec
        self.nominal = dict(nominal or {})
        model = self.nominal.get("model", "pmtj")
        if model not in MODELS:
            raise DutConfigError(f"dut.model: unknown model {model!r}")
        defaults = {name: p.default for name, p in inspect.signature(MODELS[model][0]).parameters.items()
                    if isinstance(p.default, (int, float)) and not isinstance(p.default, bool)}
        self._base = {**defaults, **MODELS[model][1], **self.nominal}
        varied = set(spec.gradients) | set(spec.spread)
        missing = sorted(varied - {k for k, v in self._base.items() if isinstance(v, (int, float))})
        if missing:
            raise ValueError(f"wafer: {', '.join(missing)} vary across the wafer but are not numeric parameters "
                             f"of dut.model {model!r}")
        self._dies = self._grid()
        self._by_index = {(d.column, d.row): d for d in self._dies}

    def _grid(self) -> list[Die]:
        n, pitch, radius = self.spec.columns, self.spec.die_pitch, self.spec.radius
        dies = []
        for row in range(n):
            for column in range(n):
                x, y = (column - (n - 1) / 2) * pitch, ((n - 1) / 2 - row) * pitch
                corner = math.hypot(abs(x) + pitch / 2, abs(y) + pitch / 2)
                if corner <= radius:
                    dies.append(Die(column, row, x, y))
        return dies

    def dies(self) -> list[Die]:
        """The testable dies, row by row (top row first), each row left to right."""
        return list(self._dies)

    def die(self, column: int, row: int) -> Die:
        """The die at (``column``, ``row``); refused when it is not on the wafer map."""
        try:
            return self._by_index[(column, row)]
        except KeyError:
            raise ValueError(f"no die at column {column}, row {row} on the wafer map") from None

    def defect(self, die: Die) -> str | None:
        """``"short"`` (pinholes), ``"open"`` (no contact) or None for a working die."""
        u = _uniform(self.spec.seed, die, _DEFECT_STREAM).random()
        if u < self.spec.short_fraction:
            return "short"
        if u < self.spec.short_fraction + self.spec.open_fraction:
            return "open"
        return None

    def gradient(self, die: Die, name: str) -> float:
        """Across-wafer factor of parameter ``name`` at ``die`` (1 at the centre)."""
        terms = self.spec.gradients.get(name, {})
        r2 = (die.x ** 2 + die.y ** 2) / (self.spec.diameter / 2) ** 2
        factor = 1 + terms.get("radial", 0.0) * r2 + (terms.get("wedge_x", 0.0) * die.x
                                                       + terms.get("wedge_y", 0.0) * die.y) / self.spec.diameter
        if name in _FOLLOW_HK and "hk" in self.spec.gradients:
            factor *= self.gradient(die, "hk")
        return factor

    def true_parameters(self, die: Die) -> dict[str, float]:
        """What the die's device really has: every numeric parameter of the nominal model, varied."""
        z = _uniform(self.spec.seed, die, _SPREAD_STREAM).standard_normal(len(self._numeric()))
        values = {}
        for k, name in enumerate(self._numeric()):
            value = float(self._base[name])
            if name in self.spec.gradients or (name in _FOLLOW_HK and "hk" in self.spec.gradients):
                value *= self.gradient(die, name)
            if name in self.spec.spread:
                value *= math.exp(self.spec.spread[name] * z[k])
            values[name] = self._clipped(name, value)
        return values

    def _numeric(self) -> list[str]:
        return sorted(k for k, v in self._base.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                      and k != "seed" and math.isfinite(v))

    @staticmethod
    def _clipped(name: str, value: float) -> float:
        low, high, _ = PLAUSIBLE.get(name, (-math.inf, math.inf, ""))
        return min(max(value, low), high)

    def die_seed(self, die: Die) -> int:
        """The die's own device seed, from the wafer's seed and its position."""
        return int(np.random.SeedSequence([self.spec.seed, die.column, die.row, _SEED_STREAM]).generate_state(1)[0])

    def dut_config(self, die: Die) -> dict[str, Any]:
        """A complete ``dut:`` mapping for the die: its varied parameters and its own seed, or for a defective die
        ``model: short`` (at the nominal ``r_short``) or ``model: open``."""
        defect = self.defect(die)
        if defect == "short":
            return {"model": "short", "r_short": float(self._base.get("r_short", 150.0)), "seed": self.die_seed(die)}
        if defect == "open":
            return {"model": "open", "seed": self.die_seed(die)}
        config = dict(self.nominal)
        varied = set(self.spec.gradients) | set(self.spec.spread)
        if "hk" in self.spec.gradients:
            varied |= set(_FOLLOW_HK) & set(self._base)
        truth = self.true_parameters(die)
        config.update({name: truth[name] for name in sorted(varied)})
        config["seed"] = self.die_seed(die)
        return config

    def build(self, die: Die) -> Any:
        """The die's device (:func:`~mtjhw.simulators.bench.models.build_dut` of :meth:`dut_config`)."""
        return build_dut(self.dut_config(die))
