"""The accelerator through its AXI-Lite register bank: engine, readout and routing, driven by the host classes,
on the simulated bus and through a fake ``pynq.MMIO``."""

import numpy as np
import pytest

from mtjhw.gateware.accelerator_host import Accelerator, GatewareError, simulated_accelerator
from mtjhw.gateware.afe import AnalogFrontEnd, series_columns
from mtjhw.gateware.delay_line import DelayLineModel
from mtjhw.gateware.host import MmioBus
from mtjhw.gateware.mlp_engine import engine_cycles
from mtjhw.gateware.mlp_golden import DEFAULT_FORMAT, LutSigmoid
from mtjhw.gateware.readout import golden_sweep
from mtjhw.gateware.top import TopConfig
from mtjhw.simulators.physics.crossbar import CrossbarArray, CrossbarParams

FMT = DEFAULT_FORMAT
HIGH, LOW = int(FMT.quantize(0.95)), int(FMT.quantize(0.05))


def train_through(accelerator, seed, steps=5, measured=False):
    """Load a golden model, run steps through the host classes; return (outcomes, parameters, golden)."""
    c = accelerator.config
    sizes, initial, golden = c.sizes, c.golden(seed), c.golden(seed)
    golden.seed_rounding(seed)
    accelerator.engine.seed_rounding(seed)
    accelerator.engine.load(initial)
    rng = np.random.default_rng(seed)
    outcomes = []
    for _ in range(steps):
        x = FMT.quantize(rng.uniform(-1, 1, sizes[0]))
        z = FMT.quantize(rng.uniform(-2, 2, sizes[1])) if measured else None
        label = int(rng.integers(sizes[-1]))
        outcome = accelerator.engine.step(x, label, z=z)
        target = np.where(np.arange(sizes[-1]) == label, HIGH, LOW)
        expected = golden.step_measured(x, z, target) if measured else golden.step(x, target)
        assert outcome.outputs.tolist() == expected.tolist()
        assert outcome.prediction == int(np.argmax(expected))
        outcomes.append(outcome)
    weights, biases = accelerator.engine.parameters()
    for layer in range(len(sizes) - 1):
        np.testing.assert_array_equal(weights[layer], golden.weights[layer])
        np.testing.assert_array_equal(biases[layer], golden.biases[layer])
    return outcomes, (weights, biases)


def test_engine_through_the_register_bank_equals_the_golden_model():
    config = TopConfig(sizes=(5, 6, 3), lanes=2, activation=LutSigmoid(), lr_shift=2, rows=2, cols=2)
    with simulated_accelerator(config) as accelerator:
        outcomes, _ = train_through(accelerator, seed=3)
        assert {o.cycles for o in outcomes} == {engine_cycles(config.sizes, config.lanes)}
    config = TopConfig(sizes=(9, 4), lanes=4, rows=2, cols=2, rounding="stochastic")
    with simulated_accelerator(config) as accelerator:
        train_through(accelerator, seed=4, measured=True)


class FakeMmio:
    """Shaped like ``pynq.MMIO`` (``read(offset, length=4)``, ``write(offset, data)``), backed by a register bus;
    logs every access."""

    def __init__(self, bus):
        self.bus, self.log = bus, []

    def read(self, offset, length=4):
        value = self.bus.read(offset)
        self.log.append(("read", offset, value))
        return value

    def write(self, offset, data):
        self.log.append(("write", offset, data))
        self.bus.write(offset, data)


def test_the_same_host_code_runs_on_the_simulated_bus_and_on_mmio():
    config = TopConfig(sizes=(4, 3), lanes=2, rows=2, cols=2)
    results = []
    for through_mmio in (False, True):
        with simulated_accelerator(config) as direct:
            bus = direct.bus
            if through_mmio:
                mmio = FakeMmio(bus)
                accelerator = Accelerator(MmioBus(mmio=mmio), config)
            else:
                accelerator = direct
            outcomes, parameters = train_through(accelerator, seed=7, steps=3)
            results.append(([o.outputs.tolist() for o in outcomes], [p.tolist() for p in parameters[0]]))
    assert results[0] == results[1]
    assert any(kind == "write" for kind, _, _ in mmio.log) and any(kind == "read" for kind, _, _ in mmio.log)


def test_wrong_gateware_is_refused():
    with simulated_accelerator(TopConfig(sizes=(4, 3), lanes=2, rows=2, cols=2)) as accelerator:
        with pytest.raises(GatewareError, match=r"another network.*LAYER_SIZES\.first_layer 3 \(config: 2\)"):
            Accelerator(accelerator.bus, TopConfig(sizes=(4, 2), lanes=2, rows=2, cols=2))

    class Blank:
        def read(self, offset, length=4):
            return 0xFFFFFFFF

        def write(self, offset, data):
            pass

    with pytest.raises(GatewareError, match="no mtjhw accelerator"):
        Accelerator(MmioBus(mmio=Blank()))


