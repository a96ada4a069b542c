"""Energy of inference on MTJ crossbars read in the time domain (RC charging + TDC), from the device physics.

An RC readout charges ``c_load`` from a source at ``v_charge`` through a series segment of MTJs until it reaches
``v_threshold``; the source delivers the charge C·V_th at V_charge whatever the resistance, so each segment read
draws E = C·V_charge·V_th (half of it, and more, dissipated in the MTJs, the rest stored and dumped at reset).
The TDC that times it adds its conversion energy.

:data:`TDC_ENERGY` is an estimate, documented here: a 65 nm asynchronous pipelined TDC (O. C. Akgun, TU Delft:
7 bits, 200 ps LSB, 25.4 ns range, 38 µW core) converting once per range draws 38 µW × 25.4 ns ≈ 1 pJ; a 4-bit
converter needs no more, so 1 pJ per conversion is an upper estimate. Digital peripherals (the XNOR-popcount
of the segment codes, activations) are left out: they are the same for any memory technology.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TDC_ENERGY = 1e-12  #: J per TDC conversion (see the module docstring)


def rc_read_energy(c_load: float, v_charge: float, v_threshold: float) -> float:
    """Energy (J) the source delivers while charging ``c_load`` (F) from 0 to ``v_threshold`` (V) at ``v_charge``."""
    if not 0 < v_threshold < v_charge:
        raise ValueError(f"need 0 < v_threshold < v_charge, got {v_threshold} and {v_charge} V")
    return c_load * v_charge * v_threshold


@dataclass(frozen=True)
class InferenceEnergy:
    """Energy of one inference: segment reads, each an RC charge and a TDC conversion, and the operations done."""

    reads: int  #: segment reads (one per segment of rows and output column, every layer)
    operations: int  #: 2 per multiply-accumulate (the convention of TOPS figures)
    read_energy: float  #: J per segment read, RC charging
    tdc_energy: float  #: J per TDC conversion

    @property
    def energy(self) -> float:
        """J per inference."""
        return self.reads * (self.read_energy + self.tdc_energy)

    @property
    def tops_per_watt(self) -> float:
        """Operations per joule, in 10¹² (TOPS/W)."""
        return self.operations / self.energy / 1e12

    def as_dict(self) -> dict[str, float]:
        return {"energy_per_inference": self.energy, "tops_per_watt": self.tops_per_watt, "reads": self.reads,
                "operations": self.operations, "read_energy": self.read_energy, "tdc_energy": self.tdc_energy}


def crossbar_inference_energy(layers: list[tuple[int, int]], segment: int, c_load: float, v_charge: float,
                              v_threshold: float, tdc_energy: float = TDC_ENERGY) -> InferenceEnergy:
    """The energy of one inference through ``layers`` of (rows, outputs) cells read ``segment`` rows at a time."""
    reads = sum(math.ceil(rows / segment) * outputs for rows, outputs in layers)
    operations = sum(2 * rows * outputs for rows, outputs in layers)
    return InferenceEnergy(reads, operations, rc_read_energy(c_load, v_charge, v_threshold), tdc_energy)
