"""Two-factor sign-in: an authenticator app (TOTP) with recovery codes, asked for at sign-in."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from conftest import Subscriber, make_subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
TWO_FACTOR = "/accounts/2fa/"
ACTIVATE = "/accounts/2fa/totp/activate/"
DEACTIVATE = "/accounts/2fa/totp/deactivate/"
AUTHENTICATE = "/accounts/2fa/authenticate/"
CODES = "/accounts/2fa/recovery-codes/"
GENERATE = "/accounts/2fa/recovery-codes/generate/"
REAUTHENTICATE = "/accounts/reauthenticate/"
ACCOUNT = "/account/"
# A moment at the start of a 30-second TOTP window, so a test has the whole window.
START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

Callbacks = Callable[..., AbstractContextManager[list[Callable[[], object]]]]


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for `secret` at `at` (now by default)."""
    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(secret.replace(" ", ""), counter))


def sign_in(client: Client, identifier: str, password: str):
    return client.post(LOGIN, {"login": identifier, "password": password})


def confirm_password(client: Client, password: str) -> None:
    """ "Confirm it is you": every two-factor change asks for it (valid five minutes)."""
    assert client.post(REAUTHENTICATE, {"password": password}).status_code == 302


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def page_secret(page: str) -> str:
    match = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert match, "the setup key is shown as text next to the QR code"
    return match.group(1).replace(" ", "")


def page_codes(page: str) -> list[str]:
    block = re.search(r'<ol class="codes"[^>]*>(.*?)</ol>', page, re.S)
    assert block, "the recovery codes are listed on the page"
    return re.findall(r"<code>(\d{8})</code>", block.group(1))


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def turn_on(client: Client, callbacks: Callbacks) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on as a person would; the app's secret and the recovery codes."""
    secret = page_secret(client.get(ACTIVATE).content.decode())
    with callbacks(execute=True):
        response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == CODES
    with callbacks(execute=True):
        codes = page_codes(client.get(CODES).content.decode())
    return secret, codes


@pytest.fixture
def alice_2fa(
    alice: Subscriber,
    client: Client,
    frozen: time_machine.Traveller,
    django_capture_on_commit_callbacks,
) -> tuple[str, list[str]]:
    """Alice with two-factor sign-in on, signed out again; her app's secret and recovery codes."""
    assert sign_in(client, alice.email, alice.password).status_code == 302
    confirm_password(client, alice.password)
    secret, codes = turn_on(client, django_capture_on_commit_callbacks)
    client.post(LOGOUT)
    assert not signed_in(client)
    # The next code: the one used to turn it on cannot be used twice.
    frozen.shift(30)
    return secret, codes


def test_it_shows_a_qr_code_and_the_key_as_text_to_turn_it_on(alice: Subscriber, client: Client):
    assert sign_in(client, alice.email, alice.password).status_code == 302
    confirm_password(client, alice.password)
    hub = client.get(TWO_FACTOR).content.decode()
    assert "Two-factor sign-in is off." in hub
    assert ACTIVATE in hub
    page = client.get(ACTIVATE).content.decode()
    secret = page_secret(page)
    assert len(secret) == 32
    # The QR code is inside the page (no request to anywhere, works offline)
    # and holds the same key, for this account, from this brand.
    match = re.search(
        r'<img class="qr" src="data:image/svg\+xml;base64,([^"]+)"[^>]*alt="([^"]+)"', page
    )
    assert match
    assert match.group(2) == "QR code to scan with your authenticator app"
    svg = base64.b64decode(match.group(1)).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "<path" in svg
    assert "href" not in svg and "<script" not in svg
    link = re.search(r'href="(otpauth://totp/[^"]+)"', page)
    assert link
    otpauth = unquote(link.group(1).replace("&amp;", "&"))
    assert otpauth == f"otpauth://totp/alice@example.com?secret={secret}&issuer=Plugline"
    assert 'for="id_code"' in page and 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page


def test_it_turns_on_with_a_code_from_the_app_and_shows_the_recovery_codes_once(
    alice: Subscriber,
    client: Client,
    frozen: time_machine.Traveller,
    django_capture_on_commit_callbacks,
):
    assert sign_in(client, alice.email, alice.password).status_code == 302
    confirm_password(client, alice.password)
    _secret, codes = turn_on(client, django_capture_on_commit_callbacks)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert Authenticator.objects.filter(user=alice.user, type=Authenticator.Type.TOTP).exists()
    # Shown once: a second look shows none of them.
    again = client.get(CODES).content.decode()
    assert not any(code in again for code in codes)
    assert "Your codes were shown once, when they were made." in again
    hub = client.get(TWO_FACTOR).content.decode()
    assert "Two-factor sign-in is on." in hub
    assert "You have 10 unused recovery codes out of 10." in hub


