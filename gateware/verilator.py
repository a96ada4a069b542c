"""The training engine compiled with Verilator: the same port-level protocol as :class:`EngineSession`, many
thousands of times faster, for long training runs and benchmarks.

:class:`VerilatorEngine` exports an :class:`~mtjhw.gateware.mlp_engine.MLPEngine` to Verilog, builds it with a small
C++ harness and caches the executable under ``~/.cache/mtjhw/verilator/<hash>`` (or a given ``workdir``), keyed
by the Verilog, the harness and the Verilator version, so the same engine is compiled once. A :meth:`run`
loads a model, runs all its steps and reads the parameters back in one harness process; int32 words go in on
stdin and come back on stdout.

The harness drives the ports exactly as :class:`~mtjhw.gateware.engine_session.EngineSession` does (the rounding
seed loaded in one clock, one parameter write per clock, input beats one per clock, clock until ``done``, outputs
read through ``out_index``, parameters read back one clock after each selection), so cycles, outputs and
parameters are bit-identical. The parameters' port addresses come from
:func:`~mtjhw.gateware.mlp_engine.parameter_addresses`, sent with the values. The only addition is ``rst`` held
for :data:`RESET_CYCLES` clocks first: every register then holds its initial value, the state the Amaranth
simulator starts in. The weight memories are not reset; the load writes every weight that is ever used. Without a
seed, the stochastic-rounding generators (``random0`` …, made public by :data:`CONFIGURATION`) are written with the
model's states and read back after the last step, so successive runs draw as one long run does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .export import to_verilog
from .mlp_engine import MLPEngine, parameter_addresses
from .mlp_golden import GoldenMLP

TOP = "mlp_engine"
RESET_CYCLES = 2
VERILATOR_FLAGS = ("--cc", "--exe", "--build", "-O2", "--x-assign", "fast", "--x-initial", "fast", "-j", "2",
                   "-Wno-fatal", "-Wno-lint", "-Wno-style")

HARNESS = r"""// Drives mlp_engine port by port as gateware/engine_session.py does. stdin, int32 words: width, layers,
// sizes[layers + 1], steps, rounding seed, whether the generator states follow (else the seed is loaded), the
// states if so, parameter count, per parameter its port address (layer, row, bias, word, lane) and value, then per
// step label, train, measured, target_high, target_low, x[sizes[0]], z[sizes[1]]. stdout, int32 words: per step
// outputs[sizes[layers]], prediction, cycles; the parameters read back in the order loaded; the generator states;
// total clocks (low word, high word).
// Verilator escapes the "__" of Amaranth's flattened stream ports: inputs__valid is inputs___05Fvalid.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "Vmlp_engine.h"
#include "Vmlp_engine___024root.h"
#include "verilated.h"

static Vmlp_engine* top;
static uint64_t ticks = 0;
static std::vector<int32_t> in, out;
static size_t position = 0;
static int width;

static void fail(const char* message) {
    std::fprintf(stderr, "harness: %s\n", message);
    std::exit(2);
}

static int32_t next_word() {
    if (position >= in.size()) fail("input ended early");
    return in[position++];
}

static uint32_t to_port(int32_t value) {
    return width == 32 ? uint32_t(value) : uint32_t(value) & ((1u << width) - 1);
}

static int32_t from_port(uint32_t value) {
    return int32_t(value << (32 - width)) >> (32 - width);
}

static void tick() {
    top->clk = 1;
    top->eval();
    top->clk = 0;
    top->eval();
    ++ticks;
}

// The stochastic-rounding generators (public through the configuration file), in the golden model's order.
static std::vector<uint32_t*> generators() {
    return {GENERATORS};
}

struct Address { int layer, row, bias, word, lane; };

static void select(const Address& a) {
    top->param_layer = a.layer;
    top->param_row = a.row;
    top->param_bias = a.bias;
    top->param_chunk = a.word;
    top->param_lane = a.lane;
}

