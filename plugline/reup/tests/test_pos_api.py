"""The point-of-sale API through HTTP: a till activates and voids its chain's cards."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.billing.tests.factories import make_plan, subscription_make
from plugline.core.models import AuditAction, AuditEvent
from plugline.reup.models import RetailerApiKey, ReupCard, ReupCardStatus
from plugline.reup.services import api_key_create, api_key_revoke, batch_export
from plugline.reup.tests.factories import make_batch, make_chain, make_redeemed_card

pytestmark = pytest.mark.django_db

API = "/api/v1/retail"


def till(client: Client, key: str, action: str, serial: str, **extra: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", **extra}
    if action == "status":
        return client.get(f"{API}/cards/{serial}", **headers)
    return client.post(f"{API}/cards/{serial}/{action}", **headers)


def exported_card(chain_code: str = "kwik") -> ReupCard:
    """A card on a store's shelf: its batch's printer file made, not sold yet."""
    batch = make_batch(chain=make_chain(chain_code), plan=make_plan("3-months", months=3), count=1)
    batch_export(batch=batch)
    card = batch.cards.get()
    return card


def key_for(chain_code: str = "kwik") -> tuple[RetailerApiKey, str]:
    return api_key_create(chain=make_chain(chain_code), name="Till 1")


def test_it_activates_a_card_sold_at_the_till_and_audits_it(client: Client) -> None:
    card = exported_card()
    key, plaintext = key_for()

    response = till(client, plaintext, "activate", card.serial, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert response.json() == {
        "serial": card.serial,
        "status": "activated",
        "plan": "3-months",
        "months": 3,
    }
    card.refresh_from_db()
    assert card.status == ReupCardStatus.ACTIVATED
    assert card.activated_by == key and card.activated_at is not None
    event = AuditEvent.objects.get(action=AuditAction.REUP_CARD_ACTIVATED)
    assert event.data == {"serial": card.serial, "chain": "kwik", "key": key.prefix}
    assert event.ip_address == "203.0.113.9"


def test_it_answers_a_repeated_activation_the_same_and_audits_it_once(client: Client) -> None:
    card = exported_card()
    _key, plaintext = key_for()

    first = till(client, plaintext, "activate", card.serial)
    again = till(client, plaintext, "activate", card.serial)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert AuditEvent.objects.filter(action=AuditAction.REUP_CARD_ACTIVATED).count() == 1


def test_it_finds_the_card_with_the_serial_typed_with_spaces_and_lower_case(
    client: Client,
) -> None:
    card = exported_card()
    _key, plaintext = key_for()
    typed = f"{card.serial[:6].lower()}-{card.serial[6:]}"

    response = till(client, plaintext, "activate", typed)

    assert response.status_code == 200
    assert response.json()["serial"] == card.serial


def test_it_answers_another_chains_card_as_an_unknown_serial(client: Client) -> None:
    card = exported_card("kwik")
    _key, other_plaintext = key_for("mart")

    theirs = till(client, other_plaintext, "activate", card.serial)
    unknown = till(client, other_plaintext, "activate", "RU0000000000")
    void = till(client, other_plaintext, "void", card.serial)
    status = till(client, other_plaintext, "status", card.serial)

    assert theirs.status_code == unknown.status_code == void.status_code == 404
    assert status.status_code == 404
    assert theirs.json() == unknown.json() == {"detail": "No card with this serial."}
    card.refresh_from_db()
    assert card.status == ReupCardStatus.PRINTED
    assert not AuditEvent.objects.filter(action=AuditAction.REUP_CARD_ACTIVATED).exists()


def test_it_refuses_to_activate_a_card_whose_printer_file_was_never_made(client: Client) -> None:
    batch = make_batch(chain=make_chain("kwik"), count=1)
    card = batch.cards.get()
    _key, plaintext = key_for()

    response = till(client, plaintext, "activate", card.serial)

    assert response.status_code == 409
    assert "no PIN" in response.json()["detail"]
    card.refresh_from_db()
    assert card.status == ReupCardStatus.PRINTED


def test_it_voids_a_returned_card_once_and_the_voided_card_cannot_be_sold(client: Client) -> None:
    card = exported_card()
    key, plaintext = key_for()
    till(client, plaintext, "activate", card.serial)

    first = till(client, plaintext, "void", card.serial)
    again = till(client, plaintext, "void", card.serial)
    sell = till(client, plaintext, "activate", card.serial)

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == again.json()["status"] == "voided"
    assert sell.status_code == 409
    assert "voided" in sell.json()["detail"]
    events = AuditEvent.objects.filter(action=AuditAction.REUP_CARD_VOIDED)
    assert [event.data for event in events] == [
        {"serial": card.serial, "chain": "kwik", "key": key.prefix}
    ]


def test_it_voids_a_card_still_on_the_shelf(client: Client) -> None:
    card = exported_card()
    _key, plaintext = key_for()

    response = till(client, plaintext, "void", card.serial)

    assert response.status_code == 200
    assert response.json()["status"] == "voided"


def test_it_refuses_to_void_a_redeemed_card_and_confirms_its_sale_again(
    client: Client, alice: Subscriber
) -> None:
    card, _pin = make_redeemed_card(
        subscription=subscription_make(alice.devices[0]), chain=make_chain("kwik")
    )
    _key, plaintext = key_for()

    response = till(client, plaintext, "void", card.serial)
    sell = till(client, plaintext, "activate", card.serial)

    assert response.status_code == 409
    assert response.json() == {"detail": "This card was already redeemed and cannot be voided."}
    # A till retrying an activation whose answer it lost: the sale stands.
    assert sell.status_code == 200
    assert sell.json()["status"] == "redeemed"
    card.refresh_from_db()
    assert card.status == ReupCardStatus.REDEEMED


def test_it_tells_the_till_a_cards_status(client: Client) -> None:
    card = exported_card()
    _key, plaintext = key_for()

    before = till(client, plaintext, "status", card.serial)
    till(client, plaintext, "activate", card.serial)
    after = till(client, plaintext, "status", card.serial)

    assert before.json()["status"] == "printed"
    assert after.json()["status"] == "activated"


def test_it_refuses_a_request_without_a_valid_key(client: Client) -> None:
    card = exported_card()
    key, plaintext = key_for()
    wrong_secret = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")

    no_key = client.post(f"{API}/cards/{card.serial}/activate")
    wrong = till(client, wrong_secret, "activate", card.serial)
    not_a_key = till(client, "hello", "activate", card.serial)
    basic = client.post(
        f"{API}/cards/{card.serial}/activate", HTTP_AUTHORIZATION=f"Basic {plaintext}"
    )

    assert no_key.status_code == wrong.status_code == not_a_key.status_code == 401
    assert basic.status_code == 401
    card.refresh_from_db()
    assert card.status == ReupCardStatus.PRINTED
    key.refresh_from_db()
    assert key.last_used_at is None


def test_it_refuses_a_revoked_key_at_once(client: Client) -> None:
    card = exported_card()
    key, plaintext = key_for()
    assert till(client, plaintext, "status", card.serial).status_code == 200

    api_key_revoke(key=key)
    response = till(client, plaintext, "activate", card.serial)

    assert response.status_code == 401
    card.refresh_from_db()
    assert card.status == ReupCardStatus.PRINTED


def wrong_secret_for(plaintext: str) -> str:
    return plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")


def test_it_limits_unknown_keys_per_client_address(client: Client) -> None:
    card = exported_card()
    guesses = [
        till(client, f"plr_{i:012x}_guess", "activate", card.serial, REMOTE_ADDR="198.51.100.7")
        for i in range(10)
    ]

    limited = till(
        client, "plr_ffffffffffff_guess", "activate", card.serial, REMOTE_ADDR="198.51.100.7"
    )
    not_a_key = till(client, "hello", "activate", card.serial, REMOTE_ADDR="198.51.100.7")
    elsewhere = till(
        client, "plr_ffffffffffff_guess", "activate", card.serial, REMOTE_ADDR="198.51.100.8"
    )

    assert {guess.status_code for guess in guesses} == {401}
    assert limited.status_code == not_a_key.status_code == 429
    assert "wrong key" in limited.json()["detail"]
    assert elsewhere.status_code == 401


def test_it_lets_a_right_key_through_from_an_address_limited_for_wrong_keys(
    client: Client,
) -> None:
    card = exported_card()
    _key, plaintext = key_for()
    for i in range(10):
        till(client, f"plr_{i:012x}_guess", "status", card.serial, REMOTE_ADDR="198.51.100.7")
    assert (
        till(
            client, "plr_guess_guess", "status", card.serial, REMOTE_ADDR="198.51.100.7"
        ).status_code
        == 429
    )

    right = till(client, plaintext, "activate", card.serial, REMOTE_ADDR="198.51.100.7")

    assert right.status_code == 200
    assert right.json()["status"] == "activated"


def test_it_limits_wrong_secrets_per_key_from_any_address_without_locking_the_key_out(
    client: Client,
) -> None:
    card = exported_card()
    key, plaintext = key_for()
    _other_key, other_plaintext = api_key_create(chain=key.chain, name="Till 2")
    wrong = wrong_secret_for(plaintext)
    guesses = [
        till(client, wrong, "status", card.serial, REMOTE_ADDR=f"198.51.100.{i}") for i in range(10)
    ]

    limited = till(client, wrong, "status", card.serial, REMOTE_ADDR="203.0.113.50")
    other_prefix = till(
        client, wrong_secret_for(other_plaintext), "status", card.serial, REMOTE_ADDR="203.0.113.51"
    )
    right = till(client, plaintext, "activate", card.serial, REMOTE_ADDR="203.0.113.50")

    assert {guess.status_code for guess in guesses} == {401}
    assert limited.status_code == 429
    assert other_prefix.status_code == 401
    assert right.status_code == 200
    card.refresh_from_db()
    assert card.status == ReupCardStatus.ACTIVATED


def test_it_lists_the_till_endpoints_in_the_openapi_schema(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    activate = paths["/api/v1/retail/cards/{serial}/activate"]["post"]
    void = paths["/api/v1/retail/cards/{serial}/void"]["post"]
    assert activate["tags"] == void["tags"] == ["retail"]
    assert activate["summary"] == "Activate a card when it is sold"
    assert {"200", "401", "404", "409"} <= set(activate["responses"])
    assert activate["security"] == [{"RetailerKeyAuth": []}]
    assert "get" in paths["/api/v1/retail/cards/{serial}"]
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["RetailerKeyAuth"] == {"type": "http", "scheme": "bearer"}
