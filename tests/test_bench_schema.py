"""The bench file's schema: the published JSON Schema, the example bench files, and hostile bench contents."""

import copy
import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtjhw.bench_schema import SCHEMA_FILE, bench_json_schema, schema_text
from mtjhw.cli import main
from mtjhw.config import BenchConfig, BenchConfigError
from mtjhw.instruments.roles import ROLES
from mtjhw.registry import REGISTRY

REPO = Path(__file__).resolve().parents[1]
#: The example bench files (campaign-*.yaml are campaign plans: tests/campaign checks those).
EXAMPLES = sorted(path for path in (REPO / "examples").glob("*.yaml") if not path.name.startswith("campaign-"))

#: A bench file that uses every section, every VISA setting and a driver option.
VALID = {
    "name": "lab", "simulated": True, "seed": 3, "realtime": False,
    "safety": {"max_voltage": 0.8, "max_current": 1e-3, "max_field": 0.3, "field_ramp_rate": 1.0,
               "max_rf_power": 1e-3},
    "dut": {"model": "pmtj", "r_p": 5000.0, "tmr": 1.2, "hk": 0.08, "seed": 1},
    "instruments": {
        "smu": {"driver": "keithley2450", "resource": "TCPIP::10.0.0.5::5025::SOCKET", "timeout": 5000,
                "query_delay": 0.0, "read_termination": "\n", "write_termination": "\n", "visa_library": "@py",
                "encoding": "ascii", "chunk_size": 20480, "send_end": True},
        "magnet": {"driver": "kepco-bop", "resource": "GPIB0::6::INSTR", "coil_constant": 0.05, "max_current": 9.0},
        "gaussmeter": {"driver": "lakeshore425", "resource": "ASRL3::INSTR", "baud_rate": 57600, "data_bits": 7},
    },
}


def test_the_published_schema_is_generated_from_the_model():
    assert SCHEMA_FILE.read_text() == schema_text(), (
        f"mtjhw/bench.schema.json is stale (or was written by another pydantic than {pydantic.VERSION}): "
        "regenerate it with `mtjhw bench schema > mtjhw/bench.schema.json`")


