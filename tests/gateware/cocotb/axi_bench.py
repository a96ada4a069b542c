"""cocotb testbench of the exported accelerator Verilog, driven through its AXI-Lite port by cocotbext-axi.

The register map (:func:`mtjhw.gateware.top.register_map`) is the specification: every register's reset value,
read-back, access and byte strobes, SLVERR on every unmapped word, the channel orders and back-pressure a
master may apply; training steps go through the project's own host classes (unchanged) and are compared with
the golden model bit for bit. :class:`AxiMonitor` watches every cycle of every test: no X or Z on the slave's
outputs, responses held until accepted, one response per request. ``test_cocotb_axi.py`` runs this module on
Icarus and Verilator; the configuration comes in ``MTJHW_TOP_CONFIG`` (:meth:`TopConfig.to_dict` as JSON), the
top's clock, reset and quiet inputs in ``MTJHW_TOP_PORTS`` (:data:`PORTS`: ``AcceleratorTop`` or the PYNQ-Z2 top).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random

import cocotb
import numpy as np
from amaranth.lib import wiring
from cocotb.clock import Clock
from cocotb.task import bridge, resume
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiResp

from mtjhw.gateware.accelerator_host import Accelerator
from mtjhw.gateware.host import BusError
from mtjhw.gateware.top import IDENTIFIER, AcceleratorTop, TopConfig, register_map

CONFIG = TopConfig.from_dict(json.loads(os.environ["MTJHW_TOP_CONFIG"]))
#: clock and reset port, the reset's active level, the engine's instance path, inputs held at 0 (the front end)
PORTS = json.loads(os.environ["MTJHW_TOP_PORTS"])
MAP = register_map(CONFIG)
RW = [r for r in MAP.registers if r.access == "rw"]
RO = [r for r in MAP.registers if r.access == "ro"]
PLAIN_RW = [r for r in RW if not r.on_write]  # storage only: writing them starts nothing
SLAVE_OUTPUTS = [name for name, member in AcceleratorTop(CONFIG).signature.members.items()
                 if name.startswith("s_axi_") and member.flow == wiring.Out]
PAYLOADS = {"b": ("bresp",), "r": ("rresp", "rdata")}  # what a held response must keep
CLOCK_PERIOD = 10  # ns


def clock(dut):
    return getattr(dut, PORTS["clock"])


def reset(dut):
    return getattr(dut, PORTS["reset"])


class AxiMonitor:
    """Checks the slave's side of AXI-Lite at every rising edge out of reset and records each handshake's cycle."""

    def __init__(self, dut) -> None:
        self.dut, self.cycle = dut, 0
        self.handshakes: dict[str, list[int]] = {channel: [] for channel in ("aw", "w", "b", "ar", "r")}
        self.task = cocotb.start_soon(self._run())

    def _get(self, name: str):
        return getattr(self.dut, f"s_axi_{name}").value

    def _payload(self, channel: str) -> tuple[str, ...]:
        return tuple(str(self._get(name)) for name in PAYLOADS[channel])

    def _check_cycle(self, held: dict[str, tuple | None]) -> dict[str, tuple | None]:
        """Check this cycle against the responses ``held`` (offered, not taken) last cycle; return this cycle's."""
        for name in SLAVE_OUTPUTS:
            value = getattr(self.dut, name).value
            assert value.is_resolvable, f"{name} is {value} at cycle {self.cycle}"
        for channel, payload in held.items():
            if payload is not None:
                assert self._get(f"{channel}valid"), f"{channel}valid dropped before {channel}ready"
                now = self._payload(channel)
                assert now == payload, f"{channel} response changed while held: {payload} → {now}"
        return {channel: self._payload(channel) if self._get(f"{channel}valid") and not self._get(f"{channel}ready")
                else None for channel in held}

    def _count_handshakes(self) -> None:
        for channel, cycles in self.handshakes.items():
            if self._get(f"{channel}valid") and self._get(f"{channel}ready"):
                cycles.append(self.cycle)
        h = {channel: len(cycles) for channel, cycles in self.handshakes.items()}
        assert h["b"] <= min(h["aw"], h["w"]), f"a write response without its request: {h}"
        assert h["r"] <= h["ar"], f"a read response without its request: {h}"

    async def _run(self) -> None:
        held: dict[str, tuple | None] = dict.fromkeys(PAYLOADS)
        while True:
            await RisingEdge(clock(self.dut))
            if reset(self.dut).value == PORTS["reset_level"]:
                held = dict.fromkeys(PAYLOADS)
                self.handshakes = {channel: [] for channel in self.handshakes}
                continue
            self.cycle += 1
            held = self._check_cycle(held)
            self._count_handshakes()

    def assert_balanced(self) -> None:
        """One response per request, none left over (call when the master is idle)."""
        h = {channel: len(cycles) for channel, cycles in self.handshakes.items()}
        assert h["aw"] == h["w"] == h["b"] and h["ar"] == h["r"], f"requests and responses differ: {h}"


