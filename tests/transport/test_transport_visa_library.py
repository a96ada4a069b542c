"""The in-process PyVISA library: virtual instruments opened by resource string via pyvisa and PyMeasure."""

from __future__ import annotations

import threading
import time

import pytest
import pyvisa
from pymeasure.adapters import VISAAdapter
from pymeasure.instruments import Instrument, SCPIMixin
from pyvisa import constants, resources
from pyvisa.errors import VisaIOError
from transport_fakes import IDN, CountingInstrument, FakeInstrument, LockProbingInstrument, SharedCounter

from mtjhw.simulators.transport import VirtualVisaLibrary

SMU = "USB0::0x05E6::0x2450::04096331::INSTR"
RESOURCE_CLASSES = {
    SMU: resources.USBInstrument,
    "GPIB0::24::INSTR": resources.GPIBInstrument,
    "TCPIP::192.168.0.5::5025::SOCKET": resources.TCPIPSocket,
    "TCPIP0::192.168.0.6::inst0::INSTR": resources.TCPIPInstrument,
    "ASRL1::INSTR": resources.SerialInstrument,
    "ASRL/dev/ttyUSB0::INSTR": resources.SerialInstrument,
}


@pytest.fixture
def fake() -> FakeInstrument:
    return FakeInstrument()


@pytest.fixture
def rm_for():
    """Factory: a ResourceManager over a fresh virtual library; everything is closed afterwards."""
    managers = []

    def make(instruments, lock=None):
        rm = pyvisa.ResourceManager(VirtualVisaLibrary.for_instruments(instruments, lock=lock))
        managers.append(rm)
        return rm

    yield make
    for rm in managers:
        rm.close()


def open_smu(rm, **kwargs):
    kwargs.setdefault("read_termination", "\n")
    kwargs.setdefault("write_termination", "\n")
    return rm.open_resource(SMU, **kwargs)


def test_lists_and_opens_every_interface_type(rm_for):
    handlers = {name: FakeInstrument() for name in RESOURCE_CLASSES}
    rm = rm_for(handlers)
    assert set(rm.list_resources()) == {name for name in RESOURCE_CLASSES if name.endswith("::INSTR")}
    assert set(rm.list_resources("?*")) == set(RESOURCE_CLASSES)
    assert rm.list_resources("GPIB?*") == ("GPIB0::24::INSTR",)
    for name, pyclass in RESOURCE_CLASSES.items():
        info = rm.resource_info(name)
        assert info.resource_class == pyvisa.rname.ResourceName.from_string(name).resource_class
        inst = rm.open_resource(name, read_termination="\n", write_termination="\n")
        assert type(inst) is pyclass
        assert inst.query("*IDN?") == IDN
        assert inst.query(f"WHO{len(name)}?") == f"WHO{len(name)}?"
        inst.close()
        assert handlers[name].messages == ["*IDN?", f"WHO{len(name)}?"]


def test_resource_identity_attributes(rm_for, fake):
    rm = rm_for({SMU: fake, "GPIB0::24::INSTR": FakeInstrument()})
    smu = open_smu(rm)
    assert smu.resource_info.interface_type == constants.InterfaceType.usb
    assert (smu.manufacturer_id, smu.model_code, smu.serial_number) == (0x05E6, 0x2450, "04096331")
    assert smu.resource_name == "USB0::0x05E6::0x2450::04096331::0::INSTR"
    gpib = rm.open_resource("GPIB0::24::INSTR")
    assert gpib.primary_address == 24
    assert gpib.interface_type == constants.InterfaceType.gpib


def test_unknown_and_invalid_resources(rm_for, fake):
    rm = rm_for({SMU: fake})
    with pytest.raises(VisaIOError) as error:
        rm.open_resource("GPIB0::7::INSTR")
    assert error.value.error_code == constants.StatusCode.error_resource_not_found
    with pytest.raises(ValueError, match="resource_name"):
        VirtualVisaLibrary.for_instruments({"NOT-A-RESOURCE": fake})
    with pytest.raises(ValueError, match="already served"):
        VirtualVisaLibrary.for_instruments({SMU: fake, "USB0::0x05E6::0x2450::04096331::0::INSTR": fake})


