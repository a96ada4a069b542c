"""Fixed-point MLP training engine: forward pass, backpropagation and SGD, bit-exact with :class:`GoldenMLP`.

Layer sizes, Q format, learning-rate shift, activation (:class:`HardSigmoid` or :class:`LutSigmoid`), the number
of parallel MAC lanes and the rounding of the update (:data:`ROUNDINGS`) are parameters. Each layer's weights
live in a memory (``lib.memory``) of ``lanes``-wide words, row j of the weight matrix in ⌈n_in/lanes⌉ consecutive
words. One array of 2·``lanes`` multipliers serves every layer and both passes.

A step starts when the ``inputs`` stream has delivered the n_in input values (and, with ``measured`` set, the
first layer's pre-activations measured on a device array, bias not included: n_1 more beats). Then each layer
is one *pass* (forward from the first layer, with ``train`` backward from the last) that reads one weight word
per cycle into a pipeline; a pass issues all its rows·words reads back to back, and the next pass starts when
the last word has left the pipeline (a layer's rows need the whole layer below). The pipeline has one register
per stage; each stage works from its own copy of the pass (layer, direction) that travels with the word. In the
cycle t after the word's issue at t = 0:

==========  ============================================================================================
fetch       t0: memory address, the lane inputs of the word, the row's bias (forward) or its delta's
            sources (backward); t1: the word out of memory, the row's delta; t2: the multiplier operands
multiply    t3: ``lanes`` products a·w (forward) or δ·a (backward), and w·δ (Wᵀδ, backward)
reduce      t4 … t3+T: adder tree over the lanes, T = ⌈log2 lanes⌉ levels; t4+T: row accumulator (from b·2^frac)
finish row  t5+T: z = sat((Σ + b·2^frac) >> frac); t6+T: activation a and slope d; t7+T: both stored (a hidden
            layer retires), in the last layer a − target and the running argmax; t8+T: output delta stored (retires)
update      t4: rounded step (δ·a) >> (frac + lr_shift), Wᵀδ accumulated, the bias's step; t5: sat(w − step)
            and sat(b − step); t6: the word written back, on a row's last word its bias (retires)
==========  ============================================================================================

so a forward pass of R rows of W words takes R·W + 7 + T cycles (+ 1 for the last layer), a backward pass R·W + 6
(:func:`engine_cycles`). A measured first layer goes straight into the finish stages as its values stream in
(3 cycles after the last beat, 4 when it is the last layer). Measured with Yosys ``synth_ecp5`` and nextpnr-ecp5
(LFE5U-85F −6, ``benchmarks/gateware_timing.py``): see ``benchmarks/README.md``.

``done`` pulses when the step is over (``cycles`` then holds its length). The host reads and writes weights
while the engine is idle through ``param_*`` (:func:`parameter_address` maps a weight to them);
``param_data_out`` shows the selection one cycle after it is set, a write lands the cycle after it is made.
With ``stochastic`` rounding, a pulse on ``seed_load`` while idle seeds the rounding generators from ``seed``.
"""

from __future__ import annotations

from amaranth import Array, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .engine_map import (
    ParameterAddress,
    StepResult,
    engine_cycles,
    layer_chunks,
    parameter_address,
    parameter_addresses,
)
from .mlp_golden import (
    DEFAULT_FORMAT,
    HARD_SIGMOID,
    ROUNDINGS,
    Activation,
    FixedFormat,
    HardSigmoid,
    LutSigmoid,
    seeded_states,
)

__all__ = ["ROUNDINGS", "MLPEngine", "ParameterAddress", "StepResult", "engine_cycles", "layer_chunks",
           "parameter_address", "parameter_addresses"]


def _counter_layout(sizes: tuple[int, ...], chunks: list[int]) -> data.StructLayout:
    """Where a pass stands: issuing, and the row, word and memory address issued."""
    return data.StructLayout({
        "valid": 1,
        "row": range(max(sizes[1:]) + 1),
        "chunk": range(max(chunks) + 1),
        "addr": range(max(rows * c for rows, c in zip(sizes[1:], chunks, strict=True)) + 1),
    })


