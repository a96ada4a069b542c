"""The schema of bench files: a typed model of what a bench file may say, its problems in the bench file's own
words, and the JSON Schema that editors complete and check bench files with.

The instrument entries are generated from :data:`~mtjhw.instruments.roles.ROLES` and
:data:`~mtjhw.registry.REGISTRY` (one entry per role and driver that fills it), the ``dut:`` description from the
DUT catalogue (which also checks the parameters), so that a new instrument, role or DUT model needs no change here.
:class:`~mtjhw.config.BenchConfig` is built from :func:`validate`'s model.
"""

import functools
import inspect
import json
import operator
import reprlib
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import ErrorDetails

from mtjhw.instruments.roles import ROLES
from mtjhw.simulators.bench.models import ENGINES, MODELS, PLAUSIBLE, DutConfigError, build_dut, model_parameters

from .registry import REGISTRY, Registration

#: The published JSON Schema (kept equal to :func:`schema_text` by a test; regenerate with
#: ``mtjhw bench schema > mtjhw/bench.schema.json``).
SCHEMA_FILE = Path(__file__).parent / "bench.schema.json"

#: The virtual instruments a simulated bench gets when its file has no ``instruments:`` section, and those its
#: DUT model adds (a switch matrix for an ``array``; an RF source, a spectrum analyzer and a lock-in for an ``stno``).
DEFAULT_SIMULATED_INSTRUMENTS: dict[str, dict[str, Any]] = {
    "smu": {"driver": "keithley2450"},
    "magnet": {"driver": "kepco-bop", "coil_constant": 0.03},
    "gaussmeter": {"driver": "lakeshore425"},
    "pulser": {"driver": "keysight81160a"},
    "scope": {"driver": "keysight-dsox3000"},
}
_INSTRUMENTS_OF_MODEL: dict[str, dict[str, dict[str, Any]]] = {
    "array": {"switch": {"driver": "keithley707b"}},
    "stno": {"rf": {"driver": "keysight-n5183b"}, "analyzer": {"driver": "keysight-n9010b"},
             "lockin": {"driver": "sr830"}},
}
#: Sections that a file may leave empty (``safety:`` with nothing after it): empty is absent.
_SECTIONS = ("safety", "dut", "instruments")


