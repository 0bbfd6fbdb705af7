from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpgradesConfig(AppConfig):
    name = "plugline.upgrades"
    label = "upgrades"
    verbose_name = _("Device upgrades")

    def ready(self) -> None:
        from plugline.accounts.data_export import register_data_export_section
        from plugline.upgrades.selectors import upgrade_orders_export

        register_data_export_section("upgrade_orders", upgrade_orders_export)
        # The activation wizard of an upgrade's new device has no number to choose.
        from plugline.devices.wizard.state import register_kept_number_lookup
        from plugline.upgrades.takeover import upgrade_number_kept

        register_kept_number_lookup(upgrade_number_kept)
        # Payments of a device upgrade (billing.fees): what their success and decline do,
        # and their receipt's line.
        from plugline.billing.fees import fee_kind_register
        from plugline.billing.models import PaymentKind
        from plugline.upgrades import receivers  # noqa: F401
        from plugline.upgrades.orders import (
            upgrade_order_applied_serials,
            upgrade_order_declined,
            upgrade_order_invoice_lines,
            upgrade_order_refunded,
        )

        fee_kind_register(
            PaymentKind.DEVICE_UPGRADE,
            applied=upgrade_order_applied_serials,
            declined=lambda payment: upgrade_order_declined(payment=payment),
            invoice_lines=upgrade_order_invoice_lines,
            refunded=upgrade_order_refunded,
        )
