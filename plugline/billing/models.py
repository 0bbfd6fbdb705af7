"""Money: plans and prices, subscriptions and their periods, cards on file, payments.

Amounts are integers in minor units (cents, øre) with an ISO 4217 currency.
A payment is written, with its idempotency key, before the gateway is
called; what it pays for is applied once, by the unique constraints on
SubscriptionPeriod (one period per payment item), whatever is retried.
Payments and refunds are kept when an account closes (see README).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from plugline.core.money import money_format

# The languages other than English that a plan's name is kept in (`name_<code>`).
TRANSLATED_NAME_LANGUAGES = ("fr", "da")


class Plan(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    # The name customers read: `name` in English (and in any language without
    # its own), `name_fr` and `name_da` in French and Danish.
    name = models.CharField(_("name"), max_length=80)
    name_fr = models.CharField(_("name in French"), max_length=80, blank=True)
    name_da = models.CharField(_("name in Danish"), max_length=80, blank=True)
    months = models.PositiveSmallIntegerField(_("length in months"))
    autorenew_allowed = models.BooleanField(_("AutoRenew allowed"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["months", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(months__gt=0), name="plan_months_positive")
        ]

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self, language: str | None = None) -> str:
        """The plan's name in `language` (the active language by default), else `name`."""
        code = (language or translation.get_language() or "").split("-")[0].lower()
        translated = getattr(self, f"name_{code}", "") if code in TRANSLATED_NAME_LANGUAGES else ""
        return str(translated or self.name)


class PlanPrice(models.Model):
    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="prices", verbose_name=_("plan")
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.PositiveIntegerField(_("amount in minor units"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"], name="one_price_per_currency"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.amount} {self.currency}"


class Subscription(models.Model):
    """A device's service: paid (or trial) until `ends_at`.

    The status (trial, active, grace, expired) is derived from the dates (see
    billing.periods); AutoRenew renews with `autorenew_plan` on the card on file.
    """

    device = models.OneToOneField(
        "devices.Device",
        on_delete=models.PROTECT,
        related_name="subscription",
        verbose_name=_("device"),
    )
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=_("plan"),
    )
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    trial_ends_at = models.DateTimeField(_("trial ends at"), null=True, blank=True)
    autorenew = models.BooleanField(_("AutoRenew"), default=False)
    autorenew_plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("AutoRenew plan"),
    )
    # A trial that the customer cancelled does not convert at its end.
    trial_cancelled_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("trial cancelled at")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [
            models.Index(fields=["autorenew", "ends_at"], name="subscription_autorenew_due"),
            models.Index(fields=["trial_ends_at"], name="subscription_trial_end"),
        ]

    def __str__(self) -> str:
        if self.ends_at is None:
            return str(self.device)
        # As staff read it in the admin, in their language.
        return gettext("%(device)s until %(date)s") % {
            "device": self.device,
            "date": date_format(timezone.localtime(self.ends_at), "SHORT_DATE_FORMAT"),
        }


