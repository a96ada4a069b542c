"""Virtual instruments that speak their real counterparts' SCPI, wired to a :class:`VirtualBench`.

Which twin stands for which driver, and the resource it answers, is registered once in :mod:`mtjhw.registry`.
"""

from .esp300 import ESP300
from .keithley707b import Keithley707B
from .keithley2182 import Keithley2182
from .keithley2400 import Keithley2400
from .keithley2450 import Keithley2450
from .keithley2600 import Keithley2600
from .keithley6221 import Keithley6221
from .kepco_bop import KepcoBOP
from .keysight_b2900 import KeysightB2902A
from .keysight_xseries import KeysightN9010B, KeysightN9030B
from .lakeshore336 import LakeShore336
from .lakeshore425 import LakeShore425
from .lakeshore460 import LakeShore460
from .lockin import SR830
from .mpi_sentio import MPISentio
from .oscilloscope import KeysightDSOX3000
from .pulse_generator import Keysight33500B, Keysight81160A
from .rf_source import AgilentE8257D, AnritsuMG3692C, KeysightN5183B, RohdeSchwarzSMB100A
from .rs_fsw import RohdeSchwarzFSW
from .sr860 import SR860
from .tektronix_scope import TektronixMSO5000

__all__ = ["AgilentE8257D", "AnritsuMG3692C", "ESP300", "Keithley707B", "Keithley2400", "Keithley2450",
           "Keithley2182", "Keithley6221",
           "Keithley2600", "Keysight33500B",
           "Keysight81160A", "KeysightB2902A", "KeysightDSOX3000", "KeysightN5183B", "KeysightN9010B",
           "KeysightN9030B", "KepcoBOP",
           "LakeShore336", "LakeShore425", "LakeShore460", "MPISentio", "RohdeSchwarzFSW", "RohdeSchwarzSMB100A",
           "SR830",
           "SR860", "TektronixMSO5000"]
