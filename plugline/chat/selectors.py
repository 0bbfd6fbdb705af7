"""Reads of live chat, each scoped to who asks: a customer reads only their own
conversation, an agent only the queue and the chats assigned to them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language_info

from plugline.accounts.models import User
from plugline.chat.models import (
    AgentPresence,
    Conversation,
    ConversationStatus,
    Message,
    PresenceStatus,
)
from plugline.support.hours import support_open_now

# Where a browser session keeps the id of its chat (the session is the secret, not the id).
SESSION_KEY = "chat_conversation_id"


def conversation_for_customer(
    *, user: AbstractBaseUser | None, session: Mapping[str, Any]
) -> Conversation | None:
    """The chat of this browser: the one its session opened (the account's own if signed in),
    else a signed-in customer's latest chat that is not closed."""
    signed_in = user is not None and user.is_authenticated
    conversations = Conversation.objects.select_related("agent", "customer")
    owned = (
        conversations.filter(customer_id=user.pk)
        if signed_in and user is not None
        else conversations.filter(customer__isnull=True)
    )
    conversation_id = session.get(SESSION_KEY)
    if isinstance(conversation_id, int):
        found = owned.filter(pk=conversation_id).first()
        if found is not None:
            return found
    if signed_in:
        return owned.exclude(status=ConversationStatus.CLOSED).order_by("-created_at").first()
    return None


def conversation_for_agent(*, agent: AbstractBaseUser, conversation_id: int) -> Conversation | None:
    """One of the agent's active chats."""
    return (
        Conversation.objects.select_related("agent", "customer")
        .filter(pk=conversation_id, agent_id=agent.pk, status=ConversationStatus.ACTIVE)
        .first()
    )


def queue_position(*, conversation: Conversation) -> int:
    """1 for the chat that will be taken next."""
    return (
        Conversation.objects.filter(
            status=ConversationStatus.QUEUED, created_at__lt=conversation.created_at
        ).count()
        + 1
    )


def messages_after(*, conversation_id: int, after: int, limit: int = 500) -> list[Message]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, seq__gt=after).order_by("seq")[
            :limit
        ]
    )


def queue_list(*, limit: int = 50) -> list[Conversation]:
    return list(
        Conversation.objects.select_related("customer")
        .filter(status=ConversationStatus.QUEUED)
        .order_by("created_at")[:limit]
    )


def agent_conversations(*, agent: AbstractBaseUser) -> list[Conversation]:
    return list(
        Conversation.objects.select_related("customer")
        .filter(agent_id=agent.pk, status=ConversationStatus.ACTIVE)
        .order_by("accepted_at")
    )


def agent_active_count(*, agent: AbstractBaseUser) -> int:
    return Conversation.objects.filter(agent_id=agent.pk, status=ConversationStatus.ACTIVE).count()


def agent_presence(*, agent: AbstractBaseUser) -> AgentPresence:
    return AgentPresence.objects.filter(user_id=agent.pk).first() or AgentPresence(user_id=agent.pk)


def _agents_with_room() -> Any:
    seen_since = timezone.now() - timedelta(seconds=settings.CHAT_AGENT_SEEN_SECONDS)
    active = Count(
        "user__chat_conversations_answered",
        filter=Q(user__chat_conversations_answered__status=ConversationStatus.ACTIVE),
    )
    return (
        AgentPresence.objects.filter(
            status=PresenceStatus.ONLINE, last_seen_at__gte=seen_since, user__is_active=True
        )
        .annotate(active=active)
        .select_related("user")
    )


def agents_available() -> bool:
    """Whether an agent is online (their console heard from lately) with room for a chat."""
    return any(presence.active < presence.capacity for presence in _agents_with_room())


def chat_available() -> bool:
    """Whether a chat can start now: within business hours (SUPPORT_HOURS) and an agent
    with room; otherwise the widget offers the contact form, which opens a ticket."""
    return support_open_now() and agents_available()


