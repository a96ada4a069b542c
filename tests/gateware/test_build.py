"""PYNQ-Z2 build: Verilog, constraints, Vivado script, Yosys resource report; deploy without a board."""

import json
import os
from pathlib import Path

import pytest

from mtjhw.cli import main
from mtjhw.gateware.axi_lite import AxiLiteRegisters
from mtjhw.gateware.pynq_z2 import PART, TIMING_SUMMARY, constraints, pin_assignment, vivado_script
from mtjhw.gateware.timing import vivado_summary
from mtjhw.gateware.top import AcceleratorTop, TopConfig


def test_build_writes_the_vivado_project_inputs_and_a_resource_report(tmp_path, capsys):
    out = tmp_path / "build"
    code = main(["gateware", "build", "--board", "pynq-z2", "--out", str(out), "--sizes", "4,3", "--lanes", "2",
                 "--rows", "3", "--cols", "4", "--taps", "8", "--no-vivado", "-q"])
    assert code == 0
    for name in ("mtjhw_pynq_z2.v", "pynq_z2.xdc", "build.tcl", "register_map.md", "register_map.json",
                 "resources.json", "build.json"):
        assert (out / name).is_file(), name
    resources = json.loads((out / "resources.json").read_text())
    for key in ("lut", "ff", "dsp", "bram"):
        assert 0 <= resources[key] <= resources["capacity"][key]
    assert resources["lut"] > 100 and resources["ff"] > 100  # the engine, the TDC and the bank are in there
    assert resources["dsp"] >= 2  # the MAC lanes
    assert resources["carry4"] >= 8 // 4  # the delay line alone: 8 taps, every carry output of 2 CARRY4
    printed = json.loads(capsys.readouterr().out.splitlines()[0])
    assert printed == {k: resources[k] for k in ("lut", "ff", "dsp", "bram")}
    verilog = (out / "mtjhw_pynq_z2.v").read_text()
    assert "module mtjhw_pynq_z2" in verilog and "s_axi_awaddr" in verilog and "CARRY4" in verilog
    tcl = (out / "build.tcl").read_text()
    assert PART in tcl and "M_AXI_GP0" in tcl and "FCLK_CLK0" in tcl and "write_bitstream" in tcl
    build = json.loads((out / "build.json").read_text())
    assert TopConfig.from_dict(build["config"]) == TopConfig(sizes=(4, 3), lanes=2, rows=3, cols=4, taps=8)
    assert build["config"]["rounding"] == "nearest"  # new builds round the update without bias
    # register_map.json (what the board's deploy checks) holds the fields of the bus slave the bitstream has
    written = json.loads((out / "register_map.json").read_text())
    top = AcceleratorTop(TopConfig.from_dict(build["config"]))
    assert written == top.map.to_json()
    bank = AxiLiteRegisters(top.map).signature.members
    for register in written:
        layout = dict(bank[f"reg_{register['name']}"].shape)
        assert {f["name"]: (f["at"], f["width"], f["signed"]) for f in register["fields"]} == {
            name: (field.offset, field.width, field.shape.signed) for name, field in layout.items()}


def test_a_build_file_without_rounding_was_a_floor_build():
    old = TopConfig().to_dict()
    del old["rounding"]  # build.json from before the rounding modes
    assert TopConfig.from_dict(old) == TopConfig(rounding="floor")
    assert TopConfig.from_dict(old).golden(seed=1).rounding == "floor"  # its golden model follows the bitstream


def test_every_front_end_port_gets_its_own_pin():
    config = TopConfig(rows=9, cols=9)
    pins = pin_assignment(config)
    assert len(set(pins.values())) == len(pins)
    assert {"comparator", "charge", "calibration_stop", "row_drive[8]", "column[3]"} <= set(pins)
    assert "PACKAGE_PIN T14" in constraints(config)  # the comparator on Arduino AR0
    with pytest.raises(ValueError, match="pins"):
        pin_assignment(TopConfig(rows=32, cols=9))


def test_a_build_called_from_python_logs_its_stages_and_prints_nothing(tmp_path, capsys, caplog):
    from mtjhw.gateware.pynq_z2 import build

    with caplog.at_level("INFO", logger="mtjhw.gateware"):
        summary = build(TopConfig(sizes=(4, 3), lanes=2, rows=3, cols=4, taps=8), tmp_path, synth=False, vivado=False)
    assert capsys.readouterr().out == ""
    assert summary["board"] == "pynq-z2"
    assert any(r.getMessage().startswith("gateware: exporting Verilog") for r in caplog.records)


