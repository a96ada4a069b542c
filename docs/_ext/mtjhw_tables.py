"""The generated reference's content, from the code: the rows of every table (instruments, procedures, bench file,
register map), the CLI parser with every command, and the modules of the API pages.

Plain functions without Sphinx, rendered by :mod:`mtjhw_reference`; ``tests/docs/test_reference.py`` checks that
no row is ever dropped.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The packages whose modules get an API page; a module with a ``_`` name part is private.
API_PACKAGES = ("mtjhw", "mtjhw.instruments", "mtjhw.simulators", "mtjhw.gateware")
#: Packages that are not an API: the alembic environment runs migrations when imported.
API_EXCLUDED = ("mtjhw.database.migrations",)
#: The accelerator's register blocks: the map's 256-byte pages.
REGISTER_BLOCKS = {0x0: "Identification", 0x1: "Training engine", 0x2: "Readout and TDC"}


@dataclass(frozen=True)
class Table:
    """A titled table: a header row and rows of cell text (backquoted spans become literals)."""

    title: str
    description: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


def api_modules() -> list[str]:
    """Every public module of :data:`API_PACKAGES`, sorted."""
    names = set(API_PACKAGES)
    for package in API_PACKAGES:
        path = importlib.import_module(package).__path__
        names.update(info.name for info in pkgutil.walk_packages(path, f"{package}."))
    return sorted(n for n in names if not any(p.startswith("_") for p in n.split("."))
                  and not any(n == x or n.startswith(f"{x}.") for x in API_EXCLUDED))


# --- CLI ---------------------------------------------------------------------------------------------------------

def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices if actions else {}


def _rst_help(text: str | None) -> str | None:
    """Plain help text as reST: backquoted spans as literals, ``*`` and ``|`` as themselves (``*IDN?``)."""
    if not text:
        return text
    parts = re.split(r"`([^`]+)`", text)
    return "".join(f"``{p}``" if k % 2 else p.replace("*", r"\*").replace("|", r"\|") for k, p in enumerate(parts))


def _help_as_rst(parser: argparse.ArgumentParser) -> None:
    parser.description, parser.epilog = _rst_help(parser.description), _rst_help(parser.epilog)
    for action in parser._actions:
        action.help = _rst_help(action.help)
        for choice in getattr(action, "_choices_actions", []):
            choice.help = _rst_help(choice.help)
    for sub in _subparsers(parser).values():
        _help_as_rst(sub)


def cli_parser() -> argparse.ArgumentParser:
    """The ``mtjhw`` parser with every lazily built command (:data:`mtjhw.cli.LAZY_COMMANDS`) expanded, its help
    texts as reST."""
    from mtjhw.cli import LAZY_COMMANDS, build_parser

    parser = build_parser()
    commands = _subparsers(parser)
    for name in LAZY_COMMANDS:
        commands[name] = _subparsers(build_parser(name))[name]
    _help_as_rst(parser)
    return parser


def cli_commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """Every command path of ``parser`` (``bench check`` …), depth first."""
    paths = []
    for name, sub in _subparsers(parser).items():
        paths += [f"{prefix}{name}", *cli_commands(sub, f"{prefix}{name} ")]
    return paths


# --- instruments -------------------------------------------------------------------------------------------------

def _path(cls: type) -> str:
    return f"`{cls.__module__}.{cls.__qualname__}`"


def instrument_tables() -> list[Table]:
    """The supported instruments, one row per registration (:data:`mtjhw.registry.REGISTRY`)."""
    from mtjhw.registry import REGISTRY

    rows = [(f"`{r.name}`", r.model, ", ".join(sorted(r.roles)), _path(r.driver), _path(r.twin), f"`{r.resource}`",
             ", ".join(f"`{p}`" for p in r.third_party) or "plain SCPI/TSP from the manual")
            for r in REGISTRY.values()]
    header = ("driver", "instrument", "roles", "mtjhw driver", "twin", "twin's resource",
              "third-party drivers verified against the twin")
    return [Table("", "", header, rows)]


# --- procedures --------------------------------------------------------------------------------------------------

def summary_text(cls: type) -> str:
    """The first paragraph of ``cls``'s docstring on one line, roles reduced to code (:func:`x` → ``x``)."""
    paragraph = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    text = re.sub(r":[\w:]+:`~?([^`]+)`", r"`\1`", paragraph).replace("``", "`")
    return " ".join(text.split())


def _parameter_row(key: str, param: Any) -> tuple[str, ...]:
    kind = type(param).__name__.removesuffix("Parameter").lower()
    limits = [f"≥ {param.minimum:g}" if getattr(param, "minimum", None) is not None else "",
              f"≤ {param.maximum:g}" if getattr(param, "maximum", None) is not None else ""]
    choices = getattr(param, "choices", None)
    allowed = ", ".join(f"`{c}`" for c in choices) if choices else ", ".join(x for x in limits if x)
    return f"`{key}`", param.name, kind, f"`{param.default}`", getattr(param, "units", None) or "", allowed


def procedure_tables() -> list[Table]:
    """Per registered procedure (:data:`mtjhw.procedures.PROCEDURES`): its parameters (``--set`` keys), then its
    summary keys with their units."""
    from mtjhw.procedures import PROCEDURES

    tables = []
    for name, cls in sorted(PROCEDURES.items()):
        params = [_parameter_row(k, p) for k, p in cls().parameter_objects().items() if k != "bench_file"]
        tables.append(Table(name, summary_text(cls), ("key", "parameter", "type", "default", "unit", "allowed"),
                            params))
        keys = [(f"`{k}`", unit) for k, unit in cls.summary_keys.items()]
        tables.append(Table("", "Summary keys (``summary.json``)", ("key", "unit"), keys))
    return tables


