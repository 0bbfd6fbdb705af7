"""The physical device, from the operator's inventory to a working line on an account.

A device is made with a secret device key, kept inside the device; Plugline
stores only the Ed25519 public key derived from it (see devices.keys), so that
it can check the device's signatures without being able to make them. The
short code printed on the label is stored as a keyed hash.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from plugline.core.phones import format_phone_number, normalize_phone_number


def validate_e164(value: str) -> None:
    if normalize_phone_number(value) != value:
        raise ValidationError(_("Enter the number in E.164 form, e.g. +12125550147."))


class DeviceModel(models.Model):
    """A kind of device the operator sells, with the picture the portal shows."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    # A path under the static files, e.g. "devices/plugline-usb.svg".
    picture = models.CharField(_("picture"), max_length=200, default="devices/plugline-usb.svg")
    # Months of service included with a device sold in a store (billing uses it).
    included_months = models.PositiveSmallIntegerField(_("months included"), default=0)
    # What the model sells for, in minor units of settings.BILLING_CURRENCY (0: not for sale);
    # upgrade offers show it beside their special price.
    price = models.PositiveIntegerField(
        _("price"),
        default=0,
        help_text=_("In cents of the billing currency, e.g. 7999 for $79.99."),
    )

    class Meta:
        verbose_name = _("device model")
        verbose_name_plural = _("device models")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeviceStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("in stock")
    SOLD_ONLINE = "sold_online", _("sold online")
    SOLD_IN_STORE = "sold_in_store", _("sold in store")
    ACTIVE = "active", _("active")
    RELEASED = "released", _("released")
    RETIRED = "retired", _("retired")


class WebOrder(models.Model):
    """An order from the operator's web shop: who bought, and (Device.web_order) what shipped."""

    number = models.CharField(_("order number"), max_length=40, unique=True)
    email = models.EmailField(_("buyer's email"))
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("web order")
        verbose_name_plural = _("web orders")
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.number


class Device(models.Model):
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    model = models.ForeignKey(
        DeviceModel, on_delete=models.PROTECT, related_name="devices", verbose_name=_("model")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeviceStatus.choices, default=DeviceStatus.IN_STOCK
    )
    # Ed25519 public key (32 bytes, base64) derived from the device key.
    public_key = models.CharField(_("public key"), max_length=64, blank=True)
    # Keyed hash of the code printed on the label (devices.keys.label_code_hash).
    label_code_hash = models.CharField(
        max_length=64, blank=True, verbose_name=_("label code (hash)")
    )
    web_order = models.ForeignKey(
        WebOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("web order"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("owner"),
    )
    # The service number, E.164; a device has at most one and a number
    # belongs to at most one device.
    phone_number = models.CharField(
        _("phone number"),
        max_length=16,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_e164],
    )
    nickname = models.CharField(_("nickname"), max_length=60, blank=True)
    # The E911 address: where emergency services are sent for calls from
    # this device (core.addresses.ADDRESS_FIELDS, prefixed).
    e911_street_address = models.CharField(
        max_length=200, blank=True, verbose_name=_("E911 street address")
    )
    e911_street_address_2 = models.CharField(
        max_length=200, blank=True, verbose_name=_("E911 street address, line 2")
    )
    e911_city = models.CharField(max_length=100, blank=True, verbose_name=_("E911 city"))
    e911_country_area = models.CharField(
        max_length=100, blank=True, verbose_name=_("E911 state or province")
    )
    e911_postal_code = models.CharField(
        max_length=20, blank=True, verbose_name=_("E911 postal code")
    )
    e911_country = models.CharField(max_length=2, blank=True, verbose_name=_("E911 country"))
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    # Set by staff (devices.services.device_suspend): the line is refused
    # whatever the service, until staff resume it. The reason is for staff.
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspension_reason = models.CharField(_("reason for the suspension"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phone_number__isnull=True)
                | models.Q(phone_number__startswith="+"),
                name="device_phone_number_e164",
            ),
            # An active device is on an account.
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(owner__isnull=False),
                name="device_active_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def phone_number_display(self) -> str:
        return format_phone_number(self.phone_number) if self.phone_number else ""

    @property
    def e911_address(self) -> dict[str, str]:
        from plugline.core.addresses import ADDRESS_FIELDS

        return {field: getattr(self, f"e911_{field}") for field in ADDRESS_FIELDS}


