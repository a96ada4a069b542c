"""Conformance of the virtual instruments with unmodified third-party drivers.

Every test here opens a virtual twin the way a user opens a real instrument: through a VISA resource, either
the in-process library (``visa_library=…``) or a TCP socket served by :class:`ScpiSocketServer` and opened by
pyvisa-py. ``served`` gives both; a test is written once and runs over both transports.

After a driver has done its work, :func:`assert_clean` checks the twin's error queue directly (no SCPI round
trip, so a driver's own error handling cannot hide an entry). What the tests do with the drivers themselves
(opening, enumerating, choosing values, comparing read-backs, the known driver bugs) is in ``drivers.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mtjhw.registry import registration
from mtjhw.simulators.bench import VirtualBench
from mtjhw.simulators.bench.models import build_dut
from mtjhw.simulators.transport import ScpiSocketServer, VirtualVisaLibrary

#: Read timeout of the TCP transport (ms): short, so that a query a twin does not answer fails fast.
TCP_TIMEOUT_MS = 1500

#: The DUT model each driver's twin is exercised on (the default: a pMTJ).
DUT_FOR = {"keysight-n9010b": "stno", "keysight-n9030b": "stno", "rs-fsw": "stno", "keithley707b": "array"}


@dataclass
class Served:
    """A virtual twin reachable as a VISA resource."""

    twin: Any  #: the virtual instrument (for direct inspection: ``twin.settings``, ``twin.errors``)
    bench: VirtualBench
    resource: str  #: VISA resource string to open
    visa_library: Any  #: the in-process library, or "@py" for TCP
    transport: str  #: "in-process" or "tcp"

    @property
    def pymeasure_kwargs(self) -> dict[str, Any]:
        """Adapter keywords for a PyMeasure driver (``Driver(served.resource, **served.pymeasure_kwargs)``)."""
        kwargs: dict[str, Any] = {"visa_library": self.visa_library}
        if self.transport == "tcp":
            kwargs["timeout"] = TCP_TIMEOUT_MS
        return kwargs

    @property
    def qcodes_kwargs(self) -> dict[str, Any]:
        """Keywords for a QCoDeS ``VisaInstrument`` (``Driver("name", served.resource, **served.qcodes_kwargs)``)."""
        return {"visalib": self.visa_library, "timeout": TCP_TIMEOUT_MS / 1000, "pyvisa_sim_file": None}


def make_twin(driver: str, seed: int = 5) -> tuple[Any, VirtualBench, str]:
    """The registered twin of ``driver`` on its own virtual bench, and its default resource string."""
    entry = registration(driver)
    bench = VirtualBench(build_dut({"model": DUT_FOR.get(driver, "pmtj")}), seed=seed)
    return entry.twin(bench), bench, entry.resource


@contextlib.contextmanager
def serve(driver: str, transport: str, seed: int = 5) -> Iterator[Served]:
    """The twin of ``driver`` served over ``transport`` ("in-process" or "tcp") until the block ends."""
    twin, bench, resource = make_twin(driver, seed)
    if transport == "in-process":
        library = VirtualVisaLibrary.for_instruments({resource: twin}, lock=bench.lock)
        yield Served(twin, bench, resource, library, transport)
        return
    with ScpiSocketServer(twin, lock=bench.lock) as server:
        yield Served(twin, bench, server.resource_name, "@py", transport)


@pytest.fixture(params=["in-process", "tcp"])
def transport(request: pytest.FixtureRequest) -> str:
    """Each conformance test runs over both transports."""
    return request.param


@pytest.fixture(autouse=True)
def _close_qcodes_instruments() -> Iterator[None]:
    """QCoDeS keeps instruments by name: close every one a test opened."""
    yield
    try:
        from qcodes.instrument import Instrument
    except ImportError:
        return
    Instrument.close_all()


def error_entries(twin: Any) -> list[tuple[int, str]]:
    """Every entry in the twin's error queue (the queue is emptied)."""
    entries = []
    while len(twin.errors):
        entries.append(twin.errors.pop())
    return entries


def assert_clean(twin: Any) -> None:
    """The twin's error queue is empty: nothing the driver sent was refused."""
    assert error_entries(twin) == []
