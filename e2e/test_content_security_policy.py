"""The main journeys in a real browser under the site's Content-Security-Policy and
Permissions-Policy: Chromium reports nothing refused ("Refused to ...", a
`securitypolicyviolation` event, a permissions-policy violation) while a
subscriber signs in, renews on the sandbox gateway's card page, finds a store
(map, tiles, "Use my location"), a device is detected, staff use the admin, a
visitor reads the help centre and writes to support, and staff use their consoles
(customers, tickets, chats, reports with their charts).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Geolocation, Page, Route, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from conftest import PASSWORD, Subscriber, make_subscriber
from e2e.helpers import CANVAS_HAS_PIXELS, sign_in, staff_sign_in
from plugline.accounts.models import User
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import Payment, Plan, PlanPrice, Subscription
from plugline.devices.tests.presence_factory import (
    BoxedDevice,
    RunningAgent,
    make_boxed_device,
    running_agent,
)
from plugline.helpcentre.tests.factories import make_article
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway.tests.helpers import card_saved
from plugline.stores.tests.factories import make_chain, make_store
from plugline.support.tests.factories import open_ticket

NEAR_MONTREAL: Geolocation = {"latitude": 45.5080, "longitude": -73.5540}
TILE_HOST = "tiles.example.test"
# A 1x1 transparent PNG: what the fake tile server answers.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# Logged by each page (an init script runs before the page's own, whatever its policy).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    "securitypolicyviolation: " + event.effectiveDirective + " refused " +
    (event.blockedURI || "inline") + " in " + event.sourceFile + ":" + event.lineNumber
  );
});
"""
VIOLATION = re.compile(
    r"Refused to|Content Security Policy|securitypolicyviolation|Permissions policy violation",
    re.IGNORECASE,
)


class Violations(list[str]):
    """What the browser refused on a page, as it said it in the console."""

    def watch(self, page: Page) -> Page:
        page.context.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._heard)
        return page

    def _heard(self, message: ConsoleMessage) -> None:
        if VIOLATION.search(message.text):
            self.append(f"{message.page.url if message.page else '?'}: {message.text}")


@pytest.fixture
def violations() -> Violations:
    return Violations()


@pytest.fixture
def watched(page: Page, violations: Violations) -> Page:
    return violations.watch(page)


@pytest.fixture
def montreal_stores(transactional_db: None) -> None:
    chain = make_chain()
    for n, (lat, lon) in enumerate([(45.5088, -73.5617), (45.5017, -73.5673), (45.5231, -73.5817)]):
        make_store(latitude=lat, longitude=lon, chain=chain, name=f"CornerMart {n + 1}")


@pytest.fixture
def subscriber(transactional_db: None) -> Subscriber:
    """Two devices in service, no card on file yet; a yearly plan."""
    person = make_subscriber("demo@example.com", numbers=("+12125550147", "+14165550148"))
    for device, days in zip(person.devices, (20, 200), strict=True):
        Subscription.objects.create(device=device, ends_at=timezone.now() + timedelta(days=days))
    plan = Plan.objects.create(code="year", name="One year", months=12)
    PlanPrice.objects.create(plan=plan, currency="USD", amount=4999)
    return person


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    expect(page.locator("main h1")).to_be_visible()


