"""Live chat in real browsers, over WebSockets served by daphne (the ASGI server production
runs): a signed-in customer and an agent, each in their own browser, chat both ways, see
each other typing; the customer reloads mid-chat and loses nothing; the transcript is
emailed and the rating saved. And the "Chat with us" panel on a phone, by keyboard."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    FilePayload,
    Page,
    expect,
)
from pytest_django.live_server_helper import LiveServer

from conftest import Subscriber, sign_in_with_two_factor
from e2e.conftest import ACTION_TIMEOUT_MS
from e2e.helpers import OpenPage, fits, tab_to
from e2e.test_staff_accessibility import violations
from plugline.chat import services
from plugline.chat.models import Conversation, PresenceStatus
from plugline.chat.tests.asgi_servers import daphne_serving
from plugline.chat.tests.helpers import make_agent
from plugline.notifications.models import OutboxMessage


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    with daphne_serving() as address:
        yield address


def signed_in_context(browser: Browser, address: str, client: Client) -> BrowserContext:
    """A browser holding the session `client` signed in (the test database's)."""
    context = browser.new_context(base_url=address, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": address}])
    return context


def refusals(page: Page) -> list[str]:
    """What the Content-Security-Policy refuses on this page (a WebSocket, say)."""
    refused: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if "Refused" in message.text or "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", heard)
    return refused


def test_a_customer_and_an_agent_chat_and_a_reload_loses_nothing(
    browser: Browser, asgi_server: str, alice: Subscriber
) -> None:
    agent = make_agent("sam@example.com", first_name="Sam")
    agent_browser = Client()
    sign_in_with_two_factor(agent_browser, agent)
    customer_browser = Client()
    customer_browser.force_login(alice.user)
    agent_context = signed_in_context(browser, asgi_server, agent_browser)
    customer_context = signed_in_context(browser, asgi_server, customer_browser)
    try:
        console = agent_context.new_page()
        console_refused = refusals(console)
        console.goto("/staff/chat/")
        expect(console.get_by_role("status").filter(has_text="Connected.")).to_be_visible()
        console.get_by_label("I am").select_option("online")
        console.get_by_role("button", name="Save").click()
        expect(console.get_by_label("I am")).to_have_value("online")

        customer = customer_context.new_page()
        customer_refused = refusals(customer)
        customer.goto("/")
        customer.get_by_role("button", name="Chat with us").click()
        panel = customer.get_by_role("dialog", name="Chat with us")
        panel.get_by_role("button", name="Start the chat").click()
        expect(panel.get_by_text("You are number 1 in the queue.")).to_be_visible()

        # The live queue, as the agent hears it: checked with Alice waiting in it.
        waiting = console.get_by_role("listitem").filter(has_text="Alice Archer")
        expect(waiting.get_by_role("button", name="Accept")).to_be_visible()
        assert violations(console, "chat console, a chat waiting") == []
        waiting.get_by_role("button", name="Accept").click()
        expect(panel.get_by_text("You are chatting with Sam.")).to_be_visible()
        chat = console.locator("article.console-chat").filter(has_text="Alice Archer")
        expect(chat.get_by_text("alice@example.com")).to_be_visible()

        panel.get_by_label("Your message").press_sequentially("My device")
        expect(chat.get_by_text("Alice is typing…")).to_be_visible()
        panel.get_by_label("Your message").press_sequentially(" is not detected")
        panel.get_by_role("button", name="Send", exact=True).click()
        expect(chat.locator(".chat-customer")).to_have_text(["Alice: My device is not detected"])

        chat.get_by_label("Reply").press_sequentially("Try another USB port")
        expect(panel.get_by_text("Sam is typing…")).to_be_visible()
        chat.get_by_role("button", name="Send", exact=True).click()
        log = panel.locator(".chat-log li")
        expected = [
            "Sam joined the chat.",
            "You: My device is not detected",
            "Sam: Try another USB port",
        ]
        expect(log).to_have_text(expected)
        assert violations(console, "chat console") == []
        assert violations(customer, "chat panel") == []

        # Mid-chat, the customer reloads: the panel comes back with every message, once.
        customer.reload()
        panel = customer.get_by_role("dialog", name="Chat with us")
        expect(panel.locator(".chat-log li")).to_have_text(expected)
        expect(panel.get_by_text("You are chatting with Sam.")).to_be_visible()
        panel.get_by_label("Your message").fill("It works now, thanks")
        panel.get_by_label("Your message").press("Enter")
        expect(chat.locator(".chat-customer").first).to_have_text(
            "Alice: My device is not detected"
        )
        expect(chat.locator(".chat-customer").nth(1)).to_have_text("Alice: It works now, thanks")

        # A screenshot: the agent sees it (served to the two of them only).
        screenshot = io.BytesIO()
        Image.new("RGB", (64, 48), (20, 120, 200)).save(screenshot, "PNG")
        panel.get_by_label("Send an image (PNG, JPEG or WebP)").set_input_files(
            files=FilePayload(name="screen.png", mimeType="image/png", buffer=screenshot.getvalue())
        )
        picture = chat.get_by_role("img", name="Image sent by Alice")
        expect(picture).to_be_visible()
        assert picture.evaluate("image => image.naturalWidth") == 64

        panel.get_by_role("button", name="Email me the transcript").first.click()
        expect(panel.get_by_text("The transcript will be emailed to you")).to_be_visible()
        chat.get_by_role("button", name="Close the chat").click()
        expect(panel.get_by_text("This chat is closed.")).to_be_visible()
        panel.get_by_label("5 (very well)").check()
        panel.get_by_role("button", name="Send my rating").click()
        expect(panel.get_by_text("Thank you for your rating.")).to_be_visible()

        assert console_refused == []
        assert customer_refused == []
    finally:
        agent_context.close()
        customer_context.close()

    conversation = Conversation.objects.get()
    assert conversation.rating == 5
    transcript = OutboxMessage.objects.get(template="chat/email/transcript")
    assert transcript.to_email == "alice@example.com"
    assert "Sam: Try another USB port" in transcript.body_text
    assert "You: It works now, thanks" in transcript.body_text


@pytest.mark.parametrize(
    ("language", "title", "offline", "question"),
    [
        ("en", "Chat with us", "No agent is online right now.", "How can we help?"),
        (
            "fr",
            "Discuter avec nous",
            "Aucun conseiller n\u2019est en ligne pour le moment.",
            "Comment pouvons-nous vous aider\u202f?",
        ),
        (
            "da",
            "Chat med os",
            "Ingen medarbejder er online lige nu.",
            "Hvordan kan vi hj\u00e6lpe?",
        ),
    ],
)
def test_the_chat_panel_opens_by_keyboard_on_a_phone_and_offers_a_message_when_nobody_is_online(
    open_page: OpenPage,
    live_server: LiveServer,
    language: str,
    title: str,
    offline: str,
    question: str,
) -> None:
    page = open_page(width=360, height=780)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/accounts/login/")
    button = page.get_by_role("button", name=title)
    tab_to(page, button, limit=60)
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name=title)
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name=title)).to_be_focused()
    expect(panel.get_by_text(offline, exact=False).first).to_be_visible()
    expect(panel.get_by_label(question)).to_be_visible()
    assert fits(page)
    assert violations(page, f"chat panel, nobody online (360 px, {language})") == []
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_be_focused()