def test_it_offers_the_recovery_codes_as_a_file_on_the_page_that_shows_them(
    alice: Subscriber,
    client: Client,
    frozen: time_machine.Traveller,
    django_capture_on_commit_callbacks,
):
    assert sign_in(client, alice.email, alice.password).status_code == 302
    confirm_password(client, alice.password)
    secret = page_secret(client.get(ACTIVATE).content.decode())
    client.post(ACTIVATE, {"code": totp_code(secret)})
    page = client.get(CODES).content.decode()
    link = re.search(
        r'href="data:text/plain;charset=utf-8;base64,([^"]+)"'
        r' download="plugline-recovery-codes.txt"',
        page,
    )
    assert link
    content = base64.b64decode(link.group(1)).decode()
    assert "Plugline recovery codes for alice@example.com" in content
    assert content.split("\r\n")[3:13] == page_codes(page)


def test_it_refuses_a_wrong_code_when_turning_on(alice: Subscriber, client: Client):
    assert sign_in(client, alice.email, alice.password).status_code == 302
    confirm_password(client, alice.password)
    secret = page_secret(client.get(ACTIVATE).content.decode())
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    response = client.post(ACTIVATE, {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=alice.user).exists()


def test_it_never_caches_the_pages_that_show_the_key_or_the_codes(
    alice: Subscriber, client: Client, frozen: time_machine.Traveller
):
    assert sign_in(client, alice.email, alice.password).status_code == 302
    confirm_password(client, alice.password)
    page = client.get(ACTIVATE)
    assert "no-store" in page["Cache-Control"]
    client.post(ACTIVATE, {"code": totp_code(page_secret(page.content.decode()))})
    assert "no-store" in client.get(CODES)["Cache-Control"]


@pytest.mark.parametrize("identifier", ["alice@example.com", "(212) 555-0147"])
def test_it_asks_for_a_code_at_the_next_sign_in(
    alice: Subscriber, client: Client, alice_2fa: tuple[str, list[str]], identifier: str
):
    secret, _codes = alice_2fa
    response = sign_in(client, identifier, alice.password)
    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE
    assert not signed_in(client)
    # Nothing of the account is reachable before the code.
    assert client.get(ACCOUNT)["Location"].startswith(LOGIN)
    sign_in(client, identifier, alice.password)
    page = client.get(AUTHENTICATE).content.decode()
    assert "Now open your authenticator app and type the code" in page
    assert "autofocus" in page
    response = client.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert signed_in(client)
    assert client.session["_auth_user_id"] == str(alice.user.pk)
    assert client.get(ACCOUNT).status_code == 200


def test_it_goes_where_the_subscriber_was_going_once_the_code_is_right(
    alice: Subscriber, client: Client, alice_2fa: tuple[str, list[str]]
):
    secret, _codes = alice_2fa
    response = client.get("/account/privacy/")
    assert response["Location"] == f"{LOGIN}?next=/account/privacy/"
    response = client.post(response["Location"], {"login": alice.email, "password": alice.password})
    assert response["Location"] == AUTHENTICATE
    response = client.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert response["Location"] == "/account/privacy/"
    sign_ins = AuditEvent.objects.filter(action=AuditAction.SIGN_IN, user=alice.user)
    assert sign_ins.count() == 2  # turning it on, and now


def test_it_refuses_a_wrong_code_at_sign_in(
    alice: Subscriber, client: Client, alice_2fa: tuple[str, list[str]]
):
    secret, _codes = alice_2fa
    sign_in(client, alice.email, alice.password)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    response = client.post(AUTHENTICATE, {"code": wrong})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<ul class="errorlist" id="id_code_error"><li>Incorrect code.</li></ul>' in page
    # Screen readers read the error and the hint with the field.
    assert 'aria-describedby="id_code_error id_code_helptext"' in page
    assert 'aria-invalid="true"' in page
    assert not signed_in(client)
    failure = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, user=alice.user).get()
    assert failure.data == {"reason": "two_factor_code"}
    # A code from long ago (an old screenshot) does not work either.
    stale = totp_code(secret, at=time.time() - 300)
    assert "Incorrect code." in client.post(AUTHENTICATE, {"code": stale}).content.decode()
    assert not signed_in(client)


