"""The host side a PYNQ board runs, with numpy alone: register access, the engine and readout host classes and
deploy against a numpy model of the bitstream behind ``pynq.MMIO``. Also run by ``.ci/board.sh`` in venvs pinned
to the PYNQ images' Python and numpy, from a copy outside the checkout."""

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from fake_pynq import CLOCK_PERIOD, BusFault, FakeBitstream, fake_pynq

from mtjhw.gateware.accelerator_config import TopConfig, register_map
from mtjhw.gateware.accelerator_host import Accelerator, GatewareError
from mtjhw.gateware.board import BOARD_MODULES
from mtjhw.gateware.deploy import DeployError, deploy, describe, main
from mtjhw.gateware.engine_map import engine_cycles
from mtjhw.gateware.host import MmioBus
from mtjhw.gateware.mlp_golden import LutSigmoid

# every top-level import outside the standard library and the allowed packages fails, as on a bare PYNQ image
ONLY = """
import importlib, importlib.abc, sys
allowed = set(sys.argv[1].split(",")) | set(sys.stdlib_module_names)
class NotOnTheBoard(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in allowed:
            raise ImportError(f"{name} is not on the board")
sys.meta_path.insert(0, NotOnTheBoard())
for module in sys.argv[2:]:
    importlib.import_module(module)
"""
LAB = ("amaranth", "scipy", "pymeasure", "pyvisa", "numba", "matplotlib", "pydantic", "h5py", "sqlalchemy",
       "yaml", "lupa", "pint", "tqdm")
CONFIG = TopConfig(sizes=(5, 6, 3), lanes=2, activation=LutSigmoid(), lr_shift=2, rows=3, cols=4, taps=64,
                   rounding="stochastic")


