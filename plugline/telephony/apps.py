from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "plugline.telephony"
    label = "telephony"
    verbose_name = "Telephony"
