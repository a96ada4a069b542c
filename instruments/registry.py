"""Driver names used in bench files, mapped to driver classes."""

from __future__ import annotations

from .keithley707b import Keithley707B
from .keithley2450 import Keithley2450
from .kepco import KepcoBOP
from .lakeshore import LakeShore425
from .lockin import SR830
from .oscilloscope import KeysightDSOX3000
from .pulse_generator import Keysight33500B, Keysight81160A
from .rf_source import Agilent8257D, AnritsuMG3692C, KeysightN5183B, RohdeSchwarzSMB100A
from .spectrum_analyzer import KeysightXSeries, RohdeSchwarzFSW

DRIVERS: dict[str, type] = {
    "keithley2450": Keithley2450,
    "keithley707b": Keithley707B,
    "kepco-bop": KepcoBOP,
    "lakeshore425": LakeShore425,
    "keysight81160a": Keysight81160A,
    "keysight33500b": Keysight33500B,
    "keysight-dsox3000": KeysightDSOX3000,
    "keysight-n5183b": KeysightN5183B,
    "rs-smb100a": RohdeSchwarzSMB100A,
    "agilent-e8257d": Agilent8257D,
    "anritsu-mg3692c": AnritsuMG3692C,
    "keysight-n9010b": KeysightXSeries,
    "keysight-n9030b": KeysightXSeries,
    "sr830": SR830,
    "rs-fsw": RohdeSchwarzFSW,
}


#: The bench roles each driver can fill.
DRIVER_ROLES: dict[str, set[str]] = {
    "keithley2450": {"smu"},
    "keithley707b": {"switch"},
    "kepco-bop": {"magnet"},
    "lakeshore425": {"gaussmeter"},
    "keysight81160a": {"pulser"},
    "keysight33500b": {"pulser"},
    "keysight-dsox3000": {"scope"},
    "keysight-n5183b": {"rf"},
    "rs-smb100a": {"rf"},
    "agilent-e8257d": {"rf"},
    "anritsu-mg3692c": {"rf"},
    "keysight-n9010b": {"analyzer"},
    "keysight-n9030b": {"analyzer"},
    "sr830": {"lockin"},
    "rs-fsw": {"analyzer"},
}


def driver_class(name: str) -> type:
    """The driver class registered as ``name``; a clear error lists the known names."""
    try:
        return DRIVERS[name]
    except KeyError:
        raise ValueError(f"unknown driver {name!r}; known drivers: {', '.join(sorted(DRIVERS))}") from None
