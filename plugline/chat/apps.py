from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "plugline.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from plugline.accounts.data_export import register_data_export_section
        from plugline.chat.selectors import chat_export

        register_data_export_section("chats", chat_export)
