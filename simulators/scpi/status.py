"""The SCPI-99 status registers STATus:OPERation and STATus:QUEStionable (SCPI-99 vol. 1, chapter 9).

Each register has a condition (the instrument's present state, reported by the subclass), an event register
that latches the condition's rising bits until it is read or ``*CLS``, and an enable mask. The enabled events
summarise into status-byte bits 7 (OPER) and 3 (QUES). ``*RST`` keeps the enables; ``STATus:PRESet`` clears them.
"""

from __future__ import annotations

from typing import Any

from .commands import command
from .instrument import ScpiInstrument
from .parameters import Integer

STB_QUES, STB_OPER = 0x08, 0x80
_REGISTER = Integer(0, 0, 32767)  # 15 bits: bit 15 is never used (SCPI-99 vol. 1, 9.1)


class StatusRegisters(ScpiInstrument):
    """Mixin for a virtual instrument: put it before the instrument's base class. Report conditions with
    :meth:`operation_condition` / :meth:`questionable_condition`, call :meth:`latch_status` after a change of
    state, or set event bits directly for events that have no lasting condition (a sweep that completed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.operation_enable = self.questionable_enable = 0
        self.operation_event = self.questionable_event = 0
        self._last_conditions = (0, 0)
        super().__init__(*args, **kwargs)

    def operation_condition(self) -> int:
        """Bits of the Operation condition register now (overridden by instruments that have any)."""
        return 0

    def questionable_condition(self) -> int:
        """Bits of the Questionable condition register now (a virtual instrument is rarely questionable)."""
        return 0

    def latch_status(self) -> None:
        """Latch the condition bits that have just become true into the event registers."""
        operation, questionable = self.operation_condition(), self.questionable_condition()
        last_operation, last_questionable = self._last_conditions
        self.operation_event |= operation & ~last_operation
        self.questionable_event |= questionable & ~last_questionable
        self._last_conditions = (operation, questionable)

    def summary_bits(self) -> int:
        bits = super().summary_bits()
        if self.operation_event & self.operation_enable:
            bits |= STB_OPER
        if self.questionable_event & self.questionable_enable:
            bits |= STB_QUES
        return bits

    @command("*CLS")
    def _cls(self) -> None:
        super()._cls()
        self.operation_event = self.questionable_event = 0

    @command(":STATus:OPERation[:EVENt]?")
    def _operation_event_query(self) -> str:
        value, self.operation_event = self.operation_event, 0
        return str(value)

    @command(":STATus:OPERation:CONDition?")
    def _operation_condition_query(self) -> str:
        return str(self.operation_condition())

    @command(":STATus:OPERation:ENABle", _REGISTER)
    def _operation_enable_set(self, value: int) -> None:
        self.operation_enable = value

    @command(":STATus:OPERation:ENABle?")
    def _operation_enable_query(self) -> str:
        return str(self.operation_enable)

    @command(":STATus:QUEStionable[:EVENt]?")
    def _questionable_event_query(self) -> str:
        value, self.questionable_event = self.questionable_event, 0
        return str(value)

    @command(":STATus:QUEStionable:CONDition?")
    def _questionable_condition_query(self) -> str:
        return str(self.questionable_condition())

    @command(":STATus:QUEStionable:ENABle", _REGISTER)
    def _questionable_enable_set(self, value: int) -> None:
        self.questionable_enable = value

    @command(":STATus:QUEStionable:ENABle?")
    def _questionable_enable_query(self) -> str:
        return str(self.questionable_enable)

    @command(":STATus:PRESet")
    def _status_preset(self) -> None:
        self.operation_enable = self.questionable_enable = 0
