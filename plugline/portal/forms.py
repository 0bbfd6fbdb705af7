"""Forms of a device's page: nickname, E911 address, blocked callers, call settings, release."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plugline.core.address_forms import AddressForm
from plugline.devices.models import Device
from plugline.devices.services import NICKNAME_MAX_LENGTH
from plugline.telephony.blocking import BlockedEntry, blocked_entry_parse
from plugline.telephony.forwarding import CallSettingsChoice, call_settings_choice
from plugline.telephony.models import RING_SECONDS_MAX, RING_SECONDS_MIN, CallSettings


class DeviceNicknameForm(forms.Form):
    nickname = forms.CharField(
        label=_("Nickname"),
        max_length=NICKNAME_MAX_LENGTH,
        required=False,
        help_text=_("A name you recognise, such as Kitchen or Cottage. Leave empty for none."),
        error_messages={
            "max_length": _("Keep the nickname to %(limit_value)d characters or fewer.")
        },
    )


class E911AddressForm(AddressForm):
    """Where emergency services go for a 911 call from the device; checked for its country."""

    address_required = True

    def __init__(self, *args: Any, device: Device, **kwargs: Any) -> None:
        kwargs.setdefault("initial", device.e911_address)
        # Its own ids, so that it can share a page with other forms.
        kwargs.setdefault("prefix", "e911")
        super().__init__(*args, **kwargs)


class DeviceReleaseForm(forms.Form):
    """ "Release this device": what becomes of the number, and the password again."""

    number = forms.ChoiceField(
        label=_("The phone number"),
        choices=[
            ("keep", _("Keep the number with the device for its next owner")),
            ("give_up", _("Give up the number")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what becomes of the phone number.")},
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Type your password to release the device.")},
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, device: Device, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not device.phone_number:
            # Nothing to choose: a device without a number.
            del self.fields["number"]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Type the password you sign in with.")
            )
        return password

    @property
    def keep_number(self) -> bool:
        return self.cleaned_data.get("number") == "keep"


class BlockedCallerForm(forms.Form):
    """ "Block a caller": a number in any common format, or the start of numbers."""

    number = forms.CharField(
        label=_("Number or prefix to block"),
        max_length=40,
        help_text=_(
            "A phone number, such as (212) 555-0147, or the start of numbers, such as 1-900: "
            "every number that starts with it is blocked."
        ),
        error_messages={
            "required": _("Type the number or the prefix to block."),
            "max_length": _("Keep it to %(limit_value)d characters or fewer."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids, so that it can share a page with other forms.
        kwargs.setdefault("prefix", "block")
        super().__init__(*args, **kwargs)

    def clean_number(self) -> BlockedEntry:
        return blocked_entry_parse(self.cleaned_data["number"])


class AnonymousCallersForm(forms.Form):
    refuse_anonymous = forms.BooleanField(
        label=_("Refuse callers who hide their number"),
        required=False,
        help_text=_("Calls from anonymous, withheld or private numbers are declined."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "anonymous")
        super().__init__(*args, **kwargs)


class VoicemailGreetingForm(forms.Form):
    """The device's own voicemail greeting: a WAV file, checked and converted when saved."""

    greeting = forms.FileField(
        label=_("Your greeting (WAV file)"),
        help_text=_("A WAV recording of up to one minute. Callers hear it, then a tone."),
        error_messages={
            "required": _("Choose a WAV file to upload."),
            "empty": _("That file is empty: choose a WAV recording."),
        },
    )

    ERRORS = {
        "too_big": _("That file is larger than 10 MB: save the greeting in mono, or shorter."),
        "not_wav": _("That is not a WAV recording Plugline can play: save it as WAV (PCM)."),
        "too_long": _("That greeting is longer than a minute: make it shorter."),
        "silent": _("That recording is silent: record your greeting again."),
    }

    def clean_greeting(self) -> bytes:
        from plugline.voicemail.audio import GREETING_MAX_BYTES, AudioError, greeting_prepare

        upload = self.cleaned_data["greeting"]
        if upload.size > GREETING_MAX_BYTES:
            raise forms.ValidationError(self.ERRORS["too_big"], code="too_big")
        data = upload.read()
        try:
            greeting_prepare(data)
        except AudioError as error:
            raise forms.ValidationError(self.ERRORS[error.code], code=error.code) from error
        return data


class VoicemailEmailForm(forms.Form):
    email_new_messages = forms.BooleanField(
        label=_("Email me new messages with the recording"),
        required=False,
        help_text=_("Each new message is sent to your account's email address, audio attached."),
    )


# RING_SECONDS_MIN and RING_SECONDS_MAX.
_RING_SECONDS_ERROR = _("Choose a ring time from 15 to 40 seconds.")


class CallSettingsForm(forms.Form):
    """A device's ring time, do not disturb and forwarding (checked by
    plugline.telephony.forwarding; `choice` once valid)."""

    ring_seconds = forms.IntegerField(
        label=_("Ring time, in seconds"),
        min_value=RING_SECONDS_MIN,
        max_value=RING_SECONDS_MAX,
        help_text=_(
            "How long the phone rings before an unanswered call goes to voicemail or is "
            "forwarded: 15 to 40 seconds."
        ),
        error_messages={
            "required": _RING_SECONDS_ERROR,
            "invalid": _RING_SECONDS_ERROR,
            "min_value": _RING_SECONDS_ERROR,
            "max_value": _RING_SECONDS_ERROR,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    do_not_disturb = forms.BooleanField(
        label=_("Do not disturb"),
        required=False,
        help_text=_("The phone does not ring: every call goes straight to voicemail."),
    )
    forward_always = forms.BooleanField(label=_("Forward every call"), required=False)
    forward_busy = forms.BooleanField(label=_("Forward when the line is busy"), required=False)
    forward_no_answer = forms.BooleanField(
        label=_("Forward when nobody answers in time"), required=False
    )
    forward_unreachable = forms.BooleanField(
        label=_("Forward when the phone is unplugged or offline"), required=False
    )
    forward_to = forms.CharField(
        label=_("Forward to"),
        max_length=40,
        required=False,
        help_text=_(
            "A number in the United States or Canada, such as (212) 555-0147. Calls that are "
            "not forwarded go to voicemail."
        ),
        error_messages={"max_length": _("Keep it to %(limit_value)d characters or fewer.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, own_number: str, **kwargs: Any) -> None:
        self.own_number = own_number
        super().__init__(*args, **kwargs)
        self.choice: CallSettingsChoice | None = None

    @classmethod
    def initial_for(cls, settings: CallSettings) -> dict[str, Any]:
        return {
            "ring_seconds": settings.ring_seconds,
            "do_not_disturb": settings.do_not_disturb,
            "forward_always": settings.forward_always,
            "forward_busy": settings.forward_busy,
            "forward_no_answer": settings.forward_no_answer,
            "forward_unreachable": settings.forward_unreachable,
            "forward_to": settings.forward_to,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "ring_seconds" not in data or "forward_to" not in data:
            return data
        try:
            self.choice = call_settings_choice(
                own_number=self.own_number,
                ring_seconds=data["ring_seconds"],
                do_not_disturb=bool(data.get("do_not_disturb")),
                forward_always=bool(data.get("forward_always")),
                forward_busy=bool(data.get("forward_busy")),
                forward_no_answer=bool(data.get("forward_no_answer")),
                forward_unreachable=bool(data.get("forward_unreachable")),
                forward_to=data["forward_to"],
            )
        except ValidationError as error:
            self.add_error(None, error)
        return data
