"""How a source drives a two-terminal device: a voltage or a current level."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Bias:
    """A source condition across the DUT: ``mode`` 'V' (volts) or 'I' (amperes) at ``level``."""

    mode: Literal["V", "I"]
    level: float

    @classmethod
    def open_circuit(cls) -> Bias:
        return cls("I", 0.0)
