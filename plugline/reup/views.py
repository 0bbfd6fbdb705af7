""" "Redeem a Re-Up card": the PIN and the device, then the device's new end of service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from plugline.accounts.models import User
from plugline.billing.checkout_selectors import RenewableDevice, renewable_devices
from plugline.devices.models import DeviceStatus
from plugline.minutes.selectors import minutes_balance
from plugline.reup.forms import RedeemForm
from plugline.reup.models import ReupCard, ReupCardStatus
from plugline.reup.redemption import RedeemFailure, card_redeem, device_name


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


def refused_message() -> str:
    return gettext(
        "This PIN can't be used. Check the 16 digits on the back of your card and type "
        "them again. If it still doesn't work, take the card and its receipt back to the store."
    )


def throttled_message() -> str:
    return gettext(
        "Too many PINs were tried. For your security, wait an hour, then try again. "
        "Your card keeps its value meanwhile."
    )


def _devices(user: User) -> list[RenewableDevice]:
    """The account's devices in service that a card can add time to."""
    return [row for row in renewable_devices(user=user) if row.device.status == DeviceStatus.ACTIVE]


@never_cache
@login_required
@sensitive_post_parameters("pin")
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    devices = _devices(user)
    chosen = request.GET.get("device", "")
    initial = {"device": chosen} if chosen in {row.device.serial for row in devices} else {}
    form = RedeemForm(request.POST or None, devices=devices, initial=initial)
    status = 200
    pin_refused = False
    if request.method == "POST" and form.is_valid():
        row = form.devices[form.cleaned_data["device"]]
        result = card_redeem(
            user=user, pin_raw=form.cleaned_data["pin"], device=row.device, request=request
        )
        if result.card is not None:
            return redirect("reup:done", serial=result.card.serial)
        if result.failure == RedeemFailure.THROTTLED:
            form.add_error("pin", throttled_message())
            status = 429
        elif result.failure == RedeemFailure.DEVICE:
            form.add_error("device", gettext("Choose the device to add the time to."))
        else:
            form.add_error("pin", refused_message())
            pin_refused = True
    return render(
        request,
        "reup/redeem.html",
        # A refused PIN: the help centre's articles about it are offered under the errors.
        {"form": form, "devices": devices, "pin_refused": pin_refused},
        status=status,
    )


@never_cache
@login_required
def done(request: HttpRequest, serial: str) -> HttpResponse:
    """What a card this account redeemed gave: the device and its new end of service, or the
    minutes added to the account's balance."""
    user = _user(request)
    minutes_card = (
        ReupCard.objects.select_related("minutes_entry")
        .filter(
            serial=serial,
            status=ReupCardStatus.REDEEMED,
            redeemed_by_id=user.pk,
            minutes_entry__user_id=user.pk,
        )
        .first()
    )
    if minutes_card is not None:
        return render(
            request,
            "reup/done_minutes.html",
            {
                "card": minutes_card,
                "entry": minutes_card.minutes_entry,
                "balance": minutes_balance(user=user),
            },
        )
    card = (
        ReupCard.objects.select_related("batch__plan", "period__subscription__device")
        .filter(
            serial=serial,
            status=ReupCardStatus.REDEEMED,
            redeemed_by_id=_user(request).pk,
            # A device since passed on to someone else is no longer this account's to see.
            period__subscription__device__owner_id=_user(request).pk,
        )
        .first()
    )
    if card is None or card.period is None:
        raise Http404("No card of this account")
    device = card.period.subscription.device
    return render(
        request,
        "reup/done.html",
        {
            "card": card,
            "plan": card.batch.plan,
            "device": device,
            "device_name": device_name(device),
            "ends_at": card.period.ends_at,
        },
    )
