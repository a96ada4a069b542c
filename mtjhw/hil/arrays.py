"""Array backends: where the forward pass runs. One interface, whatever holds the devices.

Weights are binary and stored differentially: weight (i, j) = +1 puts cell (i, 2j) in P and (i, 2j+1) in AP,
−1 the reverse, so the bit-line current difference I_2j − I_2j+1 = V·Σ_i x_i (G_P − G_AP)·w_ij computes the
dot product of binary inputs x (word lines at the read voltage or grounded) with the weights. An array read
through the FPGA's RC/TDC path (:class:`TdcReadArray`) strings the pairs in series instead (XNOR selection) and
measures the dot products itself (``dots``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from mtjhw.simulators.physics.crossbar import CrossbarArray
from mtjhw.simulators.physics.neel_brown import STATE_AP, STATE_P
from mtjhw.simulators.physics.synapse import CompoundSynapse, DomainWallSynapse
from mtjhw.simulators.physics.tmr import resistance as tmr_resistance

from ..networks.readout import quantize
from .programming import PulseSchedule, write_verify


@dataclass
class WriteReport:
    """What a programming pass did: pulses used and the cells that did not take their state."""

    pulses: int = 0
    failed: list[tuple[int, int]] = field(default_factory=list)


class ArrayBackend(Protocol):
    rows: int
    cols: int

    def column_currents(self, x: np.ndarray) -> np.ndarray:
        """Bit-line currents (A) with word line i at the read voltage where x_i = 1 (grounded otherwise)."""

    def program(self, states: np.ndarray, max_attempts: int, pulse_budget: int | None = None) -> WriteReport:
        """Write-verify a (rows, cols) pattern of ±1 states: up to ``max_attempts`` pulses per cell and
        ``pulse_budget`` in all (the cells left when it runs out are reported as failed)."""

    def states(self) -> np.ndarray:
        """The cells' states as read back (±1)."""


@runtime_checkable
class MeasuresDots(Protocol):
    """An array that measures dot products itself (through a TDC, or on its own conductance scale): the loop
    needs no ``unit_current``."""

    def dots(self, x: np.ndarray) -> np.ndarray:
        """x·W of the programmed weights, in units of one active input on one weight."""


@runtime_checkable
class ProgramsWeights(Protocol):
    """A multi-level array: the trainer's analog weights are written, not their signs."""

    def program_weights(self, weights: np.ndarray, max_attempts: int,
                        pulse_budget: int | None = None) -> WriteReport:
        """Write-verify (rows, outputs) weights in [−1, 1]."""


@runtime_checkable
class Restorable(Protocol):
    """A simulated array whose cells and random state go into the loop's checkpoints (a real array keeps its
    state physically and is programmed again on resume)."""

    def snapshot(self) -> tuple[np.ndarray, dict]:
        """(cell states, random-generator state)."""

    def restore(self, cells: np.ndarray, rng_state: dict) -> None:
        """Put back what :meth:`snapshot` returned."""


def weights_to_states(weights: np.ndarray) -> np.ndarray:
    """(rows, 2·outputs) cell states for binary weights (rows, outputs)."""
    w = np.where(np.asarray(weights) >= 0, STATE_P, STATE_AP)
    states = np.empty((w.shape[0], 2 * w.shape[1]), dtype=int)
    states[:, 0::2], states[:, 1::2] = w, -w
    return states


def differential(currents: np.ndarray) -> np.ndarray:
    """Per-output current differences I_2j − I_2j+1."""
    return currents[..., 0::2] - currents[..., 1::2]


class SimulatedArray:
    """The crossbar physics directly (fast): currents from the cells' conductances, pulses sampled with the
    Néel–Brown write probability. ``write_current`` (A) and ``write_width`` (s) per pulse."""

    def __init__(self, array: CrossbarArray, rng: np.random.Generator, read_voltage: float = 0.05,
                 write_current: float = 100e-6, write_width: float = 1e-6) -> None:
        self.array, self.rng = array, rng
        self.rows, self.cols = array.rows, array.cols
        self.read_voltage, self.write_current, self.write_width = read_voltage, write_current, write_width

    def column_currents(self, x: np.ndarray) -> np.ndarray:
        g = self.array.conductances(self.read_voltage)
        noise = 1 + self.array.params.read_noise * self.rng.standard_normal(g.shape)
        return self.read_voltage * np.asarray(x, dtype=float) @ (g * noise)

    def program(self, states: np.ndarray, max_attempts: int, pulse_budget: int | None = None) -> WriteReport:
        report = WriteReport()
        for row, col in np.argwhere(self.array.state != states):
            attempts = max_attempts if pulse_budget is None else min(max_attempts, pulse_budget - report.pulses)
            if attempts <= 0:
                report.failed.append((int(row), int(col)))
                continue
            used = self.array.write(int(row), int(col), int(states[row, col]), self.rng, self.write_current,
                                    self.write_width, attempts)
            report.pulses += attempts if used < 0 else used
            if used < 0:
                report.failed.append((int(row), int(col)))
        return report

    def states(self) -> np.ndarray:
        return self.array.state.copy()

    def snapshot(self) -> tuple[np.ndarray, dict]:
        """Cell states and random-generator state, for checkpoints."""
        return self.array.state.copy(), self.rng.bit_generator.state

    def restore(self, cells: np.ndarray, rng_state: dict) -> None:
        self.array.state[...] = cells
        self.rng.bit_generator.state = rng_state


