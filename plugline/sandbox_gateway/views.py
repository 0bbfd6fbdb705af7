"""The sandbox's own pages: the hosted card page and the authentication page.

They belong to the PSP, not to Plugline: no Plugline sign-in, the session or
charge id in the URL is what gives access (long and random, like a real
PSP's). The card page's POST carries the number and the security code: they
are hidden from error reports (sensitive_post_parameters) and never stored.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from plugline.sandbox_gateway import services
from plugline.sandbox_gateway.cards import TEST_CARDS
from plugline.sandbox_gateway.forms import CardForm
from plugline.sandbox_gateway.models import SessionStatus

# What each test card does, as the page lists them.
TEST_CARD_DESCRIPTIONS = [
    ("4242424242424242", _("succeeds")),
    ("4000000000000002", _("is declined")),
    ("4000000000000341", _("is saved, then declined when charged")),
    ("4000002760003184", _("asks the cardholder to approve each charge")),
    ("4000000000009995", _("is declined for insufficient funds (try again later)")),
    ("4000000000000069", _("is declined as expired when charged")),
]
assert {number for number, _description in TEST_CARD_DESCRIPTIONS} == set(TEST_CARDS)


def with_query(url: str, **params: str) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


def _test_cards() -> list[tuple[str, str]]:
    return [
        (" ".join(number[i : i + 4] for i in range(0, 16, 4)), str(text))
        for number, text in TEST_CARD_DESCRIPTIONS
    ]


def _amount(amount: int, currency: str) -> str:
    return f"{number_format(Decimal(amount) / 100, 2)} {currency}"


@sensitive_post_parameters("number", "cvc", "expiry", "name")
@sensitive_variables("form")
@never_cache
@require_http_methods(["GET", "POST"])
def card(request: HttpRequest, session_id: str) -> HttpResponse:
    session = services.card_session_get_open(session_id=session_id)
    if session is None:
        return render(request, "sandbox_gateway/session_over.html", status=404)
    form = CardForm(request.POST or None)
    declined = False
    if request.method == "POST":
        if form.is_valid():
            try:
                services.card_session_complete(
                    session_id=session.id,
                    number=form.cleaned_data["number"],
                    expiry=form.cleaned_data["expiry"],
                    cvc=form.cleaned_data["cvc"],
                )
            except services.CardDeclined:
                declined = True
            else:
                return HttpResponseRedirect(with_query(session.return_url, session=session.id))
        session = services.card_session_refusal(session_id=session.id)
        if session.status != SessionStatus.OPEN:
            return render(request, "sandbox_gateway/session_over.html", status=404)
    return render(
        request,
        "sandbox_gateway/card.html",
        {
            "form": form,
            "card_session": session,
            "declined": declined,
            "test_cards": _test_cards(),
            "cancel_url": with_query(session.return_url, session=session.id),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def authenticate(request: HttpRequest, charge_id: str) -> HttpResponse:
    """The bank's page asking the cardholder to approve a charge (3-D Secure)."""
    charge = services.charge_get_awaiting_action(charge_id=charge_id)
    return_url = request.GET.get("return_url", "")
    if not url_has_allowed_host_and_scheme(
        return_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return_url = ""
    if charge is None:
        return render(request, "sandbox_gateway/authenticate_over.html", status=404)
    if request.method == "POST":
        answered = services.charge_authenticate(
            charge_id=charge.id, approve=request.POST.get("answer") == "approve"
        )
        if answered is not None and return_url:
            return HttpResponseRedirect(with_query(return_url, charge=charge.id))
        return render(
            request,
            "sandbox_gateway/authenticate_over.html",
            {"charge": answered, "answered": answered is not None},
        )
    return render(
        request,
        "sandbox_gateway/authenticate.html",
        {
            "charge": charge,
            "amount": _amount(charge.amount, charge.currency),
            "return_url": return_url,
        },
    )
