"""International minutes: each account's balance, kept as a ledger.

Every credit (a top-up paid by card, a Re-Up card issued for minutes, a
refund) and every charge (an international call) is a row of its own, in
minor units of its currency, signed: credits positive, charges negative.
The balance is their sum (plugline.minutes.selectors.minutes_balance), never
a number edited in place. What each row comes from is unique in the
database: one credit per payment, one per Re-Up card (the card points at its
entry, plugline.reup), one charge per call.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MinutesEntryKind(models.TextChoices):
    TOP_UP = "top_up", _("top-up")
    CALL_CHARGE = "call_charge", _("call")
    REFUND = "refund", _("refund")
    ADJUSTMENT = "adjustment", _("adjustment")


class MinutesEntry(models.Model):
    # Kept, unlinked, when the account closes, like its payments (a Re-Up card and a
    # payment still point at their credit).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="minutes_entries",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MinutesEntryKind.choices)
    # Minor units, signed: credits positive, charges negative.
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # A top-up paid by card (one credit per payment); a refund of one may point at it too.
    payment = models.ForeignKey(
        "billing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="minutes_entries",
        verbose_name=_("payment"),
    )
    # A refund of a top-up by staff: the minutes it paid for, taken back (one entry per refund).
    refund = models.OneToOneField(
        "billing.Refund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="minutes_entry",
        verbose_name=_("refund"),
    )
    # The call a charge is for (one charge per call, written by the rating job).
    call_record = models.OneToOneField(
        "telephony.CallRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="minutes_entry",
        verbose_name=_("call"),
    )
    # A staff adjustment: who made it and why.
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("international minutes entry")
        verbose_name_plural = _("international minutes entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="top_up"),
                name="minutes_one_top_up_per_payment",
            ),
            models.CheckConstraint(
                condition=~Q(kind="top_up") | Q(amount__gt=0),
                name="minutes_top_up_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="call_charge") | Q(amount__lte=0, call_record__isnull=False),
                name="minutes_call_charge_of_a_call",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | (~Q(reason="") & ~Q(amount=0)),
                name="minutes_adjustment_with_reason",
            ),
        ]
        indexes = [
            # The balance (a sum per account, from the index alone on PostgreSQL) and the
            # account's last calls.
            models.Index(
                fields=["user", "kind", "created_at"],
                include=["amount"],
                name="minutes_entry_user_kind_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class TopUpStatus(models.TextChoices):
    PENDING = "pending", _("waiting for its payment")
    APPLIED = "applied", _("credited")
    DECLINED = "declined", _("declined")


class MinutesTopUp(models.Model):
    """A top-up by card: what its payment pays for (one row per payment).

    One top-up per account waits for its payment at a time (unique in the
    database); its credit is written when the payment succeeds
    (plugline.minutes.top_ups).
    """

    payment = models.OneToOneField(
        "billing.Payment",
        on_delete=models.PROTECT,
        related_name="minutes_top_up",
        verbose_name=_("payment"),
    )
    # Kept, unlinked, when the account closes, with its payment.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="minutes_top_ups",
        verbose_name=_("account"),
    )
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=TopUpStatus.choices, default=TopUpStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("credited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("international minutes top-up")
        verbose_name_plural = _("international minutes top-ups")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="minutes_one_pending_top_up_per_account",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="minutes_top_up_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.amount} {self.currency} ({self.status})"


class LowBalanceSetting(models.Model):
    """An account's low-balance top-up: opt-in; when the balance falls below `threshold`, the
    default card is charged `amount`, once per crossing, at most `monthly_cap` a calendar
    month (UTC). `armed` is set again once the balance is back at or above the threshold;
    `crossings` counts the times it fell below (plugline.minutes.low_balance)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="minutes_low_balance",
        verbose_name=_("account"),
    )
    enabled = models.BooleanField(_("low-balance top-up on"), default=False)
    threshold = models.PositiveIntegerField(_("threshold (minor units)"))
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    monthly_cap = models.PositiveIntegerField(_("monthly cap (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    armed = models.BooleanField(_("armed"), default=True)
    crossings = models.PositiveIntegerField(_("crossings"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("low-balance top-up")
        verbose_name_plural = _("low-balance top-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gt=0, amount__gt=0, monthly_cap__gte=F("amount")),
                name="minutes_low_balance_sensible",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.amount} below {self.threshold} ({self.currency})"


class LowBalanceAttemptStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RETRY = "retry", _("to be tried again")
    WAITING = "waiting", _("waiting for the payment's outcome")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    CAPPED = "capped", _("monthly cap reached")
    CANCELLED = "cancelled", _("cancelled")


class LowBalanceAttempt(models.Model):
    """One crossing below the threshold, and its charge (one row per crossing, unique):
    claimed by a worker for a while (`claimed_until`), its payment's key derived from the
    attempt and its try, as AutoRenew's (billing.renewals)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("account"),
    )
    crossing = models.PositiveIntegerField(_("crossing"))
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=LowBalanceAttemptStatus.choices,
        default=LowBalanceAttemptStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    payment = models.OneToOneField(
        "billing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payment"),
    )
    next_try_at = models.DateTimeField(_("next try at"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=80, blank=True, default="")
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("low-balance top-up attempt")
        verbose_name_plural = _("low-balance top-up attempts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "crossing"], name="minutes_one_attempt_per_crossing"
            )
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="minutes_low_balance_open")]

    def __str__(self) -> str:
        return f"{self.user_id} #{self.crossing} ({self.status})"


class UnratedCallReason(models.TextChoices):
    NO_RATE = "no_rate", _("no rate for the number")
    NO_ACCOUNT = "no_account", _("the calling device has no account")


class UnratedCall(models.Model):
    """An international call the rating job could not charge (no rate for its number at its
    start, or no account to charge): never charged silently, left here for staff (one row per
    call, unique; plugline.minutes.rating)."""

    call_record = models.OneToOneField(
        "telephony.CallRecord",
        on_delete=models.PROTECT,
        related_name="minutes_unrated",
        verbose_name=_("call"),
    )
    reason = models.CharField(_("reason"), max_length=12, choices=UnratedCallReason.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("unrated international call")
        verbose_name_plural = _("unrated international calls")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.call_record_id} ({self.reason})"