def imports_with(allowed: str, *modules: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", ONLY, allowed, *modules], capture_output=True, text=True)


def test_every_board_module_imports_with_numpy_alone():
    result = imports_with("numpy,mtjhw", *BOARD_MODULES)
    assert result.returncode == 0, result.stderr
    refused = imports_with("numpy,mtjhw", "mtjhw.gateware.top")  # the gateware itself needs Amaranth
    assert refused.returncode != 0 and "amaranth is not on the board" in refused.stderr


@pytest.mark.skipif("MTJHW_BOARD_NUMPY" not in os.environ, reason="only in .ci/board.sh's venvs of the PYNQ images")
def test_the_board_venv_is_the_image():
    assert [name for name in LAB if importlib.util.find_spec(name) is not None] == []
    assert np.__version__ == os.environ["MTJHW_BOARD_NUMPY"]


def board(config: TopConfig = CONFIG, seed: int = 0) -> tuple[Accelerator, FakeBitstream]:
    """The accelerator through ``pynq.MMIO`` on a model of the bitstream: bins of 0.5–1.5 × 10 ns / 48 (the
    period takes about 48 of the 64 taps), one column time per column up to three clock periods."""
    rng = np.random.default_rng(seed)
    widths = rng.uniform(0.5, 1.5, config.taps) * CLOCK_PERIOD / 48
    bitstream = FakeBitstream(config, widths, rng.uniform(0.2, 3, config.cols) * CLOCK_PERIOD, seed)
    pynq = fake_pynq(bitstream)
    return Accelerator(MmioBus(mmio=pynq.MMIO(0x43C0_0000, 0x1000)), config), bitstream


def test_register_writes_land_at_the_data_sheet_offsets_and_read_only_registers_refuse_writes():
    accelerator, bitstream = board()
    registers = accelerator.registers
    registers.write("ENGINE_CTRL", train=1, label=2)
    registers.write("PARAM_SELECT", layer=1, bias=1, row=2)
    registers.write("TARGET_HIGH", value=-2)
    assert bitstream.log[-3:] == [("write", 0x100, 0x201), ("write", 0x128, 0x3002_0000), ("write", 0x118, 0xFFFE)]
    assert registers.read_fields("TARGET_HIGH") == {"value": -2}
    assert registers.read_fields("ID") == {"identifier": 0x4D544A48}
    before = len(bitstream.log)
    with pytest.raises(PermissionError, match="ENGINE_STEPS is read-only"):
        registers.write("ENGINE_STEPS", 1)
    with pytest.raises(ValueError, match=r"ENGINE_CTRL\.label"):
        registers.write("ENGINE_CTRL", label=1 << 12)
    assert len(bitstream.log) == before  # refused on the host, nothing reached the bus
    with pytest.raises(BusFault):
        accelerator.bus.write(0x10C, 1)  # past the host's check, the slave refuses it too


def test_the_engine_host_trains_as_the_golden_model():
    accelerator, _ = board()
    seed = 5
    golden, initial = CONFIG.golden(seed), CONFIG.golden(seed)
    golden.seed_rounding(seed)
    accelerator.engine.seed_rounding(seed)
    accelerator.engine.load(initial)
    high, low = CONFIG.fmt.quantize(0.95), CONFIG.fmt.quantize(0.05)
    rng = np.random.default_rng(seed)
    for step in range(6):
        x = CONFIG.fmt.quantize(rng.uniform(-1, 1, CONFIG.sizes[0]))
        z = CONFIG.fmt.quantize(rng.uniform(-2, 2, CONFIG.sizes[1])) if step % 2 else None
        label = int(rng.integers(CONFIG.sizes[-1]))
        target = np.where(np.arange(CONFIG.sizes[-1]) == label, high, low)
        outcome = accelerator.engine.step(x, label, z=z)
        expected = golden.step(x, target) if z is None else golden.step_measured(x, z, target)
        assert outcome.outputs.tolist() == expected.tolist()
        assert outcome.prediction == int(np.argmax(expected))
        assert outcome.cycles == engine_cycles(CONFIG.sizes, CONFIG.lanes, measured=z is not None)
    weights, biases = accelerator.engine.parameters()
    for layer in range(len(CONFIG.sizes) - 1):
        np.testing.assert_array_equal(weights[layer], golden.weights[layer])
        np.testing.assert_array_equal(biases[layer], golden.biases[layer])
    assert not np.array_equal(weights[0], initial.weights[0])  # it trained
    with pytest.raises(ValueError, match="model sizes"):
        accelerator.engine.load(TopConfig(sizes=(5, 3), lanes=2).golden())


def test_a_bitstream_of_another_configuration_is_refused():
    _, bitstream = board()
    pynq = fake_pynq(bitstream)
    with pytest.raises(GatewareError, match=r"LAYER_SIZES\.first_layer 6 \(config: 4\)"):
        Accelerator(MmioBus(mmio=pynq.MMIO(0x43C0_0000, 0x1000)), replace(CONFIG, sizes=(5, 4, 3)))


def test_the_readout_host_calibrates_the_delay_line_and_measures_column_times():
    accelerator, bitstream = board(seed=2)
    tdc, truth = accelerator.tdc, bitstream.column_times
    nominal = np.abs(tdc.measure(0b111) - truth).max()
    calibration = tdc.calibrate(hits=8000)
    assert calibration.bins == int(np.searchsorted(bitstream.edges, CLOCK_PERIOD)) + 1  # the taps of a period
    assert bitstream.field("READOUT_BINS", "bins") == calibration.bins
    calibrated = np.abs(tdc.measure(0b111) - truth)
    assert calibrated.max() < 1.5 * calibration.widths.max() < nominal


def write_build(directory, files: dict[str, str]) -> None:
    """A PYNQ-Z2 build directory of ``CONFIG``: build.json and ``files`` (name: text)."""
    directory.mkdir(exist_ok=True)
    info = {"board": "pynq-z2", "config": CONFIG.to_dict(), "base_address": 0x43C0_0000}
    (directory / "build.json").write_text(json.dumps(info))
    for name, text in files.items():
        (directory / name).write_text(text)


def test_deploy_checks_the_build_files_and_finds_the_accelerator_in_the_overlay(tmp_path):
    _, bitstream = board()
    pynq = fake_pynq(bitstream, name="mtjhw_accel", base=0x43C1_0000)  # not build.json's address: the .hwh's
    build = tmp_path / "build"
    write_build(build, {})
    with pytest.raises(DeployError, match="no bitstream"):
        deploy(build, pynq=pynq)
    write_build(build, {"mtjhw.bit": "bits"})
    with pytest.raises(DeployError, match="no mtjhw.hwh"):
        deploy(build, pynq=pynq)
    other = replace(CONFIG, rows=4)  # a wider row mask
    write_build(build, {"mtjhw.hwh": "<xml/>", "register_map.json": json.dumps(register_map(other).to_json())})
    with pytest.raises(DeployError, match="built by another version"):
        deploy(build, pynq=pynq)
    (build / "register_map.json").write_text(json.dumps(register_map(CONFIG).to_json()))
    accelerator, base = deploy(build, pynq=pynq)
    assert pynq.loaded == [str(build / "mtjhw.bit")] and base == 0x43C1_0000
    assert describe(accelerator, base) == "mtjhw accelerator 1.0 at 0x43c10000: network [5, 6, 3], readout 3×4"
    (build / "build.json").write_text(json.dumps({"board": "ulx3s", "config": CONFIG.to_dict()}))
    with pytest.raises(DeployError, match="ulx3s build"):
        deploy(build, pynq=pynq)


@pytest.mark.skipif(importlib.util.find_spec("pynq") is not None, reason="pynq is installed here")
def test_deploy_off_the_board_says_pynq_is_missing(tmp_path, capsys):
    write_build(tmp_path, {"mtjhw.bit": "bits", "mtjhw.hwh": "<xml/>"})
    assert main(["--build", str(tmp_path)]) == 1
    assert "pynq is not installed" in capsys.readouterr().err