int main(int argc, char** argv) {
    int32_t buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, sizeof(int32_t), 4096, stdin)) > 0) in.insert(in.end(), buffer, buffer + n);
    width = next_word();
    const int layers = next_word();
    std::vector<int> sizes(layers + 1);
    for (int& size : sizes) size = next_word();
    const int steps = next_word();
    const uint32_t seed = uint32_t(next_word());
    const bool given_states = next_word();
    std::vector<uint32_t> states;
    if (given_states) for (int k = 0; k < GENERATOR_COUNT; ++k) states.push_back(uint32_t(next_word()));
    std::vector<Address> addresses(next_word());
    const int n_out = sizes[layers];

    VerilatedContext context;
    context.commandArgs(argc, argv);
    top = new Vmlp_engine{&context};
    top->clk = 0;
    top->rst = 1;
    top->eval();
    for (int i = 0; i < RESET_CYCLES; ++i) tick();
    top->rst = 0;
    if (given_states) {
        for (size_t k = 0; k < states.size(); ++k) *generators()[k] = states[k];
    } else {
        top->seed = seed;
        top->seed_load = 1;
        tick();
        top->seed_load = 0;
    }

    for (Address& a : addresses) {
        a = Address{next_word(), next_word(), next_word(), next_word(), next_word()};
        select(a);
        top->param_data_in = to_port(next_word());
        top->param_we = 1;
        tick();
    }
    top->param_we = 0;

    for (int step = 0; step < steps; ++step) {
        top->label = next_word();
        top->train = next_word();
        const bool measured = next_word();
        top->measured = measured;
        top->target_high = to_port(next_word());
        top->target_low = to_port(next_word());
        top->inputs___05Fvalid = 1;
        for (int i = 0; i < sizes[0] + sizes[1]; ++i) {
            const int32_t value = next_word();
            if (i >= sizes[0] && !measured) continue;
            top->inputs___05Fpayload = to_port(value);
            tick();
        }
        top->inputs___05Fvalid = 0;
        for (uint64_t waited = 0; !top->done; ++waited) {
            if (waited > (1u << 24)) fail("done never came");
            tick();
        }
        for (int j = 0; j < n_out; ++j) {
            top->out_index = j;
            top->eval();
            out.push_back(from_port(top->out_data));
        }
        out.push_back(top->prediction);
        out.push_back(int32_t(top->cycles));
    }

    for (const Address& a : addresses) {
        select(a);
        tick();  // the memory answers one clock after the selection
        out.push_back(from_port(top->param_data_out));
    }
    for (uint32_t* state : generators()) out.push_back(int32_t(*state));
    out.push_back(int32_t(ticks & 0xffffffffu));
    out.push_back(int32_t(ticks >> 32));
    top->final();
    delete top;
    if (std::fwrite(out.data(), sizeof(int32_t), out.size(), stdout) != out.size()) fail("write failed");
    return 0;
}
""".replace("RESET_CYCLES", str(RESET_CYCLES))
CONFIGURATION = """`verilator_config
public_flat_rw -module "mlp_engine" -var "random*"
"""


def generator_count(engine: MLPEngine) -> int:
    """The engine's stochastic-rounding generators: one per lane and one for the biases (none otherwise)."""
    return engine.lanes + 1 if engine.rounding == "stochastic" else 0


def harness_source(engine: MLPEngine) -> str:
    """:data:`HARNESS` for ``engine``, its generator registers (``random0`` …) named."""
    count = generator_count(engine)
    names = ", ".join(f"&top->rootp->{TOP}__DOT__random{k}" for k in range(count))
    return HARNESS.replace("GENERATORS", names).replace("GENERATOR_COUNT", str(count))


class VerilatorUnavailable(RuntimeError):
    """No ``verilator`` executable on the PATH."""

    def __init__(self) -> None:
        super().__init__("verilator is not installed (or not on the PATH): apt-get install verilator")


def verilator_path() -> str | None:
    """The ``verilator`` executable, or None."""
    return shutil.which("verilator")


def default_cache() -> Path:
    """Where builds are kept: ``$XDG_CACHE_HOME/mtjhw/verilator`` (``~/.cache`` by default)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mtjhw" / "verilator"


def export_verilog(engine: MLPEngine) -> str:
    """The engine as Verilog, top module :data:`TOP`, without source locations (stable across checkouts)."""
    return to_verilog(engine, TOP, emit_src=False)


@dataclass
class VerilatorRun:
    outputs: np.ndarray  # (steps, n_out) output activations after each step (Q format integers)
    predictions: np.ndarray  # (steps,) argmax of the outputs, from the engine
    cycles: np.ndarray  # (steps,) the engine's ``cycles`` register: last input beat to done
    weights: list[np.ndarray]  # per layer (n_out, n_in), read back after the last step
    biases: list[np.ndarray]  # per layer (n_out,)
    states: np.ndarray  # the stochastic-rounding generators' states after the last step (empty for other roundings)
    simulated_cycles: int  # clocks the harness ran: reset, load, steps and read-back
    wall_seconds: float  # harness run time (s), compilation excluded

    def update(self, model: GoldenMLP) -> None:
        """Give ``model`` the run's final parameters and generator states: the next run continues this one."""
        model.weights, model.biases = self.weights, self.biases
        if len(self.states):
            model.rounding_states = self.states


class VerilatorEngine:
    """``engine`` built with Verilator in ``workdir`` (default :func:`default_cache`); built once per Verilog."""

    def __init__(self, engine: MLPEngine, workdir: Path | None = None) -> None:
        verilator = verilator_path()
        if verilator is None:
            raise VerilatorUnavailable()
        self.engine = engine
        version = subprocess.run([verilator, "--version"], capture_output=True, text=True, check=True).stdout
        text, self.source = export_verilog(engine), harness_source(engine)
        key = hashlib.sha256("\0".join([text, self.source, CONFIGURATION, version, *VERILATOR_FLAGS]).encode())
        key = key.hexdigest()[:20]
        self.directory = Path(workdir) if workdir is not None else default_cache()
        self.executable = self.directory / key / "harness"
        self.built = False  # whether this instance compiled (False: an earlier build was reused)
        if not self.executable.exists():
            self._build(verilator, text)
            self.built = True

    def _build(self, verilator: str, text: str) -> None:
        """Compile in a scratch directory and move it into place (a concurrent build of the same key wins)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="build-", dir=self.directory))
        try:
            (scratch / f"{TOP}.v").write_text(text)
            (scratch / "harness.cpp").write_text(self.source)
            (scratch / "public.vlt").write_text(CONFIGURATION)
            result = subprocess.run([verilator, *VERILATOR_FLAGS, "--top-module", TOP, "--Mdir", "obj", "-o",
                                     "harness", "public.vlt", f"{TOP}.v", "harness.cpp"], cwd=scratch,
                                    capture_output=True, text=True)
            if result.returncode:
                raise RuntimeError(f"verilator build failed in {scratch}:\n{result.stderr[-4000:]}")
            (scratch / "obj" / "harness").rename(scratch / "harness")
            shutil.rmtree(scratch / "obj")
            try:
                scratch.rename(self.executable.parent)
            except OSError:
                if not self.executable.exists():
                    raise
        finally:
            if scratch.exists():
                shutil.rmtree(scratch)

    def run(self, model: GoldenMLP, xs: np.ndarray, labels: np.ndarray, targets: tuple[int, int],
            train: np.ndarray | bool = True, zs: np.ndarray | None = None,
            measured: np.ndarray | bool | None = None, seed: int | None = None) -> VerilatorRun:
        """Seed the rounding generators with ``seed`` or, without one, start them from ``model``'s
        (:attr:`GoldenMLP.rounding_states`, so that a run continues the previous one after
        :meth:`VerilatorRun.update`), load ``model``, run one step per
        row of ``xs`` (steps, n_in) toward the one-hot ``labels`` with (high, low) ``targets``, training where
        ``train``, and read the parameters back. ``zs`` (steps, n_1) are measured first-layer pre-activations
        (bias not included), used on the steps where ``measured`` (default: all steps when ``zs`` is given). All
        values Q format integers."""
        e = self.engine
        sizes = e.sizes
        if tuple(model.sizes) != sizes:
            raise ValueError(f"model sizes {model.sizes} differ from the engine's {sizes}")
        xs = np.asarray(xs, dtype=np.int64)
        steps = len(xs)
        if xs.shape != (steps, sizes[0]):
            raise ValueError(f"need xs of shape (steps, {sizes[0]}), got {xs.shape}")
        labels = np.broadcast_to(np.asarray(labels, dtype=np.int64), (steps,))
        if steps and not 0 <= labels.min() <= labels.max() < sizes[-1]:
            raise ValueError(f"labels must be 0..{sizes[-1] - 1}")
        measured = np.broadcast_to(np.asarray(zs is not None if measured is None else measured, dtype=bool),
                                   (steps,))
        if zs is None:
            if measured.any():
                raise ValueError("measured steps need zs")
            zs = np.zeros((steps, sizes[1]), dtype=np.int64)
        zs = np.asarray(zs, dtype=np.int64)
        if zs.shape != (steps, sizes[1]):
            raise ValueError(f"need zs of shape (steps, {sizes[1]}), got {zs.shape}")
        if seed is not None and not 0 <= seed < 1 << 32:
            raise ValueError(f"the rounding seed is 32 bits, got {seed}")
        states = [] if seed is not None or not generator_count(e) else model.rounding_states.tolist()
        if len(states) not in (0, generator_count(e)):
            raise ValueError(f"model has {len(states)} rounding generators, the engine {generator_count(e)}")
        addresses = list(parameter_addresses(sizes, e.lanes))
        header = [e.fmt.width, len(sizes) - 1, *sizes, steps, seed or 0, bool(states), *states, len(addresses)]
        augmented = [np.column_stack([w, b]) for w, b in zip(model.weights, model.biases, strict=True)]
        parameters = [[a.layer, a.row, int(a.bias), a.word, a.lane, augmented[layer][row, column]]
                      for layer, row, column, a in addresses]
        columns = [labels, np.broadcast_to(np.asarray(train, dtype=bool), (steps,)), measured,
                   np.full(steps, targets[0]), np.full(steps, targets[1])]
        records = np.column_stack([*columns, xs, zs]).astype(np.int64)
        words = np.concatenate([header, np.ravel(parameters), records.ravel()]).astype(np.int64)
        words[:len(header)] = words[:len(header)] - (words[:len(header)] >> 31 << 32)  # seed, states: as int32
        if words.min() < -(1 << 31) or words.max() >= 1 << 31:
            raise ValueError("values must fit in 32 bits")

        start = time.perf_counter()
        result = subprocess.run([self.executable], input=words.astype(np.int32).tobytes(), capture_output=True)
        wall = time.perf_counter() - start
        if result.returncode:
            raise RuntimeError(f"harness failed ({result.returncode}): {result.stderr.decode(errors='replace')}")

        answer = np.frombuffer(result.stdout, dtype=np.int32).astype(np.int64)
        n_out = sizes[-1]
        per_step = answer[:steps * (n_out + 2)].reshape(steps, n_out + 2)
        position = per_step.size
        for layer, row, column, _ in addresses:
            augmented[layer][row, column] = answer[position]
            position += 1
        weights, biases = [a[:, :-1].copy() for a in augmented], [a[:, -1].copy() for a in augmented]
        count = generator_count(e)
        if position + count + 2 != len(answer):
            raise RuntimeError(f"harness answered {len(answer)} words, expected {position + count + 2}")
        final = (answer[position:position + count] & 0xFFFFFFFF).astype(np.uint64)
        low, high = answer[position + count:]
        return VerilatorRun(outputs=per_step[:, :n_out].copy(), predictions=per_step[:, n_out].copy(),
                            cycles=per_step[:, n_out + 1].copy(), weights=weights, biases=biases, states=final,
                            simulated_cycles=int(low & 0xFFFFFFFF) | int(high) << 32, wall_seconds=wall)
