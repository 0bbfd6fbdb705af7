from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatesConfig(AppConfig):
    name = "plugline.rates"
    label = "rates"
    verbose_name = _("Calling rates")