def test_response_carries_the_resources_read_termination(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = rm.open_resource(SMU)  # pyvisa default: no read termination, write termination "\r\n"
    inst.write("A?")
    assert inst.read_raw() == b"A?\n"  # the instrument's own newline
    inst.read_termination = "\r\n"
    assert inst.query("B?") == "B?"
    inst.write("C?")
    assert inst.read_raw() == b"C?\r\n"
    assert inst.query("D?") == "D?"
    with inst.read_termination_context("\n"):
        assert inst.query("E?") == "E?"


def test_socket_resources_have_no_end_indicator(rm_for, fake):
    """As with pyvisa-py on a LAN port: a socket read needs the read termination or an exact byte count."""
    socket_name = "TCPIP0::192.168.0.5::5025::SOCKET"
    rm = rm_for({socket_name: fake})
    inst = rm.open_resource(socket_name, write_termination="\n")
    with pytest.raises(VisaIOError) as error:
        inst.query("A?")
    assert error.value.error_code == constants.StatusCode.error_timeout
    inst.write("BC?")
    inst.write("DE?")
    assert inst.read_bytes(6) == b"BC?\nDE"  # one byte stream across responses
    assert inst.read_bytes(2) == b"?\n"
    inst.read_termination = "\n"
    assert inst.query("F?") == "F?"


def test_several_messages_in_one_write_are_answered_one_per_read(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm)
    inst.write_raw(b"VOLT 0.25\r\nVOLT?\nA?;B?\n*IDN?\n")
    assert [inst.read(), inst.read(), inst.read()] == ["0.25", "A?;B?", IDN]
    assert fake.messages == ["VOLT 0.25", "VOLT?", "A?;B?", "*IDN?"]


def test_end_of_write_ends_a_message_only_with_send_end(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm, write_termination="")
    inst.write("F?")  # END with the last byte terminates the message, as on USB/GPIB
    assert inst.read() == "F?"
    inst.send_end = False
    inst.write("G")
    inst.write("H?")
    assert fake.messages == ["F?"]
    inst.write("\n")
    assert inst.read() == "GH?"


def test_read_with_nothing_queued_times_out_at_once(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm, timeout=10_000)
    inst.write("VOLT 1")
    start = time.perf_counter()
    with pytest.raises(VisaIOError) as error:
        inst.read()
    assert error.value.error_code == constants.StatusCode.error_timeout
    assert time.perf_counter() - start < 1.0
    assert inst.query("VOLT?") == "1"  # nothing out of step afterwards


def test_clear_calls_device_clear_and_drops_output_and_partial_input(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm)
    inst.write("A?")
    inst.send_end = False
    inst.write_raw(b"VOLT 9")  # partial message, no terminator
    inst.clear()
    assert fake.clears == 1
    with pytest.raises(VisaIOError):
        inst.read()
    inst.send_end = True
    assert inst.query("VOLT?") == "0"


def test_read_stb_adds_message_available(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm)
    fake.stb = 0x04
    assert inst.read_stb() == 0x04
    inst.write("A?")
    assert inst.stb == 0x04 | 0x10
    inst.read()
    assert inst.read_stb() == 0x04

    class NoStatus:
        def handle(self, message):
            return None

    other = rm_for({SMU: NoStatus()}).open_resource(SMU)
    with pytest.raises(VisaIOError) as error:
        other.read_stb()
    assert error.value.error_code == constants.StatusCode.error_nonsupported_operation


def test_binary_blocks_survive_both_directions(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm)
    values = inst.query_binary_values("BLK?", datatype="B", container=bytes)
    assert values == FakeInstrument.BLOCK_DATA
    inst.write_binary_values("DATA ", [10, 13, 10, 0], datatype="B")
    assert inst.query("*IDN?") == IDN
    assert fake.messages[-2] == "DATA #14\n\r\n\x00"
    assert fake.messages[-2].encode("latin-1")[-4:] == bytes([10, 13, 10, 0])


def test_read_in_small_chunks(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm, chunk_size=3)
    assert inst.query("LONGER-QUERY?") == "LONGER-QUERY?"
    inst.write("ABCDEFG?")
    assert inst.read_bytes(4) == b"ABCD"
    assert inst.read_bytes(5) == b"EFG?\n"


def test_flush_read_buffer_discards_the_rest_of_a_partly_read_response(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm)
    inst.write("ABCDEFG?")
    inst.write("NEXT?")
    assert inst.read_bytes(2) == b"AB"
    inst.flush(constants.BufferOperation.discard_read_buffer)
    assert inst.read() == "NEXT?"


def test_attributes(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm, timeout=1234)
    assert inst.timeout == 1234
    inst.timeout = None
    assert inst.timeout == float("+inf")
    assert inst.send_end is True
    assert inst.get_visa_attribute(constants.ResourceAttribute.termchar) == ord("\n")
    assert inst.get_visa_attribute(constants.ResourceAttribute.termchar_enabled)
    with pytest.raises(VisaIOError) as error:
        inst.set_visa_attribute(constants.ResourceAttribute.resource_name, "x")
    assert error.value.error_code == constants.StatusCode.error_attribute_read_only
    with pytest.raises(VisaIOError) as error:
        inst.get_visa_attribute(constants.ResourceAttribute.gpib_primary_address)
    assert error.value.error_code == constants.StatusCode.error_nonsupported_attribute


def test_every_handler_call_holds_the_bench_lock(rm_for):
    lock = threading.RLock()
    smu = LockProbingInstrument(lock)
    rm = rm_for({SMU: smu}, lock=lock)
    inst = open_smu(rm)
    inst.query("*IDN?")
    inst.write("VOLT 1")
    inst.clear()
    inst.assert_trigger()
    assert smu.held == [True, True, True]
    assert smu.messages[-1] == "*TRG"


def test_threads_on_two_instruments_of_one_bench_do_not_race(rm_for):
    counter = SharedCounter()
    names = [SMU, "GPIB0::5::INSTR"]
    rm = rm_for({name: CountingInstrument(counter) for name in names}, lock=threading.RLock())
    insts = [open_smu(rm), rm.open_resource(names[1], write_termination="\n", read_termination="\n")]

    def hammer(inst):
        for _ in range(200):
            inst.write("INC")

    threads = [threading.Thread(target=hammer, args=(inst,)) for inst in insts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert insts[1].query("VAL?") == "400"


def test_benches_are_independent(rm_for):
    first, second = FakeInstrument(), FakeInstrument()
    rm1, rm2 = rm_for({SMU: first}), rm_for({SMU: second})
    assert rm1.visalib is not rm2.visalib
    open_smu(rm1).write("VOLT 1")
    open_smu(rm2).write("VOLT 2")
    assert (first.volt, second.volt) == ("1", "2")


def test_closed_sessions_are_invalid(rm_for, fake):
    rm = rm_for({SMU: fake})
    inst = open_smu(rm)
    rm.close()
    with pytest.raises(pyvisa.errors.InvalidSession):
        inst.query("*IDN?")


def test_a_resource_finalised_after_its_manager_closes_quietly_and_stays_invalid(fake):
    rm = pyvisa.ResourceManager(VirtualVisaLibrary.for_instruments({SMU: fake}))
    inst = open_smu(rm)
    session = inst.session
    rm._created_resources.clear()  # what garbage collection does to the manager's weak set before finalising it
    rm.close()  # the last manager: every instrument session closes with it
    with pytest.raises(pyvisa.errors.VisaIOError, match="VI_ERROR_INV_OBJECT"):
        inst.visalib.write(session, b"*IDN?\n")
    inst.close()  # the driver's finalizer: no error
    with pytest.raises(pyvisa.errors.VisaIOError, match="VI_ERROR_INV_OBJECT"):
        inst.visalib.close(session)  # quiet only once


class FakeDriver(SCPIMixin, Instrument):
    """A PyMeasure driver as the project's drivers are written."""

    voltage = Instrument.control("VOLT?", "VOLT %g", "Voltage in V.")

    def __init__(self, adapter, **kwargs):
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, "Fake instrument", **kwargs)


def test_pymeasure_visa_adapter_and_instrument(fake):
    library = VirtualVisaLibrary.for_instruments({SMU: fake})
    adapter = VISAAdapter(SMU, visa_library=library, read_termination="\n", write_termination="\n")
    adapter.write("*IDN?")
    assert adapter.read() == IDN
    adapter.close()
    driver = FakeDriver(SMU, visa_library=library)
    assert driver.id == IDN
    driver.voltage = 0.125
    assert driver.voltage == 0.125
    assert fake.messages[-2:] == ["VOLT 0.125", "VOLT?"]
    driver.adapter.close()
    library.resource_manager.close()
