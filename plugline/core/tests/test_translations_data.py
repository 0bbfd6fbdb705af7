"""Data shown to people is in their language too, not only the catalogs' strings.

The demo data (`seed_demo`) is rendered on French and Danish pages: the plans'
names, the sandbox gateway's test cards, the time zones of the profile and the
staff's admin pages; the English words of that data must not show there.
"""

from __future__ import annotations

import re
import zlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from conftest import sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.billing.gateways import gateway_get
from plugline.billing.models import Payment, Plan
from plugline.billing.services import customer_for_user
from plugline.billing.tests.factories import card_on_file, sandbox_reset
from plugline.notifications.models import OutboxMessage
from plugline.portal.management.commands.seed_demo import DEMO_DEVICES, DEMO_EMAIL

pytestmark = pytest.mark.django_db

# What each language shows, and the English it must not show instead.
EXPECTED = {
    "fr": {
        "plan": "1 an",
        "plan_and_price": "1 an\u00a0: 49,99",
        "test_cards": "Cartes de test",
        "time_zone": "Copenhague",
        "other_time_zone": "Vienne",
    },
    "da": {
        "plan": "1 år",
        "plan_and_price": "1 år: 49,99",
        "test_cards": "Testkort",
        "time_zone": "København",
        "other_time_zone": "Wien",
    },
}
ENGLISH_PLAN = re.compile(r"\b[15] years?\b")
ENGLISH_TIME_ZONES = ("Copenhagen", "Vienna", "Central European", "Europe/")


@pytest.fixture(autouse=True)
def _demo_mode(settings) -> None:
    settings.DEBUG = True


@pytest.fixture
def demo() -> User:
    sandbox_reset()
    call_command("seed_demo", stdout=StringIO())
    return User.objects.get(email=DEMO_EMAIL)


def _signed_in(user: User, language: str) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    if user.is_staff:
        sign_in_with_two_factor(client, user)  # the admin asks staff for two-factor
    else:
        client.force_login(user)
    return client


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on a PDF's pages (fpdf2 compresses each page's content stream)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    return "".join(zlib.decompress(stream).decode("latin-1") for stream in streams)


def _assert_no_english_plan(page: str, where: str) -> None:
    found = ENGLISH_PLAN.search(page)
    assert found is None, f"{where} shows the English plan name {found.group(0)!r}"


@pytest.mark.parametrize("language", ["fr", "da"])
def test_it_names_the_plans_in_the_customers_language_from_renew_to_receipt(
    demo: User, language: str
) -> None:
    expected = EXPECTED[language]["plan"]
    card = card_on_file(demo)
    client = _signed_in(demo, language)
    serial = DEMO_DEVICES[0][0]

    renew = _text(client.get(reverse("checkout:renew")))
    assert EXPECTED[language]["plan_and_price"] in renew
    _assert_no_english_plan(renew, "the renew page")

    added = client.post(
        reverse("checkout:renew"), {"device": serial, "plan": "1-year"}, follow=True
    )
    cart = _text(added)
    assert expected in cart
    _assert_no_english_plan(cart, "the cart and its message")

    checkout = _text(client.get(reverse("checkout:checkout")))
    assert expected in checkout
    _assert_no_english_plan(checkout, "checkout")

    key = re.search(r'name="idempotency_key" value="([^"]+)"', checkout)
    total = re.search(r'name="total" value="([^"]+)"', checkout)
    assert key and total
    done = client.post(
        reverse("checkout:checkout"),
        {"card": card.pk, "idempotency_key": key.group(1), "total": total.group(1)},
        follow=True,
    )
    assert expected in _text(done)
    _assert_no_english_plan(done.content.decode(), "the done page")

    number = Payment.objects.get(user=demo, status="succeeded").invoice_number
    for name in ("checkout:invoices", "checkout:invoice"):
        kwargs = {"number": number} if name == "checkout:invoice" else {}
        page = _text(client.get(reverse(name, kwargs=kwargs)))
        assert expected in page
        _assert_no_english_plan(page, name)

    pdf = _pdf_text(client.get(reverse("checkout:invoice_pdf", kwargs={"number": number})).content)
    assert expected in pdf
    _assert_no_english_plan(pdf, "the invoice's PDF")

    receipt = OutboxMessage.objects.get(template="billing/email/receipt")
    assert expected in receipt.body_text
    _assert_no_english_plan(receipt.body_text, "the receipt")

    autorenew = _text(client.get(reverse("autorenew:page")))
    assert expected in autorenew
    _assert_no_english_plan(autorenew, "the AutoRenew page")


@pytest.mark.parametrize("language", ["fr", "da"])
def test_it_shows_the_sandbox_test_cards_in_the_visitors_language(
    demo: User, language: str
) -> None:
    customer = customer_for_user(user=demo)
    page_url = gateway_get().card_session_start(
        customer_id=customer.gateway_customer_id,
        return_url="http://testserver" + reverse("cards:added"),
        verify=False,
    )
    page = _text(_signed_in(demo, language).get(page_url))
    assert f'lang="{language}"' in page
    assert EXPECTED[language]["test_cards"] in page
    for english in ("Test cards", "succeeds", "is declined", "Add a card"):
        assert english not in page


@pytest.mark.parametrize("language", ["fr", "da"])
def test_it_names_the_time_zones_of_the_profile_in_the_persons_language(
    demo: User, language: str
) -> None:
    page = _text(_signed_in(demo, language).get(reverse("accounts:profile")))
    select = re.search(r'<select name="time_zone".*?</select>', page, re.S)
    assert select is not None
    options = select.group(0)
    assert EXPECTED[language]["time_zone"] in options
    assert EXPECTED[language]["other_time_zone"] in options
    for english in ENGLISH_TIME_ZONES:
        assert english not in re.sub(r'value="[^"]*"', "", options), english
    # The other zones by their name, not by continent: Paris before Tokyo.
    values = re.findall(r'<option value="([^"]+)"', options)
    assert values.index("Europe/Paris") < values.index("Asia/Tokyo")


@pytest.mark.parametrize("language", ["fr", "da"])
def test_it_shows_the_plans_admin_in_the_staffs_language(demo: User, language: str) -> None:
    staff = User.objects.get(email="staff@example.com")
    client = _signed_in(staff, language)
    listing = _text(client.get(reverse("admin:billing_plan_changelist")))
    plan = Plan.objects.get(code="1-year")
    change = _text(client.get(reverse("admin:billing_plan_change", args=[plan.pk])))
    names = {"fr": ("nom en français", "nom en danois"), "da": ("navn på fransk", "navn på dansk")}
    for label in names[language]:
        assert label in change.lower()
    assert "1 an" in change and "1 år" in change
    assert "name in French" not in change
    assert "length in months" not in listing.lower()
