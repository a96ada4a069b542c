"""Virtual instruments that speak their real counterparts' SCPI, wired to a :class:`VirtualBench`."""

from .keithley707b import Keithley707B
from .keithley2450 import Keithley2450
from .kepco_bop import KepcoBOP
from .lakeshore425 import LakeShore425
from .lockin import SR830
from .oscilloscope import KeysightDSOX3000
from .pulse_generator import Keysight33500B, Keysight81160A
from .rf_source import AgilentE8257D, AnritsuMG3692C, KeysightN5183B, RohdeSchwarzSMB100A
from .spectrum_analyzer import KeysightN9010B, KeysightN9030B, RohdeSchwarzFSW

#: Virtual twin of each driver name used in bench files, with the resource string it answers by default.
VIRTUAL_TWINS: dict[str, tuple[type, str]] = {
    "keithley2450": (Keithley2450, "USB0::0x05E6::0x2450::04096331::INSTR"),
    "kepco-bop": (KepcoBOP, "GPIB0::6::INSTR"),
    "keithley707b": (Keithley707B, "GPIB0::16::INSTR"),
    "lakeshore425": (LakeShore425, "ASRL3::INSTR"),
    "keysight81160a": (Keysight81160A, "GPIB0::10::INSTR"),
    "keysight33500b": (Keysight33500B, "USB0::0x0957::0x2307::MY52301234::INSTR"),
    "keysight-dsox3000": (KeysightDSOX3000, "USB0::0x2A8D::0x1770::MY58260123::INSTR"),
    "keysight-n5183b": (KeysightN5183B, "TCPIP0::192.168.0.21::inst0::INSTR"),
    "rs-smb100a": (RohdeSchwarzSMB100A, "TCPIP0::192.168.0.22::inst0::INSTR"),
    "agilent-e8257d": (AgilentE8257D, "GPIB0::19::INSTR"),
    "anritsu-mg3692c": (AnritsuMG3692C, "GPIB0::5::INSTR"),
    "keysight-n9010b": (KeysightN9010B, "TCPIP0::192.168.0.30::hislip0::INSTR"),
    "keysight-n9030b": (KeysightN9030B, "TCPIP0::192.168.0.31::hislip0::INSTR"),
    "sr830": (SR830, "GPIB0::8::INSTR"),
    "rs-fsw": (RohdeSchwarzFSW, "TCPIP0::192.168.0.32::inst0::INSTR"),
}

__all__ = ["VIRTUAL_TWINS", "AgilentE8257D", "AnritsuMG3692C", "Keithley707B", "Keithley2450", "Keysight33500B",
           "Keysight81160A", "KeysightDSOX3000", "KeysightN5183B", "KeysightN9010B", "KeysightN9030B", "KepcoBOP",
           "LakeShore425", "RohdeSchwarzFSW", "RohdeSchwarzSMB100A", "SR830"]
