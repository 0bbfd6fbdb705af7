from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "plugline.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from datetime import timedelta

        from plugline.core.csrf import csrf_string_install
        from plugline.core.scheduling import (
            periodic_claims_prune,
            register_periodic_job,
            sessions_clear_expired,
        )

        register_periodic_job(
            "core.prune_periodic_claims", every=timedelta(hours=1), func=periodic_claims_prune
        )
        register_periodic_job(
            "core.clear_expired_sessions", every=timedelta(hours=1), func=sessions_clear_expired
        )
        csrf_string_install()
