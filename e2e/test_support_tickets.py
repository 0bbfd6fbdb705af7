"""Support tickets in real browsers: a customer writes through the contact form, an agent
signed in with two-factor answers on the ticket desk in another browser, the answer is
emailed and shows on "My requests", and the customer's answer opens the ticket again.
Then every support page in English, French and Danish on a phone: no axe-core
violation, nothing wider than the screen, and usable with the keyboard alone."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import Page, expect

from conftest import PASSWORD, STAFF_TOTP_SECRET, Subscriber
from e2e.helpers import OpenPage, authenticator_code, fits, open_menu, sign_in, tab_to
from e2e.test_staff_accessibility import violations
from plugline.accounts.models import User
from plugline.notifications.models import OutboxMessage
from plugline.support.models import Ticket, TicketStatus
from plugline.support.services import ticket_reply_by_agent
from plugline.support.tests.factories import make_agent, open_ticket

REFERENCE = re.compile(r"T-\d{6}")


def sign_in_agent(page: Page, agent: User) -> None:
    """The real sign-in of a staff member: password, then the authenticator's code."""
    sign_in(page, agent.email, PASSWORD)
    code = page.locator("input[name='code']")
    expect(code).to_be_visible()
    code.fill(authenticator_code(STAFF_TOTP_SECRET))
    page.locator("main form button.primary").click()
    expect(page.locator("input[name='code']")).to_have_count(0)


def agent_with_two_factor(email: str = "agent@example.com", language: str = "en") -> User:
    agent = make_agent(email)
    agent.language = language
    agent.save(update_fields=["language"])
    TOTP.activate(agent, STAFF_TOTP_SECRET)
    return agent


def test_a_request_answered_on_the_desk_reaches_my_requests_and_my_answer_reopens_it(
    alice: Subscriber, open_page: OpenPage
) -> None:
    customer = open_page()
    sign_in(customer, alice.email, PASSWORD)
    customer.get_by_role("link", name="Contact us").click()
    customer.get_by_label("Subject (optional)").fill("No dial tone")
    customer.get_by_label("How can we help?").fill("Since this morning the phone is silent.")
    customer.get_by_role("button", name="Send my request").click()

    expect(customer.get_by_role("heading", name="We received your request")).to_be_visible()
    reference = REFERENCE.search(customer.locator("main").inner_text())
    assert reference is not None
    ticket = Ticket.objects.get(reference=reference.group(0))
    received = OutboxMessage.objects.get(to_email=alice.email)
    assert received.subject == f"We received your request {ticket.reference}"

    agent = agent_with_two_factor()
    desk = open_page()
    sign_in_agent(desk, agent)
    desk.goto("/staff/tickets/")
    desk.get_by_role("link", name=f"{ticket.reference}: No dial tone").click()
    expect(desk.get_by_text("Since this morning the phone is silent.")).to_be_visible()
    desk.get_by_label("Answer to the customer").fill("Plug the device into another USB port.")
    desk.get_by_role("button", name="Send the answer").click()
    expect(desk.get_by_text("Your answer is sent to the customer by email.")).to_be_visible()
    desk.get_by_label("Status").select_option("solved")
    desk.get_by_role("button", name="Change the status").click()
    expect(desk.get_by_text("The ticket's status is saved.")).to_be_visible()

    answer = OutboxMessage.objects.get(subject=f"Our answer to your request {ticket.reference}")
    assert answer.to_email == alice.email
    assert "Plug the device into another USB port." in answer.body_text

    customer.goto("/account/")
    customer.get_by_role("link", name="My requests").click()
    expect(customer.locator(".tickets .badge")).to_have_text(["Solved"])
    customer.get_by_role("link", name="No dial tone").click()
    expect(customer.get_by_text("Plug the device into another USB port.")).to_be_visible()
    customer.get_by_label("Your answer").fill("Another port works, but only sometimes.")
    customer.get_by_role("button", name="Send my answer").click()
    expect(customer.get_by_text("Your answer is sent.")).to_be_visible()
    expect(customer.locator("main .meta .badge")).to_have_text("Open")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.solved_at is None
    desk.reload()
    expect(desk.get_by_text("Another port works, but only sometimes.")).to_be_visible()


@pytest.mark.parametrize(
    ("language", "send", "reply_label"),
    [
        ("en", "Send my request", "Your answer"),
        ("fr", "Envoyer ma demande", "Votre réponse"),
        ("da", "Send min henvendelse", "Dit svar"),
    ],
)
def test_the_support_pages_pass_axe_fit_a_phone_and_work_with_the_keyboard(
    alice: Subscriber, open_page: OpenPage, language: str, send: str, reply_label: str
) -> None:
    alice.user.language = language
    alice.user.save(update_fields=["language"])
    agent = agent_with_two_factor(language=language)
    mine = open_ticket(alice.user, subject="No dial tone")
    ticket_reply_by_agent(ticket=mine, agent=agent, body="Try another USB port.")
    guests = open_ticket(email="gus@example.com", subject="Card refused")
    guest_email = OutboxMessage.objects.get(to_email="gus@example.com")
    [link] = re.findall(r"/requests/[\w-]+/", guest_email.body_text)
    found: list[str] = []

    def check(page: Page, name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", language)
        found.extend(violations(page, f"{name} ({language}, 360 px)"))
        if not fits(page):
            found.append(f"{name} ({language}, 360 px): scrolls sideways")

    guest = open_page(width=360, height=780)
    guest.goto("/contact/")
    open_menu(guest)
    guest.get_by_label("Language").select_option(language)
    guest.get_by_role("button", name=re.compile("Change|Changer|Skift")).click()
    expect(guest.locator("html")).to_have_attribute("lang", language)
    check(guest, "contact")
    # Sent empty with the keyboard: the errors come first, focused, in the page's language.
    tab_to(guest, guest.get_by_role("button", name=send), limit=40)
    guest.keyboard.press("Enter")
    expect(guest.locator(".form-errors")).to_be_focused()
    check(guest, "contact, refused")
    guest.locator("#id_name").fill("Gus Guest")
    guest.locator("#id_email").fill("gus@example.com")
    guest.locator("#id_message").fill("My card is refused.")
    guest.get_by_role("button", name=send).click()
    expect(guest.locator("main strong")).to_have_text(REFERENCE)
    check(guest, "contact, sent")
    guest.goto(link)
    check(guest, "secret link")

    customer = open_page(width=360, height=780)
    sign_in(customer, alice.email, PASSWORD)
    for url in ("/account/", "/account/requests/", f"/account/requests/{mine.reference}/"):
        customer.goto(url)
        check(customer, url)
    answer = customer.get_by_label(reply_label)
    tab_to(customer, answer, limit=60)
    customer.keyboard.type("It works now.")
    customer.keyboard.press("Tab")
    customer.keyboard.press("Enter")
    expect(customer.locator("main").get_by_text("It works now.")).to_be_visible()
    customer.goto("/contact/")
    check(customer, "contact, signed in")

    desk = open_page(width=360, height=780)
    sign_in_agent(desk, agent)
    for url in ("/staff/tickets/", f"/staff/tickets/{guests.reference}/"):
        desk.goto(url)
        check(desk, url)
    assert not found, "\n".join(found)
