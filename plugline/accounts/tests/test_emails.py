"""The Emails page: secondary emails confirmed by link, the preferred email, the original email."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.accounts.services import account_close
from plugline.accounts.tests.email_steps import (
    EMAILS,
    NEW_EMAIL,
    REAUTHENTICATE,
    act_on,
    add_email,
    confirm,
    confirmation_link,
    messages_to,
    page_messages,
    signed_in_browser,
)
from plugline.core.models import AuditAction, AuditEvent


def emails_of(subscriber: Subscriber) -> dict[str, tuple[bool, bool]]:
    """Each email of the account: (confirmed, preferred)."""
    return {
        address.email: (address.verified, address.primary)
        for address in EmailAddress.objects.filter(user=subscriber.user)
    }


def preferred_email(subscriber: Subscriber) -> str:
    return User.objects.get(pk=subscriber.user.pk).email


def card(page: str, address: str) -> str:
    """The HTML of one email's card on the Emails page."""
    match = re.search(
        rf'<li class="card email">\s*<h2[^>]*>{re.escape(address)}</h2>.*?</li>', page, re.S
    )
    assert match, f"no card for {address}"
    return match.group(0)


def test_it_adds_an_email_and_sends_it_a_one_time_link(alice: Subscriber):
    client = signed_in_browser(alice)
    response = add_email(client, NEW_EMAIL, follow=True)

    assert emails_of(alice) == {alice.email: (True, True), NEW_EMAIL: (False, False)}
    assert page_messages(response) == [
        f"We sent a link to {NEW_EMAIL}. Open it to confirm the email; until then, it cannot "
        "be used."
    ]
    [message] = messages_to(NEW_EMAIL)
    assert message.template == "account/email/email_confirmation"
    assert message.subject == "Confirm your email for Plugline"
    assert message.user == alice.user
    assert message.language == "en"
    assert "The link works once, for 3 days." in message.body_text
    assert confirmation_link(message) in message.body_html

    page = response.content.decode()
    new_card = card(page, NEW_EMAIL)
    assert "Not confirmed yet" in new_card
    assert "Send the link again" in new_card
    assert "Make preferred" not in new_card


def test_an_unconfirmed_email_cannot_be_made_preferred(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)

    response = act_on(client, "primary", NEW_EMAIL, follow=True)

    assert page_messages(response) == [
        "Only a confirmed email can be your preferred email. Open the link we sent to it first."
    ]
    assert preferred_email(alice) == alice.email
    assert emails_of(alice)[NEW_EMAIL] == (False, False)


