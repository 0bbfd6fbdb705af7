"""Live chat over WebSockets: one connection per browser tab, JSON both ways.

Customer, ``/ws/chat/`` (the chat this browser's session opened with POST /chat/start/;
refused without one):

    client -> {"type": "resume", "after": <last seq seen, 0 at first>}
              {"type": "message", "text": "..."}
              {"type": "typing"}
              {"type": "close"}
              {"type": "rate", "rating": 1..5}          (once closed)
              {"type": "transcript"}                    (emailed now if closed, else at the end)
    server -> {"type": "state", "status": "queued"|"active"|"closed", "position": n|null,
               "agent": "<agent's first name>"|null, "last_seq": n, "rating": n|null,
               "transcript": bool}
              {"type": "message", "conversation": id, "seq": n, "author": "customer"|"agent"|
               "system", "name": "...", "text": "...", "event": ""|"joined"|"transferred"|
               "closed", "at": "<ISO 8601>"}
              {"type": "typing", "conversation": id, "author": "agent", "name": "..."}
              {"type": "error", "message": "<in the customer's language>"}

Agent, ``/ws/chat/agent/`` (staff signed in with two-factor holding chat.answer_chat):

    client -> {"type": "presence", "status": "online"|"busy"|"away", "capacity": n}
              {"type": "accept", "conversation": id}
              {"type": "resume", "conversation": id, "after": n}
              {"type": "message", "conversation": id, "text": "..."}
              {"type": "canned", "conversation": id, "canned": <canned response id>}
              {"type": "typing", "conversation": id}
              {"type": "transfer", "conversation": id, "agent": <user id>}
              {"type": "close", "conversation": id}
              {"type": "ping"}                          (the console is still open)
    server -> {"type": "console", "presence": {...}, "queue": [...], "chats": [...],
               "agents": [...]}  (after every change of the queue or of the agent's chats)
              message, typing ("author": "customer") and error, as above.

Guarantees: a message is saved, with the next sequence number of its conversation,
before it is broadcast. A client sends "resume" with the last number it has on every
(re)connection, and after a gap in the numbers; the server replays every later
message in order, so a reload or a dropped connection loses nothing. Live messages
that overlap the replay arrive twice: the client drops a number it already has.
Typing is never saved. Message text is never logged.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from allauth.mfa.utils import is_mfa_enabled
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from plugline.accounts.staff_access import staff_signed_in_with_two_factor
from plugline.chat import events, selectors, services
from plugline.chat.canned import canned_fill, canned_get
from plugline.chat.models import AuthorKind, Conversation, ConversationStatus, Message

T = TypeVar("T")


class Flood:
    """At most CHAT_RATE_MESSAGES messages per CHAT_RATE_SECONDS on one connection."""

    def __init__(self) -> None:
        self.sent: deque[float] = deque()

    def allow(self) -> bool:
        now = time.monotonic()
        while self.sent and now - self.sent[0] > settings.CHAT_RATE_SECONDS:
            self.sent.popleft()
        if len(self.sent) >= settings.CHAT_RATE_MESSAGES:
            return False
        self.sent.append(now)
        return True


def _seq(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _whole(value: Any) -> int:
    """A whole number sent in JSON, or 0, which no range allows (JSON's true is not 1)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str:
    """A message's text: a JSON string, or nothing (never the repr of a list or object)."""
    return value if isinstance(value, str) else ""


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """What both sides share: running services in the user's language, errors, floods."""

    language = settings.LANGUAGE_CODE

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """A frame that is not JSON text (binary, broken, nested past the recursion limit) is
        ignored like a message of no known type: the connection and its chat go on."""
        if text_data is None:
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            return
        await self.receive_json(content, **kwargs)

    async def run(self, function: Callable[..., T], **kwargs: Any) -> T | None:
        """`function(**kwargs)` in a database thread; a refusal is sent back as an error."""

        def call() -> T | None:
            with translation.override(self.language):
                try:
                    return function(**kwargs)
                except services.ChatRefused as refusal:
                    self._refusal = str(refusal)
                    return None

        self._refusal = ""
        result = await database_sync_to_async(call)()
        if self._refusal:
            await self.send_json({"type": "error", "message": self._refusal})
        return result

    async def error(self, text: str) -> None:
        await self.send_json({"type": "error", "message": text})

    async def flooded(self) -> bool:
        if self.flood.allow():
            return False
        with translation.override(self.language):
            await self.error(_("You are sending messages too fast: wait a few seconds."))
        return True

    async def replay(self, conversation_id: int, after: int) -> None:
        for message in await database_sync_to_async(selectors.messages_after)(
            conversation_id=conversation_id, after=after
        ):
            await self.send_json(events.message_payload(message))

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json(event["message"])


class CustomerChatConsumer(ChatConsumer):
    conversation_id: int

    def _find(self) -> tuple[int, str, str] | None:
        user = self.scope["user"]
        conversation = selectors.conversation_for_customer(
            user=user if user.is_authenticated else None, session=self.scope["session"]
        )
        if conversation is None:
            return None
        return conversation.pk, conversation.language, conversation.customer_first_name

    async def connect(self) -> None:
        found = await database_sync_to_async(self._find)()
        if found is None:
            await self.close(code=4404)
            return
        self.conversation_id, self.language, self.customer_name = found
        self.flood = Flood()
        await self.channel_layer.group_add(
            events.conversation_group(self.conversation_id), self.channel_name
        )
        await self.channel_layer.group_add(events.QUEUE_GROUP, self.channel_name)
        await self.accept()
        await self.send_state()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "conversation_id"):
            await self.channel_layer.group_discard(
                events.conversation_group(self.conversation_id), self.channel_name
            )
            await self.channel_layer.group_discard(events.QUEUE_GROUP, self.channel_name)

    def _state(self) -> dict[str, Any]:
        conversation = Conversation.objects.select_related("agent").get(pk=self.conversation_id)
        queued = conversation.status == ConversationStatus.QUEUED
        return {
            "type": "state",
            "status": conversation.status,
            "position": selectors.queue_position(conversation=conversation) if queued else None,
            "agent": (
                services.agent_first_name(conversation.agent)
                if conversation.agent is not None and not queued
                else None
            ),
            "last_seq": conversation.last_seq,
            "rating": conversation.rating,
            "transcript": conversation.transcript_wanted,
        }

    async def send_state(self) -> None:
        await self.send_json(await database_sync_to_async(self._state)())

    def _post(self, text: str) -> Message:
        conversation = Conversation.objects.select_related("customer").get(pk=self.conversation_id)
        return services.message_post(
            conversation_id=self.conversation_id,
            author_kind=AuthorKind.CUSTOMER,
            author=conversation.customer,
            author_name=conversation.customer_first_name,
            text=text,
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "resume":
            await self.replay(self.conversation_id, _seq(content.get("after")))
            await self.send_state()
        elif kind == "message":
            if await self.flooded():
                return
            message = await self.run(self._post, text=_text(content.get("text")))
            if message is not None:
                await events.message_announce(message)
        elif kind == "typing":
            await events.typing_announce(
                conversation_id=self.conversation_id,
                author=AuthorKind.CUSTOMER,
                name=self.customer_name,
            )
        elif kind == "close":
            message = await self.run(
                services.conversation_close, conversation_id=self.conversation_id, by=None
            )
            if message is not None:
                await events.message_announce(message)
                await events.state_announce(self.conversation_id)
                await events.queue_announce()
        elif kind == "rate":
            rating = content.get("rating")
            await self.run(
                services.conversation_rate,
                conversation_id=self.conversation_id,
                rating=_whole(rating),
            )
            await self.send_state()
        elif kind == "transcript":
            await self.run(services.transcript_request, conversation_id=self.conversation_id)
            await self.send_state()

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["author"] == AuthorKind.AGENT:
            await self.send_json(
                {
                    "type": "typing",
                    "conversation": event["conversation"],
                    "author": "agent",
                    "name": event["name"],
                }
            )

    async def chat_state(self, event: dict[str, Any]) -> None:
        await self.send_state()

    async def chat_queue(self, event: dict[str, Any]) -> None:
        await self.send_state()

    async def chat_assigned(self, event: dict[str, Any]) -> None:
        pass


class AgentChatConsumer(ChatConsumer):
    """The agent's console: the queue, their chats, replies."""

    def _allowed(self) -> tuple[bool, str]:
        user = self.scope["user"]
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return False, ""
        request = SimpleNamespace(session=self.scope["session"], user=user)
        allowed = (
            is_mfa_enabled(user)
            and staff_signed_in_with_two_factor(request)  # type: ignore[arg-type]
            and user.has_perm("chat.answer_chat")
        )
        return allowed, getattr(user, "language", "") or settings.LANGUAGE_CODE

    async def connect(self) -> None:
        allowed, language = await database_sync_to_async(self._allowed)()
        if not allowed:
            await self.close(code=4403)
            return
        self.agent = self.scope["user"]
        self.language = language
        self.flood = Flood()
        self.joined: set[int] = set()
        await self.channel_layer.group_add(events.AGENTS_GROUP, self.channel_name)
        await self.channel_layer.group_add(events.agent_group(self.agent.pk), self.channel_name)
        await self.accept()
        await database_sync_to_async(services.presence_seen)(agent=self.agent)
        await self.send_console()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "agent"):
            return
        await self.channel_layer.group_discard(events.AGENTS_GROUP, self.channel_name)
        await self.channel_layer.group_discard(events.agent_group(self.agent.pk), self.channel_name)
        for conversation_id in self.joined:
            await self.channel_layer.group_discard(
                events.conversation_group(conversation_id), self.channel_name
            )

    def _console(self) -> dict[str, Any]:
        with translation.override(self.language):
            return selectors.console_snapshot(agent=self.agent)

    async def send_console(self) -> None:
        """The whole console, and this connection in the groups of exactly the agent's chats."""
        console = await database_sync_to_async(self._console)()
        mine = {chat["id"] for chat in console["chats"]}
        for conversation_id in mine - self.joined:
            await self.channel_layer.group_add(
                events.conversation_group(conversation_id), self.channel_name
            )
        for conversation_id in self.joined - mine:
            await self.channel_layer.group_discard(
                events.conversation_group(conversation_id), self.channel_name
            )
        self.joined = mine
        await self.send_json(console)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        conversation_id = content.get("conversation")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            conversation_id = 0
        if kind == "ping":
            await database_sync_to_async(services.presence_seen)(agent=self.agent)
        elif kind == "presence":
            capacity = content.get("capacity")
            status = content.get("status")
            await self.run(
                services.presence_set,
                agent=self.agent,
                status=status if isinstance(status, str) else None,
                capacity=_whole(capacity) if capacity is not None else None,
            )
            await self.send_console()
        elif kind == "accept":
            message = await self.run(
                services.conversation_accept, conversation_id=conversation_id, agent=self.agent
            )
            if message is not None:
                # This connection joins the chat's group before its first message goes out;
                # the agent's other tabs join on hearing of it, and replay what they missed.
                await self.send_console()
                await events.assigned_announce(
                    agent_id=self.agent.pk, conversation_id=conversation_id
                )
                await events.message_announce(message)
                await events.state_announce(conversation_id)
                await events.queue_announce()
        elif kind == "resume":
            if conversation_id in self.joined:
                await self.replay(conversation_id, _seq(content.get("after")))
        elif kind in ("message", "canned"):
            if await self.flooded():
                return
            if conversation_id not in self.joined:
                await self.error(self._not_yours())
                return
            if kind == "canned":
                text = await database_sync_to_async(self._canned_text)(
                    conversation_id, content.get("canned")
                )
            else:
                text = _text(content.get("text"))
            message = await self.run(
                services.message_post,
                conversation_id=conversation_id,
                author_kind=AuthorKind.AGENT,
                author=self.agent,
                author_name=services.agent_first_name(self.agent),
                text=text,
            )
            if message is not None:
                await events.message_announce(message)
        elif kind == "typing":
            if conversation_id in self.joined:
                await events.typing_announce(
                    conversation_id=conversation_id,
                    author=AuthorKind.AGENT,
                    name=services.agent_first_name(self.agent),
                )
        elif kind == "transfer":
            to_agent = await database_sync_to_async(selectors.agent_get)(
                agent_id=content.get("agent")
            )
            if to_agent is None or conversation_id not in self.joined:
                await self.error(self._not_yours())
                return
            message = await self.run(
                services.conversation_transfer,
                conversation_id=conversation_id,
                agent=self.agent,
                to_agent=to_agent,
            )
            if message is not None:
                await events.assigned_announce(
                    agent_id=to_agent.pk, conversation_id=conversation_id
                )
                await events.message_announce(message)
                await events.state_announce(conversation_id)
        elif kind == "close":
            if conversation_id not in self.joined:
                await self.error(self._not_yours())
                return
            message = await self.run(
                services.conversation_close, conversation_id=conversation_id, by=self.agent
            )
            if message is not None:
                await events.message_announce(message)
                await events.state_announce(conversation_id)
                await events.queue_announce()

    def _canned_text(self, conversation_id: int, canned_id: object) -> str:
        """The canned response filled in for this chat's customer ("" if there is none)."""
        canned = canned_get(canned_id=canned_id)
        conversation = selectors.conversation_for_agent(
            agent=self.agent, conversation_id=conversation_id
        )
        if canned is None or conversation is None:
            return ""
        return canned_fill(canned=canned, conversation=conversation)

    def _not_yours(self) -> str:
        with translation.override(self.language):
            return _("This chat is not one of yours.")

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["author"] == AuthorKind.CUSTOMER:
            await self.send_json(
                {
                    "type": "typing",
                    "conversation": event["conversation"],
                    "author": "customer",
                    "name": event["name"],
                }
            )

    async def chat_state(self, event: dict[str, Any]) -> None:
        await self.send_console()

    async def chat_queue(self, event: dict[str, Any]) -> None:
        await self.send_console()

    async def chat_assigned(self, event: dict[str, Any]) -> None:
        await self.send_console()
