from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "plugline.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from plugline.billing import receivers  # noqa: F401
