from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "plugline.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from plugline.accounts.closing import register_account_closing_hook
        from plugline.accounts.data_export import register_data_export_section
        from plugline.chat.selectors import chat_export
        from plugline.chat.services import chat_account_forget

        register_data_export_section("chats", chat_export)
        register_account_closing_hook(chat_account_forget)
