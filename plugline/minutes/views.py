"""The "International minutes" pages: the balance, buying minutes by card, the payment's outcome.

The flow itself is plugline.minutes.top_ups; these views stay thin, and every
lookup is the signed-in account's own (404 otherwise).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from plugline.accounts.models import User
from plugline.billing.checkout_selectors import cards_on_file
from plugline.billing.gateways.base import action_url_returning
from plugline.billing.models import PaymentStatus
from plugline.billing.payments import PaymentRefused, idempotency_key_new
from plugline.core.money import money_format
from plugline.minutes.forms import LowBalanceForm, TopUpForm
from plugline.minutes.low_balance import (
    MONTHLY_CAPS,
    THRESHOLDS,
    LowBalanceRefused,
    low_balance_get,
    low_balance_set,
)
from plugline.minutes.models import MinutesTopUp
from plugline.minutes.selectors import minutes_balance, minutes_last_calls, minutes_top_up_amounts
from plugline.minutes.top_ups import (
    minutes_top_up_for_payment,
    minutes_top_up_last_id,
    minutes_top_up_pay,
    minutes_top_up_pending,
    minutes_top_up_settle,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


def _refused_message(reason: str) -> str:
    messages_by_reason = {
        "pending": gettext(
            "A top-up is waiting for its payment. Nothing more was charged: check it below."
        ),
        "changed": gettext(
            "Minutes were bought from another page meanwhile, and nothing more was charged. "
            "Here is your balance now: buy more if you wish."
        ),
        "amount": gettext("Choose one of the amounts shown. Nothing was charged."),
        "no_card": gettext("Choose a card, or add a new card."),
    }
    return messages_by_reason.get(
        reason, gettext("Minutes cannot be bought just now, and nothing was charged.")
    )


def _low_balance_form(user: User, data: QueryDict | None = None) -> LowBalanceForm:
    setting = low_balance_get(user=user)
    amounts = minutes_top_up_amounts()
    initial = (
        {
            "enabled": setting.enabled,
            "threshold": str(setting.threshold),
            "amount": str(setting.amount),
            "monthly_cap": str(setting.monthly_cap),
        }
        if setting is not None
        else {
            "enabled": False,
            "threshold": str(THRESHOLDS[1]),
            "amount": str(amounts[0]),
            "monthly_cap": str(next(cap for cap in MONTHLY_CAPS if cap >= amounts[0])),
        }
    )
    return LowBalanceForm(
        data,
        thresholds=THRESHOLDS,
        amounts=amounts,
        caps=[cap for cap in MONTHLY_CAPS if cap >= min(amounts)],
        currency=settings.BILLING_CURRENCY,
        initial=initial,
        # Its own names and ids: the page's other form has an "amount" too.
        prefix="low_balance",
    )


def _page(
    request: HttpRequest,
    form: TopUpForm | None = None,
    status: int = 200,
    low_balance: LowBalanceForm | None = None,
) -> HttpResponse:
    user = _user(request)
    cards = list(cards_on_file(user=user))
    currency = settings.BILLING_CURRENCY
    amounts = minutes_top_up_amounts()
    if form is None:
        form = TopUpForm(
            cards=cards,
            amounts=amounts,
            currency=currency,
            initial={
                "card": str(cards[0].pk) if cards else "",
                "amount": str(amounts[0]),
                "idempotency_key": idempotency_key_new(),
                "last_seen": minutes_top_up_last_id(user=user),
            },
        )
    return render(
        request,
        "minutes/minutes.html",
        {
            "balance": minutes_balance(user=user),
            "currency": currency,
            "pending": minutes_top_up_pending(user=user),
            "calls": minutes_last_calls(user=user),
            "form": form,
            "cards": cards,
            "low_balance": low_balance or _low_balance_form(user),
            "default_card": next((card for card in cards if card.is_default), None),
        },
        status=status,
    )


@login_required
@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def minutes(request: HttpRequest) -> HttpResponse:
    """ "International minutes": the balance, and buying more with a card on file."""
    if request.method == "GET":
        return _page(request)
    user = _user(request)
    form = TopUpForm(
        request.POST,
        cards=list(cards_on_file(user=user)),
        amounts=minutes_top_up_amounts(),
        currency=settings.BILLING_CURRENCY,
    )
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        answer = minutes_top_up_pay(
            user=user,
            amount=form.cleaned_data["amount"],
            payment_method=form.cards[form.cleaned_data["card"]],
            idempotency_key=form.cleaned_data["idempotency_key"],
            last_seen=form.cleaned_data["last_seen"],
        )
    except PaymentRefused as refused:
        messages.error(request, _refused_message(refused.reason))
        pending = minutes_top_up_pending(user=user)
        if refused.reason == "pending" and pending is not None:
            return redirect("minutes:payment", payment_id=pending.payment_id)
        return redirect("minutes:minutes")
    top_up = minutes_top_up_for_payment(user=user, payment_id=str(answer.payment.pk))
    if top_up is None:
        raise Http404("No such top-up")
    return _after_charge(request, top_up, answer.action_url)


def _after_charge(request: HttpRequest, top_up: MinutesTopUp, action_url: str) -> HttpResponse:
    payment = top_up.payment
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(
            request,
            gettext(
                "Done: %(amount)s was added to your international balance. We emailed you the "
                "receipt."
            )
            % {"amount": money_format(top_up.amount, top_up.currency)},
        )
        return redirect("minutes:minutes")
    if payment.status == PaymentStatus.DECLINED:
        messages.error(
            request,
            gettext(
                "Your card was declined. Nothing was charged and your balance did not change: "
                "try another card."
            ),
        )
        return redirect("minutes:minutes")
    if payment.status == PaymentStatus.REQUIRES_ACTION and action_url:
        return HttpResponseRedirect(_bank_url(request, top_up, action_url))
    return redirect("minutes:payment", payment_id=payment.pk)


def _bank_url(request: HttpRequest, top_up: MinutesTopUp, action_url: str) -> str:
    """The gateway's page to approve the charge, which sends the cardholder back here."""
    back = request.build_absolute_uri(
        reverse("minutes:payment", kwargs={"payment_id": top_up.payment_id})
    )
    return action_url_returning(action_url, back)


