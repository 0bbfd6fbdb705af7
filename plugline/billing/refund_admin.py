"""Refunds in the back office: a page per payment (/admin/billing/payment/<id>/refund/).

Staff with the "add refund" permission give an amount (all that is left by
default, never more) and a reason; the refund goes through
billing.payments.payment_refund (gateway, audit). Mounted in plugline/urls.py
in front of the admin's own URLs; PaymentAdmin links to it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plugline.billing.models import Payment
from plugline.billing.payments import PaymentRefused, payment_refund, payment_refundable
from plugline.core.money import money_amount, money_format

# Digits 0-9, and a decimal point or comma: never an exponent, NaN, infinity or
# another script's digits, which Decimal() would take.
AMOUNT = re.compile(r"[0-9]{1,12}(?:[.,][0-9]{1,6})?")


class RefundForm(forms.Form):
    amount = forms.CharField(label=_("Amount to refund"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, payment: Payment, left: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.left = left

    def clean_amount(self) -> int:
        text = self.cleaned_data["amount"].strip()
        if not AMOUNT.fullmatch(text):
            raise forms.ValidationError(_("Enter an amount such as 10.00."))
        minor = Decimal(text.replace(",", ".")).scaleb(
            get_currency_precision(self.payment.currency)
        )
        if minor != minor.to_integral_value() or minor <= 0:
            raise forms.ValidationError(_("Enter an amount such as 10.00."))
        if minor > self.left:
            raise forms.ValidationError(
                gettext("At most %(left)s can be refunded.")
                % {"left": money_format(self.left, self.payment.currency)}
            )
        return int(minor)


def payment_refund_view(request: HttpRequest, payment_id: str) -> HttpResponse:
    if not request.user.has_perm("billing.add_refund"):
        raise PermissionDenied
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise Http404("No such payment")
    left = payment_refundable(payment)
    change_url = reverse("admin:billing_payment_change", args=[payment.pk])
    form = RefundForm(
        request.POST or None,
        payment=payment,
        left=left,
        initial={"amount": str(money_amount(left, payment.currency))},
    )
    if request.method == "POST" and form.is_valid():
        try:
            payment_refund(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                staff=request.user,  # type: ignore[arg-type]
            )
        except PaymentRefused as refused:
            form.add_error(None, _refused_message(refused.reason))
        else:
            messages.success(
                request,
                gettext("Refunded %(amount)s.")
                % {"amount": money_format(form.cleaned_data["amount"], payment.currency)},
            )
            return redirect(change_url)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Refund"),
        "payment": payment,
        "left": money_format(left, payment.currency),
        "form": form,
        "change_url": change_url,
        "opts": Payment._meta,
    }
    return render(request, "admin/billing/payment/refund.html", context)


def _refused_message(reason: str) -> str:
    if reason == "not_refundable":
        return gettext("Only a payment that went through can be refunded.")
    if reason == "too_much":
        return gettext("That is more than is left to refund.")
    return gettext(
        "The payment gateway refused the refund or did not answer. Nothing is refunded "
        "unless it says so later; check the payment before trying again."
    )


refund_view = admin.site.admin_view(payment_refund_view)
