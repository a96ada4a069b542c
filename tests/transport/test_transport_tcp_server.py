"""The raw-socket SCPI server: pyvisa-py, PyMeasure and raw clients, bad clients, locking, serve_forever."""

from __future__ import annotations

import _thread
import random
import socket
import threading
import time

import pytest
import pyvisa
from pymeasure.instruments import Instrument, SCPIMixin
from pyvisa import constants
from pyvisa.errors import VisaIOError
from transport_fakes import IDN, CountingInstrument, FakeInstrument, LockProbingInstrument, SharedCounter

from mtjhw.simulators.transport import ScpiSocketServer, serve_forever


@pytest.fixture
def fake() -> FakeInstrument:
    return FakeInstrument()


@pytest.fixture
def server(fake):
    with ScpiSocketServer(fake) as running:
        yield running


@pytest.fixture
def py_rm():
    rm = pyvisa.ResourceManager("@py")
    yield rm
    rm.close()


def open_py(rm, server: ScpiSocketServer, timeout: int):
    return rm.open_resource(
        server.resource_name, read_termination="\n", write_termination="\n", timeout=timeout
    )


def connect(server: ScpiSocketServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def read_lines(sock: socket.socket, count: int) -> list[bytes]:
    """Exactly ``count`` newline-terminated responses (fails on timeout)."""
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        assert chunk, "server closed the connection"
        data += chunk
    lines = data.split(b"\n")
    assert lines[count:] == [b""], f"unexpected extra bytes {lines[count:]!r}"
    return lines[:count]


def test_address_and_resource_name(fake):
    server = ScpiSocketServer(fake)
    with pytest.raises(RuntimeError):
        _ = server.port
    with server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.resource_name == f"TCPIP::127.0.0.1::{server.port}::SOCKET"
    assert not server.running
    with pytest.raises(ValueError, match="port"):
        ScpiSocketServer(fake, port=70000)
    with pytest.raises(ValueError, match="handle"):
        ScpiSocketServer(object())


def test_pyvisa_py_client(server, fake, py_rm):
    inst = open_py(py_rm, server, timeout=2000)
    assert inst.query("*IDN?") == IDN
    inst.write("VOLT 0.5")
    assert inst.query("VOLT?") == "0.5"
    assert inst.query_binary_values("BLK?", datatype="B", container=bytes) == FakeInstrument.BLOCK_DATA
    inst.write_binary_values("DATA ", [10, 0, 13], datatype="B")
    assert inst.query("*IDN?") == IDN
    assert fake.messages[-2].encode("latin-1") == b"DATA #13\n\x00\r"
    inst.close()


def test_pyvisa_py_read_without_response_times_out(server, py_rm):
    inst = open_py(py_rm, server, timeout=100)
    inst.write("VOLT 1")
    with pytest.raises(VisaIOError) as error:
        inst.read()
    assert error.value.error_code == constants.StatusCode.error_timeout
    assert inst.query("VOLT?") == "1"
    inst.close()


class FakeDriver(SCPIMixin, Instrument):
    voltage = Instrument.control("VOLT?", "VOLT %g", "Voltage in V.")

    def __init__(self, adapter, **kwargs):
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, "Fake instrument", **kwargs)


def test_pymeasure_instrument_over_tcp(server, fake):
    driver = FakeDriver(server.resource_name, visa_library="@py", timeout=2000)
    assert driver.id == IDN
    driver.voltage = -0.25
    assert driver.voltage == -0.25
    driver.adapter.close()
    driver.adapter.manager.close()


def test_crlf_partial_lines_and_several_messages_per_packet(server, fake):
    with connect(server) as sock:
        sock.sendall(b"*ID")
        time.sleep(0.02)
        sock.sendall(b"N?\r\nVOLT 2\nVOL")
        time.sleep(0.02)
        sock.sendall(b"T?\nA?;B?\n\n   \n")
        assert read_lines(sock, 3) == [IDN.encode(), b"2", b"A?;B?"]
    assert fake.messages == ["*IDN?", "VOLT 2", "VOLT?", "A?;B?"]


def test_garbage_never_desynchronises(server, fake):
    rng = random.Random(7)
    with connect(server) as sock:
        expected = []
        for i in range(40):
            garbage = bytes(b for b in rng.randbytes(rng.randrange(1, 60)) if b not in b"\n#")
            sock.sendall(garbage + b"\n" + f"Q{i}?\n".encode())
            expected.append(f"Q{i}?".encode())
        # block-like garbage: absurd lengths and bad digits are text, not blocks
        sock.sendall(b"#9999999999 \n#0\n#2x7\n#\x00\xff\nLAST?\n")
        expected.append(b"LAST?")
        assert read_lines(sock, len(expected)) == expected


