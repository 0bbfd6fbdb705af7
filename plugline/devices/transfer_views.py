"""Pages of the used-device transfer: asking the owner (from the wizard), the owner's answer."""

from __future__ import annotations

from allauth.core.ratelimit import consume_or_429
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from plugline.devices.selectors import transfer_request_for_token
from plugline.devices.transfer import (
    TransferRefused,
    transfer_approve,
    transfer_decline,
    transfer_request_create,
    transfer_request_state,
)
from plugline.devices.transfer_forms import TransferRequestForm
from plugline.devices.wizard.state import activation_for_request

# Where the wizard shows its device (step 1).
WIZARD_DETECT = "devices:activate_detect"


@require_POST
def transfer_request(request: HttpRequest) -> HttpResponse:
    """ "Ask the current owner to release it", from step 1 of this browser's wizard."""
    activation = activation_for_request(request)
    if activation is None or activation.device_id is None:
        return redirect(WIZARD_DETECT)
    form = TransferRequestForm(request.POST)
    if not form.is_valid():
        return render(
            request, "devices/transfer/request.html", {"form": form, "activation": activation}
        )
    # Per client, and per device so that nobody can flood an owner's inbox.
    limited = consume_or_429(
        request, action="device_transfer_request", key=f"device:{activation.device_id}"
    )
    if limited is not None:
        return limited
    try:
        _transfer, created = transfer_request_create(
            activation=activation,
            notify_email=form.cleaned_data["notify_email"],
            request=request,
        )
    except TransferRefused as refused:
        if refused.reason == "not_present":
            messages.error(
                request,
                gettext("Show us the device again first: plug it in and detect it, then ask."),
            )
        # "not_owned_elsewhere": the device is free now; step 1 lets the wizard go on.
        return redirect(WIZARD_DETECT)
    if created:
        days = settings.TRANSFER_REQUEST_DAYS
        messages.success(
            request,
            ngettext(
                "We emailed the device's owner. They have %(days)s day to answer; you can "
                "close this page and come back.",
                "We emailed the device's owner. They have %(days)s days to answer; you can "
                "close this page and come back.",
                days,
            )
            % {"days": days},
        )
    else:
        messages.info(request, gettext("You have asked already: the owner has not answered yet."))
    return redirect(WIZARD_DETECT)


@never_cache
@require_http_methods(["GET", "POST"])
def transfer_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The owner's link: the page shows the request; only its buttons (a POST) answer it."""
    transfer = transfer_request_for_token(token)
    state = transfer_request_state(transfer)
    if state != "pending" or transfer is None:
        return _unavailable(request, state)
    if request.method == "POST":
        # No rate limit here: the token is not guessable (32 random bytes),
        # and a refusal would log the path, token included.
        answer = request.POST.get("answer")
        try:
            if answer == "approve":
                transfer_approve(token=token, request=request)
                return render(request, "devices/transfer/approved.html", {"transfer": transfer})
            if answer == "decline":
                transfer_decline(token=token, request=request)
                return render(request, "devices/transfer/declined.html", {"transfer": transfer})
        except TransferRefused as refused:
            return _unavailable(request, refused.reason)
    return render(request, "devices/transfer/answer.html", {"transfer": transfer})


def _unavailable(request: HttpRequest, reason: str) -> HttpResponse:
    # A 200: Django logs the path of every 4xx answer, and the path holds the token.
    return render(request, "devices/transfer/unavailable.html", {"reason": reason})
