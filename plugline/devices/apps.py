from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    name = "plugline.devices"
    label = "devices"
    verbose_name = _("Devices")

    def ready(self) -> None:
        from plugline.accounts.closing import register_account_closing_hook
        from plugline.accounts.data_export import register_data_export_section
        from plugline.accounts.identifiers import register_phone_number_lookup
        from plugline.core.scheduling import register_periodic_job
        from plugline.devices.importing import device_numbers_in_use
        from plugline.devices.presence import challenges_expired_delete
        from plugline.devices.selectors import device_export, device_owner_id_for_number
        from plugline.devices.services import release_devices_of_closing_account
        from plugline.devices.wizard import tasks as wizard_tasks
        from plugline.telephony.importing import register_numbers_in_use_lookup

        register_periodic_job(
            wizard_tasks.JOB_NAME,
            every=wizard_tasks.JOB_EVERY,
            func=wizard_tasks.abandon_idle_activations,
        )
        register_periodic_job(
            wizard_tasks.DELETE_JOB_NAME,
            every=wizard_tasks.DELETE_JOB_EVERY,
            func=wizard_tasks.delete_abandoned_activations,
        )
        register_periodic_job(
            "devices.delete_expired_challenges",
            every=timedelta(minutes=10),
            func=challenges_expired_delete,
        )
        register_phone_number_lookup(device_owner_id_for_number)
        register_data_export_section("devices", device_export)
        register_account_closing_hook(release_devices_of_closing_account)
        register_numbers_in_use_lookup(device_numbers_in_use)
