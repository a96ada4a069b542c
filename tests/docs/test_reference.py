"""The generated reference pages cover everything the code registers: no instrument, procedure, parameter, register,
field, bench-file key or CLI command can silently drop out of the documentation (no Sphinx build needed)."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "docs" / "_ext"))
import mtjhw_tables  # noqa: E402


def _cells(tables, column: int) -> list[str]:
    return [row[column].strip("`") for table in tables for row in table.rows if row[column]]


def test_every_registered_instrument_has_a_row():
    from mtjhw.registry import REGISTRY

    (table,) = mtjhw_tables.instrument_tables()
    assert _cells([table], 0) == list(REGISTRY)
    for row, entry in zip(table.rows, REGISTRY.values(), strict=True):
        assert entry.model in row and all(path in row[6] for path in entry.third_party)
        assert entry.driver.__name__ in row[3] and entry.twin.__name__ in row[4]


def test_every_procedure_with_every_parameter_and_summary_key():
    from mtjhw.procedures import PROCEDURES

    tables = mtjhw_tables.procedure_tables()
    assert [t.title for t in tables if t.title] == sorted(PROCEDURES)
    for parameters, summary in zip(tables[::2], tables[1::2], strict=True):
        cls = PROCEDURES[parameters.title]
        assert _cells([parameters], 0) == [k for k in cls().parameter_objects() if k != "bench_file"]
        assert [(k.strip("`"), unit) for k, unit in summary.rows] == list(cls.summary_keys.items())
        assert parameters.description and not re.search(r":\w+:`", parameters.description)  # roles reduced


def test_every_register_and_field_of_the_map():
    from mtjhw.gateware.top import DEFAULT_CONFIG, register_map

    registers = register_map(DEFAULT_CONFIG).registers
    tables = mtjhw_tables.register_tables()
    assert sorted(_cells(tables, 1)) == sorted(r.name for r in registers)
    fields = [f"{r.name}.{f.name}" for r in sorted(registers, key=lambda r: r.offset)
              for f in sorted(r.fields, key=lambda f: f.at)]
    rows = [row for table in tables for row in table.rows]
    current, documented = "", []
    for row in rows:
        current = row[1].strip("`") or current
        if row[2]:
            documented.append(f"{current}.{row[2].strip('`')}")
    assert documented == fields
    assert all(int(row[0].strip("`"), 16) >> 8 == i for i, table in enumerate(tables) for row in table.rows if row[0])


def test_every_bench_file_key_and_driver_option():
    from mtjhw.bench_schema import ENTRIES, bench_json_schema

    schema = bench_json_schema()
    defs = schema["$defs"]
    tables = {t.title: t for t in mtjhw_tables.bench_tables()}
    sections = {"Top level": schema, "safety": defs["Safety"], "dut": defs["Dut"], "wafer": defs["Wafer"],
                "wafer.gradients.<parameter>": defs["Gradient"], "instruments": defs["Instruments"]}
    for title, section in sections.items():
        assert _cells([tables[title]], 0) == list(section["properties"]), title
    entry_keys = set(_cells([tables["instruments.<role>"]], 0))
    options = {(r[0].strip("`"), r[1].strip("`"), r[2].strip("`")) for r in tables["Driver options"].rows}
    for (role, driver), model in ENTRIES.items():
        for key in defs[model.__name__]["properties"]:
            assert key in entry_keys or (role, driver, key) in options, (role, driver, key)


def test_the_safety_limits_show_their_units_and_ranges():
    (safety,) = [t for t in mtjhw_tables.bench_tables() if t.title == "safety"]
    rows = {row[0].strip("`"): row for row in safety.rows}
    assert rows["max_voltage"][1:5] == ("number", "> 0, ≤ 1000", "", "V")
    assert not rows["max_voltage"][5].endswith("(V)")


def test_every_cli_command_with_its_full_options():
    from mtjhw.cli import LAZY_COMMANDS, build_parser

    parser = mtjhw_tables.cli_parser()
    commands = mtjhw_tables.cli_commands(parser)
    assert set(mtjhw_tables.cli_commands(build_parser())) <= set(commands)
    for name in LAZY_COMMANDS:
        full = mtjhw_tables.cli_commands(build_parser(name))
        assert set(full) <= set(commands)
        documented = mtjhw_tables._subparsers(parser)[name]
        assert {a.dest for a in documented._actions} == {
            a.dest for a in mtjhw_tables._subparsers(build_parser(name))[name]._actions}
        assert any(a.option_strings == ["-h", "--help"] for a in documented._actions), name
    assert {"run", "bench check", "sim serve", "gateware build", "hil"} <= set(commands)


def test_the_api_lists_every_public_module_and_no_private_one():
    modules = mtjhw_tables.api_modules()
    assert {"mtjhw.cli", "mtjhw.registry", "mtjhw.instruments.keithley2450", "mtjhw.simulators.physics.macrospin",
            "mtjhw.gateware.registers", "mtjhw.procedures.rh_loop"} <= set(modules)
    assert not [m for m in modules if "._" in m or "migrations" in m or m.endswith("__main__")]
    assert modules == sorted(set(modules))
