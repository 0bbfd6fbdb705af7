from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "plugline.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from plugline.accounts.data_export import register_data_export_section
        from plugline.billing import (
            receivers,  # noqa: F401
            tasks,
        )
        from plugline.billing.selectors import billing_export
        from plugline.core.scheduling import register_periodic_job

        register_data_export_section("billing", billing_export)
        # Payments of a fee (billing.fees): the change of number's.
        from plugline.billing.fees import fee_kind_register
        from plugline.billing.models import PaymentKind
        from plugline.billing.number_changes import (
            number_change_applied_serials,
            number_change_declined,
        )
        from plugline.billing.receipts import number_change_invoice_lines

        fee_kind_register(
            PaymentKind.NUMBER_CHANGE,
            applied=number_change_applied_serials,
            declined=lambda payment: number_change_declined(payment=payment),
            invoice_lines=number_change_invoice_lines,
        )
        # The device API's /status: a device whose service is over is not "active".
        from plugline.billing.selectors import device_service_over
        from plugline.devices.line_status import register_service_over_lookup

        register_service_over_lookup(device_service_over)

        register_periodic_job(
            tasks.SETTLE_JOB_NAME, every=tasks.SETTLE_JOB_EVERY, func=tasks.settle_unknown_payments
        )
        from plugline.billing import notices, renewals

        register_periodic_job(
            renewals.RUN_JOB_NAME, every=renewals.RUN_JOB_EVERY, func=renewals.autorenew_run_job
        )
        register_periodic_job(
            notices.NOTICES_JOB_NAME,
            every=notices.NOTICES_JOB_EVERY,
            func=notices.autorenew_notices_send,
        )
        # The free trial: its start on activation (a receiver) and its conversion.
        from plugline.billing import trials

        register_periodic_job(
            trials.CONVERSIONS_JOB_NAME,
            every=trials.CONVERSIONS_JOB_EVERY,
            func=trials.trial_conversions,
        )
