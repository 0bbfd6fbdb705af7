"""Device upgrades: the offers staff make, and the orders subscribers pay for.

An offer sells a device model at a special price to the devices it names
(older than some years, and/or of some models) between two dates. An order
is one subscriber's upgrade of one of their devices: written with its payment
before the gateway is asked (one order per payment), then advanced by staff
(shipped with a tracking number and the new device's serial, delivered, or
cancelled with a refund), and taken over, once, when the new device is
activated (plugline.upgrades.takeover).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from plugline.core.addresses import ADDRESS_FIELDS


class UpgradeOffer(models.Model):
    """A device model at a special price for the devices that qualify, from and until dates."""

    name = models.CharField(_("name"), max_length=80)
    model = models.ForeignKey(
        "devices.DeviceModel",
        on_delete=models.PROTECT,
        related_name="upgrade_offers",
        verbose_name=_("model offered"),
    )
    price = models.PositiveIntegerField(
        _("special price"),
        help_text=_("In cents of the billing currency, e.g. 2999 for $29.99."),
    )
    min_age_years = models.PositiveSmallIntegerField(
        _("for devices at least this many years old"),
        null=True,
        blank=True,
        help_text=_("Counted from the device's activation. Empty: any age."),
    )
    eligible_models = models.ManyToManyField(
        "devices.DeviceModel",
        blank=True,
        related_name="+",
        verbose_name=_("for devices of these models"),
        help_text=_("Empty: any model."),
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("upgrade offer")
        verbose_name_plural = _("upgrade offers")
        ordering = ["price", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="upgrade_offer_price_positive"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="upgrade_offer_valid_forward",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UpgradeOrderStatus(models.TextChoices):
    PENDING = "pending", _("waiting for its payment")
    DECLINED = "declined", pgettext_lazy("upgrade order status", "payment declined")
    PAID = "paid", _("paid")
    SHIPPED = "shipped", _("shipped")
    DELIVERED = "delivered", _("delivered")
    # Claimed for a refund (one refund only); cancelled once the gateway refunded it.
    CANCELLING = "cancelling", _("being cancelled")
    CANCELLED = "cancelled", _("cancelled and refunded")


class UpgradeOrder(models.Model):
    """One subscriber's upgrade of one of their devices, paid by one payment."""

    payment = models.OneToOneField(
        "billing.Payment",
        on_delete=models.PROTECT,
        related_name="upgrade_order",
        verbose_name=_("payment"),
    )
    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.PROTECT,
        related_name="upgrade_orders",
        verbose_name=_("device upgraded"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="upgrade_orders",
        verbose_name=_("ordered by"),
    )
    offer = models.ForeignKey(
        UpgradeOffer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("offer")
    )
    model = models.ForeignKey(
        "devices.DeviceModel",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("model ordered"),
    )
    price = models.PositiveIntegerField(_("price paid"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=UpgradeOrderStatus.choices,
        default=UpgradeOrderStatus.PENDING,
    )
    # Where the new device goes (core.addresses.ADDRESS_FIELDS, prefixed), checked like
    # the E911 address.
    ship_street_address = models.CharField(_("street address"), max_length=200)
    ship_street_address_2 = models.CharField(
        _("street address, line 2"), max_length=200, blank=True
    )
    ship_city = models.CharField(_("city"), max_length=100)
    ship_country_area = models.CharField(_("state or province"), max_length=100, blank=True)
    ship_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    ship_country = models.CharField(_("country"), max_length=2)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    # The serial of the device shipped: its activation takes the old device's line over.
    new_serial = models.CharField(_("serial of the new device"), max_length=40, blank=True)
    new_device = models.OneToOneField(
        "devices.Device",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="upgraded_from",
        verbose_name=_("new device"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    taken_over_at = models.DateTimeField(_("taken over at"), null=True, blank=True)

    class Meta:
        verbose_name = _("upgrade order")
        verbose_name_plural = _("upgrade orders")
        ordering = ["-created_at"]
        constraints = [
            # One order waiting for its payment per device and owner (two tabs pay once).
            models.UniqueConstraint(
                fields=["device", "owner"],
                condition=Q(status="pending"),
                name="one_pending_upgrade_per_device",
            ),
            # One device shipped is one open order's (its activation takes over one line); a
            # device back in stock from a cancelled order can be sent on another.
            models.UniqueConstraint(
                fields=["new_serial"],
                condition=~Q(new_serial="") & ~Q(status="cancelled"),
                name="upgrade_new_serial_once",
            ),
            models.CheckConstraint(
                condition=Q(taken_over_at__isnull=True) | Q(new_device__isnull=False),
                name="upgrade_taken_over_has_device",
            ),
            models.CheckConstraint(
                condition=~Q(status="shipped") | ~Q(new_serial=""),
                name="upgrade_shipped_has_serial",
            ),
        ]

    def __str__(self) -> str:
        # The status as staff read it, in their language (the admin's titles and forms).
        return f"{self.device} → {self.model} ({self.get_status_display()})"

    @property
    def shipping_address(self) -> dict[str, str]:
        return {field: getattr(self, f"ship_{field}") for field in ADDRESS_FIELDS}
