"""Transports by which drivers reach virtual instruments: the VISA resource string seam.

In process (fast, for tests)::

    lock = threading.RLock()                      # the virtual bench's lock, shared by all its instruments
    lib = VirtualVisaLibrary.for_instruments({"USB0::0x05E6::0x2450::04096331::INSTR": smu}, lock=lock)
    rm = pyvisa.ResourceManager(lib)              # or pymeasure.adapters.VISAAdapter(name, visa_library=lib)
    smu_resource = rm.open_resource("USB0::0x05E6::0x2450::04096331::INSTR")

Over TCP, like a LAN instrument's raw SCPI port (any VISA client, e.g. pyvisa-py ``"@py"``)::

    with ScpiSocketServer(smu, lock=lock) as server:     # loopback, free port
        rm = pyvisa.ResourceManager("@py")
        inst = rm.open_resource(server.resource_name, read_termination="\\n", write_termination="\\n")

``serve_forever([server, ...])`` runs several servers until Ctrl-C. A handler is any object with
``handle(message) -> str | bytes | None`` (see :class:`MessageHandler`).
"""

from mtjhw.simulators.transport.handler import EndOnly, MessageHandler
from mtjhw.simulators.transport.tcp_server import ScpiSocketServer, serve_forever
from mtjhw.simulators.transport.visa_library import VirtualVisaLibrary

__all__ = ["EndOnly", "MessageHandler", "ScpiSocketServer", "VirtualVisaLibrary", "serve_forever"]
