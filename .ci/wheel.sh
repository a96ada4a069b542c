#!/usr/bin/env bash
# Release check: build the sdist and wheel, check their metadata, then install the wheel (not the checkout) into a
# fresh environment outside the repository on Python 3.10 with numpy 1.26 (pynq's numpy<2 pin) and run the main job,
# the CLI, imports of every module, the package data and a core subset of the tests against it.
# Usage: .ci/wheel.sh [DIST]  (DIST: a folder that keeps the sdist and wheel, e.g. for .ci/board.sh; default: none)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dist=${1:-$work/dist}
start=$SECONDS
lap=$SECONDS
stage() {  # name of the stage that just ended: prints its time and the total
    echo "[wheel] $1: $((SECONDS - lap)) s (total $((SECONDS - start)) s)"
    lap=$SECONDS
}
pip_install() { "$1" -m pip install --quiet --disable-pip-version-check "${@:2}"; }

# build tools in their own environment, so that CI's and a developer's stay as they are
python3 -m venv "$work/tools"
pip_install "$work/tools/bin/python" build twine
stage "build tools"
"$work/tools/bin/python" -m build --outdir "$dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
if grep -n -i -A3 "deprecat" "$work/build.log"; then echo "[wheel] the build printed deprecation warnings"; exit 1; fi
"$work/tools/bin/twine" check --strict "$dist"/*
wheel=$(ls "$dist"/mtjhw-*.whl | tail -1)
stage "build and twine check ($(basename "$wheel"))"

python=""
for candidate in python3.10 "$HOME"/.pyenv/versions/3.10.*/bin/python3.10; do  # the oldest Python supported
    if "$candidate" -c "" >/dev/null 2>&1; then python=$candidate; break; fi
done
if [ -z "$python" ]; then
    python=python3
    echo "[wheel] no Python 3.10 found: the wheel is checked on $("$python" --version)"
fi
"$python" -m venv "$work/venv"
venv_python="$work/venv/bin/python"
# the wheel with its core dependencies and one extra (networks: scikit-learn) on numpy 1.26, and what the core
# tests import beyond them
pip_install "$venv_python" "$wheel[networks]" numpy==1.26.4 pytest pytest-xdist hypothesis
stage "install ($("$venv_python" --version), numpy $("$venv_python" -c 'import numpy; print(numpy.__version__)'))"

mkdir "$work/run"
cd "$work/run"
export PATH="$work/venv/bin:$PATH" MTJHW_STATE_DIR="$work/state" MTJHW_DATABASE="sqlite:///$work/runs.sqlite"
cp "$repo/examples/simulated-pmtj.yaml" bench.yaml
mtjhw run rh-loop --bench bench.yaml --out rh -q
for output in data.csv plot.png summary.json; do
    [ -s "rh/$output" ] || { echo "[wheel] mtjhw run wrote no rh/$output"; exit 1; }
done
mtjhw db runs | grep -q rh-loop || { echo "[wheel] the run is not in the database"; exit 1; }
stage "main job (mtjhw run rh-loop, recorded in a new database)"

version=$(mtjhw --version)
echo "[wheel] $version"
installed=$("$venv_python" -c 'from importlib import metadata; print(metadata.version("mtjhw"))')
[ "$version" = "mtjhw $installed" ] || { echo "[wheel] --version is not the installed $installed"; exit 1; }
mtjhw --help >/dev/null
mtjhw procedures >/dev/null
mtjhw reproduce jung-crossbar --quick --out jung -q >/dev/null  # the networks extra's scikit-learn digits
[ -s jung/report.json ] || { echo "[wheel] mtjhw reproduce wrote no report.json"; exit 1; }
"$venv_python" - "$repo/pyproject.toml" <<'PY'
"""The wheel's metadata offers every extra that pyproject.toml declares."""
import sys
from importlib import metadata

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
declared = set(tomllib.load(open(sys.argv[1], "rb"))["project"]["optional-dependencies"])
offered = set(metadata.metadata("mtjhw").get_all("Provides-Extra"))
assert declared == offered, f"extras declared {sorted(declared)}, offered by the wheel {sorted(offered)}"
print(f"[wheel] extras offered: {', '.join(sorted(offered))}")
PY
"$venv_python" - "$work/venv" <<'PY'
"""Every module of the wheel imports (but those that need an optional extra), and its package data is there."""
import importlib
import pkgutil
import sys
from importlib import resources
from pathlib import Path

import mtjhw

venv = Path(sys.argv[1]).resolve()
assert venv in Path(mtjhw.__file__).resolve().parents, f"mtjhw comes from {mtjhw.__file__}, not the wheel"
# the optional extras' modules (gui, scale, postgres, parquet, pynq, gateware, networks, benchmark); qtpy, a
# PyMeasure dependency, is there without the gui extra's Qt bindings
OPTIONAL = {"PyQt5", "QtBindingsNotFoundError", "pyqtgraph", "dask", "distributed", "psycopg", "pyarrow", "pynq",
            "serial", "sklearn", "cmtj", "amaranth_boards", "pyvisa_sim"}
skipped = {}
for module in pkgutil.walk_packages(mtjhw.__path__, "mtjhw."):
    if module.name.endswith(".__main__") or ".migrations." in module.name:  # the CLI; Alembic's scripts
        continue
    try:
        importlib.import_module(module.name)
    except ImportError as error:
        missing = error.name or type(error).__name__
        if missing.split(".")[0] not in OPTIONAL:
            raise
        skipped[module.name] = missing
print(f"[wheel] imported every module; {len(skipped)} need an extra: {skipped}")
DATA = ["bench.schema.json", "database/migrations/script.py.mako", "database/migrations/env.py",
        "database/migrations/versions/0001_initial.py", "gateware/README.md", "simulators/physics/README.md"]
missing = [name for name in DATA if not resources.files("mtjhw").joinpath(name).is_file()]
assert not missing, f"package data missing from the wheel: {missing}"
PY
stage "CLI, imports and package data"

# the core tests against the installed wheel: a copy of tests/ (the checkout is not on sys.path), the pytest settings
# of pyproject.toml and the files tests read (README, example benches); mtjhw must come from the environment
cp -r "$repo/tests" "$repo/pyproject.toml" "$repo/README.md" "$repo/examples" .
"$venv_python" -c 'import mtjhw, sys; sys.exit(sys.argv[1] not in mtjhw.__file__ and f"mtjhw from {mtjhw.__file__}")' \
    "$work/venv"
# (the five slowest files, parameter-recovery studies of single procedures and of the fast model, are left to the
# full suite, as are the third-party drivers of the dev extra: this subset takes about 3 min on 2 cores)
"$venv_python" -m pytest -q -n 2 -p no:cacheprovider --durations=10 -k "not third_party_drivers_exist" \
    tests/physics tests/procedures tests/instruments \
    tests/scpi --ignore=tests/procedures/test_sot_switching.py --ignore=tests/procedures/test_switching_recovery.py \
    --ignore=tests/procedures/test_field_geometry.py --ignore=tests/procedures/test_thermal_stability.py \
    --ignore=tests/physics/test_fast_vs_macrospin.py
stage "core tests on numpy 1.26"
echo "[wheel] CPU time (user, system) of this script, then of the commands it ran:"
times
echo "[wheel] passed in $((SECONDS - start)) s"