#: Who reads a bench array's cell states: ``auto``, ``smu`` or ``resistance`` (see :class:`BenchArray`).
READERS = ("auto", "smu", "resistance")


class BenchArray:
    """An MTJ array on a bench (virtual or real): a source-meter reaches the cells through a switch matrix.

    Column currents (the dot products) close the word lines of the active inputs to the SMU's HI bus and one bit
    line to LO (one current per bit line, at ``read_voltage`` V): they are always the source-meter's. Writes
    select one cell and send a ``write_voltage`` (V) pulse of ``write_width`` (s) from the SMU whose sign sets
    the state (positive: P). Cell states (:meth:`states` and the verify read after each write pulse) are read by
    ``reader``: "smu" at ``read_voltage``, or "resistance" through the ``resistance`` role (a current source and
    nanovoltmeter on the matrix rows of their own) in delta mode at ±``read_current`` A with ``nplc`` line
    cycles per voltage, free of thermoelectric offsets; "auto" takes the resistance role where the bench has
    one (an array bench has its SMU anyway, for the writes and the column currents, so a delta-mode meter on the
    matrix is there for the cell reads), the SMU otherwise. A cell is P when its resistance is below
    ``r_threshold`` (Ω). ``crosspoint(kind, index, bus)`` names the switch crosspoint of a word or bit line on
    the rows of ``bus`` ("smu" or "resistance"; default: :func:`mtjhw.simulators.bench.devices.crosspoint_of_line`'s
    wiring). The bench's safety limits hold for the read current too; closing the bench switches the outputs off.
    """

    def __init__(self, bench, rows: int, cols: int, r_threshold: float, read_voltage: float = 0.05,
                 write_voltage: float = 0.7, write_width: float = 1e-3, crosspoint=None, reader: str = "auto",
                 read_current: float = 1e-6, nplc: float = 1.0) -> None:
        from mtjhw.simulators.bench.devices import crosspoint_of_line

        self.bench, self.rows, self.cols = bench, rows, cols
        self.r_threshold, self.read_voltage = r_threshold, read_voltage
        self.write_voltage, self.write_width = write_voltage, write_width
        self.crosspoint = crosspoint or crosspoint_of_line
        self.reader = _chosen_reader(bench, reader)
        if self.reader == "resistance":
            bench.resistance.configure(read_current, "delta", nplc)
        bench.smu.source_voltage_mode(compliance_current=min(1e-3, bench.config.safety.max_current), nplc=0.1)
        bench.smu.set_level(read_voltage)
        bench.smu.output_on()

    def _select(self, words: list[int], bit: int, bus: str = "smu") -> None:
        self.bench.switch.exclusive_close([self.crosspoint("word", w + 1, bus) for w in words]
                                          + [self.crosspoint("bit", bit + 1, bus)])

    def column_currents(self, x: np.ndarray) -> np.ndarray:
        words = [int(i) for i in np.flatnonzero(np.asarray(x) > 0)]
        currents = np.zeros(self.cols)
        if words:
            for col in range(self.cols):
                self._select(words, col)
                currents[col] = self.bench.smu.measure()[1]
        return currents

    def _state(self, resistance: float) -> int:
        return STATE_P if resistance < self.r_threshold else STATE_AP

    def _cell_state(self, row: int, col: int) -> int:
        if self.reader == "resistance":
            self._select([row], col, "resistance")
            return self._state(self.bench.resistance.measure_resistance())
        self._select([row], col)
        v, i = self.bench.smu.measure()
        return self._state(v / i if i else math.inf)

    def states(self) -> np.ndarray:
        return np.array([[self._cell_state(r, c) for c in range(self.cols)] for r in range(self.rows)])

    def program(self, states: np.ndarray, max_attempts: int, pulse_budget: int | None = None) -> WriteReport:
        report = WriteReport()
        for row, col in np.argwhere(self.states() != states):
            if not self._write(int(row), int(col), int(states[row, col]), max_attempts, pulse_budget, report):
                report.failed.append((int(row), int(col)))
        return report

    def _write(self, row: int, col: int, target: int, max_attempts: int, pulse_budget: int | None,
               report: WriteReport) -> bool:
        """Pulse cell (row, col) toward ``target`` until it reads back so, at most ``max_attempts`` times and
        while ``report`` stays within ``pulse_budget``; whether it took the state."""
        if self.reader == "smu":
            self._select([row], col)  # selected once: the SMU reads back on the rows it pulses on
        for _ in range(max_attempts):
            if pulse_budget is not None and report.pulses >= pulse_budget:
                return False
            report.pulses += 1
            if self._pulse(row, col, target) == target:
                return True
        return False

    def _pulse(self, row: int, col: int, target: int) -> int:
        """One write pulse toward ``target`` through cell (row, col), and the state read back after it."""
        pulse = target * self.write_voltage
        if self.reader == "smu":
            v, i = self.bench.smu.sweep(np.array([pulse, self.read_voltage]), delay=self.write_width)
            return self._state(v[1] / i[1])
        self._select([row], col)
        self.bench.smu.sweep(np.array([pulse]), delay=self.write_width)
        return self._cell_state(row, col)


