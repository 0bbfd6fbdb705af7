"""The sandbox's configuration in the admin: one row, added once, then changed."""

from __future__ import annotations

import pytest
from django.test import Client

from plugline.sandbox_gateway.models import SandboxConfig
from plugline.sandbox_gateway.services import config_get

pytestmark = pytest.mark.django_db

FORM = {
    "latency_ms": "250",
    "timeout_rate": "0.1",
    "failure_rate": "0",
    "webhook_url": "",
    "webhooks_enabled": "on",
}


def test_it_adds_the_configuration_as_its_one_row_again_after_it_was_deleted(
    staff_client: Client,
):
    for latency in ["250", "500"]:
        response = staff_client.post(
            "/admin/sandbox_gateway/sandboxconfig/add/", {**FORM, "latency_ms": latency}
        )
        assert response.status_code == 302
        config = config_get()
        assert (config.pk, config.latency_ms, config.timeout_rate) == (1, int(latency), 0.1)
        SandboxConfig.objects.all().delete()


def test_it_offers_no_second_configuration(staff_client: Client):
    config_get()
    response = staff_client.post("/admin/sandbox_gateway/sandboxconfig/add/", FORM)
    assert response.status_code == 403
    assert SandboxConfig.objects.get().latency_ms == 0


def test_it_keeps_rates_between_0_and_1_with_a_message_on_the_field(staff_client: Client):
    config_get()
    response = staff_client.post(
        "/admin/sandbox_gateway/sandboxconfig/1/change/", {**FORM, "failure_rate": "1.5"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["failure_rate"] == [
        "Ensure this value is less than or equal to 1."
    ]
    assert config_get().failure_rate == 0
