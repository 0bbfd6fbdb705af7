"""A device's voicemail on its page: the messages (play, download, delete), the greeting
and the "email me new messages" switch. Every message is read through the device of the
signed-in account: another account's message is "not found"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from plugline.accounts.models import User
from plugline.devices.models import Device
from plugline.devices.selectors import device_get_for_user
from plugline.portal.forms import VoicemailEmailForm, VoicemailGreetingForm
from plugline.voicemail.selectors import voicemail_message_for_owner
from plugline.voicemail.services import (
    mailbox_email_set,
    mailbox_greeting_reset,
    mailbox_greeting_save,
    voicemail_message_delete,
    voicemail_message_mark_heard,
)


def greeting_recorder_texts() -> dict[str, str]:
    """What the greeting recorder's script says, in the user's language (%(seconds)s: a
    number of seconds)."""
    return {
        "recording": gettext("Recording… Speak your greeting, then press Stop."),
        "recorded": gettext(
            "Recorded: %(seconds)s s. Press Listen to hear it, Save to make it your greeting, "
            "or Record to start again."
        ),
        "playing": gettext("Playing the recording…"),
        "saving": gettext("Saving the greeting…"),
        "mic_refused": gettext(
            "The browser may not use the microphone, so a greeting cannot be recorded here. "
            "Allow the microphone for this site in the browser's settings and try again, or "
            "upload a WAV file."
        ),
        "mic_missing": gettext(
            "No microphone was found. Connect one and try again, or upload a WAV file."
        ),
        "failed": gettext(
            "The greeting could not be recorded or saved. Try again, or upload a WAV file."
        ),
    }


def _device(request: HttpRequest, serial: str) -> Device:
    assert isinstance(request.user, User)  # login_required let the request in
    return device_get_for_user(user=request.user, serial=serial)


def _back(device: Device, anchor: str = "voicemail") -> HttpResponse:
    return redirect(f"{reverse('portal:device', args=[device.serial])}#{anchor}")


@login_required
@require_GET
@never_cache
def device_voicemail_audio(request: HttpRequest, serial: str, message_id: int) -> FileResponse:
    """The message's recording (WAV), to play in the page or, with ?download=1, to keep.
    Either way the message counts as heard."""
    device = _device(request, serial)
    message = voicemail_message_for_owner(device_id=device.pk, message_id=message_id)
    voicemail_message_mark_heard(message=message)
    download = request.GET.get("download") == "1"
    return FileResponse(
        message.audio.open("rb"),
        content_type="audio/wav",
        as_attachment=download,
        filename=f"voicemail-{message.received_at:%Y-%m-%d-%H%M}.wav",
    )


@login_required
@never_cache
def device_voicemail_delete(request: HttpRequest, serial: str, message_id: int) -> HttpResponse:
    """ "Delete this message": asks first (GET), deletes on the confirmation (POST)."""
    device = _device(request, serial)
    message = voicemail_message_for_owner(device_id=device.pk, message_id=message_id)
    if request.method == "POST":
        voicemail_message_delete(message=message)
        messages.success(request, gettext("The message is deleted."))
        return _back(device)
    return render(request, "portal/voicemail_delete.html", {"device": device, "message": message})


@login_required
@require_POST
def device_voicemail_greeting(request: HttpRequest, serial: str) -> HttpResponse:
    device = _device(request, serial)
    form = VoicemailGreetingForm(request.POST, request.FILES)
    if not form.is_valid():
        from plugline.portal.views import _device_page

        return _device_page(request, device, greeting_form=form, status=400)
    mailbox_greeting_save(device_id=device.pk, data=form.cleaned_data["greeting"])
    messages.success(request, gettext("Callers now hear your greeting."))
    return _back(device, "voicemail-settings")


@login_required
@require_POST
def device_voicemail_greeting_reset(request: HttpRequest, serial: str) -> HttpResponse:
    device = _device(request, serial)
    if mailbox_greeting_reset(device_id=device.pk):
        messages.success(request, gettext("Callers now hear the standard greeting."))
    return _back(device, "voicemail-settings")


@login_required
@require_POST
def device_voicemail_email(request: HttpRequest, serial: str) -> HttpResponse:
    device = _device(request, serial)
    form = VoicemailEmailForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    on = bool(form.cleaned_data.get("email_new_messages"))
    if not mailbox_email_set(device_id=device.pk, on=on):
        messages.success(request, gettext("Nothing changed."))
    elif on:
        messages.success(request, gettext("New messages will be emailed to you."))
    else:
        messages.success(request, gettext("New messages will no longer be emailed to you."))
    return _back(device, "voicemail-settings")
