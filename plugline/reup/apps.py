from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReupConfig(AppConfig):
    name = "plugline.reup"
    label = "reup"
    verbose_name = _("Re-Up cards")

    def ready(self) -> None:
        from plugline.core.scheduling import register_periodic_job
        from plugline.reup import guarding

        register_periodic_job(
            guarding.PRUNE_JOB_NAME, every=guarding.PRUNE_JOB_EVERY, func=guarding.failures_prune
        )
