"""Host classes for the accelerator's blocks, over any register bus (the simulation in CI, ``pynq.MMIO`` on a board).

:class:`Accelerator` checks the identifier and the shape of what it talks to and gives one class per block:
:class:`TrainingEngineHost` (weights in and out, training and inference steps) and :class:`TdcHost` (column
sweeps, code-density calibration, routing codes into the engine). :func:`simulated_accelerator` builds the same
gateware in the Amaranth simulator, with an analog front-end model driving the TDC, behind the same classes. The
classes need numpy only (they run on a PYNQ board); the simulation imports Amaranth when called.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from .accelerator_config import DEFAULT_CONFIG, IDENTIFIER, TopConfig, identification, register_map
from .calibration import Calibration, code_density
from .engine_map import StepResult, parameter_address
from .host import RegisterBus, RegisterFile
from .mlp_golden import GoldenMLP

if TYPE_CHECKING:
    from .afe import AnalogFrontEnd


class GatewareError(RuntimeError):
    """The gateware did not answer as expected (wrong bitstream, time-out, dropped data)."""


class _Block:
    def __init__(self, registers: RegisterFile, config: TopConfig, timeout: float) -> None:
        self.registers, self.config, self.timeout = registers, config, timeout

    def _wait(self, done, what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not done():
            if time.monotonic() > deadline:
                raise GatewareError(f"timed out after {self.timeout} s waiting for {what}")


class TrainingEngineHost(_Block):
    """The training engine: program and read back weights, run steps (inputs pushed by the host or routed from
    the readout)."""

    def _select(self, layer: int, row: int, column: int) -> None:
        a = parameter_address(self.config.sizes, self.config.lanes, layer, row, column)
        self.registers.write("PARAM_SELECT", layer=a.layer, bias=int(a.bias), row=a.row, word=a.word, lane=a.lane)

    def _idle(self) -> None:
        self._wait(lambda: not self.registers.read_fields("ENGINE_STATUS")["busy"], "the engine to go idle")

    def load(self, model: GoldenMLP) -> None:
        """Program ``model``'s weights and biases."""
        if tuple(model.sizes) != self.config.sizes:
            raise ValueError(f"model sizes {model.sizes} differ from the gateware's {self.config.sizes}")
        self._idle()
        for layer, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
            for (row, column), value in np.ndenumerate(np.concatenate([w, b[:, None]], axis=1)):
                self._select(layer, row, column)
                self.registers.write("PARAM_WRITE", value=int(value))

    def parameters(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(weights, biases) per layer, as the engine holds them."""
        self._idle()
        weights, biases = [], []
        for layer, (n_in, n_out) in enumerate(zip(self.config.sizes[:-1], self.config.sizes[1:], strict=True)):
            augmented = np.zeros((n_out, n_in + 1), dtype=np.int64)
            for row in range(n_out):
                for column in range(n_in + 1):
                    self._select(layer, row, column)
                    augmented[row, column] = self.registers.read_fields("PARAM_READ")["value"]
            weights.append(augmented[:, :-1])
            biases.append(augmented[:, -1].copy())
        return weights, biases

    def configure(self, label: int = 0, train: bool = True, measured: bool = False, route: bool = False) -> None:
        if not 0 <= label < self.config.sizes[-1]:
            raise ValueError(f"label must be 0..{self.config.sizes[-1] - 1}, got {label}")
        self.registers.write("ENGINE_CTRL", train=int(train), measured=int(measured), route=int(route), label=label)

    def seed_rounding(self, seed: int) -> None:
        """Seed the stochastic-rounding generators (``ROUNDING_SEED``), as :meth:`GoldenMLP.seed_rounding` does."""
        if not 0 <= seed < 1 << 32:
            raise ValueError(f"the rounding seed is 32 bits, got {seed}")
        self._idle()
        self.registers.write("ROUNDING_SEED", seed=seed)

    def set_targets(self, high: int, low: int) -> None:
        self.registers.write("TARGET_HIGH", value=high)
        self.registers.write("TARGET_LOW", value=low)

    def push(self, values: np.ndarray) -> None:
        for value in np.asarray(values, dtype=np.int64):
            self.registers.write("ENGINE_INPUT", value=int(value))

    def steps(self) -> int:
        return self.registers.read_fields("ENGINE_STEPS")["count"]

    def finish(self, steps_before: int) -> StepResult:
        """Wait for the step after ``steps_before`` and read its outcome."""
        self._wait(lambda: self.steps() != steps_before, "the training step")
        if self.registers.read_fields("ENGINE_STATUS")["dropped"]:
            raise GatewareError("the engine dropped an input beat (pushed while routing or with the FIFO full)")
        outputs = []
        for j in range(self.config.sizes[-1]):
            self.registers.write("OUT_INDEX", output=j)
            outputs.append(self.registers.read_fields("OUT_DATA")["value"])
        return StepResult(np.array(outputs, dtype=np.int64), self.registers.read_fields("PREDICTION")["output"],
                           self.registers.read_fields("ENGINE_CYCLES")["count"])

    def step(self, x: np.ndarray, label: int, train: bool = True, z: np.ndarray | None = None) -> StepResult:
        """One step on inputs ``x`` (Q format) toward ``label``; ``z``: measured first-layer pre-activations."""
        if len(x) != self.config.sizes[0] or (z is not None and len(z) != self.config.sizes[1]):
            raise ValueError(f"need {self.config.sizes[0]} inputs (and {self.config.sizes[1]} measured values)")
        self._idle()
        self.configure(label, train, measured=z is not None)
        before = self.steps()
        self.push(x)
        if z is not None:
            self.push(z)
        return self.finish(before)


class TdcHost(_Block):
    """The readout: column sweeps through the RC/TDC path, code-density calibration (on demand, or every few
    sweeps as the chain drifts with temperature and supply), calibrated times, and the code converter."""

    clock_period = 10e-9  # s, the fabric clock (FCLK0 at 100 MHz)

    def __init__(self, registers: RegisterFile, config: TopConfig, timeout: float) -> None:
        super().__init__(registers, config, timeout)
        self.calibration = Calibration.nominal(self.clock_period, config.taps)
        self.registers.write("READOUT_BINS", bins=config.taps)  # the table's scale, whatever ran before
        self._every: int | None = None
        self._hits = 0
        self._since = 0  # measurement sweeps since the last calibration

    def schedule_calibration(self, every: int | None, hits: int) -> None:
        """Recalibrate with ``hits`` stops before a measurement sweep once ``every`` sweeps have run since the last
        calibration (None: only on demand, :meth:`calibrate`)."""
        if every is not None and every < 1:
            raise ValueError(f"every: at least one sweep between calibrations, or None (got {every})")
        self._every, self._hits = every, hits

    def sweep(self, row_mask: int, calibrate: bool = False, settle: int | None = None) -> np.ndarray:
        """One code per column for the rows in ``row_mask``: k·bins − fine with ``calibration.bins`` per period
        (a due calibration runs first; ``calibrate``: stops from the calibration oscillator instead)."""
        if not calibrate:
            if self._every is not None and self._since >= self._every:
                self.calibrate(self._hits)
            self._since += 1
        return self._codes(row_mask, calibrate, settle)

    def measure(self, row_mask: int) -> np.ndarray:
        """Calibrated charging time (s) per column, up to the delay line's constant input delay: one sweep,
        decoded with the table its codes were taken under."""
        codes = self.sweep(row_mask)
        return self.calibration.times(codes)

    def _codes(self, row_mask: int, calibrate: bool, settle: int | None) -> np.ndarray:
        c = self.config
        if c.cols > 64:
            raise ValueError("a sweep of more than 64 columns overflows the code FIFO; route it to the engine")
        if settle is not None:
            self.registers.write("READOUT_SETTLE", cycles=settle)
        self.registers.write("READOUT_ROWS", mask=row_mask)
        self.registers.write("READOUT_CTRL", start=1, calibrate=int(calibrate))
        codes = np.zeros(c.cols, dtype=np.int64)
        received = 0
        deadline = time.monotonic() + self.timeout
        while received < c.cols:
            popped = self.registers.read_fields("READOUT_CODE")
            if not popped["valid"]:
                if time.monotonic() > deadline:
                    raise GatewareError(f"timed out after {self.timeout} s waiting for readout codes")
                continue
            column = popped["column"]
            if column != received:
                raise GatewareError(f"expected column {received}, got {column}: codes were lost")
            codes[column] = popped["code"]
            received += 1
        return codes

    def calibrate(self, hits: int) -> Calibration:
        """Code-density calibration from ``hits`` stops of the calibration oscillator (at least 100 per bin of a
        period), taken with every tap decodable (``READOUT_BINS`` = the taps). The new table and the gateware's
        code scale then change together, between sweeps: every sweep is decoded with the table it was taken
        under. On failure both stay as they were."""
        c = self.config
        settle = self.registers.read_fields("READOUT_SETTLE")["cycles"]
        calibration = self.calibration
        self.registers.write("READOUT_BINS", bins=c.taps)
        try:
            codes = np.concatenate([self._codes(0, True, 0) for _ in range(-(-hits // c.cols))])
            calibration = code_density(codes[:hits], c.taps, self.clock_period)
        finally:
            self.registers.write("READOUT_BINS", bins=calibration.bins)
            self.registers.write("READOUT_SETTLE", cycles=settle)
        self.calibration, self._since = calibration, 0
        return calibration

    def set_converter(self, offset: int, gain: int, shift: int) -> None:
        """Code → engine input: x = sat(((code − offset)·gain) >> shift); the fields' widths bound each value."""
        self.registers.write("CODE_OFFSET", offset=offset)
        self.registers.write("CODE_GAIN", gain=gain)
        self.registers.write("CODE_SHIFT", shift=shift)

    def sweep_into_engine(self, row_mask: int) -> None:
        """Start a sweep whose converted codes go into the engine's input FIFO (``ENGINE_CTRL.route`` set)."""
        self.registers.write("READOUT_ROWS", mask=row_mask)
        self.registers.write("READOUT_CTRL", start=1)


class Accelerator:
    """The accelerator over ``bus``: verifies the identifier and that the gateware's shape is ``config``."""

    def __init__(self, bus: RegisterBus, config: TopConfig = DEFAULT_CONFIG, timeout: float = 10.0) -> None:
        self.bus, self.config = bus, config
        self.registers = RegisterFile(bus, register_map(config))
        self._identify()
        self.engine = TrainingEngineHost(self.registers, config, timeout)
        self.tdc = TdcHost(self.registers, config, timeout)

    def _identify(self) -> None:
        """Refuse a bus without the accelerator, or with one built for another :class:`TopConfig`."""
        identifier = self.registers.read("ID")
        if identifier != IDENTIFIER:
            raise GatewareError(f"no mtjhw accelerator here: identifier {identifier:#010x}, expected "
                                f"{IDENTIFIER:#010x}")
        for name in ("ENGINE_SHAPE", "READOUT_SHAPE", "LAYER_SIZES"):
            found, expected = self.registers.read_fields(name), identification(self.config)[name]
            differ = [f"{name}.{k} {found[k]} (config: {v})" for k, v in expected.items() if found[k] != v]
            if differ:
                raise GatewareError(f"the gateware was built for another network or readout, {', '.join(differ)}: "
                                    "rebuild it or pass its TopConfig")


@contextmanager
def simulated_accelerator(config: TopConfig = DEFAULT_CONFIG, front_end: AnalogFrontEnd | None = None,
                          timeout: float = 600.0) -> Iterator[Accelerator]:
    """The gateware in the Amaranth simulator behind :class:`Accelerator`; ``front_end`` drives the TDC."""
    from .sim_bus import SimulatedAxiBus
    from .top import AcceleratorTop

    top = AcceleratorTop(config)
    background = ()
    if front_end is not None:
        async def drive(ctx) -> None:
            await front_end.drive(ctx, top)

        background = (drive,)
    bus = SimulatedAxiBus(top.axi, clock_period=TdcHost.clock_period, toplevel=top, background=background)
    try:
        yield Accelerator(bus, config, timeout)
    finally:
        bus.close()
