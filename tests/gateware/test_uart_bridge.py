"""The UART host path: 8N1 UART, the framed register bridge, SerialBus, and a training step through Accelerator
over a bit-level simulated UART line, against the golden model."""

import numpy as np
import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from mtjhw.gateware.axi_lite import AxiLiteRegisters
from mtjhw.gateware.host import BusError
from mtjhw.gateware.mlp_golden import DEFAULT_FORMAT
from mtjhw.gateware.registers import Field, Register, RegisterMap
from mtjhw.gateware.serial_bus import SerialBus
from mtjhw.gateware.top import TopConfig
from mtjhw.gateware.uart import UartRx, UartTx
from mtjhw.gateware.uart_bridge import UartBridge
from mtjhw.gateware.uart_sim import SimulatedUart, simulated_uart_accelerator

DIVIDER = 5
MAP = RegisterMap([Register("SCRATCH", 0x0, "rw", "scratch", (Field("value", 32, "any word"),)),
                   Register("MAGIC", 0x4, "ro", "constant", (Field("value", 32, "MAGIC"),)),
                   Register("OTHER", 0x10, "rw", "another", (Field("value", 32, "any word", reset=7),))])
MAGIC = 0xC0FFEE42


class BridgedBank(wiring.Component):
    """A register bank behind the UART bridge, its 'ro' register tied to MAGIC."""

    def __init__(self, timeout=None):
        self.bank = AxiLiteRegisters(MAP)
        self.bridge = UartBridge(MAP.address_width, DIVIDER, timeout)
        super().__init__({"rx": In(1, init=1), "tx": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.bank, m.submodules.bridge = self.bank, self.bridge
        m.d.comb += [self.bridge.rx.eq(self.rx), self.tx.eq(self.bridge.tx), self.bank.reg_MAGIC.value.eq(MAGIC)]
        for name, member in self.bridge.signature.members.items():
            if name in ("rx", "tx"):
                continue
            ours, theirs = getattr(self.bridge, name), getattr(self.bank, name)
            m.d.comb += ours.eq(theirs) if member.flow == In else theirs.eq(ours)
        return m


def test_uart_bytes_arrive_as_sent():
    sent = np.random.default_rng(5).integers(0, 256, 24).tolist()
    m = Module()
    m.submodules.tx, m.submodules.rx = tx, rx = UartTx(DIVIDER), UartRx(DIVIDER)
    m.d.comb += rx.rx.eq(tx.tx)
    received = []

    async def bench(ctx):
        for byte in sent:
            ctx.set(tx.data.payload, byte)
            ctx.set(tx.data.valid, 1)
            await ctx.tick().until(tx.data.ready)
        ctx.set(tx.data.valid, 0)
        await ctx.tick().repeat(12 * DIVIDER)

    async def sink(ctx):
        ctx.set(rx.data.ready, 1)
        async for _, _, valid, payload in ctx.tick().sample(rx.data.valid, rx.data.payload):
            if valid:
                received.append(payload)

    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.add_testbench(sink, background=True)
    sim.run()
    assert received == sent


def test_bad_divider_is_refused():
    with pytest.raises(ValueError, match="divider"):
        UartRx(2)
    with pytest.raises(ValueError, match="timeout"):
        UartBridge(12, 8, timeout=10)


def test_bridge_reads_and_writes_the_register_bank_and_reports_errors():
    with SimulatedUart(BridgedBank(), DIVIDER) as line:
        bus = SerialBus(line)
        assert bus.read(0x4) == MAGIC
        assert bus.read(0x10) == 7  # reset value
        bus.write(0x0, 0x89ABCDEF)
        assert bus.read(0x0) == 0x89ABCDEF
        assert bus.read(0x10) == 7
        with pytest.raises(BusError, match="slave error"):
            bus.write(0x4, 1)  # read-only
        with pytest.raises(BusError, match="slave error"):
            bus.read(0x8)  # unmapped
        with pytest.raises(BusError, match="slave error"):
            bus.read(0x1_0000)  # beyond the 4 KiB window: must not alias 0x0
        assert bus.read(0x0) == 0x89ABCDEF


def test_bridge_answers_an_unknown_command_and_drops_a_frame_left_unfinished():
    timeout = 40 * DIVIDER
    with SimulatedUart(BridgedBank(timeout), DIVIDER, read_timeout=4 * timeout) as line:
        line.write(b"\x00")
        assert line.read(1) == b"?"
        line.write(b"W\x00\x00")  # the host gives up mid-frame …
        assert line.read(1) == b""  # … no answer: the bridge waits, then drops it
        bus = SerialBus(line)
        assert bus.read(0x4) == MAGIC  # and the next frame is understood
        with pytest.raises(BusError, match="did not recognise"):
            SerialBus(FakeStream(b"?")).read(0)


class FakeStream:
    """Records what is written and answers with ``reply``."""

    def __init__(self, reply):
        self.reply, self.written = reply, b""

    def write(self, data):
        self.written += data

    def read(self, size):
        return self.reply[:size]


def test_frames_on_the_wire_are_the_documented_bytes():
    stream = FakeStream(b"\x00")
    SerialBus(stream).write(0x12C, -2)
    assert stream.written == bytes([0x57, 0x2C, 0x01, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF])
    stream = FakeStream(b"\x00\x78\x56\x34\x12")
    assert SerialBus(stream).read(0x4) == 0x12345678
    assert stream.written == bytes([0x52, 4, 0, 0, 0])
    with pytest.raises(TimeoutError, match="1 of 5"):
        SerialBus(FakeStream(b"\x00")).read(0)
    with pytest.raises(ValueError, match="32-bit"):
        SerialBus(FakeStream(b"\x00")).write(1 << 32, 0)


def test_a_training_step_through_the_uart_equals_the_golden_model():
    """Accelerator (unchanged host classes) → SerialBus → bit-level UART → bridge → AXI-Lite → engine."""
    fmt = DEFAULT_FORMAT
    config = TopConfig(sizes=(4, 3), lanes=2, rows=2, cols=2)
    golden = config.golden(seed=11)
    rng = np.random.default_rng(11)
    with simulated_uart_accelerator(config, divider=DIVIDER) as accelerator:
        accelerator.engine.load(config.golden(seed=11))
        for _ in range(2):
            x, label = fmt.quantize(rng.uniform(-1, 1, 4)), int(rng.integers(3))
            outcome = accelerator.engine.step(x, label)
            target = np.where(np.arange(3) == label, int(fmt.quantize(0.95)), int(fmt.quantize(0.05)))
            expected = golden.step(x, target)
            assert outcome.outputs.tolist() == expected.tolist()
            assert outcome.prediction == int(np.argmax(expected))
        weights, biases = accelerator.engine.parameters()
    np.testing.assert_array_equal(weights[0], golden.weights[0])
    np.testing.assert_array_equal(biases[0], golden.biases[0])
