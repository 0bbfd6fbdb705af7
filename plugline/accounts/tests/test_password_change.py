"""Change password: 8 to 128 characters, no composition rules, guessable passwords refused."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.accounts.validators import MaximumLengthValidator, SimplePatternValidator
from plugline.core.models import AuditAction, AuditEvent

LOGIN = "/accounts/login/"
CHANGE = "/accounts/password/change/"
ACCOUNT = "/account/"
SECURITY = "/account/security/"
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSPHRASE_64 = "violet kettles hum softly while six herons fish in the cold bay!"


def sign_in(subscriber: Subscriber, address: str = "198.51.100.7") -> Client:
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"login": subscriber.email, "password": subscriber.password})
    assert response.status_code == 302
    return client


def change(client: Client, subscriber: Subscriber, new: str):
    return client.post(
        CHANGE, {"oldpassword": subscriber.password, "password1": new, "password2": new}
    )


def new_password_errors(page: str) -> list[str]:
    match = re.search(r'<ul class="errorlist" id="id_password1_error">(.*?)</ul>', page, re.S)
    if match is None:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1))]


def password_is(subscriber: Subscriber, password: str) -> bool:
    return User.objects.get(pk=subscriber.user.pk).check_password(password)


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("password123", "This password is too common."),
        ("wq8Zr1x", "This password is too short. It must contain at least 8 characters."),
        ("x" + "z7" * 64, "This password is too long. It must contain at most 128 characters."),
    ],
)
def test_it_refuses_a_guessable_short_or_huge_password_with_the_reason(
    alice: Subscriber, new: str, reason: str
):
    client = sign_in(alice)
    response = change(client, alice, new)
    assert response.status_code == 200
    page = response.content.decode()
    assert reason in new_password_errors(page)
    assert 'aria-describedby="id_password1_error id_password1_helptext"' in page
    assert password_is(alice, alice.password)
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGED).exists()


def test_it_refuses_129_characters_and_accepts_128(alice: Subscriber):
    client = sign_in(alice)
    too_long = "a quiet walk by the sea " * 5 + "in june, at ten"
    assert len(too_long) == 135
    assert new_password_errors(change(client, alice, too_long[:129]).content.decode()) == [
        "This password is too long. It must contain at most 128 characters."
    ]
    assert change(client, alice, too_long[:128]).status_code == 302
    assert password_is(alice, too_long[:128])


def test_it_accepts_a_64_character_passphrase(alice: Subscriber):
    assert len(PASSPHRASE_64) == 64
    client = sign_in(alice)
    response = change(client, alice, PASSPHRASE_64)
    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert password_is(alice, PASSPHRASE_64)
    page = client.get(SECURITY).content.decode()
    assert "Password successfully changed." in page
    assert '<strong class="activity-what">Password changed</strong>' in page


@pytest.mark.parametrize(
    "new",
    [
        "plumbing is underrated",  # lowercase words and spaces only
        "73920184615",  # digits only, neither common nor a sequence
        "Ünïcödé ☎ Ølstræde",
    ],
)
def test_it_has_no_rules_about_kinds_of_characters(alice: Subscriber, new: str):
    client = sign_in(alice)
    assert change(client, alice, new).status_code == 302
    assert password_is(alice, new)


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (
            "zzzzzzzzzzzzzzz",
            "This password only repeats one character or a few, like aaaaaaaa or abababab, "
            "which is easy to guess.",
        ),
        (
            "hjkhjkhjkhjkhjk",
            "This password only repeats one character or a few, like aaaaaaaa or abababab, "
            "which is easy to guess.",
        ),
        (
            "mnopqrstuvwxyz",
            "This password is a simple sequence, like 12345678, abcdefgh or a row of keys, "
            "which is easy to guess.",
        ),
        (
            "0987654321",
            "This password is a simple sequence, like 12345678, abcdefgh or a row of keys, "
            "which is easy to guess.",
        ),
    ],
)
def test_it_refuses_repeated_characters_and_simple_sequences(
    alice: Subscriber, new: str, reason: str
):
    client = sign_in(alice)
    assert reason in new_password_errors(change(client, alice, new).content.decode())
    assert password_is(alice, alice.password)


@pytest.mark.parametrize(
    "password", ["azertyuiop", "QSDFGHJKLM", "mnbvcxz", "asdfghjklæø", "abcabcabcabc"]
)
def test_the_pattern_rule_knows_keyboard_rows_and_short_repeats(password: str):
    with pytest.raises(ValidationError):
        SimplePatternValidator().validate(password)


@pytest.mark.parametrize("password", ["abcdxyz12", "qwerty is not my password", "aab"])
def test_the_pattern_rule_lets_other_passwords_through(password: str):
    SimplePatternValidator().validate(password)  # no error


def test_the_length_limit_says_its_maximum():
    assert MaximumLengthValidator(128).get_help_text() == (
        "Your password can contain at most 128 characters."
    )


def test_it_refuses_a_wrong_current_password(alice: Subscriber):
    client = sign_in(alice)
    response = client.post(
        CHANGE,
        {"oldpassword": "not my password", "password1": PASSPHRASE_64, "password2": PASSPHRASE_64},
    )
    assert "Please type your current password." in response.content.decode()
    assert password_is(alice, alice.password)


def test_it_keeps_this_browser_signed_in_and_signs_out_the_others(alice: Subscriber):
    laptop = sign_in(alice, "203.0.113.20")
    phone = sign_in(alice, "198.51.100.7")
    assert phone.get(ACCOUNT).status_code == 200

    assert change(laptop, alice, PASSPHRASE_64).status_code == 302

    assert laptop.get(ACCOUNT).status_code == 200
    response = phone.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_it_audits_the_change_without_the_password(alice: Subscriber):
    client = sign_in(alice, "203.0.113.20")
    change(client, alice, PASSPHRASE_64)
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGED)
    assert event.user == alice.user
    assert event.ip_address == "203.0.113.20"
    for row in AuditEvent.objects.all():
        assert PASSPHRASE_64 not in str(row.data) and alice.password not in str(row.data)


def test_it_explains_the_rules_on_the_page(alice: Subscriber):
    page = sign_in(alice).get(CHANGE).content.decode()
    assert "<h1>Change password</h1>" in page
    assert "At least 8 characters and at most 128, with no rules about digits or symbols" in page
    for label in ("Current password", "New password", "New password again"):
        assert f">{label}</label>" in page
    assert "placeholder=" not in page
    assert 'href="/accounts/password/reset/"' in page
    assert f'href="{SECURITY}"' in page


def wrong_current_password(client: Client) -> int:
    return client.post(
        CHANGE,
        {"oldpassword": "a guess", "password1": PASSPHRASE_64, "password2": PASSPHRASE_64},
    ).status_code


def test_it_stops_guessing_the_current_password_per_account(alice: Subscriber):
    with time_machine.travel(MORNING, tick=False) as clock:
        client = sign_in(alice)
        assert [wrong_current_password(client) for _ in range(11)] == [200] * 10 + [429]
        statuses = []
        for _ in range(4):  # a few tries every few minutes, within the hour
            clock.shift(timedelta(minutes=5))
            statuses += [wrong_current_password(client) for _ in range(7)]
        assert statuses[:20] == [200] * 20  # 30 in the hour, with the first 10
        assert set(statuses[20:]) == {429}
        response = client.post(CHANGE, {"oldpassword": alice.password})
        assert response.status_code == 429
        assert "Too many attempts" in response.content.decode()


def test_it_stops_guessing_from_one_address_across_accounts(db: None):
    statuses = []
    with time_machine.travel(MORNING, tick=False) as clock:
        for n in range(3):
            subscriber = make_subscriber(f"house{n}@example.com", numbers=(f"+1212555{n:04d}",))
            client = sign_in(subscriber, "192.0.2.50")
            for _ in range(3):
                clock.shift(timedelta(minutes=2))
                statuses += [wrong_current_password(client) for _ in range(9)]
        other = make_subscriber("elsewhere@example.com", numbers=("+12125550300",))
        elsewhere = sign_in(other, "198.51.100.99")
        assert wrong_current_password(elsewhere) == 200
    # 60 an hour from one address, whichever accounts (each stays under its own 30).
    assert statuses[:60] == [200] * 60
    assert set(statuses[60:]) == {429}
