from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoicemailConfig(AppConfig):
    name = "plugline.voicemail"
    label = "voicemail"
    verbose_name = _("Voicemail")

    def ready(self) -> None:
        from plugline.accounts.data_export import register_data_export_section
        from plugline.core.scheduling import register_periodic_job
        from plugline.voicemail.selectors import voicemail_export
        from plugline.voicemail.services import (
            RETENTION_JOB_EVERY,
            RETENTION_JOB_NAME,
            voicemail_retention_purge,
        )

        register_periodic_job(
            RETENTION_JOB_NAME, every=RETENTION_JOB_EVERY, func=voicemail_retention_purge
        )
        register_data_export_section("voicemail", voicemail_export)
