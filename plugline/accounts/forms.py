"""Sign-in and password-reset forms: one "Email or phone number" field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account import app_settings as allauth_settings
from allauth.account import forms as allauth_forms
from allauth.account.forms import ChangePasswordForm, LoginForm, ResetPasswordForm
from allauth.account.internal import flows
from allauth.mfa.base.forms import AuthenticateForm as MFAAuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as MFAReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm
from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from plugline.accounts.identifiers import parse_identifier, user_for_identifier
from plugline.accounts.models import User
from plugline.accounts.services import PROFILE_FIELDS
from plugline.core.address_forms import ADDRESS_DISPLAY_ORDER, AddressForm
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.core.time_zones import time_zone_choices

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _identifier_field() -> forms.CharField:
    return forms.CharField(
        label=_("Email or phone number"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class IdentifierLoginForm(LoginForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"] = _identifier_field()
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""  # "Forgot password?" stands under the form
        self.order_fields(["login", "password"])

    def user_credentials(self) -> dict[str, str]:
        return {
            "identifier": self.cleaned_data["login"].strip(),
            "password": self.cleaned_data["password"],
        }


class IdentifierResetPasswordForm(ResetPasswordForm):
    """Reset by email or phone number; the link always goes to the account's email."""

    email = _identifier_field()

    def clean_email(self) -> str:
        identifier = parse_identifier(self.cleaned_data["email"])
        self.identifier = identifier
        user = user_for_identifier(identifier)
        self.users = [user] if user is not None else []
        # The view rate-limits per returned value: the normalised identifier,
        # so that "(212) 555-0147" and "2125550147" share one limit.
        return identifier.value or self.cleaned_data["email"].strip().lower()

    def save(self, request: HttpRequest, **kwargs: Any) -> str:
        user = self.users[0] if self.users else None
        audit_record(
            action=AuditAction.PASSWORD_RESET_REQUESTED,
            request=request,
            user=user,
            identifier=self.identifier.value,
        )
        if user is not None:
            token_generator = kwargs.get("token_generator") or (
                allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR()
            )
            flows.password_reset.request_password_reset(
                request, user.email, [user], token_generator
            )
        # Unknown identifiers: nothing is sent, and the page says the same.
        return self.cleaned_data["email"]


class AccountCloseForm(forms.Form):
    """ "Close my account": the password again, and a tick that says the person means it."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Type your password to close your account.")},
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account is closed for good and cannot be reopened."),
        error_messages={
            "required": _("Tick the box to confirm that you want to close your account.")
        },
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Type the password you sign in with.")
            )
        return password


def _one_time_code_field(
    field: forms.Field, *, label: StrOrPromise, help_text: StrOrPromise
) -> None:
    """A field for a one-time code: the number pad on phones, no placeholder, no spell check."""
    field.label = label
    field.help_text = help_text
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs.update(
        {
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        }
    )


class TwoFactorAuthenticateForm(MFAAuthenticateForm):
    """The second step of signing in once two-factor sign-in is on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _one_time_code_field(
            self.fields["code"],
            label=_("Code"),
            help_text=_(
                "The 6 digits your authenticator app shows now, or one of your 8-digit "
                "recovery codes."
            ),
        )
        # The page asks for this one thing: start there.
        self.fields["code"].widget.attrs["autofocus"] = True


class TwoFactorReauthenticateForm(MFAReauthenticateForm):
    """Confirming it is you, with a code, before a security change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _one_time_code_field(
            self.fields["code"],
            label=_("Code"),
            help_text=_(
                "The 6 digits your authenticator app shows now, or one of your 8-digit "
                "recovery codes."
            ),
        )


class TwoFactorActivateForm(ActivateTOTPForm):
    """Turning on two-factor sign-in: the first code proves the app is set up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _one_time_code_field(
            self.fields["code"],
            label=_("Code from the app"),
            help_text=_("The 6 digits your authenticator app shows for your account now."),
        )


class PasswordChangeForm(ChangePasswordForm):
    """allauth's "Change password", with our labels and one plain hint for the rules."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["oldpassword"].label = _("Current password")
        self.fields["oldpassword"].help_text = ""  # "Forgot your password?" stands under the form
        self.fields["password1"].label = _("New password")
        self.fields["password1"].help_text = _(
            "At least 8 characters and at most 128, with no rules about digits or symbols: "
            "a few words you will remember make a strong password. Common and easily "
            "guessed passwords are refused."
        )
        self.fields["password2"].label = _("New password again")
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)


def _language_choices() -> list[tuple[str, str]]:
    # Each language in its own name ("Français"), as in the language switch.
    return [
        (code, get_language_info(code)["name_local"].capitalize())
        for code, _name in settings.LANGUAGES
    ]


class ProfileForm(AddressForm):
    """Name, contact address, language and time zone (the Profile page)."""

    field_order = ["first_name", "last_name", *ADDRESS_DISPLAY_ORDER, "language", "time_zone"]

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Dates and times on the site and in security emails are shown in it."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {name: getattr(user, name) for name in (*PROFILE_FIELDS, "language")},
        )
        super().__init__(*args, **kwargs)
        self.user = user
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = time_zone_choices(current=user.time_zone)

    def profile(self) -> dict[str, str]:
        """The cleaned values, as `user_profile_update` takes them."""
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}


class AddEmailForm(allauth_forms.AddEmailForm):
    """ "Add an email" on the Emails page: a plain label, the keyboard for emails."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = _("Email to add")
        field.help_text = _(
            "We send a link to it. Once you open the link, you can sign in with this email "
            "or make it your preferred email."
        )
        field.widget.attrs.pop("placeholder", None)
        field.widget.attrs.update(
            {
                "autocomplete": "email",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        )
