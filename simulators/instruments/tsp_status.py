"""The IEEE 488.2 status model and common commands of Keithley's TSP instruments (707B, 2600B): lines starting
with ``*`` are not Lua, and the status byte summarises the error queue and the event status register."""

from __future__ import annotations

import re
from collections.abc import Callable

from mtjhw.simulators.scpi import ErrorQueue

from .tsp_lua import TspError, syntax_error


class TspStatus:
    """Mixin for a TSP twin with ``errors`` (an :class:`ErrorQueue`), ``idn`` and ``reset()`` (``*RST``); call
    :meth:`_init_status` in ``__init__``."""

    errors: ErrorQueue
    idn: tuple[str, ...]
    #: between the fields of the ``*IDN?`` reply
    idn_separator = ","

    def _init_status(self) -> None:
        self.esr = self.ese = self.sre = 0

    def status_byte(self) -> int:
        """IEEE 488.2 status byte: EAV (bit 2) while errors are queued, ESB (bit 5), MSS (bit 6)."""
        stb = 0x04 if len(self.errors) else 0
        if self.esr & self.ese:
            stb |= 0x20
        return stb | (0x40 if stb & self.sre else 0)

    def _common(self, text: str) -> list[str]:
        """The replies to an IEEE 488.2 common command; anything else starting with '*' is not Lua either (an
        error in the queue, no reply)."""
        header, _, argument = text.partition(" ")
        queries: dict[str, Callable[[], str]] = {
            "*IDN?": lambda: self.idn_separator.join(self.idn), "*OPC?": lambda: "1", "*TST?": lambda: "0",
            "*ESR?": self._read_esr, "*ESE?": lambda: str(self.ese), "*SRE?": lambda: str(self.sre),
            "*STB?": lambda: str(self.status_byte())}
        commands: dict[str, Callable[[], None]] = {
            "*RST": self.reset, "*CLS": self._clear_status, "*OPC": self._opc, "*WAI": lambda: None,
            "*TRG": lambda: None, "*ESE": lambda: self._set_enable("ese", argument),
            "*SRE": lambda: self._set_enable("sre", argument)}
        name = header.upper()
        try:
            if name in queries and not argument:
                return [queries[name]()]
            if name in commands:
                commands[name]()
                return []
            raise syntax_error("unexpected symbol near `*'")
        except TspError as err:
            self.errors.push(err.code, err.message)
            return []

    def _read_esr(self) -> str:
        value, self.esr = self.esr, 0
        return str(value)

    def _clear_status(self) -> None:
        self.errors.clear()
        self.esr = 0

    def _opc(self) -> None:
        self.esr |= 0x01  # operations complete as they are executed

    def _set_enable(self, register: str, argument: str) -> None:
        text = argument.strip()  # ASCII digits only: str.isdigit() takes '²', and int() refuses 4301 digits
        if re.fullmatch(r"[0-9]{1,3}", text) is None or int(text) > 255:
            raise syntax_error(f"unexpected symbol near `{text[:20] or '<eof>'}'")
        setattr(self, register, int(text))
