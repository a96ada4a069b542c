"""``mtjhw --help`` starts fast because building the parser imports nothing heavy; ``mtjhw procedures`` prints
whole descriptions wrapped to the terminal."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from mtjhw.cli import LAZY_COMMANDS, build_parser, main
from mtjhw.procedures import PROCEDURES
from mtjhw.registry import REGISTRY

HEAVY = ["pymeasure", "pyvisa", "scipy", "amaranth", "matplotlib", "mtjhw.registry", "mtjhw.procedures"]
PROBE = """
import json, sys
from mtjhw.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_after(argv: list[str]) -> set[str]:
    """The modules a fresh interpreter has imported after ``mtjhw <argv>``."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=60, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["bench", "check", "--help"]])
def test_help_imports_no_driver_framework_physics_or_gateware(argv):
    drivers = {entry.driver.__module__ for entry in REGISTRY.values()}
    loaded = modules_after(argv)
    assert sorted(name for name in loaded if name in drivers or name.split(".")[0] in HEAVY
                  or any(name.startswith(heavy + ".") for heavy in HEAVY)) == []


def test_a_lazy_command_gets_its_full_options_when_chosen(capsys):
    for argv, option in ((["hil", "--help"], "--trainer"), (["gateware", "build", "--help"], "--board")):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0 and option in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["hil"])
    assert stop.value.code == 2 and "--out" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_the_top_level_help_reads_the_same_with_a_lazy_command_built(name):
    assert build_parser().format_help() == build_parser(name).format_help()


def test_procedures_prints_whole_descriptions_within_the_terminal_width(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "72")
    assert main(["procedures"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 72
    blocks = re.split(r"\n(?=\S)", out.strip())  # one per procedure: its lines after the first are indented
    assert len(blocks) == len(PROCEDURES)
    for block, (name, cls) in zip(blocks, sorted(PROCEDURES.items()), strict=True):
        description = " ".join(block.split("\n    --set")[0].split("\n    summary:")[0].split())
        paragraph = re.sub(r":\w+:`~?|`", "", cls.__doc__.split("\n\n")[0]).split()  # shown without reST markup
        assert description.startswith(f"{name}: {' '.join(paragraph[:3])}")
        assert description.endswith(paragraph[-1]), name
