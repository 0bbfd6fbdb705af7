"""'Call from this computer': the device's softphone page, and the short-lived SIP
credentials it asks for (README "Calling from the browser"). Both are reached through the
signed-in account's device: another account's device is "not found"."""

from __future__ import annotations

from urllib.parse import urlsplit

from allauth.core.internal.ratelimit import consume
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_permissions_policy.decorators import permissions_policy_override

from plugline.accounts.models import User
from plugline.devices.selectors import device_get_for_user
from plugline.telephony.softphone import (
    SoftphoneUnavailable,
    softphone_credentials_issue,
    softphone_enabled,
    softphone_line_open,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


def _ws_source() -> str:
    """The WebSocket's origin, for the page's connect-src."""
    parts = urlsplit(settings.SIP_WS_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _texts() -> dict[str, str]:
    """What the page's script says, in the user's language (%(number)s: a phone number)."""
    return {
        "ready": gettext("Ready: you can call, and this page rings when someone calls you."),
        "calling": gettext("Calling %(number)s…"),
        "in_call": gettext("In a call with %(number)s."),
        "ended": gettext("The call has ended."),
        "incoming": gettext("Incoming call from %(number)s"),
        "unknown_caller": gettext("a hidden number"),
        "number_missing": gettext("Enter the number to call."),
        "mic_refused": gettext(
            "The browser may not use the microphone, so calls cannot be made or answered "
            "here. Allow the microphone for this site in the browser's settings, then try "
            "again."
        ),
        "mic_missing": gettext("No microphone was found. Connect one, then try again."),
        "failed": gettext("The call could not be made. Check the number and try again."),
        "offline": gettext(
            "The phone service cannot be reached from this page. Reload the page to try again."
        ),
        "not_connected": gettext(
            "This page is not connected to the phone service yet. Wait a moment, then try "
            "again; if it lasts, reload the page."
        ),
        "mute": gettext("Mute"),
        "unmute": gettext("Unmute"),
        # Numbers are shown as the other pages show them (plugline.core.phones): national
        # within this region's numbering plan, international otherwise.
        "home_region": settings.DEFAULT_PHONE_REGION,
    }


@login_required
@require_GET
@never_cache
def device_softphone(request: HttpRequest, serial: str) -> HttpResponseBase:
    """The softphone page: the microphone is allowed here only, and the page may connect to
    Kamailio's WebSocket."""
    device = device_get_for_user(user=_user(request), serial=serial)
    context = {
        "device": device,
        "enabled": softphone_enabled(),
        "line_open": softphone_line_open(device_id=device.pk) is not None,
        "softphone_text": _texts(),
    }

    @permissions_policy_override({**settings.PERMISSIONS_POLICY, "microphone": ["self"]})
    def page(request: HttpRequest) -> HttpResponse:
        return render(request, "portal/device_softphone.html", context)

    source = _ws_source()
    if source:
        return csp_update({"connect-src": [source]})(page)(request)
    return page(request)


@login_required
@require_POST
@never_cache
def device_softphone_credentials(request: HttpRequest, serial: str) -> JsonResponse:
    """Short-lived SIP credentials for the device's softphone (JSON): 403 with a message when
    the line is not open, 429 when asked too often."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    if consume(request, app="allauth.account", action="softphone_credentials", user=user) is None:
        return JsonResponse(
            {"error": gettext("Too many attempts: wait a few minutes, then try again.")},
            status=429,
        )
    try:
        credentials = softphone_credentials_issue(device=device, request=request)
    except SoftphoneUnavailable as refusal:
        return JsonResponse({"error": str(refusal)}, status=403)
    return JsonResponse(
        {
            "ws_url": credentials.ws_url,
            "aor": credentials.aor,
            "username": credentials.username,
            "password": credentials.password,
            "expires_at": credentials.expires_at,
        }
    )
