"""Kepco BOP bipolar supply driving an electromagnet: PyMeasure's driver with a refusing current limit."""

from __future__ import annotations

import math

from pymeasure.instruments import Instrument
from pymeasure.instruments.kepco import KepcoBOP3612

from ._validators import limited
from .errors import RaisesInstrumentErrors
from .safety_gate import GateLimits, Rule, install


class KepcoBOP(RaisesInstrumentErrors, KepcoBOP3612):
    """BOP 36-12 in current mode for a magnet; ``max_current`` (A) refuses larger set points and ``max_step`` (A)
    larger single changes, in the safety gate every message passes."""

    safety_rules = (Rule("[:SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "magnet_current"),
                    Rule(":OUTPut[:STATe]", "magnet_output"))

    current_setpoint = Instrument.control(
        "CURRent?", "CURRent %g", "Control the output current set point (A).",
        validator=limited("magnet current", "A"), values=[-12.0, 12.0], dynamic=True)

    def __init__(self, adapter, name: str = "Kepco BOP 36-12", max_current: float = math.inf, **kwargs) -> None:
        kwargs.setdefault("timeout", 5000)
        super().__init__(adapter, name, **kwargs)
        self.set_max_current(max_current)

    def set_max_current(self, max_current: float, max_step: float = math.inf) -> None:
        """Refuse set points beyond ±``max_current`` (A) and steps larger than ``max_step`` (A) from now on."""
        i = min(12.0, max_current)
        self.current_setpoint_values = [-i, i]
        install(self, self.safety_rules, GateLimits(magnet_current=max_current, magnet_step=max_step))

    def configure_current_mode(self, voltage_limit: float = 20.0) -> None:
        """Current mode with ``voltage_limit`` (V) as compliance; output stays as it is."""
        self.write(f"FUNC:MODE CURR;:VOLT {voltage_limit:g}")
        self.check_errors()

