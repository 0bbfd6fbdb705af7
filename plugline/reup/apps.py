from django.apps import AppConfig


class ReupConfig(AppConfig):
    name = "plugline.reup"
    label = "reup"
    verbose_name = "Re-Up cards"
