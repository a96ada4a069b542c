"""Raw-socket SCPI server for one virtual instrument, like a LAN instrument's port 5025.

Each client connection gets its own input framing: messages end at "\\n" ("\\r\\n" works too; definite-length
blocks may contain newlines), every response goes back to the client that asked, followed by the instrument's
own reply terminator (``handler.reply_termination``, "\\n" when it declares none). Clients
may connect and disconnect at any time and send garbage; the server never stops serving the others.

One asyncio event loop (a background thread) does all socket I/O; handler calls run in a small thread pool
under the bench lock, one message at a time, so a slow message delays only its own client's replies and the
loop keeps accepting, reading and writing for everyone else. Every buffer is bounded (see
:class:`ScpiSocketServer`): a message longer than ``max_message_bytes`` is discarded up to its terminator and
the instrument gets SCPI error -363 "Input buffer overrun", as a real parser would report it; a client that
sends faster than the instrument answers is paused (TCP backpressure); a client whose unread replies exceed
``max_output_bytes`` is disconnected.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

from mtjhw.simulators.transport.framing import MessageSplitter, terminate
from mtjhw.simulators.transport.handler import MessageHandler

logger = logging.getLogger(__name__)

DEFAULT_REPLY_TERMINATION = "\n"
INPUT_BUFFER_OVERRUN = (-363, "Input buffer overrun")
_BATCH = 32  #: messages of one client handled per pool task before other clients get a turn
_STOP_TIMEOUT = 5.0  #: s to wait for the loop to disconnect everyone on stop()


class _Overrun:
    """Queued in place of a message that was too long: the instrument gets -363 in message order."""


_OVERRUN = _Overrun()


class _Connection(asyncio.Protocol):
    """One client: framing, its queue of messages for the instrument, and its limits."""

    def __init__(self, owner: ScpiSocketServer) -> None:
        self.owner = owner
        self.splitter = MessageSplitter()
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.queue: deque[str | _Overrun] = deque()
        self.queued_bytes = 0
        self.partial_bytes = 0  # length of the partial message so far (less when a block in it holds newlines)
        self.discarding = False  # dropping an overlong message up to its terminator
        self.busy = False  # a pool task is handling this client's messages
        self.paused = False
        self.closed = False
        self.last_activity = time.monotonic()
        self.idle_timer: asyncio.TimerHandle | None = None

    # ---------------------------------------------------------------- asyncio callbacks (loop thread)
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = f"{host}:{port}"
        owner = self.owner
        _set_tcp_option(transport, socket.TCP_NODELAY)  # replies go out at once, as a LAN port's do
        if len(owner._connections) < owner.max_connections:
            self._admit()
        elif len(owner._waiting) < owner.max_waiting:
            logger.info("%s: client %s waits: %d clients connected (max_connections)",
                        owner.resource_name, self.peer, len(owner._connections))
            transport.pause_reading()
            owner._waiting.append(self)
        else:
            logger.warning("%s: client %s refused: %d clients connected and %d waiting",
                           owner.resource_name, self.peer, len(owner._connections), len(owner._waiting))
            self.closed = True
            transport.abort()

    def _admit(self) -> None:
        owner = self.owner
        owner._connections.add(self)
        logger.info("%s: client %s connected", owner.resource_name, self.peer)
        self.last_activity = time.monotonic()
        if owner.idle_timeout is not None:
            self.idle_timer = asyncio.get_running_loop().call_later(owner.idle_timeout, self._check_idle)
        self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        owner = self.owner
        if self in owner._waiting:
            owner._waiting.remove(self)
        if self not in owner._connections:
            return
        owner._connections.discard(self)
        if self.idle_timer is not None:
            self.idle_timer.cancel()
        logger.info("%s: client %s disconnected", owner.resource_name, self.peer)
        if owner._waiting and owner.running:
            owner._waiting.popleft()._admit()

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.last_activity = time.monotonic()
        _ack_now(self.transport)
        if self.discarding:
            end = data.find(b"\n")
            if end < 0:
                return
            self.discarding = False
            data = data[end + 1 :]
        messages = self.splitter.feed(data)
        if not self.splitter.pending:
            self.partial_bytes = 0
        elif messages:  # the partial message started after the last one's newline (a block may hold more)
            self.partial_bytes = len(data) - data.rfind(b"\n") - 1
        else:
            self.partial_bytes += len(data)
        limit = self.owner.max_message_bytes
        for message in messages:
            if len(message) > limit:  # it came whole in one read: too long all the same
                self._overrun(discard=False)
            else:
                self._enqueue(message, len(message))
        if self.partial_bytes > limit:
            self._overrun(discard=True)
        self._serve_next()

    # ---------------------------------------------------------------- internals (loop thread)
    def _overrun(self, discard: bool) -> None:
        """A message is over ``max_message_bytes``: queue -363 in its place; ``discard``: it is the partial one,
        drop it and the rest of it up to its newline."""
        logger.warning("%s: client %s sent a message over %d bytes: discarded up to its terminator (-363)",
                       self.owner.resource_name, self.peer, self.owner.max_message_bytes)
        if discard:
            self.splitter.clear()
            self.partial_bytes = 0
            self.discarding = True
        self._enqueue(_OVERRUN, 1)

    def _enqueue(self, item: str | _Overrun, size: int) -> None:
        self.queue.append(item)
        self.queued_bytes += size
        if not self.paused and self.queued_bytes > self.owner.max_message_bytes:
            self.paused = True  # the instrument is behind: stop reading, TCP flow control slows the client
            self.transport.pause_reading()

    def _serve_next(self) -> None:
        """Hand the next batch of queued messages to the pool, unless one is already being handled. Messages that
        arrived before the client hung up are still executed, as an instrument executes what it has received."""
        if self.busy or not self.queue:
            return
        batch = [self.queue.popleft() for _ in range(min(_BATCH, len(self.queue)))]
        self.queued_bytes -= sum(1 if item is _OVERRUN else len(item) for item in batch)
        self.busy = True
        self.owner._executor.submit(self.owner._handle_batch, self, batch)

    def batch_done(self, responses: list[bytes]) -> None:
        """Send a batch's responses (called in the loop thread once the pool has handled it)."""
        self.busy = False
        if self.closed:
            self._serve_next()  # the client is gone: execute what it sent, its replies go nowhere
            return
        if responses:
            self.last_activity = time.monotonic()
            self.transport.write(b"".join(responses))
            unread = self.transport.get_write_buffer_size()
            if unread > self.owner.max_output_bytes:
                logger.warning("%s: client %s disconnected: %d bytes of replies unread (max_output_bytes)",
                               self.owner.resource_name, self.peer, unread)
                self.closed = True
                self.transport.abort()
                return
        if self.paused and self.queued_bytes <= self.owner.max_message_bytes // 2:
            self.paused = False
            self.transport.resume_reading()
        self._serve_next()

    def _check_idle(self) -> None:
        timeout = self.owner.idle_timeout
        assert timeout is not None
        idle = time.monotonic() - self.last_activity
        if self.closed:
            return
        if idle >= timeout and not self.busy and not self.queue:
            logger.info("%s: client %s idle for %.0f s: disconnecting (idle_timeout)",
                        self.owner.resource_name, self.peer, idle)
            self.hang_up()
            return
        self.idle_timer = asyncio.get_running_loop().call_later(max(timeout - idle, 0.01), self._check_idle)

    def hang_up(self) -> None:
        """Disconnect at once (server stop, idle timeout): a clean FIN where possible, then drop what is unsent."""
        try:
            self.transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.transport.abort()