def test_it_notices_code_the_policy_refuses(watched: Page, violations: Violations) -> None:
    """The watch itself: an inline script added to a page is refused, and heard."""
    watched.goto("/accounts/login/")
    watched.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true;";
          document.head.append(script);
        }"""
    )
    expect(watched.locator("body")).to_be_visible()
    watched.wait_for_timeout(200)
    assert watched.evaluate("() => window.inlineRan") is None
    assert any("script-src" in text for text in violations), violations


def test_a_subscriber_renews_on_the_card_page_with_nothing_refused(
    watched: Page, violations: Violations, subscriber: Subscriber
) -> None:
    page = watched
    first = subscriber.devices[0]
    sign_in(page, subscriber.email, subscriber.password)
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    for url in [
        f"/devices/{first.serial}/",
        "/account/",
        "/account/profile/",
        "/account/security/",
        "/account/privacy/",
        "/accounts/email/",
        "/accounts/sessions/",
        "/accounts/2fa/",
        "/account/cards/",
        "/account/autorenew/",
        "/account/reup/",
    ]:
        visit(page, url)
    # Turning on two-factor sign-in: the password again, then the QR code (a data: image).
    page.goto("/accounts/2fa/totp/activate/")
    page.get_by_label("Password").fill(subscriber.password)
    page.get_by_label("Password").press("Enter")
    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())

    page.goto("/renew/")
    page.get_by_role("radio", name=f"({first.serial})").check()
    page.get_by_role("radio", name="One year: $49.99").check()
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_role("button", name="Use a new card").click()
    # The sandbox gateway's hosted card page: its form posts to the gateway, then comes back.
    expect(page.get_by_role("heading", name="Add a card", level=1)).to_be_visible()
    page.get_by_label("Card number", exact=True).fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date (MM/YY)", exact=True).fill("12/34")
    page.get_by_label("Security code (CVC)", exact=True).fill("123")
    page.get_by_label("Name on the card", exact=True).fill("Demo Subscriber")
    page.get_by_role("button", name="Save the card").click()
    expect(page.get_by_text("Your card ending in 4242 is saved.")).to_be_visible()
    page.get_by_role("button", name="Pay $49.99").click()
    expect(page.get_by_role("heading", name="Thank you: your payment went through")).to_be_visible()
    number = Payment.objects.get().invoice_number
    page.goto("/invoices/")
    page.get_by_role("link", name=f"Invoice {number}").click()
    expect(page.get_by_text("Visa ending in 4242")).to_be_visible()

    assert violations == []


def test_the_store_finder_draws_its_map_and_uses_the_location_with_nothing_refused(
    watched: Page, violations: Violations, montreal_stores: None, live_server: LiveServer
) -> None:
    page = watched
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(NEAR_MONTREAL)
    page.goto("/stores/")
    page.get_by_label("City or postal code").fill("Montréal")
    page.get_by_role("button", name="Search").click()
    page.wait_for_function("() => window.storeMapReady === true")
    expect(page.locator(".leaflet-marker-icon.store-pin")).to_have_count(3)
    page.locator(".leaflet-marker-icon.store-pin").first.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("CornerMart")
    page.get_by_role("button", name="Zoom in").click()

    page.get_by_role("button", name="Use my location").click()
    page.wait_for_url(re.compile(r"lat=45\.508"))
    page.wait_for_function("() => window.storeMapReady === true")
    expect(page.locator(".stores .store")).to_have_count(3)

    assert violations == []


def test_the_store_map_loads_tiles_from_the_configured_server_with_nothing_refused(
    watched: Page, violations: Violations, montreal_stores: None, settings: Settings
) -> None:
    settings.STORE_MAP_TILE_URL = f"https://{TILE_HOST}/{{z}}/{{x}}/{{y}}.png"
    settings.STORE_MAP_TILE_ATTRIBUTION = "Test tiles"
    tiles_asked: list[str] = []

    def tile(route: Route) -> None:
        tiles_asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page = watched
    page.context.route(f"https://{TILE_HOST}/**", tile)
    page.goto("/stores/?q=Montr%C3%A9al")
    page.wait_for_function("() => window.storeMapReady === true")
    page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
    assert tiles_asked
    assert violations == []


def test_the_cardholder_approves_on_the_sandbox_bank_page_with_nothing_refused(
    watched: Page, violations: Violations, live_server: LiveServer, transactional_db: None
) -> None:
    gateway = SandboxGateway()
    customer_id = gateway.customer_create(email="demo@example.com", idempotency_key="c1")
    card = card_saved(gateway, customer_id, "4000 0027 6000 3184")
    result = gateway.charge(
        customer_id=customer_id,
        token=card.token,
        amount=2999,
        currency="USD",
        idempotency_key="pay-1",
        description="Plugline yearly plan",
    )
    page = watched
    page.goto(f"{result.action_url}?return_url={live_server.url}/accounts/login/")
    page.get_by_role("button", name="Approve").click()
    # The form posts to the gateway, whose answer sends the browser back.
    expect(page).to_have_url(re.compile(rf"/accounts/login/\?charge={result.charge_id}$"))
    assert violations == []


@pytest.fixture
def boxed(transactional_db: None) -> BoxedDevice:
    return make_boxed_device("PLG60000009")


@pytest.fixture
def agent(
    boxed: BoxedDevice, live_server: LiveServer, settings: Settings
) -> Iterator[RunningAgent]:
    with running_agent(serial=boxed.serial, key=boxed.key, portal=live_server.url) as running:
        settings.DEVICE_AGENT_PORT = running.port
        yield running


def test_the_activation_page_reaches_the_device_agent_with_nothing_refused(
    watched: Page, violations: Violations, boxed: BoxedDevice, agent: RunningAgent
) -> None:
    page = watched
    page.goto("/activate/")
    page.get_by_role("button", name="Detect device").click()
    expect(page.get_by_role("heading", name="Device Detected")).to_be_visible()
    expect(page.locator("#detect-result .serial")).to_have_text(boxed.serial)
    assert violations == []


def test_staff_use_the_admin_with_nothing_refused(
    watched: Page, violations: Violations, staff: User, montreal_stores: None
) -> None:
    page = watched
    staff_sign_in(page, staff, PASSWORD)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    # A change form with the admin's scripts: the two-list permission chooser and date shortcuts.
    page.goto(f"/admin/accounts/user/{staff.pk}/change/")
    expect(page.locator("#id_user_permissions_from")).to_be_visible()
    page.locator("#id_user_permissions_from option").first.dblclick()
    expect(page.locator("#id_user_permissions_to option")).to_have_count(1)
    page.get_by_role("link", name="Today").first.click()

    page.goto("/admin/stores/store/")
    expect(page.get_by_role("heading", name="Select store to change")).to_be_visible()
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("3 of 3 selected")
    page.get_by_role("link", name="CornerMart 1").click()
    expect(page.get_by_role("heading", name="Change store")).to_be_visible()

    page.goto("/admin/reup/reupbatch/add/")
    expect(page.locator("#content h1")).to_be_visible()

    assert violations == []


def test_the_api_documentation_shows_with_nothing_refused(
    watched: Page, violations: Violations, transactional_db: None
) -> None:
    watched.goto("/api/v1/docs")
    expect(watched.get_by_role("heading", name="Plugline API", level=1, exact=True)).to_be_visible()
    expect(watched.locator(".opblock").first).to_be_visible()
    assert violations == []


def test_a_visitor_reads_the_help_centre_and_writes_to_support_with_nothing_refused(
    watched: Page, violations: Violations, transactional_db: None
) -> None:
    page = watched
    make_article(texts={"en": ("Try another USB port", "The port may lack **power**.")})
    visit(page, "/help/")
    page.get_by_role("link", name="Try another USB port").first.click()
    expect(page.get_by_role("heading", name="Try another USB port", level=1)).to_be_visible()
    page.get_by_role("button", name="No").click()
    expect(page.get_by_text("What was wrong with it?")).to_be_visible()
    page.get_by_label("Search the help centre").first.fill("usb")
    page.get_by_role("button", name="Search").first.click()
    expect(page.get_by_role("heading", name="Search the help centre", level=1)).to_be_visible()
    visit(page, "/contact/")
    page.get_by_label("Your name").fill("Gus Guest")
    page.get_by_label("Your email").fill("gus@example.com")
    page.get_by_label("How can we help?").fill("The light stays off when I plug it in.")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="We received your request")).to_be_visible()
    # The ticket's secret link from the email, and an answer there.
    body = OutboxMessage.objects.latest("pk").body_text
    link = re.search(r"https?://[^/\s]+(/requests/\S+/)", body)
    assert link, body
    visit(page, link[1])
    page.get_by_label("Your answer").fill("It is a blue light, in fact.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Your answer is sent.")).to_be_visible()
    assert violations == []


def test_staff_use_the_customer_ticket_chat_and_report_consoles_with_nothing_refused(
    watched: Page, violations: Violations, staff: User, transactional_db: None
) -> None:
    page = watched
    customer = make_subscriber("carla@example.com", numbers=("+13125550100",))
    ticket = open_ticket(customer.user, subject="No dial tone")
    staff_sign_in(page, staff, PASSWORD)

    visit(page, "/staff/")
    page.get_by_label("Email, phone number, serial").fill(customer.email)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Alice Archer", level=1)).to_be_visible()
    visit(page, "/staff/tickets/")
    page.get_by_role("link", name=f"{ticket.reference}: No dial tone").click()
    expect(page.get_by_text("The phone gives no dial tone since this morning.")).to_be_visible()
    visit(page, "/staff/chat/")
    visit(page, "/staff/reports/")
    for report in ("renewals", "trials", "churn", "devices"):
        visit(page, f"/staff/reports/{report}/")
        canvas = page.locator("canvas").first
        page.wait_for_function(CANVAS_HAS_PIXELS, arg=canvas.element_handle())
    assert violations == []
