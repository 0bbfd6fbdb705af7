"""My account as a dashboard, in a real browser: three devices in three states, each with its
status badge, AutoRenew, the E911 warning and a one-click Renew pressed with the keyboard,
in English, French and Danish, on a phone (360 px) and a desktop (1280 px), with no axe
violation (WCAG 2.2 AA included) and nothing wider than the screen."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import Subscriber, make_subscriber
from e2e.helpers import OpenPage, fits, sign_in, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.billing.models import CartItem, Plan, PlanPrice, Subscription
from plugline.devices.models import Device

AXE_OPTIONS_22 = {
    **AXE_OPTIONS,
    "runOnly": {
        "type": "tag",
        "values": [*AXE_OPTIONS["runOnly"]["values"], "wcag22aa"],  # type: ignore[index]
    },
}
NUMBERS = ["(212) 555-0147", "(416) 555-0148", "(514) 555-0149"]


@dataclass(frozen=True)
class Words:
    lang: str
    badges: list[str]
    autorenew: list[str]
    no_e911: str
    renew: str


WORDS = {
    "en": Words(
        lang="en",
        badges=["Expires in 12 days", "Active", "In grace period"],
        autorenew=["On, with 1 year", "Off", "Off"],
        no_e911="No E911 address yet: add one before you use the line.",
        renew="Renew",
    ),
    "fr": Words(
        lang="fr",
        badges=["Expire dans 12 jours", "Actif", "En période de grâce"],
        autorenew=["Activé, avec 1 year", "Désactivé", "Désactivé"],
        no_e911="Pas encore d’adresse E911\u00a0: ajoutez-en une avant d’utiliser la ligne.",  # noqa: RUF001 (French)
        renew="Renouveler",
    ),
    "da": Words(
        lang="da",
        badges=["Udløber om 12 dage", "Aktiv", "I henstandsperiode"],
        autorenew=["Slået til, med 1 year", "Slået fra", "Slået fra"],
        no_e911="Ingen E911-adresse endnu: tilføj en, før du bruger linjen.",
        renew="Forny",
    ),
}


def plan(code: str, name: str, months: int, amount: int) -> Plan:
    made = Plan.objects.create(code=code, name=name, months=months)
    PlanPrice.objects.create(plan=made, currency="USD", amount=amount)
    return made


@pytest.fixture
def household(db: None) -> Subscriber:
    """Three devices: one ending in 12 days with AutoRenew on and no E911 address, one in
    service for long with its E911 address and a monthly plan bought last, one in grace."""
    year = plan("1-year", "1 year", 12, 4999)
    month = plan("1-month", "1 month", 1, 599)
    subscriber = make_subscriber(
        "home@example.com", numbers=("+12125550147", "+14165550148", "+15145550149")
    )
    expiring, settled, lapsed = subscriber.devices
    # Midday, so that "in 12 days" holds whenever today the test runs.
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    Subscription.objects.create(
        device=expiring,
        ends_at=noon + dt.timedelta(days=12),
        plan=year,
        autorenew=True,
        autorenew_plan=year,
    )
    Subscription.objects.create(device=settled, ends_at=noon + dt.timedelta(days=200), plan=month)
    Subscription.objects.create(device=lapsed, ends_at=noon - dt.timedelta(days=2))
    Device.objects.filter(pk=settled.pk).update(
        e911_street_address="1 Yonge St",
        e911_city="Toronto",
        e911_country_area="ON",
        e911_postal_code="M5E 1E5",
        e911_country="CA",
    )
    return subscriber


def expect_accessible(page: Page, what: str) -> None:
    assert fits(page), f"{what} is wider than the screen"
    violations = Axe().run(page, options=AXE_OPTIONS_22).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", WORDS)
def test_it_shows_each_device_and_renews_it_from_the_keyboard(
    household: Subscriber, open_page: OpenPage, language: str, width: int
) -> None:
    words = WORDS[language]
    household.user.language = language
    household.user.save()
    page = open_page(width=width)
    sign_in(page, household.email, household.password)
    expect(page.locator("html")).to_have_attribute("lang", words.lang)

    devices = page.locator(".dashboard-device")
    expect(devices.locator(".number")).to_have_text(NUMBERS)
    expect(devices.locator(".dashboard-status .badge")).to_have_text(words.badges)
    expect(devices.locator(".dashboard-autorenew")).to_contain_text(words.autorenew)
    expect(devices.nth(0)).to_contain_text(words.no_e911)
    expect(devices.nth(1)).not_to_contain_text(words.no_e911)
    expect(devices.nth(2)).to_contain_text(words.no_e911)
    for number in NUMBERS:
        expect(
            page.get_by_role("button", name=f"{words.renew} {number}", exact=True)
        ).to_be_visible()
    expect_accessible(page, f"My account in {language} at {width} px")

    # Renew the Toronto device (its last plan: 1 month) without a mouse.
    tab_to(page, page.get_by_role("button", name=f"{words.renew} {NUMBERS[1]}"), limit=80)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"^http://[^/]+/renew/checkout/$"))
    expect(page.locator("main")).to_contain_text(f"1 month, {NUMBERS[1]}")
    assert list(
        CartItem.objects.values_list("plan__code", "subscription__device__phone_number")
    ) == [("1-month", "+14165550148")]
