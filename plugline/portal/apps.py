from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "plugline.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from plugline.portal import receivers  # noqa: F401 (connects them)
