"""A device's "Change number" pages: choose a new number, confirm the fee, pay, done.

The flow itself is billing.number_changes; these views stay thin, and every
lookup goes through the device of the signed-in owner (404 otherwise).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from plugline.accounts.models import User
from plugline.billing.checkout_forms import PayForm
from plugline.billing.checkout_selectors import cards_on_file
from plugline.billing.gateways.base import action_url_returning
from plugline.billing.models import NumberChange, PaymentStatus
from plugline.billing.number_changes import (
    NumberChangeRefused,
    number_change_allowed,
    number_change_choose,
    number_change_fee,
    number_change_for_payment,
    number_change_held,
    number_change_pay,
    number_change_pending,
    number_change_settle,
)
from plugline.billing.payments import PaymentRefused, idempotency_key_new
from plugline.core.phones import format_phone_number
from plugline.devices.models import Device
from plugline.devices.number_picker import (
    NumberChoiceForm,
    NumberSearchForm,
    number_picker_context,
)
from plugline.devices.selectors import device_get_for_user


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


def _device_url(device: Device) -> str:
    return reverse("portal:device", kwargs={"serial": device.serial})


def _refused_message(reason: str) -> str:
    messages_by_reason = {
        "not_allowed": gettext(
            "The number of this device cannot be changed: only an active device with a "
            "number can change it."
        ),
        "pending": gettext(
            "A change of number for this device is waiting for its payment. Nothing more was "
            "charged."
        ),
        "same_number": gettext("This is the device's number already. Choose another."),
        "not_held": gettext(
            "The number you chose is no longer held for you, and nothing was charged. Please "
            "choose a number again."
        ),
        "fee_changed": gettext("The fee changed meanwhile, and nothing was charged. Check it."),
        "no_card": gettext("Choose a card, or add a new card."),
    }
    return messages_by_reason.get(
        reason, gettext("The number cannot be changed just now, and nothing was charged.")
    )


def _blocked(request: HttpRequest, device: Device) -> HttpResponse | None:
    """Back to the device's page when its number cannot change now; None when it can."""
    if not number_change_allowed(device):
        messages.error(request, _refused_message("not_allowed"))
        return redirect(_device_url(device))
    pending = number_change_pending(device=device)
    if pending is not None:
        return redirect(
            "portal:device_number_payment", serial=device.serial, payment_id=pending.payment_id
        )
    return None


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def device_number(request: HttpRequest, serial: str) -> HttpResponse:
    """ "Change number": find a free number like in activation, and hold it for the device."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    blocked = _blocked(request, device)
    if blocked is not None:
        return blocked
    search = NumberSearchForm(request.GET or None)
    choice = NumberChoiceForm(request.POST or None)
    taken = False
    if request.method == "POST" and choice.is_valid():
        try:
            won = number_change_choose(user=user, device=device, e164=choice.cleaned_data["number"])
        except NumberChangeRefused as refused:
            if refused.reason != "same_number":
                messages.error(request, _refused_message(refused.reason))
                return redirect(_device_url(device))
            choice.add_error("number", _refused_message(refused.reason))
        else:
            if won:
                return redirect("portal:device_number_confirm", serial=device.serial)
            taken = True
            choice = NumberChoiceForm()
    held = number_change_held(device=device)
    return render(
        request,
        "portal/device_number.html",
        {
            "device": device,
            "taken": taken,
            "held": held,
            "chosen_e164": held.e164 if held else "",
            "fee": number_change_fee(),
            "currency": settings.BILLING_CURRENCY,
            **number_picker_context(
                search=search,
                choice=choice,
                search_action=reverse("portal:device_number", kwargs={"serial": device.serial}),
            ),
        },
    )


def _confirm_page(
    request: HttpRequest, device: Device, form: PayForm | None = None, status: int = 200
) -> HttpResponse:
    held = number_change_held(device=device)
    if held is None:
        messages.error(request, _refused_message("not_held"))
        return redirect("portal:device_number", serial=device.serial)
    cards = list(cards_on_file(user=_user(request)))
    fee = number_change_fee()
    if form is None:
        form = PayForm(
            cards=cards,
            initial={
                "card": str(cards[0].pk) if cards else "",
                "idempotency_key": idempotency_key_new(),
                "total": fee,
            },
        )
    return render(
        request,
        "portal/device_number_confirm.html",
        {
            "device": device,
            "held": held,
            "form": form,
            "cards": cards,
            "fee": fee,
            "currency": settings.BILLING_CURRENCY,
            "quarantine_days": settings.NUMBER_QUARANTINE_DAYS,
        },
        status=status,
    )


@login_required
@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def device_number_confirm(request: HttpRequest, serial: str) -> HttpResponse:
    """The chosen number and the fee, then "Pay and change the number" with a card on file."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    if request.method == "GET":
        blocked = _blocked(request, device)
        return blocked or _confirm_page(request, device)
    form = PayForm(request.POST, cards=list(cards_on_file(user=user)))
    if not form.is_valid():
        pending = number_change_pending(device=device)
        if pending is not None:
            return _blocked(request, device) or redirect(_device_url(device))
        return _confirm_page(request, device, form, status=400)
    try:
        answer = number_change_pay(
            user=user,
            device=device,
            payment_method=form.cards[form.cleaned_data["card"]],
            idempotency_key=form.cleaned_data["idempotency_key"],
            fee_shown=form.cleaned_data["total"],
        )
    except PaymentRefused as refused:
        if refused.reason == "pending":
            return _blocked(request, device) or redirect(_device_url(device))
        messages.error(request, _refused_message(refused.reason))
        if refused.reason == "not_held":
            return redirect("portal:device_number", serial=device.serial)
        if refused.reason in ("fee_changed", "no_card"):
            return _confirm_page(request, device)
        return redirect(_device_url(device))
    change = number_change_for_payment(user=user, payment_id=str(answer.payment.pk))
    if change is None:
        raise Http404("No such change of number")
    return _after_charge(request, change, answer.action_url)


