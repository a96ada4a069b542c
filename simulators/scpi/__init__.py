"""A declarative SCPI engine for virtual instruments.

>>> from mtjhw.simulators.scpi import ScpiInstrument, Setting, Numeric, Boolean
>>> class Supply(ScpiInstrument):
...     idn = ("ACME", "PS1", "0001", "1.0")
...     voltage = Setting("[:SOURce]:VOLTage[:LEVel]", Numeric(0.0, -10, 10, unit="V"))
...     output = Setting(":OUTPut[:STATe]", Boolean(False))
>>> ps = Supply()
>>> ps.handle(":VOLT 250 mV;:OUTP ON;:VOLT?;:OUTP?")
'+2.500000000E-01;1'
>>> ps.handle("VOLT 11"); ps.handle("SYST:ERR?")
'-222,"Data out of range; 11 not in [-10, 10] V"'
"""

from .commands import ChannelSetting, Setting, command
from .errors import STANDARD_ERRORS, ErrorQueue, ScpiError
from .instrument import ScpiInstrument
from .parameters import Boolean, Enum, Integer, Numeric, Raw, String, Variadic
from .status import StatusRegisters

__all__ = ["Boolean", "ChannelSetting", "Enum", "ErrorQueue", "Integer", "Numeric", "Raw", "STANDARD_ERRORS",
           "ScpiError", "ScpiInstrument", "Setting", "StatusRegisters", "String", "Variadic", "command"]
