from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "plugline.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from plugline.billing import receivers  # noqa: F401
        from plugline.billing import tasks
        from plugline.core.scheduling import register_periodic_job

        register_periodic_job(
            tasks.SETTLE_JOB_NAME, every=tasks.SETTLE_JOB_EVERY, func=tasks.settle_unknown_payments
        )
        # The free trial: its start on activation (a receiver) and its conversion.
        from plugline.billing import trials

        register_periodic_job(
            trials.CONVERSIONS_JOB_NAME,
            every=trials.CONVERSIONS_JOB_EVERY,
            func=trials.trial_conversions,
        )
