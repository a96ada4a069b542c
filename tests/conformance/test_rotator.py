"""The rotation stage: PyMeasure's unmodified Newport ESP300 driver against the virtual ESP300 over the in-process
VISA library and over TCP (position, moves at the programmed velocity on the bench clock, motion done, the error
buffer), mtjhw's driver in PyMeasure's ``expected_protocol`` style (the bench's angle limits refuse a move before
anything is sent), and the stage on a simulated bench turning the field's angle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import error_entries, serve
from drivers import open_driver
from pymeasure.instruments.newport.esp300 import AxisError, GeneralError
from pymeasure.test import expected_protocol

from mtjhw.bench import Bench
from mtjhw.instruments.errors import InstrumentError
from mtjhw.instruments.newport_esp300 import NewportESP300
from mtjhw.instruments.roles import ROLES, Rotator
from mtjhw.instruments.safety import SafetyLimitError, SafetyLimits
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.instruments import ESP300 as VirtualESP300
from mtjhw.simulators.transport import VirtualVisaLibrary

#: PyMeasure's own ESP300 asks whether the ESP300 speaks SCPI (it does not)
pytestmark = pytest.mark.filterwarnings("ignore:It is not known whether this device support SCPI:FutureWarning")

PATH = "pymeasure.instruments.newport.ESP300"
#: PyMeasure's ESP300 sets no terminations; its users end reads at the controller's CR LF (a socket has no EOI).
CRLF = {"read_termination": "\r\n"}
NO_ERROR = "0, 0, NO ERROR DETECTED"
#: What mtjhw's driver says on connect with the stage at rest at 0°: degrees, motor on, no error, where it rests.
CONNECT = [("1SN7", None), ("1MO", None), ("TB?", NO_ERROR), ("1MD?", "1"), ("1TP", "0.00000")]


def test_pymeasure_moves_at_the_programmed_velocity(transport):
    with serve("newport-esp300", transport) as served:
        inst = open_driver(PATH, served, **CRLF)
        assert inst.x.units == "degree" and inst.x.enabled and inst.x.motion_done
        inst.x.write("VA12.5")
        inst.x.position = 30
        assert inst.x.motion_done is False  # no bench time has passed yet
        served.bench.advance(1.0)
        assert inst.x.position == pytest.approx(12.5)
        assert served.bench.field_angle == pytest.approx(math.radians(12.5), abs=1e-6)
        start = served.bench.time
        inst.x.wait_for_stop()  # WS: the bench's time passes until the stage stops
        assert served.bench.time - start == pytest.approx(17.5 / 12.5)
        assert inst.x.motion_done and inst.x.position == pytest.approx(30.0)
        inst.y.position = -10  # another axis: the sample's angle stays
        inst.y.wait_for_stop()
        assert inst.y.position == pytest.approx(-10.0) and inst.x.position == pytest.approx(30.0)
        assert served.bench.field_angle == pytest.approx(math.radians(30.0), abs=1e-6)
        assert inst.errors == []
        inst.adapter.close()


def test_pymeasure_reads_the_error_buffer(transport):
    with serve("newport-esp300", transport) as served:
        inst = open_driver(PATH, served, **CRLF)
        inst.x.disable()
        inst.x.position = 10  # refused: motor off
        inst.write("1XX")
        errors = inst.errors
        assert [type(e) for e in errors] == [AxisError, GeneralError]
        assert errors[0].axis == "1" and errors[0].message == "MOTOR NOT ENABLED"
        assert errors[1].message == "COMMAND DOES NOT EXIST"
        inst.x.enable()
        assert inst.x.position == 0.0 and inst.error == 0
        inst.adapter.close()


@pytest.mark.parametrize(("command", "code"), [
    ("9PA1", 9), ("PA5", 37), ("1PA", 38), ("1PAabc", 7), ("1SN3", 101), ("1VA100", 110), ("1SL10;1PA-20", 107),
    ("1SR10;1PR20", 106), ("XX?", 6), ("1WS-5", 7),
])
def test_bad_commands_are_error_codes(command, code):
    with serve("newport-esp300", "in-process") as served:
        served.twin.handle(command)
        assert [entry[0] for entry in error_entries(served.twin)] == [code]
        assert served.twin.stages[1].target == 0.0


def test_buffer_text_units_and_defined_home():
    """``TB?`` answers code, time stamp (ms), text; positions follow ``SN`` and ``DH``, the sample's angle does not."""
    twin = VirtualESP300(VirtualBench(build_dut({"model": "pmtj"})), mount_offset=15.0)
    assert twin.bench.field_angle == pytest.approx(math.radians(15.0))
    twin.handle("1PA90;1WS")
    twin.handle("1MF;1PA0")
    assert twin.handle("TB?") == f"113, {twin.bench.time * 1e3:.0f}, AXIS-1 MOTOR NOT ENABLED"
    assert twin.handle("TB?").startswith("0, ") and twin.handle("TE?") == "0"
    twin.handle("1MO;1DH10;1SN9")
    assert float(twin.handle("1TP")) == pytest.approx(math.radians(10.0), abs=1e-5)
    assert twin.bench.field_angle == pytest.approx(math.radians(105.0))
    assert twin.handle("1MD?;2MO?;*IDN?") == "1\r\n1\r\nESP300 Version 3.08 09/09/02"


