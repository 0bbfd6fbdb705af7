"""Retailer API keys: shown once, stored as a hash, revocable, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from plugline.core.models import AuditAction, AuditEvent
from plugline.reup.models import RetailerApiKey
from plugline.reup.services import api_key_authenticate, api_key_create, api_key_revoke
from plugline.reup.tests.factories import make_chain
from plugline.reup.tests.test_batches import database_dump

pytestmark = pytest.mark.django_db


def test_it_keeps_no_key_in_clear_in_the_database() -> None:
    key, plaintext = api_key_create(chain=make_chain("kwik"), name="Tills")
    secret = plaintext.split("_", 2)[2]

    dump = database_dump()

    assert plaintext.startswith(f"plr_{key.prefix}_") and len(secret) >= 40
    assert key.prefix in dump
    assert secret not in dump
    assert key.secret_hash in dump


def test_it_recognises_its_keys_and_no_other() -> None:
    chain = make_chain("kwik")
    key, plaintext = api_key_create(chain=chain, name="Tills")
    _other, other_plaintext = api_key_create(chain=chain, name="Web shop")
    prefix, secret = plaintext.split("_", 2)[1:]

    assert api_key_authenticate(plaintext) == key
    assert api_key_authenticate(f"  {plaintext}\n") == key
    for wrong in [
        f"plr_{prefix}_{secret[:-1]}",
        f"plr_{prefix}_{other_plaintext.split('_', 2)[2]}",
        f"plr_{prefix}_",
        f"plr__{secret}",
        f"xyz_{prefix}_{secret}",
        secret,
        "",
    ]:
        assert api_key_authenticate(wrong) is None, wrong


def test_it_refuses_a_revoked_key_and_audits_the_revocation_once() -> None:
    key, plaintext = api_key_create(chain=make_chain("kwik"), name="Tills")

    assert api_key_revoke(key=key) is True
    assert api_key_revoke(key=key) is False

    assert api_key_authenticate(plaintext) is None
    assert key.revoked_at is not None
    events = AuditEvent.objects.filter(action=AuditAction.RETAILER_KEY_REVOKED)
    assert [event.data for event in events] == [
        {"chain": "kwik", "key": key.prefix, "name": "Tills"}
    ]


def test_it_audits_a_new_key_without_its_secret() -> None:
    key, plaintext = api_key_create(chain=make_chain("kwik"), name="Tills")

    event = AuditEvent.objects.get(action=AuditAction.RETAILER_KEY_CREATED)
    assert event.data == {"chain": "kwik", "key": key.prefix, "name": "Tills"}
    assert plaintext.split("_", 2)[2] not in str(event.data)


def test_it_records_when_a_key_was_last_used_every_few_minutes_not_every_request() -> None:
    key, plaintext = api_key_create(chain=make_chain("kwik"), name="Tills")
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        api_key_authenticate(plaintext)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        api_key_authenticate(plaintext)
    first = RetailerApiKey.objects.get().last_used_at
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        api_key_authenticate(plaintext)
    later = RetailerApiKey.objects.get().last_used_at

    assert first == start
    assert later == start + timedelta(minutes=6)
    assert key.pk
