"""Virtual instruments that speak their real counterparts' SCPI, wired to a :class:`VirtualBench`."""

from .keithley707b import Keithley707B
from .keithley2450 import Keithley2450
from .kepco_bop import KepcoBOP
from .lakeshore425 import LakeShore425
from .oscilloscope import KeysightDSOX3000
from .pulse_generator import Keysight33500B, Keysight81160A

#: Virtual twin of each driver name used in bench files, with the resource string it answers by default.
VIRTUAL_TWINS: dict[str, tuple[type, str]] = {
    "keithley2450": (Keithley2450, "USB0::0x05E6::0x2450::04096331::INSTR"),
    "kepco-bop": (KepcoBOP, "GPIB0::6::INSTR"),
    "keithley707b": (Keithley707B, "GPIB0::16::INSTR"),
    "lakeshore425": (LakeShore425, "ASRL3::INSTR"),
    "keysight81160a": (Keysight81160A, "GPIB0::10::INSTR"),
    "keysight33500b": (Keysight33500B, "USB0::0x0957::0x2307::MY52301234::INSTR"),
    "keysight-dsox3000": (KeysightDSOX3000, "USB0::0x2A8D::0x1770::MY58260123::INSTR"),
}

__all__ = ["VIRTUAL_TWINS", "Keithley707B", "Keithley2450", "Keysight33500B", "Keysight81160A", "KeysightDSOX3000",
           "KepcoBOP", "LakeShore425"]
