"""Every write of live chat. The consumers and views call these, then broadcast
(plugline.chat.events) what was saved: a message is in the database before anyone hears of it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from plugline.accounts.models import User
from plugline.chat.models import (
    MESSAGE_MAX_LENGTH,
    AgentPresence,
    AuthorKind,
    Conversation,
    ConversationStatus,
    Message,
    PresenceStatus,
    SystemEvent,
)
from plugline.chat.selectors import agent_active_count


class ChatRefused(Exception):
    """Why a chat action was refused, in the asker's language."""


def agent_first_name(agent: Any) -> str:
    """What customers see of an agent: the first name (the start of the email without one)."""
    return agent.first_name or agent.email.split("@")[0]


@transaction.atomic
def conversation_open(
    *, user: AbstractBaseUser | None, name: str = "", email: str = "", language: str
) -> Conversation:
    """A new chat in the queue (a signed-in customer's open chat if they have one)."""
    if user is not None:
        current = (
            Conversation.objects.filter(customer_id=user.pk)
            .exclude(status=ConversationStatus.CLOSED)
            .order_by("-created_at")
            .first()
        )
        if current is not None:
            return current
        return Conversation.objects.create(customer_id=user.pk, language=language)
    if not name.strip() or not email.strip():
        raise ChatRefused(_("Give your name and email to start a chat."))
    return Conversation.objects.create(
        visitor_name=name.strip(), visitor_email=email.strip(), language=language
    )


@transaction.atomic
def message_post(
    *,
    conversation_id: int,
    author_kind: str,
    author: AbstractBaseUser | None = None,
    author_name: str = "",
    text: str = "",
    event: str = "",
    image: tuple[File, str, str] | None = None,
) -> Message:
    """Save a message with the conversation's next sequence number.

    The conversation's row is locked while the number is taken, so two messages
    sent at once get consecutive numbers; the unique constraint backs it.
    `image` is (file, file name, content type), already checked (plugline.chat.attachments)."""
    text = text.strip()
    if author_kind != AuthorKind.SYSTEM and image is None:
        if not text:
            raise ChatRefused(_("Write a message first."))
        try:
            # PostgreSQL cannot keep a NUL byte in text; Django's forms refuse it this way too.
            ProhibitNullCharactersValidator()(text)
        except ValidationError as refused:
            raise ChatRefused(refused.messages[0]) from refused
        if len(text) > MESSAGE_MAX_LENGTH:
            raise ChatRefused(
                _("A message may be at most %(count)d characters long.")
                % {"count": MESSAGE_MAX_LENGTH}
            )
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.status == ConversationStatus.CLOSED and author_kind != AuthorKind.SYSTEM:
        raise ChatRefused(_("This chat is closed."))
    Conversation.objects.filter(pk=conversation_id).update(last_seq=F("last_seq") + 1)
    message = Message(
        conversation_id=conversation_id,
        seq=conversation.last_seq + 1,
        author_kind=author_kind,
        author_id=author.pk if author is not None else None,
        author_name=author_name,
        text=text,
        event=event,
    )
    if image is not None:
        upload, name, content_type = image
        message.attachment_type = content_type
        message.attachment.save(name, upload, save=False)
    message.save()
    return message


def _presence(user: AbstractBaseUser) -> AgentPresence:
    presence, _created = AgentPresence.objects.get_or_create(user_id=user.pk)
    return presence


@transaction.atomic
def presence_set(
    *, agent: AbstractBaseUser, status: str | None = None, capacity: int | None = None
) -> AgentPresence:
    """Set an agent's availability and capacity; seen now."""
    presence = _presence(agent)
    if status is not None:
        if status not in PresenceStatus.values:
            raise ChatRefused(_("Choose online, busy or away."))
        presence.status = status
    if capacity is not None:
        if not 1 <= capacity <= 20:
            raise ChatRefused(_("Take between 1 and 20 chats at once."))
        presence.capacity = capacity
    presence.last_seen_at = timezone.now()
    presence.save()
    return presence


@transaction.atomic
def presence_seen(*, agent: AbstractBaseUser) -> None:
    """The agent's console is still there."""
    AgentPresence.objects.filter(user_id=agent.pk).update(last_seen_at=timezone.now())


def _take(*, agent: AbstractBaseUser) -> None:
    """Refuse unless the agent is online with room for one more chat (their presence row
    locked, so two accepts by one agent at once cannot both squeeze into the last place)."""
    presence = AgentPresence.objects.select_for_update().filter(user_id=agent.pk).first()
    if presence is None or presence.status != PresenceStatus.ONLINE:
        raise ChatRefused(_("Set yourself online to take chats."))
    if agent_active_count(agent=agent) >= presence.capacity:
        raise ChatRefused(_("You already have as many chats as your capacity allows."))


