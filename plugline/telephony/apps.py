from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sip_subscriber_view_refresh(using: str = "default", **kwargs: Any) -> None:
    """After every migrate: the SIP view again, with today's BILLING_GRACE_DAYS."""
    from django.db.migrations.recorder import MigrationRecorder

    from plugline.telephony.sipview import sip_subscriber_view_write

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("telephony", "0005_sip_line_open_and_suspension") in applied:
        sip_subscriber_view_write(connection)


class TelephonyConfig(AppConfig):
    name = "plugline.telephony"
    label = "telephony"
    verbose_name = _("Telephony")

    def ready(self) -> None:
        from plugline.accounts.data_export import register_data_export_section
        from plugline.core.scheduling import register_periodic_job
        from plugline.telephony.callrecords import (
            IMPORT_JOB_EVERY,
            IMPORT_JOB_NAME,
            call_history_export,
            call_records_import,
        )
        from plugline.telephony.lines import CHECK_JOB_EVERY, CHECK_JOB_NAME, sip_lines_check

        post_migrate.connect(_sip_subscriber_view_refresh, sender=self)
        register_periodic_job(CHECK_JOB_NAME, every=CHECK_JOB_EVERY, func=sip_lines_check)
        register_data_export_section("calls", call_history_export)
        register_periodic_job(IMPORT_JOB_NAME, every=IMPORT_JOB_EVERY, func=call_records_import)
