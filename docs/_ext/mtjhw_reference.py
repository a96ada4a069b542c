"""The generated reference: tables built from the code at every build, so that they always match it.

The ``mtjhw-table`` directive renders one of :data:`mtjhw_tables.TABLES` (instruments, procedures, bench file,
register map) as docutils nodes; the API pages (``reference/api.rst``, a page per package under
``reference/api/``) are written from :func:`mtjhw_tables.api_pages` before Sphinx looks for its sources; the CLI
page documents :func:`mtjhw_tables.cli_parser`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docutils import nodes
from mtjhw_tables import TABLES, api_pages
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_id

#: Members documented by a third party, left out: SQLAlchemy's declarative attributes refer to SQLAlchemy's docs.
API_EXCLUDED_MEMBERS = {"mtjhw.database.models": "metadata, registry"}


# --- rendering ---------------------------------------------------------------------------------------------------

def _inline(text: str) -> Iterator[nodes.Node]:
    for i, part in enumerate(re.split(r"``?([^`]+)``?", text)):
        if part:
            yield nodes.literal(part, part) if i % 2 else nodes.Text(part)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> nodes.table:
    group = nodes.tgroup(cols=len(header))
    group += [nodes.colspec(colwidth=1) for _ in header]

    def row(cells: tuple[str, ...]) -> nodes.row:
        return nodes.row("", *(nodes.entry("", nodes.paragraph("", "", *_inline(str(c)))) for c in cells))

    group += nodes.thead("", row(header))
    group += nodes.tbody("", *(row(r) for r in rows))
    return nodes.table("", group, classes=["mtjhw-reference"])


class TableDirective(SphinxDirective):
    """``.. mtjhw-table:: NAME``: the tables of :data:`TABLES` ``[NAME]``, a section each when titled."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in TABLES:
            raise self.error(f"unknown table {name!r}; known: {', '.join(TABLES)}")
        out: list[nodes.Node] = []
        for table in TABLES[name]():
            body = ([nodes.paragraph("", "", *_inline(table.description))] if table.description else []) + [
                _table(table.header, table.rows)]
            if table.title:
                ident = make_id(self.env, self.state.document, "", f"{name}-{table.title}")
                section = nodes.section("", nodes.title("", "", *_inline(table.title)), ids=[ident], names=[ident])
                out.append(section)
                section += body
            else:
                (out[-1] if out and isinstance(out[-1], nodes.section) else out).extend(body)
        return out


def absolute_values(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Docstrings write |x| for an absolute value: escape the bars (outside literals and roles), which reST
    would take for a substitution."""
    for i, line in enumerate(lines):
        parts = re.split(r"(``.*?``|`[^`]*`)", line)
        lines[i] = "".join(p if k % 2 else p.replace("|", r"\|") for k, p in enumerate(parts))


def prose_attributes(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Napoleon reads an attribute's first line as "type: description"; our attribute docstrings are prose (a
    colon inside a sentence), so an empty comment goes first (run before napoleon)."""
    if what in {"attribute", "data", "property"} and lines and re.search(r"(?<!:):(?!:)", lines[0]):
        lines[:0] = ["..", ""]


def _page_text(package: str, modules: list[str]) -> str:
    lines = [package, "=" * len(package), "", f".. automodule:: {package}", ""]
    submodules = [m for m in modules if m != package]
    if submodules:
        lines += [".. autosummary::", "", *(f"   {m.removeprefix(package + '.')}" for m in submodules), ""]
    for module in submodules:
        lines += [module, "-" * len(module), "", f".. automodule:: {module}"]
        if module in API_EXCLUDED_MEMBERS:
            lines.append(f"   :exclude-members: {API_EXCLUDED_MEMBERS[module]}")
        lines.append("")
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:  # an unchanged page is not rebuilt
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def write_api_pages(app: Sphinx, config: Any) -> None:
    """``reference/api.rst`` and one page per package under ``reference/api/``, from :func:`api_pages`."""
    pages = api_pages()
    folder = Path(app.srcdir) / "reference" / "api"
    index = ["API", "===", "", "Every public module, by package, from its docstrings.", "", ".. toctree::",
             "   :maxdepth: 1", "", *(f"   api/{package}" for package in pages)]
    _write(folder.parent / "api.rst", "\n".join(index) + "\n")
    for package, modules in pages.items():
        _write(folder / f"{package}.rst", _page_text(package, modules))
    for stale in set(folder.glob("*.rst")) - {folder / f"{p}.rst" for p in pages}:
        stale.unlink()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("mtjhw-table", TableDirective)
    app.connect("autodoc-process-docstring", absolute_values)
    app.connect("autodoc-process-docstring", prose_attributes, priority=400)  # napoleon's runs at 500
    app.connect("config-inited", write_api_pages)  # before Sphinx looks for the sources
    return {"parallel_read_safe": True, "parallel_write_safe": True}