@login_required
@never_cache
def minutes_payment(request: HttpRequest, payment_id: str) -> HttpResponse:
    """Back from the bank's page, or "Check again": settle the top-up's payment and say so."""
    user = _user(request)
    top_up = minutes_top_up_for_payment(user=user, payment_id=payment_id)
    if top_up is None:
        raise Http404("No such top-up")
    answer = minutes_top_up_settle(top_up=top_up)
    top_up = minutes_top_up_for_payment(user=user, payment_id=payment_id) or top_up
    if answer.payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED):
        return _after_charge(request, top_up, "")
    # Waiting for the cardholder (a low-balance top-up's approval link leads here): the bank's
    # page again, never a new charge.
    bank_url = _bank_url(request, top_up, answer.action_url) if answer.action_url else ""
    return render(
        request,
        "minutes/payment_pending.html",
        {"top_up": top_up, "payment": answer.payment, "bank_url": bank_url},
    )


@login_required
@never_cache
@require_http_methods(["POST"])
def minutes_low_balance(request: HttpRequest) -> HttpResponse:
    """ "Low-balance top-up": save whether, below which balance, how much and how much a month."""
    user = _user(request)
    form = _low_balance_form(user, request.POST)
    if form.is_valid():
        try:
            setting = low_balance_set(
                user=user,
                enabled=form.cleaned_data["enabled"],
                threshold=form.cleaned_data["threshold"],
                amount=form.cleaned_data["amount"],
                monthly_cap=form.cleaned_data["monthly_cap"],
            )
        except LowBalanceRefused:
            form.add_error(None, gettext("These settings cannot be saved. Check them."))
        else:
            messages.success(
                request,
                gettext("Low-balance top-up is on.")
                if setting.enabled
                else gettext("Low-balance top-up is off."),
            )
            return redirect("minutes:minutes")
    return _page(request, status=400, low_balance=form)
