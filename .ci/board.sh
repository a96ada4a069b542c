#!/usr/bin/env bash
# The board's Python: the host side a PYNQ board runs (mtjhw.gateware.board.BOARD_MODULES) installed with
# `pip install --no-deps` into fresh venvs pinned to the PYNQ images' Python and numpy, and tests/board run from a
# copy outside the checkout. Usage: .ci/board.sh [DIST]  (DIST: a folder holding the mtjhw wheel to test;
# default: a wheel built from the checkout's files).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
# image: Python, numpy. PYNQ v3.1 (the last for the PYNQ-Z1/Z2): Ubuntu 22.04, Python 3.10, python3-numpy 1.21.5;
# PYNQ v4.0 (Zynq UltraScale+, Kria, Versal): Ubuntu 24.04, Python 3.12, python3-numpy 1.26.4. pynq pins numpy<2.
images=("v3.1 3.10 1.21.5" "v4.0 3.12 1.26.4")

interpreter() {  # a working python3.X: on the PATH, else pyenv's
    local candidate
    for candidate in "python$1" "$HOME"/.pyenv/versions/"$1".*/bin/"python$1"; do
        if "$candidate" -c "" >/dev/null 2>&1; then command -v "$candidate"; return; fi
    done
}
pip_install() { "$1" -m pip install --quiet --disable-pip-version-check "${@:2}"; }

if [ $# -ge 1 ]; then
    wheel=$(ls "$1"/mtjhw-*.whl | tail -1)
else  # from a clean copy of the tracked and new files: a stale build/ in the checkout never reaches the wheel
    mkdir "$work/src"
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
        if [ -e "$file" ]; then printf '%s\0' "$file"; fi  # not the tracked files deleted in the work tree
    done | xargs -0 cp --parents -t "$work/src"
    python3 -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/dist" "$work/src" >/dev/null
    wheel=$(ls "$work"/dist/mtjhw-*.whl)
fi
echo "[board] wheel $(basename "$wheel") ($((SECONDS - start)) s)"
cp -r tests/board "$work/tests"
rm -rf "$work/tests/__pycache__"
for image in "${images[@]}"; do
    read -r name version numpy <<<"$image"
    lap=$SECONDS
    python=$(interpreter "$version")
    [ -n "$python" ] || { echo "[board] PYNQ $name: no Python $version"; exit 1; }
    "$python" -m venv "$work/venv-$name"
    venv="$work/venv-$name/bin/python"
    pip_install "$venv" "numpy==$numpy" pytest
    pip_install "$venv" --no-deps "$wheel"
    (cd "$work/tests" && MTJHW_BOARD_NUMPY=$numpy "$venv" -m pytest -q -p no:cacheprovider -o addopts= .)
    echo "[board] PYNQ $name (Python $("$venv" -c 'import platform; print(platform.python_version())'), numpy" \
         "$numpy): $((SECONDS - lap)) s"
done
echo "[board] total $((SECONDS - start)) s"