class CustomerAccount(models.Model):
    """The account's customer at the payment gateway."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_customer"
    )
    gateway = models.CharField(max_length=20)
    gateway_customer_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_customer_id"], name="one_account_per_gateway_customer"
            )
        ]

    def __str__(self) -> str:
        return self.gateway_customer_id


class PaymentMethod(models.Model):
    """A card on file: only the gateway's token, the brand, the last four digits and the expiry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="payment_methods",
        verbose_name=_("user"),
    )
    gateway = models.CharField(max_length=20, verbose_name=_("gateway"))
    token = models.CharField(max_length=64, verbose_name=_("token"))
    brand = models.CharField(_("brand"), max_length=20)
    last4 = models.CharField(_("last four digits"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(_("expiry year"))
    # A fingerprint of the card from the gateway (one trial per card).
    fingerprint = models.CharField(
        max_length=64, blank=True, db_index=True, verbose_name=_("fingerprint")
    )
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    removed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("removed at"))

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "token"], name="one_card_per_token"),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True, removed_at__isnull=True),
                name="one_default_card_per_account",
            ),
        ]
        # Staff find a customer by a card's last four digits and expiry (backoffice).
        indexes = [
            models.Index(fields=["last4", "exp_month", "exp_year"], name="card_last4_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("pending")  # written, gateway not answered yet
    SUCCEEDED = "succeeded", _("succeeded")
    REQUIRES_ACTION = "requires_action", _("needs the cardholder")
    DECLINED = "declined", pgettext_lazy("payment status", "declined")
    UNKNOWN = "unknown", _("unknown")  # the gateway's answer was lost: settle later
    REFUNDED = "refunded", _("refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")


class PaymentKind(models.TextChoices):
    CHECKOUT = "checkout", _("online renewal")
    AUTORENEW = "autorenew", _("AutoRenew")
    TRIAL_CONVERSION = "trial_conversion", _("end of free trial")
    NUMBER_CHANGE = "number_change", _("change of number")
    # Fees of their own apps (billing.fees): international minutes, a new device.
    MINUTES_TOP_UP = "minutes_top_up", _("international minutes")
    DEVICE_UPGRADE = "device_upgrade", _("device upgrade")


class Payment(models.Model):
    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("ID")
    )
    # Kept when the account closes (payments are kept, unlinked).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        verbose_name=_("user"),
    )
    kind = models.CharField(max_length=20, choices=PaymentKind.choices, verbose_name=_("kind"))
    # Written before the gateway is called; the gateway sees the same key on
    # every retry, so it charges at most once.
    idempotency_key = models.CharField(
        max_length=80, unique=True, verbose_name=_("idempotency key")
    )
    amount = models.PositiveIntegerField(_("amount in minor units"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        max_length=20,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        verbose_name=_("status"),
    )
    payment_method = models.ForeignKey(
        PaymentMethod,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        verbose_name=_("card"),
    )
    card_brand = models.CharField(max_length=20, blank=True, verbose_name=_("card brand"))
    card_last4 = models.CharField(
        max_length=4, blank=True, verbose_name=_("card's last four digits")
    )
    gateway = models.CharField(max_length=20, verbose_name=_("gateway"))
    gateway_charge_id = models.CharField(
        max_length=64, blank=True, verbose_name=_("gateway's charge ID")
    )
    decline_code = models.CharField(max_length=40, blank=True, verbose_name=_("decline code"))
    # Invoice numbers are given when a payment succeeds, in order.
    invoice_number = models.PositiveIntegerField(
        null=True, blank=True, unique=True, verbose_name=_("invoice number")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    settled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("settled at"))
    refunded_amount = models.PositiveIntegerField(default=0, verbose_name=_("refunded amount"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("amount")),
                name="refund_at_most_the_payment",
            ),
        ]

    def __str__(self) -> str:
        # As staff read it where a page names a payment (the admin), in their language.
        return f"{money_format(self.amount, self.currency)} ({self.get_status_display()})"


