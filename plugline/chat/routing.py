"""The WebSocket addresses of live chat (plugline.asgi routes them)."""

from django.urls import path

from plugline.chat.consumers import AgentChatConsumer, CustomerChatConsumer

websocket_urlpatterns = [
    path("ws/chat/", CustomerChatConsumer.as_asgi()),
    path("ws/chat/agent/", AgentChatConsumer.as_asgi()),
]
