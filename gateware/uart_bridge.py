"""A UART bridge to the register bank: small framed commands become AXI-Lite accesses on the same register map.

Protocol (8N1 bytes; multi-byte fields little-endian, as the registers sit on the AXI bus):

=========  ===========================================  ===========================================
command    request                                      response
=========  ===========================================  ===========================================
read       ``0x52`` ('R'), address (4 bytes)             status (1 byte), data (4 bytes)
write      ``0x57`` ('W'), address (4 bytes), data (4)   status (1 byte)
other      any other first byte                          ``0x3F`` ('?') at once, nothing else
=========  ===========================================  ===========================================

The status is the AXI response (0 OKAY, 2 SLVERR for an unmapped or read-only register, or an address beyond the
bank's window; a failed read returns data 0). Every request gets exactly one response, sent after the access
completed, so a host needs no flow control. A frame whose next byte does not come within ``timeout`` clock cycles
is dropped without a response: a host that gave up mid-frame resynchronises by waiting that long.
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .top import AXI_PORTS, AcceleratorTop, TopConfig
from .uart import UartRx, UartTx

READ, WRITE = 0x52, 0x57
BAD_COMMAND = 0x3F
OKAY, SLVERR = 0, 2
FRONT_END_PORTS = ("column", "row_drive", "charge", "calibration_stop", "taps_in")


def axi_lite_master(address_width: int) -> dict:
    """The members of an AXI-Lite master port (the slave's, flipped), by their short names."""
    return {
        "awaddr": Out(address_width), "awvalid": Out(1), "awready": In(1),
        "wdata": Out(32), "wstrb": Out(4), "wvalid": Out(1), "wready": In(1),
        "bresp": In(2), "bvalid": In(1), "bready": Out(1),
        "araddr": Out(address_width), "arvalid": Out(1), "arready": In(1),
        "rdata": In(32), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
    }


class UartBridge(wiring.Component):
    """UART lines ``rx``/``tx`` in front, an AXI-Lite master (``address_width`` bits) behind.

    ``divider``: clock cycles per UART bit; ``timeout``: cycles allowed between the bytes of a frame (default:
    16 byte times)."""

    def __init__(self, address_width: int, divider: int, timeout: int | None = None) -> None:
        self.address_width, self.divider = address_width, divider
        self.timeout = timeout if timeout is not None else 160 * divider
        if self.timeout < 10 * divider:
            raise ValueError(f"timeout {self.timeout} is shorter than one byte ({10 * divider} cycles)")
        super().__init__({"rx": In(1, init=1), "tx": Out(1), **axi_lite_master(address_width)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.uart_rx = rx = UartRx(self.divider)
        m.submodules.uart_tx = tx = UartTx(self.divider)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx)]
        frame = SimpleNamespace(rx=rx.data, tx=tx.data, command=Signal(8), address=Signal(32), data=Signal(32),
                                count=Signal(range(5)), waited=Signal(range(self.timeout + 1)),
                                reply=Signal(40), reply_bytes=Signal(range(6)))  # status, then read data
        with m.FSM():
            self._request_states(m, frame)
            self._bus_states(m, frame)
            self._response_state(m, frame)
        return m

    @staticmethod
    def _reply(m: Module, frame: SimpleNamespace, status, value=0, n=1) -> None:
        m.d.sync += [frame.reply.eq(status | value << 8), frame.reply_bytes.eq(n)]
        m.next = "respond"

    def _receive_word(self, m: Module, frame: SimpleNamespace, into: Signal, then: str) -> None:
        """Four bytes, LSB first, into ``into``; back to idle when the line stays quiet for ``timeout``."""
        m.d.comb += frame.rx.ready.eq(1)
        m.d.sync += frame.waited.eq(frame.waited + 1)
        with m.If(frame.rx.valid):
            m.d.sync += [into.eq(frame.rx.payload << 24 | into >> 8), frame.count.eq(frame.count + 1),
                         frame.waited.eq(0)]
            with m.If(frame.count == 3):
                m.d.sync += frame.count.eq(0)
                m.next = then
        with m.Elif(frame.waited == self.timeout):
            m.next = "idle"

    def _request_states(self, m: Module, frame: SimpleNamespace) -> None:
        byte = frame.rx.payload
        with m.State("idle"):
            m.d.comb += frame.rx.ready.eq(1)
            m.d.sync += [frame.count.eq(0), frame.waited.eq(0)]
            with m.If(frame.rx.valid & ((byte == READ) | (byte == WRITE))):
                m.d.sync += frame.command.eq(byte)
                m.next = "address"
            with m.Elif(frame.rx.valid):
                self._reply(m, frame, BAD_COMMAND)
        with m.State("address"):
            self._receive_word(m, frame, frame.address, "data")
        with m.State("data"):
            with m.If(frame.command == READ):
                m.next = "access"
            with m.Else():
                self._receive_word(m, frame, frame.data, "access")

    def _bus_states(self, m: Module, frame: SimpleNamespace) -> None:
        """One AXI-Lite write or read; an address beyond the window is refused without one."""
        with m.State("access"):
            with m.If(frame.address >> self.address_width != 0):
                self._reply(m, frame, SLVERR, 0, Mux(frame.command == READ, 5, 1))
            with m.Elif(frame.command == WRITE):
                m.d.sync += [self.awaddr.eq(frame.address), self.wdata.eq(frame.data), self.wstrb.eq(0xF),
                             self.awvalid.eq(1), self.wvalid.eq(1)]
                m.next = "write"
            with m.Else():
                m.d.sync += [self.araddr.eq(frame.address), self.arvalid.eq(1)]
                m.next = "read"
        with m.State("write"):
            m.d.comb += self.bready.eq(1)
            with m.If(self.awready):
                m.d.sync += self.awvalid.eq(0)
            with m.If(self.wready):
                m.d.sync += self.wvalid.eq(0)
            with m.If(self.bvalid):
                self._reply(m, frame, self.bresp)
        with m.State("read"):
            m.d.comb += self.rready.eq(1)
            with m.If(self.arready):
                m.d.sync += self.arvalid.eq(0)
            with m.If(self.rvalid):
                self._reply(m, frame, self.rresp, self.rdata, 5)

    @staticmethod
    def _response_state(m: Module, frame: SimpleNamespace) -> None:
        with m.State("respond"):
            m.d.comb += [frame.tx.payload.eq(frame.reply[:8]), frame.tx.valid.eq(1)]
            with m.If(frame.tx.ready):
                m.d.sync += [frame.reply.eq(frame.reply >> 8), frame.reply_bytes.eq(frame.reply_bytes - 1)]
                with m.If(frame.reply_bytes == 1):
                    m.next = "idle"


class UartAccelerator(wiring.Component):
    """:class:`~mtjhw.gateware.top.AcceleratorTop` behind a :class:`UartBridge`: UART lines ``rx``/``tx`` and the
    accelerator's front-end ports, one clock domain (what a board without an AXI host wraps in its pins)."""

    def __init__(self, config: TopConfig, divider: int, timeout: int | None = None) -> None:
        self.config = config
        self._core = AcceleratorTop(config)
        self._bridge = UartBridge(self._core.map.address_width, divider, timeout)
        members = {"rx": In(1, init=1), "tx": Out(1)}
        members.update({name: self._core.signature.members[name] for name in FRONT_END_PORTS})
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.core = core = self._core
        m.submodules.bridge = bridge = self._bridge
        m.d.comb += [bridge.rx.eq(self.rx), self.tx.eq(bridge.tx)]
        for name in AXI_PORTS:
            ours, theirs = getattr(bridge, name), getattr(core, f"s_axi_{name}")
            m.d.comb += theirs.eq(ours) if core.signature.members[f"s_axi_{name}"].flow == In else ours.eq(theirs)
        for name in FRONT_END_PORTS:
            ours, theirs = getattr(self, name), getattr(core, name)
            m.d.comb += theirs.eq(ours) if self.signature.members[name].flow == In else ours.eq(theirs)
        return m
