"""The vector field: the Lake Shore 460 driver by its protocol and against its twin (in-process VISA and TCP; no
third-party driver exists for it, in PyMeasure, QCoDeS or Lake Shore's package), a Kepco BOP per axis, the
controller reaching vectors on the bench clock within the per-axis ramp rate, refusals that send nothing, and the
astroid on a vector-magnet bench recovering μ0Hk."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import Served, assert_clean, serve
from drivers import open_driver
from pymeasure.instruments.kepco import KepcoBOP3612
from pymeasure.test import expected_protocol

from mtjhw.bench import Bench
from mtjhw.config import BenchConfig
from mtjhw.instruments.kepco import KepcoBOP
from mtjhw.instruments.lakeshore460 import LakeShore460, ProbeOverloadError
from mtjhw.instruments.safety import SafetyLimits
from mtjhw.instruments.vector_field import VectorFieldController, components
from mtjhw.runner import run_procedure
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.instruments import KepcoBOP as KepcoTwin
from mtjhw.simulators.transport import VirtualVisaLibrary

EXAMPLE = Path(__file__).parents[2] / "examples" / "simulated-vector-magnet.yaml"


def vector_config(seed: int = 1, **dut) -> BenchConfig:
    config = yaml.safe_load(EXAMPLE.read_text())
    config["dut"] |= dut | {"seed": seed}
    return BenchConfig.from_dict(config | {"seed": seed})


# ----------------------------------------------------------------- Lake Shore 460 driver, by protocol
def test_460_reads_an_axis_in_tesla_with_its_multiplier():
    with expected_protocol(LakeShore460, [("CHNL X", None), ("UNIT?", "G"), ("FIELD?", "+12.345"),
                                          ("FIELDM?", "k"), ("CHNL Z", None), ("FIELD?", "-3.000"),
                                          ("FIELDM?", " ")]) as probe:
        assert probe.measure_axis("X") == pytest.approx(1.2345)  # 12.345 kG
        assert probe.measure_axis("Z") == pytest.approx(-3e-4)


def test_460_overload_and_bad_channel_send_nothing_more():
    with expected_protocol(LakeShore460, [("CHNL Y", None), ("UNIT?", "T"), ("FIELD?", "OL")]) as probe:
        with pytest.raises(ProbeOverloadError, match="channel Y"):
            probe.measure_axis("Y")
        with pytest.raises(ValueError):
            probe.channel = "W"


def test_460_settings_by_protocol():
    with expected_protocol(LakeShore460, [("UNIT T", None), ("AUTO 0", None), ("RANGE 2", None),
                                          ("RANGE?", "2")]) as probe:
        probe.unit = "T"
        probe.auto_range = False
        probe.range = 2
        assert probe.range == 2


# ----------------------------------------------------------------- the 460 against its twin
def test_460_reads_the_bench_vector(transport):
    with serve("lakeshore460", transport) as served:
        served.bench.axis_magnet("x").set_current(2.0)
        served.bench.axis_magnet("z").set_current(-1.0)
        served.bench.advance(0.5)
        probe = LakeShore460(served.resource, **served.pymeasure_kwargs)
        assert "MODEL460" in probe.ask("*IDN?")
        expected = served.bench.field_vector  # the coil fields and the x yoke's remanence
        assert expected[0] > 0.06 and expected[2] == pytest.approx(-0.03, abs=1e-5)
        assert probe.measure_vector() == pytest.approx(expected, abs=1e-4)
        assert probe.measure_axis("V") == pytest.approx(math.hypot(*expected), abs=1e-4)
        probe.unit = "T"
        probe.channel = "Z"
        probe.range = 3  # 30 G, the lowest: the 300 G field overloads it
        with pytest.raises(ProbeOverloadError):
            probe.measure_axis("Z")
        probe.auto_range = True
        assert probe.measure_axis("Z") == pytest.approx(expected[2], abs=1e-4)
        probe.adapter.close()
        assert_clean(served.twin)


def test_460_twin_refuses_as_the_instrument_does():
    with serve("lakeshore460", "in-process") as served:
        twin = served.twin
        for bad in ("CHNL W", "RANGE 7", "FIELDX?"):
            assert twin.handle(bad) is None
        twin.handle("ONOFF 1")
        assert twin.handle("FIELD?") is None  # a channel switched off answers nothing
        assert len(twin.errors) == 4


def test_460_ranges_count_down_from_the_highest_and_onoff_0_is_on():
    """As the drivers written against a real 460 use it (MPIMeasurements.jl, after the manual's §3.4): RANGE 0 is
    the highest (30 kG with the high-sensitivity probe) … 3 the lowest (30 G); ONOFF 0 turns a channel on."""
    with serve("lakeshore460", "in-process") as served:
        served.bench.axis_magnet("z").set_current(-1.0)
        served.bench.advance(0.5)
        twin = served.twin
        twin.handle("CHNL Z")
        assert twin.handle("ONOFF?") == "0" and twin.handle("AUTO?") == "1"  # after power-up: on, auto range
        assert twin.handle("FIELD?") != "OL" and twin.handle("RANGE?") == "1"  # auto: 300 G needs the 3 kG range
        twin.handle("RANGE 0")
        assert twin.handle("FIELD?") != "OL"
        twin.handle("RANGE 3")
        assert twin.handle("FIELD?") == "OL"
        assert twin.handle("RANGE 4") is None and twin.handle("RANGE?") == "3"
        twin.handle("ONOFF 1")
        assert twin.handle("ONOFF?") == "1" and twin.handle("FIELD?") is None
        twin.handle("ONOFF 0")
        assert twin.handle("FIELD?") == "OL"


def test_460_allf_reads_every_channel_in_its_own_multiplier():
    with serve("lakeshore460", "in-process") as served:
        served.bench.axis_magnet("x").set_current(2.0)
        served.bench.advance(0.5)
        twin = served.twin
        twin.handle("UNIT T")
        mantissas = twin.handle("ALLF?").split(",")
        multipliers = {"u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3}
        fields = []
        for mantissa, channel in zip(mantissas, "XYZV", strict=True):
            twin.handle(f"CHNL {channel}")
            fields.append(float(mantissa) * multipliers[twin.handle("FIELDM?").strip()])
        expected = [*served.bench.field_vector, math.hypot(*served.bench.field_vector)]
        assert fields == pytest.approx(expected, abs=1e-4)
        assert_clean(twin)


# ----------------------------------------------------------------- one Kepco per axis
def test_each_kepco_twin_drives_its_own_axis():
    bench = VirtualBench()
    x, z = KepcoTwin(bench, magnet=bench.axis_magnet("x")), KepcoTwin(bench)
    for twin, amps in ((x, 1.0), (z, -2.0)):
        for message in ("FUNC:MODE CURR", "VOLT 20", f"CURR {amps}", "OUTP ON"):
            twin.handle(message)
    assert bench.magnet_x.current == 1.0 and bench.magnet.current == -2.0
    with pytest.raises(ValueError, match="x–z plane"):
        bench.axis_magnet("y")


def test_pymeasure_kepco_drives_the_x_axis_twin():
    """PyMeasure's own BOP driver, unmodified, on the twin of the x-axis supply: the x coil follows, z stays."""
    bench = VirtualBench()
    twin = KepcoTwin(bench, magnet=bench.axis_magnet("x"))
    resource = "GPIB0::7::INSTR"
    library = VirtualVisaLibrary.for_instruments({resource: twin}, lock=bench.lock)
    supply = open_driver(KepcoBOP3612, Served(twin, bench, resource, library, "in-process"))
    supply.operating_mode = "CURR"
    supply.voltage_setpoint = 20.0  # the compliance
    supply.current_setpoint = 1.5
    supply.output_enabled = True
    assert supply.current == pytest.approx(1.5, abs=1e-3)
    assert bench.magnet_x.current == 1.5 and bench.magnet.current == 0.0
    supply.adapter.close()
    assert_clean(twin)


def test_a_bench_without_an_x_magnet_is_unchanged():
    bench = VirtualBench(ambient_field=1e-4)
    bench.magnet.set_current(1.0)
    bench.advance(0.3)
    assert bench.magnet_x is None and bench.field == bench.magnet.field + 1e-4
    assert bench.field_vector == (0.0, 0.0, bench.field)


# ----------------------------------------------------------------- the controller on the bench clock
@pytest.mark.parametrize(("magnitude", "polar"), [(0.1, 0.6), (-0.15, 2.0), (0.2, math.pi / 2)])
def test_controller_reaches_the_vector_within_tolerance(magnitude, polar):
    with Bench.open(vector_config()) as bench:
        t0 = bench.now()
        bench.vector_field.set_field(magnitude, polar)
        elapsed = bench.now() - t0
        target = components(magnitude, polar)
        measured = bench.vector_field.measure_field()
        assert measured == pytest.approx((target["x"], 0.0, target["z"]), abs=3e-4)
        assert bench.virtual.dut.field_angle % math.pi == pytest.approx(polar % math.pi, abs=0.02)
        largest_axis = max(abs(target["x"]), abs(target["z"]))
        assert elapsed >= largest_axis / bench.config.safety.field_ramp_rate  # no axis faster than the rate


def test_each_supply_gate_holds_its_own_ramp_rate():
    """A jump larger than one ramp step, sent to one supply directly, is refused by that supply's gate."""
    with Bench.open(vector_config()) as bench:
        twin_currents = {role: bench.virtual.axis_magnet(role[-1]) for role in ("magnet_x", "magnet_z")}
        for role in ("magnet_x", "magnet_z"):
            with pytest.raises(Exception, match="step|rate"):
                bench.drivers[role].current_setpoint = 5.0
            assert twin_currents[role].current == 0.0


def test_zero_ramps_every_axis_down_and_off():
    with Bench.open(vector_config()) as bench:
        bench.vector_field.set_field(0.1, 1.0)
        bench.vector_field.zero()
        bench.sleep(0.5)
        assert bench.virtual.magnet.current == bench.virtual.magnet_x.current == 0.0
        assert all(not bench.drivers[role].output_enabled for role in ("magnet_x", "magnet_z"))


def unsent_controller(stack, max_field=0.1):
    supplies = {axis: (stack.enter_context(expected_protocol(KepcoBOP, [])), 0.03) for axis in "xz"}
    probe = stack.enter_context(expected_protocol(LakeShore460, []))
    return VectorFieldController.from_supplies(supplies, probe, limits=SafetyLimits(max_field=max_field),
                                               sleep=lambda seconds: None, clock=lambda: 0.0)


@pytest.mark.parametrize(("vector", "match"), [((0.11, 0.4, 0.0), "safety limit"),
                                               ((-0.2, math.pi / 2, 0.0), "safety limit"),
                                               ((0.05, 1.0, 0.3), "magnet_y"),
                                               ((0.05, math.nan, 0.0), "finite")])
def test_refusals_send_nothing(vector, match):
    with contextlib.ExitStack() as stack:
        controller = unsent_controller(stack)
        with pytest.raises(ValueError, match=match):
            controller.set_field(*vector)


def test_a_vector_bench_file_needs_both_axes_and_the_probe():
    config = yaml.safe_load(EXAMPLE.read_text())
    del config["instruments"]["magnet_z"]
    with pytest.raises(Exception, match="vector field needs"):
        BenchConfig.from_dict(config)


def test_a_simulated_bench_refuses_a_y_magnet():
    config = yaml.safe_load(EXAMPLE.read_text())
    config["instruments"]["magnet_y"] = {"driver": "kepco-bop", "resource": "GPIB0::8::INSTR"}
    with pytest.raises(ValueError, match="x–z plane"):
        Bench.open(BenchConfig.from_dict(config))


# ----------------------------------------------------------------- the astroid turned by the field
def test_astroid_on_a_vector_magnet_recovers_hk(tmp_path):
    """Δ given: μ0Hk within 10 % from the thermal astroid, the field turned by its direction, not a stage."""
    rng = np.random.default_rng(31)
    hk = rng.uniform(0.05, 0.12)
    dut = dict(r_p=rng.uniform(3000, 8000), tmr=rng.uniform(0.8, 1.8), hk=hk, delta=rng.uniform(40, 60),
               h_offset=rng.choice([-1, 1]) * rng.uniform(0.05, 0.1) * hk, tau0=1e-9)
    settings = {"field_max": 0.75 * hk, "points": 61, "loops": 2, "delta": dut["delta"], "angle_min": 0.2,
                "angle_max": math.pi - 0.2, "angles": 4}
    with Bench.open(vector_config(1, **dut)) as bench:
        outcome = run_procedure("astroid", bench, tmp_path, settings)
    assert outcome.status == "finished", outcome.error
    s = outcome.summary
    assert s["hk"] == pytest.approx(hk, rel=0.1), dut
    assert s["h_offset"] == pytest.approx(dut["h_offset"], abs=0.1 * hk), dut
    assert s["delta_fit"] == "given" and s["switch_events"] == 16