def test_bad_build_options_and_deploy_without_a_board(tmp_path, capsys):
    assert main(["gateware", "build", "--out", str(tmp_path), "--sizes", "9;4", "--no-synth", "-q"]) == 2
    assert "--sizes" in capsys.readouterr().err
    (tmp_path / "build.json").write_text(json.dumps({"config": TopConfig().to_dict(), "base_address": 0x43C00000}))
    assert main(["gateware", "deploy", "--build", str(tmp_path)]) == 1
    assert "no bitstream" in capsys.readouterr().err
    (tmp_path / "mtjhw.bit").write_bytes(b"\0")
    assert main(["gateware", "deploy", "--build", str(tmp_path)]) == 1
    assert "no mtjhw.hwh" in capsys.readouterr().err
    (tmp_path / "mtjhw.hwh").write_text("<xml/>")
    assert main(["gateware", "deploy", "--build", str(tmp_path)]) == 1  # pynq is only on the board
    assert "pynq is not installed" in capsys.readouterr().err


def test_the_documented_register_map_is_current():
    from pathlib import Path

    from mtjhw.gateware.top import DEFAULT_CONFIG, register_map

    readme = (Path(__file__).parents[2] / "gateware" / "README.md").read_text()
    assert register_map(DEFAULT_CONFIG).markdown() in readme


def vivado_timing_report(wns: float, whs: float = 0.05, period: float = 10.0) -> str:
    """A ``report_timing_summary`` text in Vivado's layout for one clock (FCLK0) with these slacks (ns)."""
    dashes = "    -------      -------  ---------------------  -------------------      -------      -------"
    header = "    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)"
    tns = min(wns, 0) * 12
    return f"""Copyright 1986-2022 Xilinx, Inc. All Rights Reserved.
| Tool Version : Vivado v.2022.2
------------------------------------------------------------------------------------------------
| Design Timing Summary
| ---------------------
------------------------------------------------------------------------------------------------

{header}  THS Failing Endpoints  THS Total Endpoints
{dashes}  ---------------------  -------------------
{wns:11.3f}  {tns:11.3f}                     12                 4321  {whs:11.3f}        0.000{"0":>23}{"4321":>21}


------------------------------------------------------------------------------------------------
| Clock Summary
| -------------
------------------------------------------------------------------------------------------------

Clock       Waveform(ns)         Period(ns)      Frequency(MHz)
-----       ------------         ----------      --------------
clk_fpga_0  {{0.000 {period / 2:.3f}}}        {period:.3f}          {1000 / period:.3f}


------------------------------------------------------------------------------------------------
| Intra Clock Table
| -----------------
------------------------------------------------------------------------------------------------

Clock             WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)
-----             -------      -------  ---------------------  -------------------      -------      -------
clk_fpga_0    {wns:11.3f}  {tns:11.3f}                     12                 4321  {whs:11.3f}        0.000

"""


def test_vivado_timing_summary_gives_slack_and_fmax_per_clock():
    timing = vivado_summary(vivado_timing_report(wns=-2.5, whs=0.04))
    assert timing["wns_ns"] == -2.5 and timing["tns_ns"] == -30.0 and timing["whs_ns"] == 0.04
    (clock,) = timing["clocks"]
    assert clock.clock == "clk_fpga_0" and clock.target == pytest.approx(100e6)
    assert clock.fmax == pytest.approx(1 / 12.5e-9) and not clock.met  # a 10 ns period missed by 2.5 ns
    assert clock.slack == pytest.approx(-2.5e-9)
    with pytest.raises(ValueError, match="Design Timing Summary"):
        vivado_summary("no report here")


def run_tcl(script: Path, slack: float) -> list[str]:
    """Source ``build.tcl`` in a Tcl interpreter where every Vivado command is a stub that logs its name: the
    routed design's worst setup and hold slack is ``slack`` ns; ``write_bitstream`` writes its file."""
    tkinter = pytest.importorskip("tkinter")
    tcl = tkinter.Tcl()
    tcl.eval(f"""
        set ::calls {{}}
        proc unknown {{name args}} {{ lappend ::calls $name; return "" }}
        proc get_timing_paths {{args}} {{ lappend ::calls get_timing_paths; return path }}
        proc get_property {{property args}} {{
            if {{$property eq "SLACK"}} {{ return {slack} }}
            if {{$property eq "STATUS"}} {{ return "route_design Complete!" }}
            return ""
        }}
        proc write_bitstream {{args}} {{ lappend ::calls write_bitstream; close [open [lindex $args end] w] }}
    """)
    handoff = script.parent / "vivado" / "mtjhw.gen" / "sources_1" / "bd" / "mtjhw" / "hw_handoff"
    handoff.mkdir(parents=True)
    (handoff / "mtjhw.hwh").write_text("<hwh/>")
    try:
        tcl.eval(f"source {{{script}}}")
    finally:
        calls = tcl.eval("set ::calls").split()
    return calls