def _chosen_reader(bench, reader: str) -> str:
    """The role that reads a bench array's cell states for ``reader`` (one of :data:`READERS`)."""
    if reader not in READERS:
        raise ValueError(f"reader must be one of {', '.join(READERS)}, got {reader!r}")
    if reader == "auto":
        return "resistance" if bench.has_resistance else "smu"
    return reader


class TdcReadArray(SimulatedArray):
    """The crossbar read through the FPGA's readout: for output j the sequencer strings, row by row, the w cell of the
    pair where x_i = 1 and the ¬w cell where x_i = 0, charges the capacitor through the string and the gateware TDC
    times the comparator edge (:class:`mtjhw.gateware.accelerator_host.TdcHost`). A string with m mismatching cells (AP)
    takes m·``unit_time`` longer than with none, and m(0) − m(x) = x·W, so the dot products come from two sweeps, the
    input's and an all-zero reference one (re-measured after every programming pass), timed with the TDC's calibration
    (:meth:`~mtjhw.gateware.accelerator_host.TdcHost.measure`): x·W = (t(0) − t(x)) / unit_time.
    ``unit_time`` (s) = (R_AP − R_P)·C·ln(V/(V − V_th)); one TDC LSB resolves ΔR = LSB / (C·ln(V/(V − V_th))).

    Programming and verification are the simulated array's (pulses with Néel–Brown switching); the inherited
    ``column_currents`` reads the bit lines directly, bypassing the FPGA (the HIL loop uses ``dots``)."""

    def __init__(self, array: CrossbarArray, rng: np.random.Generator, tdc, unit_time: float, **write) -> None:
        super().__init__(array, rng, **write)
        if array.rows > tdc.config.rows or array.cols != 2 * tdc.config.cols:
            raise ValueError(f"a {array.rows}×{array.cols} array needs a readout of >= {array.rows} rows and "
                             f"{array.cols // 2} columns, the gateware has {tdc.config.rows}×{tdc.config.cols}")
        self.tdc, self.unit_time = tdc, unit_time
        self._reference: np.ndarray | None = None

    def _sweep(self, x: np.ndarray) -> np.ndarray:
        mask = sum(1 << i for i in np.flatnonzero(np.asarray(x) > 0))
        return self.tdc.measure(int(mask))

    def dots(self, x: np.ndarray) -> np.ndarray:
        """x·W for binary inputs x, one TDC sweep (plus the reference after programming)."""
        if self._reference is None:
            self._reference = self._sweep(np.zeros(self.rows))
        return (self._reference - self._sweep(x)) / self.unit_time

    def program(self, states: np.ndarray, max_attempts: int, pulse_budget: int | None = None) -> WriteReport:
        self._reference = None
        return super().program(states, max_attempts, pulse_budget)

    def restore(self, cells: np.ndarray, rng_state: dict) -> None:
        self._reference = None
        super().restore(cells, rng_state)


