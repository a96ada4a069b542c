"""Virtual instruments that speak their real counterparts' SCPI, wired to a :class:`VirtualBench`."""

from .keithley2450 import Keithley2450
from .kepco_bop import KepcoBOP
from .lakeshore425 import LakeShore425

__all__ = ["Keithley2450", "KepcoBOP", "LakeShore425"]
