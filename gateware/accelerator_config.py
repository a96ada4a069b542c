"""What a bitstream holds (:class:`TopConfig`) and its register map: plain Python on numpy, shared by the gateware
(:mod:`mtjhw.gateware.top` builds the register bank from :func:`register_map`) and the host classes, which run on
a PYNQ board without Amaranth. :func:`register_map` is the single source of the register map;
``gateware/README.md`` renders it (``python -m mtjhw.gateware.top``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from .registers import Bits, Field, Register, RegisterMap

IDENTIFIER = 0x4D544A48  # "MTJH"
VERSION = (1, 0)  # major, minor


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
    value = Field("value", Bits(w, signed=True), "signed Q format")
    wide = Field("value", Bits(32, signed=True), "signed Q format, sign-extended")
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
            Field("value", Bits(w, signed=True), "signed Q format", reset=int(config.fmt.quantize(0.95))),)),
        Register("TARGET_LOW", 0x11C, "rw", "target of the other outputs", (
            Field("value", Bits(w, signed=True), "signed Q format", reset=int(config.fmt.quantize(0.05))),)),
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
        Register("CODE_GAIN", 0x218, "rw", "converter: gain", (
            Field("gain", Bits(16, signed=True), "multiplier", reset=1),)),
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
