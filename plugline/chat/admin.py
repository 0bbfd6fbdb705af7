"""Live chat in the admin: past chats (read only), who takes chats, canned responses."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from plugline.chat.models import AgentPresence, CannedResponse, Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "author_kind", "author_name", "text", "event", "created_at"]
    readonly_fields = ["seq", "author_kind", "author_name", "text", "event", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Past and current chats, read only: they change through the console."""

    list_display = [
        "__str__",
        "customer",
        "visitor_email",
        "status",
        "agent",
        "created_at",
        "rating",
    ]
    list_filter = ["status", "language", "rating"]
    search_fields = ["customer__email", "visitor_email", "visitor_name"]
    readonly_fields = [field.name for field in Conversation._meta.fields]
    inlines = [MessageInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    """Who takes chats: read only, each agent sets theirs in the console."""

    list_display = ["user", "status", "capacity", "last_seen_at"]
    readonly_fields = ["user", "status", "capacity", "last_seen_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "language"]
    list_filter = ["language"]
    search_fields = ["title", "text"]