def _after_charge(request: HttpRequest, change: NumberChange, action_url: str) -> HttpResponse:
    device = change.device
    payment = change.payment
    if payment.status == PaymentStatus.SUCCEEDED:
        if change.applied_at is not None:
            messages.success(
                request,
                gettext(
                    "Done: your device now answers on %(number)s. We emailed you a "
                    "confirmation and the receipt."
                )
                % {"number": device.phone_number_display},
            )
        else:
            messages.error(
                request,
                gettext(
                    "The fee is paid but the number could not change. Our support team will "
                    "refund it; nothing else changed."
                ),
            )
        return redirect(_device_url(device))
    if payment.status == PaymentStatus.DECLINED:
        messages.error(
            request,
            gettext(
                "Your card was declined. Nothing was charged and your number did not change. "
                "The number you chose is still held for you: try another card."
            ),
        )
        return redirect("portal:device_number_confirm", serial=device.serial)
    if payment.status == PaymentStatus.REQUIRES_ACTION and action_url:
        back = request.build_absolute_uri(
            reverse(
                "portal:device_number_payment",
                kwargs={"serial": device.serial, "payment_id": payment.pk},
            )
        )
        return HttpResponseRedirect(action_url_returning(action_url, back))
    return redirect("portal:device_number_payment", serial=device.serial, payment_id=payment.pk)


@login_required
@never_cache
def device_number_payment(request: HttpRequest, serial: str, payment_id: str) -> HttpResponse:
    """Back from the bank's page, or "Check again": settle the change's payment and say so."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    change = number_change_for_payment(user=user, payment_id=payment_id)
    if change is None or change.device_id != device.pk:
        raise Http404("No such change of number")
    answer = number_change_settle(change=change)
    change = number_change_for_payment(user=user, payment_id=payment_id) or change
    if answer.payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED):
        return _after_charge(request, change, "")
    return render(
        request,
        "portal/device_number_pending.html",
        {
            "device": device,
            "change": change,
            "new_number": format_phone_number(change.new_number),
            "payment": answer.payment,
        },
    )