def test_clients_that_disconnect_do_not_harm_others(server, fake):
    with connect(server) as keeper:
        for payload in (b"", b"VOLT 3", b"A?\n", b"#3"):
            sock = connect(server)
            sock.sendall(payload)
            sock.close()
        keeper.sendall(b"VOLT?\n")
        assert read_lines(keeper, 1) == [b"0"]  # the unterminated "VOLT 3" was never executed


def test_several_clients_each_get_their_own_responses(server):
    results: dict[int, list[bytes]] = {}

    def client(index: int) -> None:
        with connect(server) as sock:
            queries = [f"C{index}N{n}?\n".encode() for n in range(50)]
            sock.sendall(b"".join(queries))
            results[index] = read_lines(sock, 50)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: [f"C{i}N{n}?".encode() for n in range(50)] for i in range(4)}


def test_handler_that_raises_does_not_stop_the_server(caplog):
    class Broken(FakeInstrument):
        def handle(self, message):
            if message == "BOOM?":
                raise RuntimeError("bug in a virtual instrument")
            return super().handle(message)

    with ScpiSocketServer(Broken()) as server, connect(server) as sock:
        sock.sendall(b"BOOM?\n*IDN?\n")
        assert read_lines(sock, 1) == [IDN.encode()]
    assert "BOOM?" in caplog.text


def test_two_servers_of_one_bench_share_its_lock():
    lock = threading.RLock()
    counter = SharedCounter()
    probe = LockProbingInstrument(lock)
    servers = [ScpiSocketServer(CountingInstrument(counter), lock=lock) for _ in range(2)]
    servers.append(ScpiSocketServer(probe, lock=lock))
    for server in servers:
        server.start()
    try:
        def hammer(server: ScpiSocketServer) -> None:
            with connect(server) as sock:
                sock.sendall(b"INC\n" * 200 + b"VAL?\n")
                read_lines(sock, 1)

        threads = [threading.Thread(target=hammer, args=(server,)) for server in servers[:2]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with connect(servers[0]) as sock:
            sock.sendall(b"VAL?\n")
            assert read_lines(sock, 1) == [b"400"]
        with connect(servers[2]) as sock:
            sock.sendall(b"*IDN?\nVOLT 1\nVOLT?\n")
            read_lines(sock, 2)
        assert probe.held == [True, True, True]
    finally:
        for server in servers:
            server.stop()


def test_stop_disconnects_idle_clients_promptly(fake):
    server = ScpiSocketServer(fake).start()
    sock = connect(server)
    sock.sendall(b"*IDN?\n")
    read_lines(sock, 1)
    start = time.perf_counter()
    server.stop()
    assert time.perf_counter() - start < 2.0
    assert sock.recv(10) == b""
    sock.close()


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"*IDN?\n")
            return read_lines(sock, 1) == [IDN.encode()]
    except OSError:
        return False


def test_serve_forever_until_stop_event():
    servers = [ScpiSocketServer(FakeInstrument()) for _ in range(3)]
    stop = threading.Event()
    thread = threading.Thread(target=serve_forever, args=(servers, stop), kwargs={"poll_interval": 0.01})
    thread.start()
    deadline = time.monotonic() + 5
    while not all(server.running for server in servers) and time.monotonic() < deadline:
        time.sleep(0.01)
    ports = [server.port for server in servers]
    assert all(_reachable(port) for port in ports)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert not any(server.running for server in servers)
    assert not any(_reachable(port) for port in ports)


def test_serve_forever_stops_cleanly_on_keyboard_interrupt():
    servers = [ScpiSocketServer(FakeInstrument()) for _ in range(2)]
    ports: list[int] = []

    def interrupt_when_up() -> None:
        deadline = time.monotonic() + 5
        while not all(server.running for server in servers) and time.monotonic() < deadline:
            time.sleep(0.01)
        ports.extend(server.port for server in servers)
        _thread.interrupt_main()

    helper = threading.Thread(target=interrupt_when_up)
    helper.start()
    serve_forever(servers, poll_interval=0.01)  # returns instead of raising
    helper.join()
    assert len(ports) == 2
    assert not any(server.running for server in servers)
    assert not any(_reachable(port) for port in ports)


def test_commands_sent_just_before_hanging_up_are_executed():
    seen: list[str] = []

    class Recorder:
        def handle(self, message: str) -> None:
            time.sleep(0.002)  # the client is gone before most of its commands are handled
            seen.append(message)

    with ScpiSocketServer(Recorder()) as srv:
        for round_ in range(20):
            with socket.create_connection(("127.0.0.1", srv.port)) as client:
                client.sendall(b"".join(f"CMD {round_} {k}\n".encode() for k in range(5)))
        deadline = time.monotonic() + 5
        while len(seen) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert seen == [f"CMD {r} {k}" for r in range(20) for k in range(5)]  # all of them, in arrival order