def test_driver_rotates_and_waits():
    """``rotate_to`` sends the angle in degrees, polls until the stage stops, checks the buffer and reads back."""
    with expected_protocol(NewportESP300, CONNECT + [
        ("1PA45.000000", None), ("TB?", NO_ERROR), ("1MD?", "0"), ("1MD?", "1"), ("TB?", NO_ERROR),
        ("1TP", "45.00000"),
    ], sleep=lambda seconds: None) as inst:
        inst.rotate_to(math.pi / 4)
    with expected_protocol(NewportESP300, [(c.replace("1", "2", 1), r) for c, r in CONNECT[:2]] + CONNECT[2:3] +
                           [("2MD?", "0"), ("2ST", None)], axis=2) as inst:
        inst.stop()


def test_driver_raises_the_controllers_error_text():
    with expected_protocol(NewportESP300, CONNECT + [
        ("1PA10.000000", None), ("TB?", "113, 5200, AXIS-1 MOTOR NOT ENABLED"), ("TB?", NO_ERROR),
    ]) as inst, pytest.raises(InstrumentError, match="MOTOR NOT ENABLED"):
        inst.rotate_to(math.radians(10))


LIMITS = SafetyLimits(min_angle=-math.pi / 2, max_angle=math.pi / 2)


@pytest.mark.parametrize("send", [
    lambda inst: inst.rotate_to(2.0),
    lambda inst: inst.stage.write("PA95"),
    lambda inst: inst.stage.write("PR100"),  # from 0°: ends beyond 90°
    lambda inst: inst.write("1PR50;1PR50"),  # each within, together beyond
    lambda inst: inst.stage.write("SN9"),  # the limits would no longer be degrees
    lambda inst: inst.stage.home(),
    lambda inst: inst.stage.define_position(0),
    lambda inst: inst.write("1 pa 95"),  # the ESP ignores white space and case: so does the gate
    lambda inst: setattr(inst.stage, "right_limit", 100),  # its own travel limit beyond the bench's
])
def test_moves_beyond_the_angle_limits_are_refused_before_sending(send):
    with expected_protocol(NewportESP300, CONNECT, limits=LIMITS) as inst, pytest.raises(SafetyLimitError):
        send(inst)


def test_relative_moves_are_checked_on_where_they_end():
    with expected_protocol(NewportESP300, CONNECT + [("1PA80.000000", None), ("TB?", NO_ERROR), ("1MD?", "1"),
                                                     ("TB?", NO_ERROR), ("1TP", "80.00000"), ("1PR-170", None)],
                           limits=LIMITS, sleep=lambda seconds: None) as inst:
        inst.rotate_to(math.radians(80))
        with pytest.raises(SafetyLimitError):
            inst.stage.write("PR11")  # 91°
        inst.stage.write("PR-170")  # -90°: at the limit
        with pytest.raises(SafetyLimitError):  # the stage may stop anywhere from 80° to -90° before it is read
            inst.stage.write("PR-1")
    moving = CONNECT[:3] + [("1MD?", "0")]  # at connect the stage moves: where it stops is unknown
    with expected_protocol(NewportESP300, moving + [("2PR1000", None)], limits=LIMITS) as inst:
        with pytest.raises(SafetyLimitError, match="not read at rest"):
            inst.stage.write("PR1")
        inst.write("2PR1000")  # another axis is not limited


