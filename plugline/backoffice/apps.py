from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "plugline.backoffice"
    label = "backoffice"
    verbose_name = _("Staff console")

    def ready(self) -> None:
        from plugline.backoffice import roles

        # After every migrate (and test database set-up): the role groups hold
        # exactly the permissions roles.py gives them.
        post_migrate.connect(roles.roles_refresh_after_migrate, dispatch_uid="backoffice_roles")
