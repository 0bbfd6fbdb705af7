"""Renew online: choose a device and a plan, the cart, checkout, the confirmation.

These pages serve the signed-in account, or the account whose one-time
"renew without signing in" link this browser opened (checkout only).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from plugline.accounts.models import User
from plugline.billing.checkout import (
    CartBeingPaid,
    cart_add,
    cart_remove,
    checkout_pay,
    checkout_payment_exists,
    checkout_settle,
    checkout_user_from_session,
)
from plugline.billing.checkout_forms import PayForm, RenewForm
from plugline.billing.checkout_selectors import (
    cards_on_file,
    cart_lines,
    cart_payment_open,
    payment_get_for_user,
    plans_for_sale,
    renewable_devices,
)
from plugline.billing.gateways import gateway_get
from plugline.billing.gateways.base import GatewayError, action_url_returning
from plugline.billing.models import Payment, PaymentStatus
from plugline.billing.payments import PaymentRefused, idempotency_key_new
from plugline.billing.receipts import invoice_lines
from plugline.billing.selectors import renewals_for_devices
from plugline.billing.services import card_add_from_session, customer_for_user
from plugline.devices.selectors import device_get_for_user

View = Callable[..., HttpResponse]


def checkout_access(signed_out_page: str = "") -> Callable[[View], View]:
    """The signed-in account, or the one a renew link opened checkout for; else sign in.

    With `signed_out_page`, someone signed out gets that page (the two ways
    in: sign in, or renew without signing in) instead of the sign-in page.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: User | None
            if request.user.is_authenticated:
                assert isinstance(request.user, User)
                user = request.user
            else:
                user = checkout_user_from_session(request)
            if user is None:
                if signed_out_page and request.method == "GET":
                    return render(request, signed_out_page)
                return redirect_to_login(request.get_full_path())
            return view(request, user, *args, **kwargs)

        return wrapper

    return decorator


def declined_message() -> str:
    return gettext("Your card was declined. Nothing was charged. Try another card.")


def being_paid_message() -> str:
    return gettext(
        "Your cart is being paid: it cannot be changed or paid again until the payment is "
        "settled. Nothing more was charged."
    )


@never_cache
@require_http_methods(["GET", "POST"])
@checkout_access(signed_out_page="billing/renew_signed_out.html")
def renew(request: HttpRequest, user: User) -> HttpResponse:
    """Choose the device (if there are several) and a plan, then "Add to cart"."""
    devices = renewable_devices(user=user)
    plans = plans_for_sale()
    initial = {"device": request.GET.get("device", "")}
    form = RenewForm(request.POST or None, devices=devices, plans=plans, initial=initial)
    if request.method == "POST" and form.is_valid():
        row = form.devices[form.cleaned_data["device"]]
        priced = form.plans[form.cleaned_data["plan"]]
        try:
            cart_add(user=user, device=row.device, plan=priced.plan)
        except CartBeingPaid:
            form.add_error("device", being_paid_message())
        except PaymentRefused:
            form.add_error("plan", gettext("This plan cannot be bought now. Choose another."))
        else:
            messages.success(
                request,
                gettext("%(plan)s for %(device)s is in your cart.")
                % {"plan": priced.plan.display_name(), "device": row.name},
            )
            return redirect("checkout:cart")
    return render(
        request,
        "billing/renew.html",
        {
            "form": form,
            "devices": devices,
            "plans": plans,
            "cart_count": len(cart_lines(user=user)),
        },
    )


@never_cache
@checkout_access()
def cart(request: HttpRequest, user: User) -> HttpResponse:
    lines = cart_lines(user=user)
    total = sum(line.amount or 0 for line in lines)
    return render(
        request,
        "billing/cart.html",
        {
            "lines": lines,
            "total": total,
            "currency": settings.BILLING_CURRENCY,
            "paying": cart_payment_open(user=user),
        },
    )


@require_POST
@checkout_access()
def cart_item_remove(request: HttpRequest, user: User, item_id: int) -> HttpResponse:
    try:
        removed = cart_remove(user=user, item_id=item_id)
    except CartBeingPaid:
        messages.error(request, being_paid_message())
    else:
        if removed:
            messages.success(request, gettext("Removed from your cart."))
    return redirect("checkout:cart")


