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