def crossbar(rows, cols, seed):
    rng = np.random.default_rng(seed)
    array = CrossbarArray(rows, cols, CrossbarParams(r_p=5e3), rng)
    array.state[...] = np.where(rng.random((rows, cols)) < 0.5, 1, -1)
    return array


def test_tdc_sweeps_calibration_and_scheduled_recalibration_through_the_host():
    config = TopConfig(sizes=(4, 2), lanes=2, rows=4, cols=6, taps=12)
    line = DelayLineModel.uniform(12, 10e-9, length=1.6, nonuniformity=0.3, rng=np.random.default_rng(2))
    afe = AnalogFrontEnd(series_columns(crossbar(4, 6, 1)), line, capacitance=0.2e-12, v_noise=0.01,
                         calibration_span=8, rng=np.random.default_rng(5))
    with simulated_accelerator(config, afe) as accelerator:
        tdc = accelerator.tdc
        codes = tdc.sweep(0b1011, settle=2)
        assert [(int(c), k, k == 5) for k, c in enumerate(codes)] == golden_sweep(afe.intervals(), line)
        with pytest.raises(ValueError, match=r"READOUT_ROWS.mask: must be an integer in 0..15"):
            tdc.sweep(0b10000)
        calibration = tdc.calibrate(800)
        truth = line.bin_widths()
        assert calibration.bins < 12 and truth[calibration.bins:].sum() < 0.3 * 10e-9 / 800  # used length, all
        assert accelerator.registers.read_fields("READOUT_SETTLE")["cycles"] == 2  # restored after calibrating
        assert np.max(np.abs(calibration.widths - truth[:calibration.bins])) / calibration.lsb < 0.5
        logged = len(afe.log)
        codes = tdc.sweep(0b1011)  # on the calibrated scale
        assert [(int(c), k, k == 5) for k, c in enumerate(codes)] == golden_sweep(afe.intervals()[logged:], line,
                                                                                  calibration.bins)
        line.set_conditions(temperature=85.0)  # 15 % slower: fewer bins to a period
        tdc.schedule_calibration(every=2, hits=800)
        tdc.sweep(0b1011)
        assert tdc.calibration is calibration  # one sweep since the calibration, two due
        logged = len(afe.log)
        times = tdc.measure(0b1011)
        error = times - afe.intervals()[-6:] - line.thresholds.min()
        assert len(afe.log) - logged > 800 and np.max(np.abs(error)) < line.bin_widths().max()
        assert tdc.calibration is not calibration
        latest = tdc.calibration
        with pytest.raises(ValueError, match="at least"):  # too few hits: the table and the scale stay
            tdc.calibrate(12)
        assert tdc.calibration is latest
        assert accelerator.registers.read_fields("READOUT_BINS")["bins"] == latest.bins
    assert tdc.calibration.bins < calibration.bins


def test_readout_codes_routed_into_the_engine():
    # the engine's inputs are the converted TDC codes of a sweep over the array's columns
    config = TopConfig(sizes=(6, 2), lanes=3, rows=4, cols=6, taps=8)
    line = DelayLineModel.uniform(8, 10e-9)
    afe = AnalogFrontEnd(series_columns(crossbar(4, 6, 9)), line, capacitance=0.2e-12, rng=np.random.default_rng(1))
    golden, initial = config.golden(seed=2), config.golden(seed=2)
    offset, gain, shift = 200, 45, 3
    with simulated_accelerator(config, afe) as accelerator:
        engine, tdc = accelerator.engine, accelerator.tdc
        engine.load(initial)
        tdc.set_converter(offset, gain, shift)
        for label, mask in [(0, 0b1111), (1, 0b0101), (0, 0b0011)]:
            engine.configure(label, train=True, route=True)
            before = engine.steps()
            tdc.sweep_into_engine(mask)
            outcome = engine.finish(before)
            codes = np.array([c for c, _, _ in golden_sweep(afe.intervals()[-6:], line)])
            x = FMT.saturate(((codes - offset) * gain) >> shift)
            expected = golden.step(x, np.where(np.arange(2) == label, HIGH, LOW))
            assert outcome.outputs.tolist() == expected.tolist()
        engine.configure(0, route=True)
        engine.push([1])  # a host push while the readout feeds the engine is refused and flagged
        before = engine.steps()
        tdc.sweep_into_engine(0b1111)
        with pytest.raises(GatewareError, match="dropped"):
            engine.finish(before)
