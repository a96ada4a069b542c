"""AXI-Lite register bank: protocol-correct handshakes under back-pressure, and the host on both backends."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from mtjhw.gateware.axi_lite import OKAY, SLVERR, AxiLiteRegisters
from mtjhw.gateware.host import BusError, RegisterFile
from mtjhw.gateware.registers import Field, Register, RegisterMap
from mtjhw.gateware.sim_bus import SimulatedAxiBus

MAP = RegisterMap([
    Register("control", 0x00, "rw", "control", (Field("start", 1, "start"), Field("mode", 8, "mode", at=8))),
    Register("scratch", 0x04, "rw", "free for the host", (Field("word", 32, "anything", reset=0xDEADBEEF),)),
    Register("status", 0x08, "ro", "status", (Field("busy", 1, "busy"), Field("done", 1, "done", at=1))),
    Register("version", 0x0C, "ro", "gateware version", (Field("minor", 16, "minor"), Field("major", 16, "major",
                                                                                            at=16))),
])


def test_random_handshakes_and_back_pressure():
    dut = AxiLiteRegisters(MAP)
    rng = np.random.default_rng(2)
    log = []

    async def master(ctx):
        ctx.set(dut.reg_status, {"busy": 1, "done": 0})
        ctx.set(dut.reg_version, {"major": 1, "minor": 2})
        expected = {0x00: 0, 0x04: 0xDEADBEEF, 0x08: 0x1, 0x0C: 0x00010002}
        for _ in range(40):
            offset = int(rng.choice([0x00, 0x04, 0x08, 0x0C, 0x10]))
            if rng.random() < 0.5:  # write: address and data presented with independent random delays
                value = int(rng.integers(0, 2**32))
                aw_delay, w_delay, b_delay = rng.integers(0, 3, 3)
                aw_sent = w_sent = False
                cycle = 0
                while not (aw_sent and w_sent):
                    ctx.set(dut.awvalid, int(cycle >= aw_delay and not aw_sent))
                    ctx.set(dut.awaddr, offset)
                    ctx.set(dut.wvalid, int(cycle >= w_delay and not w_sent))
                    ctx.set(dut.wdata, value)
                    ctx.set(dut.wstrb, 0xF)
                    aw_fire = ctx.get(dut.awvalid) and ctx.get(dut.awready)
                    w_fire = ctx.get(dut.wvalid) and ctx.get(dut.wready)
                    await ctx.tick()
                    aw_sent |= bool(aw_fire)
                    w_sent |= bool(w_fire)
                    cycle += 1
                ctx.set(dut.awvalid, 0)
                ctx.set(dut.wvalid, 0)
                for _ in range(int(b_delay)):  # the master is not ready for the response yet
                    await ctx.tick()
                ctx.set(dut.bready, 1)
                while not ctx.get(dut.bvalid):
                    await ctx.tick()
                response = ctx.get(dut.bresp)
                await ctx.tick()
                ctx.set(dut.bready, 0)
                writable = offset in (0x00, 0x04)
                assert response == (OKAY if writable else SLVERR)
                if writable:
                    expected[offset] = value
                log.append(("w", offset))
            else:
                ctx.set(dut.araddr, offset)
                ctx.set(dut.arvalid, 1)
                while not ctx.get(dut.arready):
                    await ctx.tick()
                await ctx.tick()
                ctx.set(dut.arvalid, 0)
                for _ in range(int(rng.integers(0, 3))):  # rvalid must be held while the master stalls
                    assert ctx.get(dut.rvalid)
                    await ctx.tick()
                ctx.set(dut.rready, 1)
                assert ctx.get(dut.rvalid)
                data, response = ctx.get(dut.rdata), ctx.get(dut.rresp)
                await ctx.tick()
                ctx.set(dut.rready, 0)
                if offset in expected:
                    assert response == OKAY and data == expected[offset]
                else:
                    assert response == SLVERR
                log.append(("r", offset))
        assert ctx.get(dut.reg_control.as_value()) == expected[0x00]

    sim = Simulator(dut)
    sim.add_clock(10e-9)
    sim.add_testbench(master)
    sim.run()
    assert {kind for kind, _ in log} == {"w", "r"}



def exercise(registers: RegisterFile) -> list[int]:
    """The same host code for both backends."""
    registers.write("control", 0x0000_0101)
    registers.write("scratch", 0x1234_5678)
    return [registers.read("control"), registers.read("scratch")]


def test_host_code_runs_unchanged_on_the_simulated_bus_and_on_mmio(mmio_bus):
    with SimulatedAxiBus(AxiLiteRegisters(MAP)) as bus:
        simulated = exercise(RegisterFile(bus, MAP))
        assert bus.cycles > 8
        with pytest.raises(BusError, match="slave error"):
            bus.write(0x08, 1)  # read-only
        with pytest.raises(BusError):
            bus.read(0x40)  # unmapped
    mmio = exercise(RegisterFile(mmio_bus, MAP))
    assert simulated == mmio == [0x0000_0101, 0x1234_5678]
    with pytest.raises(PermissionError):
        RegisterFile(mmio_bus, MAP).write("status", 1)

