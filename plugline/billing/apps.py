from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "plugline.billing"
    label = "billing"
    verbose_name = "Billing"
