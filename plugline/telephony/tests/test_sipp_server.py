"""sipp as the tests' UAS: why it could not start is in the failure, last."""

from __future__ import annotations

import socket

import pytest

from plugline.core.ports import free_port
from plugline.telephony.tests.calls import sipp_server


def test_it_says_why_sipp_could_not_start() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", port))
        with pytest.raises(RuntimeError) as stopped, sipp_server(port=port):
            pass
    message = str(stopped.value)
    assert message.startswith(f"sipp UAS stopped while starting on port {port}:")
    assert message.rstrip().splitlines()[-1].endswith("(Address already in use)")
