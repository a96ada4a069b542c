"""Wafer maps: one PNG per key plus the yield map, every die drawn, failed dies grey."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pytest

from mtjhw.simulators.bench.wafer import VirtualWafer, WaferSpec
from mtjhw.wafer_map import plot_wafer_maps


def _table() -> list[dict]:
    wafer = VirtualWafer(WaferSpec(die_pitch=10e-3, gradients={"r_p": {"radial": 0.3}}, short_fraction=0.2, seed=2),
                         {})
    return [{"column": d.column, "row": d.row, "x": d.x, "y": d.y,
             "status": "failed" if wafer.defect(d) else "finished", "r_p": wafer.true_parameters(d)["r_p"],
             "tmr": wafer.true_parameters(d)["tmr"], "label": d.label} for d in wafer.dies()]


def test_one_map_per_key_and_the_yield_map(tmp_path):
    paths = plot_wafer_maps(_table(), tmp_path, diameter=0.1, units={"r_p": "Ω"})
    assert [p.name for p in paths] == ["wafer-r_p.png", "wafer-tmr.png", "wafer-yield.png"]
    assert all(p.stat().st_size > 5000 for p in paths)
    assert [p.name for p in plot_wafer_maps(_table(), tmp_path / "one", keys=["r_p"])] == \
        ["wafer-r_p.png", "wafer-yield.png"]


def _grey_and_coloured_pixels(path) -> tuple[int, int]:
    """Pixels of the map in the dead dies' grey, and pixels in colour (the dies' colour map and the colour bar)."""
    image = mpimg.imread(path)[:, :, :3]
    rgb = image.reshape(-1, 3)
    saturated = (rgb.max(axis=1) - rgb.min(axis=1)) > 0.15
    grey = (np.abs(rgb - 0.75).max(axis=1) < 0.03)
    return int(grey.sum()), int(saturated.sum())


def test_failed_dies_are_grey_and_finished_ones_coloured(tmp_path):
    table = _table()
    failed = sum(row["status"] != "finished" for row in table)
    assert 0 < failed < len(table)
    (r_p, _) = plot_wafer_maps(table, tmp_path, keys=["r_p"], diameter=0.1)
    grey, coloured = _grey_and_coloured_pixels(r_p)
    everything_good = [dict(row, status="finished") for row in table]
    (r_p_good, _) = plot_wafer_maps(everything_good, tmp_path / "good", keys=["r_p"], diameter=0.1)
    grey_good, coloured_good = _grey_and_coloured_pixels(r_p_good)
    assert grey > grey_good  # the dead dies are grey …
    assert coloured < coloured_good  # … in place of coloured squares
    dies_area = coloured_good - _grey_and_coloured_pixels(plot_wafer_maps(table[:1], tmp_path / "bar", keys=["r_p"],
                                                                           diameter=0.1)[0])[1]
    assert (coloured_good - coloured) / dies_area == pytest.approx(failed / len(table), rel=0.3)


def test_an_empty_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no dies"):
        plot_wafer_maps([], tmp_path)