class MultiLevelArray:
    """A crossbar of multi-level synapses — domain-wall MTJs or compound synapses of stochastic binary MTJs —
    holding analog weights w ∈ [−1, 1] as differential pairs: column 2j at G_min + ΔG·(1 + w)/2, column 2j+1 at
    G_min + ΔG·(1 − w)/2, so I_2j − I_2j+1 = V·ΔG·x·w. ``synapses`` holds rows·2·outputs devices (row-major);
    reads add relative ``read_noise`` per cell and digitise each bit-line current with an ``adc_bits`` ADC over
    its full range (None: ideal); ``stuck`` (flat indices) are cells that no pulse moves (stuck faults).
    Weights are written by incremental-step write-verify (:func:`mtjhw.hil.programming.write_verify`) to within
    ``tolerance`` (fraction of ΔG)."""

    def __init__(self, rows: int, outputs: int, synapses: DomainWallSynapse | CompoundSynapse,
                 rng: np.random.Generator, schedule: PulseSchedule, read_voltage: float = 0.05,
                 read_noise: float = 0.0, adc_bits: int | None = None, tolerance: float = 0.04,
                 stuck: np.ndarray | None = None) -> None:
        if synapses.n != rows * 2 * outputs:
            raise ValueError(f"{rows}×{outputs} weights need {rows * 2 * outputs} synapses, got {synapses.n}")
        self.rows, self.cols = rows, 2 * outputs
        self.synapses, self.rng, self.schedule = synapses, rng, schedule
        self.read_voltage, self.read_noise, self.adc_bits = read_voltage, read_noise, adc_bits
        self.tolerance = tolerance
        self.stuck = np.zeros(synapses.n, dtype=bool)
        if stuck is not None:
            self.stuck[np.asarray(stuck, dtype=int)] = True
        p = synapses.params
        g_ap, g_p = 1.0 / tmr_resistance(p.r_p, p.tmr, -1.0, read_voltage, p.v_half), 1.0 / p.r_p
        if isinstance(synapses, CompoundSynapse):
            k = p.n_devices
            g_ap, g_p = (k * g_ap, k * g_p) if p.arrangement == "parallel" else (g_ap / k, g_p / k)
        self.g_min, self.g_max = g_ap, g_p

    def conductances(self) -> np.ndarray:
        """(rows, cols) cell conductances (S), as the physics holds them."""
        return self.synapses.conductance(self.read_voltage).reshape(self.rows, self.cols)

    def column_currents(self, x: np.ndarray) -> np.ndarray:
        g = self.conductances()
        if self.read_noise:
            g = g * (1 + self.read_noise * self.rng.standard_normal(g.shape))
        currents = self.read_voltage * np.asarray(x, dtype=float) @ g
        return quantize(currents, self.adc_bits, 0.0, self.read_voltage * self.rows * self.g_max)

    def dots(self, x: np.ndarray) -> np.ndarray:
        """x·W as the array computes it."""
        return differential(self.column_currents(x)) / (self.read_voltage * (self.g_max - self.g_min))

    def weights(self) -> np.ndarray:
        """(rows, outputs) weights the cells hold now."""
        g = self.conductances()
        return (g[:, 0::2] - g[:, 1::2]) / (self.g_max - self.g_min)

    def targets(self, weights: np.ndarray) -> np.ndarray:
        w = np.clip(np.asarray(weights, dtype=float), -1.0, 1.0)
        targets = np.empty((self.rows, self.cols))
        span = self.g_max - self.g_min
        targets[:, 0::2] = self.g_min + span * (1 + w) / 2
        targets[:, 1::2] = self.g_min + span * (1 - w) / 2
        return targets

    def program_weights(self, weights: np.ndarray, max_attempts: int,
                        pulse_budget: int | None = None) -> WriteReport:
        """Write-verify (rows, outputs) weights in [−1, 1] (clipped)."""
        def read() -> np.ndarray:
            return self.synapses.conductance(self.read_voltage)

        def pulse(amplitudes: np.ndarray, width: float) -> None:
            self.synapses.apply_pulse(np.where(self.stuck, 0.0, amplitudes), width, self.rng)

        span = self.g_max - self.g_min
        result = write_verify(read, pulse, self.targets(weights).ravel(), self.tolerance * span, self.schedule,
                              max_attempts, pulse_budget)
        return WriteReport(result.pulses, [divmod(i, self.cols) for i in result.failed])

    def snapshot(self) -> tuple[np.ndarray, dict]:
        """Synapse states and random-generator state, for checkpoints."""
        s = self.synapses
        state = s.site if isinstance(s, DomainWallSynapse) else s.devices.state
        return state.copy(), self.rng.bit_generator.state

    def restore(self, cells: np.ndarray, rng_state: dict) -> None:
        s = self.synapses
        if isinstance(s, DomainWallSynapse):
            s.site[...] = cells
        else:
            s.devices.state[...] = cells
        self.rng.bit_generator.state = rng_state