class _Section(BaseModel):
    """A mapping in a bench file: only the declared keys, values of exactly the declared type, finite numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _setting(description: str, unit: str = "", **constraints: Any) -> Any:
    """A setting that is not set (None) when absent; ``unit`` goes into the description, the schema and errors."""
    return Field(None, description=f"{description} ({unit})" if unit else description,
                 json_schema_extra={"unit": unit} if unit else None, **constraints)


def _limit(description: str, unit: str, plausible: float) -> Any:
    """A safety limit: positive, and at most ``plausible`` (beyond it a limit protects nothing: a unit mistake)."""
    return _setting(description, unit, gt=0, le=plausible)


class Safety(_Section):
    """Device-safe limits, enforced before any command reaches an instrument; an absent limit imposes nothing."""

    max_voltage: float = _limit("Largest |voltage| across the DUT", "V", 1e3)
    max_current: float = _limit("Largest |current| through the DUT", "A", 10.0)
    max_field: float = _limit("Largest |field| at the DUT", "T", 30.0)
    field_ramp_rate: float = _limit("Fastest ramp of the magnet's field", "T/s", 100.0)
    max_rf_power: float = _limit("Largest microwave power out of a source", "W", 10.0)
    max_temperature: float = _limit("Highest temperature of the sample stage", "K", 2000.0)
    min_angle: float = _setting("Smallest angle of the rotation stage (below max_angle)", "rad", ge=-100.0, le=100.0)
    max_angle: float = _setting("Largest angle of the rotation stage", "rad", ge=-100.0, le=100.0)


class Gradient(_Section):
    """How a DUT parameter varies across the wafer, relative to its value at the centre."""

    radial: float = _setting("Fraction by which it differs at the edge (∝ (r/R)²)", ge=-0.9, le=9.0)
    wedge_x: float = _setting("Fraction by which it changes across the diameter along x", ge=-0.9, le=0.9)
    wedge_y: float = _setting("Fraction by which it changes across the diameter along y", ge=-0.9, le=0.9)


class Wafer(_Section):
    """A simulated wafer whose dies a virtual prober steps (only with simulated: true; SI units)."""

    name: str = _setting("Identity of the wafer (e.g. W7), recorded with every die's runs")
    diameter: float = _setting("Wafer diameter (default 0.1)", "m", ge=0.01, le=0.45)
    die_pitch: float = _setting("Die pitch (default 5e-3)", "m", ge=1e-4, le=0.1)
    edge_exclusion: float = _setting("Rim without testable dies (default 3e-3)", "m", ge=0.0, le=0.1)
    gradients: dict[str, Gradient] = _setting("DUT parameter → its variation across the wafer")
    spread: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = _setting(
        "DUT parameter → relative σ of its die-to-die (lognormal) spread")
    short_fraction: float = _setting("Fraction of dies shorted by pinholes", ge=0.0, le=1.0)
    open_fraction: float = _setting("Fraction of dies without contact (open)", ge=0.0, le=1.0)
    seed: int = _setting("Seed of the wafer's variation (default 0)", ge=0)


class InstrumentEntry(_Section):
    """One instrument: its driver, its VISA resource and the VISA settings of the connection."""

    driver: str
    resource: str = _setting("VISA resource, e.g. GPIB0::6::INSTR or TCPIP::10.0.0.5::5025::SOCKET (required "
                             "when simulated is false; a simulated bench answers at the twin's own)")
    timeout: float = _setting("VISA timeout", "ms", gt=0)
    query_delay: float = _setting("Wait between a query's write and its read", "s", ge=0)
    read_termination: str = _setting("Characters that end a reply, e.g. \"\\n\"")
    write_termination: str = _setting("Characters that end a command, e.g. \"\\n\"")
    visa_library: str = _setting("VISA backend, e.g. @py (default: pyvisa's choice)")
    encoding: str = _setting("Text encoding of the messages, e.g. ascii")
    baud_rate: int = _setting("Serial baud rate", "Bd", gt=0)
    data_bits: int = _setting("Serial data bits", gt=0)
    chunk_size: int = _setting("Size of one read", "bytes", gt=0)
    send_end: bool = _setting("Assert END (EOI) with the last byte of a write")

    def options(self) -> dict[str, Any]:
        """Everything the file sets besides the driver and the resource."""
        return self.model_dump(exclude={"driver", "resource"}, exclude_none=True)


class MagnetEntry(InstrumentEntry):
    """The supply of the electromagnet, with its field per ampere."""

    coil_constant: float = Field(0.03, gt=0, description="Field at the DUT per ampere of coil current (T/A)",
                                 json_schema_extra={"unit": "T/A"})


_OPTION_TYPES = {kind.__name__: kind for kind in (bool, int, float, str)}


def _constructor_options(driver: type) -> dict[str, Any]:
    """Parameters of a driver's constructor that a bench file may set: those of a type a file writes (a number,
    text, true or false), except the name (the bench's role names the instrument)."""
    parameters = inspect.signature(driver.__init__).parameters.values()
    kinds = {p.name: _OPTION_TYPES.get(str(getattr(p.annotation, "__name__", p.annotation))) for p in parameters}
    return {p.name: (kinds[p.name], _setting(f"Option of the driver (default {p.default})")) for p in parameters
            if kinds[p.name] is not None and p.name != "name" and p.default is not p.empty}


def _entry_model(role: str, registration: Registration) -> type[InstrumentEntry]:
    """The entry of ``registration``'s driver in the ``role`` it fills."""
    name = "".join(part.capitalize() for part in f"{role}-{registration.name}".replace("_", "-").split("-"))
    return create_model(name, __base__=MagnetEntry if role.startswith("magnet") else InstrumentEntry,
                        __doc__=f"{registration.model} as the {role}.",
                        driver=(Literal[registration.name], Field(description=registration.model)),
                        **_constructor_options(registration.driver))


#: The entry model of each (role, driver) pair a bench file may write.
ENTRIES: dict[tuple[str, str], type[InstrumentEntry]] = {
    (role, name): _entry_model(role, entry) for name, entry in REGISTRY.items() for role in sorted(entry.roles)}


class _Roles(_Section):
    """The bench's instruments by role; ``magnet`` and ``gaussmeter`` come together (field control)."""

    model_config = ConfigDict(json_schema_extra={"propertyNames": {"enum": list(ROLES)}})

    def entries(self) -> dict[str, InstrumentEntry]:
        """The roles the file fills, in the order of :data:`~mtjhw.instruments.roles.ROLES`."""
        return {role: getattr(self, role) for role in ROLES if getattr(self, role) is not None}


def _role_field(role: str) -> tuple[Any, Any]:
    """A role's entry: one of the drivers that fill it, told apart by ``driver``."""
    choices = functools.reduce(operator.or_, [model for (filled, _), model in ENTRIES.items() if filled == role])
    return Annotated[choices, Field(discriminator="driver")], Field(None, description=ROLES[role].description)


Instruments = create_model("Instruments", __base__=_Roles, **{role: _role_field(role) for role in ROLES})


def _dut_value(value: Any) -> Any:
    """A DUT parameter is a number or a name; which one, and its range, the DUT catalogue checks."""
    if value is not None and not isinstance(value, (bool, int, float, str)):
        raise ValueError(f"expected a number in SI units or a name, got {_shown(value)}")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise ValueError("a number too large for any device parameter")
    return value


def _dut_schema(schema: dict[str, Any]) -> None:
    """The DUT catalogue's models and parameters, with their units and plausible ranges, for editors."""
    used_by = {key: [m for m in MODELS if key in model_parameters(m)] for key in PLAUSIBLE}
    schema["properties"] = {
        "model": {"enum": list(MODELS), "description": "DUT model (default pmtj)"},
        "engine": {"enum": sorted({name for engines in ENGINES.values() for name in engines}),
                   "description": "engine of the models that have more than one (pmtj, smtj): fast (default, "
                                  "event-driven) or macrospin (the compiled sLLGS)"},
        "state": {"enum": ["P", "AP", 1, -1], "description": "initial state of a two-state junction"},
        "field_axis": {"enum": ["x", "z"], "description": "axis of the bench magnet's field (sot-mtj: x, in-plane "
                                                          "along the write current, default; or z)"},
        **schema["properties"],
        **{key: {"type": "number", "minimum": low, "maximum": high,
                 "description": f"plausible {low:g}..{high:g} {unit}; parameter of {', '.join(used_by[key])}"}
           for key, (low, high, unit) in PLAUSIBLE.items()}}


class Dut(BaseModel):
    """The device under test: its model and the model's parameters in SI units (of a simulated bench)."""

    model_config = ConfigDict(extra="allow", strict=True, json_schema_extra=_dut_schema)
    __pydantic_extra__: dict[str, Annotated[Any, AfterValidator(_dut_value)]]

    seed: int | None = Field(None, ge=0, description="Seed of the DUT's variability and of the bench (default "
                             "when there is no top-level seed)")


class BenchFile(_Section):
    """An mtjhw bench: its name, whether it is simulated, its safety limits, DUT and instruments (SI units)."""

    model_config = ConfigDict(title="mtjhw bench file")

    name: str = _setting("Name of the bench (default: the file's name)")
    simulated: bool = Field(True, description="true: virtual instruments and a simulated DUT; false: the real "
                            "instruments at their VISA resources")
    seed: int | None = Field(None, ge=0, description="Seed of every random draw of a simulated bench (default: "
                             "dut.seed; none: a new draw each time)")
    realtime: bool = Field(False, description="Simulated time follows wall time (for clients over TCP)")
    safety: Safety = Field(default_factory=Safety)
    dut: Dut = Field(default_factory=Dut)
    wafer: Wafer = _setting("A simulated wafer of dies of the DUT model, stepped by a virtual prober (role "
                            "prober, added unless instruments lists one)")
    instruments: Instruments = _setting("The instruments by role (a simulated bench without this section gets "
                                        "virtual ones for its DUT model)")

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        """Empty sections are absent; a simulated bench without instruments gets its DUT model's virtual ones."""
        if not isinstance(data, dict):
            return data
        data = {key: value for key, value in data.items() if value is not None or key not in _SECTIONS}
        if "instruments" not in data and data.get("simulated", True) is True:
            data["instruments"] = _default_instruments(data.get("dut"))
        if data.get("wafer") is not None and data.get("simulated", True) is True \
                and isinstance(data.get("instruments"), dict) and "prober" not in data["instruments"]:
            data["instruments"] = {**data["instruments"], "prober": {"driver": "mpi-sentio"}}
        return data


def _default_instruments(dut: Any) -> dict[str, dict[str, Any]]:
    """The virtual instruments of a simulated bench whose file lists none, for its ``dut:`` section."""
    model = dut.get("model") if isinstance(dut, dict) else None
    return {**DEFAULT_SIMULATED_INSTRUMENTS, **(_INSTRUMENTS_OF_MODEL.get(model, {}) if isinstance(model, str) else {})}


def validate(data: dict[str, Any]) -> tuple[BenchFile | None, list[str]]:
    """The bench file's model, or None and its problems: one line each, the dotted path first.

    Types and ranges of every key come first (all of them); the DUT parameters are checked when the ``dut:``
    section is well-formed, and the rules across keys when the whole file is."""
    try:
        bench = BenchFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=True)
        dut_ok = not any(error["loc"][:1] == ("dut",) for error in errors)
        dut_problems = _dut_problems(data.get("simulated", True), data.get("dut")) if dut_ok else []
        return None, [_printable(problem) for problem in _problems(errors) + dut_problems]
    problems = _dut_problems(bench.simulated, bench.dut.model_dump()) + _rules(bench)
    return (None if problems else bench), [_printable(problem) for problem in problems]


