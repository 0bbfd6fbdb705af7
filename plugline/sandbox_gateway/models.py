"""The sandbox PSP's own records: customers, card sessions, cards, charges, refunds, events.

A card is a token with its brand, last four digits, expiry and a keyed
fingerprint; the number and the security code are never stored. A charge is
unique per idempotency key, so that however often (and however concurrently)
Plugline asks, a key is charged at most once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from plugline.sandbox_gateway.cards import Behaviour


class SandboxConfig(models.Model):
    """How the sandbox misbehaves, for tests and benchmarks: one row (pk 1)."""

    latency_ms = models.PositiveIntegerField(
        default=0,
        help_text=_("Added to every call, as a network and bank would."),
        verbose_name=_("latency (ms)"),
    )
    timeout_rate = models.FloatField(
        default=0.0,
        help_text=_("Share of charges and refunds (0 to 1) done but whose answer is lost."),
        verbose_name=_("timeout rate"),
    )
    failure_rate = models.FloatField(
        default=0.0,
        help_text=_("Share of calls (0 to 1) that fail before reaching the sandbox."),
        verbose_name=_("failure rate"),
    )
    webhook_url = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Where events are posted; empty: SITE_URL + /billing/webhooks/sandbox/."),
        verbose_name=_("webhook URL"),
    )
    webhooks_enabled = models.BooleanField(default=True, verbose_name=_("webhooks enabled"))

    class Meta:
        verbose_name = _("sandbox configuration")
        verbose_name_plural = _("sandbox configuration")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="sandbox_config_single_row"),
            models.CheckConstraint(
                condition=Q(timeout_rate__gte=0, timeout_rate__lte=1),
                name="sandbox_timeout_rate_share",
            ),
            models.CheckConstraint(
                condition=Q(failure_rate__gte=0, failure_rate__lte=1),
                name="sandbox_failure_rate_share",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"latency {self.latency_ms} ms, timeouts {self.timeout_rate:.0%}, "
            f"failures {self.failure_rate:.0%}"
        )


class SandboxCustomer(models.Model):
    id = models.CharField(primary_key=True, max_length=40, verbose_name=_("ID"))
    email = models.EmailField(verbose_name=_("email"))
    idempotency_key = models.CharField(
        max_length=80, unique=True, verbose_name=_("idempotency key")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("sandbox customer")
        verbose_name_plural = _("sandbox customers")

    def __str__(self) -> str:
        return self.id


class SandboxCard(models.Model):
    token = models.CharField(primary_key=True, max_length=40, verbose_name=_("token"))
    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.CASCADE, related_name="cards", verbose_name=_("customer")
    )
    brand = models.CharField(max_length=20, verbose_name=_("brand"))
    last4 = models.CharField(max_length=4, verbose_name=_("last four digits"))
    exp_month = models.PositiveSmallIntegerField(verbose_name=_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(verbose_name=_("expiry year"))
    fingerprint = models.CharField(max_length=64, db_index=True, verbose_name=_("fingerprint"))
    behaviour = models.CharField(
        max_length=20, choices=Behaviour.choices, verbose_name=_("behaviour")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    removed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("removed at"))

    class Meta:
        verbose_name = _("sandbox card")
        verbose_name_plural = _("sandbox cards")

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"


class SessionStatus(models.TextChoices):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SandboxCardSession(models.Model):
    """One visit to the hosted card page, for one customer, back to `return_url`."""

    id = models.CharField(primary_key=True, max_length=60)
    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.CASCADE, related_name="card_sessions"
    )
    return_url = models.CharField(max_length=500)
    verify = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    card = models.ForeignKey(
        SandboxCard, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Refused cards so far: a session is closed after a few (card testing).
    refusals = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.id


class ChargeStatus(models.TextChoices):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"


class SandboxCharge(models.Model):
    id = models.CharField(primary_key=True, max_length=40, verbose_name=_("ID"))
    idempotency_key = models.CharField(
        max_length=80, unique=True, verbose_name=_("idempotency key")
    )
    customer = models.ForeignKey(
        SandboxCustomer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    card = models.ForeignKey(
        SandboxCard, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("card")
    )
    amount = models.PositiveIntegerField(verbose_name=_("amount"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    status = models.CharField(max_length=20, choices=ChargeStatus.choices, verbose_name=_("status"))
    decline_code = models.CharField(max_length=40, blank=True, verbose_name=_("decline code"))
    hard_decline = models.BooleanField(default=False, verbose_name=_("hard decline"))
    refunded_amount = models.PositiveIntegerField(default=0, verbose_name=_("refunded amount"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("amount")),
                name="sandbox_refund_at_most_the_charge",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.currency} ({self.status})"


class SandboxRefund(models.Model):
    id = models.CharField(primary_key=True, max_length=40, verbose_name=_("ID"))
    idempotency_key = models.CharField(
        max_length=80, unique=True, verbose_name=_("idempotency key")
    )
    charge = models.ForeignKey(
        SandboxCharge, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("charge")
    )
    amount = models.PositiveIntegerField(verbose_name=_("amount"))
    reason = models.CharField(max_length=200, blank=True, verbose_name=_("reason"))
    succeeded = models.BooleanField(verbose_name=_("succeeded"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("sandbox refund")
        verbose_name_plural = _("sandbox refunds")

    def __str__(self) -> str:
        return f"{self.id} {self.amount} of {self.charge_id}"


class SandboxEvent(models.Model):
    """A webhook event, written with what it tells and posted after the commit."""

    id = models.CharField(primary_key=True, max_length=40, verbose_name=_("ID"))
    type = models.CharField(max_length=60, verbose_name=_("type"))
    data = models.JSONField(verbose_name=_("details"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_response = models.CharField(max_length=200, blank=True, verbose_name=_("last response"))

    class Meta:
        verbose_name = _("sandbox event")
        verbose_name_plural = _("sandbox events")

    def __str__(self) -> str:
        return f"{self.id} {self.type}"
