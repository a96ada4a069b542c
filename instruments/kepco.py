"""Kepco BOP bipolar supply driving an electromagnet: PyMeasure's driver with a refusing current limit."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from pymeasure.instruments import Instrument
from pymeasure.instruments.kepco import KepcoBOP3612

from ._validators import limited
from .errors import RaisesInstrumentErrors
from .safety_gate import GateLimits, Rule, install


class KepcoBOP(RaisesInstrumentErrors, KepcoBOP3612):
    """BOP 36-12 in current mode for a magnet; ``max_current`` (A) refuses larger set points, ``max_step`` (A)
    larger single changes and ``max_rate`` (A/s) spaces set points in time (waiting ``sleep`` by ``clock``, wall
    time unless given the bench's), in the safety gate every message passes.

    The BIT 4886 interface has no software current or voltage limit to arm (the BOP-1K's ``CURR:LIM`` is not in
    its command set; from its manual's SCPI subsystem list): the magnet's protection is the gate's."""

    safety_rules = (
        Rule("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "magnet_current"),
        Rule(":OUTPut[:STATe]", "magnet_output"),
        Rule("[:SOURce]:FUNCtion:MODE", "keyword", allowed=("CURR", "CURRENT"),
             reason="voltage mode drives the coil through its resistance, which the gate cannot follow"),
        Rule(":LIST:CURRent[:LEVel]", "refused", reason="a list steps the magnet at its own dwell time"),
        Rule(":LIST:VOLTage[:LEVel]", "refused", reason="a list steps the magnet at its own dwell time"),
        Rule("*RCL", "refused", reason="recalls a saved set point and output state the gate cannot check"),
    )

    current_setpoint = Instrument.control(
        "CURRent?", "CURRent %g", "Control the output current set point (A).",
        validator=limited("magnet current", "A"), values=[-12.0, 12.0], dynamic=True)

    def __init__(self, adapter, name: str = "Kepco BOP 36-12", max_current: float = math.inf, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 **kwargs) -> None:
        kwargs.setdefault("timeout", 5000)
        super().__init__(adapter, name, **kwargs)
        self.set_max_current(max_current)
        self.set_clock(clock, sleep)

    def set_max_current(self, max_current: float, max_step: float = math.inf, max_rate: float = math.inf) -> None:
        """Refuse set points beyond ±``max_current`` (A) and steps larger than ``max_step`` (A), and space set
        points by |ΔI|/``max_rate`` (A/s), from now on."""
        i = min(12.0, max_current)
        self.current_setpoint_values = [-i, i]
        install(self, self.safety_rules, GateLimits(magnet_current=max_current, magnet_step=max_step,
                                                    magnet_rate=max_rate))

    def set_clock(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        """The clock (s) and the wait by which the gate spaces set points for the ramp rate."""
        self.adapter.clock, self.adapter.sleep = clock, sleep

    def configure_current_mode(self, voltage_limit: float = 20.0) -> None:
        """Current mode with ``voltage_limit`` (V) as compliance; output stays as it is."""
        self.write(f"FUNC:MODE CURR;:VOLT {voltage_limit:g}")
        self.check_errors()

