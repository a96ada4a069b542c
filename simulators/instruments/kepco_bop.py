"""Virtual Kepco BOP bipolar power supply (BIT 4886 interface) driving the bench's electromagnet.

Follows the BIT 4886 operator manual, appendices A (IEEE 488.2 common commands) and B (SCPI): the SOURce
subsystem (operating mode, voltage and current set points), OUTPut, MEASure, the STATus registers (Operation
condition bits CV = 256 and CC = 1024, summarised in status byte bit 7; Questionable, always clear), the error queue
(``SYST:ERR?`` and the code-only ``SYST:ERR:CODE?`` / ``SYST:ERR:CODE:ALL?``), the self tests (``*TST?``,
``DIAG:TST?``) and the front-panel/system settings a simulator need not model (beeper, keypad lock, remote
state), which are accepted and recorded. Every number is answered as the BIT 4886 answers numbers: scientific
notation with a bare exponent (``1.40000E1`` for 14 V).
"""

from __future__ import annotations

from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.magnet import Electromagnet
from mtjhw.simulators.scpi import Boolean, Enum, Numeric, Setting, StatusRegisters, command

from .base import BenchInstrument

#: Operation condition register bits (BIT 4886, STATus:OPERation): constant voltage, constant current.
OPER_CV, OPER_CC = 256, 1024


def kepco_number(value: float) -> str:
    """``value`` as the BIT 4886 writes numbers: six significant digits, exponent without sign padding."""
    mantissa, exponent = f"{value:.5E}".split("E")
    return f"{mantissa}E{int(exponent)}"


class KepcoNumeric(Numeric):
    """A numeric setting answered in the BIT 4886 number format."""

    def format(self, value: float) -> str:
        return kepco_number(value)


class KepcoBOP(StatusRegisters, BenchInstrument):
    """Virtual BOP 36-12: ±36 V, ±12 A, current or voltage mode, load = the magnet coil.

    In current mode the output current follows the set point unless the coil would need more than the voltage
    set point (compliance: the supply then regulates voltage, CV); in voltage mode the current is V/R_coil limited
    by the current set point (then CC). ``magnet`` is the coil it drives: the bench's own by default, one axis of a
    vector magnet (``VirtualBench.axis_magnet``) otherwise.
    """

    idn = ("KEPCO", "BIT 4886 36-12", "E123456", "2.08")
    v_max, i_max = 36.0, 12.0

    mode = Setting("[:SOURce]:FUNCtion:MODE", Enum(["VOLTage", "CURRent"], "VOLTage",
                                                   responses={"VOLTAGE": "0", "CURRENT": "1"}), after="_apply")
    voltage = Setting("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", KepcoNumeric(0.0, -v_max, v_max, "V"),
                      after="_apply")
    current = Setting("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", KepcoNumeric(0.0, -i_max, i_max, "A"),
                      after="_apply")
    output = Setting(":OUTPut[:STATe]", Boolean(False), after="_apply")
    remote = Setting(":SYSTem:REMote", Boolean(True))
    keypad_locked = Setting(":SYSTem:KLOCk", Boolean(False))

    def __init__(self, bench: VirtualBench, magnet: Electromagnet | None = None) -> None:
        self.magnet = bench.magnet if magnet is None else magnet
        self.beeps = 0  # SYST:BEEP count: the beeper is recorded, not sounded
        super().__init__(bench)

    def reset(self) -> None:
        super().reset()
        self.operation_event, self._last_conditions = 0, (0, 0)
        self._apply()

    # ----------------------------------------------------------------- physics
    def output_current(self) -> float:
        """Current delivered into the coil (A)."""
        if not self.output:
            return 0.0
        r = self.magnet.resistance
        if self.mode == "CURRENT":
            i_max_by_voltage = abs(self.voltage) / r
            return max(-i_max_by_voltage, min(i_max_by_voltage, self.current))
        limit = abs(self.current)
        return max(-limit, min(limit, self.voltage / r))

    def operation_condition(self) -> int:
        """Operation condition register: CV or CC while the output is on, 0 when off."""
        if not self.output:
            return 0
        r = self.magnet.resistance
        if self.mode == "CURRENT":
            return OPER_CC if abs(self.current) * r <= abs(self.voltage) else OPER_CV
        return OPER_CV if abs(self.voltage) / r <= abs(self.current) else OPER_CC

    def _apply(self) -> None:
        """Drive the coil; latch the Operation condition bits that have just become true."""
        self.magnet.set_current(self.output_current())
        self.latch_status()

    # ----------------------------------------------------------------- MEASure
    @command(":MEASure[:SCALar]:CURRent[:DC]?")
    def _measure_current(self) -> str:
        noise = 1e-4 * self.bench.rng.standard_normal()
        return kepco_number(self.output_current() + noise)

    @command(":MEASure[:SCALar]:VOLTage[:DC]?")
    def _measure_voltage(self) -> str:
        noise = 1e-3 * self.bench.rng.standard_normal()
        return kepco_number(self.output_current() * self.magnet.resistance + noise)

    # ----------------------------------------------------------------- SYSTem and self tests
    @command(":SYSTem:ERRor:CODE?")
    def _error_code(self) -> str:
        return str(self.errors.pop()[0])

    @command(":SYSTem:ERRor:CODE:ALL?")
    def _error_codes(self) -> str:
        codes = []
        while len(self.errors):
            codes.append(str(self.errors.pop()[0]))
        return ",".join(codes) or "0"

    @command(":SYSTem:BEEP")
    def _beep(self) -> None:
        self.beeps += 1

    @command(":DIAGnostic:TST?")
    def _diag(self) -> str:
        return "0"  # every TestErrorCode bit clear: ROM, RAM, flash, pots, loop-back and output swing pass
