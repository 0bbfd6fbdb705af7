from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "plugline.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from plugline.core.scheduling import register_periodic_job
        from plugline.notifications.services import outbox_sweep

        register_periodic_job(
            "notifications.outbox_sweep", every=timedelta(minutes=1), func=outbox_sweep
        )
