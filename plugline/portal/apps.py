from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "plugline.portal"
    label = "portal"
    verbose_name = "Portal"