def test_bench_schema_prints_the_schema(capsys):
    assert main(["bench", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == bench_json_schema()


def test_the_schema_names_roles_drivers_and_units():
    schema = bench_json_schema()
    instruments = schema["$defs"]["Instruments"]
    assert instruments["propertyNames"] == {"enum": list(ROLES)}
    for role in ROLES:
        drivers = instruments["properties"][role]["discriminator"]["mapping"]
        assert set(drivers) == {name for name, entry in REGISTRY.items() if role in entry.roles}
    safety = schema["$defs"]["Safety"]["properties"]
    assert safety["max_voltage"]["description"].endswith("(V)") and safety["max_voltage"]["maximum"] == 1000
    smu = schema["$defs"]["SmuKeithley2450"]["properties"]
    assert smu["timeout"]["unit"] == "ms" and smu["timeout"]["exclusiveMinimum"] == 0
    assert schema["$defs"]["Dut"]["properties"]["hk"]["maximum"] == 5.0


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_the_example_bench_files_are_valid(path):
    assert BenchConfig.load(path).simulated
    if importlib.util.find_spec("jsonschema") is None:
        pytest.skip("jsonschema is not installed: the examples were checked by BenchConfig only")
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(bench_json_schema())
    jsonschema.validate(yaml.safe_load(path.read_text()), bench_json_schema(), jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("path", "value"), [
    (("safety", "max_voltage"), 1e308),
    (("instruments", "smu", "timeout"), -5),
    (("instruments", "smu", "bogus"), 3),
    (("instruments", "scope"), {"driver": "keithley2450"}),
    (("instruments", "thermostat"), {"driver": "keithley2450"}),
    (("dut", "hk"), 800),
])
def test_editors_flag_what_the_bench_check_refuses(path, value):
    jsonschema = pytest.importorskip("jsonschema")
    bench = copy.deepcopy(VALID)
    jsonschema.validate(bench, bench_json_schema())  # what the model accepts, the schema accepts
    *parents, key = path
    section = bench
    for parent in parents:
        section = section[parent]
    section[key] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bench, bench_json_schema())
    with pytest.raises(BenchConfigError, match=r"^" + r"\.".join(path)):
        BenchConfig.from_dict(bench)


def test_a_full_bench_file_keeps_its_settings():
    config = BenchConfig.from_dict(VALID, source="lab.yaml")
    assert config.seed == 3 and config.safety.max_rf_power == 1e-3 and config.dut["r_p"] == 5000.0
    assert config.instruments["smu"].options["timeout"] == 5000 and config.instruments["smu"].options["send_end"]
    assert config.instruments["magnet"].options == {"coil_constant": 0.05, "max_current": 9.0}
    assert config.instruments["gaussmeter"].resource == "ASRL3::INSTR"


def test_empty_sections_are_absent():
    config = BenchConfig.from_dict({"name": "x", "safety": None, "dut": None, "instruments": None})
    assert math.isinf(config.safety.max_voltage) and config.dut == {}
    assert list(config.instruments) == ["smu", "magnet", "gaussmeter", "pulser", "scope"]
    assert config.instruments["magnet"].options == {"coil_constant": 0.03}


def test_reading_the_cli_does_not_import_pydantic():
    """``mtjhw --help`` stays fast: the schema's model is built when a bench file is first read."""
    done = subprocess.run([sys.executable, "-c", "import sys, mtjhw.cli; print('pydantic' in sys.modules)"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"


def _paths(node: dict, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a nested mapping."""
    paths = []
    for key, value in node.items():
        paths.append((*prefix, key))
        if isinstance(value, dict):
            paths += _paths(value, (*prefix, key))
    return paths


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_deep_or_cyclic_contents_are_refused_in_one_line():
    with pytest.raises(BenchConfigError, match=r"^lab.yaml: nested too deeply to be a bench file$"):
        BenchConfig.from_dict({"dut": {"r_p": _nested(100)}}, source="lab.yaml")
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(BenchConfigError, match=re.escape("name: expected text, got [[[...]]]")):
        BenchConfig.from_dict({"name": cycle})


JUNK = st.one_of(
    st.none(), st.booleans(), st.text(max_size=12), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 10**400, -(10**400), 2**64]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
    st.integers(1, 3000).map(_nested), st.dates())
MUTATION = st.tuples(st.sampled_from(_paths(VALID)), st.sampled_from(["replace", "delete", "add key"]), JUNK,
                     st.text(max_size=8))


def _mutate(bench: dict, path: tuple, action: str, junk: object, new_key: str) -> None:
    *parents, key = path
    section = bench
    for parent in parents:
        section = section.get(parent) if isinstance(section, dict) else None
    if not isinstance(section, dict) or key not in section:
        return  # an earlier mutation replaced or removed this part
    if action == "replace":
        section[key] = junk
    elif action == "delete":
        del section[key]
    elif isinstance(section[key], dict):
        section[key][new_key] = junk
    else:
        section[new_key] = junk


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MUTATION, min_size=1, max_size=3))
def test_a_mutated_bench_file_is_accepted_or_refused_in_our_words(mutations):
    bench = copy.deepcopy(VALID)
    for mutation in mutations:
        _mutate(bench, *mutation)
    try:
        BenchConfig.from_dict(bench)
    except BenchConfigError as exc:
        message = str(exc)
        assert not any(word in message for word in ("Input should", "pydantic", "http", "Traceback")), message
        header, *problems = message.splitlines()
        count = re.fullmatch(r"bench: (\d+) problems", header)
        assert len(problems) == (int(count[1]) if count else 0), message
        assert all(": " in problem or " = " in problem for problem in problems or [header]), message
