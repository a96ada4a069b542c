"""``mtjhw gui`` on the command line: its options, bad input refused before a window opens, no Qt for --help."""

import pytest

from mtjhw.cli import main
from tests.test_cli_startup import modules_after


def test_gui_lists_its_options(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["gui", "--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0 and all(option in out for option in ("--bench", "--out", "--open", "--seed"))


def test_an_unknown_procedure_is_refused_naming_the_known_ones(capsys):
    assert main(["gui", "no-such-loop"]) == 2
    err = capsys.readouterr().err
    assert "unknown procedure 'no-such-loop'" in err and "rh-loop" in err


def test_a_bad_bench_file_is_refused(tmp_path, capsys):
    assert main(["gui", "rh-loop", "--bench", str(tmp_path / "missing.yaml")]) == 2
    assert "mtjhw gui: error" in capsys.readouterr().err


def test_the_top_level_help_imports_no_qt():
    loaded = modules_after(["--help"])
    assert sorted(m for m in loaded if m.split(".")[0] in ("PyQt5", "qtpy", "pyqtgraph")
                  or m.startswith("pymeasure.display") or m.startswith("mtjhw.gui")) == []
