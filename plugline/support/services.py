"""Writes of support tickets: open, answer (agent or customer), assign, change status.

Each runs in one transaction with the ticket's row locked; emails go through the
notifications outbox (sent once the transaction commits), in the requester's
language, each with a link to the ticket. Staff actions are in the audit log,
with the ticket's reference and never its text; no text is ever logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from plugline.accounts.models import User
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.notifications.services import email_send
from plugline.support.models import (
    Ticket,
    TicketAuthor,
    TicketLink,
    TicketMessage,
    TicketSource,
    TicketStatus,
)

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 150
BODY_MAX_LENGTH = 5000
# A chat's transcript may be longer than one message typed in a form.
TRANSCRIPT_MAX_LENGTH = 100_000


class TicketRefused(ValueError):
    """A write that the rules do not allow; `reason` is a short code for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ticket_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reference_new() -> str:
    # Six digits: short to read on the phone. The reference is never a way in,
    # so that it can be guessed does not matter; it must only be unique.
    return f"T-{secrets.randbelow(900_000) + 100_000}"


def _language(language: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def _subject_from(body: str) -> str:
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    if len(first_line) <= 80:
        return first_line
    return first_line[:79].rstrip() + "…"


@transaction.atomic
def ticket_link_url(*, ticket: Ticket) -> str:
    """The link an email gives: the requester's own page, or a new secret link."""
    if ticket.user_id is not None:
        return settings.SITE_URL + reverse(
            "support:request", kwargs={"reference": ticket.reference}
        )
    token = secrets.token_urlsafe(32)
    TicketLink.objects.create(ticket=ticket, token_hash=ticket_token_hash(token))
    return settings.SITE_URL + reverse("support:request_link", kwargs={"token": token})


def _requester_email(*, ticket: Ticket, template: str, context: dict[str, object]) -> None:
    email_send(
        template=f"support/email/{template}",
        to=ticket.user.email if ticket.user is not None else ticket.email,
        context={
            "name": ticket.user.get_short_name() if ticket.user is not None else ticket.name,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "ticket_url": ticket_link_url(ticket=ticket),
            **context,
        },
        language=ticket.language,
        user=ticket.user,
    )


@transaction.atomic
def ticket_open(
    *,
    subject: str,
    body: str,
    language: str,
    user: User | None = None,
    name: str = "",
    email: str = "",
    source: str = "form",
    transcript: str = "",
) -> Ticket:
    """Open a ticket and email its requester "We received your request <ref>" with a link.

    A signed-in requester's name, email and language are the account's; `name` and
    `email` are for a requester who is not signed in. A ticket opened from live chat
    (`source="chat"`) keeps the chat's `transcript` as its first message.
    """
    body = body.strip()
    if not body or len(body) > BODY_MAX_LENGTH:
        raise TicketRefused("body")
    if source not in TicketSource.values:
        raise TicketRefused("source")
    if len(transcript) > TRANSCRIPT_MAX_LENGTH:
        raise TicketRefused("transcript")
    if user is not None:
        name = user.get_full_name()
        email = user.email
        language = user.language or language
    email = email.strip()
    if not email:
        raise TicketRefused("email")
    subject = " ".join(subject.split())[:SUBJECT_MAX_LENGTH] or _subject_from(body)
    fields = {
        "user": user,
        "name": name.strip()[:150],
        "email": email,
        "language": _language(language),
        "subject": subject,
        "source": source,
    }
    for attempt in range(10):
        try:
            with transaction.atomic():
                ticket = Ticket.objects.create(reference=_reference_new(), **fields)
            break
        except IntegrityError:
            if attempt == 9:
                raise
    if source == TicketSource.CHAT and transcript.strip():
        TicketMessage.objects.create(
            ticket=ticket,
            author=TicketAuthor.CUSTOMER,
            author_user=user,
            body=transcript.strip(),
            is_chat_transcript=True,
        )
    TicketMessage.objects.create(
        ticket=ticket, author=TicketAuthor.CUSTOMER, author_user=user, body=body
    )
    _requester_email(ticket=ticket, template="ticket_received", context={"body": body})
    logger.info("support ticket opened", extra={"ticket": ticket.reference, "source": source})
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    # Only the ticket's row: PostgreSQL cannot lock the nullable side of the join to the user.
    return Ticket.objects.select_for_update(of=("self",)).select_related("user").get(pk=ticket.pk)


def _status_change(ticket: Ticket, status: str) -> None:
    ticket.status = status
    ticket.solved_at = timezone.now() if status == TicketStatus.SOLVED else None


@transaction.atomic
def ticket_reply_by_agent(
    *, ticket: Ticket, agent: User, body: str, request: HttpRequest | None = None
) -> TicketMessage:
    """An agent's answer: the ticket waits for the customer, who gets the answer by email."""
    body = body.strip()
    if not body or len(body) > BODY_MAX_LENGTH:
        raise TicketRefused("body")
    ticket = _locked(ticket)
    message = TicketMessage.objects.create(
        ticket=ticket, author=TicketAuthor.AGENT, author_user=agent, body=body
    )
    _status_change(ticket, TicketStatus.WAITING)
    if ticket.assignee_id is None:
        ticket.assignee_id = agent.pk
    ticket.save(update_fields=["status", "solved_at", "assignee", "updated_at"])
    _requester_email(ticket=ticket, template="ticket_reply", context={"body": body})
    audit_record(
        action=AuditAction.TICKET_REPLIED,
        request=request,
        user=ticket.user,
        actor=agent,
        data={"ticket": ticket.reference},
    )
    return message


@transaction.atomic
def ticket_reply_by_customer(
    *, ticket: Ticket, body: str, user: User | None = None
) -> TicketMessage:
    """The requester's answer: the ticket is open again, even if it was solved."""
    body = body.strip()
    if not body or len(body) > BODY_MAX_LENGTH:
        raise TicketRefused("body")
    ticket = _locked(ticket)
    message = TicketMessage.objects.create(
        ticket=ticket, author=TicketAuthor.CUSTOMER, author_user=user, body=body
    )
    _status_change(ticket, TicketStatus.OPEN)
    ticket.save(update_fields=["status", "solved_at", "updated_at"])
    return message


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    assignee: User | None,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> Ticket:
    """Give the ticket to a staff member who may answer tickets, or to nobody (None)."""
    if assignee is not None and not (
        assignee.is_active
        and getattr(assignee, "is_staff", False)
        and assignee.has_perm("support.answer_ticket")
    ):
        raise TicketRefused("assignee")
    ticket = _locked(ticket)
    ticket.assignee_id = assignee.pk if assignee is not None else None
    ticket.save(update_fields=["assignee", "updated_at"])
    audit_record(
        action=AuditAction.TICKET_ASSIGNED,
        request=request,
        user=ticket.user,
        actor=actor,
        data={"ticket": ticket.reference, "assignee": ticket.assignee_id},
    )
    return ticket


@transaction.atomic
def ticket_status_set(
    *,
    ticket: Ticket,
    status: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> Ticket:
    """Set the status by hand (solved, most often); solving keeps the time it was solved."""
    if status not in TicketStatus.values:
        raise TicketRefused("status")
    ticket = _locked(ticket)
    previous = ticket.status
    if previous != status:
        _status_change(ticket, status)
        ticket.save(update_fields=["status", "solved_at", "updated_at"])
        audit_record(
            action=AuditAction.TICKET_STATUS_CHANGED,
            request=request,
            user=ticket.user,
            actor=actor,
            data={"ticket": ticket.reference, "from": previous, "to": status},
        )
    return ticket


def tickets_of_closing_account_delete(user: AbstractBaseUser) -> None:
    """ "Close my account": the requester's tickets go with it (their threads are the
    person's words); the audit log keeps only their references."""
    Ticket.objects.filter(user_id=user.pk).delete()
