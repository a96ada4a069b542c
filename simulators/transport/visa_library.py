"""In-process PyVISA backend that connects VISA resource strings to virtual instruments.

``VirtualVisaLibrary.for_instruments({resource_name: handler}, lock=bench_lock)`` gives a library object to
pass to ``pyvisa.ResourceManager(...)`` or ``pymeasure.adapters.VISAAdapter(name, visa_library=...)``.
Each call makes a new, independent library (one per virtual bench).

Behaviour a driver sees (matching a USBTMC/GPIB instrument as far as it matters to drivers):

- Writes are cut into program messages at newline (and at the last character of the resource's
  ``write_termination``); with ``send_end`` on (the default) the end of a write also ends a message, as the
  END indicator does on GPIB/USB. Each message goes to ``handler.handle()`` while holding the bench lock.
- Every response is queued in the instrument's output queue followed by the opening resource's
  ``read_termination`` ("\\n" when it has none); several queued responses are read one per ``read()``.
  Reads end at the END of a response, or earlier at the termination character when ``termchar_en`` is on.
  ``::SOCKET`` resources have no END, as on a LAN port: without a read termination a read times out (set
  ``read_termination="\\n"``), exactly as pyvisa-py against :class:`ScpiSocketServer` or a real instrument.
- A read with nothing queued raises ``VisaIOError(VI_ERROR_TMO)`` at once (simulated time: nothing can
  arrive later), whatever the timeout.
- ``clear()`` calls ``handler.device_clear()`` (when present) and drops queued output and partial input;
  ``read_stb()`` returns ``handler.status_byte()`` with MAV (bit 4) set while output is queued.
- Closing the last resource-manager session closes every instrument session, as VISA does; closing such a
  session again afterwards succeeds quietly (as pyvisa-py's does), so a driver finalised after its manager
  (garbage collection's order) reports nothing, while any other call on it is ``VI_ERROR_INV_OBJECT``.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections import deque
from collections.abc import Mapping
from typing import Any

from pyvisa import attributes, constants, rname
from pyvisa.highlevel import VisaLibraryBase

from mtjhw.simulators.transport.framing import MessageSplitter, terminate
from mtjhw.simulators.transport.handler import MessageHandler

StatusCode = constants.StatusCode
_Buffer = constants.BufferOperation

#: Status byte bit "message available" (IEEE 488.2 §11.2.1.2).
MAV_BIT = 0x10

_DEFAULT_RESPONSE_TERMINATION = "\n"
_library_numbers = itertools.count(1)


class _Device:
    """One virtual instrument behind a resource name: its handler, partial input and output queue."""

    def __init__(self, name: str, handler: MessageHandler) -> None:
        self.name = name
        self.handler = handler
        self.parsed = rname.ResourceName.from_string(name)
        self.splitter = MessageSplitter()
        self.output: deque[bytearray] = deque()
        self.partly_read = False  # the front response has been read in part

    def process(self, messages: list[str], termination: bytes) -> None:
        for message in messages:
            response = self.handler.handle(message)
            if response is not None:
                self.output.append(bytearray(terminate(response, termination)))

    def clear(self) -> None:
        device_clear = getattr(self.handler, "device_clear", None)
        if device_clear is not None:
            device_clear()
        self.splitter.clear()
        self.output.clear()
        self.partly_read = False


class _Session:
    """An open session on a device: per-session VISA attributes."""

    def __init__(self, device: _Device, attrs: dict[int, Any]) -> None:
        self.device = device
        self.attrs = attrs
        self.resource: weakref.ReferenceType | None = None  # the pyvisa Resource, once found
        self.is_socket = device.parsed.resource_class == "SOCKET"  # a byte stream without END


class VirtualVisaLibrary(VisaLibraryBase):
    """PyVISA library whose resources are in-process virtual instruments (see module docstring)."""

    _lock: threading.RLock
    _devices: dict[str, _Device]
    _names: dict[str, str]
    _rm_sessions: set[int]
    _sessions: dict[int, _Session]
    _session_numbers: itertools.count

    @classmethod
    def for_instruments(
        cls, instruments: Mapping[str, MessageHandler], lock: threading.RLock | None = None
    ) -> VirtualVisaLibrary:
        """A new library serving ``instruments`` (resource string -> handler) under ``lock``.

        ``lock``: the bench lock held around every call into a handler; a private RLock when None.
        """
        library = cls(f"mtjhw-virtual-visa-{next(_library_numbers)}")
        if lock is not None:
            library._lock = lock
        for name, handler in instruments.items():
            library.add_instrument(name, handler)
        return library

    def _init(self) -> None:
        self._lock = threading.RLock()
        self._devices = {}  # canonical resource name -> device
        self._names = {}  # canonical resource name -> name as registered (what list_resources shows)
        self._rm_sessions = set()
        self._sessions = {}
        self._closed_with_manager: set[int] = set()
        self._session_numbers = itertools.count(1)

    @staticmethod
    def get_debug_info() -> list[str]:
        return ["mtjhw in-process virtual instruments"]

    def add_instrument(self, resource_name: str, handler: MessageHandler) -> None:
        """Serve ``handler`` at ``resource_name`` (any VISA resource string, e.g. ``GPIB0::24::INSTR``)."""
        if not callable(getattr(handler, "handle", None)):
            raise ValueError(f"handler for {resource_name!r} must have a handle(message) method")
        try:
            canonical = rname.to_canonical_name(resource_name)
        except rname.InvalidResourceName as error:
            message = f"resource_name {resource_name!r} is not a valid VISA resource string"
            raise ValueError(message) from error
        with self._lock:
            if canonical in self._devices:
                raise ValueError(f"resource_name {resource_name!r} is already served by this library")
            self._devices[canonical] = _Device(canonical, handler)
            self._names[canonical] = resource_name

    # --- resource manager ---

    def open_default_resource_manager(self) -> tuple[int, StatusCode]:
        with self._lock:
            session = next(self._session_numbers)
            self._rm_sessions.add(session)
        return session, self.handle_return_value(session, StatusCode.success)

    def list_resources(self, session: int, query: str = "?*::INSTR") -> tuple[str, ...]:
        with self._lock:
            self._check_rm(session)
            return rname.filter(self._names.values(), query)

    def open(
        self,
        session: int,
        resource_name: str,
        access_mode: constants.AccessModes = constants.AccessModes.no_lock,
        open_timeout: int = constants.VI_TMO_IMMEDIATE,
    ) -> tuple[int, StatusCode]:
        with self._lock:
            self._check_rm(session)
            if access_mode & (constants.AccessModes.exclusive_lock | constants.AccessModes.shared_lock):
                return 0, self.handle_return_value(session, StatusCode.error_nonsupported_operation)
            try:
                canonical = rname.to_canonical_name(resource_name)
            except rname.InvalidResourceName:
                return 0, self.handle_return_value(session, StatusCode.error_invalid_resource_name)
            device = self._devices.get(canonical)
            if device is None:
                return 0, self.handle_return_value(session, StatusCode.error_resource_not_found)
            new_session = next(self._session_numbers)
            self._sessions[new_session] = _Session(device, _initial_attributes(device.parsed, session))
        return new_session, self.handle_return_value(new_session, StatusCode.success)

    def close(self, session: int) -> StatusCode:
        with self._lock:
            if session in self._rm_sessions:
                self._rm_sessions.discard(session)
                if not self._rm_sessions:
                    self._closed_with_manager.update(self._sessions)
                    self._sessions.clear()
            elif session in self._closed_with_manager:
                self._closed_with_manager.discard(session)
            elif self._sessions.pop(session, None) is None:
                return self.handle_return_value(None, StatusCode.error_invalid_object)
        return self.handle_return_value(None, StatusCode.success)

    # --- message-based I/O --------------------------------------------------------------------------------

    def write(self, session: int, data: bytes) -> tuple[int, StatusCode]:
        with self._lock:
            state = self._session(session)
            device = state.device
            resource = self._resource(session, state)
            write_termination = getattr(resource, "write_termination", None) or ""
            device.splitter.set_extra_terminator(write_termination[-1:] or None)
            messages = device.splitter.feed(bytes(data))
            if state.attrs[constants.VI_ATTR_SEND_END_EN]:
                messages += device.splitter.finish()
            read_termination = getattr(resource, "read_termination", None) or _DEFAULT_RESPONSE_TERMINATION
            device.process(messages, read_termination.encode(self._encoding(resource)))
        return len(data), self.handle_return_value(session, StatusCode.success)

    def read(self, session: int, count: int) -> tuple[bytes, StatusCode]:
        with self._lock:
            state = self._session(session)
            device = state.device
            term_enabled = state.attrs[constants.VI_ATTR_TERMCHAR_EN]
            if state.is_socket and not term_enabled:
                return self._read_socket_stream(session, device, count)
            if not device.output:
                return b"", self.handle_return_value(session, StatusCode.error_timeout)
            front = device.output[0]
            chunk = bytes(front[:count])
            termchar = state.attrs[constants.VI_ATTR_TERMCHAR]
            if term_enabled:
                stop = chunk.find(bytes([termchar]))
                if stop >= 0:
                    chunk = chunk[: stop + 1]
            del front[: len(chunk)]
            device.partly_read = bool(front)
            if not front:
                device.output.popleft()
            if term_enabled and chunk.endswith(bytes([termchar])):
                status = StatusCode.success_termination_character_read
            elif not front:
                status = StatusCode.success
            else:
                status = StatusCode.success_max_count_read
        return chunk, self.handle_return_value(session, status)

    def _read_socket_stream(self, session: int, device: _Device, count: int) -> tuple[bytes, StatusCode]:
        """A raw socket has no END: without a termination character a read returns only once ``count``
        bytes have come, so reading less than is queued times out and loses the queued bytes."""
        available = sum(len(response) for response in device.output)
        if available < count or count <= 0:
            device.output.clear()
            device.partly_read = False
            return b"", self.handle_return_value(session, StatusCode.error_timeout)
        chunk = bytearray()
        cut = False
        while len(chunk) < count:
            front = device.output[0]
            taken = front[: count - len(chunk)]
            chunk += taken
            del front[: len(taken)]
            cut = bool(front)
            if not cut:
                device.output.popleft()
        device.partly_read = cut
        return bytes(chunk), self.handle_return_value(session, StatusCode.success_max_count_read)

    def clear(self, session: int) -> StatusCode:
        with self._lock:
            self._session(session).device.clear()
        return self.handle_return_value(session, StatusCode.success)

    def flush(self, session: int, mask: constants.BufferOperation) -> StatusCode:
        """Discard read data: the rest of a partly read response (read buffer) or all queued output
        (receive buffer, as for serial/socket). Writes are never buffered, so write flushes do nothing."""
        with self._lock:
            device = self._session(session).device
            if mask & (_Buffer.discard_receive_buffer | _Buffer.discard_receive_buffer2):
                device.output.clear()
                device.partly_read = False
            elif mask & (_Buffer.discard_read_buffer | _Buffer.discard_read_buffer_no_io):
                if device.partly_read:
                    device.output.popleft()
                    device.partly_read = False
        return self.handle_return_value(session, StatusCode.success)

    def read_stb(self, session: int) -> tuple[int, StatusCode]:
        with self._lock:
            device = self._session(session).device
            status_byte = getattr(device.handler, "status_byte", None)
            if status_byte is None:
                return 0, self.handle_return_value(session, StatusCode.error_nonsupported_operation)
            value = int(status_byte()) | (MAV_BIT if device.output else 0)
        return value, self.handle_return_value(session, StatusCode.success)

    def assert_trigger(self, session: int, protocol: constants.TriggerProtocol) -> StatusCode:
        """Group Execute Trigger, which IEEE 488.2 defines as equivalent to ``*TRG``."""
        with self._lock:
            state = self._session(session)
            device = state.device
            resource = self._resource(session, state)
            read_termination = getattr(resource, "read_termination", None) or _DEFAULT_RESPONSE_TERMINATION
            device.process(["*TRG"], read_termination.encode(self._encoding(resource)))
        return self.handle_return_value(session, StatusCode.success)

    def gpib_control_ren(self, session: int, mode: constants.RENLineOperation) -> StatusCode:
        """Accepted and without effect: virtual instruments have no front-panel local state."""
        with self._lock:
            self._session(session)
        return self.handle_return_value(session, StatusCode.success)

    # --- attributes and events ---

    def get_attribute(self, session: int, attribute: int) -> tuple[Any, StatusCode]:
        with self._lock:
            attrs = self._session(session).attrs
            if attribute not in attrs:
                return None, self.handle_return_value(session, StatusCode.error_nonsupported_attribute)
            return attrs[attribute], self.handle_return_value(session, StatusCode.success)

    def set_attribute(self, session: int, attribute: int, attribute_state: Any) -> StatusCode:
        with self._lock:
            state = self._session(session)
            info = attributes.AttributesByID.get(attribute)
            if info is None or attribute not in state.attrs:
                return self.handle_return_value(session, StatusCode.error_nonsupported_attribute)
            if not info.write:
                return self.handle_return_value(session, StatusCode.error_attribute_read_only)
            state.attrs[attribute] = attribute_state
        return self.handle_return_value(session, StatusCode.success)

    def disable_event(self, session: int, event_type: Any, mechanism: Any) -> StatusCode:
        """No events are ever enabled on a virtual instrument, so there is nothing to disable (on a session
        closed with its manager too: a resource's close switches its events off first)."""
        with self._lock:
            if session not in self._closed_with_manager:
                self._session(session)
        return self.handle_return_value(session, StatusCode.success)

    def discard_events(self, session: int, event_type: Any, mechanism: Any) -> StatusCode:
        """No events are ever queued on a virtual instrument, so there is nothing to discard (on a session
        closed with its manager too)."""
        with self._lock:
            if session not in self._closed_with_manager:
                self._session(session)
        return self.handle_return_value(session, StatusCode.success)

    # --- helpers ---

    def _check_rm(self, session: int) -> None:
        if session not in self._rm_sessions:
            self.handle_return_value(None, StatusCode.error_invalid_object)

    def _session(self, session: int) -> _Session:
        state = self._sessions.get(session)
        if state is None:
            self.handle_return_value(None, StatusCode.error_invalid_object)
        return state

    def _resource(self, session: int, state: _Session) -> Any:
        """The pyvisa Resource that owns ``session`` (for its terminations); None for a bare session."""
        if state.resource is not None:
            return state.resource()
        manager = self.resource_manager
        if manager is None:
            return None
        for resource in manager.list_opened_resources():
            if resource.session == session:
                state.resource = weakref.ref(resource)
                return resource
        return None

    @staticmethod
    def _encoding(resource: Any) -> str:
        return getattr(resource, "encoding", None) or "ascii"


def _initial_attributes(parsed: rname.ResourceName, rm_session: int) -> dict[int, Any]:
    """VISA attributes of a fresh session on ``parsed``: pyvisa's documented defaults plus identity values."""
    key = (parsed.interface_type_const, parsed.resource_class)
    attrs: dict[int, Any] = {}
    per_resource = attributes.AttributesPerResource
    for attr in per_resource[key] | per_resource[attributes.AllSessionTypes]:
        if attr.default is not attributes.NotAvailable:
            attrs[attr.attribute_id] = attr.default
    board = getattr(parsed, "board", None)
    attrs.update(
        {
            constants.VI_ATTR_RSRC_NAME: str(parsed),
            constants.VI_ATTR_RSRC_CLASS: parsed.resource_class,
            constants.VI_ATTR_INTF_TYPE: parsed.interface_type_const,
            constants.VI_ATTR_INTF_NUM: int(board) if board is not None and str(board).isdigit() else 0,
            constants.VI_ATTR_RSRC_MANF_NAME: "mtjhw",
            constants.VI_ATTR_RSRC_MANF_ID: 0,
            constants.VI_ATTR_RSRC_IMPL_VERSION: 0x00100000,
            constants.VI_ATTR_RM_SESSION: rm_session,
            constants.VI_ATTR_TERMCHAR: attrs.get(constants.VI_ATTR_TERMCHAR, ord("\n")),
            constants.VI_ATTR_TERMCHAR_EN: attrs.get(constants.VI_ATTR_TERMCHAR_EN, False),
            constants.VI_ATTR_SEND_END_EN: attrs.get(constants.VI_ATTR_SEND_END_EN, True),
        }
    )
    if isinstance(parsed, rname.USBInstr):
        attrs[constants.VI_ATTR_MANF_ID] = int(parsed.manufacturer_id, 0)
        attrs[constants.VI_ATTR_MODEL_CODE] = int(parsed.model_code, 0)
        attrs[constants.VI_ATTR_USB_SERIAL_NUM] = parsed.serial_number
        attrs[constants.VI_ATTR_USB_INTFC_NUM] = int(parsed.usb_interface_number)
        attrs[constants.VI_ATTR_4882_COMPLIANT] = True
    elif isinstance(parsed, rname.GPIBInstr):
        attrs[constants.VI_ATTR_GPIB_PRIMARY_ADDR] = int(parsed.primary_address)
        attrs[constants.VI_ATTR_GPIB_SECONDARY_ADDR] = (
            int(parsed.secondary_address) if parsed.secondary_address else constants.VI_NO_SEC_ADDR
        )
    elif isinstance(parsed, rname.TCPIPSocket):
        attrs[constants.VI_ATTR_TCPIP_ADDR] = parsed.host_address
        attrs[constants.VI_ATTR_TCPIP_HOSTNAME] = parsed.host_address
        attrs[constants.VI_ATTR_TCPIP_PORT] = int(parsed.port)
    elif isinstance(parsed, rname.TCPIPInstr):
        attrs[constants.VI_ATTR_TCPIP_ADDR] = parsed.host_address
        attrs[constants.VI_ATTR_TCPIP_HOSTNAME] = parsed.host_address
        attrs[constants.VI_ATTR_TCPIP_DEVICE_NAME] = parsed.lan_device_name
    return attrs