class DeviceChallenge(models.Model):
    """A one-time challenge that a device signs to prove it is there (see devices.presence)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="challenges")
    # SHA-256 of the challenge; the challenge itself is only ever in flight.
    challenge_hash = models.CharField(max_length=64, unique=True)
    # What asked for it: "activation:<uuid>" for the wizard, "agent" for the device API.
    purpose = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="device_challenge_expiry")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class ActivationStatus(models.TextChoices):
    OPEN = "open", _("open")
    COMPLETED = "completed", _("completed")
    ABANDONED = "abandoned", _("abandoned")


class PurchaseChannel(models.TextChoices):
    ONLINE = "online", _("On the website")
    STORE = "store", _("In a store")


class Activation(models.Model):
    """One customer's way through the activation wizard, saved step by step.

    The browser holds the id (in its session); a new account's details wait
    here, with the password already hashed, until the emailed code proves the
    email, and only then become an account.
    """

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    status = models.CharField(
        max_length=12,
        choices=ActivationStatus.choices,
        default=ActivationStatus.OPEN,
        verbose_name=_("status"),
    )
    device = models.ForeignKey(
        Device,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activations",
        verbose_name=_("device"),
    )
    # Until when the device counts as present (proved by signature, or by
    # serial and label code).
    present_until = models.DateTimeField(null=True, blank=True, verbose_name=_("present until"))
    purchase_channel = models.CharField(
        max_length=8,
        choices=PurchaseChannel.choices,
        blank=True,
        verbose_name=_("purchase channel"),
    )
    order_email_matched_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("order email matched at")
    )
    # An existing account that signed in to add the device...
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activations",
        verbose_name=_("user"),
    )
    # ... or the new account to create.
    first_name = models.CharField(max_length=150, blank=True, verbose_name=_("first name"))
    last_name = models.CharField(max_length=150, blank=True, verbose_name=_("last name"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    password_hash = models.CharField(max_length=256, blank=True, verbose_name=_("password (hash)"))
    # Contact address (the account's) and E911 address (the device's), as
    # core.addresses dicts.
    contact_address = models.JSONField(default=dict, blank=True, verbose_name=_("contact address"))
    e911_address = models.JSONField(default=dict, blank=True, verbose_name=_("E911 address"))
    # The number held for this wizard (telephony reserves it).
    phone_number = models.CharField(max_length=16, blank=True, verbose_name=_("phone number"))
    terms_version = models.CharField(max_length=20, blank=True, verbose_name=_("terms version"))
    terms_accepted_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("terms accepted at")
    )
    # The emailed activation code: a hash, when it was sent and stops
    # working, and the wrong tries against it.
    code_hash = models.CharField(max_length=128, blank=True, verbose_name=_("code (hash)"))
    code_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("code sent at"))
    code_expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("code expires at"))
    code_failures = models.PositiveSmallIntegerField(default=0, verbose_name=_("wrong codes"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    # "Start Trial": the wizard signs a new account up for a free trial. Its
    # sign-up answers (plan, the gateway's customer and card token, brand,
    # last four, expiry) are billing's, kept here until the account exists;
    # the card's fingerprint is a column so that a completed trial holds it
    # once (one trial per card, and per device).
    trial = models.BooleanField(default=False, verbose_name=_("free trial"))
    trial_signup = models.JSONField(default=dict, blank=True, verbose_name=_("free trial sign-up"))
    trial_card_fingerprint = models.CharField(
        max_length=64, blank=True, verbose_name=_("free trial card fingerprint")
    )

    class Meta:
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        indexes = [models.Index(fields=["status", "updated_at"], name="activation_status_updated")]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(trial=True, status="completed"),
                name="one_trial_per_device",
            ),
            models.UniqueConstraint(
                fields=["trial_card_fingerprint"],
                condition=Q(trial=True, status="completed"),
                name="one_trial_per_card",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)

    @property
    def holder(self) -> str:
        """How this wizard is named on the number it reserves."""
        return f"activation:{self.id}"


class TermsAcceptance(models.Model):
    """Who accepted which version of the terms of service, when, for which device."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    device = models.ForeignKey(
        Device, null=True, on_delete=models.SET_NULL, related_name="terms_acceptances"
    )
    version = models.CharField(max_length=20)
    accepted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.version} {self.accepted_at:%Y-%m-%d %H:%M}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the owner")
    APPROVED = "approved", _("approved")
    DECLINED = "declined", pgettext_lazy("transfer request status", "declined")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class TransferRequest(models.Model):
    """A request, from someone holding a used device, that its owner release it to them."""

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="transfer_requests", verbose_name=_("device")
    )
    # The owner at the time of the request: an approval counts only while
    # the device is still theirs.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="transfer_requests",
        verbose_name=_("owner"),
    )
    activation = models.ForeignKey(
        Activation,
        on_delete=models.CASCADE,
        related_name="transfer_requests",
        verbose_name=_("activation"),
    )
    # SHA-256 of the token in the owner's approve and decline links.
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("token (hash)"))
    # Where to tell the person who asked of the answer (optional), and in
    # which language: they may have no account yet.
    notify_email = models.EmailField(blank=True, verbose_name=_("email to notify"))
    notify_language = models.CharField(
        max_length=10, blank=True, verbose_name=_("language of the notice")
    )
    status = models.CharField(
        max_length=12,
        choices=TransferStatus.choices,
        default=TransferStatus.PENDING,
        verbose_name=_("status"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "activation"],
                condition=models.Q(status="pending"),
                name="one_pending_transfer_per_wizard",
            )
        ]

    def __str__(self) -> str:
        return f"{self.device} ({self.status})"
