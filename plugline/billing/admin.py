"""The operator's view of billing: plans and prices (edited, every change audited),
subscriptions with their periods, payments and cards (read-only).

Money moves only through billing.payments (refunds included), never by
editing a row here; a subscription is extended only by a period.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from plugline.billing.models import (
    NumberChange,
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentMethod,
    Plan,
    PlanPrice,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.payments import payment_refundable
from plugline.billing.periods import subscription_status
from plugline.core.admin_numbers import StaffNumbersAdmin, StaffNumbersInline
from plugline.core.models import AuditAction
from plugline.core.money import money_format
from plugline.core.services import audit_record


def _staff_change(request: HttpRequest, **data: Any) -> None:
    """One audit event per change a staff member makes to plans or prices."""
    audit_record(
        action=AuditAction.BILLING_CHANGED_BY_STAFF,
        request=request,
        actor=request.user if request.user.is_authenticated else None,
        data=data,
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen, never added, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Plans and prices


class PlanPriceInline(StaffNumbersInline):
    model = PlanPrice
    extra = 1
    fields = ["currency", "amount"]


@admin.register(Plan)
class PlanAdmin(StaffNumbersAdmin):
    list_display = ["code", "name", "months", "prices", "autorenew_allowed", "active"]
    list_filter = ["active", "autorenew_allowed"]
    search_fields = ["code", "name", "name_fr", "name_da"]
    inlines = [PlanPriceInline]
    fields = ["code", "name", "name_fr", "name_da", "months", "autorenew_allowed", "active"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return super().get_queryset(request).prefetch_related("prices")

    @admin.display(description=_("prices"))
    def prices(self, plan: Plan) -> str:
        return ", ".join(
            money_format(price.amount, price.currency)
            for price in sorted(plan.prices.all(), key=lambda price: price.currency)
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A plan's length is part of what was sold with it: a new plan for new terms.
        return ["months"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Plan, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            _staff_change(
                request,
                object="plan",
                change="changed" if change else "added",
                plan=obj.code,
                fields={name: _jsonable(form.cleaned_data[name]) for name in form.changed_data},
            )

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        plan = form.instance
        for price in formset.new_objects:
            _staff_change(
                request,
                object="price",
                change="added",
                plan=plan.code,
                currency=price.currency,
                amount=price.amount,
            )
        for price, changed in formset.changed_objects:
            # A form's initial values are the row as it was before the change.
            previous: dict[str, Any] = next(
                (sub.initial for sub in formset.forms if sub.instance.pk == price.pk), {}
            )
            _staff_change(
                request,
                object="price",
                change="changed",
                plan=plan.code,
                currency=price.currency,
                amount=price.amount,
                previous_amount=previous.get("amount"),
                fields=list(changed),
            )
        for price in formset.deleted_objects:
            _staff_change(
                request,
                object="price",
                change="deleted",
                plan=plan.code,
                currency=price.currency,
                amount=price.amount,
            )

    def delete_model(self, request: HttpRequest, obj: Plan) -> None:
        code = obj.code
        super().delete_model(request, obj)
        _staff_change(request, object="plan", change="deleted", plan=code)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Plan]) -> None:
        codes = list(queryset.values_list("code", flat=True))
        super().delete_queryset(request, queryset)
        for code in codes:
            _staff_change(request, object="plan", change="deleted", plan=code)


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | bool | float | type(None)) else str(value)


# Subscriptions


PERIOD_FIELDS = (
    "starts_at",
    "ends_at",
    "source",
    "plan",
    "payment_item",
    "created_at",
)


class PeriodInline(ReadOnlyInline):
    model = SubscriptionPeriod
    fields = readonly_fields = PERIOD_FIELDS
    ordering = ["-starts_at"]


SUBSCRIPTION_FIELDS = (
    "device",
    "ends_at",
    "trial_ends_at",
    "trial_cancelled_at",
    "plan",
    "autorenew",
    "autorenew_plan",
    "created_at",
    "updated_at",
)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["device", "owner", "ends_at", "status", "plan", "autorenew"]
    list_filter = ["autorenew", "plan"]
    search_fields = ["device__serial", "device__owner__email", "device__phone_number"]
    list_select_related = ["device__owner", "plan"]
    date_hierarchy = "ends_at"
    fields = readonly_fields = SUBSCRIPTION_FIELDS
    inlines = [PeriodInline]

    @admin.display(description=_("owner"), ordering="device__owner__email")
    def owner(self, subscription: Subscription) -> str:
        owner = subscription.device.owner
        return owner.email if owner is not None else ""

    @admin.display(description=_("status"))
    def status(self, subscription: Subscription) -> str:
        return subscription_status(
            subscription.ends_at,
            subscription.trial_ends_at,
            timezone.now(),
            settings.BILLING_GRACE_DAYS,
        ).value


# Payments and cards


PAYMENT_ITEM_FIELDS = (
    "subscription",
    "plan",
    "amount_shown",
    "period",
)


class PaymentItemInline(ReadOnlyInline):
    model = PaymentItem
    fields = readonly_fields = PAYMENT_ITEM_FIELDS

    @admin.display(description=_("amount"))
    def amount_shown(self, item: PaymentItem) -> str:
        return money_format(item.amount, item.payment.currency)


NUMBER_CHANGE_FIELDS = ("device", "old_number", "new_number", "status", "applied_at")


class NumberChangeInline(ReadOnlyInline):
    model = NumberChange
    fields = readonly_fields = NUMBER_CHANGE_FIELDS


@admin.register(NumberChange)
class NumberChangeAdmin(ReadOnlyAdmin):
    """Changes of number and their payments; a failed one (paid, the line could not move)
    is refunded from its payment's page."""

    list_display = ["created_at", "device", "old_number", "new_number", "status", "payment"]
    list_filter = ["status"]
    search_fields = ["device__serial", "=old_number", "=new_number", "requested_by__email"]
    list_select_related = ["device", "payment"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "payment",
        "requested_by",
        *NUMBER_CHANGE_FIELDS,
        "created_at",
    )


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "amount_shown",
        "status",
        "kind",
        "card",
        "invoice_number",
    ]
    list_filter = ["status", "kind"]
    search_fields = [
        "user__email",
        "items__subscription__device__serial",
        "items__subscription__device__phone_number",
        "number_change__device__serial",
        "=invoice_number",
        "=gateway_charge_id",
    ]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    exclude = ["payment_method"]
    readonly_fields = [
        *(field.name for field in Payment._meta.fields if field.name != "payment_method"),
        "refund",
    ]
    inlines = [PaymentItemInline, NumberChangeInline]
    # Refunds are not a bulk action: each has its own page (billing.refund_admin).
    actions: list[Any] = []

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        """What the payment paid for: periods on devices, or a change of number."""
        if obj is not None and obj.kind == PaymentKind.NUMBER_CHANGE:
            return [NumberChangeInline]
        return [PaymentItemInline]

    @admin.display(description=_("refund"))
    def refund(self, payment: Payment) -> str:
        left = payment_refundable(payment)
        if not left:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("billing_payment_refund", args=[payment.pk]),
            _("Refund (up to %(amount)s)") % {"amount": money_format(left, payment.currency)},
        )

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, payment: Payment) -> str:
        shown = money_format(payment.amount, payment.currency)
        if payment.refunded_amount:
            refunded = money_format(payment.refunded_amount, payment.currency)
            return f"{shown} ({_('refunded')} {refunded})"
        return shown

    @admin.display(description=_("card"))
    def card(self, payment: Payment) -> str:
        if not payment.card_last4:
            return ""
        return f"{payment.card_brand} •••• {payment.card_last4}"


CARD_FIELDS = (
    "user",
    "gateway",
    "brand",
    "last4",
    "exp_month",
    "exp_year",
    "is_default",
    "created_at",
    "removed_at",
)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["user", "brand", "last4", "expiry", "is_default", "created_at", "removed_at"]
    list_filter = ["brand", "is_default"]
    search_fields = ["user__email", "=last4"]
    list_select_related = ["user"]
    # The gateway's token and fingerprint stay out of sight.
    fields = readonly_fields = CARD_FIELDS

    @admin.display(description=_("expiry"))
    def expiry(self, card: PaymentMethod) -> str:
        return f"{card.exp_month:02d}/{card.exp_year}"
