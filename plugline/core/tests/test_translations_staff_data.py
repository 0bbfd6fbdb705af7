# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
"""The staff consoles in French and Danish show no English, their data included.

On the demo data (`seed_demo`) with a refund, a declined payment, a ticket and a chat
added: the console's search page (the staff's roles), a customer's page (statuses,
refunds, decline reasons, tickets, chats, the audit timeline, a goodwill action's
date), the ticket desk, the chat console and every report with its chart and CSV; and the
transcript of a chat, emailed to the customer.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from plugline.accounts.models import User
from plugline.backoffice.roles import SUPPORT_AGENT
from plugline.billing.models import PaymentStatus, Plan, Refund, Subscription
from plugline.billing.tests.factories import make_paid_item
from plugline.chat import services as chat
from plugline.chat.models import SystemEvent
from plugline.chat.selectors import console_snapshot
from plugline.chat.services import conversation_open
from plugline.core.tests.test_translations_data import (
    _assert_no_english_plan,
    _demo_mode,
    _signed_in,
    _text,
    demo,
)
from plugline.notifications.models import OutboxMessage
from plugline.portal.management.commands.seed_demo import AGENT_EMAIL, DEMO_DEVICES, STAFF_EMAIL
from plugline.reports.catalog import REPORTS
from plugline.reports.forms import default_range
from plugline.reports.selectors import DateRange
from plugline.support.models import TicketStatus
from plugline.support.services import ticket_status_set
from plugline.support.tests.factories import open_ticket

pytestmark = pytest.mark.django_db
__all__ = ["_demo_mode", "demo"]  # the fixtures, shared with the customers' pages' tests

LANGUAGES = ["fr", "da"]


def _words(page: str) -> str:
    """The page's text as a reader meets it: tags out, entities decoded, spaces folded."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _shows(words: str, text: str) -> bool:
    """`words` in `text` as whole words ("Accept" is not in "Accepter")."""
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def _customer_story(demo: User) -> None:
    """A paid payment with a refund, a declined one, a ticket waiting for the customer and
    a chat waiting for an agent, on the demo subscriber's account."""
    device = demo.devices.get(serial=DEMO_DEVICES[0][0])
    subscription = Subscription.objects.get(device=device)
    plan = Plan.objects.get(code="1-year")
    Subscription.objects.filter(pk=subscription.pk).update(
        plan=plan, autorenew=True, autorenew_plan=plan
    )
    paid = make_paid_item(user=demo, subscription=subscription, plan=plan).payment
    Refund.objects.create(
        payment=paid,
        amount=1000,
        reason="Line down for a week",
        idempotency_key="refund-translations",
        status="succeeded",
    )
    declined = make_paid_item(
        user=demo, subscription=subscription, plan=plan, status=PaymentStatus.DECLINED
    ).payment
    declined.decline_code = "insufficient_funds"
    declined.save(update_fields=["decline_code"])
    ticket = open_ticket(demo, subject="No dial tone")
    staff = User.objects.get(email=STAFF_EMAIL)
    ticket_status_set(ticket=ticket, status=TicketStatus.WAITING, actor=staff, request=None)
    conversation_open(user=demo, language="en")


