"""The subscriber's pages that combine domains: "My account", a device's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from allauth.core.ratelimit import consume_or_429
from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_permissions_policy.decorators import permissions_policy_override

from plugline.accounts.models import User
from plugline.billing.checkout_selectors import invoice_latest_for_user
from plugline.billing.number_changes import number_change_allowed, number_change_pending
from plugline.billing.periods import SubscriptionStatus
from plugline.billing.selectors import (
    DeviceRenewal,
    ServiceSummary,
    card_on_file_for_user,
    device_renewals_for_user,
    subscriptions_for_devices,
)
from plugline.billing.trials import trial_cancel, trial_summary
from plugline.core.account_pages import RenderedPage, account_page_cached
from plugline.devices.models import Device
from plugline.devices.selectors import device_get_for_user
from plugline.devices.services import device_e911_update, device_release, device_rename
from plugline.portal.forms import (
    AnonymousCallersForm,
    BlockedCallerForm,
    CallSettingsForm,
    DeviceNicknameForm,
    DeviceReleaseForm,
    E911AddressForm,
    VoicemailEmailForm,
    VoicemailGreetingForm,
)
from plugline.portal.voicemail import greeting_recorder_texts
from plugline.telephony.callrecords import device_call_history_page, device_incoming_caller
from plugline.telephony.selectors import caller_blocking_for_device
from plugline.telephony.services import (
    anonymous_callers_refuse,
    blocked_caller_add,
    blocked_caller_remove,
    call_settings_for_device,
    call_settings_save,
)
from plugline.telephony.softphone import softphone_enabled
from plugline.voicemail.audio import GREETING_MAX_SECONDS
from plugline.voicemail.selectors import device_voicemail, voicemail_new_counts


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let the request in
    return request.user


# A device's service that ends within this many days is shown "expires in N days".
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class DashboardDevice:
    """A device as "My account" shows it: its service, AutoRenew, its one-click Renew, its new
    voicemail messages."""

    device: Device
    renewal: DeviceRenewal
    today: dt.date  # in the account's time zone
    new_voicemail: int = 0

    @property
    def service(self) -> ServiceSummary:
        return self.renewal.service

    @property
    def name(self) -> str:
        return self.device.nickname or self.device.phone_number_display or self.device.serial

    @property
    def days_left(self) -> int | None:
        """Days until an active service ends, by the account's calendar, within the warning."""
        ends_at = self.service.ends_at
        if self.service.status != SubscriptionStatus.ACTIVE or ends_at is None:
            return None
        days = (timezone.localdate(ends_at) - self.today).days
        return days if days <= EXPIRY_WARNING_DAYS else None

    @property
    def has_e911(self) -> bool:
        return bool(self.device.e911_street_address)


