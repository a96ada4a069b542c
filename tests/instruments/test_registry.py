"""Every registered instrument against its declaration: roles filled, twin present, third-party drivers real, and
procedures that use nothing beyond the role protocols."""

from __future__ import annotations

import ast
import importlib
import inspect
import typing
from pathlib import Path

import pytest

import mtjhw.hil
import mtjhw.procedures
from mtjhw.bench import Bench
from mtjhw.connection import identity_matches
from mtjhw.instruments.roles import ROLES
from mtjhw.registry import REGISTRY, register, registration
from mtjhw.simulators.bench import VirtualBench

ENTRIES = list(REGISTRY.values())


def protocol_members(protocol: type) -> set[str]:
    """Methods and attributes a protocol declares (not those of ``typing.Protocol`` itself)."""
    own = {name for name in vars(protocol) if not name.startswith("_")}
    return own | set(typing.get_type_hints(protocol))


def test_every_role_is_filled_by_some_registered_driver():
    assert {role for entry in ENTRIES for role in entry.roles} == set(ROLES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_driver_fills_its_roles(entry):
    for role in entry.roles:
        protocol = ROLES[role].protocol
        for name in protocol_members(protocol):
            assert hasattr(entry.driver, name), f"{entry.driver.__name__} lacks {protocol.__name__}.{name}"
            wanted = getattr(protocol, name, None)
            if not inspect.isfunction(wanted):
                continue
            have = inspect.signature(getattr(entry.driver, name)).parameters
            for param in list(inspect.signature(wanted).parameters.values())[1:]:
                assert param.name in have, f"{entry.driver.__name__}.{name} has no parameter {param.name!r}"
                if param.default is not inspect.Parameter.empty:
                    assert have[param.name].default is not inspect.Parameter.empty, \
                        f"{entry.driver.__name__}.{name}: {param.name!r} must be optional as in {protocol.__name__}"
        safe_state = ROLES[role].safe_state
        assert safe_state is None or callable(getattr(entry.driver, safe_state))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_twin_answers_its_identity(entry):
    twin = entry.twin(VirtualBench())
    assert identity_matches(twin.idn[1], twin.handle("*IDN?"))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_third_party_drivers_exist(entry):
    for path in entry.third_party:
        module, _, name = path.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), name), type), path


def test_default_resources_are_distinct():
    resources = [entry.resource for entry in ENTRIES]
    assert len(set(resources)) == len(resources)


def test_registration_errors_name_the_problem():
    with pytest.raises(ValueError, match="registered twice"):
        register("keithley2450", "again", object, {"smu"}, object, "GPIB0::1::INSTR")
    with pytest.raises(ValueError, match="unknown roles.*thermostat"):
        register("new-one", "new", object, {"thermostat"}, object, "GPIB0::1::INSTR")
    with pytest.raises(ValueError, match="unknown driver 'keithley2401'.*keithley2450"):
        registration("keithley2401")


def _bench_role_protocols() -> dict[str, type]:
    """Bench property name → the protocol its return annotation names (``bench.smu`` → SourceMeter)."""
    out = {}
    for name, attr in vars(Bench).items():
        if isinstance(attr, property):
            hint = typing.get_type_hints(attr.fget).get("return")
            if isinstance(hint, type) and getattr(hint, "_is_protocol", False):
                out[name] = hint
    return out


def _role_calls(tree: ast.AST, roles: set[str]) -> list[tuple[str, str, int]]:
    """(role, attribute, line) of every ``….bench.<role>.<attr>`` and ``alias.<attr>`` with ``alias = ….<role>``."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else node.targets
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for target, value in zip(targets, values, strict=False):
                if isinstance(target, ast.Name) and isinstance(value, ast.Attribute) and value.attr in roles:
                    aliases[target.id] = value.attr
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        inner = node.value
        if isinstance(inner, ast.Attribute) and inner.attr in roles and "bench" in ast.unparse(inner.value):
            calls.append((inner.attr, node.attr, node.lineno))
        elif isinstance(inner, ast.Name) and inner.id in aliases:
            calls.append((aliases[inner.id], node.attr, node.lineno))
    return calls


@pytest.mark.parametrize("package", [mtjhw.procedures, mtjhw.hil], ids=lambda p: p.__name__)
def test_procedures_call_only_role_methods(package):
    protocols = _bench_role_protocols()
    assert {"smu", "field", "pulser", "switch"} <= set(protocols)
    checked = 0
    for path in Path(package.__file__).parent.glob("*.py"):
        for role, attr, line in _role_calls(ast.parse(path.read_text()), set(protocols)):
            assert attr in protocol_members(protocols[role]), \
                f"{path.name}:{line}: {role}.{attr} is not in the {protocols[role].__name__} protocol"
            checked += 1
    assert checked > 0


def test_readme_instrument_table_is_current():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    from mtjhw.registry import instrument_table

    assert instrument_table() in readme, "README's instrument table is stale: paste `python -m mtjhw.registry`"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.third_party], ids=lambda e: e.name)
def test_third_party_drivers_listed_are_exercised_by_the_conformance_suite(entry):
    suite = "".join(path.read_text() for path in (Path(__file__).parents[1] / "conformance").glob("test_*.py"))
    for path in entry.third_party:
        assert path.rpartition(".")[2] in suite, f"no conformance test uses {path}"