def _dut_problems(simulated: Any, dut: dict[str, Any] | None) -> list[str]:
    """The DUT catalogue's verdict on a simulated bench's ``dut:`` section (real benches describe theirs freely)."""
    if simulated is not True:
        return []
    try:
        build_dut(dut or {})
    except DutConfigError as exc:
        return [str(exc)]
    return []


def _rules(bench: BenchFile) -> list[str]:
    """Problems across keys: instruments a real bench needs, resources given twice, field control in pairs."""
    if bench.wafer is not None and not bench.simulated:
        return ["wafer: a simulated wafer needs simulated: true (a real prober has its own wafer map)"]
    if bench.instruments is None:
        return [] if bench.simulated else ["instruments: required when simulated is false"]
    entries = bench.instruments.entries()
    problems, seen = [], set()
    for role, entry in entries.items():
        key = f"instruments.{role}.resource"
        if entry.resource is None:
            if not bench.simulated:
                problems.append(f"{key}: missing (required when simulated is false)")
        elif entry.resource in seen:
            problems.append(f"{key}: {entry.resource} is used twice")
        seen.add(entry.resource)
    if ("magnet" in entries) != ("gaussmeter" in entries):
        problems.append("instruments: field control needs both a 'magnet' and a 'gaussmeter'")
    vector = {"magnet_x", "magnet_z", "vector_gaussmeter"}
    if (vector | {"magnet_y"}) & entries.keys() and not vector <= entries.keys():
        problems.append("instruments: a vector field needs 'magnet_x', 'magnet_z' and 'vector_gaussmeter' "
                        "('magnet_y' optional)")
    if "magnet" in entries and "magnet_z" in entries:
        problems.append("instruments: 'magnet' and 'magnet_z' both drive the field along z: keep one")
    return problems


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 2, 40, 40, 4, 4


