#!/usr/bin/env bash
# Build the documentation with the active environment's Python (needs the docs extra: pip install -e ".[dev,docs]"):
# HTML, then the doctests, from the same parsed sources (-d); every warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m sphinx -W --keep-going -d docs/_build/doctrees -b html docs docs/_build/html
python -m sphinx -W -d docs/_build/doctrees -b doctest docs docs/_build/doctest
