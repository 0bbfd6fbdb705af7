from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "plugline.stores"
    label = "stores"
    verbose_name = "Stores"
