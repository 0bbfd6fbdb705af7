from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "plugline.support"
    label = "support"
    verbose_name = _("Support")

    def ready(self) -> None:
        # A wrong SUPPORT_HOURS or SUPPORT_TIME_ZONE stops every process at start,
        # with a message that says what to write, rather than at the first chat.
        from plugline.support.hours import support_hours_check

        support_hours_check()
        # "Download my data" and "Close my account": the requester's tickets.
        from plugline.accounts.closing import register_account_closing_hook
        from plugline.accounts.data_export import register_data_export_section
        from plugline.support.selectors import support_requests_export
        from plugline.support.services import tickets_of_closing_account_delete

        register_data_export_section("support_requests", support_requests_export)
        register_account_closing_hook(tickets_of_closing_account_delete)
