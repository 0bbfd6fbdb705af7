from django.contrib import admin

from plugline.chat.models import AgentPresence, Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["seq", "author_kind", "author_name", "text", "event", "created_at"]
    readonly_fields = ["seq", "author_kind", "author_name", "text", "event", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
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

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    """Who takes chats: read only, each agent sets theirs in the console."""

    list_display = ["user", "status", "capacity", "last_seen_at"]
    readonly_fields = ["user", "status", "capacity", "last_seen_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