def _tag_layout(sizes: tuple[int, ...], chunks: list[int], width: int) -> data.StructLayout:
    """What travels with a word down the pipeline: the counters, whether it ends its row and the pass, the pass
    (layer, direction: each stage decides from its own copy) and the row's bias (forward)."""
    return data.StructLayout({"at": _counter_layout(sizes, chunks), "end_row": 1, "last": 1,
                              "layer": range(max(len(sizes) - 1, 2)), "backward": 1, "bias": signed(width)})


class _Registers:
    """The engine's register arrays and memories for one elaboration."""

    def __init__(self, engine: MLPEngine, m: Module) -> None:
        sizes, w, lanes = engine.sizes, engine.fmt.width, engine.lanes
        layers = len(sizes) - 1

        def vector(name: str, n: int, width: int = w) -> list[Signal]:
            return [Signal(signed(width), name=f"{name}_{i}") for i in range(n)]

        self.x = vector("x", sizes[0])
        self.act = [vector(f"a{i}", sizes[i + 1]) for i in range(layers)]
        self.slope = [vector(f"d{i}", sizes[i + 1]) for i in range(layers - 1)]
        self.bias = [vector(f"b{i}", sizes[i + 1]) for i in range(layers)]
        self.delta_out = vector("delta_out", sizes[-1])
        back_width = 2 * w + max(sizes).bit_length() + 1
        self.back = [None] + [vector(f"back{i}", sizes[i], back_width) for i in range(1, layers)]
        self.ports = []
        for i in range(layers):
            mem = memory.Memory(shape=data.ArrayLayout(signed(w), lanes), depth=sizes[i + 1] * engine.chunks[i],
                                init=[])
            m.submodules[f"weights{i}"] = mem
            self.ports.append((mem.read_port(), mem.write_port(granularity=1)))
        self.layer = Signal(range(max(layers, 2)))  # the pass under way (set by the sequencer)
        self.backward = Signal()
        self.counters = Signal(_counter_layout(sizes, engine.chunks))
        self.tag = Signal(_tag_layout(sizes, engine.chunks, w), name="issue")
        m.d.comb += [self.tag.at.eq(self.counters), self.tag.layer.eq(self.layer), self.tag.backward.eq(self.backward)]
        self.in_index = Signal(range(sizes[0] + sizes[1] + 1))


