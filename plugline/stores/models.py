"""Retail chains and their stores: where customers buy devices and Re-Up cards.

Stores come from the chains' own lists (`import_stores`) and are found by
distance from a place (see plugline.stores.search); `(latitude, longitude)`
is indexed for the bounding-box search.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RetailChain(models.Model):
    """A retailer: sells devices and Re-Up cards in its stores, and holds POS API keys."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("retail chain")
        verbose_name_plural = _("retail chains")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    chain = models.ForeignKey(
        RetailChain, on_delete=models.PROTECT, related_name="stores", verbose_name=_("chain")
    )
    # The chain's own number for the store: a second import of the same list updates it.
    external_id = models.CharField(_("store number"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state or province"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20)
    # Upper case, no spaces or dashes ("H2X 1Y4" -> "H2X1Y4"): what searches compare.
    postal_code_key = models.CharField(
        max_length=20, editable=False, verbose_name=_("postal code (for search)")
    )
    country = models.CharField(_("country"), max_length=2)
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Opening hours in the OpenStreetMap syntax ("Mo-Fr 08:00-21:00; Sa 09:00-18:00"),
    # shown with the day names of the reader's language.
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    sells_devices = models.BooleanField(_("sells devices"), default=False)
    sells_reup_cards = models.BooleanField(_("sells Re-Up cards"), default=False)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["chain", "name"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "external_id"], name="store_number_per_chain"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="store_coordinates_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="store_lat_lon"),
            models.Index(fields=["country", "postal_code_key"], name="store_postal_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.postal_code_key = postal_code_key(self.postal_code)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def postal_code_key(value: str) -> str:
    """A postal code as searches compare it: upper case, letters and digits only."""
    return "".join(ch for ch in value.upper() if ch.isalnum())
