"""Reaching a real bench: what VISA sees, which backend extra an interface needs, and opening each instrument
of a bench file with its identity checked against the declared driver."""

from __future__ import annotations

import importlib.util
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Interfaces pyvisa-py serves only with an extra package: (module it imports, how to install it).
BACKEND_EXTRAS: dict[str, tuple[str, str]] = {
    "USB": ("usb", "pip install pyusb  (and the libusb-1.0 system library)"),
    "GPIB": ("gpib_ctypes", "pip install gpib-ctypes  (and the linux-gpib or NI-488.2 driver)"),
    "ASRL": ("serial", "pip install pyserial"),
}


class InstrumentUnreachableError(ConnectionError):
    """An instrument of a real bench could not be opened; the message names the role, resource and fix."""


def missing_backend(resource: str) -> str | None:
    """The install command pyvisa-py needs for ``resource``'s interface when it is missing, else None."""
    interface = re.match(r"[A-Za-z]+", resource.strip())
    extra = BACKEND_EXTRAS.get(interface.group(0).upper() if interface else "")
    if extra is None or importlib.util.find_spec(extra[0]) is not None:
        return None
    return extra[1]


def unreachable(role: str, resource: str, exc: BaseException) -> InstrumentUnreachableError:
    """The error to raise for ``role`` at ``resource`` failing with ``exc``, naming a missing extra if any."""
    hint = missing_backend(resource)
    detail = f"; VISA needs a backend extra for this interface: {hint}" if hint else ""
    return InstrumentUnreachableError(f"instruments.{role}: cannot reach {resource}: "
                                      f"{type(exc).__name__}: {exc}{detail}")


def connect(role: str, resource: str, open_driver: Callable[[], Any]) -> tuple[Any, str]:
    """Open a driver and read ``*IDN?`` through it: (driver, reply). Any failure, at opening or at the first
    exchange (a LAN socket connects lazily), becomes an :class:`InstrumentUnreachableError`."""
    try:
        driver = open_driver()
    except Exception as exc:  # anything VISA raises for an instrument that is not there
        raise unreachable(role, resource, exc) from exc
    try:
        return driver, driver.ask("*IDN?").strip()
    except Exception as exc:
        driver.adapter.close()
        raise unreachable(role, resource, exc) from exc


def visa_resources(visa_library: str = "") -> tuple[str, list[str], list[str]]:
    """(backend description, resources, notes) of the VISA backend ``visa_library`` ("" = pyvisa's default);
    the notes are the backend's warnings about what it cannot discover."""
    import pyvisa

    rm = pyvisa.ResourceManager(visa_library)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            resources = sorted(rm.list_resources("?*"))
        notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        return str(rm.visalib), resources, notes
    finally:
        rm.close()


@dataclass(frozen=True)
class InstrumentCheck:
    """The outcome of opening one instrument of a bench file."""

    role: str
    driver: str
    resource: str
    status: str  #: "ok", "unexpected identity" or "unreachable"
    detail: str  #: the ``*IDN?`` reply, or what went wrong

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def identity_matches(expected_model: str, reply: str) -> bool:
    """Whether an ``*IDN?`` reply names the model (letters and digits compared, case ignored)."""
    def squeeze(text: str) -> str:
        return re.sub(r"[^0-9A-Z]", "", text.upper())

    return squeeze(expected_model) in squeeze(reply)


def check_instrument(role: str, driver_name: str, resource: str, expected_model: str,
                     open_driver: Callable[[], Any]) -> InstrumentCheck:
    """Open one instrument, read ``*IDN?`` and compare it with the model of its declared driver."""
    try:
        driver, reply = connect(role, resource, open_driver)
    except InstrumentUnreachableError as exc:
        return InstrumentCheck(role, driver_name, resource, "unreachable", str(exc))
    driver.adapter.close()
    if not identity_matches(expected_model, reply):
        return InstrumentCheck(role, driver_name, resource, "unexpected identity",
                               f"{reply!r} does not name {expected_model!r}")
    return InstrumentCheck(role, driver_name, resource, "ok", reply)