class Bench:
    """Clock, reset, the cocotbext-axi master and the monitor around ``dut``."""

    def __init__(self, dut) -> None:
        self.dut = dut
        cocotb.start_soon(Clock(clock(dut), CLOCK_PERIOD, unit="ns").start())
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi"), clock(dut), reset(dut),
                                 reset_active_level=bool(PORTS["reset_level"]))
        for side in (self.axi.write_if, self.axi.read_if):
            side.log.setLevel(logging.WARNING)  # not every transaction
        self.monitor = AxiMonitor(dut)

    async def reset(self) -> None:
        for name in PORTS["quiet"]:
            getattr(self.dut, name).value = 0
        reset(self.dut).value = PORTS["reset_level"]
        await ClockCycles(clock(self.dut), 4)
        reset(self.dut).value = 1 - PORTS["reset_level"]
        await ClockCycles(clock(self.dut), 2)

    async def read(self, address: int) -> tuple[int, AxiResp]:
        answer = await self.axi.read(address, 4)
        return int.from_bytes(answer.data, "little"), answer.resp

    async def write(self, address: int, value: int, length: int = 4) -> AxiResp:
        return (await self.axi.write(address, value.to_bytes(length, "little"))).resp

    async def expect(self, address: int, value: int) -> None:
        found, resp = await self.read(address)
        assert resp == AxiResp.OKAY, f"read at {address:#05x} answered {resp}"
        assert found == value, f"read at {address:#05x}: {found:#010x}, expected {value:#010x}"


async def started(dut) -> Bench:
    bench = Bench(dut)
    await bench.reset()
    return bench


@cocotb.test()
async def reset_leaves_no_x_and_reset_values(dut) -> None:
    """Out of reset, before any access: AXI outputs and the engine's input ready are defined (4-state
    simulators too); every 'rw' register reads its reset value, the identifier reads right."""
    bench = await started(dut)
    for name in SLAVE_OUTPUTS:
        value = getattr(dut, name).value
        assert value.is_resolvable, f"{name} is {value} after reset"
    ready = functools.reduce(getattr, PORTS["engine"].split("."), dut).inputs__ready.value
    assert ready.is_resolvable and ready == 1, f"engine inputs.ready is {ready} after reset (idle: 1)"
    for register in RW:
        await bench.expect(register.offset, register.reset)
    await bench.expect(MAP["ID"].offset, IDENTIFIER)
    await bench.expect(MAP["ENGINE_STEPS"].offset, 0)
    for register in RO:
        assert (await bench.read(register.offset))[1] == AxiResp.OKAY, register.name
    bench.monitor.assert_balanced()


@cocotb.test()
async def rw_registers_read_back(dut) -> None:
    """Every 'rw' register holds what was written, walking ones and random words (seeded)."""
    bench = await started(dut)
    rng = random.Random(1)
    for register in RW:
        for value in [1 << rng.randrange(32), rng.getrandbits(32), 0]:
            assert await bench.write(register.offset, value) == AxiResp.OKAY, register.name
            await bench.expect(register.offset, value)
    bench.monitor.assert_balanced()


