"""Raw-socket SCPI server for one virtual instrument, like a LAN instrument's port 5025.

Each client connection gets its own input framing: messages end at "\\n" ("\\r\\n" works too; definite-length
blocks may contain newlines), every response goes back to the client that asked, followed by the instrument's
own reply terminator (``handler.reply_termination``, "\\n" when it declares none). Clients
may connect and disconnect at any time and send garbage; the server never stops serving the others.
"""

from __future__ import annotations

import logging
import signal
import socket
import socketserver
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from mtjhw.simulators.transport.framing import MessageSplitter, terminate
from mtjhw.simulators.transport.handler import MessageHandler

logger = logging.getLogger(__name__)

DEFAULT_REPLY_TERMINATION = "\n"
_RECV_BYTES = 65536


class _Connection(socketserver.BaseRequestHandler):
    server: _ThreadingServer

    def handle(self) -> None:
        owner = self.server.owner
        splitter = MessageSplitter()
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # replies go out at once, as a LAN port's do
        owner._track(sock, add=True)
        host, port = self.client_address[:2]
        peer, name = f"{host}:{port}", owner.resource_name
        logger.info("%s: client %s connected", name, peer)
        try:
            while not owner._stopping.is_set():
                try:
                    data = sock.recv(_RECV_BYTES)
                except OSError:
                    return
                if not data:
                    return
                _ack_now(sock)
                for message in splitter.feed(data):
                    response = owner._respond(message)
                    if response is not None:
                        try:
                            sock.sendall(response)
                        except OSError:
                            return
        finally:
            owner._track(sock, add=False)
            logger.info("%s: client %s disconnected", name, peer)


def _ack_now(sock: socket.socket) -> None:
    """Acknowledge received data at once (Linux TCP_QUICKACK, cleared by the kernel after each use): a client
    writing two commands in a row with Nagle on would otherwise wait ~40 ms for the delayed ACK."""
    if hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = True

    def __init__(self, address: tuple[str, int], owner: ScpiSocketServer) -> None:
        self.owner = owner
        super().__init__(address, _Connection)


class ScpiSocketServer:
    """Serves ``handler`` over TCP at ``host``:``port`` (``port=0``: a free port, see ``.port``).

    ``lock``: the bench lock held around every ``handler.handle()`` call; a private RLock when None.
    The default ``host`` is loopback; pass another address (e.g. "0.0.0.0") only to expose the instrument
    on a network.
    """

    def __init__(
        self,
        handler: MessageHandler,
        host: str = "127.0.0.1",
        port: int = 0,
        lock: threading.RLock | None = None,
    ) -> None:
        if not callable(getattr(handler, "handle", None)):
            raise ValueError("handler must have a handle(message) method")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be in 0..65535, got {port}")
        self.handler = handler
        self._termination = getattr(handler, "reply_termination", DEFAULT_REPLY_TERMINATION).encode()
        self.host = host
        self._requested_port = port
        self._lock = lock if lock is not None else threading.RLock()
        self._server: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None
        self._clients: set[socket.socket] = set()
        self._clients_lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The TCP port being served (valid after ``start()``)."""
        if self._server is None:
            raise RuntimeError("server is not started")
        return self._server.server_address[1]

    @property
    def resource_name(self) -> str:
        """VISA resource string a client opens, e.g. ``TCPIP::127.0.0.1::5025::SOCKET``."""
        return f"TCPIP::{self.host}::{self.port}::SOCKET"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> ScpiSocketServer:
        """Bind and start serving in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("server is already started")
        self._stopping.clear()
        self._server = _ThreadingServer((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"scpi-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, disconnect every client and wait for the connection threads to end."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        self._stopping.set()
        with self._clients_lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()  # joins the connection threads (block_on_close)
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> ScpiSocketServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

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

    def _track(self, sock: socket.socket, add: bool) -> None:
        with self._clients_lock:
            if add:
                self._clients.add(sock)
            else:
                self._clients.discard(sock)


def serve_forever(
    servers: Iterable[ScpiSocketServer],
    stop_event: threading.Event | None = None,
    poll_interval: float = 0.1,
) -> None:
    """Start ``servers`` and block until KeyboardInterrupt (Ctrl-C), SIGTERM (when called from the main
    thread) or ``stop_event`` is set; then stop them all. Servers already running are left running on entry
    but are stopped on exit."""
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
