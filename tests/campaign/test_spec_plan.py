"""Campaign files: errors that name the key, and the plan's order, grid expansion, ids and hash."""

from pathlib import Path

import pytest

from mtjhw.campaign import CampaignError, load_campaign, plan_hash, plan_runs
from mtjhw.campaign.plan import bench_devices, wafer_devices
from mtjhw.simulators.bench.wafer import Die


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campaign.yaml"
    path.write_text(text)
    return path


BASE = """
name: c1
bench: bench.yaml
devices: {wafer: {dies: all}}
procedures:
  - name: rh-loop
    settings: {points: 5}
    grid: {bias: [0.01, 0.02], loops: [1, 2, 3]}
  - name: rv-loop
"""

DIES = [Die(c, r, c * 5e-3, -r * 5e-3) for r in range(2) for c in range(3)]


@pytest.mark.parametrize("text, key", [
    ("name: c\nbench: b.yaml\ndevices: {wafer: {}}\nprocedures: []\n", "procedures"),
    ("name: c\nbench: b.yaml\ndevices: {}\nprocedures: [{name: rh-loop}]\n", "devices"),
    ("name: c\nbench: b.yaml\ndevices: {wafer: {}}\nprocedures: [{name: rh-loop, setings: {}}]\n",
     "procedures.0.setings"),
    ("name: c\ndevices: {wafer: {}}\nprocedures: [{name: rh-loop}]\n", "bench"),
    ("name: c\nbench: b.yaml\ndevices: {wafer: {}}\nprocedures: [{name: rh-loop, grid: {points: []}}]\n",
     "grid.points"),
])
def test_errors_name_the_key(tmp_path, text, key):
    with pytest.raises(CampaignError, match=key.replace(".", r"\.")):
        load_campaign(_write(tmp_path, text))


def test_plan_expands_the_grid_in_order_with_stable_ids(tmp_path):
    campaign = load_campaign(_write(tmp_path, BASE))
    runs = plan_runs(campaign, wafer_devices(campaign, DIES, "W1"))
    assert len(runs) == len(DIES) * (6 + 1)
    first = runs[:7]
    assert [r.run_id for r in first] == [f"C00R00/rh-loop-{k}" for k in range(6)] + ["C00R00/rv-loop"]
    assert [(r.settings["bias"], r.settings["loops"]) for r in first[:6]] == [
        (0.01, 1), (0.01, 2), (0.01, 3), (0.02, 1), (0.02, 2), (0.02, 3)]
    assert all(r.settings["points"] == 5 for r in first[:6])
    assert [r.index for r in runs] == list(range(len(runs)))
    assert first[0].device.identity == {"wafer": "W1", "die": "C00R00", "column": 0, "row": 0, "x": 0.0, "y": 0.0}
    assert first[0].device.bench_file == (tmp_path / "bench.yaml").resolve()


def test_die_selection_and_the_hash_follows_the_plan(tmp_path):
    campaign = load_campaign(_write(tmp_path, BASE.replace("dies: all", "dies: {rows: [1]}")))
    devices = wafer_devices(campaign, DIES, "W1")
    assert [d.label for d in devices] == ["C00R01", "C01R01", "C02R01"]
    same = plan_hash(plan_runs(campaign, devices))
    assert plan_hash(plan_runs(campaign, devices)) == same
    changed = load_campaign(_write(tmp_path, BASE.replace("dies: all", "dies: {rows: [1]}").replace("5}", "7}")))
    assert plan_hash(plan_runs(changed, wafer_devices(changed, DIES, "W1"))) != same
    listed = load_campaign(_write(tmp_path, BASE.replace("dies: all", "dies: [[2, 0], [9, 9]]")))
    with pytest.raises(ValueError, match=r"\[9, 9\] is not a die"):
        wafer_devices(listed, DIES, "W1")


def test_bench_list_devices(tmp_path):
    text = "name: c\ndevices: {benches: [a.yaml, sub/b.yaml]}\nprocedures: [{name: rv-loop}]\n"
    campaign = load_campaign(_write(tmp_path, text))
    devices = bench_devices(campaign)
    assert [(d.label, d.identity, d.bench_file) for d in devices] == [
        ("a", {"label": "a"}, (tmp_path / "a.yaml").resolve()),
        ("b", {"label": "b"}, (tmp_path / "sub/b.yaml").resolve())]