def agents_to_transfer_to(*, agent: AbstractBaseUser) -> list[AgentPresence]:
    """Other online agents with room for one more chat."""
    return [
        presence
        for presence in _agents_with_room().exclude(user_id=agent.pk)
        if presence.active < presence.capacity
    ]


def agent_get(*, agent_id: Any) -> User | None:
    """A staff member who may answer chats, by id (None for anything else)."""
    if not isinstance(agent_id, int) or isinstance(agent_id, bool):
        return None
    user = User.objects.filter(pk=agent_id, is_active=True, is_staff=True).first()
    if user is None or not user.has_perm("chat.answer_chat"):
        return None
    return user


def _language_name(code: str) -> str:
    """A chat's language named in the active language ("anglais" to a French agent)."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def console_snapshot(*, agent: AbstractBaseUser) -> dict[str, Any]:
    """Everything the agent's console shows: availability, the queue, their chats, and
    the agents they could transfer to."""
    from plugline.chat.canned import canned_for_language
    from plugline.chat.summary import customer_summary

    presence = agent_presence(agent=agent)
    return {
        "type": "console",
        "presence": {"status": presence.status, "capacity": presence.capacity},
        "queue": [
            {
                "id": conversation.pk,
                "name": conversation.customer_name,
                "language": conversation.language,
                "language_name": _language_name(conversation.language),
                "since": conversation.created_at.isoformat(),
            }
            for conversation in queue_list()
        ],
        "chats": [
            {
                "id": conversation.pk,
                "name": conversation.customer_name,
                "email": conversation.customer_email,
                "language": conversation.language,
                "last_seq": conversation.last_seq,
                "summary": customer_summary(conversation=conversation),
                "canned": [
                    {"id": canned.pk, "title": canned.title}
                    for canned in canned_for_language(language=conversation.language)
                ],
            }
            for conversation in agent_conversations(agent=agent)
        ],
        "agents": [
            {"id": presence.user_id, "name": presence.user.get_full_name() or presence.user.email}
            for presence in agents_to_transfer_to(agent=agent)
        ],
    }


def attachment_for(*, user: Any, session: Mapping[str, Any], message_id: int) -> Message | None:
    """A message with an image, if `user` (or this browser's session) may see it: the
    conversation's customer, or the agent it is assigned to."""
    message = (
        Message.objects.select_related("conversation")
        .filter(pk=message_id)
        .exclude(attachment="")
        .first()
    )
    if message is None:
        return None
    conversation = message.conversation
    if user.is_authenticated and conversation.agent_id == user.pk:
        return message
    mine = conversation_for_customer(user=user if user.is_authenticated else None, session=session)
    return message if mine is not None and mine.pk == conversation.pk else None


def chat_export(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """The account's chats for "Download my data": each with its messages (two queries)."""
    conversations = (
        Conversation.objects.filter(customer_id=user.pk)
        .select_related("agent")
        .prefetch_related("messages")
        .order_by("created_at")
    )
    return [
        {
            "started_at": conversation.created_at,
            "closed_at": conversation.closed_at,
            "status": conversation.status,
            "language": conversation.language,
            "rating": conversation.rating,
            "transcript_wanted": conversation.transcript_wanted,
            "messages": [
                {
                    "number": message.seq,
                    "author": message.author_kind,
                    "name": message.author_name,
                    "text": message.text,
                    "event": message.event,
                    "image": bool(message.attachment),
                    "sent_at": message.created_at,
                }
                for message in conversation.messages.all()
            ],
        }
        for conversation in conversations
    ]


def conversations_of_customer(*, customer: AbstractBaseUser, limit: int) -> list[Conversation]:
    """A customer's chats, newest first, for the staff console's customer page."""
    return list(
        Conversation.objects.filter(customer_id=customer.pk)
        .select_related("agent")
        .order_by("-created_at", "-pk")[:limit]
    )
