"""The AutoRenew page: a switch per device, refused without a card or an eligible plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.billing.models import Subscription
from plugline.billing.tests.factories import card_on_file, plan_make
from plugline.core.models import AuditAction, AuditEvent

PAGE = "/account/autorenew/"


@pytest.fixture
def bobs_devices(bob: Subscriber) -> list[Subscription]:
    return [
        Subscription.objects.create(device=device, ends_at=timezone.now() + timedelta(days=50))
        for device in bob.devices
    ]


def signed_in(client: Client, subscriber: Subscriber) -> Client:
    client.force_login(subscriber.user)
    return client


def switch(client: Client, subscription: Subscription, *, on: bool, plan: int | None):
    prefix = f"device-{subscription.device_id}-"
    data = {prefix + "plan": str(plan or "")}
    if on:
        data[prefix + "enabled"] = "on"
    return client.post(f"{PAGE}{subscription.device_id}/", data)


def test_the_account_page_links_to_autorenew(client: Client, bob: Subscriber) -> None:
    page = signed_in(client, bob).get("/account/").content.decode()
    assert f'href="{PAGE}"' in page


def test_it_is_refused_without_a_card_and_says_so(client: Client, alice: Subscriber) -> None:
    subscription = Subscription.objects.create(
        device=alice.devices[0], ends_at=timezone.now() + timedelta(days=50)
    )
    plan = plan_make()
    signed_in(client, alice)
    page = client.get(PAGE).content.decode()
    assert 'role="switch"' in page and "/account/cards/" in page
    response = switch(client, subscription, on=True, plan=plan.pk)
    assert response.status_code == 400
    text = response.content.decode()
    assert "AutoRenew needs a card on file" in text
    error_id = f"id_device-{subscription.device_id}-enabled_error"
    assert f'aria-describedby="{error_id}"' in text and f'id="{error_id}"' in text
    assert not Subscription.objects.filter(autorenew=True).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.AUTORENEW_CHANGED).exists()


def test_it_is_refused_for_a_plan_without_autorenew(
    client: Client, bob: Subscriber, bobs_devices: list[Subscription]
) -> None:
    card_on_file(bob.user)
    five_years = plan_make("five", months=60, amount=19999)
    five_years.autorenew_allowed = False
    five_years.save()
    signed_in(client, bob)
    page = client.get(PAGE).content.decode()
    assert "five" not in page and "60 months" not in page
    response = switch(client, bobs_devices[0], on=True, plan=five_years.pk)
    assert response.status_code == 400
    assert not Subscription.objects.filter(autorenew=True).exists()


def test_it_turns_on_with_a_card_and_an_eligible_plan_then_off_audited(
    client: Client, bob: Subscriber, bobs_devices: list[Subscription]
) -> None:
    card_on_file(bob.user)
    plan = plan_make()
    signed_in(client, bob)
    response = switch(client, bobs_devices[1], on=True, plan=plan.pk)
    assert response.status_code == 302
    on = Subscription.objects.get(pk=bobs_devices[1].pk)
    assert on.autorenew and on.autorenew_plan == plan
    assert not Subscription.objects.get(pk=bobs_devices[0].pk).autorenew
    page = client.get(PAGE).content.decode()
    assert page.count("checked") == 1
    switch(client, bobs_devices[1], on=False, plan=plan.pk)
    assert not Subscription.objects.get(pk=bobs_devices[1].pk).autorenew
    changes = AuditEvent.objects.filter(action=AuditAction.AUTORENEW_CHANGED).order_by("pk")
    assert [event.data["autorenew"] for event in changes] == [True, False]


def test_someone_elses_device_is_not_found(
    client: Client, alice: Subscriber, bob: Subscriber, bobs_devices: list[Subscription]
) -> None:
    card_on_file(alice.user)
    plan = plan_make()
    signed_in(client, alice)
    assert switch(client, bobs_devices[0], on=True, plan=plan.pk).status_code == 404
    assert not Subscription.objects.filter(autorenew=True).exists()
