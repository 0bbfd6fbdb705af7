""" "Download my data": a JSON file of everything Plugline holds about the account."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Subscriber, make_subscriber
from plugline.accounts import data_export
from plugline.accounts.data_export import register_data_export_section
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.services import audit_record
from plugline.notifications.models import OutboxMessage
from plugline.notifications.services import email_send

PRIVACY = "/account/privacy/"
DOWNLOAD = "/account/privacy/download/"


def download(client: Client, **extra: Any) -> dict[str, Any]:
    response = client.post(DOWNLOAD, **extra)
    assert response.status_code == 200, response.status_code
    return json.loads(response.content)


def send_an_email(user: User) -> None:
    email_send(
        template="account/email/password_reset_key",
        to=user.email,
        context={
            "user": user,
            "password_reset_url": "https://example.com/r/",
            "reset_link_hours": 1,
        },
        language="en",
        user=user,
    )


def strings_in(value: Any) -> Iterator[str]:
    """Every key and every value of a JSON document, as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    else:
        yield str(value)


def test_it_offers_the_download_from_the_account_page(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    assert PRIVACY in client.get("/account/").content.decode()
    page = client.get(PRIVACY).content.decode()
    form = re.search(rf'<form method="post" action="{DOWNLOAD}">(.*?)</form>', page, re.S)
    assert form is not None
    assert "csrfmiddlewaretoken" in form.group(1)
    assert "Download my data" in form.group(1)


def test_it_downloads_a_json_file_named_with_todays_date(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    response = client.post(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    today = timezone.now().date().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="plugline-data-{today}.json"'
    assert "no-store" in response["Cache-Control"]
    export = json.loads(response.content)
    assert export["export"]["service"] == "Plugline"
    assert [(d["serial"], d["phone_number"]) for d in export["devices"]] == [
        (alice.devices[0].serial, "+12125550147")
    ]


def test_it_exports_every_profile_field_but_the_password_and_internal_flags(
    alice: Subscriber, client: Client
):
    client.force_login(alice.user)
    profile = download(client)["profile"]
    assert profile["email"] == "alice@example.com"
    assert profile["original_email"] == "alice@example.com"
    assert (profile["first_name"], profile["last_name"], profile["language"]) == (
        "Alice",
        "Archer",
        "en",
    )
    assert profile["date_joined"].startswith(str(alice.user.date_joined.year))
    for left_out in ("password", "is_staff", "is_superuser", "is_active"):
        assert left_out not in profile
    # Built from the model: a field added to the profile is exported with no other change.
    every_field = {field.attname for field in User._meta.concrete_fields}
    assert set(profile) == every_field - {"password", "is_staff", "is_superuser", "is_active"}


def test_it_exports_the_emails_saying_which_is_preferred_and_which_is_original(
    alice: Subscriber, client: Client
):
    EmailAddress.objects.filter(user=alice.user).update(primary=False)
    EmailAddress.objects.create(
        user=alice.user, email="alice@work.example", verified=True, primary=True
    )
    EmailAddress.objects.create(user=alice.user, email="alice@new.example", verified=False)
    User.objects.filter(pk=alice.user.pk).update(email="alice@work.example")
    client.force_login(alice.user)

    assert download(client)["emails"] == [
        {"address": "alice@example.com", "verified": True, "preferred": False, "original": True},
        {
            "address": "alice@work.example",
            "verified": True,
            "preferred": True,
            "original": False,
        },
        {
            "address": "alice@new.example",
            "verified": False,
            "preferred": False,
            "original": False,
        },
    ]


def test_it_exports_the_audit_events_the_emails_sent_and_the_signed_in_browsers(
    alice: Subscriber, client: Client
):
    client.post("/accounts/login/", {"login": alice.email, "password": alice.password})
    send_an_email(alice.user)
    export = download(
        client, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/140 on a test bench"
    )

    actions = [event["action"] for event in export["audit_events"]]
    assert actions == ["data_exported", "sign_in"]  # newest first
    exported = export["audit_events"][0]
    assert exported["ip_address"] == "203.0.113.9"
    assert exported["user_agent"] == "Firefox/140 on a test bench"
    assert exported["created_at"]

    [sent] = export["emails_sent"]
    message = OutboxMessage.objects.get()
    assert (sent["to"], sent["subject"]) == ("alice@example.com", message.subject)
    assert "body" not in json.dumps(sent) and message.body_text not in json.dumps(export)

    [browser] = export["sessions"]
    assert browser["ip_address"] == "203.0.113.9"  # where it was last seen
    assert browser["user_agent"] == "Firefox/140 on a test bench"
    assert browser["last_seen_at"]
    assert export["two_factor"] == []


def test_it_exports_whether_two_factor_is_on(alice: Subscriber, client: Client):
    TOTP.activate(alice.user, generate_totp_secret())
    RecoveryCodes.activate(alice.user)
    client.force_login(alice.user)
    two_factor = download(client)["two_factor"]
    assert [item["type"] for item in two_factor] == ["totp", "recovery_codes"]
    assert all(item["created_at"] for item in two_factor)
    assert {key for item in two_factor for key in item} == {"type", "created_at", "last_used_at"}


def test_it_contains_no_password_hash_and_no_secret_anywhere(alice: Subscriber, client: Client):
    other_browser = Client()
    for browser in (other_browser, client):
        browser.post("/accounts/login/", {"login": alice.email, "password": alice.password})
    totp_secret = generate_totp_secret()
    TOTP.activate(alice.user, totp_secret)
    recovery = RecoveryCodes.activate(alice.user)
    seed = recovery.instance.data["seed"]
    codes = recovery.get_unused_codes()
    # A password-reset email: its link holds a token.
    Client().post("/accounts/password/reset/", {"email": alice.email})
    reset_body = OutboxMessage.objects.get(template__contains="password_reset").body_text
    reset_token = re.search(r"/accounts/password/reset/key/(\S+)/", reset_body)
    assert reset_token is not None

    export = download(client)

    alice.user.refresh_from_db()
    session_keys = list(UserSession.objects.filter(user=alice.user).values_list("session_key"))
    assert len(session_keys) == 2 and len(export["sessions"]) == 2
    secrets = {
        "password hash": alice.user.password,
        "password hash's digest": alice.user.password.rsplit("$", 1)[-1],
        "password": alice.password,
        "TOTP secret": totp_secret,
        "recovery codes seed": seed,
        **{f"recovery code {n}": code for n, code in enumerate(codes)},
        **{f"session key {n}": key for n, (key,) in enumerate(session_keys)},
        "reset token": reset_token.group(1),
    }
    texts = list(strings_in(export))
    for name, secret in secrets.items():
        assert not any(secret in text for text in texts), f"the export holds the {name}"


def test_it_holds_only_the_asking_accounts_data(alice: Subscriber, bob: Subscriber, client: Client):
    audit_record(action=AuditAction.SIGN_IN, user=bob.user)
    client.force_login(alice.user)
    document = json.dumps(download(client))
    for of_bob in (bob.email, bob.devices[0].serial, "+13105550100", "Signed in"):
        assert of_bob not in document


def test_it_records_the_download_in_the_audit_log(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    download(client, REMOTE_ADDR="198.51.100.4")
    event = AuditEvent.objects.get(action=AuditAction.DATA_EXPORTED)
    assert (event.user, event.subject_id, event.ip_address) == (
        alice.user,
        alice.user.pk,
        "198.51.100.4",
    )


def test_it_answers_only_a_post_with_a_csrf_token(alice: Subscriber):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice.user)
    assert browser.get(DOWNLOAD).status_code == 405
    assert browser.post(DOWNLOAD).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.DATA_EXPORTED).exists()

    browser.get(PRIVACY)
    token = browser.cookies["csrftoken"].value
    response = browser.post(DOWNLOAD, {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_it_asks_a_visitor_to_sign_in(db: None, client: Client):
    response = client.post(DOWNLOAD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_allows_three_downloads_an_hour_per_account(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    for _ in range(3):
        download(client)
    response = client.post(DOWNLOAD)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.DATA_EXPORTED).count() == 3


def test_it_allows_ten_downloads_an_hour_per_client_address(db: None):
    subscribers = [
        make_subscriber(f"neighbour{n}@example.com", numbers=(f"+1212555{n:04d}",))
        for n in range(200, 204)
    ]
    statuses = []
    for subscriber in subscribers:
        browser = Client(REMOTE_ADDR="192.0.2.50")
        browser.force_login(subscriber.user)
        statuses += [browser.post(DOWNLOAD).status_code for _ in range(3)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    # Another address is not held back by them.
    elsewhere = make_subscriber("elsewhere@example.com", numbers=("+12125550300",))
    browser = Client(REMOTE_ADDR="192.0.2.51")
    browser.force_login(elsewhere.user)
    assert browser.post(DOWNLOAD).status_code == 200


def test_it_takes_the_same_number_of_queries_for_a_small_and_a_large_account(
    db: None, client: Client
):
    small = make_subscriber("small@example.com", numbers=("+12125550400",))
    large = make_subscriber(
        "large@example.com", numbers=tuple(f"+1212555{n:04d}" for n in range(410, 430))
    )
    for n in range(20):
        audit_record(action=AuditAction.SIGN_IN, user=large.user)
        send_an_email(large.user)
        EmailAddress.objects.create(user=large.user, email=f"large{n}@example.com")
    TOTP.activate(large.user, generate_totp_secret())
    RecoveryCodes.activate(large.user)

    counts, sizes = [], []
    for subscriber in (small, large):
        client.force_login(subscriber.user)
        client.get(PRIVACY)  # the session's first request records the browser
        with CaptureQueriesContext(connection) as queries:
            export = download(client)
        counts.append(len(queries))
        sizes.append((len(export["devices"]), len(export["audit_events"])))
    assert sizes == [(1, 2), (20, 22)]  # events: the sign-in, the download (+20)
    assert counts[0] == counts[1]


def test_it_includes_the_sections_other_apps_register(
    alice: Subscriber, client: Client, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(data_export, "_sections", dict(data_export._sections))
    register_data_export_section(
        "an_app_below", lambda user: [{"thing": f"thing of account {user.pk}"}]
    )
    client.force_login(alice.user)
    export = download(client)
    assert export["an_app_below"] == [{"thing": f"thing of account {alice.user.pk}"}]
    assert "an_app_below" in export["export"]["sections"]
    assert {"profile", "emails", "devices", "audit_events", "emails_sent", "sessions"} <= set(
        export
    )


def test_it_refuses_two_sections_under_one_name(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(data_export, "_sections", dict(data_export._sections))
    with pytest.raises(ImproperlyConfigured):
        register_data_export_section("devices", lambda user: [])
    with pytest.raises(ImproperlyConfigured):
        register_data_export_section("export", lambda user: {})
