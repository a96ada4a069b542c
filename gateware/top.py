"""The accelerator: AXI-Lite register bank, readout sequencer with its TDC, and the training engine, wired up.

Data path: the readout sweeps the array's columns and streams TDC codes either to the host (a code FIFO read
through ``READOUT_CODE``) or, with ``ENGINE_CTRL.route`` set, through the code-to-fixed-point converter
(x = sat(((code − offset)·gain) >> shift)) into the engine's input FIFO: the network's inputs (or a measured
first layer) come straight from the array. The host pushes inputs through ``ENGINE_INPUT`` otherwise, programs
and reads weights through ``PARAM_*`` and reads outputs through ``OUT_*``. The configuration and the register
map it gets (:func:`register_map`, the single source; ``python -m mtjhw.gateware.top`` renders it for
``gateware/README.md``) live in :mod:`mtjhw.gateware.accelerator_config`, importable without Amaranth.
"""

from __future__ import annotations

from types import SimpleNamespace

from amaranth import Module, Signal
from amaranth.lib import fifo, wiring
from amaranth.lib.wiring import In, Out

from .accelerator_config import DEFAULT_CONFIG, IDENTIFIER, VERSION, TopConfig, identification, register_map
from .axi_lite import AxiLiteRegisters
from .mlp_engine import MLPEngine
from .readout import CodeConverter, ReadoutSequencer

__all__ = ["AXI_PORTS", "DEFAULT_CONFIG", "IDENTIFIER", "VERSION", "AcceleratorTop", "TopConfig", "identification",
           "register_map"]

AXI_PORTS = ("awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready",
             "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")


