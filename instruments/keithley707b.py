"""Keithley 707B switching matrix (TSP command set) filling the :class:`~mtjhw.instruments.roles.SwitchMatrix` role."""

from __future__ import annotations

from collections.abc import Iterable

from pymeasure.instruments import Instrument

from .errors import InstrumentError


class Keithley707B(Instrument):
    """707B mainframe with matrix cards: close/open crosspoints named slot-row-column ("1A01")."""

    def __init__(self, adapter, name: str = "Keithley 707B Switching Matrix", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        kwargs.setdefault("timeout", 5000)
        super().__init__(adapter, name, includeSCPI=False, **kwargs)

    @staticmethod
    def _channel_list(channels: Iterable[str]) -> str:
        names = [c.strip().upper() for c in channels]
        if not names:
            raise ValueError("no channels given")
        return ",".join(names)

    def close(self, channels: Iterable[str]) -> None:
        """Close ``channels`` (others stay as they are)."""
        self.write(f'channel.close("{self._channel_list(channels)}")')
        self.check_errors()

    def exclusive_close(self, channels: Iterable[str]) -> None:
        """Close exactly ``channels``: every other crosspoint opens first."""
        self.write(f'channel.exclusiveclose("{self._channel_list(channels)}")')
        self.check_errors()

    def open(self, channels: Iterable[str]) -> None:
        self.write(f'channel.open("{self._channel_list(channels)}")')
        self.check_errors()

    def open_all(self) -> None:
        self.write('channel.open("allslots")')
        self.check_errors()

    def closed(self) -> set[str]:
        """The crosspoints closed now."""
        reply = self.ask('print(channel.getclose("allslots"))').strip()
        return set() if reply == "nil" else set(reply.split(";"))

    def check_errors(self) -> list[tuple[int, str]]:
        """Drain the TSP error queue; raise if it held anything."""
        errors = []
        count = int(float(self.ask("print(errorqueue.count)")))
        for _ in range(count):
            code, message, *_ = self.ask("print(errorqueue.next())").split("\t")
            errors.append((int(float(code)), message))
        if errors:
            raise InstrumentError(self.name, errors)
        return errors

    def shutdown(self) -> None:
        self.open_all()
        super().shutdown()