class MLPEngine(wiring.Component):
    def __init__(self, sizes: tuple[int, ...], fmt: FixedFormat = DEFAULT_FORMAT, lr_shift: int = 3,
                 lanes: int = 4, activation: Activation = HARD_SIGMOID, rounding: str = "nearest") -> None:
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"need at least an input and an output layer, each with >= 1 unit, got {sizes}")
        if not 1 <= lanes <= max(sizes[:-1]):
            raise ValueError(f"lanes must be 1..{max(sizes[:-1])} (the widest layer input), got {lanes}")
        if not 0 <= lr_shift < fmt.width:
            raise ValueError(f"lr_shift must be 0..{fmt.width - 1}, got {lr_shift}")
        if rounding not in ROUNDINGS:
            raise ValueError(f"unknown rounding {rounding!r}: choose one of {', '.join(ROUNDINGS)}")
        if rounding == "stochastic" and fmt.frac + lr_shift > 32:
            raise ValueError(f"stochastic rounding draws 32 random bits: needs frac + lr_shift <= 32, got "
                             f"{fmt.frac + lr_shift}")
        self.sizes, self.fmt, self.lr_shift, self.lanes, self.activation = sizes, fmt, lr_shift, lanes, activation
        self.rounding = rounding
        self.chunks = layer_chunks(sizes, lanes)
        w = fmt.width
        n_out, layers = sizes[-1], len(sizes) - 1
        super().__init__({
            "inputs": In(stream.Signature(signed(w))),
            "label": In(range(max(n_out, 2))),
            "target_high": In(signed(w)),
            "target_low": In(signed(w)),
            "train": In(1),
            "measured": In(1),
            "seed": In(32),
            "seed_load": In(1),
            "busy": Out(1),
            "done": Out(1),
            "steps": Out(32),
            "cycles": Out(32),
            "prediction": Out(range(max(n_out, 2))),
            "out_index": In(range(max(n_out, 2))),
            "out_data": Out(signed(w)),
            "param_layer": In(range(max(layers, 2))),
            "param_row": In(range(max(sizes[1:]) + 1)),
            "param_chunk": In(range(max(self.chunks) + 1)),
            "param_lane": In(range(max(lanes, 2))),
            "param_bias": In(1),
            "param_data_in": In(signed(w)),
            "param_we": In(1),
            "param_data_out": Out(signed(w)),
        })

    # -- arithmetic shared by the stages --------------------------------------------------------------------
    def _saturate(self, value):
        """``value`` clipped to a word: in range when the bits from the word's sign bit up are all equal (a
        reduction, no comparator)."""
        fmt, value = self.fmt, Value.cast(value)
        shape, w = value.shape(), fmt.width
        if shape.width < w or (shape.signed and shape.width == w):
            return value
        top = value[w - 1:]
        in_range = (~top.any() | top.all()) if shape.signed else ~top.any()
        overflow = Mux(value[-1], fmt.low, fmt.high) if shape.signed else fmt.high
        return Mux(in_range, value[:w].as_signed(), overflow)

    def _activate(self, z):
        """(a, d) for pre-activation ``z``, as the golden model's activation computes them."""
        fmt, act = self.fmt, self.activation
        if isinstance(act, HardSigmoid):
            half = (z >> 2) + (fmt.one >> 1)
            a = Mux(half < 0, 0, Mux(half > fmt.one, fmt.one, half))
            return a, Mux((half > 0) & (half < fmt.one), fmt.one >> 2, 0)
        assert isinstance(act, LutSigmoid)
        n = 1 << act.index_bits
        values, slopes = act.tables(fmt)
        index = (z >> act.step_shift) + n // 2
        index = Mux(index < 0, 0, Mux(index > n - 1, n - 1, index))
        return (Array(Const(int(v), signed(fmt.width)) for v in values)[index],
                Array(Const(int(s), signed(fmt.width)) for s in slopes)[index])

    def _scale(self, value, slope):
        """(value · slope) >> frac; a shift and a mux for the hard sigmoid, whose slope is 1/4 or 0."""
        if isinstance(self.activation, HardSigmoid):
            return Mux(slope != 0, value >> 2, 0)
        return (value * slope) >> self.fmt.frac

    def _round_shift(self, value, shift: int, random):
        """``value`` >> ``shift`` rounded as :func:`~mtjhw.gateware.mlp_golden.round_shift` does."""
        if shift == 0 or self.rounding == "floor":
            return value >> shift
        if self.rounding == "nearest":
            return (value + ((1 << (shift - 1)) - 1) + value[shift]) >> shift
        return (value + random[:shift]) >> shift

    @staticmethod
    def _delayed(m: Module, value, name: str):
        """``value`` one cycle later."""
        shape = value.shape() if isinstance(value, data.View) else Value.cast(value).shape()
        register = Signal(shape, name=name)
        m.d.sync += register.eq(value)
        return register

    # -- stages -------------------------------------------------------------------------------------------------
    def elaborate(self, platform) -> Module:
        m = Module()
        r = _Registers(self, m)
        self._host_access(m, r)
        fetched = self._fetch(m, r)
        products = self._multiply(m, r, fetched)
        row_total = self._reduce(m, r, products)
        forward_done = self._finish_rows(m, r, row_total)
        backward_done = self._update(m, r, products)
        self._sequencer(m, r, forward_done, backward_done)
        return m

    def _host_access(self, m: Module, r: _Registers) -> None:
        """Parameters in and out through ``param_*`` while idle (a write lands the cycle after it is made);
        outputs through ``out_index``/``out_data``."""
        ports = ("param_layer", "param_row", "param_chunk", "param_lane", "param_bias", "param_data_in")
        request = {name: self._delayed(m, getattr(self, name), f"host_{name}") for name in ports}
        write_request = self._delayed(m, self.param_we & ~self.busy, "host_write")
        selected = []
        for layer, (read, write) in enumerate(r.ports):
            chunks, rows = self.chunks[layer], self.sizes[layer + 1]
            with m.If(~self.busy):
                m.d.comb += read.addr.eq(self.param_row * chunks + self.param_chunk)
            row, chunk = request["param_row"], request["param_chunk"]
            with m.If(write_request & (request["param_layer"] == layer) & (row < rows) & (chunk < chunks)):
                value = request["param_data_in"]
                with m.If(request["param_bias"]):
                    m.d.sync += Array(r.bias[layer])[row].eq(value)
                with m.Else():
                    m.d.comb += [write.addr.eq(row * chunks + chunk), write.en.eq(1 << request["param_lane"])]
                    m.d.comb += [write.data[k].eq(value) for k in range(self.lanes)]
            selected.append(Mux(self.param_bias, Array(r.bias[layer])[self.param_row],
                                Array(read.data[k] for k in range(self.lanes))[self.param_lane]))
        m.d.comb += [self.param_data_out.eq(Array(selected)[self.param_layer]),
                     self.out_data.eq(Array(r.act[-1])[self.out_index])]

    def _lane_values(self, values: list[Signal], chunk) -> list:
        """Per lane k, value chunk·lanes + k of ``values`` (0 past the end)."""
        lanes, n_chunks = self.lanes, -(-len(values) // self.lanes)
        return [Array(values[c * lanes + k] if c * lanes + k < len(values) else Const(0, signed(len(values[0])))
                      for c in range(n_chunks))[chunk] for k in range(lanes)]

    def _row_select(self, m: Module, per_layer: list[list[Signal]], tag, name: str, group: int = 8):
        """``per_layer[layer][row]`` of the word issued in ``tag``, in two steps: among each ``group`` of rows by
        the row's low bits at t0, registered, then among the groups by its high bits at t1 (returned as a function
        of the t1 tag; register it into t2)."""
        low = tag.at.row[:group.bit_length() - 1]
        n_groups = -(-max(len(values) for values in per_layer) // group)
        groups = []
        for g in range(n_groups):
            options = [Array(values[g * group + i] if g * group + i < len(values) else Const(0)
                             for i in range(group))[low] for values in per_layer]
            groups.append(self._delayed(m, Array(options)[tag.layer], f"{name}_group{g}"))
        return lambda t1: Array(groups)[t1.at.row[group.bit_length() - 1:]] if n_groups > 1 else groups[0]

    def _fetch(self, m: Module, r: _Registers) -> dict:
        """t0 → t1: read the word at ``tag.at.addr`` and register what its lanes and its row need; t1 → t2: the
        weight word and the row's delta (output delta, or sat(sat(Wᵀδ >> frac)·d >> frac) for a hidden layer)."""
        layers, frac, sat, tag = len(self.sizes) - 1, self.fmt.frac, self._saturate, r.tag
        for read, _ in r.ports:
            with m.If(self.busy):
                m.d.comb += read.addr.eq(tag.at.addr)
        layer_inputs = [r.x, *r.act[:-1]]
        per_layer = [self._lane_values(layer_inputs[i], tag.at.chunk) for i in range(layers)]
        inputs = [self._delayed(m, Array(per_layer[i][k] for i in range(layers))[r.layer], f"fetch_input{k}")
                  for k in range(self.lanes)]
        bias = self._row_select(m, r.bias, tag, "fetch_bias")
        t1 = Signal(tag.shape(), name="fetch_t1")
        m.d.sync += t1.eq(tag)
        backs = [Array(r.back[i + 1])[tag.at.row] for i in range(layers - 1)] + [Const(0)]
        back_row = self._delayed(m, Array(backs)[r.layer], "fetch_back_row")
        slopes = [Array(d)[tag.at.row] for d in r.slope] + [Const(0)]
        slope_row = self._delayed(m, Array(slopes)[r.layer], "fetch_slope_row")
        delta_out = self._delayed(m, Array(r.delta_out)[tag.at.row], "fetch_delta_out")

        t2 = Signal(tag.shape(), name="fetch_t2")
        m.d.sync += [t2.eq(t1), t2.bias.eq(bias(t1))]
        hidden_delta = sat(self._scale(sat(back_row >> frac), slope_row))
        delta = self._delayed(m, Mux(t1.layer == layers - 1, delta_out, hidden_delta), "row_delta")
        words = [self._delayed(m, Array(read.data[k] for read, _ in r.ports)[t1.layer], f"fetch_weight{k}")
                 for k in range(self.lanes)]
        return {"tag": t2, "inputs": [self._delayed(m, x, f"fetch_input{k}_t2") for k, x in enumerate(inputs)],
                "words": words, "delta": delta}

    def _multiply(self, m: Module, r: _Registers, fetched: dict) -> dict:
        """t2 → t3: the operands; t3 → t4: set A multiplies the inputs by the weights (forward) or by the row's
        delta (update), set B the weights by the delta (Wᵀδ for the layer below)."""
        tag = fetched["tag"]
        words = [self._delayed(m, w, f"operand_weight{k}") for k, w in enumerate(fetched["words"])]
        left = [self._delayed(m, Mux(tag.backward, fetched["delta"], w), f"operand_a{k}")
                for k, w in enumerate(fetched["words"])]
        inputs = [self._delayed(m, x, f"operand_input{k}") for k, x in enumerate(fetched["inputs"])]
        delta = self._delayed(m, fetched["delta"], "operand_delta")
        a = [self._delayed(m, w * x, f"product_a{k}") for k, (w, x) in enumerate(zip(left, inputs, strict=True))]
        b = [self._delayed(m, w * delta, f"product_b{k}") for k, w in enumerate(words)]
        return {"tag": self._delayed(m, self._delayed(m, tag, "operand_tag"), "product_tag"), "a": a, "b": b,
                "words": [self._delayed(m, w, f"product_weight{k}") for k, w in enumerate(words)],
                "delta": self._delayed(m, delta, "product_delta")}

    def _reduce(self, m: Module, r: _Registers, products: dict):
        """t4 … t4+T: sum the lanes' products a level per cycle, then accumulate the row's words. Returns the tag
        (valid on a row's last word) and the accumulator holding that row's Σ."""
        values, tag = products["a"], products["tag"]
        level = 0
        while len(values) > 1:
            pairs = [values[i] + values[i + 1] if i + 1 < len(values) else values[i] for i in range(0, len(values), 2)]
            values = [self._delayed(m, v, f"tree{level}_{i}") for i, v in enumerate(pairs)]
            tag = self._delayed(m, tag, f"tree{level}_tag")
            level += 1
        acc = Signal(signed(2 * self.fmt.width + max(self.sizes[:-1]).bit_length() + 1))
        with m.If(tag.at.valid & ~tag.backward):
            # the row's bias enters as the accumulator's start, b·2^frac: (Σ + b·2^frac) >> frac = (Σ >> frac) + b
            m.d.sync += acc.eq(Mux(tag.at.chunk == 0, tag.bias << self.fmt.frac, acc) + values[0])
        done = Signal(tag.shape(), name="row_total_tag")
        m.d.sync += [done.eq(tag), done.at.valid.eq(tag.at.valid & tag.end_row & ~tag.backward)]
        return done, acc

    def _finish_rows(self, m: Module, r: _Registers, row_total):
        """t5+T …: z, the activation and its slope stored; in the last layer the output delta and the argmax.
        A measured first layer enters here from the ``inputs`` stream. Returns the last row's retirement."""
        tag, acc = row_total
        fmt, sat, last = self.fmt, self._saturate, len(self.sizes) - 2
        measured, measured_value = self._measured_row(m, r)
        source = Signal(tag.shape(), name="finish_source")
        m.d.comb += source.eq(Mux(measured.at.valid, measured.as_value(), tag.as_value()))
        z = self._delayed(m, sat(Mux(measured.at.valid, measured_value, acc >> fmt.frac)), "finish_z")
        f1 = self._delayed(m, source, "finish_t1")

        a, d = self._activate(z)
        a_reg, d_reg = self._delayed(m, a, "finish_a"), self._delayed(m, d, "finish_d")
        f2 = Signal(f1.shape(), name="finish_t2")
        m.d.sync += [f2.eq(f1), f2.at.valid.eq(f1.at.valid & (f1.layer == last))]
        stored = self._delayed(m, f1, "finish_store")
        with m.If(stored.at.valid):
            for layer in range(last + 1):
                with m.If(stored.layer == layer):
                    m.d.sync += Array(r.act[layer])[stored.at.row].eq(a_reg)
                    if layer < last:
                        m.d.sync += Array(r.slope[layer])[stored.at.row].eq(d_reg)

        best = Signal(signed(fmt.width))
        target = Mux(self.label == f2.at.row, self.target_high, self.target_low)
        error = self._delayed(m, a_reg - target, "finish_error")
        slope = self._delayed(m, d_reg, "finish_slope")
        f3 = self._delayed(m, f2, "finish_t3")
        with m.If(f2.at.valid & ((f2.at.row == 0) | (a_reg > best))):
            m.d.sync += [best.eq(a_reg), self.prediction.eq(f2.at.row)]
        with m.If(f3.at.valid):
            m.d.sync += Array(r.delta_out)[f3.at.row].eq(sat(self._scale(error, slope)))
        hidden_done = stored.at.valid & stored.last & (stored.layer != last)
        return hidden_done | (f3.at.valid & f3.last)

    def _measured_row(self, m: Module, r: _Registers):
        """The beats after the inputs, with ``measured`` set, as rows of the first layer: (tag, value + bias)."""
        n0, n1 = self.sizes[0], self.sizes[1]
        row = Signal(range(n1), name="measured_row")
        tag = Signal(r.tag.shape(), name="measured_tag")
        value = Signal(signed(self.fmt.width + 1), name="measured_value")
        beat = self.inputs.valid & self.inputs.ready & self.measured & (r.in_index >= n0)
        m.d.sync += [tag.at.valid.eq(beat), tag.at.row.eq(row), tag.last.eq(row == n1 - 1),
                     value.eq(self.inputs.payload + Array(r.bias[0])[row])]
        with m.If(beat):
            m.d.sync += row.eq(Mux(row == n1 - 1, 0, row + 1))
        return tag, value

    def _update(self, m: Module, r: _Registers, products: dict):
        """t4 …: W −= round((δ ⊗ a) >> (frac + lr_shift)) written back, Wᵀδ accumulated for the layer below,
        b −= round(δ >> lr_shift) on a row's last word. Returns the last word's retirement."""
        tag, fmt, sat = products["tag"], self.fmt, self._saturate
        active = tag.at.valid & tag.backward
        weight_random, bias_random = self._generators(m, active, active & tag.end_row)
        steps = [self._delayed(m, self._round_shift(p, fmt.frac + self.lr_shift, weight_random[k]), f"step{k}")
                 for k, p in enumerate(products["a"])]
        bias_step = self._delayed(m, self._round_shift(products["delta"], self.lr_shift, bias_random), "bias_step")
        t5 = Signal(tag.shape(), name="update_t5")
        m.d.sync += [t5.eq(tag), t5.at.valid.eq(active)]
        for layer in range(1, len(self.sizes) - 1):
            with m.If(active & (tag.layer == layer)):
                for k, product in enumerate(products["b"]):
                    for c, target in enumerate(r.back[layer][k::self.lanes]):
                        with m.If(tag.at.chunk == c):
                            m.d.sync += target.eq(Mux(tag.at.row == 0, 0, target) + product)

        words = [self._delayed(m, w, f"update_weight{k}") for k, w in enumerate(products["words"])]
        weights = [self._delayed(m, sat(w - s), f"updated{k}")
                   for k, (w, s) in enumerate(zip(words, steps, strict=True))]
        bias = self._delayed(m, sat(t5.bias - bias_step), "updated_bias")  # the row's bias as fetched at t0
        t6 = self._delayed(m, t5, "update_t6")
        for layer, (_, write) in enumerate(r.ports):
            with m.If(t6.at.valid & (t6.layer == layer)):
                m.d.comb += [write.addr.eq(t6.at.addr), write.en.eq(-1)]
                m.d.comb += [write.data[k].eq(v) for k, v in enumerate(weights)]
                with m.If(t6.end_row):
                    m.d.sync += Array(r.bias[layer])[t6.at.row].eq(bias)
        return t6.at.valid & t6.last

    def _generators(self, m: Module, weight_step, bias_step) -> tuple[list, Signal]:
        """Stochastic rounding's xorshift32 generators (one per lane, one for the biases), stepped when used and
        seeded by ``seed_load`` as :func:`~mtjhw.gateware.mlp_golden.seeded_states` says."""
        if self.rounding != "stochastic":
            return [None] * self.lanes, None
        initial = [int(s) for s in seeded_states(0, self.lanes + 1)]  # (k + 1)·φ | 1
        states = [Signal(32, init=s, name=f"random{k}") for k, s in enumerate(initial)]
        for k, state in enumerate(states):
            x = state ^ (state << 13)[:32]
            x = x ^ (x >> 17)
            x = x ^ (x << 5)[:32]
            with m.If(self.seed_load & ~self.busy):
                m.d.sync += state.eq((self.seed ^ initial[k]) | 1)  # (seed ⊕ (k + 1)·φ) | 1
            with m.Elif(bias_step if k == self.lanes else weight_step):
                m.d.sync += state.eq(x)
        return states[:-1], states[-1]

    def _sequencer(self, m: Module, r: _Registers, forward_done, backward_done) -> None:
        """The FSM: collect the inputs, run the passes one after the other, count cycles and steps."""
        layers, counters = len(self.sizes) - 1, r.counters
        count = Signal(32)
        m.d.sync += self.done.eq(0)
        with m.If(self.busy):
            m.d.sync += count.eq(count + 1)

        def then(layer: int, backward: bool) -> None:
            m.d.sync += [counters.valid.eq(1), counters.row.eq(0), counters.chunk.eq(0), counters.addr.eq(0),
                         r.layer.eq(layer), r.backward.eq(backward)]
            m.next = f"{'BACKWARD' if backward else 'FORWARD'}{layer}"

        def finish() -> None:
            m.d.sync += [r.layer.eq(0), r.backward.eq(0)]
            m.next = "DONE"

        def after_forward_pass(layer: int) -> None:
            if layer < layers - 1:
                then(layer + 1, False)
            else:
                with m.If(self.train):
                    then(layers - 1, True)
                with m.Else():
                    finish()

        with m.FSM():
            with m.State("IDLE"):
                self._collect_inputs(m, r, count, then)
            with m.State("MEASURED"):
                with m.If(forward_done):
                    after_forward_pass(0)
            for layer in range(layers):
                with m.State(f"FORWARD{layer}"):
                    self._issue(m, r, layer)
                    with m.If(forward_done):
                        after_forward_pass(layer)
                with m.State(f"BACKWARD{layer}"):
                    self._issue(m, r, layer)
                    with m.If(backward_done):
                        if layer:
                            then(layer - 1, True)
                        else:
                            finish()
            with m.State("DONE"):
                m.d.sync += [self.done.eq(1), self.busy.eq(0), self.steps.eq(self.steps + 1),
                             self.cycles.eq(count + 1)]
                m.next = "IDLE"

    def _collect_inputs(self, m: Module, r: _Registers, count: Signal, then) -> None:
        """IDLE: take the input beats (and the measured first layer's) and start the step."""
        n0, n1 = self.sizes[0], self.sizes[1]
        index = r.in_index
        m.d.comb += self.inputs.ready.eq(1)
        with m.If(self.inputs.valid):
            m.d.sync += index.eq(index + 1)
            with m.If(index < n0):
                m.d.sync += Array(r.x)[index].eq(self.inputs.payload)
            with m.If(Mux(self.measured, index == n0 + n1 - 1, index == n0 - 1)):
                m.d.sync += [self.busy.eq(1), count.eq(0), index.eq(0)]
                with m.If(self.measured):
                    m.next = "MEASURED"
                with m.Else():
                    then(0, False)

    def _issue(self, m: Module, r: _Registers, layer: int) -> None:
        """Walk ``layer``'s rows and words, one memory word per cycle, marking each row's last word and the
        pass's last one."""
        rows, chunks, counters = self.sizes[layer + 1], self.chunks[layer], r.counters
        end_row = counters.chunk == chunks - 1
        m.d.comb += [r.tag.end_row.eq(end_row), r.tag.last.eq(end_row & (counters.row == rows - 1))]
        with m.If(counters.valid):
            m.d.sync += counters.addr.eq(counters.addr + 1)
            with m.If(end_row):
                m.d.sync += [counters.chunk.eq(0), counters.row.eq(counters.row + 1)]
                with m.If(counters.row == rows - 1):
                    m.d.sync += counters.valid.eq(0)
            with m.Else():
                m.d.sync += counters.chunk.eq(counters.chunk + 1)
