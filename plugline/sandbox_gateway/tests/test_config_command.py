"""sandbox_gateway_config: an operator sets the sandbox's latency, timeouts and failures."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from plugline.sandbox_gateway.services import config_get

pytestmark = pytest.mark.django_db


def test_it_sets_what_is_given_and_keeps_the_rest():
    out = StringIO()
    call_command(
        "sandbox_gateway_config", "--latency-ms", "200", "--timeout-rate", "0.1", stdout=out
    )
    call_command(
        "sandbox_gateway_config", "--failure-rate", "0.05", "--webhooks", "off", stdout=out
    )
    config = config_get()
    assert (config.latency_ms, config.timeout_rate, config.failure_rate) == (200, 0.1, 0.05)
    assert not config.webhooks_enabled
    assert "latency 200 ms, timeouts 10%, failures 5%; webhooks off" in out.getvalue()


def test_it_refuses_a_rate_beyond_one_and_changes_nothing():
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("sandbox_gateway_config", "--latency-ms", "50", "--timeout-rate", "2")
    assert config_get().latency_ms == 0
