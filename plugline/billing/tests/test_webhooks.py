"""The gateway's webhooks: signed and recent events are recorded once; forged,
stale and replayed ones are refused and change nothing."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from plugline.billing import webhooks
from plugline.billing.gateways.base import WebhookEventData
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import WebhookEvent
from plugline.sandbox_gateway import services
from plugline.sandbox_gateway.models import SandboxEvent
from plugline.sandbox_gateway.services import config_set, event_body, event_deliver
from plugline.sandbox_gateway.signing import signature_header
from plugline.sandbox_gateway.tests.helpers import card_saved, customer

pytestmark = pytest.mark.django_db

URL = "/billing/webhooks/sandbox/"


def body(event_id: str = "evt_1", type: str = "charge.succeeded") -> bytes:
    data = {"charge_id": "ch_1", "idempotency_key": "pay-1", "status": "succeeded"}
    return json.dumps({"id": event_id, "type": type, "created": 0, "data": data}).encode()


def post(payload: bytes, header: str):
    return Client().post(
        URL, payload, content_type="application/json", HTTP_SANDBOX_SIGNATURE=header
    )


@pytest.fixture
def settled(monkeypatch) -> list[WebhookEventData]:
    """The events handed to payments' settling hook."""
    calls: list[WebhookEventData] = []
    monkeypatch.setattr(webhooks, "_settle_hook", lambda: calls.append)
    return calls


def test_it_records_a_signed_event_and_hands_it_to_settling(settled):
    payload = body()
    response = post(payload, signature_header(payload=payload))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.gateway, event.event_id, event.type) == ("sandbox", "evt_1", "charge.succeeded")
    assert event.payload["idempotency_key"] == "pay-1"
    assert [call.event_id for call in settled] == ["evt_1"]


def test_it_refuses_a_replayed_event(settled):
    payload = body()
    header = signature_header(payload=payload)
    assert post(payload, header).status_code == 200
    assert post(payload, header).status_code == 400
    # A replay signed anew (by someone with the secret) is refused too.
    assert post(payload, signature_header(payload=payload)).status_code == 400
    assert WebhookEvent.objects.count() == 1
    assert len(settled) == 1


def test_it_refuses_a_forged_signature(settled):
    payload = body()
    forged = f"t={int(time.time())},v1={'0' * 64}"
    assert post(payload, forged).status_code == 400
    assert post(payload, "").status_code == 400
    assert post(payload, "nonsense").status_code == 400
    assert not WebhookEvent.objects.exists()
    assert not settled


def test_it_refuses_a_body_changed_after_signing(settled):
    header = signature_header(payload=body())
    assert post(body(type="charge.refunded"), header).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_it_refuses_an_event_signed_too_long_ago(settled):
    payload = body()
    stale = signature_header(payload=payload, timestamp=int(time.time()) - 301)
    assert post(payload, stale).status_code == 400
    assert not WebhookEvent.objects.exists()
    assert not settled


def test_it_records_other_events_without_settling(settled):
    payload = body(type="customer.updated")
    assert post(payload, signature_header(payload=payload)).status_code == 200
    assert WebhookEvent.objects.filter(type="customer.updated").exists()
    assert not settled


def test_it_records_an_event_about_a_charge_plugline_does_not_know():
    # Payments' own settling hook (when there is one) finds no payment: recorded all the same.
    payload = body(event_id="evt_unknown")
    assert post(payload, signature_header(payload=payload)).status_code == 200
    assert WebhookEvent.objects.filter(event_id="evt_unknown").exists()


def test_it_only_accepts_posts():
    assert Client().get(URL).status_code == 405


def test_the_sandbox_queues_an_event_for_delivery_once_the_charge_is_committed(
    django_capture_on_commit_callbacks,
):
    from django_tasks_db.models import DBTaskResult

    gateway = SandboxGateway()
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    with django_capture_on_commit_callbacks(execute=True):
        gateway.charge(
            customer_id=cus,
            token=card.token,
            amount=500,
            currency="USD",
            idempotency_key="pay-1",
            description="test",
        )
    event = SandboxEvent.objects.get(type="charge.succeeded")
    queued = DBTaskResult.objects.get(task_path__endswith="webhook_event_deliver")
    assert queued.args_kwargs["kwargs"] == {"event_id": event.id}


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_posts_its_charge_events_to_the_receiver(live_server, settled):
    config_set(webhook_url=live_server.url + URL, webhooks_enabled=False)
    gateway = SandboxGateway()
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    result = gateway.charge(
        customer_id=cus,
        token=card.token,
        amount=500,
        currency="USD",
        idempotency_key="pay-1",
        description="test",
    )
    event = SandboxEvent.objects.get(type="charge.succeeded")
    assert json.loads(event_body(event))["data"]["charge_id"] == result.charge_id
    assert event_deliver(event_id=event.id)
    received = WebhookEvent.objects.get()
    assert (received.event_id, received.payload["charge_id"]) == (event.id, result.charge_id)
    event.refresh_from_db()
    assert event.delivered_at is not None
    # Delivered events are not posted again.
    assert event_deliver(event_id=event.id)
    assert WebhookEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_stops_posting_an_event_the_receiver_refuses(live_server, monkeypatch):
    config_set(webhook_url=live_server.url + URL, webhooks_enabled=False)
    gateway = SandboxGateway()
    cus = customer(gateway)
    card = card_saved(gateway, cus, "4242424242424242")
    gateway.charge(
        customer_id=cus,
        token=card.token,
        amount=500,
        currency="USD",
        idempotency_key="pay-1",
        description="test",
    )
    event = SandboxEvent.objects.get()
    # Signed with a secret the receiver does not know.
    monkeypatch.setattr(
        services, "signature_header", lambda payload: f"t={int(time.time())},v1={'0' * 64}"
    )
    assert not event_deliver(event_id=event.id)
    event.refresh_from_db()
    assert (event.attempts, event.last_response, event.delivered_at) == (1, "400", None)
    assert not WebhookEvent.objects.exists()
