"""Re-Up cards: prepaid periods of service, or international minutes, sold for cash in stores.

A batch says what its cards give: a plan's period of service for a device
(kind "service"), or an amount of international minutes for the account's
balance (kind "minutes", plugline.minutes).

A card is printed with a serial (not secret) and a 16-digit PIN. Plugline
keeps only a keyed hash of the PIN (see plugline.reup.pins); the PINs exist
in clear once, in the batch's printer file, which can be downloaded once.
A card is worthless until the till activates it (POS API), is redeemed
once, and can be voided when returned:

    printed -> activated -> redeemed
       |           |
       +-> voided <+
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plugline.billing.models import Plan, SubscriptionPeriod
from plugline.core.money import money_format
from plugline.stores.models import RetailChain


class RetailerApiKey(models.Model):
    """A chain's key for the POS API. Shown once when made; stored as a hash; revocable."""

    chain = models.ForeignKey(
        RetailChain, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("chain")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Where it is used."))
    # The key's public part ("plr_" + prefix + "_" + secret): finds the row without the secret.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False, verbose_name=_("secret (hash)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("retailer API key")
        verbose_name_plural = _("retailer API keys")
        ordering = ["chain", "-created_at"]

    def __str__(self) -> str:
        return f"{self.chain}: {self.name} (plr_{self.prefix}_…)"


class ReupBatchKind(models.TextChoices):
    SERVICE = "service", _("service (a plan's period)")
    MINUTES = "minutes", _("international minutes")


class ReupBatch(models.Model):
    chain = models.ForeignKey(
        RetailChain, on_delete=models.PROTECT, related_name="reup_batches", verbose_name=_("chain")
    )
    kind = models.CharField(
        _("cards give"), max_length=10, choices=ReupBatchKind.choices, default=ReupBatchKind.SERVICE
    )
    # Service cards: the plan whose period they give.
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("plan"),
    )
    # Minutes cards: the amount each adds to the balance, in minor units of `minutes_currency`.
    minutes_amount = models.PositiveIntegerField(
        _("international minutes (minor units)"), null=True, blank=True
    )
    minutes_currency = models.CharField(
        _("currency of the minutes"), max_length=3, blank=True, default=""
    )
    count = models.PositiveIntegerField(_("number of cards"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Set when the printer file was downloaded: the PINs were made then, and cannot be again.
    exported_at = models.DateTimeField(_("printer file downloaded at"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("exported by"),
    )

    class Meta:
        verbose_name = _("Re-Up batch")
        verbose_name_plural = _("Re-Up batches")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(count__gt=0), name="reup_batch_count_positive"),
            models.CheckConstraint(
                condition=Q(kind="service", plan__isnull=False, minutes_amount__isnull=True)
                | Q(kind="minutes", plan__isnull=True, minutes_amount__gt=0)
                & ~Q(minutes_currency=""),
                name="reup_batch_gives_a_plan_or_minutes",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.chain} {self.gives_code} x{self.count}"

    @property
    def gives_display(self) -> str:
        """What its cards give, for people: the plan, or "International minutes: $10.00"."""
        if self.kind == ReupBatchKind.MINUTES:
            return gettext("International minutes: %(amount)s") % {
                "amount": money_format(self.minutes_amount or 0, self.minutes_currency)
            }
        return str(self.plan)

    @property
    def gives_code(self) -> str:
        """What its cards give, for files and the POS API: the plan's code, or "minutes-1000"."""
        if self.kind == ReupBatchKind.MINUTES:
            return f"minutes-{self.minutes_amount}"
        return self.plan.code if self.plan is not None else ""


class ReupCardStatus(models.TextChoices):
    PRINTED = "printed", _("printed")
    ACTIVATED = "activated", _("activated (sold)")
    REDEEMED = "redeemed", _("redeemed")
    VOIDED = "voided", _("voided")


class ReupCard(models.Model):
    batch = models.ForeignKey(
        ReupBatch, on_delete=models.PROTECT, related_name="cards", verbose_name=_("batch")
    )
    serial = models.CharField(_("serial"), max_length=20, unique=True)
    # HMAC of the PIN (plugline.reup.pins.pin_hash); empty until the printer file is made.
    pin_hash = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        verbose_name=_("PIN (hash)"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReupCardStatus.choices, default=ReupCardStatus.PRINTED
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(
        RetailerApiKey,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("activated by"),
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("redeemed by"),
    )
    period = models.OneToOneField(
        SubscriptionPeriod,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reup_card",
        verbose_name=_("service period"),
    )
    # A minutes card's credit in the account's ledger (one per card).
    minutes_entry = models.OneToOneField(
        "minutes.MinutesEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reup_card",
        verbose_name=_("international minutes credit"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("Re-Up card")
        verbose_name_plural = _("Re-Up cards")
        ordering = ["serial"]
        # The staff reports' redemptions per week (plugline.reports).
        indexes = [models.Index(fields=["status", "redeemed_at"], name="reup_card_redeemed")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="redeemed")
                | Q(period__isnull=False)
                | Q(minutes_entry__isnull=False),
                name="reup_redeemed_card_has_period",
            ),
        ]

    def __str__(self) -> str:
        return self.serial


class ReupRedeemFailure(models.Model):
    """One refused or throttled try at redeeming a PIN (never the PIN itself).

    Kept a day, to count bursts of failures per account, per client address
    and for the whole site across every web process (plugline.reup.guarding).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("account"),
    )
    ip_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    throttled = models.BooleanField(_("throttled"), default=False)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed Re-Up redemption")
        verbose_name_plural = _("failed Re-Up redemptions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="reup_failure_user_at"),
            models.Index(fields=["ip_address", "created_at"], name="reup_failure_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.ip_address or ''}"
