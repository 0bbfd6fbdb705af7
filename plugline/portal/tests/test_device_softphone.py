"""'Call from this computer': the page, and the short-lived SIP credentials it asks for: only
for the signed-in account's device, only while its line is open, by POST with the CSRF token,
rate-limited, audited without the password, and made the way Kamailio's auth_ephemeral checks
them (plugline/telephony/tests/test_sip_softphone_postgres.py has Kamailio accept them)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from conftest import make_subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.services import device_suspend
from plugline.telephony.tests.sip_factory import Line, make_line

pytestmark = pytest.mark.django_db

SECRET = "the-secret-kamailio-shares"
WS_URL = "wss://portal.plugline.test/sip"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def softphone_settings(settings) -> None:
    settings.SIP_WS_URL = WS_URL
    settings.SIP_EPHEMERAL_SECRET = SECRET
    settings.SIP_EPHEMERAL_TTL = 300
    settings.SIP_DOMAIN = "sip.plugline.test"


@pytest.fixture
def line() -> Line:
    return make_line(make_subscriber(numbers=()).user)


def owner_client(line: Line) -> Client:
    owner = line.boxed.device.owner
    assert owner is not None
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    return client


def csrf_of(client: Client, line: Line) -> str:
    page = client.get(f"/devices/{line.serial}/softphone/")
    return page.cookies["csrftoken"].value


def ask(client: Client, line: Line, *, csrf: str | None = None):
    token = csrf if csrf is not None else csrf_of(client, line)
    return client.post(f"/devices/{line.serial}/softphone/credentials/", HTTP_X_CSRFTOKEN=token)


def test_it_gives_the_owner_credentials_kamailio_checks_with_the_shared_secret(line: Line):
    client = owner_client(line)

    with time_machine.travel(NOW, tick=False):
        answer = ask(client, line)

    assert answer.status_code == 200
    body = answer.json()
    expires_at = int(NOW.timestamp()) + 300
    assert body["username"] == f"{expires_at}:12125550147"
    # auth_ephemeral: base64(HMAC-SHA1(secret, username)).
    expected = hmac.new(SECRET.encode(), body["username"].encode(), hashlib.sha1).digest()
    assert body["password"] == base64.b64encode(expected).decode()
    assert body["aor"] == "sip:12125550147@sip.plugline.test"
    assert body["ws_url"] == WS_URL
    assert body["expires_at"] == expires_at


def test_its_credentials_expire_after_the_configured_time(line: Line, settings):
    settings.SIP_EPHEMERAL_TTL = 120
    client = owner_client(line)

    with time_machine.travel(NOW, tick=False):
        body = ask(client, line).json()

    assert body["expires_at"] == int(NOW.timestamp()) + 120
    assert body["username"].startswith(f"{int(NOW.timestamp()) + 120}:")


def test_it_never_gives_another_accounts_device_credentials(line: Line):
    mallory = make_subscriber("mallory@example.com", numbers=())
    client = Client(enforce_csrf_checks=True)
    client.force_login(mallory.user)
    token = client.get("/").cookies.get("csrftoken")
    page = client.get(f"/devices/{line.serial}/softphone/")

    answer = client.post(
        f"/devices/{line.serial}/softphone/credentials/",
        HTTP_X_CSRFTOKEN=token.value if token else "",
    )

    assert page.status_code == 404
    assert answer.status_code in (403, 404)
    assert "password" not in answer.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.SOFTPHONE_CREDENTIALS_ISSUED).exists()


def test_it_refuses_credentials_without_the_csrf_token(line: Line):
    client = owner_client(line)

    answer = ask(client, line, csrf="")

    assert answer.status_code == 403
    assert "password" not in answer.content.decode()


def test_it_gives_credentials_only_by_post(line: Line):
    client = owner_client(line)

    assert client.get(f"/devices/{line.serial}/softphone/credentials/").status_code == 405


def test_it_refuses_credentials_for_a_suspended_line(line: Line, staff):
    device_suspend(device=line.boxed.device, reason="Fraud report 4411", actor=staff)
    client = owner_client(line)

    answer = ask(client, line)

    assert answer.status_code == 403
    assert "cannot make or receive calls now" in answer.json()["error"]
    assert "password" not in answer.json()


def test_it_refuses_credentials_for_a_line_whose_service_ended(line: Line):
    line.subscription.ends_at = timezone.now() - timedelta(
        days=settings.BILLING_GRACE_DAYS, minutes=1
    )
    line.subscription.save()
    client = owner_client(line)

    answer = ask(client, line)

    assert answer.status_code == 403
    assert "password" not in answer.json()
    page = client.get(f"/devices/{line.serial}/softphone/").content.decode()
    assert "cannot make or receive calls now" in page
    assert "softphone.js" not in page


def test_it_refuses_credentials_when_the_deployment_has_no_softphone(line: Line, settings):
    settings.SIP_WS_URL = ""
    client = owner_client(line)

    answer = ask(client, line)

    assert answer.status_code == 403
    assert "not available" in answer.json()["error"]


def test_it_audits_each_issue_without_the_password(line: Line):
    client = owner_client(line)

    body = ask(client, line).json()

    event = AuditEvent.objects.get(action=AuditAction.SOFTPHONE_CREDENTIALS_ISSUED)
    assert event.user_id == line.boxed.device.owner_id
    assert event.data["serial"] == line.serial
    assert event.data["expires_at"] == body["expires_at"]
    assert body["password"] not in str(event.data)
    assert SECRET not in str(event.data)


def test_it_limits_how_often_credentials_are_asked_for(line: Line, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "softphone_credentials": "3/h/user",
    }
    client = owner_client(line)
    token = csrf_of(client, line)

    answers = [ask(client, line, csrf=token).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_the_page_may_use_the_microphone_and_reach_kamailios_websocket(line: Line):
    client = owner_client(line)

    page = client.get(f"/devices/{line.serial}/softphone/")

    assert page.status_code == 200
    assert "microphone=(self)" in page["Permissions-Policy"]
    assert "wss://portal.plugline.test" in page["Content-Security-Policy"]
    html = page.content.decode()
    assert 'type="module"' in html and "portal/softphone.js" in html
    assert "portal/vendor/sipjs/lib/platform/web/index.js" in html
    for label in ("Number to call", "Dial pad", "Call", "Hang up", "Mute"):
        assert label in html
    assert 'role="status"' in html and 'role="alert"' in html


def test_other_pages_still_may_not_use_the_microphone(line: Line):
    client = owner_client(line)

    home = client.get("/")
    page = client.get(f"/devices/{line.serial}/")

    assert "microphone=()" in home["Permissions-Policy"]
    # The device page records the voicemail greeting: the microphone for itself alone.
    assert "microphone=(self)" in page["Permissions-Policy"]
    assert f'href="/devices/{line.serial}/softphone/"' in page.content.decode()


@pytest.mark.parametrize(
    ("language", "title", "refused"),
    [
        ("fr", "Appeler depuis cet ordinateur", "microphone"),
        ("da", "Ring fra denne computer", "mikrofonen"),
    ],
)
def test_the_page_speaks_french_and_danish(language: str, title: str, refused: str):
    line = make_line(make_subscriber(numbers=(), language=language).user)
    client = owner_client(line)

    html = client.get(f"/devices/{line.serial}/softphone/").content.decode()

    assert title in html
    assert refused in html


def test_it_keeps_the_alert_in_the_page_and_call_reachable_before_the_page_connects(line: Line):
    page = owner_client(line).get(f"/devices/{line.serial}/softphone/").content.decode()

    # A live region shown at the same moment as its text may go unread: the alert is in the
    # page, empty, from the start, and the script writes into it.
    assert '<div id="softphone-error" class="softphone-error" role="alert"></div>' in page
    # A disabled button is skipped by Tab: Call is enabled, and says why it cannot call yet.
    assert '<button type="submit" class="button primary" id="softphone-call">' in page