# --- register map ------------------------------------------------------------------------------------------------

def register_tables() -> list[Table]:
    """The accelerator's register map (:func:`mtjhw.gateware.top.register_map` of the default build), one table
    per block: each register's row, then one row per field."""
    from mtjhw.gateware.top import DEFAULT_CONFIG, register_map

    blocks: dict[int, list[tuple[str, ...]]] = {}
    for r in sorted(register_map(DEFAULT_CONFIG).registers, key=lambda r: r.offset):
        access = r.access + (", write acts" if r.on_write else "") + (", read pops" if r.on_read else "")
        reset = f"`{r.reset:#x}`" if r.access == "rw" else "—"
        rows = blocks.setdefault(r.offset >> 8, [])
        rows.append((f"`{r.offset:#05x}`", f"`{r.name}`", "", "", access, reset, r.description))
        for f in sorted(r.fields, key=lambda f: f.at):
            rows.append(("", "", f"`{f.name}`", f.bits + (" signed" if f.signed else ""), r.access,
                         f"`{f.reset}`" if r.access == "rw" else "—", f.description))
    header = ("offset", "register", "field", "bits", "access", "reset", "description")
    return [Table(REGISTER_BLOCKS.get(page, f"Block {page << 8:#05x}"), f"Offsets {page << 8:#05x}–"
                  f"{(page << 8) + 0xFF:#05x}.", header, rows) for page, rows in sorted(blocks.items())]


# --- bench file --------------------------------------------------------------------------------------------------

def _type(prop: dict[str, Any]) -> str:
    """A JSON Schema property's type, as people read it."""
    if "$ref" in prop:
        return "section"
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if "oneOf" in prop:
        return "driver entry"
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if isinstance(prop.get("additionalProperties"), dict):
        return f"mapping: name → {_type(prop['additionalProperties'])}"
    return prop.get("type", "any")


def _range(prop: dict[str, Any]) -> str:
    bounds = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
    for part in [prop, *prop.get("anyOf", []), prop.get("additionalProperties") or {}]:
        found = [f"{sign} {part[key]:g}" for key, sign in bounds.items() if key in part]
        if found:
            return ", ".join(found)
    return ""


def _property_rows(properties: dict[str, Any], units: Callable[[str, dict], str]) -> list[tuple[str, ...]]:
    rows = []
    for key, prop in properties.items():
        unit = units(key, prop)
        description = prop.get("description", "").removesuffix(f" ({unit})")
        default = f"`{prop['default']}`".lower() if "default" in prop else ""
        rows.append((f"`{key}`", _type(prop), _range(prop), default, unit, description))
    return rows


def _schema_unit(key: str, prop: dict[str, Any]) -> str:
    return prop.get("unit", "")


BENCH_HEADER = ("key", "type", "range", "default", "unit", "description")


def bench_tables() -> list[Table]:
    """The bench file's sections and keys, from its published JSON Schema
    (:func:`mtjhw.bench_schema.bench_json_schema`): the top level, each section, the roles, the keys of every
    instrument entry, and the options particular to each driver."""
    from mtjhw.bench_schema import ENTRIES, InstrumentEntry, MagnetEntry, bench_json_schema
    from mtjhw.simulators.bench.models import PLAUSIBLE

    schema = bench_json_schema()
    defs = schema["$defs"]

    def section(title: str, name: str, units: Callable[[str, dict], str] = _schema_unit) -> Table:
        return Table(title, defs[name].get("description", ""), BENCH_HEADER,
                     _property_rows(defs[name]["properties"], units))

    tables = [Table("Top level", schema["description"], BENCH_HEADER,
                    _property_rows(schema["properties"], _schema_unit)),
              section("safety", "Safety"),
              section("dut", "Dut", lambda key, prop: PLAUSIBLE[key][2] if key in PLAUSIBLE else ""),
              section("wafer", "Wafer"), section("wafer.gradients.<parameter>", "Gradient")]
    roles = [(f"`{role}`", prop["description"], ", ".join(f"`{d}`" for d in prop["discriminator"]["mapping"]))
             for role, prop in defs["Instruments"]["properties"].items()]
    tables.append(Table("instruments", "The bench's instruments by role; each entry names its ``driver``.",
                        ("role", "what it is", "drivers"), roles))
    common = set(InstrumentEntry.model_fields)
    entry = {**InstrumentEntry.model_json_schema()["properties"], **MagnetEntry.model_json_schema()["properties"]}
    tables.append(Table("instruments.<role>", "The keys of every instrument entry (``coil_constant`` only in the "
                        "magnet roles).", BENCH_HEADER, _property_rows(entry, _schema_unit)))
    options = [(f"`{role}`", f"`{driver}`", *row) for (role, driver), model in ENTRIES.items()
               for row in _property_rows({k: v for k, v in defs[model.__name__]["properties"].items()
                                          if k not in common and k != "coil_constant"}, _schema_unit)]
    tables.append(Table("Driver options", "Constructor options of a driver that its entry may set, besides the keys "
                        "above.", ("role", "driver", *BENCH_HEADER), options))
    return tables


#: What ``mtjhw-table`` renders, by its argument.
TABLES: dict[str, Callable[[], list[Table]]] = {
    "instruments": instrument_tables, "procedures": procedure_tables, "registers": register_tables,
    "bench-file": bench_tables}


def api_pages() -> dict[str, list[str]]:
    """:func:`api_modules` by package: one API page each (a page per module would make the sidebar, which every
    page repeats, quadratic in the number of modules)."""
    pages: dict[str, list[str]] = {}
    for name in api_modules():
        package = name if hasattr(importlib.import_module(name), "__path__") else name.rsplit(".", 1)[0]
        pages.setdefault(package, []).append(name)
    return pages
