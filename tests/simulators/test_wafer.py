"""The virtual wafer: deterministic dies, the spec's gradients recovered by a fit, defect fractions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtjhw.simulators.bench.devices import OpenJunction, ShortedJunction
from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.bench.pmtj import PerpendicularMTJ
from mtjhw.simulators.bench.wafer import Die, VirtualWafer, WaferSpec

NOMINAL = {"model": "pmtj", "r_p": 5000.0, "tmr": 1.5, "hk": 0.08, "delta": 45.0}


def _wafer(**changes) -> VirtualWafer:
    spec = dict(gradients={"r_p": {"radial": 0.2}, "tmr": {"radial": -0.1}, "hk": {"wedge_x": 0.1}},
                spread={"r_p": 0.01, "tmr": 0.01, "hk": 0.01}, short_fraction=0.05, open_fraction=0.03, seed=11)
    return VirtualWafer(WaferSpec(**{**spec, **changes}), NOMINAL)


def test_dies_lie_on_the_wafer_with_labels_row_major():
    wafer = _wafer()
    dies = wafer.dies()
    assert 200 <= len(dies) <= 300
    assert all(math.hypot(abs(d.x) + 2.5e-3, abs(d.y) + 2.5e-3) <= 0.047 + 1e-12 for d in dies)
    assert [(d.row, d.column) for d in dies] == sorted((d.row, d.column) for d in dies)
    assert Die(3, 7, 0.0, 0.0).label == "C03R07"
    with pytest.raises(ValueError, match="no die at column 0, row 0"):
        wafer.die(0, 0)


def test_same_spec_same_dies_in_any_visiting_order():
    one, other = _wafer(), _wafer()
    dies = one.dies()
    forward = [one.dut_config(d) for d in dies]
    backward = [other.dut_config(d) for d in reversed(dies)][::-1]
    assert forward == backward
    assert [one.defect(d) for d in dies] == [other.defect(d) for d in reversed(dies)][::-1]
    assert len({c["seed"] for c in forward}) == len(dies)
    assert _wafer(seed=12).dut_config(dies[0]) != forward[0]


def test_every_die_config_builds_a_plausible_device_and_dead_dies_build_dead():
    wafer = _wafer()
    kinds = {"short": ShortedJunction, "open": OpenJunction}
    for die in wafer.dies():
        dut = build_dut(wafer.dut_config(die))
        if wafer.defect(die) is None:
            assert 1e3 < dut.r_p < 1e4 and 1.0 < dut.tmr < 2.0
        else:
            assert type(dut) is kinds[wafer.defect(die)]


def _fit(wafer: VirtualWafer, name: str) -> np.ndarray:
    """Least-squares (c, radial, wedge_x, wedge_y) of parameter ``name`` over the dies, relative to nominal."""
    dies = wafer.dies()
    radius = wafer.spec.diameter / 2
    design = np.array([[1, (d.x ** 2 + d.y ** 2) / radius ** 2, d.x / wafer.spec.diameter, d.y / wafer.spec.diameter]
                       for d in dies])
    values = np.array([wafer.true_parameters(d)[name] for d in dies]) / NOMINAL[name]
    return np.linalg.lstsq(design, values, rcond=None)[0]


@pytest.mark.parametrize(("name", "expected"), [("r_p", (1, 0.2, 0, 0)), ("tmr", (1, -0.1, 0, 0)),
                                                ("hk", (1, 0, 0.1, 0)), ("delta", (1, 0, 0.1, 0))])
def test_gradients_are_recovered_by_a_fit_over_the_dies(name, expected):
    assert _fit(_wafer(), name) == pytest.approx(expected, abs=0.01)


def test_delta_follows_hk_die_by_die():
    wafer = _wafer(spread={"hk": 0.05})
    for die in wafer.dies()[:40]:
        truth = wafer.true_parameters(die)
        assert truth["delta"] / NOMINAL["delta"] == pytest.approx(wafer.gradient(die, "hk"), rel=1e-12)


def test_spread_is_lognormal_with_the_given_sigma():
    wafer = _wafer(gradients={}, spread={"r_p": 0.05})
    logs = np.log([wafer.true_parameters(d)["r_p"] / 5000.0 for d in wafer.dies()])
    n = len(logs)
    assert abs(logs.mean()) < 4 * 0.05 / math.sqrt(n)
    assert logs.std(ddof=1) == pytest.approx(0.05, rel=4 / math.sqrt(2 * n))


def test_defect_fractions_within_binomial_bounds_and_devices_match():
    wafer = _wafer(short_fraction=0.1, open_fraction=0.05)
    dies = wafer.dies()
    n = len(dies)
    defects = [wafer.defect(d) for d in dies]
    for kind, p in (("short", 0.1), ("open", 0.05)):
        assert abs(defects.count(kind) - n * p) <= 4 * math.sqrt(n * p * (1 - p))
    built = {(kind, type(wafer.build(d))) for d, kind in zip(dies, defects, strict=True)}
    assert built == {("short", ShortedJunction), ("open", OpenJunction), (None, PerpendicularMTJ)}


def test_bad_specs_name_the_key():
    with pytest.raises(ValueError, match="short_fraction"):
        WaferSpec(short_fraction=0.8, open_fraction=0.5)
    with pytest.raises(ValueError, match="wafer.gradients.r_p"):
        WaferSpec(gradients={"r_p": {"radius": 0.1}})
    with pytest.raises(ValueError, match="unknown keys"):
        WaferSpec.from_mapping({"pitch": 5e-3})
    with pytest.raises(ValueError, match="ic1"):
        VirtualWafer(WaferSpec(spread={"ic1": 0.1}), NOMINAL)
