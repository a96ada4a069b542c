"""PYNQ-Z2 platform (Zynq xc7z020clg400-1): the board top, its constraints, the Vivado script and the build.

The board top wraps :class:`~mtjhw.gateware.top.AcceleratorTop` for a Vivado block design: the PS7's M_AXI_GP0 reaches
the register bank through an AXI interconnect (``s_axi_*``, clocked by FCLK_CLK0 at 100 MHz on ``aclk`` with
``aresetn``), and the readout's front end leaves on the PMOD A/B and Arduino headers, the comparator coming
back into the carry-chain delay line. :func:`build` writes everything into one directory; Vivado, when on the
PATH, turns it into ``mtjhw.bit`` + ``mtjhw.hwh`` (what ``pynq.Overlay`` loads) only when the routed design meets
timing: ``build.tcl`` writes ``timing_summary.txt`` beside them and stops on a negative worst setup or hold slack,
and :func:`build` checks the summary again (Fmax per clock in ``build.json``). Yosys (``synth_xilinx``) gives the
resource counts without Vivado.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from amaranth import ClockDomain, ClockSignal, Module, ResetSignal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from .delay_line import CarryChainDelayLine, placement
from .deploy import REGISTER_MAP
from .export import to_verilog
from .synthesis import XC7Z020, log_stage, synthesize
from .timing import TimingError, vivado_summary
from .top import AXI_PORTS, AcceleratorTop, TopConfig, register_map

PART = "xc7z020clg400-1"
TOP_NAME = "mtjhw_pynq_z2"
FCLK0 = 100e6  # Hz
BASE_ADDRESS = 0x43C0_0000  # the register bank on M_AXI_GP0
TIMING_SUMMARY = "timing_summary.txt"  # Vivado's report_timing_summary after routing, beside the bitstream
# user I/O (LVCMOS33): PMOD A, PMOD B, then the Arduino header's digital pins
PINS = ["Y18", "Y19", "Y16", "Y17", "U18", "U19", "W18", "W19",
        "W14", "Y14", "T11", "T10", "V16", "W16", "V12", "W13",
        "T14", "U12", "U13", "V13", "V15", "T15", "R16", "U17", "V17", "V18", "T16", "R17", "P18", "N17"]


class PynqZ2Top(wiring.Component):
    """The accelerator with AXI clock/reset ports and the carry-chain delay line in front of its TDC."""

    def __init__(self, config: TopConfig) -> None:
        self.config = config
        self._core = AcceleratorTop(config)
        core_members = self._core.signature.members
        members = {f"s_axi_{name}": core_members[f"s_axi_{name}"] for name in AXI_PORTS}
        members.update({"aclk": In(1), "aresetn": In(1), "comparator": In(1)})
        members.update({name: core_members[name] for name in ("column", "row_drive", "charge", "calibration_stop")})
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = ClockDomain()
        m.d.comb += [ClockSignal("sync").eq(self.aclk), ResetSignal("sync").eq(~self.aresetn)]
        m.submodules.core = core = self._core
        c = self.config
        m.submodules.delay_line = line = CarryChainDelayLine(c.taps // 4)
        m.d.comb += [line.stop.eq(self.comparator), core.taps_in.eq(line.taps)]
        for name, member in self.signature.members.items():
            if name.startswith("s_axi_") or name in ("column", "row_drive", "charge", "calibration_stop"):
                ours, theirs = getattr(self, name), getattr(core, name)
                m.d.comb += theirs.eq(ours) if member.flow == wiring.In else ours.eq(theirs)
        return m


def pin_assignment(config: TopConfig) -> dict[str, str]:
    """Port bit → package pin: the comparator first (Arduino AR0), then column address, row drives, charge and
    calibration select on PMOD A/B and the Arduino header."""
    column_bits = max(config.cols - 1, 1).bit_length()
    wanted = ([f"column[{i}]" for i in range(column_bits)] + [f"row_drive[{i}]" for i in range(config.rows)]
              + ["charge", "calibration_stop"])
    pins = [p for p in PINS if p != "T14"]
    if len(wanted) > len(pins):
        raise ValueError(f"the front end needs {len(wanted) + 1} pins, the PYNQ-Z2 headers give {len(PINS)}: "
                         "use fewer rows or columns")
    return {"comparator": "T14", **dict(zip(wanted, pins, strict=False))}


def constraints(config: TopConfig) -> str:
    """Pins, the comparator's false path, and the delay line's placement: the xc7z020's fabric is 3 clock regions
    of 50 CLBs tall, so a slice column holds at most 150 CARRY4. The chain takes the bottom of column SLICE_X96,
    in the right half (clock regions X1Y0–X1Y2), where the columns run the full height beside the PS (not
    checked against Vivado's device model here), one CARRY4 and its four sampling flip-flops per slice."""
    column, height = 96, 150
    carry4s = config.taps // 4
    if carry4s > height:
        raise ValueError(f"{carry4s} CARRY4 do not fit the {height} slices of an xc7z020 column: use taps <= "
                         f"{4 * height}")
    lines = [f"# PYNQ-Z2 ({PART}) pins of the mtjhw readout front end; the AXI clock comes from the PS (FCLK0)."]
    for port, pin in pin_assignment(config).items():
        lines.append(f"set_property -dict {{PACKAGE_PIN {pin} IOSTANDARD LVCMOS33}} [get_ports {{{port}}}]")
    lines += [
        "# the comparator edge is asynchronous: the TDC measures it, timing analysis must not",
        "set_false_path -from [get_ports comparator]",
        "# keep the delay line's carry chain whole (calibration measures whatever placement gives)",
        "set_property DONT_TOUCH true [get_cells -hierarchical -filter {REF_NAME == CARRY4 && NAME =~ *delay_line*}]",
        f"# the delay line: {carry4s} CARRY4 up slice column X{column} from its bottom, every carry output sampled "
        "in its own slice",
        *placement(carry4s, column),
    ]
    return "\n".join(lines) + "\n"


def vivado_script() -> str:
    return f"""# Vivado batch build of the mtjhw accelerator for the PYNQ-Z2: vivado -mode batch -source build.tcl
set out [file normalize [file dirname [info script]]]
create_project -force mtjhw $out/vivado -part {PART}
if {{[llength [get_board_parts -quiet tul.com.tw:pynq-z2:*]]}} {{
    set_property board_part [lindex [get_board_parts tul.com.tw:pynq-z2:*] end] [current_project]
}}
add_files $out/{TOP_NAME}.v
add_files -fileset constrs_1 $out/pynq_z2.xdc
create_bd_design mtjhw
create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7 ps7
set preset [expr {{[llength [get_board_parts -quiet tul.com.tw:pynq-z2:*]] ? 1 : 0}}]
apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \\
    -config [list make_external "FIXED_IO, DDR" apply_board_preset $preset Master Disable Slave Disable] \\
    [get_bd_cells ps7]
set_property -dict [list CONFIG.PCW_USE_M_AXI_GP0 1 CONFIG.PCW_EN_CLK0_PORT 1 CONFIG.PCW_EN_RST0_PORT 1 \\
    CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {FCLK0 / 1e6:.0f}] [get_bd_cells ps7]
create_bd_cell -type module -reference {TOP_NAME} mtjhw
apply_bd_automation -rule xilinx.com:bd_rule:axi4 \\
    -config {{Clk_master {{/ps7/FCLK_CLK0}} Clk_slave {{Auto}} Clk_xbar {{Auto}} Master {{/ps7/M_AXI_GP0}} \\
    Slave {{/mtjhw/s_axi}} intc_ip {{New AXI Interconnect}} master_apm {{0}}}} [get_bd_intf_pins mtjhw/s_axi]
foreach port {{comparator column row_drive charge calibration_stop}} {{
    if {{[llength [get_bd_pins -quiet mtjhw/$port]]}} {{
        make_bd_pins_external [get_bd_pins mtjhw/$port]
        set_property name $port [get_bd_ports ${{port}}_0]
    }}
}}
assign_bd_address
set_property offset {BASE_ADDRESS:#x} [get_bd_addr_segs -of_objects [get_bd_addr_spaces ps7/Data]]
set_property range 4K [get_bd_addr_segs -of_objects [get_bd_addr_spaces ps7/Data]]
validate_bd_design
save_bd_design
make_wrapper -files [get_files mtjhw.bd] -top -import
set_property top mtjhw_wrapper [current_fileset]
launch_runs impl_1 -to_step route_design -jobs 4
wait_on_run impl_1
if {{![string match "*Complete*" [get_property STATUS [get_runs impl_1]]]}} {{ error "implementation failed" }}
open_run impl_1
report_utilization -file $out/vivado_utilization.txt
report_timing_summary -max_paths 10 -file $out/{TIMING_SUMMARY}
# refuse a bitstream that fails timing: worst setup (WNS) and hold (WHS) slack must be >= 0
set setup [get_timing_paths -max_paths 1 -nworst 1 -setup]
set hold [get_timing_paths -max_paths 1 -nworst 1 -hold]
set wns [expr {{[llength $setup] ? [get_property SLACK $setup] : 0}}]
set whs [expr {{[llength $hold] ? [get_property SLACK $hold] : 0}}]
if {{$wns < 0 || $whs < 0}} {{
    error "timing not met (WNS $wns ns, WHS $whs ns): no bitstream written, see $out/{TIMING_SUMMARY}"
}}
write_bitstream -force $out/mtjhw.bit
file copy -force [lindex [glob $out/vivado/mtjhw.*/sources_1/bd/mtjhw/hw_handoff/mtjhw.hwh] 0] $out/mtjhw.hwh
"""


def build(config: TopConfig, out: Path, synth: bool = True, vivado: bool | None = None,
          progress: Callable[[str], None] = log_stage) -> dict:
    """Write the PYNQ-Z2 build into ``out``; with ``synth`` count resources with Yosys (``resources.json``);
    run Vivado when ``vivado`` is True, or None and Vivado is on the PATH. Returns a summary."""
    out.mkdir(parents=True, exist_ok=True)
    progress(f"gateware: exporting Verilog for {config.sizes} with {config.lanes} lanes, "
             f"{config.rows}×{config.cols} readout")
    (out / f"{TOP_NAME}.v").write_text(to_verilog(PynqZ2Top(config), TOP_NAME))
    (out / "pynq_z2.xdc").write_text(constraints(config))
    (out / "build.tcl").write_text(vivado_script())
    (out / "register_map.md").write_text(register_map(config).markdown() + "\n")
    (out / REGISTER_MAP).write_text(json.dumps(register_map(config).to_json(), indent=1) + "\n")
    summary: dict = {"board": "pynq-z2", "part": PART, "top": TOP_NAME, "base_address": BASE_ADDRESS,
                     "config": config.to_dict()}
    if synth:
        progress("gateware: synth (Yosys synth_xilinx, resource counts) …")
        start = time.monotonic()
        resources = synthesize(out / f"{TOP_NAME}.v", TOP_NAME, out)
        progress(f"gateware: synth done in {time.monotonic() - start:.1f} s")
        (out / "resources.json").write_text(json.dumps(resources, indent=2) + "\n")
        summary["resources"] = resources
        used = ", ".join(f"{resources[k]} {k.upper()} ({100 * resources[k] / XC7Z020[k]:.1f} %)"
                         for k in ("lut", "ff", "dsp", "bram"))
        progress(f"gateware: {used} of the {PART}")
    executable = shutil.which("vivado")
    if vivado is None:
        vivado = executable is not None
    if vivado:
        if executable is None:
            raise FileNotFoundError("vivado is not on the PATH: source Vivado's settings64.sh, or build without "
                                    "--vivado and run `vivado -mode batch -source build.tcl` where it is installed")
        summary["timing"] = run_vivado(executable, out, progress)
        (out / "build.json").write_text(json.dumps(summary, indent=2) + "\n")
        require_vivado_timing(summary["timing"], out)
        summary["bitstream"] = str(out / "mtjhw.bit")
    else:
        progress(f"gateware: Vivado not run, so no timing (the ulx3s board times the same design with nextpnr); "
                 f"on a machine with Vivado: cd {out} && vivado -mode batch -source build.tcl")
    (out / "build.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def run_vivado(executable: str, out: Path, progress: Callable[[str], None] = log_stage) -> dict:
    """Run ``build.tcl`` in ``out``; return the routed design's timing from its summary: WNS/TNS/WHS/THS (ns),
    Vivado's exit status and the clocks (``ClockTiming.to_dict`` form)."""
    (out / "mtjhw.bit").unlink(missing_ok=True)
    report = out / TIMING_SUMMARY
    report.unlink(missing_ok=True)
    progress("gateware: Vivado (synthesis, implementation, timing, bitstream) …")
    start = time.monotonic()
    result = subprocess.run([executable, "-mode", "batch", "-nojournal", "-log", "vivado.log", "-source",
                             "build.tcl"], cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    progress(f"gateware: Vivado done in {time.monotonic() - start:.0f} s (exit {result.returncode})")
    if not report.exists():
        raise RuntimeError(f"Vivado failed before timing (exit {result.returncode}); see {out / 'vivado.log'}")
    timing = vivado_summary(report.read_text())
    for clock in timing["clocks"]:
        progress(f"gateware: {clock}")
    return {**timing, "exit": result.returncode, "clocks": [c.to_dict() for c in timing["clocks"]]}


def require_vivado_timing(timing: dict, out: Path) -> None:
    """Raise :class:`~mtjhw.gateware.timing.TimingError` (and remove any bitstream) on a negative worst setup or
    hold slack; raise RuntimeError when Vivado failed otherwise or left no bitstream."""
    failing = [f"{key.removesuffix('_ns').upper()} {timing[key]} ns" for key in ("wns_ns", "whs_ns")
               if timing[key] is not None and timing[key] < 0]
    failing += [f"{c['clock']} Fmax {c['fmax_mhz']} MHz < {c['target_mhz']} MHz" for c in timing["clocks"]
                if not c["met"]]
    if failing:
        (out / "mtjhw.bit").unlink(missing_ok=True)
        raise TimingError(f"the PYNQ-Z2 build fails timing ({', '.join(failing)}): no bitstream written, see "
                          f"{out / TIMING_SUMMARY}")
    if timing["exit"] != 0 or not (out / "mtjhw.bit").exists():
        raise RuntimeError(f"Vivado failed (exit {timing['exit']}) or wrote no bitstream; see {out / 'vivado.log'}")