def test_the_link_confirms_the_email_once(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    link = confirmation_link(messages_to(NEW_EMAIL)[0])

    # Opened in another browser, not signed in: the page asks before confirming.
    elsewhere = Client()
    page = elsewhere.get(link).content.decode()
    assert f"Confirm that {NEW_EMAIL} is yours" in page
    assert emails_of(alice)[NEW_EMAIL] == (False, False)
    response = elsewhere.post(link, follow=True)
    assert emails_of(alice)[NEW_EMAIL] == (True, False)
    assert page_messages(response) == [
        f"{NEW_EMAIL} is confirmed. You can sign in with it, or make it your preferred email."
    ]

    again = elsewhere.get(link).content.decode()
    assert "This link no longer works" in again
    assert "Confirm this email" not in again


def test_the_owner_lands_back_on_the_emails_page_after_confirming(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    response = confirm(client, NEW_EMAIL)
    assert response.redirect_chain[-1][0] == EMAILS
    assert "Make preferred" in card(response.content.decode(), NEW_EMAIL)


def test_the_link_of_a_removed_email_no_longer_works(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    link = confirmation_link(messages_to(NEW_EMAIL)[0])
    act_on(client, "remove", NEW_EMAIL)

    page = Client().get(link).content.decode()
    assert "This link no longer works" in page
    assert Client().post(link).status_code == 404
    assert NEW_EMAIL not in emails_of(alice)


def test_an_email_confirmed_on_another_account_cannot_be_confirmed_here(
    alice: Subscriber, bob: Subscriber
):
    client = signed_in_browser(alice)
    # The form does not say that the email belongs to someone (no enumeration)...
    add_email(client, bob.email)
    link = confirmation_link(messages_to(bob.email, "account/email/email_confirmation")[0])

    # ...but its owner's link cannot attach it to Alice's account.
    page = Client().get(link).content.decode()
    assert "This email cannot be confirmed" in page
    assert f"{bob.email} is already confirmed on another account" in page
    Client().post(link)
    assert emails_of(alice)[bob.email] == (False, False)


def test_it_makes_a_confirmed_email_preferred(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)

    response = act_on(client, "primary", NEW_EMAIL, follow=True)

    assert page_messages(response) == [
        f"{NEW_EMAIL} is now your preferred email: every message goes there from now on."
    ]
    assert preferred_email(alice) == NEW_EMAIL
    assert emails_of(alice) == {alice.email: (True, False), NEW_EMAIL: (True, True)}
    page = response.content.decode()
    # The preferred email comes first; the original keeps its badge.
    assert page.index(NEW_EMAIL) < page.index(f">{alice.email}</h2>")
    assert "Preferred" in card(page, NEW_EMAIL)
    assert "Original" in card(page, alice.email)
    assert "Make preferred" in card(page, alice.email)


def test_the_page_says_why_the_original_email_cannot_be_removed(alice: Subscriber):
    client = signed_in_browser(alice)
    original = card(client.get(EMAILS).content.decode(), alice.email)

    assert "Original" in original and "Preferred" in original
    why = re.search(r'<p class="note" id="(email-\d+-why)">(.*?)</p>', original, re.S)
    assert why
    assert why.group(2) == (
        "This is the email you registered with: it stays on your account for good and cannot "
        "be removed. To stop receiving mail here, add another email, confirm it and make it "
        "your preferred email."
    )
    # Its Remove button is greyed out and points to the reason.
    remove = re.search(r'<button[^>]*name="action_remove"[^>]*>', original)
    assert remove
    assert " disabled" in remove.group(0)
    assert f'aria-describedby="{why.group(1)}"' in remove.group(0)


def test_removing_the_original_email_is_refused_and_says_how_to_stop_mail_there(
    alice: Subscriber,
):
    client = signed_in_browser(alice)
    response = act_on(client, "remove", alice.email, follow=True)

    assert page_messages(response) == [
        f"{alice.email} cannot be removed: it is the email you registered with, and it stays "
        "on your account for good. To stop receiving mail there, add another email, confirm "
        "it and make it your preferred email."
    ]
    assert emails_of(alice) == {alice.email: (True, True)}
    assert messages_to(alice.email) == []  # no notice: nothing changed


def test_the_original_email_stays_after_another_one_is_preferred(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    act_on(client, "primary", NEW_EMAIL)

    page = client.get(EMAILS).content.decode()
    assert "It receives no mail while another email is preferred." in card(page, alice.email)
    assert re.search(r'<button[^>]*name="action_remove"[^>]*disabled', card(page, alice.email))

    response = act_on(client, "remove", alice.email, follow=True)
    assert page_messages(response) == [
        f"{alice.email} cannot be removed: it is the email you registered with, and it stays "
        f"on your account for good. It already receives no mail: every message goes to your "
        f"preferred email, {NEW_EMAIL}."
    ]
    assert alice.email in emails_of(alice)


def test_the_preferred_email_is_removed_only_after_another_is_preferred(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    act_on(client, "primary", NEW_EMAIL)

    refused = act_on(client, "remove", NEW_EMAIL, follow=True)
    assert page_messages(refused) == [
        f"{NEW_EMAIL} cannot be removed while it is your preferred email. Make another email "
        "preferred first, then remove this one."
    ]
    assert "To remove this email, make another one preferred first." in card(
        refused.content.decode(), NEW_EMAIL
    )
    assert NEW_EMAIL in emails_of(alice)

    act_on(client, "primary", alice.email)
    removed = act_on(client, "remove", NEW_EMAIL, follow=True)
    assert page_messages(removed) == [f"{NEW_EMAIL} is removed from your account."]
    assert emails_of(alice) == {alice.email: (True, True)}


def test_it_removes_a_secondary_email(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    assert "Remove" in card(client.get(EMAILS).content.decode(), NEW_EMAIL)

    response = act_on(client, "remove", NEW_EMAIL, follow=True)

    assert page_messages(response) == [f"{NEW_EMAIL} is removed from your account."]
    assert emails_of(alice) == {alice.email: (True, True)}
    assert f">{NEW_EMAIL}</h2>" not in response.content.decode()


def test_it_cannot_touch_another_accounts_email(alice: Subscriber, bob: Subscriber):
    client = signed_in_browser(alice)
    for action in ("remove", "primary", "send"):
        act_on(client, action, bob.email)
    assert emails_of(bob) == {bob.email: (True, True)}
    assert preferred_email(alice) == alice.email
    assert messages_to(bob.email) == []


def test_it_refuses_an_email_already_on_the_account(alice: Subscriber):
    client = signed_in_browser(alice)
    response = add_email(client, alice.email.upper())
    assert response.status_code == 200
    assert "This email is already on your account." in response.content.decode()
    assert messages_to(alice.email) == []


def test_an_account_has_at_most_five_emails(alice: Subscriber):
    client = signed_in_browser(alice)
    for n in range(4):
        add_email(client, f"alice{n}@example.org")
    page = client.get(EMAILS).content.decode()
    assert "Your account has 5 emails, the most it can have." in page
    assert 'name="action_add"' not in page

    # A page left open from before gets the same answer.
    response = add_email(client, "alice5@example.org")
    assert "Your account has 5 emails, the most it can have." in response.content.decode()
    assert "alice5@example.org" not in emails_of(alice)


def test_it_asks_for_the_password_again_before_changing_emails(alice: Subscriber):
    client = Client()
    client.post("/accounts/login/", {"login": alice.email, "password": alice.password})

    response = add_email(client, NEW_EMAIL, follow=False)
    assert response.status_code == 302
    confirm_page = response["Location"]
    assert confirm_page == f"{REAUTHENTICATE}?next={EMAILS.replace('/', '%2F')}"
    assert NEW_EMAIL not in emails_of(alice)

    # Once the password is typed again, the change goes through.
    done = client.post(confirm_page, {"password": alice.password}, follow=True)
    assert NEW_EMAIL in emails_of(alice)
    assert done.redirect_chain[-1][0] == EMAILS


def test_the_emails_page_is_for_signed_in_subscribers(alice: Subscriber):
    response = Client().get(EMAILS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_account_page_links_to_the_emails_page(alice: Subscriber):
    client = signed_in_browser(alice)
    page = client.get("/account/").content.decode()
    assert f"Every message goes to your preferred email, {alice.email}." in page
    assert f'href="{EMAILS}"' in page


@pytest.mark.parametrize(
    ("language", "refusal", "how_to_stop"),
    [
        ("fr", "ne peut pas être supprimée", "Pour ne plus recevoir de courriels à cette adresse"),
        ("da", "kan ikke fjernes", "For ikke længere at modtage e-mails på denne adresse"),
    ],
)
def test_the_refusal_speaks_the_subscribers_language(
    db: None, language: str, refusal: str, how_to_stop: str
):
    # Needs the French and Danish catalogs compiled.
    subscriber = make_subscriber("claire@example.com", language=language)
    client = signed_in_browser(subscriber)
    response = act_on(client, "remove", subscriber.email, follow=True)
    [message] = page_messages(response)
    assert subscriber.email in message
    assert refusal in message
    assert how_to_stop in message
    assert how_to_stop in card(response.content.decode(), subscriber.email)


def test_closing_the_account_scrubs_a_removed_email_from_the_audit_log(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    act_on(client, "remove", NEW_EMAIL)

    account_close(user=User.objects.get(pk=alice.user.pk))

    kept = AuditEvent.objects.filter(subject_id=alice.user.pk)
    assert kept.filter(action=AuditAction.EMAIL_REMOVED).exists()
    assert not [event.data for event in kept if NEW_EMAIL in str(event.data)]
