"""What the staff console reads: customers found by an identifier, and a customer's story.

Every search is an exact match on an indexed column (see the migrations and
tests/test_search_postgres.py); the customer's page reads a fixed number of
queries whatever the account holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from plugline.accounts.models import User
from plugline.billing.models import Payment, PaymentItem, PaymentMethod, Refund, Subscription
from plugline.chat.models import Conversation
from plugline.chat.selectors import conversations_of_customer
from plugline.core.models import AuditEvent
from plugline.core.phones import normalize_phone_number
from plugline.devices.models import Device
from plugline.notifications.models import OutboxMessage
from plugline.reup.models import ReupCard
from plugline.support.models import Ticket
from plugline.support.selectors import tickets_for_user
from plugline.telephony.models import CallRecord

QUERY_MAX_LENGTH = 254
# "4242 12/29", "4242 12/2029", "4242, 1/29"
CARD = re.compile(
    r"(?P<last4>[0-9]{4})[\s,]+(?P<month>[0-9]{1,2})\s*/\s*(?P<year>[0-9]{2}|[0-9]{4})"
)
# Serials, order numbers and Re-Up serials: letters, digits and dashes.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
# Invoice numbers fit the column (a positive 32-bit integer).
INVOICE_MAX = 2_147_483_647

KIND_LABELS: dict[str, Promise] = {
    "email": _("email"),
    "phone": _("phone number"),
    "serial": _("device serial"),
    "order": _("web order number"),
    "invoice": _("invoice number"),
    "reup": _("Re-Up card serial"),
    "card": _("card's last four digits and expiry"),
}


@dataclass
class CustomerMatch:
    customer: User
    reasons: list[str] = field(default_factory=list)


@dataclass
class SearchOutcome:
    """The customers a search found (each with why), the kinds it tried, or why it could not."""

    matches: list[CustomerMatch]
    kinds: list[str]
    error: str = ""


def _search_kinds(text: str) -> dict[str, Any]:
    """Each kind of identifier `text` can be, with the value to look up."""
    kinds: dict[str, Any] = {}
    if "@" in text:
        kinds["email"] = text.lower()
        return kinds
    card = CARD.fullmatch(text)
    if card:
        month = int(card["month"])
        year = int(card["year"])
        if 1 <= month <= 12:
            kinds["card"] = (card["last4"], month, year + 2000 if year < 100 else year)
        return kinds
    phone = normalize_phone_number(text)
    if phone is not None:
        kinds["phone"] = phone
    if CODE.fullmatch(text):
        kinds["serial"] = text.upper()
        kinds["order"] = text
        kinds["reup"] = text.upper()
        if text.isdigit() and 0 < int(text) <= INVOICE_MAX:
            kinds["invoice"] = int(text)
    return kinds


def _matching_user_ids(kind: str, value: Any) -> QuerySet[User]:
    """The accounts whose `kind` of identifier is exactly `value` (one indexed lookup each)."""
    users = User.objects.all()
    if kind == "email":
        # A union, not an OR: each side uses its own index.
        return users.filter(
            pk__in=User.objects.filter(email=value)
            .values("pk")
            .union(EmailAddress.objects.filter(email=value).values("user_id"))
        )
    if kind == "phone":
        return users.filter(pk__in=Device.objects.filter(phone_number=value).values("owner_id"))
    if kind == "serial":
        return users.filter(pk__in=Device.objects.filter(serial=value).values("owner_id"))
    if kind == "order":
        return users.filter(
            pk__in=Device.objects.filter(web_order__number=value).values("owner_id")
        )
    if kind == "invoice":
        return users.filter(pk__in=Payment.objects.filter(invoice_number=value).values("user_id"))
    if kind == "reup":
        return users.filter(pk__in=ReupCard.objects.filter(serial=value).values("redeemed_by_id"))
    if kind == "card":
        last4, month, year = value
        return users.filter(
            pk__in=PaymentMethod.objects.filter(last4=last4, exp_month=month, exp_year=year).values(
                "user_id"
            )
        )
    raise ValueError(kind)


def customers_search(*, query: str) -> SearchOutcome:
    """The customers `query` identifies exactly, by whichever kinds of identifier it can be."""
    text = " ".join((query or "").split())
    if not text:
        return SearchOutcome([], [], str(_("Type something to search for.")))
    if len(text) > QUERY_MAX_LENGTH:
        return SearchOutcome(
            [],
            [],
            str(
                _("That is too long to be an identifier (%(limit)d characters at most).")
                % {"limit": QUERY_MAX_LENGTH}
            ),
        )
    kinds = _search_kinds(text)
    if not kinds:
        return SearchOutcome(
            [],
            [],
            str(
                _(
                    "Search by email, phone number, device serial, web order number, invoice "
                    "number, Re-Up card serial, or a card's last four digits and expiry "
                    "(4242 12/29)."
                )
            ),
        )
    found: dict[int, CustomerMatch] = {}
    for kind, value in kinds.items():
        for user in _matching_user_ids(kind, value).order_by("pk")[:50]:
            match = found.setdefault(user.pk, CustomerMatch(customer=user))
            match.reasons.append(str(KIND_LABELS[kind]))
    return SearchOutcome(list(found.values()), list(kinds))


# How many of each list the customer's page shows (the newest); the timeline pages.
RECENT_LIMIT = 50
TIMELINE_PAGE_SIZE = 25


@dataclass
class CustomerStory:
    customer: User
    emails: list[EmailAddress]
    has_two_factor: bool
    devices: list[Device]
    payments: list[Payment]
    outbox: list[OutboxMessage]
    calls: list[CallRecord]
    timeline: Page[AuditEvent]
    tickets: list[Ticket] = field(default_factory=list)
    chats: list[Conversation] = field(default_factory=list)


def customer_get(*, pk: int) -> User | None:
    """A customer (an active or closed-to-be account; staff may look at any)."""
    return User.objects.filter(pk=pk).first()


def customer_story(*, customer: User, timeline_page: int | str | None = 1) -> CustomerStory:
    """Everything the customer's page shows, in a fixed number of queries."""
    emails = list(EmailAddress.objects.filter(user=customer).order_by("-primary", "email"))
    devices = list(
        Device.objects.filter(owner=customer)
        .select_related("model", "subscription__plan", "subscription__autorenew_plan")
        .order_by("serial")
    )
    payments = list(
        Payment.objects.filter(user=customer)
        .prefetch_related(
            Prefetch(
                "refunds", queryset=Refund.objects.select_related("staff").order_by("created_at")
            ),
            Prefetch("items", queryset=PaymentItem.objects.select_related("plan")),
        )
        .order_by("-created_at")[:RECENT_LIMIT]
    )
    outbox = list(
        OutboxMessage.objects.filter(user=customer)
        .only("created_at", "subject", "status", "to_email", "sent_at")
        .order_by("-created_at", "-id")[:RECENT_LIMIT]
    )
    calls = list(
        CallRecord.objects.filter(
            Q(caller_device__owner=customer) | Q(callee_device__owner=customer)
        ).order_by("-started_at", "-pk")[:RECENT_LIMIT]
    )
    events = (
        AuditEvent.objects.filter(user=customer)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    timeline = Paginator(events, TIMELINE_PAGE_SIZE).get_page(timeline_page)
    has_two_factor = Authenticator.objects.filter(user=customer).exists()
    tickets = list(tickets_for_user(user=customer).select_related("assignee")[:RECENT_LIMIT])
    chats = conversations_of_customer(customer=customer, limit=RECENT_LIMIT)
    return CustomerStory(
        customer=customer,
        emails=emails,
        has_two_factor=has_two_factor,
        devices=devices,
        payments=payments,
        outbox=outbox,
        calls=calls,
        timeline=timeline,
        tickets=tickets,
        chats=chats,
    )


def subscription_of(device: Device) -> Subscription | None:
    try:
        return device.subscription
    except Subscription.DoesNotExist:
        return None