def _ack_now(transport: asyncio.BaseTransport | None) -> None:
    """Acknowledge received data at once (Linux TCP_QUICKACK, cleared by the kernel after each use): a client
    writing two commands in a row with Nagle on would otherwise wait ~40 ms for the delayed ACK."""
    if hasattr(socket, "TCP_QUICKACK") and transport is not None:
        _set_tcp_option(transport, socket.TCP_QUICKACK)


def _set_tcp_option(transport: asyncio.BaseTransport, option: int) -> None:
    sock = transport.get_extra_info("socket")
    try:
        sock.setsockopt(socket.IPPROTO_TCP, option, 1)
    except OSError:  # the client is already gone
        pass


class ScpiSocketServer:
    """Serves ``handler`` over TCP at ``host``:``port`` (``port=0``: a free port, see ``.port``).

    ``lock``: the bench lock held around every ``handler.handle()`` call; a private RLock when None.
    The default ``host`` is loopback; pass another address (e.g. "0.0.0.0") only to expose the instrument
    on a network.

    Limits (keyword-only):

    - ``max_connections``: clients served at once; more are accepted but wait, unread, in arrival order
      for a client to disconnect.
    - ``max_waiting``: clients that may wait so; one more is closed at once (logged as a warning).
    - ``backlog``: connections the kernel queues before the server accepts them (Linux caps it at
      ``net.core.somaxconn``).
    - ``max_message_bytes``: longest program message (bytes, 1 MiB); a longer one is discarded up to its
      newline and the instrument gets -363 "Input buffer overrun" (via ``handler.push_error(code, message)``,
      where the handler has one). Also the most bytes of received messages a client may have waiting for the
      instrument before the server stops reading from it.
    - ``max_output_bytes``: most bytes of replies a client may leave unread in the server (16 MiB, beyond what
      the kernel's socket buffers hold); then it is disconnected.
    - ``idle_timeout``: seconds without traffic after which a client is disconnected; None (the default)
      never, because drivers legitimately hold an instrument's connection open for hours between runs.
    - ``workers``: threads that call the handler. Calls are serialised by ``lock`` anyway; with one (the
      default) messages of all clients are executed in the order they arrived, as by one instrument.
    """

    def __init__(
        self,
        handler: MessageHandler,
        host: str = "127.0.0.1",
        port: int = 0,
        lock: threading.RLock | None = None,
        *,
        max_connections: int = 128,
        max_waiting: int = 128,
        backlog: int = 512,
        max_message_bytes: int = 1 << 20,
        max_output_bytes: int = 16 << 20,
        idle_timeout: float | None = None,
        workers: int = 1,
    ) -> None:
        if not callable(getattr(handler, "handle", None)):
            raise ValueError("handler must have a handle(message) method")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {port}")
        for name, value in (("max_connections", max_connections), ("max_waiting", max_waiting),
                            ("backlog", backlog), ("workers", workers),
                            ("max_message_bytes", max_message_bytes), ("max_output_bytes", max_output_bytes)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if idle_timeout is not None and idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be positive or None, got {idle_timeout}")
        self.handler = handler
        self._termination = getattr(handler, "reply_termination", DEFAULT_REPLY_TERMINATION).encode()
        self.host = host
        self._requested_port = port
        self._lock = lock if lock is not None else threading.RLock()
        self.max_connections = max_connections
        self.max_waiting = max_waiting
        self.backlog = backlog
        self.max_message_bytes = max_message_bytes
        self.max_output_bytes = max_output_bytes
        self.idle_timeout = idle_timeout
        self.workers = workers
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor
        self._connections: set[_Connection] = set()
        self._waiting: deque[_Connection] = deque()

    @property
    def port(self) -> int:
        """The TCP port being served (valid after ``start()``)."""
        if self._port is None:
            raise RuntimeError("server is not started")
        return self._port

    @property
    def resource_name(self) -> str:
        """VISA resource string a client opens, e.g. ``TCPIP::127.0.0.1::5025::SOCKET``."""
        return f"TCPIP::{self.host}::{self.port}::SOCKET"

    @property
    def running(self) -> bool:
        return self._loop is not None

    @property
    def connections(self) -> int:
        """Clients connected now."""
        return len(self._connections)

    def start(self) -> ScpiSocketServer:
        """Bind (raising OSError at once if the port is taken) and serve in a background thread; returns self."""
        if self._loop is not None:
            raise RuntimeError("server is already started")
        sock = socket.create_server((self.host, self._requested_port), backlog=self.backlog)  # SO_REUSEADDR
        loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Connection(self), sock=sock, backlog=self.backlog)
            )
        except BaseException:
            loop.close()
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix=f"scpi-handler-{self._port}")
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=f"scpi-server-{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, disconnect every client and wait for the loop and handler threads to end."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shut_down(), loop).result(timeout=_STOP_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join()
        self._thread = None
        self._executor.shutdown(wait=True, cancel_futures=True)
        loop.close()
        self._server = None
        self._port = None

    async def _shut_down(self) -> None:
        assert self._server is not None
        self._server.close()
        for connection in [*self._waiting, *self._connections]:
            connection.hang_up()
        await asyncio.sleep(0)  # let connection_lost run
        await self._server.wait_closed()

    def __enter__(self) -> ScpiSocketServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- handler calls (pool threads)
    def _handle_batch(self, connection: _Connection, batch: list[str | _Overrun]) -> None:
        """Handle ``batch`` in order (also after the client hung up: an instrument executes what it has received),
        then pass the responses back to the loop thread."""
        responses = []
        for item in batch:
            if isinstance(item, _Overrun):
                self._push_overrun()
                continue
            response = self._respond(item)
            if response is not None:
                responses.append(response)
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(connection.batch_done, responses)
        except RuntimeError:  # the loop closed meanwhile (server stopping)
            pass

    def _push_overrun(self) -> None:
        push_error = getattr(self.handler, "push_error", None)
        if callable(push_error):
            with self._lock:
                push_error(*INPUT_BUFFER_OVERRUN)

    def _respond(self, message: str) -> bytes | None:
        """The terminated response to ``message``, or None. A handler that raises is logged, not fatal."""
        try:
            with self._lock:
                response = self.handler.handle(message)
        except Exception:
            logger.exception("handler raised on message %r", message)
            return None
        if response is None:
            return None
        return terminate(response, self._termination)


def serve_forever(
    servers: Iterable[ScpiSocketServer],
    stop_event: threading.Event | None = None,
    poll_interval: float = 0.1,
) -> None:
    """Start ``servers`` and block until KeyboardInterrupt (Ctrl-C, SIGINT), SIGTERM (when called from the
    main thread) or ``stop_event`` is set; then stop them all. Servers already running are left running on
    entry but are stopped on exit."""
    servers = list(servers)
    stop_event = stop_event if stop_event is not None else threading.Event()
    previous = _stop_on_sigterm(stop_event)
    try:
        for server in servers:
            if not server.running:
                server.start()
        while not stop_event.wait(poll_interval):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm(stop_event: threading.Event) -> Any:
    """Make SIGTERM set ``stop_event`` (as a service manager stops a service); the previous handler, or None
    where signals cannot be handled (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda signum, frame: stop_event.set())