def test_the_vivado_script_checks_slack_after_routing_and_refuses_a_failing_bitstream(tmp_path):
    for slack, name in ((0.4, "meets"), (-0.7, "fails")):
        out = tmp_path / name
        out.mkdir()
        (out / "build.tcl").write_text(vivado_script())
        if slack >= 0:
            calls = run_tcl(out / "build.tcl", slack)
            assert (out / "mtjhw.bit").exists() and (out / "mtjhw.hwh").exists()
            assert calls.index("report_timing_summary") < calls.index("write_bitstream")
            continue
        import tkinter
        with pytest.raises(tkinter.TclError, match=r"timing not met \(WNS -0.7 ns"):
            run_tcl(out / "build.tcl", slack)
        assert not (out / "mtjhw.bit").exists() and not (out / "mtjhw.hwh").exists()
    assert f"report_timing_summary -max_paths 10 -file $out/{TIMING_SUMMARY}" in vivado_script()


FAKE_VIVADO = """#!{python}
import pathlib, sys
pathlib.Path("{summary}").write_text(pathlib.Path({report!r}).read_text())
pathlib.Path("mtjhw.bit").write_bytes(b"bits")
sys.exit({exit})
"""


def build_with_fake_vivado(tmp_path, monkeypatch, wns: float, exit: int) -> tuple[int, Path]:
    """``mtjhw gateware build --vivado`` with a ``vivado`` on the PATH that writes a timing summary with ``wns``
    and a bitstream (as a script that forgot to check would), then exits with ``exit``."""
    import sys

    bin_dir, out = tmp_path / "bin", tmp_path / "build"
    bin_dir.mkdir()
    report = tmp_path / "report.txt"
    report.write_text(vivado_timing_report(wns))
    fake = bin_dir / "vivado"
    fake.write_text(FAKE_VIVADO.format(python=sys.executable, summary=TIMING_SUMMARY, report=str(report), exit=exit))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    code = main(["gateware", "build", "--out", str(out), "--sizes", "4,3", "--lanes", "2", "--rows", "2", "--cols",
                 "2", "--taps", "8", "--no-synth", "--vivado", "-q"])
    return code, out


@pytest.mark.parametrize("exit", [0, 1])
def test_a_build_with_negative_slack_fails_and_leaves_no_bitstream(tmp_path, monkeypatch, capsys, exit):
    code, out = build_with_fake_vivado(tmp_path, monkeypatch, wns=-1.25, exit=exit)
    assert code == 1
    error = capsys.readouterr().err
    assert "fails timing" in error and "WNS -1.25 ns" in error and "no bitstream" in error
    assert not (out / "mtjhw.bit").exists()
    timing = json.loads((out / "build.json").read_text())["timing"]  # the figures stay for the user
    assert timing["wns_ns"] == -1.25 and timing["clocks"][0]["fmax_mhz"] == pytest.approx(1000 / 11.25, abs=0.01)


def test_a_build_that_meets_timing_keeps_its_bitstream_and_reports_fmax(tmp_path, monkeypatch, capsys):
    code, out = build_with_fake_vivado(tmp_path, monkeypatch, wns=2.0, exit=0)
    assert code == 0
    assert (out / "mtjhw.bit").read_bytes() == b"bits"
    assert "Fmax clk_fpga_0: 125.0 MHz (target 100.0 MHz, met)" in capsys.readouterr().out
    build = json.loads((out / "build.json").read_text())
    assert build["bitstream"] == str(out / "mtjhw.bit") and build["timing"]["clocks"][0]["met"]


def test_build_help_explains_every_option():
    import argparse

    from mtjhw.cli import build_parser

    def subparser(parser, name):
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return action.choices[name]

    build = subparser(subparser(build_parser("gateware"), "gateware"), "build")  # the lazy command expanded
    options = [a for a in build._actions if a.option_strings]
    assert {"--board", "--seed", "--vivado", "--no-synth"} <= {s for a in options for s in a.option_strings}
    assert [a.option_strings for a in options if not a.help] == []
    assert "ulx3s" in build.format_help() and "timing" in build.description
