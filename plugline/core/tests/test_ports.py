"""The free ports the tests and the benches give the servers they start."""

from __future__ import annotations

import socket
from pathlib import Path

from plugline.core import ports
from plugline.core.ports import free_port, free_ports


def _ephemeral_range() -> tuple[int, int]:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def _bindable(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def test_its_ports_are_outside_the_kernels_ephemeral_range() -> None:
    low, high = _ephemeral_range()
    for port in [free_port() for _ in range(200)]:
        assert 1024 < port < low or high < port <= 65535


def test_it_hands_out_no_port_again_before_it_has_gone_round_them_all() -> None:
    """Far more ports than a test holds, and a third of all, none of them twice."""
    handed = [free_port() for _ in range(1000)]
    for first in [free_ports(20) for _ in range(200)]:
        handed += range(first, first + 20)
    for first in [free_ports(100, even=True) for _ in range(10)]:
        handed += range(first, first + 100)
    assert len(set(handed)) == len(handed) == 6000


def test_it_goes_round_and_on() -> None:
    """Round the pool of ports more than twice, blocks of every size still come."""
    for _ in range(2_000):
        free_ports(20)
    for _ in range(20):
        assert free_ports(100, even=True) % 2 == 0


def test_a_block_is_consecutive_free_ports_from_an_even_one() -> None:
    first = free_ports(100, even=True)
    assert first % 2 == 0
    assert all(_bindable(port) for port in range(first, first + 100))


def test_it_passes_over_a_port_something_holds() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        # The next port in turn, given back.
        port = free_port()
        ports._next = ports._candidates()[1].index(port)
        holder.bind(("127.0.0.1", port))
        assert free_port() != port
