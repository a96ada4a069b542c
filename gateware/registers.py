"""Register banks behind a bus slave: a declarative map, its fields, and its documentation, from one declaration.

A :class:`RegisterMap` lists 32-bit registers by name, offset (bytes, word aligned), access ('rw': written by
the host, driving the fabric; 'ro': read by the host, driven by the fabric) and description. Each register is a
list of :class:`Field` s (name, shape, lowest bit, reset value, description) from which everything else
is generated: the fabric sees the register as a view of its :attr:`Register.layout` (``regs.ENGINE_CTRL.train``),
the host packs and unpacks words with :meth:`Register.pack` and :meth:`Register.unpack`, and
:meth:`RegisterMap.markdown` renders the table for the docs. A register with ``on_write`` pulses a strobe to the
fabric on every write (commands, FIFO pushes); a read-only register with ``on_read`` pulses one on every read
(FIFO pops). Amaranth is imported only for :attr:`Register.layout`: the host side runs on numpy alone (a PYNQ
board), and :meth:`RegisterMap.to_json` is what a build writes beside its bitstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Bits:
    """A field's shape without Amaranth: ``width`` bits, two's complement when ``signed``."""

    width: int
    signed: bool = False


@dataclass(frozen=True)
class Field:
    """``shape`` (a width in bits, :class:`Bits`, or an Amaranth ``signed(n)``/``unsigned(n)``) at bits
    [at + width − 1 : at] of its register; ``reset`` only for 'rw' registers."""

    name: str
    shape: int | Bits | Any
    description: str
    at: int = 0
    reset: int = 0

    @property
    def width(self) -> int:
        return self.shape if isinstance(self.shape, int) else self.shape.width

    @property
    def signed(self) -> bool:
        return False if isinstance(self.shape, int) else self.shape.signed

    @property
    def bits(self) -> str:
        """The bit range as a data sheet writes it: ``[15:8]``, ``[0]``."""
        top = self.at + self.width - 1
        return f"[{top}:{self.at}]" if top != self.at else f"[{self.at}]"

    def check(self, value: int, register: str) -> int:
        """``value`` as a field of ``register``, or a ValueError naming both."""
        low, high = (-(1 << self.width - 1), (1 << self.width - 1) - 1) if self.signed else (0, (1 << self.width) - 1)
        if int(value) != value or not low <= value <= high:
            kind = "signed" if self.signed else "unsigned"
            raise ValueError(f"{register}.{self.name}: must be an integer in {low}..{high} ({kind} {self.width} "
                             f"bits), got {value!r}")
        return int(value)


@dataclass(frozen=True)
class Register:
    """One 32-bit register at byte ``offset``: its ``fields`` (disjoint, within the word), strobes and docs."""

    name: str
    offset: int
    access: str  # "rw" or "ro"
    description: str
    fields: tuple[Field, ...]
    on_write: bool = False
    on_read: bool = False

    def __post_init__(self) -> None:
        if self.access not in ("rw", "ro"):
            raise ValueError(f"register {self.name}: access must be 'rw' or 'ro'")
        if (self.on_write and self.access != "rw") or (self.on_read and self.access != "ro"):
            raise ValueError(f"register {self.name}: write strobes need 'rw', read strobes 'ro'")
        if self.offset % 4 or self.offset < 0:
            raise ValueError(f"register {self.name}: offset {self.offset:#x} is not a word address")
        self._check_fields()

    def _check_fields(self) -> None:
        if not self.fields:
            raise ValueError(f"register {self.name}: declare at least one field")
        used = 0
        for f in self.fields:
            bits = ((1 << f.width) - 1) << f.at
            if f.at < 0 or f.width < 1 or bits >> 32:
                raise ValueError(f"register {self.name}: field {f.name} {f.bits} does not fit 32 bits")
            if used & bits:
                raise ValueError(f"register {self.name}: field {f.name} {f.bits} overlaps another field")
            used |= bits
            if f.reset and self.access == "ro":
                raise ValueError(f"register {self.name}: the fabric drives a read-only field, it has no reset")
            f.check(f.reset, self.name)
        if len({f.name for f in self.fields}) != len(self.fields):
            raise ValueError(f"register {self.name}: field names must be unique")

    @property
    def layout(self) -> Any:
        """The fields as an Amaranth layout (``data.FlexibleLayout``) of the 32-bit word."""
        from amaranth import Shape
        from amaranth.lib import data

        return data.FlexibleLayout(32, {f.name: data.Field(Shape(f.width, f.signed), f.at) for f in self.fields})

    @property
    def init(self) -> dict[str, int]:
        """Reset values by field."""
        return {f.name: f.reset for f in self.fields}

    @property
    def reset(self) -> int:
        return self.pack()

    def pack(self, **values: int) -> int:
        """The word holding ``values`` by field name; fields not named take their reset value."""
        unknown = set(values) - {f.name for f in self.fields}
        if unknown:
            raise ValueError(f"register {self.name} has no field {', '.join(sorted(unknown))} (fields: "
                             f"{', '.join(f.name for f in self.fields)})")
        word = 0
        for f in self.fields:
            value = f.check(values.get(f.name, f.reset), self.name)
            word |= (value & ((1 << f.width) - 1)) << f.at
        return word

    def unpack(self, word: int) -> dict[str, int]:
        """Field values (signed fields as signed integers) of the 32-bit ``word``."""
        values = {}
        for f in self.fields:
            value = (word >> f.at) & ((1 << f.width) - 1)
            values[f.name] = value - (1 << f.width) if f.signed and value >> (f.width - 1) else value
        return values


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

    def to_json(self) -> list[dict[str, Any]]:
        """What the bus and the host rely on, without the descriptions: offsets, access, strobes and each field's
        bits, signedness and reset, in offset order (``register_map.json`` of a build)."""
        return [{"name": r.name, "offset": r.offset, "access": r.access, "on_write": r.on_write, "on_read": r.on_read,
                 "fields": [{"name": f.name, "at": f.at, "width": f.width, "signed": f.signed, "reset": f.reset}
                            for f in sorted(r.fields, key=lambda f: f.at)]}
                for r in sorted(self.registers, key=lambda r: r.offset)]

    def markdown(self) -> str:
        """A table: each register (offset, access, reset word, description), then each of its fields (bits,
        access, reset, description)."""
        lines = ["| offset | register | field | bits | access | reset | description |", "|---|---|---|---|---|---|---|"]
        for r in sorted(self.registers, key=lambda r: r.offset):
            access = r.access + (", write acts" if r.on_write else "") + (", read pops" if r.on_read else "")
            reset = f"`{r.reset:#x}`" if r.access == "rw" else "—"
            lines.append(f"| `{r.offset:#06x}` | `{r.name}` | | | {access} | {reset} | {r.description} |")
            for f in sorted(r.fields, key=lambda f: f.at):
                bits = f.bits + (" signed" if f.signed else "")
                reset = f"`{f.reset}`" if r.access == "rw" else "—"
                lines.append(f"| | | `{f.name}` | {bits} | {r.access} | {reset} | {f.description} |")
        return "\n".join(lines)