def test_it_refuses_a_code_that_was_already_used(
    alice: Subscriber, alice_2fa: tuple[str, list[str]]
):
    secret, _codes = alice_2fa
    first, second = Client(), Client()
    sign_in(first, alice.email, alice.password)
    sign_in(second, alice.email, alice.password)
    code = totp_code(secret)
    first.post(AUTHENTICATE, {"code": code})
    assert signed_in(first)
    # Someone who saw the code over her shoulder is too late.
    response = second.post(AUTHENTICATE, {"code": code})
    assert "Incorrect code." in response.content.decode()
    assert not signed_in(second)


def test_it_accepts_a_recovery_code_once(
    alice: Subscriber, client: Client, alice_2fa: tuple[str, list[str]]
):
    _secret, codes = alice_2fa
    sign_in(client, alice.email, alice.password)
    client.post(AUTHENTICATE, {"code": codes[3]})
    assert signed_in(client)
    hub = client.get(TWO_FACTOR).content.decode()
    assert "You have 9 unused recovery codes out of 10." in hub
    client.post(LOGOUT)

    sign_in(client, alice.email, alice.password)
    response = client.post(AUTHENTICATE, {"code": codes[3]})
    assert "Incorrect code." in response.content.decode()
    assert not signed_in(client)
    client.post(AUTHENTICATE, {"code": codes[4]})
    assert signed_in(client)


def test_it_throttles_guessing_codes_per_account(
    alice: Subscriber, client: Client, alice_2fa: tuple[str, list[str]]
):
    secret, _codes = alice_2fa
    sign_in(client, alice.email, alice.password)
    right = totp_code(secret)
    wrong = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 11)]
    for code in wrong:
        assert "Incorrect code." in client.post(AUTHENTICATE, {"code": code}).content.decode()
    # The 11th try within a minute is refused, even with the right code...
    response = client.post(AUTHENTICATE, {"code": right})
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not signed_in(client)
    # ... and starting over from the password, in another browser, does not reset it.
    other = Client()
    assert sign_in(other, alice.email, alice.password)["Location"] == AUTHENTICATE
    response = other.post(AUTHENTICATE, {"code": right})
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not signed_in(other)


def test_it_lets_the_code_through_again_after_the_pause(
    alice: Subscriber,
    client: Client,
    alice_2fa: tuple[str, list[str]],
    frozen: time_machine.Traveller,
):
    secret, _codes = alice_2fa
    sign_in(client, alice.email, alice.password)
    for n in range(1, 11):
        client.post(AUTHENTICATE, {"code": f"{(int(totp_code(secret)) + n) % 1_000_000:06d}"})
    frozen.shift(timedelta(minutes=2))
    # The pending sign-in may have expired meanwhile; the password again, then the code.
    sign_in(client, alice.email, alice.password)
    client.post(AUTHENTICATE, {"code": totp_code(secret)})
    assert signed_in(client)


def test_it_audits_and_announces_turning_on_and_off(
    alice: Subscriber,
    client: Client,
    frozen: time_machine.Traveller,
    django_capture_on_commit_callbacks,
):
    assert sign_in(client, alice.email, alice.password).status_code == 302
    confirm_password(client, alice.password)
    secret, codes = turn_on(client, django_capture_on_commit_callbacks)
    on = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_ENABLED)
    assert on.user == alice.user and on.data == {"method": "authenticator_app"}
    notice = OutboxMessage.objects.get(template="mfa/email/totp_activated")
    assert notice.to_email == "alice@example.com"
    assert notice.subject == "Two-factor sign-in is on for your Plugline account"
    assert "Browser: Unknown browser" in notice.body_text  # the test client sends no User-Agent
    assert "Address: 127.0.0.1" in notice.body_text
    assert "/accounts/password/reset/" in notice.body_text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DEACTIVATE, HTTP_USER_AGENT=FIREFOX_WINDOWS)
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=alice.user).exists()
    off = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_DISABLED)
    assert off.user == alice.user
    notice = OutboxMessage.objects.get(template="mfa/email/totp_deactivated")
    assert notice.subject == "Two-factor sign-in is off for your Plugline account"
    assert "Browser: Firefox on Windows" in notice.body_text
    assert "Two-factor sign-in is off." in client.get(TWO_FACTOR).content.decode()

    # Never a secret in the log or in the emails.
    for event in AuditEvent.objects.filter(user=alice.user):
        assert secret not in str(event.data)
        assert not any(code in str(event.data) for code in codes)
    for message in OutboxMessage.objects.all():
        assert secret not in message.body_text
        assert not any(code in message.body_text for code in codes)

    # And the next sign-in asks only for the password.
    client.post(LOGOUT)
    assert sign_in(client, alice.email, alice.password)["Location"] == "/"


FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_it_makes_new_recovery_codes_and_the_old_ones_stop_working(
    alice: Subscriber,
    client: Client,
    alice_2fa: tuple[str, list[str]],
    django_capture_on_commit_callbacks,
):
    secret, old_codes = alice_2fa
    sign_in(client, alice.email, alice.password)
    client.post(AUTHENTICATE, {"code": totp_code(secret)})
    confirm_password(client, alice.password)
    page = client.get(GENERATE).content.decode()
    assert "Your 10 unused codes stop working." in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(GENERATE)
    assert response["Location"] == CODES
    new_codes = page_codes(client.get(CODES).content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODES_GENERATED).count() == 1
    notice = OutboxMessage.objects.get(template="mfa/email/recovery_codes_generated")
    assert notice.subject == "New recovery codes for your Plugline account"

    client.post(LOGOUT)
    sign_in(client, alice.email, alice.password)
    assert "Incorrect code." in client.post(AUTHENTICATE, {"code": old_codes[0]}).content.decode()
    client.post(AUTHENTICATE, {"code": new_codes[0]})
    assert signed_in(client)


def test_it_asks_to_confirm_the_password_before_a_change(
    alice: Subscriber, client: Client, frozen: time_machine.Traveller
):
    sign_in(client, alice.email, alice.password)
    response = client.get(ACTIVATE)
    assert response.status_code == 302
    confirm = response["Location"]
    assert confirm == f"{REAUTHENTICATE}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    page = client.get(confirm).content.decode()
    assert "Confirm it is you" in page
    assert 'autocomplete="current-password"' in page
    wrong = client.post(confirm, {"password": "not my password"})
    assert wrong.status_code == 200
    assert client.get(ACTIVATE).status_code == 302
    response = client.post(confirm, {"password": alice.password})
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
    assert client.get(ACTIVATE).status_code == 200
    # The confirmation lasts five minutes.
    frozen.shift(timedelta(minutes=6))
    assert client.get(ACTIVATE)["Location"] == confirm


def test_it_confirms_with_a_code_instead_of_the_password_when_two_factor_is_on(
    alice: Subscriber,
    client: Client,
    alice_2fa: tuple[str, list[str]],
    frozen: time_machine.Traveller,
):
    secret, _codes = alice_2fa
    sign_in(client, alice.email, alice.password)
    client.post(AUTHENTICATE, {"code": totp_code(secret)})
    response = client.get(DEACTIVATE)
    assert response["Location"].startswith(REAUTHENTICATE)
    page = client.get(response["Location"]).content.decode()
    alternative = re.search(r'<a href="(/accounts/2fa/reauthenticate/[^"]*)">', page)
    assert alternative, "the code is offered as another way to confirm"
    target = alternative.group(1).replace("&amp;", "&")
    form = client.get(target).content.decode()
    assert "Before this security change, type the code" in form
    frozen.shift(30)  # the code of the sign-in cannot be used twice
    response = client.post(target, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == DEACTIVATE
    assert client.get(DEACTIVATE).status_code == 200


def test_it_lets_an_account_with_two_factor_add_a_secondary_email(
    alice: Subscriber, client: Client, alice_2fa: tuple[str, list[str]]
):
    # A used device's new owner adds their own email, two-factor or not.
    secret, _codes = alice_2fa
    sign_in(client, alice.email, alice.password)
    client.post(AUTHENTICATE, {"code": totp_code(secret)})
    confirm_password(client, alice.password)
    client.post("/accounts/email/", {"action_add": "", "email": "new.owner@example.com"})
    added = EmailAddress.objects.get(user=alice.user, email="new.owner@example.com")
    assert not added.verified and not added.primary


@pytest.mark.parametrize(
    ("language", "subject", "heading"),
    [
        (
            "fr",
            "La connexion en deux étapes est activée pour votre compte Plugline",
            "Codes de secours",
        ),
        ("da", "Totrinslogin er slået til for din Plugline-konto", "Gendannelseskoder"),
    ],
)
def test_it_speaks_the_subscribers_language(
    db: None,
    client: Client,
    frozen: time_machine.Traveller,
    django_capture_on_commit_callbacks,
    language: str,
    subject: str,
    heading: str,
):
    subscriber = make_subscriber("claire@example.com", language=language)
    sign_in(client, subscriber.email, subscriber.password)
    confirm_password(client, subscriber.password)
    secret = page_secret(client.get(ACTIVATE).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ACTIVATE, {"code": totp_code(secret)})
    assert f"<h1>{heading}</h1>" in client.get(CODES).content.decode()
    notice = OutboxMessage.objects.get(template="mfa/email/totp_activated")
    assert notice.language == language
    assert notice.subject == subject
