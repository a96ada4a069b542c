"""MPI's own Python client, ``sentio-prober-control`` (unmodified), steps the virtual SENTIO over TCP."""

from __future__ import annotations

import pytest
from conftest import make_twin

from mtjhw.simulators.bench.devices import OpenJunction
from mtjhw.simulators.transport import ScpiSocketServer

sentio = pytest.importorskip("sentio_prober_control.Sentio.ProberSentio")
tcpip = pytest.importorskip("sentio_prober_control.Communication.CommunicatorTcpIp")
enums = pytest.importorskip("sentio_prober_control.Sentio.Enumerations")


@pytest.fixture
def prober():
    twin, bench, _ = make_twin("mpi-sentio")
    with ScpiSocketServer(twin, lock=bench.lock) as server:
        yield sentio.SentioProber(tcpip.CommunicatorTcpIp.create(f"127.0.0.1:{server.port}")), twin, bench


def test_mpis_client_steps_contacts_and_separates(prober):
    client, twin, bench = prober
    column, row = twin.wafer.dies()[10].column, twin.wafer.dies()[10].row
    assert client.map.step_die(column, row) == (column, row, 0)
    assert client.map.die.get_current_index() == (10, column, row)
    assert client.move_chuck_contact() == pytest.approx(10000.0)
    assert twin.contacted and not isinstance(bench.dut, OpenJunction)
    x, y = client.get_chuck_xy(enums.ChuckSite.Wafer, enums.XyReference.Center)
    assert (x * 1e-6, y * 1e-6) == pytest.approx((twin.die.x, twin.die.y))
    assert client.move_chuck_separation() == pytest.approx(9950.0)
    assert isinstance(bench.dut, OpenJunction)


def test_mpis_client_raises_on_the_twins_error_reply(prober):
    client, _, _ = prober
    with pytest.raises(sentio.ProberException):
        client.map.step_die(0, 0)
