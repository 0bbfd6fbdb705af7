"""The sandbox PSP's own records: customers, card sessions, cards, charges, refunds, events.

A card is a token with its brand, last four digits, expiry and a keyed
fingerprint; the number and the security code are never stored. A charge is
unique per idempotency key, so that however often (and however concurrently)
Plugline asks, a key is charged at most once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from plugline.sandbox_gateway.cards import Behaviour


class SandboxConfig(models.Model):
    """How the sandbox misbehaves, for tests and benchmarks: one row (pk 1)."""

    latency_ms = models.PositiveIntegerField(
        default=0, help_text="Added to every call, as a network and bank would."
    )
    timeout_rate = models.FloatField(
        default=0.0,
        help_text="Share of charges and refunds (0 to 1) done but whose answer is lost.",
    )
    failure_rate = models.FloatField(
        default=0.0,
        help_text="Share of calls (0 to 1) that fail before reaching the sandbox.",
    )
    webhook_url = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where events are posted; empty: SITE_URL + /billing/webhooks/sandbox/.",
    )
    webhooks_enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "configuration"
        verbose_name_plural = "configuration"
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
    id = models.CharField(primary_key=True, max_length=40)
    email = models.EmailField()
    idempotency_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.id


class SandboxCard(models.Model):
    token = models.CharField(primary_key=True, max_length=40)
    customer = models.ForeignKey(SandboxCustomer, on_delete=models.CASCADE, related_name="cards")
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    fingerprint = models.CharField(max_length=64, db_index=True)
    behaviour = models.CharField(max_length=20, choices=Behaviour.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

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
    id = models.CharField(primary_key=True, max_length=40)
    idempotency_key = models.CharField(max_length=80, unique=True)
    customer = models.ForeignKey(SandboxCustomer, on_delete=models.PROTECT, related_name="+")
    card = models.ForeignKey(SandboxCard, null=True, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=ChargeStatus.choices)
    decline_code = models.CharField(max_length=40, blank=True)
    hard_decline = models.BooleanField(default=False)
    refunded_amount = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=F("amount")),
                name="sandbox_refund_at_most_the_charge",
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.currency} ({self.status})"


class SandboxRefund(models.Model):
    id = models.CharField(primary_key=True, max_length=40)
    idempotency_key = models.CharField(max_length=80, unique=True)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    succeeded = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.id} {self.amount} of {self.charge_id}"


class SandboxEvent(models.Model):
    """A webhook event, written with what it tells and posted after the commit."""

    id = models.CharField(primary_key=True, max_length=40)
    type = models.CharField(max_length=60)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_response = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.id} {self.type}"
