"""Bench files (YAML): parsing, and validation by the bench file's schema (:mod:`mtjhw.bench_schema`), into a
:class:`BenchConfig`.

All the problems of a file are reported in one :class:`BenchConfigError`, one line each, naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mtjhw.instruments.safety import SafetyLimits

if TYPE_CHECKING:
    from .bench_schema import BenchFile


class BenchConfigError(ValueError):
    """A bench file is malformed: the message names the key and what was expected."""


class _BenchLoader(yaml.SafeLoader):
    """YAML with the numbers of YAML 1.2 (and of people): ``1e9``, ``2.0e9``, ``-5e-3`` are floats, where YAML 1.1
    (PyYAML's default) reads a number without a dot or an exponent sign as a string."""


_BenchLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
    list("-+0123456789."))


#: Far deeper than a bench file nests (four levels), far shallower than Python's recursion limit.
_MAX_DEPTH = 32


def _too_deep(data: Any) -> bool:
    """Whether ``data`` nests lists or mappings deeper than :data:`_MAX_DEPTH` (each one counted once)."""
    seen, stack = set(), [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (dict, list)) or id(node) in seen:
            continue
        if depth > _MAX_DEPTH:
            return True
        seen.add(id(node))
        stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


@dataclass(frozen=True)
class InstrumentConfig:
    """One instrument of a bench: its VISA resource (None: the twin's own, on a simulated bench) and what its driver
    gets besides (VISA settings, constructor options, and ``coil_constant`` in T/A for the magnet)."""

    role: str
    driver: str
    resource: str | None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchConfig:
    """A bench file, validated (SI units): read one with :meth:`load`, or check a mapping with :meth:`from_dict`."""

    name: str
    simulated: bool
    safety: SafetyLimits
    dut: dict[str, Any]
    instruments: dict[str, InstrumentConfig]
    seed: int | None = None
    realtime: bool = False
    #: the ``wafer:`` mapping of a simulated wafer (SI units), None without one
    wafer: dict[str, Any] | None = None

    @classmethod
    def load(cls, path: str | Path) -> BenchConfig:
        """The bench of the YAML file at ``path``."""
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
        except ValueError as exc:  # a value YAML reads but Python cannot hold: a 5000-digit number, a 13th month
            raise BenchConfigError(f"{path}: not valid YAML: {str(exc).split(';')[0]}") from None
        except RecursionError:
            raise BenchConfigError(f"{path}: nested too deeply to be a bench file") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "bench") -> BenchConfig:
        """The bench of a bench file's contents; every problem in it is one line of the :class:`BenchConfigError`."""
        if not isinstance(data, dict):
            raise BenchConfigError(f"{source}: expected a mapping of bench settings, got {type(data).__name__}")
        if _too_deep(data):
            raise BenchConfigError(f"{source}: nested too deeply to be a bench file")
        from .bench_schema import validate  # pydantic is imported when a bench file is read, not for `mtjhw --help`

        bench, problems = validate(data)
        if bench is None:
            raise BenchConfigError(problems[0] if len(problems) == 1 else
                                   f"{source}: {len(problems)} problems\n" + "\n".join(f"  {p}" for p in problems))
        return cls._from_model(bench, source)

    @classmethod
    def _from_model(cls, bench: BenchFile, source: str) -> BenchConfig:
        entries = bench.instruments.entries() if bench.instruments is not None else {}
        instruments = {role: InstrumentConfig(role, entry.driver, entry.resource, entry.options())
                       for role, entry in entries.items()}
        safety = SafetyLimits(**bench.safety.model_dump(exclude_none=True))
        seed = bench.seed if bench.seed is not None else bench.dut.seed
        name = bench.name if bench.name is not None else Path(source).stem
        wafer = bench.wafer.model_dump(exclude_none=True) if bench.wafer is not None else None
        return cls(name, bench.simulated, safety, bench.dut.model_dump(exclude_none=True), instruments, seed,
                   bench.realtime, wafer)
