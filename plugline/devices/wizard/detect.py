"""Step 1 of the activation wizard: the device proves it is here.

With the device agent running on this computer (plugline-device, or a real
device's driver), the page's script (devices/detect.js) asks the agent for
its serial, gets a one-time challenge for that serial from `detect_challenge`,
has the agent sign it and sends the signature to `detect_proof`. Without the
agent, the serial and the code printed on the label do the same, by a plain
form (`detect`, POST), which also works without JavaScript. Either way the
wizard records the device with a short-lived proof of presence.

Knowing a serial proves nothing: a challenge is only issued to this
browser's wizard, and an unknown serial gets a challenge too (one that can
never verify), so the answers do not tell which serials exist. Every try is
rate limited per client address and per serial.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from plugline.devices.models import Activation, Device, DeviceStatus
from plugline.devices.presence import (
    CHALLENGE_LIFETIME,
    SERIAL_MAX_LENGTH,
    challenge_issue,
    challenge_new,
    challenge_verify,
    device_for_label_code,
    device_for_serial,
)
from plugline.devices.ratelimits import rate_limit_consume
from plugline.devices.wizard.state import (
    activation_device_is_free,
    activation_device_is_present,
    activation_for_request,
    activation_mark_present,
    activation_start,
    activation_trial_requested,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# One message for an unknown serial and a wrong code: the form must not
# tell which serials exist.
NO_MATCH = _(
    "This serial number and label code do not match a device. Check both on the label "
    "and try again."
)
TOO_MANY_TRIES = _("Too many tries. Wait a few minutes, then try again.")
NOT_CONFIRMED = _(
    "We could not confirm that your device is plugged in. Try again, or type its serial "
    "number and label code below."
)


class LabelCodeForm(forms.Form):
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=SERIAL_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    label_code = forms.CharField(
        label=_("Label code"),
        max_length=20,
        help_text=_("8 letters and digits, printed on the label under the serial number."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


@dataclass(frozen=True)
class DetectResult:
    """What step 1 shows about the wizard's device: "detected", "owned_elsewhere" or "retired"."""

    state: str
    device: Device
    picture_url: str
    next_url: str


def next_step_url() -> str:
    # Step 2 lives in wizard.steps; its URL is looked up when asked for.
    try:
        return reverse("devices:activate_purchase")
    except NoReverseMatch:
        return "/activate/purchase/"


def detect_result(activation: Activation | None) -> DetectResult | None:
    """The device this wizard proved present, and whether it can go on; None if none is."""
    if activation is None or not activation_device_is_present(activation):
        return None
    device = activation.device
    assert device is not None  # present means a device
    if device.status == DeviceStatus.RETIRED:
        state = "retired"
    elif not activation_device_is_free(activation):
        state = "owned_elsewhere"
    else:
        state = "detected"
    return DetectResult(
        state=state,
        device=device,
        picture_url=static(device.model.picture),
        next_url=next_step_url(),
    )


@never_cache
def detect(request: HttpRequest) -> HttpResponse:
    """Step 1's page; its form takes the serial and label code when there is no agent.

    Showing it writes nothing; the first right serial and code make the wizard.
    """
    activation = activation_for_request(request)
    trial = activation_trial_requested(request)
    form = LabelCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        serial = form.cleaned_data["serial"]
        if not rate_limit_consume(request, action="activate_label_code", serial=serial):
            form.add_error(None, TOO_MANY_TRIES)
            status = 429
        else:
            device = device_for_label_code(serial=serial, code=form.cleaned_data["label_code"])
            if device is None:
                form.add_error(None, NO_MATCH)
            else:
                activation = activation_start(request, trial=trial)
                activation_mark_present(activation=activation, device=device)
                return redirect("devices:activate_detect")
    context = {
        "activation": activation,
        "result": detect_result(activation),
        "form": form,
        "agent_url": f"http://127.0.0.1:{settings.DEVICE_AGENT_PORT}",
        # A free trial not begun yet: the page's form and script keep saying so.
        "wizard_trial": trial and activation is None,
    }
    return render(request, "devices/activate/detect.html", context, status=status)


def _json_fields(request: HttpRequest, *names: str) -> dict[str, str] | None:
    """The named string fields of a JSON body; None if any is missing or too long."""
    try:
        data: Any = json.loads(request.body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    values = {name: data.get(name) for name in names}
    if not all(isinstance(value, str) and 0 < len(value) <= 200 for value in values.values()):
        return None
    return values  # type: ignore[return-value]


def _error(message: StrOrPromise, status: int) -> JsonResponse:
    return JsonResponse({"error": str(message)}, status=status)


@require_POST
@never_cache
def detect_challenge(request: HttpRequest) -> JsonResponse:
    """A one-time challenge for the serial the agent gave, bound to this browser's wizard."""
    fields = _json_fields(request, "serial")
    if fields is None:
        return _error(NOT_CONFIRMED, 400)
    serial = fields["serial"]
    if not rate_limit_consume(request, action="activate_challenge", serial=serial):
        return _error(TOO_MANY_TRIES, 429)
    activation = activation_start(request, trial=activation_trial_requested(request))
    expires_at = timezone.now() + CHALLENGE_LIFETIME
    device = device_for_serial(serial)
    if device is None:
        challenge = challenge_new()
    else:
        challenge = challenge_issue(device=device, purpose=activation.holder)
    return JsonResponse({"challenge": challenge, "expires_at": expires_at.isoformat()})


@require_POST
@never_cache
def detect_proof(request: HttpRequest) -> JsonResponse:
    """The agent's signature of the challenge: the device is here."""
    fields = _json_fields(request, "serial", "challenge", "signature")
    activation = activation_for_request(request)
    if fields is None or activation is None:
        return _error(NOT_CONFIRMED, 400)
    if not rate_limit_consume(request, action="activate_proof", serial=fields["serial"]):
        return _error(TOO_MANY_TRIES, 429)
    device = challenge_verify(
        serial=fields["serial"],
        challenge=fields["challenge"],
        signature=fields["signature"],
        purpose=activation.holder,
    )
    if device is None:
        return _error(NOT_CONFIRMED, 400)
    activation_mark_present(activation=activation, device=device)
    result = detect_result(activation)
    assert result is not None  # just marked present
    html = render_to_string(
        "devices/activate/_detect_result.html",
        {"activation": activation, "result": result},
        request=request,
    )
    return JsonResponse(
        {
            "state": result.state,
            "serial": device.serial,
            "model": device.model.name,
            "picture_url": result.picture_url,
            "next_url": result.next_url if result.state == "detected" else None,
            "html": html,
        }
    )
