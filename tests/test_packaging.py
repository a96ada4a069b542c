"""The wheel's contents as pyproject.toml declares them, checked against the source tree without building."""

from __future__ import annotations

from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own TOML reader
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
# folders of the checkout that may hold Python code but are not installed
NOT_INSTALLED = {"tests", "benchmarks", "examples", "docs", "build", "dist"}


def package_folder(package: str) -> Path:
    """The source folder of a dotted package name, following [tool.setuptools.package-dir]."""
    dirs: dict[str, str] = SETUPTOOLS.get("package-dir", {})
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in dirs:
            return ROOT / dirs[prefix] / Path(*parts[cut:])
    return ROOT / Path(*parts)


def visible(path: Path) -> bool:
    """Not under a hidden folder (virtual environments, caches) nor a byte-code cache."""
    return not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(ROOT).parts)


def source_packages() -> set[Path]:
    """Folders with an __init__.py anywhere but tests and benchmarks, and every folder with modules under a package."""
    tops = [top for top in ROOT.iterdir() if top.is_dir() and top.name not in NOT_INSTALLED and visible(top)]
    marked = {init.parent for top in tops for init in top.rglob("__init__.py") if visible(init)}
    roots = {package_folder(package) for package in SETUPTOOLS["packages"] if "." not in package}
    roots |= {ROOT / folder for folder in SETUPTOOLS.get("package-dir", {}).values()}
    inside = {module.parent for root in roots for module in root.rglob("*.py") if visible(module)}
    return marked | inside


def test_every_source_package_is_installed() -> None:
    listed = {package_folder(package) for package in SETUPTOOLS["packages"]}
    missing = sorted(str(folder.relative_to(ROOT)) for folder in source_packages() - listed)
    assert not missing, f"folders with Python modules missing from [tool.setuptools] packages: {missing}"


def test_every_listed_package_exists() -> None:
    absent = [package for package in SETUPTOOLS["packages"] if not any(package_folder(package).glob("*.py"))]
    assert not absent, f"listed packages without modules: {absent}"


@pytest.mark.parametrize("package, pattern", [(package, pattern)
                                              for package, patterns in SETUPTOOLS["package-data"].items()
                                              for pattern in patterns])
def test_package_data_exists(package: str, pattern: str) -> None:
    assert package in SETUPTOOLS["packages"], f"package data for {package}, which is not installed"
    assert list(package_folder(package).glob(pattern)), f"{package}: {pattern} matches no file"
