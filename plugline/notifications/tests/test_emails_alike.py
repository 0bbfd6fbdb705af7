"""Emails alike but for their recipients' own values (a name, a device's serial) are rendered
once and each filled in with its own: every message reads exactly as if rendered on its own."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from plugline.notifications import services
from plugline.notifications.services import EmailToSend, email_render, emails_render, own_values

# A receipt has an HTML body of its own; the "renewed" notice's text is set as HTML, its
# links made (a name that is an email address becomes a mailto: link).
DESIGNED = "billing/email/receipt"
TEXT_ONLY = "billing/email/autorenew_succeeded"

NAMES = [
    "Zoë O'Brien",
    "Ben & Jerry <3>",
    'Anne-Marie "Ami"',
    "bob@example.com",
    "J. R. Smith",
    "Visit www",
    "http",
    "",
    "  two  spaces ",
    "two\nlines",
    "Søren Ågård",
]


@dataclass(frozen=True)
class Line:
    device: str
    serial: str
    plan: str
    amount: str
    ends_at: date | None


def contexts(name: str, serial: str) -> dict[str, dict[str, Any]]:
    """Each template's context, with the recipient's own values as they are."""
    return {
        DESIGNED: {
            "name": name,
            "invoice_number": 42,
            "amount": "$49.99",
            "card_brand": "Visa",
            "card_last4": "4242",
            "lines": [Line(f"{name}'s phone", serial, "1 year", "$49.99", date(2028, 3, 3))],
            "invoice_url": "https://plugline.example/invoices/42/",
        },
        TEXT_ONLY: {
            "name": name,
            "device": f"{name}'s phone",
            "serial": serial,
            "plan": "1 year",
            "new_end": date(2028, 3, 3),
            "paid": "$49.99",
            "paid_brand": "Visa",
            "paid_last4": "4242",
        },
    }


def alike(template: str, name: str, serial: str, language: str, zone: str) -> EmailToSend:
    """The same email, its own values (name, device, serial) as stand-ins."""
    context = contexts(name, serial)[template]
    stand_ins, own = own_values(name=name, device=f"{name}'s phone", serial=serial)
    if template == DESIGNED:
        line = context["lines"][0]
        lines = [
            Line(stand_ins["device"], stand_ins["serial"], line.plan, line.amount, line.ends_at)
        ]
        context = {**context, "name": stand_ins["name"], "lines": lines}
    else:
        context = {**context, **stand_ins}
    return EmailToSend(
        template=template,
        to="someone@example.com",
        context=context,
        language=language,
        time_zone=zoneinfo.ZoneInfo(zone),
        own=own,
    )


@pytest.mark.parametrize("template", [DESIGNED, TEXT_ONLY])
@pytest.mark.parametrize(
    ("language", "zone"), [("en", "America/New_York"), ("fr", "America/Toronto"), ("da", "UTC")]
)
def test_each_email_rendered_with_others_alike_reads_as_if_rendered_on_its_own(
    template: str, language: str, zone: str
) -> None:
    emails = [
        alike(template, name, f"PL{index:05d}", language, zone) for index, name in enumerate(NAMES)
    ]
    rendered = emails_render(emails)
    for index, (name, message) in enumerate(zip(NAMES, rendered, strict=True)):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            subject, body_text, body_html = email_render(
                template=template,
                context=contexts(name, f"PL{index:05d}")[template],
                language=language,
            )
        assert (message.subject, message.body_text, message.body_html) == (
            subject[:300],
            body_text,
            body_html,
        ), name
    if template == TEXT_ONLY:
        # A name that is an email address is a link there, as it would be alone.
        assert "mailto:bob@example.com" in rendered[NAMES.index("bob@example.com")].body_html


def test_it_renders_a_batch_of_emails_alike_but_for_their_own_values_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renders: list[str] = []
    real = services.email_render

    def counted(**kwargs: Any) -> tuple[str, str, str]:
        renders.append(kwargs["template"])
        return real(**kwargs)

    monkeypatch.setattr(services, "email_render", counted)
    names = [f"Customer {index}" for index in range(50)]
    receipts = emails_render(
        alike(DESIGNED, name, f"PL{index:05d}", "fr", "America/Toronto")
        for index, name in enumerate(names)
    )
    notices = emails_render(
        alike(TEXT_ONLY, name, f"PL{index:05d}", "fr", "America/Toronto")
        for index, name in enumerate(names)
    )
    assert renders == [DESIGNED, TEXT_ONLY]
    assert [message.body_text.splitlines()[0] for message in receipts] == [
        f"Bonjour {name}," for name in names
    ]
    assert all(f"PL{index:05d}" in notice.body_html for index, notice in enumerate(notices))
