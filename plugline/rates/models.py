"""The rate deck: what a minute to an international destination costs.

A rate belongs to a destination prefix (E.164 digits without "+": "44" for
the United Kingdom, "447" for its mobiles) from a moment on (`valid_from`):
a newer rate of the same prefix replaces it from its own `valid_from`. The
rate of a number is the one of its longest prefix (see plugline.rates.lookup);
the (prefix, valid_from) unique index answers that lookup. Numbers starting
with 1 (the US and Canada, the North American Numbering Plan) are free and
never rated, so no prefix starts with 1.

Amounts are minor units (cents) of `currency`, the billing currency at import.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# The languages other than English that a destination's name is kept in
# (`destination_<code>`), as plans keep theirs.
TRANSLATED_NAME_LANGUAGES = ("fr", "da")
PREFIX_MAX_LENGTH = 15  # E.164: at most 15 digits


class Rate(models.Model):
    prefix = models.CharField(_("prefix"), max_length=PREFIX_MAX_LENGTH)
    # The country the prefix dials (ISO 3166-1 alpha-2), found from the prefix at import.
    country = models.CharField(_("country"), max_length=2, blank=True)
    # The name callers read: `destination` in English (and in any language
    # without its own), `destination_fr` and `destination_da` in French and Danish.
    destination = models.CharField(_("destination"), max_length=100)
    destination_fr = models.CharField(_("destination in French"), max_length=100, blank=True)
    destination_da = models.CharField(_("destination in Danish"), max_length=100, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    price_per_minute = models.PositiveIntegerField(_("price per minute in minor units"))
    connection_fee = models.PositiveIntegerField(_("connection fee in minor units"), default=0)
    first_increment = models.PositiveSmallIntegerField(_("first increment in seconds"))
    next_increment = models.PositiveSmallIntegerField(_("next increments in seconds"))
    valid_from = models.DateTimeField(_("valid from"))
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ["prefix", "-valid_from"]
        constraints = [
            # Also the index of the longest-prefix lookup (prefix IN (...), valid_from <= at).
            models.UniqueConstraint(
                fields=["prefix", "valid_from"], name="rate_one_per_prefix_from"
            ),
            models.CheckConstraint(
                condition=Q(prefix__regex=r"^[02-9][0-9]*$"), name="rate_prefix_digits_not_nanp"
            ),
            models.CheckConstraint(
                condition=Q(first_increment__gt=0, next_increment__gt=0),
                name="rate_increments_positive",
            ),
        ]
        indexes = [models.Index(fields=["country", "prefix"], name="rate_country_prefix")]

    def __str__(self) -> str:
        return f"+{self.prefix} {self.display_name()}"

    def display_name(self, language: str | None = None) -> str:
        """The destination in `language` (the active language by default), else in English."""
        code = (language or translation.get_language() or "").split("-")[0].lower()
        translated = (
            getattr(self, f"destination_{code}", "") if code in TRANSLATED_NAME_LANGUAGES else ""
        )
        return str(translated or self.destination)
