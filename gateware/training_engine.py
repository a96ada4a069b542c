"""Training engine for a single fixed-point layer (n_in → n_out), bit-exact with :class:`GoldenMLP`.

One step: ``start`` with the input vector on ``x`` and the target on ``target`` (Q format integers) runs the
forward pass (``lanes`` multiply-accumulates per cycle, one output at a time), the hard-sigmoid activation and
output delta (all outputs in one cycle), and the SGD update of weights and biases (``lanes`` weights per cycle);
``done`` pulses when the new weights are in place and ``y`` holds the activations of the step's forward pass.
Weights are readable and writable through ``weight_addr``/``weight_data``/``weight_we`` (host programming and
read-back). Cycles per step: see :func:`engine_cycles`.
"""

from __future__ import annotations

from amaranth import Array, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .mlp_golden import DEFAULT_FORMAT, FixedFormat


def engine_cycles(n_in: int, n_out: int, lanes: int) -> int:
    """Clock cycles of one training step, ``start`` to ``done``: the start cycle, forward n_out·⌈n_in/lanes⌉,
    activation 1, update n_out·⌈n_in/lanes⌉, done 1."""
    chunks = -(-n_in // lanes)
    return 2 * n_out * chunks + 3


class TrainingEngine(wiring.Component):
    def __init__(self, n_in: int, n_out: int, fmt: FixedFormat = DEFAULT_FORMAT, lr_shift: int = 2,
                 lanes: int = 4) -> None:
        if not 1 <= lanes <= n_in:
            raise ValueError(f"lanes must be 1..n_in ({n_in}), got {lanes}")
        self.n_in, self.n_out, self.fmt, self.lr_shift, self.lanes = n_in, n_out, fmt, lr_shift, lanes
        w = fmt.width
        super().__init__({
            "start": In(1),
            "x": In(wiring.Signature({f"x{i}": Out(signed(w)) for i in range(n_in)})).flip(),
            "target": In(wiring.Signature({f"t{j}": Out(signed(w)) for j in range(n_out)})).flip(),
            "y": Out(wiring.Signature({f"y{j}": Out(signed(w)) for j in range(n_out)})),
            "busy": Out(1),
            "done": Out(1),
            "weight_addr": In(range(n_in * n_out + n_out)),
            "weight_data_in": In(signed(w)),
            "weight_we": In(1),
            "weight_data_out": Out(signed(w)),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        fmt, n_in, n_out, lanes = self.fmt, self.n_in, self.n_out, self.lanes
        w = fmt.width
        weights = Array(Signal(signed(w), name=f"w_{j}_{i}") for j in range(n_out) for i in range(n_in))
        biases = Array(Signal(signed(w), name=f"b_{j}") for j in range(n_out))
        xs = Array(getattr(self.x, f"x{i}") for i in range(n_in))
        targets = [getattr(self.target, f"t{j}") for j in range(n_out)]
        ys = [getattr(self.y, f"y{j}") for j in range(n_out)]
        acc_width = 2 * w + n_in.bit_length() + 1
        accs = Array(Signal(signed(acc_width), name=f"acc_{j}") for j in range(n_out))
        deltas = Array(Signal(signed(w), name=f"delta_{j}") for j in range(n_out))
        out_index = Signal(range(n_out + 1))
        in_base = Signal(range(n_in + lanes))
        chunks = -(-n_in // lanes)
        chunk = Signal(range(chunks + 1))

        def saturate(value):
            return Mux(value > fmt.high, fmt.high, Mux(value < fmt.low, fmt.low, value))

        # host access to the weights (and the biases after them)
        all_params = Array([*weights, *biases])
        m.d.comb += self.weight_data_out.eq(all_params[self.weight_addr])
        with m.If(self.weight_we & ~self.busy):
            m.d.sync += all_params[self.weight_addr].eq(self.weight_data_in)

        m.d.sync += self.done.eq(0)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.sync += [out_index.eq(0), in_base.eq(0), chunk.eq(0), self.busy.eq(1)]
                    m.d.sync += [a.eq(0) for a in accs]
                    m.next = "FORWARD"
            with m.State("FORWARD"):
                total = accs[out_index]
                for k in range(lanes):
                    i = in_base + k
                    valid = i < n_in
                    product = weights[out_index * n_in + i] * xs[i]
                    total = total + Mux(valid, product, 0)
                m.d.sync += accs[out_index].eq(total)
                with m.If(chunk == chunks - 1):
                    m.d.sync += [chunk.eq(0), in_base.eq(0), out_index.eq(out_index + 1)]
                    with m.If(out_index == n_out - 1):
                        m.next = "ACTIVATE"
                with m.Else():
                    m.d.sync += [chunk.eq(chunk + 1), in_base.eq(in_base + lanes)]
            with m.State("ACTIVATE"):
                for j in range(n_out):
                    z = saturate((accs[j] >> fmt.frac) + biases[j])
                    half = (z >> 2) + (fmt.one >> 1)
                    a = Mux(half < 0, 0, Mux(half > fmt.one, fmt.one, half))
                    linear = (half > 0) & (half < fmt.one)
                    m.d.sync += [ys[j].eq(a), deltas[j].eq(saturate(Mux(linear, (a - targets[j]) >> 2, 0)))]
                m.d.sync += [out_index.eq(0), in_base.eq(0), chunk.eq(0)]
                m.next = "UPDATE"
            with m.State("UPDATE"):
                shift = fmt.frac + self.lr_shift
                for k in range(lanes):
                    i = in_base + k
                    with m.If(i < n_in):
                        weight = weights[out_index * n_in + i]
                        m.d.sync += weight.eq(saturate(weight - ((deltas[out_index] * xs[i]) >> shift)))
                with m.If(chunk == chunks - 1):
                    m.d.sync += biases[out_index].eq(saturate(biases[out_index]
                                                              - (deltas[out_index] >> self.lr_shift)))
                    m.d.sync += [chunk.eq(0), in_base.eq(0), out_index.eq(out_index + 1)]
                    with m.If(out_index == n_out - 1):
                        m.next = "DONE"
                with m.Else():
                    m.d.sync += [chunk.eq(chunk + 1), in_base.eq(in_base + lanes)]
            with m.State("DONE"):
                m.d.sync += [self.done.eq(1), self.busy.eq(0)]
                m.next = "IDLE"
        return m
