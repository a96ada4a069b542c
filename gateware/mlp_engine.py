"""Fixed-point MLP training engine: forward pass, backpropagation and SGD, bit-exact with :class:`GoldenMLP`.

Layer sizes, Q format, learning-rate shift, activation (:class:`HardSigmoid` or :class:`LutSigmoid`) and the
number of parallel MAC lanes are parameters. Each layer's weights live in a memory (``lib.memory``) of
``lanes``-wide words, row j of the weight matrix in ⌈n_in/lanes⌉ consecutive words; one word is read per cycle.
One array of 2·``lanes`` multipliers serves every layer and both passes.

A step starts when the ``inputs`` stream has delivered the n_in input values (and, with ``measured`` set, the
first layer's pre-activations measured on a device array, bias not included: n_1 more beats). Then

* forward, layer by layer: ``lanes`` multiply-accumulates per cycle, one output row at a time; each finished row
  goes through the activation at once (and, in the last layer, the output delta against the one-hot target
  built from ``label``, ``target_high`` and ``target_low``; the running argmax gives ``prediction``);
* with ``train`` set, backward from the last layer: each weight word is read, updated
  (W −= (δ ⊗ a_in) >> (frac + lr_shift)) and written back the next cycle, while the same (old) weights accumulate
  Wᵀδ for the layer below; biases are updated at each row's last word.

``done`` pulses when the step is over (``cycles`` then holds its length, :func:`engine_cycles`). The host reads
and writes weights while the engine is idle through ``param_*``: layer, row, word (chunk) and lane within the
word, or a row's bias with ``param_bias``; ``param_data_out`` shows the selection one cycle after it is set.
"""

from __future__ import annotations

from amaranth import Array, Const, Module, Mux, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from .mlp_golden import DEFAULT_FORMAT, HARD_SIGMOID, Activation, FixedFormat, HardSigmoid, LutSigmoid


