"""Virtual microwave signal generators (Keysight N5183B MXG, R&S SMB100A, Agilent E8257D, Anritsu MG3692C).

All four answer the common SCPI subset their drivers use — ``[:SOURce]:FREQuency[:CW]``, ``[:SOURce]:POWer``
(dBm), ``:OUTPut[:STATe]``, ``:OUTPut:MODulation``, ``[:SOURce]:AM``/``:PULM`` — and differ in ranges and
identity. The output reaches the DUT through ``cable_loss_db`` of cable and the bias tee.
"""

from __future__ import annotations

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.scpi import Boolean, Enum, Numeric, Setting

from .base import BenchInstrument


class KeysightN5183B(BenchInstrument):
    """MXG N5183B: 9 kHz – 20 GHz, −130 … +19 dBm."""

    idn = ("Agilent Technologies", "N5183B", "MY53050123", "B.01.86")

    frequency = Setting("[:SOURce]:FREQuency[:CW]", Numeric(1e9, 9e3, 20e9, "HZ"), after="_apply")
    power = Setting("[:SOURce]:POWer[:LEVel][:IMMediate][:AMPLitude]", Numeric(-130.0, -130.0, 19.0, "DBM"),
                    after="_apply")
    output = Setting(":OUTPut[:STATe]", Boolean(False), after="_apply")
    modulation = Setting(":OUTPut:MODulation[:STATe]", Boolean(True), after="_apply")
    am = Setting("[:SOURce]:AM[:STATe]", Boolean(False), after="_apply")
    am_depth = Setting("[:SOURce]:AM[:DEPTh][:LINear]", Numeric(100.0, 0.0, 100.0), after="_apply")
    am_frequency = Setting("[:SOURce]:AM:INTernal[:FUNCtion]:FREQuency", Numeric(1e3, 0.1, 10e6, "HZ"),
                           after="_apply")
    am_source = Setting("[:SOURce]:AM:SOURce", Enum(["INTernal", "EXTernal"], "INTernal"))
    pulse_modulation = Setting("[:SOURce]:PULM:STATe", Boolean(False))

    def __init__(self, bench: VirtualBench, cable_loss_db: float = 3.0) -> None:
        self.cable_loss_db = cable_loss_db
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self._apply()

    def _apply(self) -> None:
        rf = self.bench.rf
        rf.on = bool(self.output)
        rf.frequency = self.frequency
        rf.power = 1e-3 * 10 ** ((self.power - self.cable_loss_db) / 10)  # W at the DUT
        rf.am_on = bool(self.am and self.modulation)
        rf.am_depth = self.am_depth / 100.0
        rf.am_frequency = self.am_frequency


class RohdeSchwarzSMB100A(KeysightN5183B):
    """SMB100A with the B112 option: 100 kHz – 12.75 GHz, −145 … +18 dBm."""

    idn = ("Rohde&Schwarz", "SMB100A", "1406.6000k03/180123", "3.1.19.15-3.20.390.24")


class AgilentE8257D(KeysightN5183B):
    """PSG E8257D: 250 kHz – 20 GHz."""

    idn = ("Agilent Technologies", "E8257D", "US49120123", "C.06.30")


class AnritsuMG3692C(KeysightN5183B):
    """MG3692C: 2 – 20 GHz."""

    idn = ("ANRITSU", "MG3692C", "123456", "3.59")
