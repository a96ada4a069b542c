"""Register fields declared once: the host's packing agrees with the fabric's views through the AXI-Lite slave,
bad declarations and bad values are refused by name, and the accelerator's map holds every field it documents."""

import numpy as np
import pytest
from amaranth import Elaboratable, Module, signed

from mtjhw.gateware.accelerator_host import simulated_accelerator
from mtjhw.gateware.axi_lite import AxiLiteRegisters
from mtjhw.gateware.host import RegisterFile
from mtjhw.gateware.registers import Field, Register, RegisterMap
from mtjhw.gateware.sim_bus import SimulatedAxiBus
from mtjhw.gateware.top import TopConfig, identification, register_map

# the same fields at other places in a read-only register, the signed one sign-extended to more bits
LOOP = RegisterMap([
    Register("out", 0x0, "rw", "written by the host", (
        Field("a", 3, "a"), Field("s", signed(5), "s", at=7), Field("mid", 12, "mid", at=16),
        Field("flag", 1, "flag", at=31))),
    Register("back", 0x4, "ro", "driven by the fabric, field by field from out", (
        Field("flag", 1, "flag"), Field("s", signed(9), "s", at=4), Field("mid", 12, "mid", at=13),
        Field("a", 3, "a", at=25))),
])


class Loopback(Elaboratable):
    """The slave, with the fabric copying each field of ``out`` into the same field of ``back``."""

    def __init__(self) -> None:
        self.slave = AxiLiteRegisters(LOOP)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.slave = slave = self.slave
        regs = slave.registers
        m.d.comb += [getattr(regs.back, f.name).eq(getattr(regs.out, f.name)) for f in LOOP["out"].fields]
        return m


def random_fields(register: Register, rng: np.random.Generator) -> dict[str, int]:
    values = {}
    for f in register.fields:
        low = -(1 << (f.width - 1)) if f.signed else 0
        values[f.name] = int(rng.integers(low, low + (1 << f.width)))
    return values


def test_fields_written_by_the_host_are_the_fields_the_fabric_sees():
    dut = Loopback()
    rng = np.random.default_rng(11)
    with SimulatedAxiBus(dut.slave, toplevel=dut) as bus:
        registers = RegisterFile(bus, LOOP)
        for _ in range(12):
            values = random_fields(LOOP["out"], rng)
            registers.write("out", **values)
            assert registers.read_fields("back") == values
            assert registers.read_fields("out") == values



def test_field_writes_and_reads_on_the_data_sheet_bits(mmio_bus):
    registers = RegisterFile(mmio_bus, LOOP)
    registers.write("out", a=5, s=-1, flag=True)  # mid not named: its reset, 0
    assert registers.read("out") == 5 | 0b11111 << 7 | 1 << 31
    registers.bus.write(0x4, 1 | 0x1FF << 4 | 7 << 25)
    assert registers.read_fields("back") == {"flag": 1, "s": -1, "mid": 0, "a": 7}


def test_bad_values_and_declarations_are_refused_by_name(mmio_bus):
    registers = RegisterFile(mmio_bus, LOOP)
    with pytest.raises(ValueError, match=r"out\.s: must be an integer in -16\.\.15"):
        registers.write("out", s=16)
    with pytest.raises(ValueError, match=r"out\.a: must be an integer in 0\.\.7"):
        registers.write("out", a=2.5)
    with pytest.raises(ValueError, match="has no field lable"):
        registers.write("out", lable=1)
    with pytest.raises(TypeError, match="not both"):
        registers.write("out", 1, a=1)
    with pytest.raises(PermissionError, match="read-only"):
        registers.write("back", a=1)
    with pytest.raises(ValueError, match="overlaps"):
        Register("r", 0, "rw", "", (Field("x", 4, ""), Field("y", 2, "", at=3)))
    with pytest.raises(ValueError, match="does not fit 32 bits"):
        Register("r", 0, "rw", "", (Field("x", 4, "", at=30),))
    with pytest.raises(ValueError, match="no reset"):
        Register("r", 0, "ro", "", (Field("x", 4, "", reset=1),))
    with pytest.raises(ValueError, match=r"r\.x: must be an integer in 0\.\.15"):
        Register("r", 0, "rw", "", (Field("x", 4, "", reset=16),))
    with pytest.raises(ValueError, match="at least one field"):
        Register("r", 0, "rw", "", ())
    with pytest.raises(ValueError, match="unique"):
        bit = (Field("x", 1, ""),)
        RegisterMap([Register("a", 0, "rw", "", bit), Register("b", 0, "ro", "", bit)])
    with pytest.raises(ValueError, match="word address"):
        Register("c", 2, "rw", "", (Field("x", 1, ""),))


def test_the_table_lists_each_register_and_each_field():
    table = LOOP.markdown().splitlines()
    assert "| `0x0000` | `out` | | | rw | `0x0` | written by the host |" in table
    assert "| | | `s` | [11:7] signed | rw | `0` | s |" in table
    assert "| | | `s` | [12:4] signed | ro | — | s |" in table
    assert len(table) == 2 + sum(1 + len(r.fields) for r in LOOP.registers)


def test_the_accelerator_resets_and_identifies_itself_as_declared():
    config = TopConfig(sizes=(5, 3), lanes=2, rows=3, cols=2, taps=8, code_width=12)
    declared = register_map(config)
    with simulated_accelerator(config) as accelerator:
        registers = accelerator.registers
        for register in declared.registers:
            if register.access == "rw":
                assert registers.read_fields(register.name) == register.init, register.name
        assert registers.read_fields("TARGET_HIGH")["value"] == int(config.fmt.quantize(0.95))
        for name, values in identification(config).items():
            assert registers.read_fields(name) == values, name
        assert registers.read_fields("ID")["identifier"] == int.from_bytes(b"MTJH", "big")
        assert registers.read_fields("READOUT_SHAPE")["columns"] == 2
        assert registers.read_fields("LAYER_SIZES") == {"inputs": 5, "first_layer": 3, "lr_shift": config.lr_shift}