@cocotb.test()
async def ro_registers_refuse_writes(dut) -> None:
    """A write to a 'ro' register answers SLVERR and changes nothing."""
    bench = await started(dut)
    for register in RO:
        before, _ = await bench.read(register.offset)
        assert await bench.write(register.offset, ~before & 0xFFFFFFFF) == AxiResp.SLVERR, register.name
        await bench.expect(register.offset, before)
    bench.monitor.assert_balanced()


@cocotb.test()
async def unmapped_addresses_answer_slverr(dut) -> None:
    """Every word of the 4 KiB window outside the map answers SLVERR to reads (data 0) and writes, and the
    writes change no register."""
    bench = await started(dut)
    mapped = {r.offset for r in MAP.registers}
    for address in range(0, 1 << MAP.address_width, 4):
        if address in mapped:
            continue
        assert await bench.read(address) == (0, AxiResp.SLVERR), f"read at {address:#05x}"
        assert await bench.write(address, 0xFFFFFFFF) == AxiResp.SLVERR, f"write at {address:#05x}"
    for register in RW:
        await bench.expect(register.offset, register.reset)
    bench.monitor.assert_balanced()


@cocotb.test()
async def byte_strobes_write_only_their_bytes(dut) -> None:
    """Single-byte and two-byte writes (wstrb 0001…1000, 0110) change only the bytes they strobe."""
    bench = await started(dut)
    rng = random.Random(2)
    for register in PLAIN_RW:
        expected = rng.getrandbits(32)
        await bench.write(register.offset, expected)
        for lane, length in [(0, 1), (1, 1), (2, 1), (3, 1), (1, 2)]:
            part = rng.getrandbits(8 * length)
            assert await bench.write(register.offset + lane, part, length) == AxiResp.OKAY
            mask = ((1 << 8 * length) - 1) << 8 * lane
            expected = expected & ~mask | part << 8 * lane
            await bench.expect(register.offset, expected)
    bench.monitor.assert_balanced()


async def write_with_channel_order(bench: Bench, address: int, value: int, order: str) -> AxiResp:
    """A write whose address or data channel is held back ``order`` = 'aw first', 'w first' or 'together'."""
    held = {"aw first": bench.axi.write_if.w_channel, "w first": bench.axi.write_if.aw_channel}.get(order)
    responses = len(bench.monitor.handshakes["b"])
    if held is not None:
        held.pause = True
    pending = cocotb.start_soon(bench.write(address, value))
    if held is not None:
        await ClockCycles(clock(bench.dut), 6)
        assert len(bench.monitor.handshakes["b"]) == responses and not bench.dut.s_axi_bvalid.value, \
            f"{order}: a response before both channels came"
        held.pause = False
    resp = await pending
    assert len(bench.monitor.handshakes["b"]) == responses + 1, f"{order}: not one response"
    return resp


@cocotb.test()
async def channel_orders(dut) -> None:
    """Address before data, data before address, and both in the same cycle: each writes, once."""
    bench = await started(dut)
    register = PLAIN_RW[0]
    for n, order in enumerate(["aw first", "w first", "together"]):
        value = 0x1111_1111 * (n + 1)
        assert await write_with_channel_order(bench, register.offset, value, order) == AxiResp.OKAY
        aw, w = bench.monitor.handshakes["aw"][-1], bench.monitor.handshakes["w"][-1]
        assert {"aw first": aw < w, "w first": w < aw, "together": aw == w}[order], f"{order}: aw {aw}, w {w}"
        await bench.expect(register.offset, value)
    bench.monitor.assert_balanced()