def _pending_page(
    request: HttpRequest, payment: Payment, status: int = 200, bank_url: str = ""
) -> HttpResponse:
    """The payment holding the cart: waiting for its outcome, "Check again", no Pay.

    `bank_url`: where the cardholder approves a charge that waits for them.
    """
    return render(
        request,
        "billing/payment_pending.html",
        {"payment": payment, "bank_url": bank_url},
        status=status,
    )


def _bank_url(request: HttpRequest, payment: Payment, action_url: str) -> str:
    """The gateway's page to approve a charge, which sends the cardholder back here."""
    back = request.build_absolute_uri(
        reverse("checkout:payment_return", kwargs={"payment_id": payment.pk})
    )
    return action_url_returning(action_url, back)


def _checkout_page(
    request: HttpRequest,
    user: User,
    form: PayForm | None = None,
    status: int = 200,
    *,
    card_declined: bool = False,
) -> HttpResponse:
    paying = cart_payment_open(user=user)
    if paying is not None:
        # A cart being paid offers no Pay until that payment is settled.
        return _pending_page(request, paying)
    lines = cart_lines(user=user)
    cards = list(cards_on_file(user=user))
    if form is None:
        chosen = request.GET.get("card", "")
        if chosen not in {str(card.pk) for card in cards}:
            chosen = str(cards[0].pk) if cards else ""
        form = PayForm(
            cards=cards,
            initial={
                "card": chosen,
                "idempotency_key": idempotency_key_new(),
                "total": sum(line.amount or 0 for line in lines),
            },
        )
    return render(
        request,
        "billing/checkout.html",
        {
            "form": form,
            "lines": lines,
            "total": sum(line.amount or 0 for line in lines),
            "cards": cards,
            "payable": bool(lines) and all(line.amount is not None for line in lines),
            "currency": settings.BILLING_CURRENCY,
            # The help centre's articles about a declined card are offered beside the message.
            "card_declined": card_declined,
        },
        status=status,
    )


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@checkout_access()
def checkout(request: HttpRequest, user: User) -> HttpResponse:
    """Pay for the cart with a card on file; the form's key makes a second "Pay" harmless."""
    if request.method == "GET":
        if not cart_lines(user=user):
            return redirect("checkout:cart")
        return _checkout_page(request, user)
    cards = list(cards_on_file(user=user))
    form = PayForm(request.POST, cards=cards)
    if not form.is_valid():
        return _checkout_page(request, user, form)
    key = form.cleaned_data["idempotency_key"]
    if not checkout_payment_exists(user=user, idempotency_key=key):
        # A new intent: refused at once if the cart is being paid, empty or changed
        # (checkout_pay decides for good, in the database, if two tabs race).
        paying = cart_payment_open(user=user)
        if paying is not None and paying.idempotency_key != key:
            return _being_paid(request, paying)
        lines = cart_lines(user=user)
        total = sum(line.amount or 0 for line in lines)
        if (not lines or form.cleaned_data["total"] != total) and not checkout_payment_exists(
            user=user, idempotency_key=key
        ):
            # (Unless this form's own payment, from a double click, emptied the cart.)
            return _cart_changed(request, user) if lines else _cart_empty(request)
    try:
        answer = checkout_pay(
            user=user, payment_method=form.cards[form.cleaned_data["card"]], idempotency_key=key
        )
    except CartBeingPaid as being_paid:
        return _being_paid(request, being_paid.payment)
    except PaymentRefused as refused:
        if refused.reason in ("no_items", "cart_changed") and not cart_lines(user=user):
            return _cart_empty(request)
        if refused.reason == "cart_changed":
            return _cart_changed(request, user)
        messages.error(
            request, gettext("Something in your cart cannot be bought now. Check the cart.")
        )
        return redirect("checkout:cart")
    return _after_charge(request, user, answer.payment, answer.action_url)


def _being_paid(request: HttpRequest, payment: Payment) -> HttpResponse:
    messages.error(request, being_paid_message())
    return _pending_page(request, payment, status=409)


def _cart_empty(request: HttpRequest) -> HttpResponse:
    messages.info(
        request,
        gettext(
            "Your cart is empty, and nothing was charged. If you paid it in another window, "
            "the payment is in your invoices."
        ),
    )
    return redirect("checkout:cart")


def _cart_changed(request: HttpRequest, user: User) -> HttpResponse:
    messages.error(request, gettext("Your cart changed meanwhile. Check the total, then pay."))
    return _checkout_page(request, user)


