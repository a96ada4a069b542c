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

from amaranth import Module, Signal, signed
from amaranth.lib import fifo, wiring
from amaranth.lib.wiring import In, Out

from .axi_lite import AxiLiteRegisters
from .mlp_engine import MLPEngine
from .mlp_golden import (
    DEFAULT_FORMAT,
    HARD_SIGMOID,
    ROUNDINGS,
    Activation,
    FixedFormat,
    GoldenMLP,
    LutSigmoid,
    activation_named,
)
from .readout import CodeConverter, ReadoutSequencer
from .registers import Field, Register, RegisterMap

IDENTIFIER = 0x4D544A48  # "MTJH"
VERSION = (1, 0)  # major, minor
AXI_PORTS = ("awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready",
             "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready")


@dataclass(frozen=True)
class TopConfig:
    """What the bitstream holds: the network (layer sizes, Q format, learning-rate shift, MAC lanes,
    activation) and the readout (array rows and columns, delay-line taps, TDC code width). ``taps``: the carry
    outputs sampled, 4 per CARRY4; the default, 150 CARRY4, is a full xc7z020 slice column (3 clock regions of 50),
    ~12 ns at 25 °C, 1.2 periods of the 100 MHz clock (:mod:`mtjhw.gateware.delay_line`)."""

    sizes: tuple[int, ...] = (9, 4)
    lanes: int = 9
    fmt: FixedFormat = DEFAULT_FORMAT
    lr_shift: int = 4
    activation: Activation = HARD_SIGMOID
    rows: int = 9
    cols: int = 9
    taps: int = 600
    code_width: int = 16
    fifo_depth: int = field(default=0)  # engine input FIFO; 0: one sample with a measured first layer
    rounding: str = "nearest"  # of the SGD update: nearest (ties to even), floor or stochastic (seeded LFSRs)

    def __post_init__(self) -> None:
        if not 1 <= self.rows <= 32 or not 1 <= self.cols <= 4095:
            raise ValueError("the readout takes 1..32 rows (a row-mask register) and 1..4095 columns")
        if not 2 <= self.code_width <= 16:
            raise ValueError(f"need 2 <= code_width <= 16, got {self.code_width}")
        if self.taps % 4 or not 8 <= self.taps <= 1020:
            raise ValueError(f"taps: every carry output of 2..255 CARRY4, a multiple of 4 in 8..1020 (got {self.taps})")
        if len(self.sizes) > 8 or max(self.sizes) > 4095 or -(-max(self.sizes[:-1]) // self.lanes) > 255:
            raise ValueError("the parameter-select register addresses up to 8 layers, 4095 rows, 255 words per row")
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"unknown rounding {self.rounding!r}: choose one of {', '.join(ROUNDINGS)}")

    def to_dict(self) -> dict:
        activation = {"name": self.activation.name}
        if isinstance(self.activation, LutSigmoid):
            activation.update(index_bits=self.activation.index_bits, step_shift=self.activation.step_shift)
        return {"sizes": list(self.sizes), "lanes": self.lanes, "width": self.fmt.width, "frac": self.fmt.frac,
                "lr_shift": self.lr_shift, "activation": activation, "rows": self.rows, "cols": self.cols,
                "taps": self.taps, "code_width": self.code_width, "fifo_depth": self.fifo_depth,
                "rounding": self.rounding}

    @classmethod
    def from_dict(cls, d: dict) -> TopConfig:
        spec = dict(d["activation"])
        name = spec.pop("name")
        activation = LutSigmoid(**spec) if name == "lut-sigmoid" else activation_named(name)
        return cls(sizes=tuple(d["sizes"]), lanes=d["lanes"], fmt=FixedFormat(d["width"], d["frac"]),
                   lr_shift=d["lr_shift"], activation=activation, rows=d["rows"], cols=d["cols"], taps=d["taps"],
                   code_width=d["code_width"], fifo_depth=d.get("fifo_depth", 0),
                   rounding=d.get("rounding", "floor"))  # builds from before the key rounded by floor

    def golden(self, seed: int = 0) -> GoldenMLP:
        """The bit-exact golden model of this build's engine, weights drawn from ``seed``."""
        return GoldenMLP.for_config(self, seed)

    @property
    def input_depth(self) -> int:
        return self.fifo_depth or self.sizes[0] + self.sizes[1]


DEFAULT_CONFIG = TopConfig()


