"""Staff's side of device upgrades: the offers they make, and the orders they advance.

Orders are advanced only through the actions (shipped with a tracking number and the
serial sent, delivered, cancelled with a refund), each a service of upgrades.orders
that emails the customer; their other fields are read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from plugline.billing.payments import PaymentRefused
from plugline.core.admin_numbers import StaffNumbersAdmin
from plugline.core.money import money_format
from plugline.upgrades.models import UpgradeOffer, UpgradeOrder
from plugline.upgrades.orders import (
    TRACKING_NUMBER_MAX_LENGTH,
    UpgradeRefused,
    upgrade_order_cancel,
    upgrade_order_deliver,
    upgrade_order_ship,
)


@admin.register(UpgradeOffer)
class UpgradeOfferAdmin(StaffNumbersAdmin):
    list_display = ["name", "model", "price_shown", "min_age_years", "valid_from", "valid_until"]
    list_filter = ["model"]
    search_fields = ["name", "model__name"]
    filter_horizontal = ["eligible_models"]
    list_select_related = ["model"]

    @admin.display(description=_("special price"), ordering="price")
    def price_shown(self, offer: UpgradeOffer) -> str:
        return money_format(offer.price, settings.BILLING_CURRENCY)


class ShipForm(forms.Form):
    tracking_number = forms.CharField(
        label=_("Tracking number"), max_length=TRACKING_NUMBER_MAX_LENGTH
    )
    new_serial = forms.CharField(label=_("Serial of the device sent"), max_length=40)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the audit log)"),
        max_length=200,
        widget=forms.TextInput(attrs={"size": 60}),
    )


REFUSALS = {
    "not_paid": _("Only a paid order that has not shipped can be shipped."),
    "serial_unknown": _(
        "There is no device of the model ordered in stock with this serial, or it went out "
        "on another order."
    ),
    "not_cancellable": _(
        "This order cannot be cancelled: it was not paid, or its new device "
        "has taken the line over."
    ),
    "gateway": _("The payment gateway did not refund it; the order is as it was. Try again."),
}


def _staff(request: HttpRequest) -> AbstractBaseUser:
    assert isinstance(request.user, AbstractBaseUser)  # the admin is for staff only
    return request.user


@admin.register(UpgradeOrder)
class UpgradeOrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "device",
        "owner",
        "model",
        "price_shown",
        "status",
        "tracking_number",
        "new_serial",
        "created_at",
    ]
    list_filter = ["status", "model"]
    search_fields = ["=device__serial", "owner__email", "=new_serial", "tracking_number"]
    list_select_related = ["device", "owner", "model"]
    actions = ["ship", "deliver", "cancel"]

    @admin.display(description=_("order"), ordering="pk")
    def number(self, order: UpgradeOrder) -> str:
        return f"#{order.pk}"

    @admin.display(description=_("price paid"), ordering="price")
    def price_shown(self, order: UpgradeOrder) -> str:
        return money_format(order.price, order.currency)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in UpgradeOrder._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _page(
        self,
        request: HttpRequest,
        queryset: QuerySet[UpgradeOrder],
        *,
        form: forms.Form,
        action: str,
        title: Any,
        explanation: Any,
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            "admin/upgrades/upgradeorder/order_action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "explanation": explanation,
                "orders": list(queryset.select_related("owner", "device", "model").order_by("pk")),
                "form": form,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Ship (tracking number and serial sent)"), permissions=["change"])
    def ship(self, request: HttpRequest, queryset: QuerySet[UpgradeOrder]) -> Any:
        if queryset.count() != 1:
            self.message_user(request, _("Ship one order at a time."), messages.ERROR)
            return None
        form = ShipForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                upgrade_order_ship(
                    order=queryset.get(),
                    tracking_number=form.cleaned_data["tracking_number"],
                    new_serial=form.cleaned_data["new_serial"],
                    staff=_staff(request),
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            except UpgradeRefused as refused:
                form.add_error(None, REFUSALS.get(refused.reason, refused.reason))
            else:
                self.message_user(
                    request, _("Shipped: the customer was emailed."), messages.SUCCESS
                )
                return None
        return self._page(
            request,
            queryset,
            form=form,
            action="ship",
            title=_("Ship the new device"),
            explanation=_(
                "The device sent is registered to the customer's email; when they activate "
                "it, it takes over the old device's line."
            ),
        )

    @admin.action(description=_("Mark delivered"), permissions=["change"])
    def deliver(self, request: HttpRequest, queryset: QuerySet[UpgradeOrder]) -> None:
        count = sum(
            upgrade_order_deliver(order=order, staff=_staff(request))
            for order in queryset.order_by("pk")
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d order marked delivered.", "%(count)d orders marked delivered.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Cancel and refund"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[UpgradeOrder]) -> Any:
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = 0
            for order in queryset.order_by("pk"):
                try:
                    count += upgrade_order_cancel(
                        order=order, reason=form.cleaned_data["reason"], staff=_staff(request)
                    )
                except PaymentRefused as refused:
                    self.message_user(
                        request,
                        f"{order}: {REFUSALS.get(refused.reason, refused.reason)}",
                        messages.ERROR,
                    )
            self.message_user(
                request,
                ngettext(
                    "%(count)d order cancelled and refunded.",
                    "%(count)d orders cancelled and refunded.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return self._page(
            request,
            queryset,
            form=form,
            action="cancel",
            title=_("Cancel and refund"),
            explanation=_(
                "Each order is refunded in full through the payment gateway, once, and the "
                "customer is emailed."
            ),
        )
