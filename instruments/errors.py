"""Errors an instrument reports about itself, raised as :class:`InstrumentError`."""

from __future__ import annotations


class InstrumentError(RuntimeError):
    """An instrument's error queue held entries after a command: ``errors`` lists them as (code, message)."""

    def __init__(self, instrument: str, errors: list) -> None:
        self.instrument = instrument
        self.errors = list(errors)
        super().__init__(f"{instrument} reported: {self.errors}")


class RaisesInstrumentErrors:
    """Mixin before a PyMeasure driver: ``check_errors()`` drains the error queue as the driver reads it and
    raises :class:`InstrumentError` when it held anything."""

    name: str

    def check_errors(self) -> list:
        errors = super().check_errors()  # type: ignore[misc]
        if errors:
            raise InstrumentError(self.name, errors)
        return errors
