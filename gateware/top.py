"""The accelerator: AXI-Lite register bank, readout sequencer with its TDC, and the training engine, wired up.

Data path: the readout sweeps the array's columns and streams TDC codes either to the host (a code FIFO read
through ``READOUT_CODE``) or, with ``ENGINE_CTRL.route`` set, through the code-to-fixed-point converter
(x = sat(((code − offset)·gain) >> shift)) into the engine's input FIFO: the network's inputs (or a measured
first layer) come straight from the array. The host pushes inputs through ``ENGINE_INPUT`` otherwise, programs
and reads weights through ``PARAM_*`` and reads outputs through ``OUT_*``. :func:`register_map` is the single
source of the register map; ``gateware/README.md`` renders it (``python -m mtjhw.gateware.top``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from amaranth import Module, Mux, Signal
from amaranth.lib import fifo, wiring
from amaranth.lib.wiring import In, Out

from .axi_lite import AxiLiteRegisters
from .mlp_engine import MLPEngine
from .mlp_golden import DEFAULT_FORMAT, HARD_SIGMOID, Activation, FixedFormat, LutSigmoid, activation_named
from .readout import ReadoutSequencer
from .registers import Register, RegisterMap

IDENTIFIER = 0x4D544A48  # "MTJH"
VERSION = 0x0001_0000  # major.minor (16 bits each)
AXI_PORTS = ("awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready",
             "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")


@dataclass(frozen=True)
class TopConfig:
    """What the bitstream holds: the network (layer sizes, Q format, learning-rate shift, MAC lanes,
    activation) and the readout (array rows and columns, delay-line taps, TDC code width)."""

    sizes: tuple[int, ...] = (9, 4)
    lanes: int = 9
    fmt: FixedFormat = DEFAULT_FORMAT
    lr_shift: int = 4
    activation: Activation = HARD_SIGMOID
    rows: int = 9
    cols: int = 9
    taps: int = 16
    code_width: int = 16
    fifo_depth: int = field(default=0)  # engine input FIFO; 0: one sample with a measured first layer

    def __post_init__(self) -> None:
        if not 1 <= self.rows <= 32 or not 1 <= self.cols <= 4095:
            raise ValueError("the readout takes 1..32 rows (a row-mask register) and 1..4095 columns")
        if not 2 <= self.code_width <= 16 or self.taps < 2:
            raise ValueError("need 2 <= code_width <= 16 and taps >= 2")
        if len(self.sizes) > 8 or max(self.sizes) > 4095 or -(-max(self.sizes[:-1]) // self.lanes) > 255:
            raise ValueError("the parameter-select register addresses up to 8 layers, 4095 rows, 255 words per row")

    def to_dict(self) -> dict:
        activation = {"name": self.activation.name}
        if isinstance(self.activation, LutSigmoid):
            activation.update(index_bits=self.activation.index_bits, step_shift=self.activation.step_shift)
        return {"sizes": list(self.sizes), "lanes": self.lanes, "width": self.fmt.width, "frac": self.fmt.frac,
                "lr_shift": self.lr_shift, "activation": activation, "rows": self.rows, "cols": self.cols,
                "taps": self.taps, "code_width": self.code_width, "fifo_depth": self.fifo_depth}

    @classmethod
    def from_dict(cls, d: dict) -> TopConfig:
        spec = dict(d["activation"])
        name = spec.pop("name")
        activation = LutSigmoid(**spec) if name == "lut-sigmoid" else activation_named(name)
        return cls(sizes=tuple(d["sizes"]), lanes=d["lanes"], fmt=FixedFormat(d["width"], d["frac"]),
                   lr_shift=d["lr_shift"], activation=activation, rows=d["rows"], cols=d["cols"], taps=d["taps"],
                   code_width=d["code_width"], fifo_depth=d.get("fifo_depth", 0))

    @property
    def input_depth(self) -> int:
        return self.fifo_depth or self.sizes[0] + self.sizes[1]


DEFAULT_CONFIG = TopConfig()


def register_map(config: TopConfig) -> RegisterMap:
    c = config
    return RegisterMap([
        Register("ID", 0x000, "ro", f"identifier `{IDENTIFIER:#x}` (\"MTJH\")"),
        Register("VERSION", 0x004, "ro", "gateware version, major [31:16], minor [15:0]"),
        Register("ENGINE_SHAPE", 0x008, "ro", "layers [3:0], MAC lanes [15:8], word width [21:16], fraction bits "
                                              "[29:24], LUT activation [31]"),
        Register("READOUT_SHAPE", 0x00C, "ro", "rows [7:0], columns [19:8], delay-line taps [27:20], "
                                               "code width − 1 [31:28]"),
        Register("LAYER_SIZES", 0x010, "ro", "inputs [11:0], first layer [23:12], learning-rate shift [28:24]"),
        Register("ENGINE_CTRL", 0x100, "rw", "train [0], measured first layer [1], route readout codes into "
                                             "the engine [2], label [15:8]; a write clears the dropped flag",
                 on_write=True),
        Register("ENGINE_INPUT", 0x104, "rw", "write: push one input beat (signed Q format, low word bits)",
                 on_write=True),
        Register("ENGINE_STATUS", 0x108, "ro", "busy [0], input dropped (pushed while routing or full) [1], "
                                               "input FIFO level [15:8]"),
        Register("ENGINE_STEPS", 0x10C, "ro", "steps completed"),
        Register("ENGINE_CYCLES", 0x110, "ro", "clock cycles of the last step"),
        Register("PREDICTION", 0x114, "ro", "argmax of the last step's outputs"),
        Register("TARGET_HIGH", 0x118, "rw", "target of the labelled output (Q format)", reset=int(
            c.fmt.quantize(0.95)) & 0xFFFFFFFF),
        Register("TARGET_LOW", 0x11C, "rw", "target of the other outputs (Q format)", reset=int(
            c.fmt.quantize(0.05)) & 0xFFFFFFFF),
        Register("OUT_INDEX", 0x120, "rw", "output unit shown in OUT_DATA"),
        Register("OUT_DATA", 0x124, "ro", "activation of output OUT_INDEX after the last step (signed)"),
        Register("PARAM_SELECT", 0x128, "rw", "layer [31:29], bias [28], row [27:16], word [15:8], lane [7:0]"),
        Register("PARAM_WRITE", 0x12C, "rw", "write: store the value (signed) at PARAM_SELECT (engine idle)",
                 on_write=True),
        Register("PARAM_READ", 0x130, "ro", "the parameter at PARAM_SELECT (signed)"),
        Register("READOUT_CTRL", 0x200, "rw", "write with start [0] set: sweep all columns; calibration stops "
                                              "[1]", on_write=True),
        Register("READOUT_ROWS", 0x204, "rw", "row drive mask for the sweep"),
        Register("READOUT_SETTLE", 0x208, "rw", "discharge cycles before each column's charge", reset=16),
        Register("READOUT_STATUS", 0x20C, "ro", "busy [0], code FIFO level [15:8]"),
        Register("READOUT_CODE", 0x210, "ro", "pop a code: code [15:0], column [27:16], last [30], valid [31]",
                 on_read=True),
        Register("CODE_OFFSET", 0x214, "rw", "converter: code offset subtracted"),
        Register("CODE_GAIN", 0x218, "rw", "converter: signed gain [15:0]", reset=1),
        Register("CODE_SHIFT", 0x21C, "rw", "converter: right shift [4:0]"),
    ])


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
        w = c.fmt.width
        m.submodules.bus = bus = self._slave
        for name in AXI_PORTS:
            port, inner = getattr(self, f"s_axi_{name}"), getattr(bus, name)
            m.d.comb += (inner.eq(port) if self.signature.members[f"s_axi_{name}"].flow == wiring.In
                         else port.eq(inner))
        m.submodules.engine = engine = MLPEngine(c.sizes, c.fmt, c.lr_shift, c.lanes, c.activation)
        m.submodules.readout = readout = ReadoutSequencer(c.rows, c.cols, c.taps, c.code_width)
        m.submodules.inputs = inputs = fifo.SyncFIFOBuffered(width=w, depth=c.input_depth)
        m.submodules.codes = codes = fifo.SyncFIFOBuffered(width=len(readout.codes.payload.as_value()),
                                                           depth=64)

        def reg(name: str):
            return getattr(bus, f"reg_{name}")

        # identification
        m.d.comb += [
            reg("ID").eq(IDENTIFIER),
            reg("VERSION").eq(VERSION),
            reg("ENGINE_SHAPE").eq(len(c.sizes) - 1 | c.lanes << 8 | w << 16 | c.fmt.frac << 24
                                   | int(c.activation.name == "lut-sigmoid") << 31),
            reg("READOUT_SHAPE").eq(c.rows | c.cols << 8 | c.taps << 20 | (c.code_width - 1) << 28),
            reg("LAYER_SIZES").eq(c.sizes[0] | c.sizes[1] << 12 | c.lr_shift << 24),
        ]

        # engine control
        ctrl = reg("ENGINE_CTRL")
        route = ctrl[2]
        dropped = Signal()
        m.d.comb += [engine.train.eq(ctrl[0]), engine.measured.eq(ctrl[1]), engine.label.eq(ctrl[8:16]),
                     engine.target_high.eq(reg("TARGET_HIGH")[:w]), engine.target_low.eq(reg("TARGET_LOW")[:w]),
                     engine.out_index.eq(reg("OUT_INDEX")),
                     reg("OUT_DATA").eq(engine.out_data.as_signed()),
                     reg("ENGINE_STEPS").eq(engine.steps), reg("ENGINE_CYCLES").eq(engine.cycles),
                     reg("PREDICTION").eq(engine.prediction),
                     reg("ENGINE_STATUS").eq(engine.busy | dropped << 1 | inputs.level << 8)]
        with m.If(bus.reg_ENGINE_CTRL_written):
            m.d.sync += dropped.eq(0)

        # the engine's input FIFO: host pushes, or converted readout codes when routed
        code = readout.codes.payload.code
        gain = reg("CODE_GAIN")[:16].as_signed()
        converted = ((code - reg("CODE_OFFSET")).as_signed() * gain) >> reg("CODE_SHIFT")[:5]
        saturated = Mux(converted > c.fmt.high, c.fmt.high, Mux(converted < c.fmt.low, c.fmt.low, converted))
        host_push = bus.reg_ENGINE_INPUT_written
        with m.If(route):
            m.d.comb += [inputs.w_data.eq(saturated), inputs.w_en.eq(readout.codes.valid),
                         readout.codes.ready.eq(inputs.w_rdy)]
        with m.Else():
            m.d.comb += [inputs.w_data.eq(reg("ENGINE_INPUT")[:w]), inputs.w_en.eq(host_push),
                         codes.w_data.eq(readout.codes.payload.as_value()), codes.w_en.eq(readout.codes.valid),
                         readout.codes.ready.eq(codes.w_rdy)]
        with m.If(host_push & (route | ~inputs.w_rdy)):
            m.d.sync += dropped.eq(1)
        m.d.comb += [engine.inputs.payload.eq(inputs.r_data.as_signed()), engine.inputs.valid.eq(inputs.r_rdy),
                     inputs.r_en.eq(engine.inputs.ready)]

        # parameters
        select = reg("PARAM_SELECT")
        m.d.comb += [engine.param_lane.eq(select[0:8]), engine.param_chunk.eq(select[8:16]),
                     engine.param_row.eq(select[16:28]), engine.param_bias.eq(select[28]),
                     engine.param_layer.eq(select[29:32]),
                     engine.param_data_in.eq(reg("PARAM_WRITE")[:w]), engine.param_we.eq(bus.reg_PARAM_WRITE_written),
                     reg("PARAM_READ").eq(engine.param_data_out.as_signed())]

        # readout
        m.d.comb += [readout.start.eq(bus.reg_READOUT_CTRL_written & reg("READOUT_CTRL")[0]),
                     readout.calibrate.eq(reg("READOUT_CTRL")[1]),
                     readout.row_mask.eq(reg("READOUT_ROWS")), readout.settle.eq(reg("READOUT_SETTLE")),
                     reg("READOUT_STATUS").eq(readout.busy | codes.level << 8),
                     self.column.eq(readout.column), self.row_drive.eq(readout.row_drive),
                     self.charge.eq(readout.charge), self.calibration_stop.eq(readout.calibration_stop),
                     readout.taps_in.eq(self.taps_in)]
        head = Signal(readout.codes.payload.shape())
        m.d.comb += [head.eq(codes.r_data),
                     reg("READOUT_CODE").eq(head.code | head.column << 16 | head.last << 30 | codes.r_rdy << 31),
                     codes.r_en.eq(bus.reg_READOUT_CODE_read)]
        return m


if __name__ == "__main__":
    print(register_map(DEFAULT_CONFIG).markdown())
