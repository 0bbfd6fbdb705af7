"""A device's "Upgrade my device" pages: choose an offer, the shipping address, pay, done.

The flow itself is upgrades.orders; these views stay thin, and every lookup goes
through the device of the signed-in owner (404 otherwise).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
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
from plugline.core.addresses import ADDRESS_FIELDS
from plugline.devices.models import Device
from plugline.devices.selectors import device_get_for_user
from plugline.upgrades.forms import ShippingAddressForm, UpgradePayForm
from plugline.upgrades.models import UpgradeOrder
from plugline.upgrades.orders import upgrade_order_pay, upgrade_order_settle
from plugline.upgrades.selectors import (
    upgrade_offers_for_device,
    upgrade_order_for_payment,
    upgrade_order_open,
    upgrade_order_pending,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


def _device_url(device: Device) -> str:
    return reverse("portal:device", kwargs={"serial": device.serial})


def _refused_message(reason: str) -> str:
    messages_by_reason = {
        "not_allowed": gettext(
            "No upgrade offer applies to this device now, and nothing was charged."
        ),
        "pending": gettext(
            "An upgrade of this device is waiting for its payment. Nothing more was charged."
        ),
        "ordered": gettext(
            "A new device is already on its way for this one. Nothing more was charged."
        ),
        "price_changed": gettext(
            "The price changed meanwhile, and nothing was charged. Check it and pay again."
        ),
        "no_card": gettext("Choose a card, or add a new card."),
    }
    return messages_by_reason.get(
        reason, gettext("The upgrade cannot be ordered just now, and nothing was charged.")
    )


def _upgrade_page(
    request: HttpRequest,
    device: Device,
    *,
    pay_form: UpgradePayForm | None = None,
    address_form: ShippingAddressForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    if upgrade_order_open(user=user, device=device) is not None:
        messages.error(request, _refused_message("ordered"))
        return redirect(_device_url(device))
    offers = upgrade_offers_for_device(user=user, device=device)
    if not offers:
        messages.error(request, _refused_message("not_allowed"))
        return redirect(_device_url(device))
    cards = list(cards_on_file(user=user))
    if pay_form is None:
        pay_form = UpgradePayForm(
            offers=offers,
            cards=cards,
            currency=settings.BILLING_CURRENCY,
            initial={
                "card": str(cards[0].pk) if cards else "",
                "idempotency_key": idempotency_key_new(),
            },
        )
    if address_form is None:
        address_form = ShippingAddressForm(
            initial={field: getattr(user, field, "") for field in ADDRESS_FIELDS}
        )
    return render(
        request,
        "upgrades/device_upgrade.html",
        {
            "device": device,
            "offers": offers,
            "cards": cards,
            "form": pay_form,
            "address_form": address_form,
            "currency": settings.BILLING_CURRENCY,
        },
        status=status,
    )


@login_required
@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def device_upgrade(request: HttpRequest, serial: str) -> HttpResponse:
    """ "Upgrade my device": the offers that apply, where to ship, "Pay and order"."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    pending = upgrade_order_pending(device=device)
    if pending is not None and request.method == "GET":
        return redirect(
            "upgrades:device_upgrade_payment", serial=device.serial, payment_id=pending.payment_id
        )
    if request.method == "GET":
        return _upgrade_page(request, device)
    offers = upgrade_offers_for_device(user=user, device=device)
    pay_form = UpgradePayForm(
        request.POST,
        offers=offers,
        cards=list(cards_on_file(user=user)),
        currency=settings.BILLING_CURRENCY,
    )
    address_form = ShippingAddressForm(request.POST)
    # Both checked, so that every problem is shown at once.
    valid = pay_form.is_valid() & address_form.is_valid()
    if not valid:
        if pending is not None:
            return redirect(
                "upgrades:device_upgrade_payment",
                serial=device.serial,
                payment_id=pending.payment_id,
            )
        return _upgrade_page(
            request, device, pay_form=pay_form, address_form=address_form, status=400
        )
    offer_id, price_shown = pay_form.offer_id_and_price
    try:
        answer = upgrade_order_pay(
            user=user,
            device=device,
            offer_id=offer_id,
            address=address_form.address(),
            payment_method=pay_form.cards[pay_form.cleaned_data["card"]],
            idempotency_key=pay_form.cleaned_data["idempotency_key"],
            price_shown=price_shown,
        )
    except ValidationError as error:
        address_form.add_error(None, error)
        return _upgrade_page(
            request, device, pay_form=pay_form, address_form=address_form, status=400
        )
    except PaymentRefused as refused:
        if refused.reason == "pending":
            pending = upgrade_order_pending(device=device)
            if pending is not None:
                return redirect(
                    "upgrades:device_upgrade_payment",
                    serial=device.serial,
                    payment_id=pending.payment_id,
                )
        messages.error(request, _refused_message(refused.reason))
        if refused.reason in ("price_changed", "no_card"):
            return _upgrade_page(request, device)
        return redirect(_device_url(device))
    order = upgrade_order_for_payment(user=user, payment_id=str(answer.payment.pk))
    if order is None:
        raise Http404("No such upgrade")
    return _after_charge(request, order, answer.action_url)


def _after_charge(request: HttpRequest, order: UpgradeOrder, action_url: str) -> HttpResponse:
    device = order.device
    payment = order.payment
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(
            request,
            gettext(
                "Thank you: your %(model)s is ordered and paid. We emailed you the receipt, and "
                "we will email you again when it ships."
            )
            % {"model": order.model.name},
        )
        return redirect(_device_url(device))
    if payment.status == PaymentStatus.DECLINED:
        messages.error(
            request,
            gettext("Your card was declined. Nothing was charged and nothing was ordered."),
        )
        return redirect("upgrades:device_upgrade", serial=device.serial)
    if payment.status == PaymentStatus.REQUIRES_ACTION and action_url:
        back = request.build_absolute_uri(
            reverse(
                "upgrades:device_upgrade_payment",
                kwargs={"serial": device.serial, "payment_id": payment.pk},
            )
        )
        return HttpResponseRedirect(action_url_returning(action_url, back))
    return redirect("upgrades:device_upgrade_payment", serial=device.serial, payment_id=payment.pk)


@login_required
@never_cache
def device_upgrade_payment(request: HttpRequest, serial: str, payment_id: str) -> HttpResponse:
    """Back from the bank's page, or "Check again": settle the order's payment and say so."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    order = upgrade_order_for_payment(user=user, payment_id=payment_id)
    if order is None or order.device_id != device.pk:
        raise Http404("No such upgrade")
    answer = upgrade_order_settle(order=order)
    order = upgrade_order_for_payment(user=user, payment_id=payment_id) or order
    if answer.payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED):
        return _after_charge(request, order, "")
    return render(
        request,
        "upgrades/device_upgrade_pending.html",
        {"device": device, "order": order, "payment": answer.payment},
    )
