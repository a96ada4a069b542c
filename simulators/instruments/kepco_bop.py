"""Virtual Kepco BOP bipolar power supply (BIT 4886 interface) driving the bench's electromagnet."""

from __future__ import annotations

from mtjhw.simulators.scpi import Boolean, Enum, Numeric, Setting, command

from .base import BenchInstrument


class KepcoBOP(BenchInstrument):
    """Virtual BOP 36-12: ±36 V, ±12 A, current or voltage mode, load = the magnet coil.

    In current mode the output current follows the set point unless the coil would need more than the voltage
    set point (compliance); in voltage mode the current is V/R_coil limited by the current set point.
    """

    idn = ("KEPCO", "BOP 36-12 (BIT 4886)", "E1234", "2.08")
    v_max, i_max = 36.0, 12.0

    mode = Setting("[:SOURce]:FUNCtion:MODE", Enum(["VOLTage", "CURRent"], "VOLTage",
                                                   responses={"VOLTAGE": "0", "CURRENT": "1"}), after="_apply")
    voltage = Setting("[:SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", Numeric(0.0, -v_max, v_max, "V"),
                      after="_apply")
    current = Setting("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", Numeric(0.0, -i_max, i_max, "A"),
                      after="_apply")
    output = Setting(":OUTPut[:STATe]", Boolean(False), after="_apply")

    def reset(self) -> None:
        super().reset()
        self._apply()

    def output_current(self) -> float:
        """Current delivered into the coil (A)."""
        if not self.output:
            return 0.0
        r = self.bench.magnet.resistance
        if self.mode == "CURRENT":
            i_max_by_voltage = abs(self.voltage) / r
            return max(-i_max_by_voltage, min(i_max_by_voltage, self.current))
        limit = abs(self.current)
        return max(-limit, min(limit, self.voltage / r))

    def _apply(self) -> None:
        self.bench.magnet.set_current(self.output_current())

    @command(":MEASure[:SCALar]:CURRent[:DC]?")
    def _measure_current(self) -> str:
        noise = 1e-4 * self.bench.rng.standard_normal()
        return f"{self.output_current() + noise:+.5E}"

    @command(":MEASure[:SCALar]:VOLTage[:DC]?")
    def _measure_voltage(self) -> str:
        noise = 1e-3 * self.bench.rng.standard_normal()
        return f"{self.output_current() * self.bench.magnet.resistance + noise:+.5E}"

    @command(":DIAGnostic:TST?")
    def _diag(self) -> str:
        return "0"

    @command(":SYSTem:BEEP")
    def _beep(self) -> None:
        return None
