"""Live chat: conversations between a customer (or a signed-out visitor) and an agent,
their messages (numbered in order within each conversation), and each agent's presence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The longest message a customer or an agent may send, in characters.
MESSAGE_MAX_LENGTH = 2000


class ConversationStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for an agent")
    ACTIVE = "active", _("With an agent")
    CLOSED = "closed", _("Closed")


class Conversation(models.Model):
    """One chat. A signed-in customer's is tied to their account; a visitor's (name and
    email given) only to their browser's session, never to an id they could guess."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_conversations",
        verbose_name=_("customer"),
    )
    visitor_name = models.CharField(_("visitor's name"), max_length=150, blank=True)
    visitor_email = models.EmailField(_("visitor's email"), blank=True)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConversationStatus.choices,
        default=ConversationStatus.QUEUED,
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_conversations_answered",
        verbose_name=_("agent"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The sequence number of the last message: the next one gets last_seq + 1.
    last_seq = models.PositiveIntegerField(_("last message number"), default=0)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    transcript_wanted = models.BooleanField(_("transcript wanted"), default=False)
    transcript_sent_at = models.DateTimeField(_("transcript sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        permissions = [("answer_chat", _("Can answer live chats"))]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(visitor_email=""),
                name="chat_conversation_has_someone",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="chat_conversation_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(status=ConversationStatus.ACTIVE) | Q(agent__isnull=False),
                name="chat_conversation_active_has_agent",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def customer_name(self) -> str:
        if self.customer is not None:
            return self.customer.get_full_name() or self.customer.email
        return self.visitor_name

    @property
    def customer_first_name(self) -> str:
        if self.customer is not None:
            return self.customer.first_name or self.customer.email
        return self.visitor_name.split(" ")[0] if self.visitor_name else ""

    @property
    def customer_email(self) -> str:
        return self.customer.email if self.customer is not None else self.visitor_email


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class SystemEvent(models.TextChoices):
    """What a system message says happened (shown in the reader's language)."""

    JOINED = "joined", _("joined the chat")
    TRANSFERRED = "transferred", _("transferred the chat")
    CLOSED = "closed", _("closed the chat")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("conversation"),
    )
    seq = models.PositiveIntegerField(_("number"))
    author_kind = models.CharField(_("written by"), max_length=10, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    # The author's name as shown at the time (an agent's first name, the customer's).
    author_name = models.CharField(_("author's name"), max_length=150, blank=True)
    text = models.TextField(_("text"), blank=True)
    event = models.CharField(_("event"), max_length=20, choices=SystemEvent.choices, blank=True)
    # An image (a screenshot, say), checked by decoding it (plugline.chat.attachments);
    # served only to the conversation's customer and agent.
    attachment = models.FileField(_("image"), upload_to="chat/%Y/%m/", blank=True, max_length=200)
    attachment_type = models.CharField(_("image type"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.seq}"


class PresenceStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    BUSY = "busy", _("Busy")
    AWAY = "away", _("Away")


class AgentPresence(models.Model):
    """Whether an agent takes chats, and how many at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_presence",
        verbose_name=_("agent"),
    )
    status = models.CharField(
        _("availability"),
        max_length=10,
        choices=PresenceStatus.choices,
        default=PresenceStatus.AWAY,
    )
    capacity = models.PositiveSmallIntegerField(_("chats at once"), default=3)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent presence")
        verbose_name_plural = _("agent presences")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=20), name="chat_capacity_1_to_20"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"


class CannedResponse(models.Model):
    """A ready answer agents send in one click, written in the admin for one language.
    {first_name} and {device_number} are filled in with the customer's when it is sent."""

    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(
        _("text"),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_(
            "{first_name} becomes the customer's first name, {device_number} the phone "
            "number of their device."
        ),
    )

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["language", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "title"], name="chat_canned_response_title_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title