class AcceleratorTop(wiring.Component):
    """The accelerator behind one AXI-Lite slave (ports ``s_axi_*``). The front-end ports (``column``,
    ``row_drive``, ``charge``, ``calibration_stop``, ``taps_in``) go to the analog board and the delay line."""

    def __init__(self, config: TopConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self.map = register_map(config)
        slave = AxiLiteRegisters(self.map)
        members = {f"s_axi_{name}": slave.signature.members[name] for name in AXI_PORTS}
        members.update({
            "column": Out(range(max(config.cols, 2))),
            "row_drive": Out(config.rows),
            "charge": Out(1),
            "calibration_stop": Out(1),
            "taps_in": In(config.taps),
        })
        self._slave = slave
        super().__init__(members)

    @property
    def axi(self) -> SimpleNamespace:
        """The AXI-Lite ports by their short names (``awaddr`` …), for a bus master."""
        return SimpleNamespace(**{name: getattr(self, f"s_axi_{name}") for name in AXI_PORTS})

    def elaborate(self, platform) -> Module:
        m = Module()
        c = self.config
        m.submodules.bus = bus = self._slave
        for name in AXI_PORTS:
            port, inner = getattr(self, f"s_axi_{name}"), getattr(bus, name)
            m.d.comb += (inner.eq(port) if self.signature.members[f"s_axi_{name}"].flow == wiring.In
                         else port.eq(inner))
        m.submodules.engine = engine = MLPEngine(c.sizes, c.fmt, c.lr_shift, c.lanes, c.activation, c.rounding)
        m.submodules.readout = readout = ReadoutSequencer(c.rows, c.cols, c.taps, c.code_width)
        m.submodules.inputs = inputs = fifo.SyncFIFOBuffered(width=c.fmt.width, depth=c.input_depth)
        m.submodules.codes = codes = fifo.SyncFIFOBuffered(width=len(readout.codes.payload.as_value()),
                                                           depth=64)
        for name, values in identification(c).items():
            m.d.comb += getattr(bus.registers, name).eq(self.map[name].pack(**values))
        self._wire_engine(m, bus, engine)
        self._wire_inputs(m, bus, engine, readout, inputs, codes)
        self._wire_readout(m, bus, readout, codes)
        return m

    @staticmethod
    def _wire_engine(m: Module, bus: AxiLiteRegisters, engine: MLPEngine) -> None:
        """Step control, targets, outputs and parameter access."""
        regs, ctrl, select = bus.registers, bus.registers.ENGINE_CTRL, bus.registers.PARAM_SELECT
        m.d.comb += [engine.train.eq(ctrl.train), engine.measured.eq(ctrl.measured), engine.label.eq(ctrl.label),
                     engine.target_high.eq(regs.TARGET_HIGH.value), engine.target_low.eq(regs.TARGET_LOW.value),
                     engine.out_index.eq(regs.OUT_INDEX.output),
                     engine.seed.eq(regs.ROUNDING_SEED.seed), engine.seed_load.eq(bus.reg_ROUNDING_SEED_written),
                     regs.OUT_DATA.value.eq(engine.out_data),
                     regs.ENGINE_STEPS.count.eq(engine.steps), regs.ENGINE_CYCLES.count.eq(engine.cycles),
                     regs.PREDICTION.output.eq(engine.prediction), regs.ENGINE_STATUS.busy.eq(engine.busy)]
        m.d.comb += [engine.param_lane.eq(select.lane), engine.param_chunk.eq(select.word),
                     engine.param_row.eq(select.row), engine.param_bias.eq(select.bias),
                     engine.param_layer.eq(select.layer),
                     engine.param_data_in.eq(regs.PARAM_WRITE.value), engine.param_we.eq(bus.reg_PARAM_WRITE_written),
                     regs.PARAM_READ.value.eq(engine.param_data_out)]

    def _wire_inputs(self, m: Module, bus: AxiLiteRegisters, engine: MLPEngine, readout: ReadoutSequencer,
                     inputs: fifo.SyncFIFOBuffered, codes: fifo.SyncFIFOBuffered) -> None:
        """The engine's input FIFO: host pushes, or readout codes through the converter when routed (the code
        FIFO gets them otherwise); a push that cannot be taken raises the dropped flag until ENGINE_CTRL is
        written."""
        regs, route, host_push = bus.registers, bus.registers.ENGINE_CTRL.route, bus.reg_ENGINE_INPUT_written
        m.submodules.converter = converter = CodeConverter(self.config.code_width, self.config.fmt)
        m.d.comb += [converter.offset.eq(regs.CODE_OFFSET.offset), converter.gain.eq(regs.CODE_GAIN.gain),
                     converter.shift.eq(regs.CODE_SHIFT.shift), converter.codes.payload.eq(readout.codes.payload.code)]
        with m.If(route):
            m.d.comb += [converter.codes.valid.eq(readout.codes.valid), readout.codes.ready.eq(converter.codes.ready),
                         inputs.w_data.eq(converter.values.payload), inputs.w_en.eq(converter.values.valid),
                         converter.values.ready.eq(inputs.w_rdy)]
        with m.Else():
            m.d.comb += [inputs.w_data.eq(regs.ENGINE_INPUT.value), inputs.w_en.eq(host_push),
                         codes.w_data.eq(readout.codes.payload.as_value()), codes.w_en.eq(readout.codes.valid),
                         readout.codes.ready.eq(codes.w_rdy)]
        dropped = Signal()
        m.d.comb += [engine.inputs.payload.eq(inputs.r_data.as_signed()), engine.inputs.valid.eq(inputs.r_rdy),
                     inputs.r_en.eq(engine.inputs.ready), regs.ENGINE_STATUS.level.eq(inputs.level),
                     regs.ENGINE_STATUS.dropped.eq(dropped)]
        with m.If(bus.reg_ENGINE_CTRL_written):
            m.d.sync += dropped.eq(0)
        with m.If(host_push & (route | ~inputs.w_rdy)):
            m.d.sync += dropped.eq(1)

    def _wire_readout(self, m: Module, bus: AxiLiteRegisters, readout: ReadoutSequencer,
                      codes: fifo.SyncFIFOBuffered) -> None:
        """Sweep control, the front-end ports, and the code FIFO popped through READOUT_CODE."""
        regs = bus.registers
        status, popped, head = regs.READOUT_STATUS, regs.READOUT_CODE, readout.codes.payload.shape()(codes.r_data)
        m.d.comb += [readout.start.eq(bus.reg_READOUT_CTRL_written & regs.READOUT_CTRL.start),
                     readout.calibrate.eq(regs.READOUT_CTRL.calibrate),
                     readout.row_mask.eq(regs.READOUT_ROWS.mask), readout.settle.eq(regs.READOUT_SETTLE.cycles),
                     readout.bins.eq(regs.READOUT_BINS.bins),
                     status.busy.eq(readout.busy), status.level.eq(codes.level),
                     self.column.eq(readout.column), self.row_drive.eq(readout.row_drive),
                     self.charge.eq(readout.charge), self.calibration_stop.eq(readout.calibration_stop),
                     readout.taps_in.eq(self.taps_in)]
        m.d.comb += [popped.code.eq(head.code), popped.column.eq(head.column), popped.last.eq(head.last),
                     popped.valid.eq(codes.r_rdy), codes.r_en.eq(bus.reg_READOUT_CODE_read)]


if __name__ == "__main__":
    print(register_map(DEFAULT_CONFIG).markdown())