def _printable(problem: str) -> str:
    """``problem`` on one line: control characters of the file's keys and values escaped as Python writes them."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in problem)


def _shown(value: Any) -> str:
    """``value`` as a bench file's reader recognises it, kept short (a deep or huge input stays one line)."""
    try:
        return _REPR.repr(value)
    except ValueError:  # an integer with more digits than Python converts to text
        return f"a {type(value).__name__} too large to show"


_MESSAGES = {
    "missing": "missing",
    "int_type": "must be an integer (got {got})",
    "float_type": "expected a number{in_unit}, got {got}",
    "finite_number": "expected a finite number{in_unit}, got {got}",
    "bool_type": "expected true or false, got {got}",
    "string_type": "expected text, got {got}",
    "greater_than": "expected a positive number{in_unit}, got {got}",
    "greater_than_equal": "expected a non-negative {kind}{in_unit}, got {got}",
    "less_than_equal": "{got} {unit} is not a plausible device-safe limit (at most {le:g} {unit}; bench files use "
                       "SI units)",
    "model_type": "expected a mapping of settings, got {type}",
    "model_attributes_type": "expected a mapping of settings, got {type}",
    "invalid_key": "keys must be text, got {got}",
    "union_tag_not_found": "missing",
}


def _problems(errors: list[ErrorDetails]) -> list[str]:
    """One line per key that has a problem, in our words: ``path: what is wrong (unit)``."""
    lines: dict[tuple, str] = {}
    for error in errors:
        loc = error["loc"]
        if error["type"].startswith("union_tag"):
            loc = (*loc, "driver")
        if loc not in lines:
            lines[loc] = f"{_path(loc)}: {_message(error)}"
    return list(lines.values())


