from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "plugline.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from plugline.accounts import signals  # noqa: F401
