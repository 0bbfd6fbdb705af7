from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MinutesConfig(AppConfig):
    name = "plugline.minutes"
    label = "minutes"
    verbose_name = _("International minutes")

    def ready(self) -> None:
        # "Download my data": the balance, the ledger and the low-balance top-up.
        from plugline.accounts.data_export import register_data_export_section
        from plugline.minutes.selectors import minutes_export

        register_data_export_section("international_minutes", minutes_export)
        # Payments of international minutes (billing.fees): what a success and a decline
        # do, and the receipt's line.
        from plugline.billing.fees import fee_kind_register
        from plugline.billing.models import PaymentKind
        from plugline.minutes.top_ups import (
            minutes_top_up_applied,
            minutes_top_up_declined,
            minutes_top_up_invoice_lines,
            minutes_top_up_refunded,
        )

        fee_kind_register(
            PaymentKind.MINUTES_TOP_UP,
            applied=minutes_top_up_applied,
            declined=minutes_top_up_declined,
            invoice_lines=minutes_top_up_invoice_lines,
            refunded=minutes_top_up_refunded,
        )
        # The low-balance top-up's run (plugline.minutes.low_balance).
        from plugline.core.scheduling import register_periodic_job
        from plugline.minutes import low_balance

        register_periodic_job(
            low_balance.RUN_JOB_NAME,
            every=low_balance.RUN_JOB_EVERY,
            func=low_balance.low_balance_run_job,
        )
        # International calls charged in the call record import's job, after the import.
        from plugline.minutes.rating import calls_rate
        from plugline.telephony.callrecords import call_records_imported_register

        call_records_imported_register("minutes.calls_rate", calls_rate)
        # Kamailio asks how long an international call may last (plugline.minutes.allowance).
        from plugline.minutes.allowance import ACCOUNT_SIGNATURE, ALLOWANCE_SIGNATURE
        from plugline.telephony.roles import sip_database_function_register

        sip_database_function_register(ALLOWANCE_SIGNATURE)
        sip_database_function_register(ACCOUNT_SIGNATURE)
