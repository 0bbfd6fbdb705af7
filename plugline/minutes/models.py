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
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MinutesEntryKind(models.TextChoices):
    TOP_UP = "top_up", _("top-up")
    CALL_CHARGE = "call_charge", _("call")
    REFUND = "refund", _("refund")
    ADJUSTMENT = "adjustment", _("adjustment")


class MinutesEntry(models.Model):
    # The ledger belongs to the account: it goes when the account is deleted
    # (its payments are kept, unlinked, by billing).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
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
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
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
