"""mtjhw occupies only the ``mtjhw`` import name: InstrumentKit (import name ``instruments``) installs beside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_python(code: str, cwd: Path) -> str:
    """Run ``code`` in a fresh interpreter started outside the repository (so its folders are not on the path)."""
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_mtjhw_claims_no_generic_top_level_name(tmp_path):
    out = run_python("import importlib.util, mtjhw.bench\n"
                     "for name in ('instruments', 'simulators', 'gateware'):\n"
                     "    spec = importlib.util.find_spec(name)\n"
                     "    print(name, spec.origin if spec else None)\n", tmp_path)
    for line in out.splitlines():
        name, origin = line.split(" ", 1)
        assert not origin.startswith(str(REPO / name)), f"mtjhw installs its {name}/ folder as top-level {name!r}"


def test_instrumentkit_imports_beside_mtjhw(tmp_path):
    probe = run_python("import importlib.util; print(importlib.util.find_spec('instruments') is not None)", tmp_path)
    if probe.strip() != "True":
        pytest.skip("InstrumentKit is not installed (.ci/run installs it: pip install --no-deps instrumentkit, "
                    "its enum34 pin breaks Python 3)")
    out = run_python("import instruments, mtjhw.instruments\n"
                     "from instruments.keithley import Keithley2182\n"
                     "from mtjhw.bench import Bench\n"
                     "from mtjhw.config import BenchConfig\n"
                     "with Bench.open(BenchConfig.from_dict({'simulated': True})) as bench:\n"
                     "    bench.smu.source_voltage_mode(1e-3)\n"
                     "print(instruments.__file__)\n"
                     "print(mtjhw.instruments.__file__)\n", tmp_path)
    instrumentkit, ours = out.splitlines()
    assert "site-packages" in instrumentkit and not instrumentkit.startswith(str(REPO / "instruments"))
    assert ours.startswith(str(REPO / "instruments"))


@pytest.mark.parametrize(("package", "allowed"), [
    ("instruments", ("mtjhw.instruments",)),
    ("simulators", ("mtjhw.simulators",)),
    ("gateware", ("mtjhw.gateware", "mtjhw.simulators", "mtjhw.progress")),
])
def test_layers_import_only_downwards(package, allowed):
    """Drivers and twins meet only at a VISA resource string; the gateware uses the physics for its models (and its
    build command the one progress reporter)."""
    import ast

    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name and name.split(".")[0] == "mtjhw":
                    assert name.startswith(allowed), f"{path.relative_to(REPO)} imports {name}"
