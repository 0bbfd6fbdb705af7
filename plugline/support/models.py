"""Support tickets: a customer's request and its thread of messages with the agents.

A ticket is reached by its owner (the signed-in requester), by staff on the
ticket desk, or by a secret link emailed to the requester; its reference
(T-10042) names it in emails and on the phone and is never a way in by itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting for customer")
    SOLVED = "solved", _("Solved")


class TicketSource(models.TextChoices):
    FORM = "form", _("Contact form")
    CHAT = "chat", _("Chat")


class TicketAuthor(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")


class Ticket(models.Model):
    reference = models.CharField(max_length=16, unique=True, verbose_name=_("reference"))
    # The requester's account, when they were signed in; name and email otherwise
    # (copied from the account too, so that the ticket outlives a closed account).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_tickets",
        verbose_name=_("requester"),
    )
    name = models.CharField(max_length=150, blank=True, verbose_name=_("name"))
    email = models.EmailField(max_length=254, verbose_name=_("email"))
    language = models.CharField(max_length=8, verbose_name=_("language"))
    subject = models.CharField(max_length=150, verbose_name=_("subject"))
    status = models.CharField(
        max_length=16,
        choices=TicketStatus.choices,
        default=TicketStatus.OPEN,
        db_index=True,
        verbose_name=_("status"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
    )
    source = models.CharField(
        max_length=8,
        choices=TicketSource.choices,
        default=TicketSource.FORM,
        verbose_name=_("source"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    solved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("solved at"))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-pk"]
        permissions = [("answer_ticket", _("Can answer support tickets on the ticket desk"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="support_ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=TicketSource.values), name="support_ticket_source_valid"
            ),
            models.CheckConstraint(condition=~Q(email=""), name="support_ticket_has_email"),
            models.CheckConstraint(
                condition=Q(status=TicketStatus.SOLVED, solved_at__isnull=False)
                | (~Q(status=TicketStatus.SOLVED) & Q(solved_at__isnull=True)),
                name="support_ticket_solved_at_iff_solved",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class TicketMessage(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    author = models.CharField(
        max_length=8, choices=TicketAuthor.choices, verbose_name=_("written by")
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(verbose_name=_("message"))
    # The live chat's conversation, kept as the first message of a ticket it opened.
    is_chat_transcript = models.BooleanField(default=False, verbose_name=_("chat transcript"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(author__in=TicketAuthor.values), name="support_message_author_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_author_display()}"


class TicketLink(models.Model):
    """A secret link to a ticket, emailed to its requester: only its SHA-256 is kept.

    Every email about the ticket carries a new link, and earlier ones keep working,
    so that a requester who is not signed in can follow and answer from any of them.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links", verbose_name=_("ticket")
    )
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("token hash"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.created_at:%Y-%m-%d}"