@transaction.atomic
def conversation_accept(*, conversation_id: int, agent: AbstractBaseUser) -> Message:
    """The agent takes a queued chat. Of two agents accepting at once, one wins: the
    conditional UPDATE changes the row only while it is still queued."""
    _take(agent=agent)
    won = Conversation.objects.filter(pk=conversation_id, status=ConversationStatus.QUEUED).update(
        status=ConversationStatus.ACTIVE, agent_id=agent.pk, accepted_at=timezone.now()
    )
    if not won:
        raise ChatRefused(_("Another agent has already taken this chat."))
    return message_post(
        conversation_id=conversation_id,
        author_kind=AuthorKind.SYSTEM,
        author=agent,
        author_name=agent_first_name(agent),
        event=SystemEvent.JOINED,
    )


@transaction.atomic
def conversation_transfer(
    *, conversation_id: int, agent: AbstractBaseUser, to_agent: User
) -> Message:
    """Hand an active chat of `agent` to another online agent with room for it."""
    if to_agent.pk == agent.pk:
        raise ChatRefused(_("Choose another agent."))
    if not (to_agent.is_active and to_agent.has_perm("chat.answer_chat")):
        raise ChatRefused(_("This agent cannot take chats."))
    _take(agent=to_agent)
    moved = Conversation.objects.filter(
        pk=conversation_id, status=ConversationStatus.ACTIVE, agent_id=agent.pk
    ).update(agent_id=to_agent.pk)
    if not moved:
        raise ChatRefused(_("This chat is not yours to transfer."))
    return message_post(
        conversation_id=conversation_id,
        author_kind=AuthorKind.SYSTEM,
        author=to_agent,
        author_name=agent_first_name(to_agent),
        event=SystemEvent.TRANSFERRED,
    )


@transaction.atomic
def conversation_close(*, conversation_id: int, by: AbstractBaseUser | None) -> Message | None:
    """Close a chat (by its agent, or by the customer when `by` is None). Sends the
    transcript if the customer asked for it. None if it was already closed."""
    closed = (
        Conversation.objects.filter(pk=conversation_id)
        .exclude(status=ConversationStatus.CLOSED)
        .update(status=ConversationStatus.CLOSED, closed_at=timezone.now())
    )
    if not closed:
        return None
    message = message_post(
        conversation_id=conversation_id,
        author_kind=AuthorKind.SYSTEM,
        author=by,
        author_name=agent_first_name(by) if by is not None else "",
        event=SystemEvent.CLOSED,
    )
    conversation = Conversation.objects.get(pk=conversation_id)
    if conversation.transcript_wanted:
        transcript_send(conversation=conversation)
    return message


@transaction.atomic
def conversation_rate(*, conversation_id: int, rating: int) -> None:
    """The customer's answer to "How did we do?" (1 to 5), once the chat is closed."""
    if not 1 <= rating <= 5:
        raise ChatRefused(_("Choose a rating from 1 to 5."))
    rated = Conversation.objects.filter(
        pk=conversation_id, status=ConversationStatus.CLOSED
    ).update(rating=rating)
    if not rated:
        raise ChatRefused(_("You can rate the chat once it is closed."))


@transaction.atomic
def transcript_request(*, conversation_id: int) -> None:
    """The customer wants the transcript by email: now if the chat is closed, else at its end."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.transcript_wanted and conversation.transcript_sent_at is not None:
        return
    conversation.transcript_wanted = True
    conversation.save(update_fields=["transcript_wanted"])
    if conversation.status == ConversationStatus.CLOSED:
        transcript_send(conversation=conversation)


@transaction.atomic
def transcript_send(*, conversation: Conversation) -> None:
    """Email the whole conversation to its customer, in the chat's language (once)."""
    from plugline.notifications.services import email_send

    sent = Conversation.objects.filter(pk=conversation.pk, transcript_sent_at__isnull=True).update(
        transcript_sent_at=timezone.now()
    )
    if not sent:
        return
    email_send(
        template="chat/email/transcript",
        to=conversation.customer_email,
        context={
            "name": conversation.customer_first_name,
            "messages": list(conversation.messages.order_by("seq")),
            "started_at": conversation.created_at,
        },
        language=conversation.language,
        user=conversation.customer,
    )


@transaction.atomic
def chat_account_forget(user: AbstractBaseUser) -> None:
    """ "Close my account": the account's chats go, with their images (deleted from storage
    once the closing commits); an agent's chats still open go back to the queue."""
    from django.core.files.storage import default_storage

    images = list(
        Message.objects.filter(conversation__customer_id=user.pk)
        .exclude(attachment="")
        .values_list("attachment", flat=True)
    )
    Conversation.objects.filter(customer_id=user.pk).delete()
    Conversation.objects.filter(agent_id=user.pk, status=ConversationStatus.ACTIVE).update(
        status=ConversationStatus.QUEUED, agent=None, accepted_at=None
    )

    def delete_images() -> None:
        for name in images:
            default_storage.delete(name)

    transaction.on_commit(delete_images)
