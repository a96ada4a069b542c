"""The documentation gallery covers every registered procedure and every reproduction (checked without running)."""

import sys
from pathlib import Path

import pytest

from mtjhw.config import BenchConfig
from mtjhw.procedures import PROCEDURES
from mtjhw.reproduce import REPRODUCTIONS
from mtjhw.runner import make_procedure

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
mtjhw_gallery = pytest.importorskip("mtjhw_gallery", reason="the docs extra (Sphinx) is not installed")


def test_every_procedure_and_reproduction_has_one_gallery_item():
    items = mtjhw_gallery.items()
    procedures = [i.name for i in items if i.kind == "procedure"]
    reproductions = [i.name for i in items if i.kind == "reproduction"]
    assert sorted(procedures) == sorted(PROCEDURES)
    assert sorted(reproductions) == sorted(REPRODUCTIONS)
    assert len({i.slug for i in items}) == len(items)


@pytest.mark.parametrize("item", [i for i in mtjhw_gallery.items() if i.kind == "procedure"], ids=lambda i: i.name)
def test_each_procedure_item_names_a_simulated_bench_and_valid_settings(item):
    assert BenchConfig.load(ROOT / item.bench).simulated
    make_procedure(item.name, item.settings)  # refuses an unknown parameter or an out-of-range value
    assert item.command.startswith(f"mtjhw run {item.name} --bench {item.bench} ")


def test_a_failing_item_fails_the_gallery_naming_it_and_its_command(tmp_path):
    from sphinx.errors import ExtensionError

    broken = mtjhw_gallery.Item("reproduction", "no-such-reproduction")
    with pytest.raises(ExtensionError, match="reproduction no-such-reproduction failed: ValueError: unknown") as err:
        mtjhw_gallery.run_all([broken], tmp_path, workers=1)
    assert broken.command in str(err.value)