def test_arming_sets_the_controllers_own_travel_limits():
    with expected_protocol(NewportESP300, CONNECT + [("1SL-90.000000", None), ("1SR90.000000", None),
                                                     ("TB?", NO_ERROR)], limits=LIMITS) as inst:
        inst.arm_protection()
    with expected_protocol(NewportESP300, CONNECT) as inst:
        inst.arm_protection()  # no limits: nothing to arm
    twin = VirtualESP300(VirtualBench(build_dut({"model": "pmtj"})))
    twin.handle("1SL-90.000000;1SR90.000000")
    twin.handle("1PA120")  # past the gate, as by a crashed host's successor: the ESP refuses it
    assert twin.handle("TE?") == "106" and twin.stages[1].target == 0.0


@pytest.mark.parametrize("armed", [False, True])
def test_no_sequence_of_moves_stops_or_queries_takes_the_stage_beyond_the_limits(armed):
    """Seeded random messages to the sample's axis (moves absolute and relative, stops, its own travel limits,
    position and motion queries, in one message or several, with the bench's time passing): wherever the stage is
    headed stays within the limits, on the gate alone or with the ESP's own limits armed."""
    rng = np.random.default_rng(7)
    bench = VirtualBench(build_dut({"model": "pmtj"}), seed=3)
    twin = VirtualESP300(bench)
    library = VirtualVisaLibrary.for_instruments({"GPIB0::1::INSTR": twin}, lock=bench.lock)
    inst = NewportESP300("GPIB0::1::INSTR", visa_library=library, limits=LIMITS, sleep=bench.advance)
    if armed:
        inst.arm_protection()
    commands = ["1PA{:.3f}", "1PR{:.3f}", "1SL{:.3f}", "1SR{:.3f}", "1ST", "1MD?", "1TP", "1MF", "1MO"]
    for _ in range(400):
        units = [commands[rng.integers(len(commands))].format(rng.normal(0.0, 80.0)) for _ in range(rng.integers(1, 3))]
        try:
            inst.ask(";".join(units)) if units[-1][-1] in "?P" else inst.write(";".join(units))
        except SafetyLimitError:
            pass
        bench.advance(rng.exponential(2.0))
        stage = twin.stages[1]
        assert -90.0 - 1e-3 <= stage.target <= 90.0 + 1e-3, units
        assert -90.0 - 1e-3 <= stage.angle(bench.time) <= 90.0 + 1e-3, units
    error_entries(twin)
    inst.adapter.close()


def test_unlimited_stage_passes_everything():
    with expected_protocol(NewportESP300, CONNECT + [("1PR1000", None), ("1SN9", None), ("1OR0", None)]) as inst:
        inst.stage.write("PR1000")
        inst.stage.write("SN9")
        inst.stage.home(0)


def test_bench_turns_the_field_and_stops_on_close():
    assert ROLES["rotator"].protocol is Rotator and ROLES["rotator"].safe_state == "stop"
    with Bench.open("examples/simulated-rotator.yaml") as bench:
        assert bench.has_rotator and isinstance(bench.rotator, Rotator)
        start = bench.now()
        bench.rotator.rotate_to(1.0)
        elapsed = bench.now() - start
        assert math.degrees(1.0) / 20.0 <= elapsed <= math.degrees(1.0) / 20.0 + 0.06  # 20 °/s, 50 ms polls
        assert bench.virtual.field_angle == pytest.approx(1.0, abs=1e-6)
        assert bench.rotator.measure_angle() == pytest.approx(1.0, abs=1e-6)
        with pytest.raises(SafetyLimitError):
            bench.rotator.rotate_to(3.5)
        bench.rotator.stage.write("PA0")  # still moving when the bench closes
        twin = bench.virtual_handlers()[-1]
    assert twin.stages[1].done(twin.bench.time) and twin.stages[1].target == pytest.approx(math.degrees(1.0))
