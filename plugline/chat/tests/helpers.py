"""Talking to live chat's WebSockets in tests, as a browser tab would (its session cookie,
an Origin of this site), through the project's ASGI application."""

from __future__ import annotations

from typing import Any

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client

from conftest import make_subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.asgi import application
from plugline.chat import services
from plugline.chat.models import PresenceStatus

TIMEOUT = 3


def socket_for(client: Client, path: str = "/ws/chat/") -> WebsocketCommunicator:
    """A WebSocket opened by the browser whose cookies `client` holds."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie.value}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def connected(client: Client, path: str = "/ws/chat/") -> WebsocketCommunicator:
    socket = socket_for(client, path)
    accepted, _code = await socket.connect(timeout=TIMEOUT)
    assert accepted, f"{path} refused the connection"
    return socket


async def next_of(socket: WebsocketCommunicator, kind: str, **match: Any) -> dict[str, Any]:
    """The next message of type `kind` (with the given values), skipping any other."""
    while True:
        data = await socket.receive_json_from(timeout=TIMEOUT)
        if data["type"] == kind and all(data.get(key) == value for key, value in match.items()):
            return data


async def texts_until_quiet(socket: WebsocketCommunicator) -> list[tuple[int, str]]:
    """(seq, text) of every message received until nothing more comes."""
    received = []
    while not await socket.receive_nothing(timeout=0.3):
        data = await socket.receive_json_from(timeout=TIMEOUT)
        if data["type"] == "message":
            received.append((data["seq"], data["text"]))
    return received


def make_agent(email: str, *, first_name: str = "Sam", permission: bool = True) -> User:
    """A staff member (with the chat permission unless told otherwise)."""
    agent = make_subscriber(email, numbers=()).user
    agent.is_staff = True
    agent.first_name = first_name
    agent.save()
    if permission:
        agent.user_permissions.add(
            Permission.objects.get(codename="answer_chat", content_type__app_label="chat")
        )
    return agent


def agent_client(agent: User, *, online: bool = True) -> Client:
    """A browser where `agent` signed in with two-factor (and set themselves online)."""
    client = Client()
    sign_in_with_two_factor(client, agent)
    if online:
        services.presence_set(agent=agent, status=PresenceStatus.ONLINE)
    return client


def customer_client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