def _after_charge(
    request: HttpRequest, user: User, payment: Payment, action_url: str
) -> HttpResponse:
    if payment.status == PaymentStatus.SUCCEEDED:
        return redirect("checkout:done", payment_id=payment.pk)
    if payment.status == PaymentStatus.DECLINED:
        messages.error(request, declined_message())
        # A new key: this one's payment is settled as declined.
        return _checkout_page(request, user, card_declined=True)
    if payment.status == PaymentStatus.REQUIRES_ACTION and action_url:
        return HttpResponseRedirect(_bank_url(request, payment, action_url))
    # The gateway's answer was lost: never charge again, settle it instead.
    return _pending_page(request, payment)


@never_cache
@checkout_access()
def payment_return(request: HttpRequest, user: User, payment_id: str) -> HttpResponse:
    """Back from the gateway's authentication page, or "Check again": settle the payment."""
    payment = payment_get_for_user(user=user, payment_id=payment_id)
    answer = checkout_settle(payment=payment)
    if answer.payment.status == PaymentStatus.REQUIRES_ACTION:
        # The cart waits for this approval: offer the bank's page again, not a new payment.
        action_url = answer.action_url
        bank_url = _bank_url(request, answer.payment, action_url) if action_url else ""
        return _pending_page(request, answer.payment, bank_url=bank_url)
    return _after_charge(request, user, answer.payment, "")


@never_cache
@checkout_access()
def done(request: HttpRequest, user: User, payment_id: str) -> HttpResponse:
    payment = payment_get_for_user(user=user, payment_id=payment_id)
    if payment.status != PaymentStatus.SUCCEEDED:
        return redirect("checkout:payment_return", payment_id=payment.pk)
    return render(
        request, "billing/done.html", {"payment": payment, "lines": invoice_lines(payment)}
    )


@require_POST
@checkout_access()
def card_new(request: HttpRequest, user: User) -> HttpResponse:
    """ "Use a new card": to the gateway's card page, which comes back to `card_added`."""
    try:
        customer = customer_for_user(user=user)
        url = gateway_get().card_session_start(
            customer_id=customer.gateway_customer_id,
            return_url=request.build_absolute_uri(reverse("checkout:card_added")),
            verify=True,
        )
    except GatewayError:
        messages.error(
            request, gettext("The card page cannot be reached just now. Try again in a minute.")
        )
        return redirect("checkout:checkout")
    return HttpResponseRedirect(url)


@never_cache
@checkout_access()
def card_added(request: HttpRequest, user: User) -> HttpResponse:
    """Back from the gateway's card page: the card is on file, chosen to pay."""
    session_id = request.GET.get("session", "")[:100]
    try:
        card = card_add_from_session(user=user, session_id=session_id, request=request)
    except GatewayError:
        card = None
    if card is None:
        # Declined by the bank, or the card page was left: the gateway says only "no card".
        messages.error(
            request, gettext("No card was saved, and nothing was charged. Try another card.")
        )
        return redirect("checkout:checkout")
    messages.success(
        request,
        gettext("Your card ending in %(last4)s is saved. Check the cart and pay.")
        % {"last4": card.last4},
    )
    return redirect(reverse("checkout:checkout") + "?" + urlencode({"card": card.pk}))


@require_POST
@checkout_access()
def renew_device(request: HttpRequest, user: User, serial: str) -> HttpResponse:
    """One-click "Renew" for a device: its usual plan in the cart, then checkout.

    The usual plan is the device's AutoRenew plan, else the last plan bought
    for it, else the cheapest plan for sale. When none can be bought now, the
    renew page opens with the device chosen, to choose a plan there.
    """
    device = device_get_for_user(user=user, serial=serial)
    plan = renewals_for_devices([device])[device.pk].renew_plan
    choose_plan = reverse("checkout:renew") + "?" + urlencode({"device": device.serial})
    try:
        if plan is None:
            raise PaymentRefused("no_price")
        cart_add(user=user, device=device, plan=plan)
    except CartBeingPaid as being_paid:
        return _being_paid(request, being_paid.payment)
    except PaymentRefused:
        messages.error(request, gettext("This plan cannot be bought now. Choose another."))
        return redirect(choose_plan)
    name = device.nickname or device.phone_number_display or device.serial
    messages.success(
        request,
        gettext("%(plan)s for %(device)s is in your cart.") % {"plan": plan.name, "device": name},
    )
    return redirect("checkout:checkout")
