"""What live chat broadcasts through the channel layer, and to which groups.

Every conversation has a group (its customer's tabs and its agent's consoles); the
agents' consoles share one for the queue, and each agent has one (a chat accepted
in one tab, or transferred to them, appears in all their tabs); customers waiting
share one to hear that the queue moved."""

from __future__ import annotations

from typing import Any

from channels.layers import get_channel_layer
from django.urls import reverse

from plugline.chat.models import Message

AGENTS_GROUP = "chat.agents"
QUEUE_GROUP = "chat.queue"


def conversation_group(conversation_id: int) -> str:
    return f"chat.conversation.{conversation_id}"


def agent_group(agent_id: int) -> str:
    return f"chat.agent.{agent_id}"


def message_payload(message: Message) -> dict[str, Any]:
    """A message as both sides receive it (the text is data: the pages insert it as text)."""
    return {
        "type": "message",
        "conversation": message.conversation_id,
        "seq": message.seq,
        "author": message.author_kind,
        "name": message.author_name,
        "text": message.text,
        "event": message.event,
        "image": (reverse("chat:attachment", args=[message.pk]) if message.attachment else ""),
        "at": message.created_at.isoformat(),
    }


async def _send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is set in settings"
    await layer.group_send(group, event)


async def message_announce(message: Message) -> None:
    """After the message is saved (and committed): to everyone in its conversation."""
    await _send(
        conversation_group(message.conversation_id),
        {"type": "chat.message", "message": message_payload(message)},
    )


async def state_announce(conversation_id: int) -> None:
    """The conversation's status, agent or queue place changed: each listener reads it again."""
    await _send(conversation_group(conversation_id), {"type": "chat.state"})


async def queue_announce() -> None:
    """A chat joined or left the queue."""
    await _send(AGENTS_GROUP, {"type": "chat.queue"})
    await _send(QUEUE_GROUP, {"type": "chat.queue"})


async def assigned_announce(*, agent_id: int, conversation_id: int) -> None:
    """A chat is now this agent's: their consoles join its group."""
    await _send(agent_group(agent_id), {"type": "chat.assigned", "conversation": conversation_id})


async def typing_announce(*, conversation_id: int, author: str, name: str) -> None:
    """Someone is typing (not saved: it only matters while it lasts)."""
    await _send(
        conversation_group(conversation_id),
        {"type": "chat.typing", "conversation": conversation_id, "author": author, "name": name},
    )
