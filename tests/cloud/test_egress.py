"""The loopback egress pool and the test sandbox's network rule."""

from __future__ import annotations

import socket
import threading

import pytest
from binsync_local.cloud import EgressPool
from pytest_socket import SocketConnectBlockedError


def test_pool_hands_out_distinct_addresses_and_takes_them_back() -> None:
    pool = EgressPool(2)
    with pool.lease() as a, pool.lease() as b:  # nested on one thread, both free: two addresses
        assert {a, b} == {"127.0.0.2", "127.0.0.3"}
    with pool.lease() as c:
        assert c in {"127.0.0.2", "127.0.0.3"}


def test_nested_lease_on_an_exhausted_pool_shares_instead_of_deadlocking() -> None:
    pool = EgressPool(1)
    with pool.lease() as outer, pool.lease() as inner:  # e.g. S3 notification inside a handler
        assert inner == outer == "127.0.0.2"
    with pool.lease() as again:  # the shared lease did not return the address twice
        assert again == "127.0.0.2"
        assert pool._free == []


def test_a_lease_waits_for_a_free_address() -> None:
    pool = EgressPool(1)
    got: list[str | None] = []
    release = threading.Event()

    def holder() -> None:
        with pool.lease():
            release.wait(10)

    def waiter() -> None:
        with pool.lease() as ip:
            got.append(ip)

    t1 = threading.Thread(target=holder)
    t1.start()
    while pool._free:  # until the holder has its address
        threading.Event().wait(0.001)
    t2 = threading.Thread(target=waiter)
    t2.start()
    t2.join(0.2)
    assert got == []  # still waiting: the only address is held
    release.set()
    t1.join(10), t2.join(10)
    assert got == ["127.0.0.2"]


def test_pool_size_is_bounded() -> None:
    with EgressPool(0).lease() as ip:
        assert ip is None
    with pytest.raises(ValueError, match="between 0 and 250"):
        EgressPool(251)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sandbox_allows_loopback_sources_and_blocks_the_internet() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.socket() as client:
            client.bind(("127.0.0.5", 0))  # a worker's egress address
            client.connect(server.getsockname())
            conn, (peer, _) = server.accept()
            conn.close()
            assert peer == "127.0.0.5"
    with pytest.raises(SocketConnectBlockedError), socket.create_connection(("192.0.2.1", 443), timeout=1):
        pass