@cocotb.test()
async def back_pressure(dut) -> None:
    """bready and rready held low: the response waits (the monitor checks it is held unchanged); then random
    stalls on all five channels (seeded) over many accesses, every read-back right."""
    bench = await started(dut)
    register = PLAIN_RW[0]
    for sink, access in [(bench.axi.write_if.b_channel, bench.write(register.offset, 0xA5A5_5A5A)),
                         (bench.axi.read_if.r_channel, bench.read(register.offset))]:
        sink.pause = True
        pending = cocotb.start_soon(access)
        await ClockCycles(clock(dut), 10)
        assert not pending.done(), "the access completed with its response channel stalled"
        sink.pause = False
        await pending
    rng = random.Random(3)
    channels = [bench.axi.write_if.aw_channel, bench.axi.write_if.w_channel, bench.axi.write_if.b_channel,
                bench.axi.read_if.ar_channel, bench.axi.read_if.r_channel]
    for channel in channels:
        channel.set_pause_generator(iter(lambda: rng.random() < 0.4, None))
    model = {r.offset: (await bench.read(r.offset))[0] for r in PLAIN_RW}
    for _ in range(40):
        address = rng.choice(sorted(model))
        if rng.random() < 0.5:
            model[address] = rng.getrandbits(32)
            assert await bench.write(address, model[address]) == AxiResp.OKAY
        else:
            await bench.expect(address, model[address])
    for channel in channels:
        channel.clear_pause_generator()
        channel.pause = False
    bench.monitor.assert_balanced()


class CocotbAxiBus:
    """mtjhw's ``RegisterBus`` over the cocotbext-axi master: the host classes run unchanged in a
    :func:`cocotb.task.bridge` thread, each access a simulated AXI-Lite transaction."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    def read(self, offset: int) -> int:
        value, resp = resume(self.bench.read)(offset)
        if resp != AxiResp.OKAY:
            raise BusError(f"read at {offset:#x}: {resp}")
        return value

    def write(self, offset: int, value: int) -> None:
        resp = resume(self.bench.write)(offset, int(value) & 0xFFFFFFFF)
        if resp != AxiResp.OKAY:
            raise BusError(f"write at {offset:#x}: {resp}")


def train_against_golden(bus: CocotbAxiBus, steps: int, seed: int) -> None:
    """Load a seeded golden model through the parameter registers, run training, inference and measured-layer
    steps through the host, and compare outputs, predictions and the weights read back, bit for bit."""
    c = CONFIG
    engine = Accelerator(bus, c, timeout=600.0).engine
    golden = c.golden(seed)
    engine.load(golden)
    high, low = int(c.fmt.quantize(0.9)), int(c.fmt.quantize(0.1))
    engine.set_targets(high, low)
    rng = np.random.default_rng(seed)
    for step in range(steps):
        x = c.fmt.quantize(rng.uniform(-1, 1, c.sizes[0]))
        label, train = int(rng.integers(c.sizes[-1])), step % 3 != 2
        z = c.fmt.quantize(rng.uniform(-1, 1, c.sizes[1])) if train and step % 4 == 3 else None
        target = np.where(np.arange(c.sizes[-1]) == label, high, low)
        if not train:
            expected = golden.forward(x)[1][-1]
        else:
            expected = golden.step(x, target) if z is None else golden.step_measured(x, z, target)
        outcome = engine.step(x, label, train=train, z=z)
        assert outcome.outputs.tolist() == expected.tolist(), f"step {step}: {outcome.outputs} vs {expected}"
        assert outcome.prediction == int(np.argmax(expected)), f"step {step}"
    weights, biases = engine.parameters()
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
        assert w.tolist() == golden.weights[layer].tolist(), f"layer {layer} weights"
        assert b.tolist() == golden.biases[layer].tolist(), f"layer {layer} biases"


@cocotb.test()
async def training_steps_match_golden_model(dut) -> None:
    bench = await started(dut)
    await bridge(train_against_golden)(CocotbAxiBus(bench), steps=int(os.environ.get("MTJHW_STEPS", 8)), seed=5)
    bench.monitor.assert_balanced()
