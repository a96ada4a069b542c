"""A numpy stand-in for what pynq reaches on a PYNQ board: the accelerator's register bank behind ``pynq.MMIO``
(the engine's steps computed by the golden model, the readout's codes from a delay line of known bins) and a
``pynq.Overlay`` that records what it loaded. Only numpy and the board modules: it runs in the board's venv."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from mtjhw.gateware.accelerator_config import TopConfig, identification, register_map
from mtjhw.gateware.engine_map import engine_cycles
from mtjhw.gateware.mlp_golden import GoldenMLP

CLOCK_PERIOD = 10e-9  # s, FCLK0


class BusFault(OSError):
    """What the board does with a slave error (a write to a read-only register, an unmapped word): the access
    faults instead of returning."""


class FakeBitstream:
    """The register bank of ``register_map(config)``: 'rw' registers store whole words, 'ro' ones are driven by
    the model; the engine steps with :class:`GoldenMLP` once its inputs are in; a sweep pushes one code per column
    for stops ``column_times`` (s) after the charge starts, or uniformly spread stops in calibration mode, through
    a delay line of bin widths ``widths`` (s, summing to more than a clock period)."""

    def __init__(self, config: TopConfig, widths: np.ndarray, column_times: np.ndarray, seed: int = 0) -> None:
        self.config, self.map = config, register_map(config)
        self.registers = {r.offset: r for r in self.map.registers}
        self.words = {r.offset: r.reset for r in self.map.registers if r.access == "rw"}
        self.driven = {name: self.map[name].pack(**values) for name, values in identification(config).items()}
        self.model = GoldenMLP.for_config(config)
        self.edges = np.cumsum(widths)
        self.column_times = np.asarray(column_times, dtype=float)
        self.rng = np.random.default_rng(seed)
        self.inputs: list[int] = []
        self.codes: list[int] = []
        self.outputs = np.zeros(config.sizes[-1], dtype=np.int64)
        self.steps = self.prediction = self.cycles = self.dropped = 0
        self.log: list[tuple[str, int, int]] = []

    def field(self, name: str, field: str) -> int:
        register = self.map[name]
        return register.unpack(self.words[register.offset])[field]

    def write(self, offset: int, value: int) -> None:
        register = self.registers.get(offset)
        if register is None or register.access != "rw":
            raise BusFault(f"write to {offset:#x}: slave error")
        self.log.append(("write", offset, value))
        self.words[offset] = value
        handler = getattr(self, f"_on_{register.name.lower()}", None)
        if register.on_write and handler is not None:
            handler()

    def read(self, offset: int) -> int:
        register = self.registers.get(offset)
        if register is None:
            raise BusFault(f"read at {offset:#x}: slave error")
        word = self.words[offset] if register.access == "rw" else self._driven(register.name)
        self.log.append(("read", offset, word))
        return word

    def _driven(self, name: str) -> int:
        if name in self.driven:
            return self.driven[name]
        if name == "READOUT_CODE":
            return self.codes.pop(0) if self.codes else 0
        out, param = self.field("OUT_INDEX", "output"), self._param()
        values = {"ENGINE_STATUS": {"dropped": self.dropped, "level": len(self.inputs)},
                  "ENGINE_STEPS": {"count": self.steps}, "ENGINE_CYCLES": {"count": self.cycles},
                  "PREDICTION": {"output": self.prediction},
                  "OUT_DATA": {"value": int(self.outputs[out]) if out < self.outputs.size else 0},
                  "PARAM_READ": {"value": int(param[0][param[1]]) if param else 0},
                  "READOUT_STATUS": {"level": len(self.codes)}}
        return self.map[name].pack(**values.get(name, {}))

    def _param(self) -> tuple[np.ndarray, tuple[int, ...]] | None:
        """The array and index PARAM_SELECT points at (None outside the network)."""
        s = self.map["PARAM_SELECT"].unpack(self.words[self.map["PARAM_SELECT"].offset])
        sizes, layer = self.config.sizes, s["layer"]
        if layer >= len(sizes) - 1 or s["row"] >= sizes[layer + 1]:
            return None
        if s["bias"]:
            return self.model.biases[layer], (s["row"],)
        column = s["word"] * self.config.lanes + s["lane"]
        return (self.model.weights[layer], (s["row"], column)) if column < sizes[layer] else None

    def _on_engine_ctrl(self) -> None:
        self.dropped = 0

    def _on_param_write(self) -> None:
        param = self._param()
        if param is not None:
            param[0][param[1]] = self.field("PARAM_WRITE", "value")

    def _on_rounding_seed(self) -> None:
        self.model.seed_rounding(self.field("ROUNDING_SEED", "seed"))

    def _on_engine_input(self) -> None:
        self.inputs.append(self.field("ENGINE_INPUT", "value"))
        sizes, measured = self.config.sizes, self.field("ENGINE_CTRL", "measured")
        if len(self.inputs) == sizes[0] + (sizes[1] if measured else 0):
            self._step(np.array(self.inputs[:sizes[0]]), np.array(self.inputs[sizes[0]:]) if measured else None)
            self.inputs.clear()

    def _step(self, x: np.ndarray, z: np.ndarray | None) -> None:
        label, train = self.field("ENGINE_CTRL", "label"), self.field("ENGINE_CTRL", "train")
        target = np.where(np.arange(self.config.sizes[-1]) == label, self.field("TARGET_HIGH", "value"),
                          self.field("TARGET_LOW", "value"))
        if not train:
            self.outputs = self.model.forward(x)[1][-1]
        elif z is None:
            self.outputs = self.model.step(x, target)
        else:
            self.outputs = self.model.step_measured(x, z, target)
        self.prediction = int(np.argmax(self.outputs))
        self.cycles = engine_cycles(self.config.sizes, self.config.lanes, bool(train), z is not None)
        self.steps += 1

    def _on_readout_ctrl(self) -> None:
        if not self.field("READOUT_CTRL", "start"):
            return
        c, bins = self.config, self.field("READOUT_BINS", "bins")
        calibrate = self.field("READOUT_CTRL", "calibrate")
        times = self.rng.uniform(0, CLOCK_PERIOD, c.cols) if calibrate else self.column_times
        for column, t in enumerate(times):
            k = int(np.ceil(t / CLOCK_PERIOD))  # the clock edge after the stop samples the line
            fine = min(int(np.searchsorted(self.edges, k * CLOCK_PERIOD - t)) + 1, c.taps, bins)
            code = k * bins - fine
            self.codes.append(self.map["READOUT_CODE"].pack(code=code, column=column, last=int(column == c.cols - 1),
                                                             valid=1))


def fake_pynq(bitstream: FakeBitstream, name: str = "mtjhw_0", base: int = 0x43C0_0000) -> SimpleNamespace:
    """A stand-in for the ``pynq`` module: ``Overlay(path)`` records the path and lists the accelerator's IP at
    ``base``; ``MMIO(base, length)`` reaches ``bitstream`` there."""
    loaded: list[str] = []

    class Overlay:
        def __init__(self, path: str) -> None:
            loaded.append(path)
            self.ip_dict = {name: {"phys_addr": base, "addr_range": 0x1000}}

    class MMIO:
        def __init__(self, base_addr: int, length: int) -> None:
            if base_addr != base:
                raise BusFault(f"nothing mapped at {base_addr:#x}")
            self.base_addr, self.length = base_addr, length

        def read(self, offset: int, length: int = 4) -> int:
            return bitstream.read(offset)

        def write(self, offset: int, data: int) -> None:
            bitstream.write(offset, data)

    return SimpleNamespace(Overlay=Overlay, MMIO=MMIO, loaded=loaded)
