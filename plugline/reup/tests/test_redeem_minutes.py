"""Re-Up cards issued for international minutes: made by the batch command, redeemed through the
usual flow and its guards, each crediting the account's balance once."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from conftest import Subscriber
from plugline.billing.models import SubscriptionPeriod
from plugline.core.models import AuditAction, AuditEvent
from plugline.minutes.models import MinutesEntry
from plugline.minutes.selectors import minutes_balance
from plugline.notifications.models import OutboxMessage
from plugline.reup.models import ReupBatch, ReupBatchKind, ReupCardStatus, ReupRedeemFailure
from plugline.reup.services import ReupError, api_key_create, batch_create, batch_export
from plugline.reup.tests.factories import make_activated_minutes_card, make_chain

pytestmark = pytest.mark.django_db

URL = "/account/reup/"


def post(client: Client, pin: str, serial: str) -> Any:
    return client.post(URL, {"pin": pin, "device": serial}, REMOTE_ADDR="198.51.100.7")


def test_it_adds_the_cards_minutes_to_the_balance_once_and_emails_a_receipt(
    client: Client, alice: Subscriber
) -> None:
    card, pin = make_activated_minutes_card(amount=1000)
    client.force_login(alice.user)

    response = post(client, pin, alice.devices[0].serial)

    assert response.status_code == 302
    assert response["Location"] == f"{URL}{card.serial}/"
    assert minutes_balance(user=alice.user) == 1000
    card.refresh_from_db()
    assert card.status == ReupCardStatus.REDEEMED
    assert card.minutes_entry == MinutesEntry.objects.get()
    assert not SubscriptionPeriod.objects.exists()  # no time added to the device
    page = client.get(response["Location"]).content.decode()
    assert "$10.00 added to your international balance" in page
    receipt = OutboxMessage.objects.get(template="reup/email/redeemed_minutes")
    assert card.serial in receipt.body_text and "$10.00" in receipt.body_text
    event = AuditEvent.objects.get(action=AuditAction.REUP_CARD_REDEEMED)
    assert event.data["minutes_amount"] == 1000
    assert pin not in str(event.data)
    # "My account" shows the new balance at once.
    assert "$10.00" in client.get("/").content.decode()

    again = post(client, pin, alice.devices[0].serial)

    assert again.status_code == 200
    assert "This PIN can&#x27;t be used." in again.content.decode()
    assert minutes_balance(user=alice.user) == 1000
    assert ReupRedeemFailure.objects.count() == 1  # counted by the guards like any refusal


def test_it_refuses_a_minutes_card_the_till_never_activated(
    client: Client, alice: Subscriber
) -> None:
    card, pin = make_activated_minutes_card()
    card.status = ReupCardStatus.PRINTED
    card.save()
    client.force_login(alice.user)
    assert post(client, pin, alice.devices[0].serial).status_code == 200
    assert minutes_balance(user=alice.user) == 0


def test_it_shows_a_minutes_card_only_to_the_account_that_redeemed_it(
    client: Client, alice: Subscriber, bob: Subscriber
) -> None:
    card, pin = make_activated_minutes_card()
    client.force_login(alice.user)
    post(client, pin, alice.devices[0].serial)
    client.force_login(bob.user)
    assert client.get(f"{URL}{card.serial}/").status_code == 404


def test_the_batch_command_makes_cards_of_minutes_with_their_printer_file(tmp_path: Path) -> None:
    make_chain("kwik")
    output = tmp_path / "minutes.csv"
    out = io.StringIO()

    call_command(
        "create_reup_batch",
        "--chain=kwik",
        "--minutes=1000",
        "--count=3",
        f"--output={output}",
        stdout=out,
    )

    assert "3 cards of minutes-1000 for kwik" in out.getvalue()
    batch = ReupBatch.objects.get()
    assert (batch.kind, batch.plan, batch.minutes_amount) == (ReupBatchKind.MINUTES, None, 1000)
    rows = list(csv.reader(output.open()))
    assert rows[0] == ["serial", "pin", "plan", "chain"]
    assert {row[2] for row in rows[1:]} == {"minutes-1000"}
    with pytest.raises(CommandError, match="more than zero"):
        call_command("create_reup_batch", "--chain=kwik", "--minutes=0", "--count=1")


def test_a_batch_gives_a_plan_or_minutes_never_both_nor_neither() -> None:
    chain = make_chain("kwik")
    with pytest.raises(ReupError):
        batch_create(chain=chain, count=1)
    with pytest.raises(ReupError):
        batch_create(chain=chain, minutes_amount=-5, count=1)


def test_the_till_sees_what_a_minutes_card_gives(client: Client) -> None:
    chain = make_chain("kwik")
    batch = batch_create(chain=chain, minutes_amount=2000, count=1)
    ((serial, _pin),) = batch_export(batch=batch).rows
    _, key = api_key_create(chain=chain, name="Till 1")

    answer = client.post(
        f"/api/v1/retail/cards/{serial}/activate", HTTP_AUTHORIZATION=f"Bearer {key}"
    )

    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "serial": serial,
        "status": "activated",
        "plan": "minutes-2000",
        "months": 0,
        "minutes_amount": 2000,
        "minutes_currency": "USD",
    }


def test_staff_make_a_batch_of_minutes_cards_in_the_admin(staff_client: Client) -> None:
    chain = make_chain("kwik")

    response = staff_client.post(
        reverse("admin:reup_reupbatch_add"),
        {"chain": chain.pk, "minutes_amount": "1500", "count": "10", "note": "Minutes"},
        follow=True,
    )

    batch = ReupBatch.objects.get()
    assert (batch.kind, batch.minutes_amount, batch.minutes_currency) == ("minutes", 1500, "USD")
    assert "International minutes: $15.00" in response.content.decode()
    listing = staff_client.get(reverse("admin:reup_reupbatch_changelist")).content.decode()
    assert "International minutes: $15.00" in listing


def test_staff_are_told_to_choose_a_plan_or_minutes(staff_client: Client) -> None:
    chain = make_chain("kwik")
    response = staff_client.post(
        reverse("admin:reup_reupbatch_add"), {"chain": chain.pk, "count": "10", "note": "?"}
    )
    assert response.status_code == 200
    assert "Choose what the cards give: a plan, or an amount of minutes." in (
        response.content.decode()
    )
    assert not ReupBatch.objects.exists()