def register_map(config: TopConfig) -> RegisterMap:
    w = config.fmt.width
    value = Field("value", signed(w), "signed Q format")
    wide = Field("value", signed(32), "signed Q format, sign-extended")
    return RegisterMap([
        Register("ID", 0x000, "ro", "identifies the accelerator", (
            Field("identifier", 32, f"`{IDENTIFIER:#x}` (\"MTJH\")"),)),
        Register("VERSION", 0x004, "ro", "gateware version", (
            Field("minor", 16, "minor version"), Field("major", 16, "major version", at=16))),
        Register("ENGINE_SHAPE", 0x008, "ro", "the engine the bitstream holds", (
            Field("layers", 4, "weight layers"), Field("lanes", 8, "parallel MAC lanes", at=8),
            Field("width", 6, "word width, bits", at=16), Field("frac", 6, "fraction bits", at=24),
            Field("lut", 1, "LUT activation (else hard sigmoid)", at=31))),
        Register("READOUT_SHAPE", 0x00C, "ro", "the readout the bitstream holds", (
            Field("rows", 8, "array rows"), Field("columns", 12, "array columns", at=8),
            Field("carry4s", 8, "delay-line CARRY4 (4 taps each)", at=20),
            Field("code_width_m1", 4, "code width − 1, bits", at=28))),
        Register("LAYER_SIZES", 0x010, "ro", "the network's first layers", (
            Field("inputs", 12, "network inputs"), Field("first_layer", 12, "units of the first layer", at=12),
            Field("lr_shift", 5, "learning rate 2^−lr_shift", at=24))),
        Register("ENGINE_CTRL", 0x100, "rw", "how the next steps run; a write clears the dropped flag", (
            Field("train", 1, "backpropagate and update after the forward pass"),
            Field("measured", 1, "the first layer's pre-activations are measured (pushed after the inputs)", at=1),
            Field("route", 1, "route converted readout codes into the engine's inputs", at=2),
            Field("label", 12, "the labelled output (gets TARGET_HIGH)", at=8)), on_write=True),
        Register("ENGINE_INPUT", 0x104, "rw", "write: push one input beat", (value,), on_write=True),
        Register("ENGINE_STATUS", 0x108, "ro", "the engine's state", (
            Field("busy", 1, "a step is running"),
            Field("dropped", 1, "an input beat was dropped (pushed while routing or full)", at=1),
            Field("level", 16, "input FIFO level, beats", at=8))),
        Register("ENGINE_STEPS", 0x10C, "ro", "steps completed", (Field("count", 32, "steps"),)),
        Register("ENGINE_CYCLES", 0x110, "ro", "duration of the last step", (Field("count", 32, "clock cycles"),)),
        Register("PREDICTION", 0x114, "ro", "the last step's prediction", (
            Field("output", 12, "argmax of the outputs"),)),
        Register("TARGET_HIGH", 0x118, "rw", "target of the labelled output", (
            Field("value", signed(w), "signed Q format", reset=int(config.fmt.quantize(0.95))),)),
        Register("TARGET_LOW", 0x11C, "rw", "target of the other outputs", (
            Field("value", signed(w), "signed Q format", reset=int(config.fmt.quantize(0.05))),)),
        Register("OUT_INDEX", 0x120, "rw", "the output shown in OUT_DATA", (Field("output", 12, "output unit"),)),
        Register("OUT_DATA", 0x124, "ro", "activation of output OUT_INDEX after the last step", (wide,)),
        Register("PARAM_SELECT", 0x128, "rw", "the parameter PARAM_WRITE and PARAM_READ reach", (
            Field("lane", 8, "MAC lane (column mod lanes)"), Field("word", 8, "memory word of the row", at=8),
            Field("row", 12, "row (output unit)", at=16), Field("bias", 1, "the row's bias, not a weight", at=28),
            Field("layer", 3, "layer", at=29))),
        Register("PARAM_WRITE", 0x12C, "rw", "write: store the value at PARAM_SELECT (engine idle)", (value,),
                 on_write=True),
        Register("PARAM_READ", 0x130, "ro", "the parameter at PARAM_SELECT", (wide,)),
        Register("ROUNDING_SEED", 0x134, "rw", "write (engine idle): seed the stochastic-rounding generators", (
            Field("seed", 32, "generator seed"),), on_write=True),
        Register("READOUT_CTRL", 0x200, "rw", "write with start set: sweep all columns", (
            Field("start", 1, "start a sweep"), Field("calibrate", 1, "stops from the calibration oscillator", at=1)),
                 on_write=True),
        Register("READOUT_ROWS", 0x204, "rw", "rows driven in the sweep", (Field("mask", config.rows, "row mask"),)),
        Register("READOUT_SETTLE", 0x208, "rw", "discharge before each column's charge", (
            Field("cycles", 16, "clock cycles", reset=16),)),
        Register("READOUT_STATUS", 0x20C, "ro", "the readout's state", (
            Field("busy", 1, "a sweep is running"), Field("level", 8, "code FIFO level, codes", at=8))),
        Register("READOUT_CODE", 0x210, "ro", "read: pop a code from the code FIFO", (
            Field("code", 16, "TDC code"), Field("column", 12, "column", at=16),
            Field("last", 1, "the sweep's last column", at=30), Field("valid", 1, "a code was popped", at=31)),
                 on_read=True),
        Register("CODE_OFFSET", 0x214, "rw", "converter: code offset subtracted", (Field("offset", 16, "TDC code"),)),
        Register("CODE_GAIN", 0x218, "rw", "converter: gain", (Field("gain", signed(16), "multiplier", reset=1),)),
        Register("CODE_SHIFT", 0x21C, "rw", "converter: right shift", (Field("shift", 5, "bits"),)),
        Register("READOUT_BINS", 0x220, "rw", "TDC code scale: codes are k·bins − fine (k clock periods)", (
            Field("bins", 16, "fine bins per clock period (calibrated; the taps until then)", reset=config.taps),)),
    ])


def identification(config: TopConfig) -> dict[str, dict[str, int]]:
    """What the read-only identification registers hold, by register and field: the fabric drives them, the host
    compares them with its :class:`TopConfig`."""
    c = config
    major, minor = VERSION
    return {
        "ID": {"identifier": IDENTIFIER},
        "VERSION": {"major": major, "minor": minor},
        "ENGINE_SHAPE": {"layers": len(c.sizes) - 1, "lanes": c.lanes, "width": c.fmt.width, "frac": c.fmt.frac,
                         "lut": int(isinstance(c.activation, LutSigmoid))},
        "READOUT_SHAPE": {"rows": c.rows, "columns": c.cols, "carry4s": c.taps // 4,
                          "code_width_m1": c.code_width - 1},
        "LAYER_SIZES": {"inputs": c.sizes[0], "first_layer": c.sizes[1], "lr_shift": c.lr_shift},
    }


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
