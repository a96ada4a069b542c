"""Register banks behind an AXI-Lite slave: a declarative map, the gateware, and its documentation.

A :class:`RegisterMap` lists 32-bit registers by name, offset (bytes, word aligned), access ('rw': written by
the host, driving the fabric; 'ro': read by the host, driven by the fabric), reset value and description. A
register with ``on_write`` pulses a strobe to the fabric on every write (commands, FIFO pushes); a read-only
register with ``on_read`` pulses one on every read (FIFO pops).
:meth:`RegisterMap.markdown` renders the map for the docs from the same declaration the gateware is built from.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Register:
    name: str
    offset: int
    access: str  # "rw" or "ro"
    description: str
    reset: int = 0
    on_write: bool = False
    on_read: bool = False

    def __post_init__(self) -> None:
        if self.access not in ("rw", "ro"):
            raise ValueError(f"register {self.name}: access must be 'rw' or 'ro'")
        if (self.on_write and self.access != "rw") or (self.on_read and self.access != "ro"):
            raise ValueError(f"register {self.name}: write strobes need 'rw', read strobes 'ro'")
        if self.offset % 4 or self.offset < 0:
            raise ValueError(f"register {self.name}: offset {self.offset:#x} is not a word address")
        if not 0 <= self.reset < 2**32:
            raise ValueError(f"register {self.name}: reset value does not fit 32 bits")


@dataclass
class RegisterMap:
    registers: list[Register] = field(default_factory=list)

    def __post_init__(self) -> None:
        offsets = [r.offset for r in self.registers]
        names = [r.name for r in self.registers]
        if len(set(offsets)) != len(offsets) or len(set(names)) != len(names):
            raise ValueError("register names and offsets must be unique")

    def __getitem__(self, name: str) -> Register:
        for register in self.registers:
            if register.name == name:
                return register
        raise KeyError(f"no register named {name!r}")

    @property
    def address_width(self) -> int:
        """Address bits decoded: at least a 4 KiB window (what the bus assigns a peripheral), so that no
        address inside it aliases a register."""
        return max(12, (max(r.offset for r in self.registers) + 4 - 1).bit_length())

    def markdown(self) -> str:
        lines = ["| offset | name | access | reset | description |", "|---|---|---|---|---|"]
        for r in sorted(self.registers, key=lambda r: r.offset):
            access = r.access + (" (write acts)" if r.on_write else "") + (" (read pops)" if r.on_read else "")
            lines.append(f"| `{r.offset:#06x}` | `{r.name}` | {access} | `{r.reset:#x}` | {r.description} |")
        return "\n".join(lines)