class PaymentItem(models.Model):
    """What one payment pays for: a plan's period on one device."""

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="items", verbose_name=_("payment")
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.PROTECT,
        related_name="payment_items",
        verbose_name=_("subscription"),
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan")
    )
    amount = models.PositiveIntegerField(verbose_name=_("amount"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "subscription"], name="one_item_per_device_per_payment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} for {self.subscription_id}"


class NumberChangeStatus(models.TextChoices):
    PENDING = "pending", _("waiting for its payment")
    APPLIED = "applied", _("done")
    DECLINED = "declined", pgettext_lazy("number change status", "payment declined")
    # Paid, but the line could not move (the device left its owner meanwhile): staff refund it.
    FAILED = "failed", _("failed")


class NumberChange(models.Model):
    """A subscriber's change of their device's number: one payment, applied once.

    Written with its payment, before the gateway is asked (one row per
    payment); the payment's success moves the line under the payment's lock
    (billing.number_changes). A device has at most one change waiting for
    its payment per owner.
    """

    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        related_name="number_change",
        verbose_name=_("payment"),
    )
    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.CASCADE,
        related_name="number_changes",
        verbose_name=_("device"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    old_number = models.CharField(_("old number"), max_length=16)
    new_number = models.CharField(_("new number"), max_length=16)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=NumberChangeStatus.choices,
        default=NumberChangeStatus.PENDING,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("change of number")
        verbose_name_plural = _("changes of number")
        ordering = ["-created_at"]
        constraints = [
            # Per owner: a change left pending by the device's last owner (it will fail
            # when paid) does not hold up the next one's.
            models.UniqueConstraint(
                fields=["device", "requested_by"],
                condition=Q(status="pending"),
                name="one_pending_number_change_per_owner",
            ),
            models.CheckConstraint(
                condition=Q(applied_at__isnull=True) | Q(status="applied"),
                name="number_change_applied_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.old_number} → {self.new_number} ({self.status})"


class PeriodSource(models.TextChoices):
    PAYMENT = "payment", _("payment")
    TRIAL = "trial", _("free trial")
    INCLUDED = "included", _("included with the device")
    REUP = "reup", _("Re-Up card")
    STAFF = "staff", _("added by staff")


class SubscriptionPeriod(models.Model):
    """One extension of a subscription, with what paid for it. Applied exactly once."""

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.PROTECT,
        related_name="periods",
        verbose_name=_("subscription"),
    )
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("plan"),
    )
    starts_at = models.DateTimeField(verbose_name=_("starts at"))
    ends_at = models.DateTimeField(verbose_name=_("ends at"))
    source = models.CharField(max_length=10, choices=PeriodSource.choices, verbose_name=_("source"))
    payment_item = models.OneToOneField(
        PaymentItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="period",
        verbose_name=_("payment item"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["starts_at"]
        # For the staff reports (plugline.reports): periods added per week by source,
        # periods ending per week, and whether another period of the same subscription
        # follows within the grace days (churn).
        indexes = [
            models.Index(fields=["source", "created_at"], name="period_source_created"),
            models.Index(fields=["ends_at"], name="period_ends_at"),
            models.Index(fields=["subscription", "starts_at"], name="period_subscription_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="period_forward"
            ),
            models.CheckConstraint(
                condition=~Q(source="payment") | Q(payment_item__isnull=False),
                name="paid_period_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d} to {self.ends_at:%Y-%m-%d}"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=80, unique=True)
    gateway_refund_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, default="pending")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment_id}"


class CartItem(models.Model):
    """A renewal waiting in the account's cart: one plan for one device.

    `payment` is the checkout payment paying this line right now. Paying
    claims the lines with a conditional update (only lines no payment holds),
    so a cart can be paid by one payment at a time, whichever page or tab
    asks; the line is deleted when that payment succeeds and released when it
    is declined, in the transaction that records the answer.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart"
    )
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subscription"], name="one_cart_item_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} for {self.subscription_id}"


class RenewalAttempt(models.Model):
    """The renewal run's claim on one period end of one subscription.

    One row per (subscription, period end): a second worker cannot claim it
    again; retries of a soft decline reuse the row with a new attempt number.
    """

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="renewals"
    )
    period_end = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=20, default="claimed")
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_end"], name="one_renewal_per_period_end"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_try_at"], name="renewal_status_next_try"),
            # The staff reports' AutoRenew outcomes per week of the period end.
            models.Index(fields=["period_end"], name="renewal_period_end"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period_end:%Y-%m-%d} ({self.status})"


class WebhookEvent(models.Model):
    """A gateway event received once: its id is unique (replays are refused)."""

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=80)
    type = models.CharField(max_length=60)
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id}"


class RenewalNoticeKind(models.TextChoices):
    UPCOMING = "upcoming", _("renewal coming")
    CARD_EXPIRING = "card_expiring", _("card expired by the renewal")
    SUCCEEDED = "succeeded", _("renewed")
    FAILED = "failed", _("renewal failed")
    FAILED_FINAL = "failed_final", _("renewal given up")


class RenewalNotice(models.Model):
    """An AutoRenew email sent for one period end of a subscription: each kind once."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="renewal_notices"
    )
    period_end = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=RenewalNoticeKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_end", "kind"], name="one_notice_per_period_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period_end:%Y-%m-%d} {self.kind}"
