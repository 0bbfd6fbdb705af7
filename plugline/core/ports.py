"""Free loopback ports for the servers the tests and the benches start on this machine
(Kamailio, sipp, baresip, rtpengine, daphne, the SMTP server...).

A port is chosen some time before its server binds it, and two things could take it in
between:
- the kernel, which hands any port of its ephemeral range to an outgoing socket (a
  PostgreSQL connection, Kamailio's UDP socket to rtpengine, a DNS query). So ports are
  drawn, with port-for, from the ports outside that range and outside those IANA assigns
  (about 19,000 on Linux's default range);
- another server of the same test, chosen before either binds. So a process hands them
  out in turn, from a random place onwards: none again before it has gone round them all.
"""

from __future__ import annotations

import functools
import random
import socket
import threading

import port_for

_lock = threading.Lock()
# Where this process hands out its next port: an index into _candidates()'s order.
_next: int | None = None


@functools.cache
def _candidates() -> tuple[frozenset[int], tuple[int, ...]]:
    """port-for's good ports (outside the ephemeral range, unassigned), as a set and in order."""
    ports = port_for.available_good_ports()
    return frozenset(ports), tuple(sorted(ports))


def _bindable(port: int) -> bool:
    """Nothing holds `port` on 127.0.0.1, for TCP or UDP."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_ports(count: int, *, even: bool = False) -> int:
    """The first of `count` consecutive ports (the first one even if `even`: RTP's pairs),
    each free on 127.0.0.1 for TCP and UDP, the next ones in this process's turn."""
    global _next
    candidates, pool = _candidates()
    with _lock:
        if _next is None:
            _next = random.randrange(len(pool))  # noqa: S311 - not a secret
        for _ in range(len(pool)):
            index, first = _next, pool[_next]
            _next = (_next + 1) % len(pool)
            block = range(first, first + count)
            if (even and first % 2) or not all(port in candidates for port in block):
                continue
            if all(_bindable(port) for port in block):
                # The block's ports are consecutive in the pool: the turn goes on after it.
                _next = (index + count) % len(pool)
                return first
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def free_port() -> int:
    """A port free on 127.0.0.1 for TCP and UDP, the next one in this process's turn."""
    return free_ports(1)
