"""The reference of bench/chat.py: a bare ASGI WebSocket broadcast, without Django.

Not part of Plugline. Every text frame a connection sends goes to every other open
connection of the process, at once: the least any chat server can do. Served by
bench/chat.py under daphne, like Plugline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

_connections: set[Send] = set()


async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            _connections.add(send)
        elif event["type"] == "websocket.receive":
            for other in list(_connections):
                if other is not send:
                    await other({"type": "websocket.send", "text": event.get("text")})
        elif event["type"] == "websocket.disconnect":
            _connections.discard(send)
            return
