"""PYNQ-Z2 build: Verilog, constraints, Vivado script, Yosys resource report; deploy without a board."""

import json

import pytest

from mtjhw.cli import main
from mtjhw.gateware.pynq_z2 import PART, constraints, pin_assignment
from mtjhw.gateware.top import TopConfig


def test_build_writes_the_vivado_project_inputs_and_a_resource_report(tmp_path, capsys):
    out = tmp_path / "build"
    code = main(["gateware", "build", "--board", "pynq-z2", "--out", str(out), "--sizes", "4,3", "--lanes", "2",
                 "--rows", "3", "--cols", "4", "--taps", "8", "--no-vivado", "-q"])
    assert code == 0
    for name in ("mtjhw_pynq_z2.v", "pynq_z2.xdc", "build.tcl", "register_map.md", "resources.json", "build.json"):
        assert (out / name).is_file(), name
    resources = json.loads((out / "resources.json").read_text())
    for key in ("lut", "ff", "dsp", "bram"):
        assert 0 <= resources[key] <= resources["capacity"][key]
    assert resources["lut"] > 100 and resources["ff"] > 100  # the engine, the TDC and the bank are in there
    assert resources["dsp"] >= 2  # the MAC lanes
    assert resources["carry4"] >= 8 * 2  # the delay line alone: 8 taps of carry chain
    printed = json.loads(capsys.readouterr().out.splitlines()[0])
    assert printed == {k: resources[k] for k in ("lut", "ff", "dsp", "bram")}
    verilog = (out / "mtjhw_pynq_z2.v").read_text()
    assert "module mtjhw_pynq_z2" in verilog and "s_axi_awaddr" in verilog and "CARRY4" in verilog
    tcl = (out / "build.tcl").read_text()
    assert PART in tcl and "M_AXI_GP0" in tcl and "FCLK_CLK0" in tcl and "write_bitstream" in tcl
    build = json.loads((out / "build.json").read_text())
    assert TopConfig.from_dict(build["config"]) == TopConfig(sizes=(4, 3), lanes=2, rows=3, cols=4, taps=8)


def test_every_front_end_port_gets_its_own_pin():
    config = TopConfig(rows=9, cols=9)
    pins = pin_assignment(config)
    assert len(set(pins.values())) == len(pins)
    assert {"comparator", "charge", "calibration_stop", "row_drive[8]", "column[3]"} <= set(pins)
    assert "PACKAGE_PIN T14" in constraints(config)  # the comparator on Arduino AR0
    with pytest.raises(ValueError, match="pins"):
        pin_assignment(TopConfig(rows=32, cols=9))


def test_bad_build_options_and_deploy_without_a_board(tmp_path, capsys):
    assert main(["gateware", "build", "--out", str(tmp_path), "--sizes", "9;4", "--no-synth", "-q"]) == 2
    assert "--sizes" in capsys.readouterr().err
    (tmp_path / "build.json").write_text(json.dumps({"config": TopConfig().to_dict(), "base_address": 0x43C00000}))
    assert main(["gateware", "deploy", "--build", str(tmp_path)]) == 1
    assert "no bitstream" in capsys.readouterr().err
    (tmp_path / "mtjhw.bit").write_bytes(b"\0")
    assert main(["gateware", "deploy", "--build", str(tmp_path)]) == 1  # pynq is only on the board
    assert "pynq is not installed" in capsys.readouterr().err


def test_the_documented_register_map_is_current():
    from pathlib import Path

    from mtjhw.gateware.top import DEFAULT_CONFIG, register_map

    readme = (Path(__file__).parents[2] / "gateware" / "README.md").read_text()
    assert register_map(DEFAULT_CONFIG).markdown() in readme