def _path(loc: tuple) -> str:
    """The dotted path of a key as the file writes it (an instrument's driver name, which pydantic puts after
    the role to tell the entries apart, left out)."""
    if loc[:1] == ("instruments",) and len(loc) > 3:
        loc = (*loc[:2], *loc[3:])
    return ".".join(key if isinstance(key, str) and key else _shown(key) for key in loc)


def _message(error: ErrorDetails) -> str:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx", {})
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "union_tag_invalid":
        return _driver_problem(loc[1], error["input"].get("driver"))
    template = _MESSAGES.get(kind)
    if template is None:
        return error["msg"][0].lower() + error["msg"][1:]
    unit = _unit(loc)
    got = error["input"]
    return template.format(got=_shown(got), type=type(got).__name__, unit=unit, in_unit=f" in {unit}" if unit else "",
                           kind="integer" if isinstance(got, int) else "number", **ctx)


def _section(path: tuple) -> type[BaseModel] | None:
    """The model of the mapping at ``path`` (as pydantic reports it: with the driver after the role)."""
    if len(path) == 3 and path[0] == "instruments":
        return ENTRIES.get(path[1:])
    return {(): BenchFile, ("safety",): Safety, ("dut",): Dut, ("instruments",): Instruments}.get(path)


def _unit(loc: tuple) -> str:
    section = _section(loc[:-1])
    field = section.model_fields.get(loc[-1]) if section else None
    extra = field.json_schema_extra if field else None
    return extra.get("unit", "") if isinstance(extra, dict) else ""


def _unknown_key(loc: tuple) -> str:
    known = ", ".join(key for key in _section(loc[:-1]).model_fields if key != "driver")
    if len(loc) == 4:  # instruments.<role>.<driver>.<option>
        return f"not an option of {loc[2]}; options: {known}"
    noun = {(): "top-level key", ("safety",): "limit", ("instruments",): "role"}[loc[:-1]]
    return f"unknown {noun}; known {noun}s: {known}"


def _driver_problem(role: str, driver: Any) -> str:
    if not isinstance(driver, str) or driver not in REGISTRY:
        fillers = ", ".join(name for (filled, name) in ENTRIES if filled == role)
        return f"unknown driver {_shown(driver)}; drivers of the {role!r} role: {fillers}"
    fills = ", ".join(sorted(REGISTRY[driver].roles))
    return f"{driver} cannot fill the {role!r} role (it fills {fills})"


class _BenchJsonSchema(GenerateJsonSchema):
    """JSON Schema of bench files: a setting that is absent is not set, so it shows no (null) default."""

    def default_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None:
            del json_schema["default"]
        return json_schema


def bench_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of bench files, as published in :data:`SCHEMA_FILE`."""
    schema = BenchFile.model_json_schema(schema_generator=_BenchJsonSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """:func:`bench_json_schema` as the text of :data:`SCHEMA_FILE`."""
    return json.dumps(bench_json_schema(), indent=2) + "\n"