def layer_chunks(sizes: tuple[int, ...], lanes: int) -> list[int]:
    """Memory words per weight row, per layer."""
    return [-(-n_in // lanes) for n_in in sizes[:-1]]


def engine_cycles(sizes: tuple[int, ...], lanes: int, train: bool = True, measured: bool = False) -> int:
    """Clock cycles of one step, from the cycle after the last input beat to ``done``: each computed layer's
    forward pass rows·words + 1 (memory latency), with ``train`` each layer's backward pass the same, and 1 to
    finish. A ``measured`` first layer costs nothing in the forward pass (activated as its values stream in)."""
    chunks = layer_chunks(sizes, lanes)
    passes = [rows * c + 1 for rows, c in zip(sizes[1:], chunks, strict=True)]
    return sum(passes[1 if measured else 0:]) + (sum(passes) if train else 0) + 1


class MLPEngine(wiring.Component):
    def __init__(self, sizes: tuple[int, ...], fmt: FixedFormat = DEFAULT_FORMAT, lr_shift: int = 3,
                 lanes: int = 4, activation: Activation = HARD_SIGMOID) -> None:
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"need at least an input and an output layer, each with >= 1 unit, got {sizes}")
        if not 1 <= lanes <= max(sizes[:-1]):
            raise ValueError(f"lanes must be 1..{max(sizes[:-1])} (the widest layer input), got {lanes}")
        if not 0 <= lr_shift < fmt.width:
            raise ValueError(f"lr_shift must be 0..{fmt.width - 1}, got {lr_shift}")
        self.sizes, self.fmt, self.lr_shift, self.lanes, self.activation = sizes, fmt, lr_shift, lanes, activation
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

    # -- arithmetic shared by the datapath ------------------------------------------------------------------
    def _saturate(self, value):
        fmt = self.fmt
        return Mux(value > fmt.high, fmt.high, Mux(value < fmt.low, fmt.low, value))

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

    def elaborate(self, platform) -> Module:
        m = Module()
        fmt, sizes, lanes, chunks = self.fmt, self.sizes, self.lanes, self.chunks
        w, frac = fmt.width, fmt.frac
        layers = len(sizes) - 1
        last = layers - 1
        sat = self._saturate

        def vector(name: str, n: int, width: int = w) -> list[Signal]:
            return [Signal(signed(width), name=f"{name}_{i}") for i in range(n)]

        xs = vector("x", sizes[0])
        act = [vector(f"a{layer}", sizes[layer + 1]) for layer in range(layers)]
        slope = [vector(f"d{layer}", sizes[layer + 1]) for layer in range(last)]
        bias = [vector(f"b{layer}", sizes[layer + 1]) for layer in range(layers)]
        delta_out = vector("delta_out", sizes[-1])
        back_width = 2 * w + max(sizes).bit_length() + 1
        back = [None] + [vector(f"back{layer}", sizes[layer], back_width) for layer in range(1, layers)]

        def lanes_of(values: list, n_chunks: int) -> list[Array]:
            """Per lane k, the values k, k+lanes, …, padded to whole words (padding reads as 0)."""
            return [Array(values[c * lanes + k] if c * lanes + k < len(values) else Signal(signed(len(values[0])),
                                                                                        name=f"pad_{k}_{c}")
                          for c in range(n_chunks)) for k in range(lanes)]

        layer_inputs = [xs, *act[:-1]]
        input_lanes = [lanes_of(layer_inputs[layer], chunks[layer]) for layer in range(layers)]
        back_lanes = [None] + [lanes_of(back[layer], chunks[layer]) for layer in range(1, layers)]

        ports = []
        for layer in range(layers):
            mem = memory.Memory(shape=data.ArrayLayout(signed(w), lanes), depth=sizes[layer + 1] * chunks[layer],
                                init=[])
            m.submodules[f"weights{layer}"] = mem
            ports.append((mem.read_port(), mem.write_port(granularity=1)))

        row = Signal(range(max(sizes[1:]) + 1))
        chunk = Signal(range(max(chunks) + 1))
        issuing = Signal()
        p_valid, p_row, p_chunk = Signal(), Signal.like(row), Signal.like(chunk)
        acc = Signal(signed(2 * w + max(sizes[:-1]).bit_length() + 1))
        best = Signal(signed(w))
        count = Signal(32)
        in_index = Signal(range(sizes[0] + sizes[1] + 1))

        def finish_row(layer: int, index, a, d) -> None:
            """Store row ``index`` of ``layer``: activation ``a`` and, for a hidden layer, its slope ``d`` (the
            output delta and the running argmax in the last layer)."""
            m.d.sync += Array(act[layer])[index].eq(a)
            if layer < last:
                m.d.sync += Array(slope[layer])[index].eq(d)
            else:
                target = Mux(self.label == index, self.target_high, self.target_low)
                m.d.sync += Array(delta_out)[index].eq(sat(self._scale(a - target, d)))
                with m.If((index == 0) | (a > best)):
                    m.d.sync += [best.eq(a), self.prediction.eq(index)]

        def issue(layer: int, on_last: str) -> None:
            """Walk the rows and words of ``layer``'s memory, one read per cycle; the data arrives the next cycle
            with p_valid/p_row/p_chunk. Move to state ``on_last`` when the last word has been processed."""
            read, _ = ports[layer]
            m.d.comb += read.addr.eq(row * chunks[layer] + chunk)
            m.d.sync += [p_valid.eq(issuing), p_row.eq(row), p_chunk.eq(chunk)]
            with m.If(issuing):
                with m.If(chunk == chunks[layer] - 1):
                    m.d.sync += [chunk.eq(0), row.eq(row + 1)]
                    with m.If(row == sizes[layer + 1] - 1):
                        m.d.sync += issuing.eq(0)
                with m.Else():
                    m.d.sync += chunk.eq(chunk + 1)
            with m.If(p_valid & (p_row == sizes[layer + 1] - 1) & (p_chunk == chunks[layer] - 1)):
                m.d.sync += [row.eq(0), chunk.eq(0), issuing.eq(1), p_valid.eq(0)]
                m.next = on_last

        def after_forward(layer: int) -> str:
            if layer < last:
                return f"FORWARD{layer + 1}"
            return f"BACKWARD{last}"

        m.d.sync += self.done.eq(0)
        m.d.comb += self.out_data.eq(Array(act[last])[self.out_index])
        with m.If(self.busy):
            m.d.sync += count.eq(count + 1)

        # host access to the parameters while idle
        selected = []
        for layer in range(layers):
            read, write = ports[layer]
            address = self.param_row * chunks[layer] + self.param_chunk
            in_range = (self.param_row < sizes[layer + 1]) & (self.param_chunk < chunks[layer])
            m.d.comb += read.addr.eq(address)
            with m.If(self.param_we & ~self.busy & (self.param_layer == layer) & in_range):
                with m.If(self.param_bias):
                    m.d.sync += Array(bias[layer])[self.param_row].eq(self.param_data_in)
                with m.Else():
                    m.d.comb += [write.addr.eq(address), write.en.eq(1 << self.param_lane)]
                    m.d.comb += [write.data[k].eq(self.param_data_in) for k in range(lanes)]
            selected.append(Mux(self.param_bias, Array(bias[layer])[self.param_row],
                                Array(read.data[k] for k in range(lanes))[self.param_lane]))
        m.d.comb += self.param_data_out.eq(Array(selected)[self.param_layer])

        def start(first_state: str) -> None:
            m.d.sync += [self.busy.eq(1), count.eq(0), in_index.eq(0), row.eq(0), chunk.eq(0), issuing.eq(1),
                         p_valid.eq(0)]
            m.next = first_state

        # one MAC array shared by all layers and both passes: set A multiplies the layer's inputs by the weights
        # (forward) or by the row's delta (update), set B the weights by the delta (Wᵀδ for the layer below)
        layer = Signal(range(max(layers, 2)))
        backward = Signal()
        words = [Signal(signed(w), name=f"weight_lane{k}") for k in range(lanes)]
        inputs = [Signal(signed(w), name=f"input_lane{k}") for k in range(lanes)]
        row_delta = Signal(signed(w))
        layer_deltas = []
        for index in range(layers):
            if index == last:
                layer_deltas.append(Array(delta_out)[p_row])
            else:
                back_row = sat(Array(back[index + 1])[p_row] >> frac)
                layer_deltas.append(sat(self._scale(back_row, Array(slope[index])[p_row])))
        m.d.comb += row_delta.eq(Array(layer_deltas)[layer])
        for k in range(lanes):
            m.d.comb += [words[k].eq(Array(ports[index][0].data[k] for index in range(layers))[layer]),
                         inputs[k].eq(Array(input_lanes[index][k][p_chunk] for index in range(layers))[layer])]
        products_a = [Mux(backward, row_delta, words[k]) * inputs[k] for k in range(lanes)]
        products_b = [words[k] * row_delta for k in range(lanes)]

        # forward: accumulate a row, activate it on its last word
        total = Mux(p_chunk == 0, 0, acc) + sum(products_a)
        a, d = self._activate(sat((total >> frac) + Array(Array(b)[p_row] for b in bias)[layer]))
        with m.If(p_valid & ~backward):
            m.d.sync += acc.eq(total)
            with m.If(p_chunk == Array(chunks)[layer] - 1):
                for index in range(layers):
                    with m.If(layer == index):
                        finish_row(index, p_row, a, d)

        # backward: update the word read last cycle, accumulate Wᵀδ, update the bias on the row's last word
        with m.If(p_valid & backward):
            for index in range(layers):
                _, write = ports[index]
                with m.If(layer == index):
                    m.d.comb += [write.addr.eq(p_row * chunks[index] + p_chunk), write.en.eq(-1)]
                    for k in range(lanes):
                        m.d.comb += write.data[k].eq(sat(words[k] - (products_a[k] >> (frac + self.lr_shift))))
                        if index:
                            target = back_lanes[index][k][p_chunk]
                            m.d.sync += target.eq(Mux(p_row == 0, 0, target) + products_b[k])
                    with m.If(p_chunk == chunks[index] - 1):
                        b = Array(bias[index])[p_row]
                        m.d.sync += b.eq(sat(b - (row_delta >> self.lr_shift)))

        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.inputs.ready.eq(1)
                with m.If(self.inputs.valid):
                    m.d.sync += in_index.eq(in_index + 1)
                    with m.If(in_index < sizes[0]):
                        m.d.sync += Array(xs)[in_index].eq(self.inputs.payload)
                    with m.Else():
                        row_in = in_index - sizes[0]
                        finish_row(0, row_in, *self._activate(sat(self.inputs.payload + Array(bias[0])[row_in])))
                    with m.If(~self.measured & (in_index == sizes[0] - 1)):
                        start("FORWARD0")
                    with m.If(self.measured & (in_index == sizes[0] + sizes[1] - 1)):
                        start("FORWARD1" if layers > 1 else "BACKWARD0")
                        if layers == 1:
                            with m.If(~self.train):
                                m.next = "DONE"

            for index in range(layers):
                with m.State(f"FORWARD{index}"):
                    m.d.comb += layer.eq(index)
                    issue(index, after_forward(index))
                    if index == last:
                        with m.If(p_valid & (p_row == sizes[-1] - 1) & (p_chunk == chunks[index] - 1)
                                  & ~self.train):
                            m.next = "DONE"
                with m.State(f"BACKWARD{index}"):
                    m.d.comb += [layer.eq(index), backward.eq(1)]
                    issue(index, f"BACKWARD{index - 1}" if index else "DONE")

            with m.State("DONE"):
                m.d.sync += [self.done.eq(1), self.busy.eq(0), self.steps.eq(self.steps + 1),
                             self.cycles.eq(count + 1)]
                m.next = "IDLE"
        return m
