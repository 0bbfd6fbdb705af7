"""Security headers on the pages: Content-Security-Policy, Permissions-Policy, Cache-Control.

The main pages are walked as a visitor, a subscriber and a staff member
would see them: each has the Content-Security-Policy, and its HTML has no
code the policy would refuse (no inline script, no inline event handler,
no javascript: link, no inline style). Pages that show a person's data are
`private, no-store`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.decorators.cache import cache_control

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.billing.models import Payment
from plugline.billing.tests.factories import (
    card_on_file,
    plan_make,
    sandbox_reset,
    subscription_make,
)
from plugline.core.headers import PrivatePagesMiddleware
from plugline.devices.tests.wizard_factory import make_device, wizard_at
from plugline.notifications.models import OutboxMessage
from plugline.stores.tests.factories import make_chain, make_store
from plugline.stores.views import tile_server_source

# Script types a browser does not run (json_script writes application/json).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class InlineCode(HTMLParser):
    """What in a page a Content-Security-Policy without 'unsafe-inline' refuses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: str | None = None  # the opening tag of an inline script being read
        self._script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...> (inline event handler)")
            if name == "style":
                self.found.append(f'<{tag} style="{value}"> (inline style)')
            if name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}> (javascript: URL)")
        if tag == "style":
            self.found.append("<style> element (inline style)")
        executable = values.get("type", "").lower() not in DATA_SCRIPT_TYPES
        if tag == "script" and "src" not in values and executable:
            self._script = self.get_starttag_text() or "<script>"
            self._script_text = ""

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            if self._script_text.strip():
                self.found.append(
                    f"{self._script} {self._script_text.strip()[:60]!r} (inline script)"
                )
            self._script = None


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def policy(response: HttpResponseBase) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: sources}."""
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def cache_directives(response: HttpResponseBase) -> set[str]:
    return {
        part.split("=", 1)[0].strip().lower()
        for part in response.get("Cache-Control", "").split(",")
        if part.strip()
    }


def assert_page_passes_the_policy(response: HttpResponseBase, url: str) -> None:
    assert response.status_code == 200, f"{url}: {response.status_code}"
    csp = policy(response)
    assert csp["script-src"] == ["'self'"], url
    assert csp["style-src"] == ["'self'"], url
    assert csp["object-src"] == ["'none'"], url
    assert csp["form-action"] == ["'self'"], url
    assert csp["frame-ancestors"] == ["'none'"], url
    assert isinstance(response, HttpResponse), url
    found = inline_code(response.content.decode())
    assert not found, f"{url} has code the policy refuses:\n" + "\n".join(found)


def assert_private(response: HttpResponseBase, url: str) -> None:
    assert {"private", "no-store"} <= cache_directives(response), (
        f"{url}: Cache-Control is {response.get('Cache-Control')!r}"
    )


@pytest.fixture
def subscriber(db: None) -> Subscriber:
    """A subscriber with a device in service, a card on file, a paid invoice and a full cart."""
    sandbox_reset()
    person = make_subscriber("carla@example.com", numbers=("+13125550100",))
    plan_make("year", 12, 4999)
    subscription_make(person.devices[0], days_left=20)
    card = card_on_file(person.user)
    client = Client()
    client.force_login(person.user)
    serial = person.devices[0].serial
    client.post(reverse("checkout:renew"), {"device": serial, "plan": "year"})
    page = client.get(reverse("checkout:checkout")).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    total = re.search(r'name="total" value="([^"]+)"', page)
    assert key and total, page
    client.post(
        reverse("checkout:checkout"),
        {"card": card.pk, "idempotency_key": key[1], "total": total[1]},
    )
    assert Payment.objects.get(user=person.user).invoice_number
    # Something to pay again: the checkout page shows its form.
    client.post(reverse("checkout:renew"), {"device": serial, "plan": "year"})
    return person


def subscriber_pages(person: Subscriber) -> list[str]:
    invoice = Payment.objects.get(user=person.user).invoice_number
    serial = person.devices[0].serial
    return [
        reverse("portal:home"),
        reverse("portal:device", kwargs={"serial": serial}),
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
        reverse("checkout:renew"),
        reverse("checkout:cart"),
        reverse("checkout:checkout"),
        reverse("checkout:invoices"),
        reverse("checkout:invoice", kwargs={"number": invoice}),
        "/stores/",
    ]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_sends_the_policy_on_the_subscribers_pages_and_they_pass_it(subscriber: Subscriber):
    client = signed_in(subscriber.user)
    for url in subscriber_pages(subscriber):
        assert_page_passes_the_policy(client.get(url), url)


def test_it_sends_the_policy_on_the_sandbox_card_page_and_it_passes_it(subscriber: Subscriber):
    client = signed_in(subscriber.user)
    to_gateway = client.post(reverse("checkout:card_new"))
    assert to_gateway.status_code == 302
    card_page = urlsplit(to_gateway["Location"]).path
    assert card_page.startswith("/sandbox-gateway/card/")
    assert_page_passes_the_policy(client.get(card_page), card_page)


def test_it_sends_the_policy_on_the_public_pages_and_they_pass_it(db: None):
    make_store(latitude=45.51, longitude=-73.57)
    client = Client()
    for url in [
        "/accounts/login/",
        "/accounts/password/reset/",
        "/activate/",
        "/renew/",
        "/renew/link/",
        "/stores/",
        "/stores/?q=Montr%C3%A9al",
        "/rates/",
        "/rates/?q=France",
        "/rates/?q=%2B44+20+7946+0018",
        "/api/v1/docs",
    ]:
        assert_page_passes_the_policy(client.get(url), url)


def test_it_sends_the_policy_on_the_activation_wizard_and_it_passes_it(db: None):
    client = Client()
    wizard_at(client, "addresses")
    for url in ["/activate/addresses/"]:
        assert_page_passes_the_policy(client.get(url), url)


def test_the_store_map_page_loads_its_map_and_passes_the_policy(db: None):
    make_store(latitude=45.51, longitude=-73.57)
    response = Client().get("/stores/?q=Montr%C3%A9al")
    page = response.content.decode()
    assert 'id="store-map-data"' in page and "leaflet.js" in page
    assert policy(response)["img-src"] == ["'self'", "data:"]


def test_it_lets_the_store_map_load_tiles_from_the_configured_server(db: None, settings):
    settings.STORE_MAP_TILE_URL = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    make_store(latitude=45.51, longitude=-73.57)
    client = Client()
    assert "https://*.tiles.example.org" in policy(client.get("/stores/?q=Montreal"))["img-src"]
    # Only the map's page: the other pages keep their images to the site itself.
    assert policy(client.get("/accounts/login/"))["img-src"] == ["'self'", "data:"]


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://tiles.example.com/{z}/{x}/{y}.png", "https://tiles.example.com"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("", None),
        ("/tiles/{z}/{x}/{y}.png", None),
    ],
)
def test_it_turns_a_tile_url_into_the_source_of_its_server(template: str, source: str | None):
    assert tile_server_source(template) == source


def test_it_sends_the_policy_on_the_admin_pages_and_they_pass_it(staff_client: Client, staff: User):
    device = make_device("PLHDR0000001")
    chain = make_chain()
    store = make_store(latitude=45.51, longitude=-73.57, chain=chain)
    for url in [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{staff.pk}/change/",
        "/admin/devices/device/",
        f"/admin/devices/device/{device.pk}/change/",
        "/admin/billing/payment/",
        "/admin/billing/plan/add/",
        f"/admin/stores/store/{store.pk}/change/",
        "/admin/reup/reupbatch/add/",
        "/admin/reup/retailerapikey/add/",
    ]:
        response = staff_client.get(url)
        assert_page_passes_the_policy(response, url)
        assert_private(response, url)
    form = staff_client.get("/admin/reup/retailerapikey/add/").content.decode()
    once = re.search(r'name="once" value="([^"]+)"', form)
    assert once
    created = staff_client.post(
        "/admin/reup/retailerapikey/add/",
        {"chain": chain.pk, "name": "Tills", "once": once[1]},
    )
    assert 'id="new-api-key"' in created.content.decode()
    assert_page_passes_the_policy(created, "the new API key's page")


def test_it_lets_the_activation_page_reach_the_device_agent_on_its_port(db: None, settings):
    settings.DEVICE_AGENT_PORT = 7447
    response = Client().get("/activate/")
    assert policy(response)["connect-src"] == ["'self'", "http://127.0.0.1:7447"]
    settings.DEVICE_AGENT_PORT = 7500
    response = Client().get("/activate/")
    assert policy(response)["connect-src"] == ["'self'", "http://127.0.0.1:7500"]


def test_it_turns_off_camera_microphone_and_geolocation_everywhere_but_the_store_finder(
    subscriber: Subscriber,
):
    client = signed_in(subscriber.user)
    for url in [reverse("portal:home"), "/account/profile/", "/activate/", "/accounts/email/"]:
        features = dict(
            part.strip().split("=", 1) for part in client.get(url)["Permissions-Policy"].split(",")
        )
        assert features["camera"] == "()", url
        assert features["microphone"] == "()", url
        assert features["geolocation"] == "()", url
    stores = dict(
        part.strip().split("=", 1)
        for part in client.get("/stores/")["Permissions-Policy"].split(",")
    )
    assert stores["geolocation"] == "(self)"
    assert stores["camera"] == stores["microphone"] == "()"


def test_it_keeps_every_page_of_a_signed_in_subscriber_out_of_caches(subscriber: Subscriber):
    client = signed_in(subscriber.user)
    invoice = Payment.objects.get(user=subscriber.user).invoice_number
    for url in [
        *subscriber_pages(subscriber),
        reverse("checkout:invoice_pdf", kwargs={"number": invoice}),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response, url)


def test_it_keeps_the_activation_wizard_out_of_caches(db: None):
    client = Client()
    wizard_at(client, "addresses")
    for url in ["/activate/addresses/", "/stores/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response, url)


def test_it_keeps_the_renew_link_checkout_out_of_caches(alice: Subscriber):
    plan_make()
    Client().post(reverse("checkout:renew_link"), {"email": alice.email})
    body = OutboxMessage.objects.get(template="billing/email/renew_link").body_text
    token = re.search(r"/renew/link/(\S+)/", body)
    assert token, body
    client = Client()
    client.post(reverse("checkout:renew_link_open", kwargs={"token": token[1]}))
    renew = client.get(reverse("checkout:renew"))
    assert alice.devices[0].serial in renew.content.decode()
    assert_private(renew, "the renew page opened by the link")
    # Any page this browser opens while the link's checkout is in its session.
    assert_private(client.get("/stores/"), "/stores/ with the link's checkout open")


def test_it_lets_caches_keep_the_public_pages_of_a_visitor_without_a_session(db: None):
    response = Client().get("/stores/")
    assert response.status_code == 200
    assert "no-store" not in cache_directives(response)


def test_it_makes_a_cacheable_answer_to_a_signed_in_person_private(alice: Subscriber):
    @cache_control(public=True, max_age=3600)
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("Alice's page")

    request = RequestFactory().get("/somewhere/")
    request.user = alice.user
    request.session = SessionStore()
    response = PrivatePagesMiddleware(view)(request)
    assert {"private", "no-store"} <= cache_directives(response)
    assert "public" not in cache_directives(response)


def test_it_leaves_a_stricter_header_of_a_view_as_it_is(subscriber: Subscriber):
    response = signed_in(subscriber.user).get(reverse("checkout:checkout"))
    # never_cache's header, which says more than private, no-store.
    assert {"private", "no-store", "no-cache", "must-revalidate"} <= cache_directives(response)


def test_it_builds_the_policy_once_for_the_pages_that_change_nothing_of_it(
    db: None, monkeypatch: pytest.MonkeyPatch
):
    import csp.middleware

    from plugline.core import headers

    built: list[bool] = []

    def counted(build: Callable[..., str]) -> Callable[..., str]:
        def build_policy(*args: object, **kwargs: object) -> str:
            built.append(True)
            return build(*args, **kwargs)

        return build_policy

    monkeypatch.setattr(csp.middleware, "build_policy", counted(csp.middleware.build_policy))
    # Plugline's middleware builds them with django-csp's function too (if it does itself).
    own = getattr(headers, "build_policy", csp.middleware.build_policy)
    monkeypatch.setattr(headers, "build_policy", counted(own), raising=False)
    client = Client()
    answers = [client.get(path) for path in ("/accounts/login/", "/", "/accounts/login/")]
    assert [policy(answer)["connect-src"] for answer in answers] == [
        ["'self'", "http://127.0.0.1:7447"]
    ] * 3
    assert len(built) <= 2  # the policy and the report-only one, once


# The pages added with support: the help centre, tickets, live chat, the staff consoles.


def _help_article_url() -> str:
    from plugline.helpcentre.tests.factories import make_article

    article = make_article()
    return f"/help/{article.category.slug}/{article.slug}/"


def _ticket_link(email: str = "gus@example.com") -> str:
    from plugline.support.tests.factories import open_ticket

    open_ticket(email=email)
    body = OutboxMessage.objects.latest("pk").body_text
    found = re.search(r"https?://[^/\s]+(/requests/\S+/)", body)
    assert found, body
    return found[1]


def test_it_sends_the_policy_on_the_help_centre_and_contact_pages_and_they_pass_it(db: None):
    article = _help_article_url()
    link = _ticket_link()
    client = Client()
    for url in [
        "/help/",
        article.rsplit("/", 2)[0] + "/",
        article,
        "/help/search/?q=usb",
        "/help/search/?q=%F0%9F%93%9E",
        "/contact/",
        link,
        "/requests/not-a-real-token/",
    ]:
        assert_page_passes_the_policy(client.get(url), url)


def test_it_sends_the_policy_on_my_requests_and_keeps_them_out_of_caches(alice: Subscriber):
    from plugline.support.tests.factories import open_ticket

    ticket = open_ticket(alice.user)
    client = signed_in(alice.user)
    for url in ["/account/requests/", f"/account/requests/{ticket.reference}/"]:
        response = client.get(url)
        assert_page_passes_the_policy(response, url)
        assert_private(response, url)


def test_it_keeps_a_tickets_secret_link_out_of_caches_for_a_visitor_without_a_session(
    db: None,
):
    link = _ticket_link()
    visitor = Client()
    response = visitor.get(link)
    assert "No dial tone" in response.content.decode()
    assert_private(response, "the ticket's secret link")
    assert_private(visitor.post(link, {"body": ""}), "a refused answer on the secret link")


def test_it_keeps_the_contact_forms_answer_out_of_caches_for_a_visitor(db: None):
    posted = {
        "name": "Gus Guest",
        "email": "gus@example.com",
        "subject": "Device not detected",
        "message": "The light stays off.",
    }
    answer = Client().post("/contact/", posted)
    assert "gus@example.com" in answer.content.decode()
    assert_private(answer, "the contact form's answer")
    as_json = Client().post("/contact/", posted, HTTP_ACCEPT="application/json")
    assert as_json.json()["reference"]
    assert_private(as_json, "the contact form's answer in JSON")


def test_it_sends_the_policy_on_every_staff_console_and_keeps_them_out_of_caches(
    console_client: Client, alice: Subscriber, settings
):
    from plugline.chat.tests.asgi_servers import ALWAYS_OPEN
    from plugline.support.tests.factories import open_ticket

    settings.SUPPORT_HOURS = ALWAYS_OPEN
    ticket = open_ticket(alice.user)
    customer = f"/staff/customers/{alice.user.pk}/"
    for url in [
        "/staff/",
        "/staff/?q=nobody%40example.com",
        customer,
        "/staff/tickets/",
        f"/staff/tickets/{ticket.reference}/",
        "/staff/chat/",
        "/staff/reports/",
        "/staff/reports/renewals/",
        "/staff/reports/revenue/?start=2026-01-05&end=2026-03-29",
        "/staff/reports/devices/",
    ]:
        response = console_client.get(url)
        assert_page_passes_the_policy(response, url)
        assert_private(response, url)
    for url in ["/staff/reports/revenue.csv", "/staff/reports/devices.csv"]:
        download = console_client.get(url)
        assert download.status_code == 200, url
        assert_private(download, url)


def test_it_keeps_a_chats_images_out_of_caches(alice: Subscriber, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from plugline.chat import services
    from plugline.chat.models import Conversation, Message
    from plugline.chat.tests.asgi_servers import ALWAYS_OPEN
    from plugline.chat.tests.helpers import agent_client, make_agent

    settings.SUPPORT_HOURS = ALWAYS_OPEN
    settings.MEDIA_ROOT = tmp_path
    agent = make_agent("sam@example.com")
    agents = agent_client(agent)
    visitor = Client()
    started = visitor.post("/chat/start/", {"name": "Gus", "email": "gus@example.com"})
    assert started.status_code == 200, started.content
    conversation = Conversation.objects.get()
    services.conversation_accept(conversation_id=conversation.pk, agent=agent)
    picture = io.BytesIO()
    Image.new("RGB", (8, 8)).save(picture, "PNG")
    sent = visitor.post("/chat/image/", {"image": SimpleUploadedFile("a.png", picture.getvalue())})
    assert sent.status_code == 200, sent.content
    url = f"/chat/images/{Message.objects.exclude(attachment='').get().pk}/"
    for client in (visitor, agents):
        response = client.get(url)
        assert response.status_code == 200
        assert_private(response, url)
