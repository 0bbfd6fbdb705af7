"""Two ASGI processes sharing Redis as the channel layer (production): a customer connected
to one and an agent to the other chat normally, messages in order both ways."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import websocket
from django.conf import settings
from django.test import Client

from conftest import Subscriber
from plugline.chat.tests.asgi_servers import daphnes_serving
from plugline.chat.tests.helpers import agent_client, customer_client, make_agent

# The PostgreSQL pass of CI, where Redis runs too (SQLite's test database and the in-memory
# channel layer cannot be shared by two processes).
needs_postgres_and_redis = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
    reason="two ASGI processes share PostgreSQL and Redis in the PostgreSQL pass",
)
pytestmark = [needs_postgres_and_redis, pytest.mark.django_db(transaction=True)]


def socket_to(address: str, path: str, client: Client) -> websocket.WebSocket:
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return websocket.create_connection(
        address.replace("http://", "ws://") + path,
        origin=address,
        cookie=f"{settings.SESSION_COOKIE_NAME}={cookie}",
        timeout=10,
    )


def next_of(sock: websocket.WebSocket, kind: str, **match: Any) -> dict[str, Any]:
    while True:
        data = json.loads(sock.recv())
        if data["type"] == kind and all(data.get(key) == value for key, value in match.items()):
            return data


def test_it_carries_a_chat_between_two_processes_through_redis(alice: Subscriber):
    agent = make_agent("sam@example.com", first_name="Sam")
    agents = agent_client(agent)
    customer = customer_client(alice.user)
    with daphnes_serving(2, {"REDIS_URL": os.environ["REDIS_URL"]}) as (one, two):
        # The chat is opened over HTTP, then each side connects to its own process.
        started = customer.post("/chat/start/")
        assert started.status_code == 200
        tab = socket_to(one, "/ws/chat/", customer)
        console = socket_to(two, "/ws/chat/agent/", agents)
        try:
            queue = next_of(console, "console")["queue"]
            assert [waiting["name"] for waiting in queue] == ["Alice Archer"]
            console.send(json.dumps({"type": "accept", "conversation": queue[0]["id"]}))
            assert next_of(tab, "state", status="active")["agent"] == "Sam"
            tab.send(json.dumps({"type": "message", "text": "Hello from process one"}))
            heard = next_of(console, "message", author="customer")
            assert heard["text"] == "Hello from process one"
            for n in range(1, 21):
                console.send(
                    json.dumps(
                        {"type": "message", "conversation": queue[0]["id"], "text": f"reply {n}"}
                    )
                )
            replies = [next_of(tab, "message", author="agent") for _ in range(20)]
            assert [reply["text"] for reply in replies] == [f"reply {n}" for n in range(1, 21)]
            assert [reply["seq"] for reply in replies] == list(range(3, 23))
        finally:
            tab.close()
            console.close()
