"""The TCP server under load and abuse: many clients with churn beside a flooder, a byte-by-byte sender and a
client that never reads; message and output limits, the connection cap, idle timeouts, a slow handler."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transport_fakes import IDN, FakeInstrument

from mtjhw.simulators.bench import PerpendicularMTJ, VirtualBench
from mtjhw.simulators.instruments import Keithley2450
from mtjhw.simulators.transport import ScpiSocketServer
from mtjhw.simulators.transport.tcp_server import INPUT_BUFFER_OVERRUN

BIG = "x" * 65536


class ErrorQueueInstrument(FakeInstrument):
    """A fake with an SCPI error queue, a 64 KiB reply (``BIG?``) and a 0.5 s query (``SLOW?``)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[tuple[int, str]] = []

    def push_error(self, code: int, message: str) -> None:
        self.errors.append((code, message))

    def handle(self, message: str) -> str | bytes | None:
        if message == "BIG?":
            return BIG
        if message == "SLOW?":
            time.sleep(0.5)
        return super().handle(message)


def connect(server: ScpiSocketServer, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def query(sock: socket.socket, message: bytes) -> bytes:
    sock.sendall(message + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        assert chunk, "server closed the connection"
        data += chunk
    return data[:-1]


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server has closed ``sock`` (EOF or reset) within the socket's timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


async def churning_client(port: int, sessions: int, queries: int, latencies: list[float]) -> None:
    """``sessions`` connections in turn, each ``queries`` ``*IDN?`` round trips; records each reply's delay
    (the first one's from the start of connecting)."""
    for _ in range(sessions):
        start = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(queries):
            writer.write(b"*IDN?\n")
            assert await reader.readline() == IDN.encode() + b"\n"
            latencies.append(time.perf_counter() - start)
            start = time.perf_counter()
        writer.close()
        await writer.wait_closed()


async def byte_by_byte_client(port: int, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(3):
        for byte in b"*IDN?\n":
            writer.write(bytes([byte]))
            await asyncio.sleep(0.01)
        start = time.perf_counter()
        assert await reader.readline() == IDN.encode() + b"\n"
        latencies.append(time.perf_counter() - start)
    writer.close()


async def flooder(port: int, megabytes: int) -> bytes:
    """Sends ``megabytes`` MB without a terminator, then a newline and ``*IDN?``; returns the reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    chunk = b"A" * 65536
    for _ in range(megabytes * 1_000_000 // len(chunk)):
        writer.write(chunk)
        await writer.drain()
    writer.write(b"\n*IDN?\n")
    reply = await reader.readline()
    writer.close()
    return reply


def never_reading_client(port: int, outcome: list[str]) -> None:
    """Asks for 64 KiB replies and never reads them, until the server drops it (or 10 s pass)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            sock.sendall(b"BIG?\n" * 20)
            time.sleep(0.02)
        outcome.append("still connected")
    except OSError:  # reset by the server
        outcome.append("dropped")
    finally:
        sock.close()


def test_a_hundred_churning_clients_beside_a_flooder_a_trickler_and_a_non_reader():
    instrument = ErrorQueueInstrument()
    n_clients, sessions, queries = 120, 3, 3
    latencies: list[float] = []
    slow_latencies: list[float] = []
    outcome: list[str] = []
    with ScpiSocketServer(instrument, max_output_bytes=1 << 20) as server:
        non_reader = threading.Thread(target=never_reading_client, args=(server.port, outcome))
        non_reader.start()

        async def main() -> bytes:
            clients = [churning_client(server.port, sessions, queries, latencies) for _ in range(n_clients)]
            results = await asyncio.gather(flooder(server.port, 10), byte_by_byte_client(server.port, slow_latencies),
                                           *clients)
            return results[0]

        flood_reply = asyncio.run(asyncio.wait_for(main(), timeout=15))
        non_reader.join()
        assert len(latencies) == n_clients * sessions * queries
        assert max(latencies) < 1.0, f"slowest reply {max(latencies):.3f} s"
        assert len(slow_latencies) == 3 and max(slow_latencies) < 1.0
        assert flood_reply == IDN.encode() + b"\n"  # the 10 MB message was dropped, the next one answered
        assert instrument.errors == [INPUT_BUFFER_OVERRUN]
        assert outcome == ["dropped"]
        with connect(server) as sock:
            assert query(sock, b"*IDN?") == IDN.encode()


def test_overlong_message_is_discarded_up_to_its_terminator_and_reported_as_minus_363():
    instrument = ErrorQueueInstrument()
    with ScpiSocketServer(instrument, max_message_bytes=1000) as server, connect(server) as sock:
        sock.sendall(b"A" * 998)
        time.sleep(0.05)
        assert query(sock, b"?") == b"A" * 998 + b"?"  # 999 bytes: within the limit
        sock.sendall(b"B" * 1001)
        time.sleep(0.05)
        sock.sendall(b"B;STILL THE SAME MESSAGE\nVOLT 2\n")
        assert query(sock, b"VOLT?") == b"2"
        assert instrument.errors == [INPUT_BUFFER_OVERRUN]
        assert not any(message.startswith("B") for message in instrument.messages)


def test_overrun_reaches_a_scpi_twins_error_queue():
    bench = VirtualBench(PerpendicularMTJ())
    with ScpiSocketServer(Keithley2450(bench), lock=bench.lock, max_message_bytes=4096) as server:
        with connect(server) as sock:
            sock.sendall(b":SOUR:VOLT " + b"1" * 10000)
            time.sleep(0.05)
            sock.sendall(b"\n")
            assert query(sock, b":SYST:ERR?") == b'-363,"Input buffer overrun"'
            assert query(sock, b":SYST:ERR?") == b'0,"No error"'


def test_clients_beyond_the_cap_wait_their_turn_and_beyond_the_waiting_room_are_refused():
    with ScpiSocketServer(FakeInstrument(), max_connections=3, max_waiting=1) as server:
        first, *others = [connect(server) for _ in range(3)]
        assert all(query(sock, b"*IDN?") == IDN.encode() for sock in [first, *others])
        waiting = connect(server, timeout=0.3)
        waiting.sendall(b"*IDN?\n")
        with pytest.raises(TimeoutError):
            waiting.recv(100)  # not served while three clients are connected
        with connect(server, timeout=2) as refused:
            assert closed_by_server(refused)
        first.close()
        waiting.settimeout(2)
        assert waiting.recv(100) == IDN.encode() + b"\n"  # served as soon as a slot freed
        for sock in [waiting, *others]:
            sock.close()


def test_idle_clients_are_disconnected_only_when_an_idle_timeout_is_set():
    with ScpiSocketServer(FakeInstrument(), idle_timeout=0.3) as server:
        idle, busy = connect(server, timeout=2), connect(server, timeout=2)
        for _ in range(8):  # 0.8 s of traffic, each gap well under the timeout
            assert query(busy, b"*IDN?") == IDN.encode()
            time.sleep(0.1)
        assert closed_by_server(idle)
        assert query(busy, b"*IDN?") == IDN.encode()
        idle.close()
        busy.close()
    with ScpiSocketServer(FakeInstrument()) as server, connect(server, timeout=0.8) as sock:
        assert not closed_by_server(sock)  # default: no idle timeout
        assert query(sock, b"*IDN?") == IDN.encode()


def test_a_slow_message_does_not_stop_the_server_accepting_and_reading_others():
    with ScpiSocketServer(ErrorQueueInstrument()) as server, connect(server) as slow:
        slow.sendall(b"SLOW?\n")
        time.sleep(0.05)  # the handler is now busy for 0.5 s, holding the lock
        start = time.perf_counter()
        clients = [connect(server) for _ in range(20)]
        for sock in clients:
            sock.sendall(b"*IDN?\n")
        deadline = time.monotonic() + 0.3
        while server.connections < 21 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert server.connections == 21  # all accepted while the slow message was being handled
        assert time.perf_counter() - start < 0.4
        assert all(query(sock, b"") == IDN.encode() for sock in clients)
        assert query(slow, b"") == b"SLOW?"
        for sock in clients:
            sock.close()


def test_a_client_that_sends_faster_than_the_instrument_answers_is_throttled_not_buffered():
    instrument = ErrorQueueInstrument()
    command = b"VOLT 1\n"
    with ScpiSocketServer(instrument, max_message_bytes=4096) as server, connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        sock.sendall(b"SLOW?\n")
        time.sleep(0.05)
        sock.setblocking(False)
        sent = 0
        with pytest.raises(BlockingIOError):  # the server stopped reading: the kernel buffers filled up
            for _ in range(10_000):
                sent += sock.send(command * 1000)
        assert sent < 20_000_000
        sock.settimeout(10)
        rest = (-sent) % len(command)
        sock.sendall(command[len(command) - rest :] + b"COUNT?\n")
        replies = b""
        while replies.count(b"\n") < 2:
            replies += sock.recv(65536)
        n_messages = 2 + (sent + rest) // len(command)
        assert replies == b"SLOW?\n" + str(n_messages).encode() + b"\n"  # every command was handled, in order


LIMIT = 200


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    lengths=st.lists(st.integers(1, 3 * LIMIT), min_size=1, max_size=8),
    cuts=st.lists(st.integers(0, 8 * 3 * LIMIT), max_size=6),
)
def test_overlong_messages_are_rejected_however_the_stream_is_cut(lengths, cuts):
    """Messages of up to LIMIT bytes are handled, longer ones become one -363 each, whatever the TCP reads."""
    instrument = ErrorQueueInstrument()
    messages = [(b"E%d" % i + b"x" * n)[: n - 1] + b"?" for i, n in enumerate(lengths)]
    stream = b"".join(message + b"\n" for message in messages) + b"END?\n"
    with ScpiSocketServer(instrument, max_message_bytes=LIMIT) as server, connect(server) as sock:
        for start, end in zip([0, *sorted(cuts)], [*sorted(cuts), len(stream)], strict=True):
            if start < end:
                sock.sendall(stream[start:end])
                time.sleep(0.002)
        short = [message for message in messages if len(message) <= LIMIT]
        assert read_replies(sock, len(short) + 1) == [*short, b"END?"]
        assert instrument.errors == [INPUT_BUFFER_OVERRUN] * (len(messages) - len(short))


def read_replies(sock: socket.socket, count: int) -> list[bytes]:
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        assert chunk, "server closed the connection"
        data += chunk
    return data.split(b"\n")[:count]