# Data the customer's page shows, in English, and how French and Danish say it.
CUSTOMER_PAGE = {
    "fr": {
        "done": "effectué",
        "insufficient funds": "fonds insuffisants",
        "Waiting for customer": "En attente du client",
        "Waiting for an agent": "En attente d’un conseiller",
    },
    "da": {
        "done": "gennemført",
        "insufficient funds": "utilstrækkelig dækning",
        "Waiting for customer": "Afventer kunden",
        "Waiting for an agent": "Venter på en medarbejder",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_a_customers_story_to_staff_without_english_data(
    demo: User, language: str
) -> None:
    _customer_story(demo)
    client = _signed_in(User.objects.get(email=STAFF_EMAIL), language)
    page = _words(_text(client.get(reverse("backoffice:customer", kwargs={"pk": demo.pk}))))

    for english, translated in CUSTOMER_PAGE[language].items():
        assert translated in page, translated
        assert english not in page, english
    # Codes as stored are never shown: the refund's status, the gateway's decline code.
    for code in ("(succeeded)", "insufficient_funds"):
        assert code not in page, code
    # The plans (the device's, its AutoRenew's, each payment's) by their names in the language.
    plan = Plan.objects.get(code="1-year").display_name(language)
    assert page.count(plan) >= 4, plan  # the device's plan, AutoRenew's, two payments'
    _assert_no_english_plan(page, "the customer's page")
    with translation.override("en"):
        english_statuses = [str(choice.label) for choice in TicketStatus]
    for status in english_statuses:
        assert status not in page, status


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_tells_staff_the_new_end_of_service_as_their_language_writes_dates(
    demo: User, language: str
) -> None:
    device = demo.devices.get(serial=DEMO_DEVICES[0][0])
    client = _signed_in(User.objects.get(email=STAFF_EMAIL), language)
    done = client.post(
        reverse("backoffice:goodwill", kwargs={"pk": demo.pk, "device_id": device.pk}),
        {"days": "7", "reason": "Line down for a week"},
        follow=True,
    )
    message = re.search(r'<ul class="messages">(.*?)</ul>', _text(done), re.S)
    assert message is not None
    ends_at = Subscription.objects.get(device=device).ends_at
    assert ends_at is not None
    with translation.override(language):
        expected = formats.date_format(timezone.localtime(ends_at), "DATE_FORMAT")
    said = _words(message.group(1))
    assert expected in said, said
    assert timezone.localtime(ends_at).date().isoformat() not in said


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_names_the_staffs_roles_in_their_language(demo: User, language: str) -> None:
    agent = User.objects.get(email=AGENT_EMAIL)
    page = _words(_text(_signed_in(agent, language).get("/staff/")))
    assert {"fr": "Agent d’assistance", "da": "Supportmedarbejder"}[language] in page
    assert SUPPORT_AGENT not in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_the_ticket_desk_without_english_statuses_or_sources(
    demo: User, language: str
) -> None:
    ticket = open_ticket(demo, subject="No dial tone")
    client = _signed_in(User.objects.get(email=AGENT_EMAIL), language)
    with translation.override("en"):
        english = {str(choice.label) for choice in TicketStatus} | {"Contact form", "Any status"}
    for url in ("/staff/tickets/", f"/staff/tickets/{ticket.reference}/"):
        page = _words(_text(client.get(url)))
        for words in english:
            assert words not in page, (url, words)
    with translation.override(language):
        assert str(TicketStatus.OPEN.label) in page
    # The ticket's language (English) named in the agent's language.
    facts = re.search(r'<dl class="facts card">.*?</dl>', _text(client.get(url)), re.S)
    assert facts is not None
    assert {"fr": "anglais", "da": "engelsk"}[language] in _words(facts.group(0)).lower()
    assert not _shows("English", _words(facts.group(0)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_the_chat_console_in_the_agents_language(demo: User, language: str) -> None:
    agent = User.objects.get(email=AGENT_EMAIL)
    page = _words(_text(_signed_in(agent, language).get("/staff/chat/")))
    for english in ("Online", "Busy", "Away", "Nobody is waiting.", "My chats", "Accept"):
        with translation.override(language):
            translated = translation.gettext(english)
        assert _shows(translated, page), translated
        if translated != english:
            assert not _shows(english, page), english
    # The queue names a waiting chat's language in the agent's language, not by its code.
    conversation_open(user=None, name="Gus Guest", email="gus@example.com", language="en")
    with translation.override(language):
        [waiting] = console_snapshot(agent=agent)["queue"]
    assert waiting["language_name"] == {"fr": "Anglais", "da": "engelsk"}[language]


def _report_strings(report, language: str) -> list[str]:
    """Every string a report shows (caption, columns, cells, chart labels and axes)."""
    start, end = default_range()
    with translation.override(language):
        table = report.build(DateRange(start=start, end=end)) if report.dated else report.build()
        strings = [table.caption, *table.columns, *(cell for row in table.rows for cell in row)]
        for chart in table.charts:
            strings += [chart.axis, *chart.labels, *(d.label for d in chart.datasets)]
        strings += [str(report.title), str(report.summary)]
    return [str(s) for s in strings]


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_every_report_its_chart_and_its_csv_without_english(
    demo: User, language: str
) -> None:
    client = _signed_in(User.objects.get(email=STAFF_EMAIL), language)
    home = _words(_text(client.get("/staff/reports/")))
    for report in REPORTS:
        english = _report_strings(report, "en")
        translated = _report_strings(report, language)
        # Only what the language writes differently (a chain's name, "Total" or "AutoRenew" stay).
        differing = {e for e, t in zip(english, translated, strict=True) if e != t and e}
        page_html = _text(client.get(f"/staff/reports/{report.slug}/"))
        charts = " ".join(
            json.dumps(json.loads(html.unescape(data)), ensure_ascii=False)
            for data in re.findall(
                r'<script id="report-chart-data-\d+"[^>]*>(.*?)</script>', page_html, re.S
            )
        )
        page = _words(page_html) + " " + charts
        csv_text = client.get(reverse("reports:csv", args=[report.slug])).content.decode()
        for words in differing:
            assert not _shows(words, page), (report.slug, words)
            assert not _shows(words, csv_text), (report.slug, "csv", words)
        # The list of reports: each report's title and summary in the language.
        for english_words, words in zip(english[-2:], translated[-2:], strict=True):
            # Spaces folded as the page's (French puts no-break spaces before ":").
            words = _words(words)
            assert words in home
            if english_words != words:
                assert english_words not in home, english_words
        assert _words(translated[0]) in page
        assert translated[1] in csv_text.splitlines()[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_emails_the_transcript_of_a_chat_the_customer_ended_in_their_language(
    demo: User, language: str
) -> None:
    agent = User.objects.get(email=AGENT_EMAIL)
    chat.presence_set(agent=agent, status="online", capacity=3)
    conversation = chat.conversation_open(user=demo, language=language)
    chat.conversation_accept(conversation_id=conversation.pk, agent=agent)
    chat.message_post(
        conversation_id=conversation.pk, author_kind="customer", author=demo, text="Hej"
    )
    chat.transcript_request(conversation_id=conversation.pk)
    chat.conversation_close(conversation_id=conversation.pk, by=None)  # the customer ends it

    body = OutboxMessage.objects.get(template="chat/email/transcript").body_text
    lines = [line.strip() for line in body.splitlines() if line.startswith("—")]
    with translation.override(language):
        joined = str(SystemEvent.JOINED.label)
        closed = translation.gettext("The chat was closed.")
    assert lines == [f"— {chat.agent_first_name(agent)} {joined}", f"— {closed}"], lines
