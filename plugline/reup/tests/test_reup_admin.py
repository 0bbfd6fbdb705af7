"""The Re-Up admin: a batch created and its printer file downloaded once, cards voided,
retailer keys shown once and revoked. Signed in as staff, through the real pages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from conftest import make_subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.billing.tests.factories import make_plan
from plugline.core.models import AuditAction, AuditEvent
from plugline.reup import pins
from plugline.reup.models import RetailerApiKey, ReupBatch, ReupCard, ReupCardStatus
from plugline.reup.services import api_key_authenticate, batch_export
from plugline.reup.tests.factories import make_activated_card, make_batch, make_chain
from plugline.reup.tests.test_batches import database_dump

pytestmark = pytest.mark.django_db


def printer_file_url(batch: ReupBatch) -> str:
    return reverse("admin:reup_reupbatch_printer_file", args=[batch.pk])


def download(client: Client, batch: ReupBatch) -> tuple[int, list[dict[str, str]], str]:
    response = client.post(printer_file_url(batch))
    if response.status_code != 200 or not response.streaming:
        return response.status_code, [], response.content.decode()
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return 200, list(csv.DictReader(io.StringIO(body))), response["Content-Disposition"]


def test_it_creates_a_batch_from_the_admin_and_offers_its_printer_file(
    staff_client: Client, staff: User
) -> None:
    chain = make_chain("kwik")
    plan = make_plan("1-year")

    response = staff_client.post(
        reverse("admin:reup_reupbatch_add"),
        {"chain": chain.pk, "plan": plan.pk, "count": "40", "note": "Spring print run"},
        follow=True,
    )

    batch = ReupBatch.objects.get()
    assert response.redirect_chain[-1][0] == printer_file_url(batch)
    page = response.content.decode()
    assert "40 printed cards" in page
    assert "It can be downloaded once" in page
    assert batch.cards.filter(status=ReupCardStatus.PRINTED).count() == 40
    assert (batch.note, batch.created_by) == ("Spring print run", staff)
    event = AuditEvent.objects.get(action=AuditAction.REUP_BATCH_CREATED)
    assert event.actor == staff


@pytest.mark.parametrize("count", ["0", "100001", "many"])
def test_it_refuses_a_batch_of_a_wrong_size_and_keeps_what_was_typed(
    staff_client: Client, count: str
) -> None:
    chain = make_chain("kwik")
    plan = make_plan("1-year")

    response = staff_client.post(
        reverse("admin:reup_reupbatch_add"),
        {"chain": chain.pk, "plan": plan.pk, "count": count, "note": "Spring print run"},
    )

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert 'value="Spring print run"' in response.content.decode()
    assert not ReupBatch.objects.exists()


def test_it_lets_the_printer_file_be_downloaded_once(staff_client: Client, staff: User) -> None:
    batch = make_batch(chain=make_chain("kwik"), plan=make_plan("1-year"), count=12)

    status, rows, disposition = download(staff_client, batch)
    again_status, again_rows, again_page = download(staff_client, batch)
    page = staff_client.get(printer_file_url(batch)).content.decode()

    assert status == 200
    assert disposition == f'attachment; filename="reup-batch-{batch.pk}-kwik-1-year.csv"'
    assert len(rows) == 12
    cards = {card.serial: card for card in batch.cards.all()}
    for row in rows:
        assert cards[row["serial"]].pin_hash == pins.pin_hash(row["pin"])
        assert (row["plan"], row["chain"]) == ("1-year", "kwik")
    assert again_status == 409 and again_rows == []
    assert "already downloaded" in again_page
    assert not any(row["pin"] in again_page for row in rows)
    assert "staff@example.com" in page and "cannot be shown again" in page
    assert 'type="submit"' not in page.split('id="content"')[1]
    batch.refresh_from_db()
    assert batch.exported_by == staff
    assert AuditEvent.objects.get(action=AuditAction.REUP_BATCH_EXPORTED).actor == staff


def test_it_shows_no_pin_anywhere_after_the_download(staff_client: Client) -> None:
    batch = make_batch(chain=make_chain("kwik"), count=5)
    _status, rows, _disposition = download(staff_client, batch)
    card = batch.cards.first()
    assert card is not None

    pages = [
        staff_client.get(reverse("admin:reup_reupbatch_changelist")),
        staff_client.get(reverse("admin:reup_reupbatch_change", args=[batch.pk])),
        staff_client.get(reverse("admin:reup_reupcard_changelist")),
        staff_client.get(reverse("admin:reup_reupcard_change", args=[card.pk])),
        staff_client.get(printer_file_url(batch)),
    ]

    assert all(page.status_code == 200 for page in pages)
    shown = "".join(page.content.decode() for page in pages)
    stored = database_dump()
    for row in rows:
        assert row["pin"] not in shown and row["pin"] not in stored
    card.refresh_from_db()
    assert card.pin_hash is not None and card.pin_hash not in shown


def test_it_lists_batches_with_their_cards_counted_by_status(staff_client: Client) -> None:
    batch = make_batch(chain=make_chain("kwik"), count=5)
    batch_export(batch=batch)
    serials = list(batch.cards.values_list("serial", flat=True))
    ReupCard.objects.filter(serial__in=serials[:2]).update(status=ReupCardStatus.ACTIVATED)
    ReupCard.objects.filter(serial=serials[2]).update(status=ReupCardStatus.VOIDED)

    page = staff_client.get(reverse("admin:reup_reupbatch_changelist")).content.decode()

    assert '<td class="field-printed">2</td>' in page
    assert '<td class="field-activated">2</td>' in page
    assert '<td class="field-voided">1</td>' in page
    assert '<td class="field-redeemed">0</td>' in page


def test_it_voids_the_unsold_cards_of_the_chosen_batches(staff_client: Client) -> None:
    batch = make_batch(count=3)
    batch_export(batch=batch)
    sold = batch.cards.first()
    assert sold is not None
    ReupCard.objects.filter(pk=sold.pk).update(status=ReupCardStatus.ACTIVATED)

    response = staff_client.post(
        reverse("admin:reup_reupbatch_changelist"),
        {"action": "void_unsold", "_selected_action": [batch.pk]},
        follow=True,
    )

    assert "2 unsold cards voided." in response.content.decode()
    assert batch.cards.filter(status=ReupCardStatus.VOIDED).count() == 2
    sold.refresh_from_db()
    assert sold.status == ReupCardStatus.ACTIVATED


def test_it_finds_a_card_by_serial_and_voids_it(staff_client: Client, staff: User) -> None:
    card, _pin = make_activated_card(chain=make_chain("kwik"))
    other, _other_pin = make_activated_card(chain=make_chain("kwik"))
    typed = f"{card.serial[:4].lower()} {card.serial[4:]}"

    found = staff_client.get(reverse("admin:reup_reupcard_changelist"), {"q": typed})
    response = staff_client.post(
        reverse("admin:reup_reupcard_changelist"),
        {"action": "void", "_selected_action": [card.pk]},
        follow=True,
    )

    assert card.serial in found.content.decode()
    assert other.serial not in found.content.decode()
    assert "1 card voided." in response.content.decode()
    card.refresh_from_db()
    other.refresh_from_db()
    assert (card.status, other.status) == (ReupCardStatus.VOIDED, ReupCardStatus.ACTIVATED)
    event = AuditEvent.objects.get(action=AuditAction.REUP_CARD_VOIDED)
    assert event.actor == staff and event.data == {"serial": card.serial, "chain": "kwik"}


def once_token(client: Client) -> str:
    """The one-time token of a freshly opened "Add retailer API key" form."""
    page = client.get(reverse("admin:reup_retailerapikey_add")).content.decode()
    found = re.search(r'name="once" value="([^"]+)"', page)
    assert found, "no one-time token on the form"
    return found[1]


def test_a_new_key_form_sent_twice_makes_one_key(staff_client: Client) -> None:
    chain = make_chain("kwik")
    form = {"chain": chain.pk, "name": "Tills, Ontario", "once": once_token(staff_client)}

    first = staff_client.post(reverse("admin:reup_retailerapikey_add"), form)
    reloaded = staff_client.post(reverse("admin:reup_retailerapikey_add"), form)

    assert 'id="new-api-key"' in first.content.decode()
    assert "This form was already sent" in reloaded.content.decode()
    assert 'id="new-api-key"' not in reloaded.content.decode()
    assert RetailerApiKey.objects.count() == 1
    # A form opened again makes another key.
    form["once"] = once_token(staff_client)
    staff_client.post(reverse("admin:reup_retailerapikey_add"), form)
    assert RetailerApiKey.objects.count() == 2


def test_it_shows_a_new_api_key_once_and_stores_only_its_hash(
    staff_client: Client, staff: User
) -> None:
    chain = make_chain("kwik")

    response = staff_client.post(
        reverse("admin:reup_retailerapikey_add"),
        {"chain": chain.pk, "name": "Tills, Ontario", "once": once_token(staff_client)},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = RetailerApiKey.objects.get()
    plaintext = page.split('id="new-api-key" type="text" readonly value="')[1].split('"')[0]
    assert api_key_authenticate(plaintext) == key
    assert "shown this once" in page
    assert key.created_by == staff
    secret = plaintext.split("_", 2)[2]
    later = [
        staff_client.get(reverse("admin:reup_retailerapikey_changelist")),
        staff_client.get(reverse("admin:reup_retailerapikey_change", args=[key.pk])),
    ]
    assert all(secret not in page.content.decode() for page in later)
    assert f"plr_{key.prefix}_…" in later[0].content.decode()
    assert secret not in database_dump()


def test_it_revokes_a_key_from_the_list(staff_client: Client, staff: User) -> None:
    chain = make_chain("kwik")
    staff_client.post(
        reverse("admin:reup_retailerapikey_add"),
        {"chain": chain.pk, "name": "A", "once": once_token(staff_client)},
    )
    key = RetailerApiKey.objects.get()

    response = staff_client.post(
        reverse("admin:reup_retailerapikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )

    assert "1 key revoked." in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEvent.objects.get(action=AuditAction.RETAILER_KEY_REVOKED).actor == staff


def test_it_lets_only_staff_allowed_to_change_batches_download_the_file(client: Client) -> None:
    batch = make_batch(count=2)
    viewer = make_subscriber("viewer@example.com", numbers=()).user
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_reupbatch"))
    sign_in_with_two_factor(client, viewer)

    listed = client.get(reverse("admin:reup_reupbatch_changelist"))
    refused = client.post(printer_file_url(batch))

    assert listed.status_code == 200
    assert refused.status_code == 403
    batch.refresh_from_db()
    assert batch.exported_at is None
    assert not batch.cards.filter(pin_hash__isnull=False).exists()
