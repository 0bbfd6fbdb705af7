from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxGatewayConfig(AppConfig):
    """A payment service provider for development and tests, living beside Plugline.

    Plugline reaches it only through plugline.billing.gateways.sandbox, as it
    would reach a real PSP through its API.
    """

    name = "plugline.sandbox_gateway"
    label = "sandbox_gateway"
    verbose_name = _("Sandbox payment gateway")