def test_a_signed_out_visitor_gives_a_name_and_a_valid_email_then_waits_in_the_queue(
    browser: Browser, asgi_server: str
) -> None:
    agent = make_agent("sam@example.com", first_name="Sam")
    services.presence_set(agent=agent, status=PresenceStatus.ONLINE)
    context = browser.new_context(base_url=asgi_server, viewport={"width": 360, "height": 780})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_role("button", name="Chat with us").click()
        panel = page.get_by_role("dialog", name="Chat with us")
        start = panel.locator("form.chat-start")
        start.get_by_label("Your name").fill("Dana Doe")
        start.get_by_label("Your email").fill("dana@example")
        start.get_by_role("button", name="Start the chat").click()
        expect(start.get_by_text("Enter a valid email address.")).to_be_visible()
        expect(start.get_by_label("Your email")).to_be_focused()
        start.get_by_label("Your email").fill("dana@example.com")
        start.get_by_role("button", name="Start the chat").click()
        expect(panel.get_by_text("You are number 1 in the queue.")).to_be_visible()
        panel.get_by_label("Your message").fill("Hello <b>there</b>")
        panel.get_by_label("Your message").press("Enter")
        expect(panel.locator(".chat-customer")).to_have_text(["You: Hello <b>there</b>"])
        assert panel.locator(".chat-customer b").count() == 0  # text, never HTML
    finally:
        context.close()
    conversation = Conversation.objects.get()
    assert (conversation.visitor_name, conversation.visitor_email) == (
        "Dana Doe",
        "dana@example.com",
    )


def test_with_nobody_online_the_customers_message_becomes_a_ticket_they_follow_on_my_requests(
    browser: Browser, live_server: LiveServer, alice: Subscriber, client: Client
) -> None:
    from plugline.support.models import Ticket

    client.force_login(alice.user)
    context = signed_in_context(browser, live_server.url, client)
    page = context.new_page()
    refused = refusals(page)
    page.goto("/")
    page.get_by_role("button", name="Chat with us").click()
    panel = page.get_by_role("dialog", name="Chat with us")
    expect(panel.get_by_text("No agent is online right now.", exact=False).first).to_be_visible()
    panel.get_by_label("Subject (optional)").fill("No dial tone")
    panel.get_by_label("How can we help?").fill("My phone has <b>no</b> dial tone since today.")
    panel.get_by_role("button", name="Send").click()
    expect(panel.get_by_text("Thank you: your request T-", exact=False)).to_be_visible()
    ticket = Ticket.objects.get(user=alice.user)
    expect(panel.get_by_text(ticket.reference, exact=False)).to_be_visible()
    assert ticket.subject == "No dial tone"
    assert OutboxMessage.objects.filter(
        to_email="alice@example.com", subject__contains=ticket.reference
    ).exists()
    page.goto("/account/requests/")
    page.get_by_role("link", name="No dial tone").click()
    expect(page).to_have_url(f"{live_server.url}/account/requests/{ticket.reference}/")
    expect(page.get_by_text("My phone has <b>no</b> dial tone since today.")).to_be_visible()
    assert refused == []
    context.close()
