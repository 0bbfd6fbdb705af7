"""The Account area's "Cards" page: cards on file, add one, remove one, choose the default.

The card number is typed on the gateway's own card page, never on Plugline's:
"Add a card" sends the browser there, and it comes back to `card_added` with
the id of its session, from which the gateway gives the card's token, brand,
last four digits and expiry.
"""

from __future__ import annotations

from allauth.core.ratelimit import consume_or_429
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plugline.accounts.models import User
from plugline.billing.gateways import gateway_get
from plugline.billing.gateways.base import GatewayError
from plugline.billing.models import PaymentMethod
from plugline.billing.selectors import (
    autorenew_device_count,
    card_get_for_user,
    cards_on_file,
)
from plugline.billing.services import (
    card_add_from_session,
    card_make_default,
    card_remove,
    customer_for_user,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


def _card_name(card: PaymentMethod) -> str:
    return gettext("%(brand)s ending in %(last4)s") % {
        "brand": card.brand,
        "last4": card.last4,
    }


def _unreachable(request: HttpRequest) -> HttpResponse:
    messages.error(
        request, gettext("The card page cannot be reached just now. Try again in a minute.")
    )
    return redirect("cards:list")


@login_required
@never_cache
def cards(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/cards.html", {"cards": cards_on_file(user=_user(request))})


@login_required
@require_POST
def card_add(request: HttpRequest) -> HttpResponse:
    """To the gateway's card page, which comes back to `card_added`."""
    user = _user(request)
    limited = consume_or_429(request, action="card_add", user=user)
    if limited is not None:
        return limited
    try:
        customer = customer_for_user(user=user)
        url = gateway_get().card_session_start(
            customer_id=customer.gateway_customer_id,
            return_url=request.build_absolute_uri(reverse("cards:added")),
            verify=True,
        )
    except GatewayError:
        return _unreachable(request)
    return HttpResponseRedirect(url)


@login_required
@never_cache
def card_added(request: HttpRequest) -> HttpResponse:
    """Back from the gateway's card page (saved, refused or cancelled there)."""
    session_id = request.GET.get("session", "")[:100]
    if not session_id:
        return redirect("cards:list")
    try:
        card = card_add_from_session(user=_user(request), session_id=session_id, request=request)
    except GatewayError:
        return _unreachable(request)
    if card is None:
        messages.error(
            request,
            gettext(
                "No card was added. If your card was refused, try another one or contact your bank."
            ),
        )
    else:
        messages.success(
            request, gettext("%(card)s is saved on your account.") % {"card": _card_name(card)}
        )
    return redirect("cards:list")


@login_required
@require_POST
def card_default(request: HttpRequest, card_id: int) -> HttpResponse:
    user = _user(request)
    card = card_get_for_user(user=user, card_id=card_id)
    if card_make_default(user=user, payment_method=card, request=request):
        messages.success(
            request,
            gettext("%(card)s is now your default card.") % {"card": _card_name(card)},
        )
    return redirect("cards:list")


@login_required
@never_cache
def card_remove_confirm(request: HttpRequest, card_id: int) -> HttpResponse:
    """ "Remove this card?", then removed on POST."""
    user = _user(request)
    card = card_get_for_user(user=user, card_id=card_id)
    if request.method == "POST":
        try:
            card_remove(user=user, payment_method=card, request=request)
        except GatewayError:
            messages.error(
                request,
                gettext("The card could not be removed just now. Try again in a minute."),
            )
            return redirect("cards:list")
        messages.success(request, gettext("%(card)s is removed.") % {"card": _card_name(card)})
        return redirect("cards:list")
    others = len(cards_on_file(user=user)) - 1
    return render(
        request,
        "billing/card_remove.html",
        {
            "card": card,
            "card_name": _card_name(card),
            "last_card": others == 0,
            "autorenew_devices": autorenew_device_count(user=user),
        },
    )
