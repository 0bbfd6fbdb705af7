"""Invoices: every payment of the account, each invoice's page and its PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from plugline.accounts.models import User
from plugline.billing.checkout_selectors import invoice_get_for_user, payments_for_user
from plugline.billing.invoice_pdf import invoice_pdf
from plugline.billing.receipts import invoice_lines


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


@login_required
def invoices(request: HttpRequest) -> HttpResponse:
    payments = list(payments_for_user(user=_user(request)))
    return render(request, "billing/invoices.html", {"payments": payments})


@login_required
def invoice(request: HttpRequest, number: int) -> HttpResponse:
    payment = invoice_get_for_user(user=_user(request), number=number)
    return render(
        request, "billing/invoice.html", {"payment": payment, "lines": invoice_lines(payment)}
    )


@login_required
def invoice_download(request: HttpRequest, number: int) -> HttpResponse:
    user = _user(request)
    payment = invoice_get_for_user(user=user, number=number)
    content = invoice_pdf(payment=payment, user=user, language=translation.get_language())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{number}.pdf"'
    return response
