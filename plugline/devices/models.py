"""The physical device and the phone number it gives a household."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from plugline.core.phones import format_phone_number, normalize_phone_number


def validate_e164(value: str) -> None:
    if normalize_phone_number(value) != value:
        raise ValidationError(_("Enter the number in E.164 form, e.g. +12125550147."))


class Device(models.Model):
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
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
    created_at = models.DateTimeField(auto_now_add=True)

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
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def phone_number_display(self) -> str:
        return format_phone_number(self.phone_number) if self.phone_number else ""
