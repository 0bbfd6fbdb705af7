"""One-time challenges signed by the device, and the serial with its label code."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from plugline.core.scheduling import periodic_jobs
from plugline.devices.keys import device_key_generate, presence_sign, token_hash
from plugline.devices.models import DeviceChallenge
from plugline.devices.presence import (
    challenge_issue,
    challenge_verify,
    challenges_expired_delete,
    device_for_label_code,
)
from plugline.devices.tests.presence_factory import make_boxed_device

pytestmark = pytest.mark.django_db

PURPOSE = "activation:11111111-2222-3333-4444-555555555555"


def _verify(boxed, challenge, *, key=None, purpose=PURPOSE, serial=None):
    return challenge_verify(
        serial=serial or boxed.serial,
        challenge=challenge,
        signature=presence_sign(device_key=key or boxed.key, challenge=challenge),
        purpose=purpose,
    )


def test_it_accepts_the_devices_signature_of_its_challenge() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    assert _verify(boxed, challenge) == boxed.device


def test_it_stores_only_a_hash_of_the_challenge() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    stored = DeviceChallenge.objects.get()
    assert stored.challenge_hash == token_hash(challenge)
    assert challenge not in stored.challenge_hash
    assert stored.expires_at - stored.created_at == pytest.approx(
        timedelta(minutes=2), abs=timedelta(seconds=1)
    )


def test_it_accepts_a_challenge_only_once() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    assert _verify(boxed, challenge) == boxed.device
    assert _verify(boxed, challenge) is None


def test_it_refuses_an_expired_challenge() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    with time_machine.travel(timezone.now() + timedelta(minutes=2, seconds=1)):
        assert _verify(boxed, challenge) is None


def test_it_accepts_a_challenge_just_before_it_expires() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=55)):
        assert _verify(boxed, challenge) == boxed.device


def test_it_refuses_a_signature_by_another_key() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    assert _verify(boxed, challenge, key=device_key_generate()) is None
    # A wrong signature does not use the challenge up: the device can still answer.
    assert _verify(boxed, challenge) == boxed.device


def test_it_refuses_a_signature_of_another_challenge() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)
    other = challenge_issue(device=boxed.device, purpose=PURPOSE)

    assert (
        challenge_verify(
            serial=boxed.serial,
            challenge=challenge,
            signature=presence_sign(device_key=boxed.key, challenge=other),
            purpose=PURPOSE,
        )
        is None
    )


def test_it_refuses_a_challenge_issued_for_another_purpose() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose="agent")

    assert _verify(boxed, challenge, purpose=PURPOSE) is None
    assert _verify(boxed, challenge, purpose="agent") == boxed.device


def test_it_refuses_a_challenge_issued_for_another_device() -> None:
    mine = make_boxed_device("PLG10000001")
    theirs = make_boxed_device("PLG10000002")
    challenge = challenge_issue(device=theirs.device, purpose=PURPOSE)

    # Signed by my device, for their challenge.
    assert _verify(mine, challenge) is None


def test_it_refuses_a_made_up_challenge() -> None:
    boxed = make_boxed_device()

    assert _verify(boxed, "a-challenge-nobody-issued") is None


def test_it_refuses_an_unknown_serial() -> None:
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    assert _verify(boxed, challenge, serial="PLG99999999") is None


def test_it_finds_the_device_by_serial_in_capitals() -> None:
    boxed = make_boxed_device("PLG10000003")
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)

    assert _verify(boxed, challenge, serial=" plg 1000 0003 ") == boxed.device


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_simultaneous_proofs_through() -> None:
    """Eight requests with the same signed challenge at once: exactly one is accepted."""
    boxed = make_boxed_device()
    challenge = challenge_issue(device=boxed.device, purpose=PURPOSE)
    signature = presence_sign(device_key=boxed.key, challenge=challenge)
    barrier = threading.Barrier(8)

    def prove() -> bool:
        try:
            barrier.wait()
            device = challenge_verify(
                serial=boxed.serial, challenge=challenge, signature=signature, purpose=PURPOSE
            )
            return device is not None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: prove(), range(8)))

    assert outcomes.count(True) == 1


def test_it_deletes_expired_challenges_periodically() -> None:
    boxed = make_boxed_device()
    challenge_issue(device=boxed.device, purpose=PURPOSE)
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        challenge_issue(device=boxed.device, purpose=PURPOSE)

    assert "devices.delete_expired_challenges" in {job.name for job in periodic_jobs()}
    assert challenges_expired_delete() == 1
    assert DeviceChallenge.objects.count() == 1


def test_it_finds_the_device_by_its_label_code() -> None:
    boxed = make_boxed_device()

    assert device_for_label_code(serial=boxed.serial, code=boxed.label_code) == boxed.device
    spaced = f"{boxed.label_code[:4].lower()}-{boxed.label_code[4:]}"
    assert device_for_label_code(serial=boxed.serial, code=spaced) == boxed.device


def test_it_refuses_a_wrong_label_code() -> None:
    boxed = make_boxed_device()
    other = make_boxed_device("PLG10000002")

    assert device_for_label_code(serial=boxed.serial, code=other.label_code) is None
    assert device_for_label_code(serial="PLG99999999", code=boxed.label_code) is None
