"""Ready-made HIL set-ups for the 3×3 letter task: an array backend and a trainer chosen by name.

Arrays: ``simulated`` (binary crossbar physics, bit-line currents), ``bench`` (a bench file's array through the
source-meter and the 707B switch matrix, its cell states read by ``reader``: see
:class:`~mtjhw.hil.arrays.BenchArray`), ``tdc`` (the crossbar read through the simulated FPGA's RC/TDC
readout), ``domain-wall`` and ``compound`` (multi-level synapses, write-verified analog weights). Trainers:
``float`` (numpy), ``golden`` (the FPGA engine's golden model), ``gateware`` (the engine in the Amaranth
simulator, through its register-level host class). ``tdc`` and ``gateware`` share one simulated accelerator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams
from mtjhw.simulators.physics.synapse import CompoundParams, CompoundSynapse, DomainWallParams, DomainWallSynapse
from mtjhw.simulators.physics.tmr import resistance as tmr_resistance

from .arrays import BenchArray, MultiLevelArray, SimulatedArray, TdcReadArray
from .programming import PulseSchedule
from .trainer import FloatTrainer, GatewareTrainer, GoldenTrainer

ARRAYS = ("simulated", "bench", "tdc", "domain-wall", "compound")
TRAINERS = ("float", "golden", "gateware")
ROWS, OUTPUTS = 9, 4
READ_VOLTAGE = 0.05  # V
CLOCK_PERIOD = 10e-9  # s, the FPGA fabric clock
TAPS = 16
LR_SHIFT = 2


@dataclass
class HilSetup:
    array: Any
    trainer: Any
    unit_current: float | None  # A per unit of x·W for current-read binary arrays; None: the array has ``dots``


def _unit_current(params: CrossbarParams) -> float:
    r_ap = tmr_resistance(params.r_p, params.tmr, -1.0, READ_VOLTAGE, params.v_half)
    return READ_VOLTAGE * (1 / params.r_p - 1 / float(r_ap))


def nominal_cells(dut: dict[str, Any]) -> CrossbarParams:
    """The array's nominal cell parameters from the bench file's ``dut`` section (the defaults for those it does not
    give): what the host knows of the devices, on the simulated bench and on a real probe card alike."""
    return CrossbarParams(**{f.name: dut[f.name] for f in fields(CrossbarParams) if f.name in dut})


@contextmanager
def letter_setup(array: str, trainer: str, seed: int = 0, bench_file: Path | None = None,
                 read_noise: float = 0.01, reader: str = "auto") -> Iterator[HilSetup]:
    """The named array and trainer for the 9-input, 4-output letter network (closed on exit)."""
    if array not in ARRAYS or trainer not in TRAINERS:
        raise ValueError(f"array must be one of {', '.join(ARRAYS)} and trainer one of {', '.join(TRAINERS)}")
    if (array == "bench") != (bench_file is not None):
        raise ValueError("the bench array needs a bench file (--bench), and only it takes one")
    if reader != "auto" and array != "bench":
        raise ValueError(f"only the bench array reads its cells through a chosen role (--reader {reader})")
    rng = np.random.default_rng(seed + 1)
    with ExitStack() as stack:
        accelerator = None
        if array == "tdc" or trainer == "gateware":
            from mtjhw.gateware.accelerator_host import simulated_accelerator
            from mtjhw.gateware.afe import AnalogFrontEnd, xnor_pair_columns
            from mtjhw.gateware.delay_line import DelayLineModel
            from mtjhw.gateware.top import TopConfig

            front_end = None
            if array == "tdc":
                cells = CrossbarArray(ROWS, 2 * OUTPUTS, CrossbarParams(read_noise=0.0), rng=rng)
                line = DelayLineModel.uniform(TAPS, CLOCK_PERIOD, length=1.0, nonuniformity=0.3,
                                              rng=np.random.default_rng(seed + 2))  # coarse: simulates fast
                front_end = AnalogFrontEnd(xnor_pair_columns(cells, READ_VOLTAGE), line, capacitance=1e-12,
                                           v_noise=0.002, rng=rng)
            config = TopConfig(sizes=(ROWS, OUTPUTS), lanes=ROWS, lr_shift=LR_SHIFT, rows=ROWS, cols=OUTPUTS,
                               taps=TAPS)
            accelerator = stack.enter_context(simulated_accelerator(config, front_end))

        unit: float | None = None
        if array == "simulated":
            params = CrossbarParams(read_noise=read_noise)
            backend = SimulatedArray(CrossbarArray(ROWS, 2 * OUTPUTS, params, rng=rng), rng)
            unit = _unit_current(params)
        elif array == "bench":
            from ..bench import Bench
            from ..config import BenchConfig

            config = BenchConfig.load(bench_file)
            bench = stack.enter_context(Bench.open(config))
            params = nominal_cells(config.dut)
            r_ap = float(tmr_resistance(params.r_p, params.tmr, -1.0, READ_VOLTAGE, params.v_half))
            backend = BenchArray(bench, ROWS, 2 * OUTPUTS, r_threshold=math.sqrt(params.r_p * r_ap),
                                 read_voltage=READ_VOLTAGE, reader=reader)
            unit = _unit_current(params)
        elif array == "tdc":
            params = CrossbarParams()
            r_ap = float(tmr_resistance(params.r_p, params.tmr, -1.0, READ_VOLTAGE, params.v_half))
            unit_time = (r_ap - params.r_p) * 1e-12 * math.log(2)
            backend = TdcReadArray(cells, rng, accelerator.tdc, unit_time)
        elif array == "domain-wall":
            synapses = DomainWallSynapse(DomainWallParams(), n=ROWS * 2 * OUTPUTS, rng=rng)
            backend = MultiLevelArray(ROWS, OUTPUTS, synapses, rng, PulseSchedule(110e-6, 10e-6, 300e-6, 10e-9),
                                      read_noise=read_noise, adc_bits=8)
        else:
            synapses = CompoundSynapse(CompoundParams(), n=ROWS * 2 * OUTPUTS, rng=rng)
            backend = MultiLevelArray(ROWS, OUTPUTS, synapses, rng, PulseSchedule(50e-6, 2e-6, 70e-6, 10e-9),
                                      read_noise=read_noise, adc_bits=8, tolerance=0.07)

        if trainer == "float":
            learner = FloatTrainer(ROWS, OUTPUTS, learning_rate=0.1 if array in ("domain-wall", "compound")
                                   else 0.05, seed=seed)
        elif trainer == "golden":
            learner = GoldenTrainer(ROWS, OUTPUTS, lr_shift=LR_SHIFT, seed=seed)
        else:
            learner = GatewareTrainer(accelerator.engine, ROWS, OUTPUTS, lr_shift=LR_SHIFT, seed=seed)
        yield HilSetup(backend, learner, unit)
