"""Reads of support tickets, each scoped to who asks: the requester, a secret link, or staff."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.http import Http404

from plugline.accounts.models import User
from plugline.support.models import Ticket, TicketLink, TicketMessage, TicketStatus
from plugline.support.services import ticket_token_hash


def tickets_for_user(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    """The requester's tickets, newest first."""
    return Ticket.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def ticket_get_for_user(*, user: AbstractBaseUser, reference: str) -> Ticket:
    """The requester's ticket `reference`; someone else's (or none) is a 404."""
    ticket = Ticket.objects.filter(user_id=user.pk, reference=reference).first()
    if ticket is None:
        raise Http404
    return ticket


def ticket_get_for_token(*, token: str) -> Ticket | None:
    """The ticket an emailed secret link opens, or None."""
    if not token or len(token) > 100:
        return None
    link = (
        TicketLink.objects.filter(token_hash=ticket_token_hash(token))
        .select_related("ticket")
        .first()
    )
    return link.ticket if link is not None else None


def ticket_messages(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    return ticket.messages.select_related("author_user").order_by("created_at", "pk")


def desk_tickets(
    *, staff: AbstractBaseUser, status: str = "", mine: bool = False, unassigned: bool = False
) -> QuerySet[Ticket]:
    """The desk's list: the open tickets first, then by the last change."""
    tickets = Ticket.objects.select_related("assignee", "user")
    if status in TicketStatus.values:
        tickets = tickets.filter(status=status)
    if mine:
        tickets = tickets.filter(assignee_id=staff.pk)
    if unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    return tickets.order_by("-updated_at", "-pk")


def desk_ticket_get(*, reference: str) -> Ticket:
    """A ticket of the desk (every ticket is any agent's): 404 if there is none."""
    ticket = Ticket.objects.select_related("assignee", "user").filter(reference=reference).first()
    if ticket is None:
        raise Http404
    return ticket


def ticket_agents() -> QuerySet[User]:
    """Staff who may answer tickets: the choices of "Assign to"."""
    permission = Permission.objects.filter(
        content_type__app_label="support", codename="answer_ticket"
    )
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def support_requests_export(user: AbstractBaseUser) -> list[dict[str, object]]:
    """The account's tickets for "Download my data": each with its whole thread, no link."""
    tickets = Ticket.objects.filter(user_id=user.pk).prefetch_related("messages")
    return [
        {
            "reference": ticket.reference,
            "subject": ticket.subject,
            "status": ticket.status,
            "source": ticket.source,
            "created_at": ticket.created_at,
            "solved_at": ticket.solved_at,
            "messages": [
                {
                    "written_by": message.author,
                    "chat_transcript": message.is_chat_transcript,
                    "body": message.body,
                    "created_at": message.created_at,
                }
                for message in ticket.messages.all()
            ],
        }
        for ticket in tickets.order_by("created_at", "pk")
    ]
