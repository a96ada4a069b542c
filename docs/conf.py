"""Sphinx configuration of the mtjhw documentation (``.ci/docs.sh`` builds it with ``-W``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

from mtjhw import __version__  # noqa: E402

project = "mtjhw"
author = "mtjhw contributors"
copyright = "mtjhw contributors"
release = version = __version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinxarg.ext",
    "mtjhw_reference",
    "mtjhw_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "furo"
html_title = f"mtjhw {release}"

# MyST: $…$ and $$…$$ math, ::: fences, definition lists; headings get anchors for cross-references
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3

# Notebooks run during every build; a failing cell fails the build
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300

# API: a page per package, written by the reference extension: an autosummary table of its modules (no stub pages),
# then each module
autosummary_generate = False
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_mock_imports = ["pynq"]  # the PYNQ board runtime exists only on the board
napoleon_google_docstring = True
napoleon_numpy_docstring = True

# sphinx.ext.doctest: the examples in docstrings and pages run in `-b doctest`
doctest_global_setup = "import numpy as np"

# documented objects stay out of the table of contents: the sidebar holds pages and their sections only
toc_object_entries = False
# quotes and ellipses only: "--out" in the CLI's help stays two hyphens
smartquotes_action = "qe"