HOME_TEMPLATES = (
    "portal/home.html",
    "core/base.html",
    "portal/_telephony_status.html",
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """ "My account": each device's state and what to do next, the card, the last invoice.

    Kept rendered for each account (plugline.core.account_pages) until something it
    shows changes.
    """
    user = _user(request)

    def render_home(csrf_token: str) -> RenderedPage:
        today = timezone.localdate()
        renewals = device_renewals_for_user(user=user)
        # One query for every device's count (none without devices).
        new_voicemail = voicemail_new_counts(
            device_ids=[device.pk for device, _renewal in renewals]
        )
        rows = [
            DashboardDevice(device, renewal, today, new_voicemail=new_voicemail[device.pk])
            for device, renewal in renewals
        ]
        card = card_on_file_for_user(user=user)
        html = render_to_string(
            "portal/home.html",
            {
                "devices": rows,
                "card": card,
                "autorenew_on": any(row.service.autorenew for row in rows),
                "invoice": invoice_latest_for_user(user=user),
                "csrf_token": csrf_token,
            },
            request,
        )
        changes_at = [moment for row in rows for moment in row.service.changes_at]
        return RenderedPage(html=html, changes_at=changes_at + (card.changes_at if card else []))

    return account_page_cached(
        request, user_id=user.pk, page="home", template_names=HOME_TEMPLATES, render=render_home
    )


def _device_page(
    request: HttpRequest,
    device: Device,
    *,
    nickname_form: DeviceNicknameForm | None = None,
    e911_form: E911AddressForm | None = None,
    blocked_form: BlockedCallerForm | None = None,
    greeting_form: VoicemailGreetingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    blocking = caller_blocking_for_device(device_id=device.pk)
    voicemail = device_voicemail(device_id=device.pk)
    calls_page, calls = device_call_history_page(
        device_id=device.pk,
        page=request.GET.get("calls"),
        blocked=[row.entry for row in blocking.blocked],
    )
    context: dict[str, Any] = {
        "device": device,
        "calls_page": calls_page,
        "calls": calls,
        "service": subscriptions_for_devices([device])[device.pk],
        "trial": trial_summary(device=device),
        "nickname_form": nickname_form or DeviceNicknameForm(initial={"nickname": device.nickname}),
        "e911_form": e911_form or E911AddressForm(device=device),
        "blocking": blocking,
        "blocked_form": blocked_form or BlockedCallerForm(),
        "anonymous_form": AnonymousCallersForm(
            initial={"refuse_anonymous": blocking.refuse_anonymous}
        ),
        "number_change_allowed": number_change_allowed(device),
        "number_change_pending": number_change_pending(device=device),
        "voicemail": voicemail,
        "voicemail_retention_days": settings.VOICEMAIL_RETENTION_DAYS,
        "greeting_form": greeting_form or VoicemailGreetingForm(),
        "voicemail_email_form": VoicemailEmailForm(
            initial={"email_new_messages": voicemail.email_new_messages}
        ),
        "softphone_enabled": softphone_enabled(),
        "greeting_recorder_text": greeting_recorder_texts(),
        "greeting_max_seconds": GREETING_MAX_SECONDS,
    }

    # The greeting recorder: the microphone for this page itself, and its recording played
    # back from a blob: URL before it is saved.
    @permissions_policy_override({**settings.PERMISSIONS_POLICY, "microphone": ["self"]})
    @csp_update({"media-src": [SELF, "blob:"]})
    def page(request: HttpRequest) -> HttpResponse:
        return render(request, "portal/device.html", context, status=status)

    response = page(request)
    assert isinstance(response, HttpResponse)  # the decorators return what render made
    return response


@login_required
def device(request: HttpRequest, serial: str) -> HttpResponse:
    """A device's page: its number and status, nickname, E911 address, release."""
    return _device_page(request, device_get_for_user(user=_user(request), serial=serial))


@login_required
@require_POST
def device_nickname(request: HttpRequest, serial: str) -> HttpResponse:
    device = device_get_for_user(user=_user(request), serial=serial)
    form = DeviceNicknameForm(request.POST)
    if form.is_valid():
        try:
            changed = device_rename(
                device=device, nickname=form.cleaned_data["nickname"], request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("The nickname is saved.") if changed else gettext("Nothing changed."),
            )
            return redirect("portal:device", serial=device.serial)
    return _device_page(request, device, nickname_form=form)


@login_required
@require_POST
def device_e911(request: HttpRequest, serial: str) -> HttpResponse:
    device = device_get_for_user(user=_user(request), serial=serial)
    form = E911AddressForm(request.POST, device=device)
    if form.is_valid():
        try:
            changed = device_e911_update(device=device, address=form.address(), request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("The E911 address is saved.") if changed else gettext("Nothing changed."),
            )
            return redirect("portal:device", serial=device.serial)
    return _device_page(request, device, e911_form=form)


@login_required
@require_POST
def device_blocked_caller_add(request: HttpRequest, serial: str) -> HttpResponse:
    """ "Block": Kamailio refuses the number's (or prefix's) next call to the device."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    form = BlockedCallerForm(request.POST)
    if form.is_valid():
        try:
            entry, created = blocked_caller_add(
                device_id=device.pk,
                owner=user,
                text=form["number"].value(),
                request=request,
            )
        except ValidationError as error:
            form.add_error("number", error)
        else:
            message = (
                gettext("%(number)s is blocked: its calls to this device are declined.")
                if created
                else gettext("%(number)s was already blocked.")
            )
            messages.success(request, message % {"number": entry.display})
            return redirect(f"{reverse('portal:device', args=[device.serial])}#device-blocked")
    return _device_page(request, device, blocked_form=form)


@login_required
@require_POST
def device_call_caller_block(request: HttpRequest, serial: str, call_pk: int) -> HttpResponse:
    """ "Block this number" on an incoming call of the history: its caller's next call to the
    device is declined. Back to the same page of the history."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    number = device_incoming_caller(device_id=device.pk, call_pk=call_pk)
    if number is None:
        raise Http404
    try:
        entry, created = blocked_caller_add(
            device_id=device.pk, owner=user, text=number, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        message = (
            gettext("%(number)s is blocked: its calls to this device are declined.")
            if created
            else gettext("%(number)s was already blocked.")
        )
        messages.success(request, message % {"number": entry.display})
    page = request.POST.get("calls", "")
    query = f"?calls={page}" if page.isdigit() else ""
    return redirect(f"{reverse('portal:device', args=[device.serial])}{query}#calls")


@login_required
@require_POST
def device_blocked_caller_remove(
    request: HttpRequest, serial: str, blocked_id: int
) -> HttpResponse:
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    if blocked_caller_remove(
        device_id=device.pk, owner=user, blocked_id=blocked_id, request=request
    ):
        messages.success(request, gettext("Unblocked: those calls ring the device again."))
    return redirect(f"{reverse('portal:device', args=[device.serial])}#device-blocked")


@login_required
@require_POST
def device_anonymous_callers(request: HttpRequest, serial: str) -> HttpResponse:
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    form = AnonymousCallersForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    refuse = bool(form.cleaned_data.get("refuse_anonymous"))
    changed = anonymous_callers_refuse(
        device_id=device.pk, owner=user, refuse=refuse, request=request
    )
    if not changed:
        messages.success(request, gettext("Nothing changed."))
    elif refuse:
        messages.success(request, gettext("Callers who hide their number are now declined."))
    else:
        messages.success(request, gettext("Callers who hide their number ring the device again."))
    return redirect(f"{reverse('portal:device', args=[device.serial])}#device-blocked")


@login_required
def device_call_settings(request: HttpRequest, serial: str) -> HttpResponse:
    """ "Calls": the device's ring time, do not disturb and forwarding. Kamailio applies a
    change from the next call; a line out of service keeps them for when it is back."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    current = call_settings_for_device(device_id=device.pk)
    form = CallSettingsForm(
        request.POST if request.method == "POST" else None,
        own_number=device.phone_number or "",
        initial=CallSettingsForm.initial_for(current),
    )
    if request.method == "POST" and form.is_valid() and form.choice is not None:
        changed = call_settings_save(
            device_id=device.pk, owner=user, choice=form.choice, request=request
        )
        messages.success(
            request,
            gettext("The call settings are saved: they apply from the next call.")
            if changed
            else gettext("Nothing changed."),
        )
        return redirect("portal:device_call_settings", serial=device.serial)
    return render(request, "portal/device_call_settings.html", {"device": device, "form": form})


@login_required
@never_cache
def device_release_confirm(request: HttpRequest, serial: str) -> HttpResponse:
    """ "Release this device", after the password and the choice of what becomes of the number."""
    user = _user(request)
    device = device_get_for_user(user=user, serial=serial)
    form = DeviceReleaseForm(request.POST or None, user=user, device=device)
    if request.method == "POST":
        limited = consume_or_429(request, action="device_release", user=user)
        if limited is not None:
            return limited
        if form.is_valid():
            device_release(device=device, keep_number=form.keep_number, request=request)
            messages.success(
                request,
                gettext("The device %(serial)s has left your account.") % {"serial": device.serial},
            )
            return redirect("portal:home")
    return render(
        request,
        "portal/device_release.html",
        {"device": device, "form": form, "quarantine_days": settings.NUMBER_QUARANTINE_DAYS},
    )


@login_required
@require_POST
def device_trial_cancel(request: HttpRequest, serial: str) -> HttpResponse:
    """ "Cancel the trial": it will not become a paid plan; the service ends with it."""
    device = device_get_for_user(user=_user(request), serial=serial)
    if trial_cancel(user=_user(request), device=device, request=request):
        messages.success(
            request,
            gettext("Your free trial is cancelled: nothing will be charged."),
        )
    return redirect("portal:device", serial=device.serial)
