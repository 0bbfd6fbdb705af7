"""Signed-in browsers and devices, and "Sign out everywhere else"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import Subscriber, make_subscriber
from plugline.accounts.user_agents import user_agent_describe
from plugline.core.models import AuditAction, AuditEvent

LOGIN = "/accounts/login/"
SESSIONS = "/accounts/sessions/"
ACCOUNT = "/account/"

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
MORNING = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def browser(user_agent: str, address: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)


def sign_in(client: Client, subscriber: Subscriber) -> None:
    response = client.post(LOGIN, {"login": subscriber.email, "password": subscriber.password})
    assert response.status_code == 302


def entries(page: str) -> list[str]:
    return re.findall(r'<h2 class="session-name">(.*?)</h2>', page)


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (CHROME_ANDROID, "Chrome on Android"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge on macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64)", "A browser on Linux"),
        ("curl/8.5.0", "curl/8.5.0"),
        ("", "Unknown browser"),
        ("x" * 200, "x" * 59 + "…"),
    ],
)
def test_it_names_browsers_in_plain_words(user_agent: str, words: str):
    assert user_agent_describe(user_agent) == words


def test_it_lists_where_the_account_is_signed_in_and_marks_this_browser(
    alice: Subscriber, bob: Subscriber
):
    with time_machine.travel(MORNING, tick=False) as clock:
        phone = browser(CHROME_ANDROID, "198.51.100.7")
        sign_in(phone, alice)
        clock.shift(timedelta(hours=3))
        laptop = browser(FIREFOX_WINDOWS, "203.0.113.20")
        sign_in(laptop, alice)
        sign_in(browser(SAFARI_IPHONE, "192.0.2.99"), bob)  # someone else's: never listed
        hub = laptop.get(ACCOUNT).content.decode()
        page = laptop.get(SESSIONS).content.decode()

    assert SESSIONS in hub  # linked from the Account hub
    assert entries(page) == [
        'Firefox on Windows <span class="badge">This browser</span>',
        "Chrome on Android",
    ]
    assert "203.0.113.20" in page and "198.51.100.7" in page
    assert "192.0.2.99" not in page and "Safari on iPhone" not in page
    assert '<time datetime="2026-03-02T09:15:00+00:00">March 2, 2026, 9:15 a.m.</time>' in page
    assert "Times are in your time zone, UTC." in page
    assert "This signs out 1 other browser or device. This browser stays signed in." in page
    assert "Sign out everywhere else" in page


def test_it_shows_the_last_use_in_the_active_time_zone(alice: Subscriber):
    with time_machine.travel(MORNING, tick=False) as clock:
        sign_in(browser(CHROME_ANDROID, "198.51.100.7"), alice)
        clock.shift(timedelta(hours=3))
        laptop = browser(FIREFOX_WINDOWS, "203.0.113.20")
        sign_in(laptop, alice)
        with timezone.override("America/New_York"):
            page = laptop.get(SESSIONS).content.decode()
    assert '<time datetime="2026-03-02T04:15:00-05:00">March 2, 2026, 4:15 a.m.</time>' in page
    assert "Times are in your time zone, America/New_York." in page


def test_it_signs_out_everywhere_else(alice: Subscriber, django_capture_on_commit_callbacks):
    phone = browser(CHROME_ANDROID, "198.51.100.7")
    tablet = browser(SAFARI_IPHONE, "198.51.100.8")
    laptop = browser(FIREFOX_WINDOWS, "203.0.113.20")
    for client in (phone, tablet, laptop):
        sign_in(client, alice)
        assert client.get(ACCOUNT).status_code == 200

    response = laptop.post(SESSIONS, follow=True)
    page = response.content.decode()
    assert "You are signed out everywhere else. Only this browser is still signed in." in page
    assert entries(page) == ['Firefox on Windows <span class="badge">This browser</span>']
    assert "You are signed in only in this browser." in page
    assert laptop.get(ACCOUNT).status_code == 200
    for client in (phone, tablet):
        response = client.get(ACCOUNT)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)

    event = AuditEvent.objects.get(action=AuditAction.SESSIONS_ENDED)
    assert event.user == alice.user
    assert event.data == {"count": 2}
    assert event.ip_address == "203.0.113.20"


def test_it_leaves_other_accounts_signed_in(alice: Subscriber, bob: Subscriber):
    bobs_phone = browser(SAFARI_IPHONE, "192.0.2.99")
    sign_in(bobs_phone, bob)
    laptop = browser(FIREFOX_WINDOWS, "203.0.113.20")
    sign_in(laptop, alice)
    sign_in(browser(CHROME_ANDROID, "198.51.100.7"), alice)
    laptop.post(SESSIONS)
    assert bobs_phone.get(ACCOUNT).status_code == 200


def test_it_offers_no_sign_out_elsewhere_when_signed_in_only_here(alice: Subscriber):
    laptop = browser(FIREFOX_WINDOWS, "203.0.113.20")
    sign_in(laptop, alice)
    page = laptop.get(SESSIONS).content.decode()
    assert "You are signed in only in this browser." in page
    assert "Sign out everywhere else" not in page
    # Posting anyway ends nothing, and logs nothing.
    laptop.post(SESSIONS)
    assert laptop.get(ACCOUNT).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditAction.SESSIONS_ENDED).exists()


def test_it_asks_to_sign_in_to_see_the_list(db: None, client: Client):
    response = client.get(SESSIONS)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    ("language", "button", "this_browser"),
    [
        ("fr", "Se déconnecter partout ailleurs", "Firefox sur Windows"),
        ("da", "Log af alle andre steder", "Firefox på Windows"),
    ],
)
def test_it_speaks_the_subscribers_language(
    db: None, language: str, button: str, this_browser: str
):
    subscriber = make_subscriber("claire@example.com", language=language)
    laptop = browser(FIREFOX_WINDOWS, "203.0.113.20")
    sign_in(laptop, subscriber)
    sign_in(browser(CHROME_ANDROID, "198.51.100.7"), subscriber)
    page = laptop.get(SESSIONS).content.decode()
    assert button in page
    assert entries(page)[0].startswith(this_browser)
