"""A small AXI4-Lite slave exposing a :class:`~mtjhw.gateware.registers.RegisterMap` (amaranth-soc is not on PyPI).

Protocol: the write address and write data channels are accepted independently (each ``ready`` is high while
its channel has not been latched), the write happens when both are in and the response channel is free; the
response is held until ``bready``. A read address is accepted when no read response is pending; the data is held
until ``rready``. Unmapped addresses answer SLVERR (2), writes to read-only registers too; byte strobes apply.
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth import Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .registers import RegisterMap

OKAY, SLVERR = 0, 2


class AxiLiteRegisters(wiring.Component):
    """AXI-Lite slave + register bank. For each 'rw' register ``reg_<name>`` is an output (the value the host
    wrote); for each 'ro' register ``reg_<name>`` is an input the fabric drives; both are views of the register's
    layout, by field (:attr:`registers` names them without the prefix). ``reg_<name>_written`` pulses for one
    cycle after a write to an ``on_write`` register (the new value is in ``reg_<name>`` by then);
    ``reg_<name>_read`` pulses in the cycle a read of an ``on_read`` register is answered."""

    def __init__(self, register_map: RegisterMap) -> None:
        self.map = register_map
        aw = register_map.address_width
        members = {
            "awaddr": In(aw), "awvalid": In(1), "awready": Out(1),
            "wdata": In(32), "wstrb": In(4), "wvalid": In(1), "wready": Out(1),
            "bresp": Out(2), "bvalid": Out(1), "bready": In(1),
            "araddr": In(aw), "arvalid": In(1), "arready": Out(1),
            "rdata": Out(32), "rresp": Out(2), "rvalid": Out(1), "rready": In(1),
        }
        for r in register_map.registers:
            members[f"reg_{r.name}"] = Out(r.layout, init=r.init) if r.access == "rw" else In(r.layout)
            if r.on_write:
                members[f"reg_{r.name}_written"] = Out(1)
            if r.on_read:
                members[f"reg_{r.name}_read"] = Out(1)
        super().__init__(members)

    @property
    def registers(self) -> SimpleNamespace:
        """The register views by name: ``registers.ENGINE_CTRL.train``."""
        return SimpleNamespace(**{r.name: getattr(self, f"reg_{r.name}") for r in self.map.registers})

    def elaborate(self, platform) -> Module:
        m = Module()
        aw = self.map.address_width
        aw_addr, aw_full = Signal(aw), Signal()
        w_data, w_strb, w_full = Signal(32), Signal(4), Signal()
        m.d.comb += [self.awready.eq(~aw_full), self.wready.eq(~w_full)]
        for r in self.map.registers:
            if r.on_write:
                m.d.sync += getattr(self, f"reg_{r.name}_written").eq(0)
        with m.If(self.awvalid & ~aw_full):
            m.d.sync += [aw_addr.eq(self.awaddr), aw_full.eq(1)]
        with m.If(self.wvalid & ~w_full):
            m.d.sync += [w_data.eq(self.wdata), w_strb.eq(self.wstrb), w_full.eq(1)]
        with m.If(self.bvalid & self.bready):
            m.d.sync += self.bvalid.eq(0)
        with m.If(aw_full & w_full & (~self.bvalid | self.bready)):
            m.d.sync += [aw_full.eq(0), w_full.eq(0), self.bvalid.eq(1), self.bresp.eq(SLVERR)]
            word = aw_addr & ~3
            for r in self.map.registers:
                with m.If(word == r.offset):
                    if r.access == "rw":
                        target = Value.cast(getattr(self, f"reg_{r.name}"))
                        for byte in range(4):
                            with m.If(w_strb[byte]):
                                m.d.sync += target[8 * byte:8 * byte + 8].eq(w_data[8 * byte:8 * byte + 8])
                        m.d.sync += self.bresp.eq(OKAY)
                        if r.on_write:
                            m.d.sync += getattr(self, f"reg_{r.name}_written").eq(1)
        # read channel
        m.d.comb += self.arready.eq(~self.rvalid)
        with m.If(self.rvalid & self.rready):
            m.d.sync += self.rvalid.eq(0)
        with m.If(self.arvalid & ~self.rvalid):
            m.d.sync += [self.rvalid.eq(1), self.rresp.eq(SLVERR), self.rdata.eq(0)]
            word = self.araddr & ~3
            for r in self.map.registers:
                with m.If(word == r.offset):
                    m.d.sync += [self.rdata.eq(getattr(self, f"reg_{r.name}")), self.rresp.eq(OKAY)]
                    if r.on_read:
                        m.d.comb += getattr(self, f"reg_{r.name}_read").eq(1)
        return m
