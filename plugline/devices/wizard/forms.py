"""The activation wizard's forms, steps 2 to 7."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plugline.accounts.models import User
from plugline.core.address_forms import ADDRESS_DISPLAY_ORDER, address_form_fields
from plugline.core.addresses import ADDRESS_FIELDS, address_normalize
from plugline.core.phones import normalize_phone_number
from plugline.devices.models import PurchaseChannel

_NO_AUTOCORRECT = {"autocapitalize": "none", "spellcheck": "false"}


class PurchaseForm(forms.Form):
    """Step 2: "Where did you buy it?" and, bought online, the order's email."""

    channel = forms.ChoiceField(
        label=_("Where did you buy it?"),
        choices=PurchaseChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose where you bought the device.")},
    )
    order_email = forms.EmailField(
        label=_("Email you gave when you ordered"),
        required=False,
        help_text=_("Only if you bought it on our website: the email on your order confirmation."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", **_NO_AUTOCORRECT}),
        error_messages={"invalid": _("Enter an email such as name@example.com.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        online = cleaned.get("channel") == PurchaseChannel.ONLINE
        if online and not cleaned.get("order_email") and "order_email" not in self.errors:
            self.add_error(
                "order_email",
                ValidationError(
                    _("Enter the email you gave when you ordered the device."), code="required"
                ),
            )
        return cleaned


class NewAccountForm(forms.Form):
    """Step 3: the account to create. The password may stay as chosen before."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": _("Enter your first name.")},
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={"required": _("Enter your last name.")},
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_(
            "We send the activation code to it, and it stays on your account for good. If you "
            "already have an account with this email, sign in instead."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email", **_NO_AUTOCORRECT}),
        error_messages={
            "required": _("Enter your email."),
            "invalid": _("Enter an email such as name@example.com."),
        },
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_(
            "At least 8 characters and at most 128, with no rules about digits or symbols: "
            "a few words you will remember make a strong password. Common and easily "
            "guessed passwords are refused."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Choose a password.")},
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type the password again.")},
    )

    def __init__(self, *args: Any, has_password: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_password = has_password
        if has_password:
            # Coming back to change a detail: the password chosen before stays.
            self.fields["password1"].required = False
            self.fields["password2"].required = False
            self.fields["password1"].help_text = _(
                "Leave both password fields empty to keep the password you chose."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1", "")
        password2 = cleaned.get("password2", "")
        if not password1 and not password2:
            return cleaned
        if not password2:
            self.add_error("password2", ValidationError(_("Type the password again.")))
            return cleaned
        if not password1:
            self.add_error("password1", ValidationError(_("Choose a password.")))
            return cleaned
        if password1 != password2:
            self.add_error(
                "password2",
                ValidationError(_("The two passwords differ. Type the same password twice.")),
            )
            return cleaned
        # Checked against the name and email too (too similar is refused).
        someone = User(
            email=cleaned.get("email", ""),
            first_name=cleaned.get("first_name", ""),
            last_name=cleaned.get("last_name", ""),
        )
        try:
            password_validation.validate_password(password1, someone)
        except ValidationError as error:
            self.add_error("password1", error)
        return cleaned

    def password(self) -> str | None:
        """The new password, or None to keep the one chosen before."""
        return self.cleaned_data.get("password1") or None


class AddressesForm(forms.Form):
    """Step 4: the contact address, and the E911 address (or "the same")."""

    e911_same = forms.BooleanField(
        label=_("The E911 address is the same as my contact address"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Contact address first, then the box, then the E911 address.
        e911_same = self.fields.pop("e911_same")
        self.fields.update(address_form_fields(prefix="contact", section="billing"))
        self.fields["e911_same"] = e911_same
        self.fields.update(address_form_fields(prefix="e911", section="shipping"))

    def field_group(self, prefix: str) -> list[forms.BoundField]:
        return [self[f"{prefix}_{field}"] for field in ADDRESS_DISPLAY_ORDER]

    @property
    def contact_fields(self) -> list[forms.BoundField]:
        return self.field_group("contact")

    @property
    def e911_fields(self) -> list[forms.BoundField]:
        return self.field_group("e911")

    def _address(self, cleaned: dict[str, Any], prefix: str) -> dict[str, str] | None:
        raw = {field: cleaned.get(f"{prefix}_{field}", "") for field in ADDRESS_FIELDS}
        try:
            return address_normalize(raw, required=True)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                self.add_error(f"{prefix}_{field}", errors)
            return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        contact = self._address(cleaned, "contact")
        e911_given = any(cleaned.get(f"e911_{field}") for field in ADDRESS_FIELDS)
        if cleaned.get("e911_same"):
            # "The same": the contact address, checked once.
            e911 = contact
        elif not e911_given and not self.errors.get("e911_country"):
            e911 = None
            self.add_error(
                "e911_same",
                ValidationError(
                    _(
                        "Tick the box if the device is used at your contact address, or give "
                        "the address where it is used."
                    ),
                    code="required",
                ),
            )
        else:
            e911 = self._address(cleaned, "e911")
        if contact is not None and e911 is not None:
            cleaned["contact_address"] = contact
            cleaned["e911_address"] = e911
        return cleaned


def addresses_initial(*, contact: dict[str, str], e911: dict[str, str]) -> dict[str, str | bool]:
    initial: dict[str, str | bool] = {}
    for field in ADDRESS_FIELDS:
        initial[f"contact_{field}"] = contact.get(field, "")
        initial[f"e911_{field}"] = e911.get(field, "")
    # The same by default (most use the device at home), unless they differ.
    initial["e911_same"] = not e911 or e911 == contact
    if initial["e911_same"]:
        for field in ADDRESS_FIELDS:
            initial[f"e911_{field}"] = ""
    return initial


class NumberSearchForm(forms.Form):
    """Step 5: look for free numbers by area code or by city."""

    area_code = forms.RegexField(
        label=_("Area code"),
        regex=r"^\s*\(?\d{3}\)?\s*$",
        required=False,
        help_text=_("3 digits, such as 212."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "5"}
        ),
        error_messages={"invalid": _("Enter an area code of 3 digits, such as 212.")},
    )
    city = forms.CharField(
        label=_("City"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "number-cities"}),
    )

    def clean_area_code(self) -> str:
        return "".join(ch for ch in self.cleaned_data.get("area_code", "") if ch.isdigit())

    def clean_city(self) -> str:
        return " ".join(self.cleaned_data.get("city", "").split())


class NumberChoiceForm(forms.Form):
    """Step 5: the number chosen from the list."""

    number = forms.CharField(
        label=_("Phone number"),
        error_messages={"required": _("Choose a number from the list.")},
    )

    def clean_number(self) -> str:
        e164 = normalize_phone_number(self.cleaned_data["number"])
        if e164 is None:
            raise ValidationError(_("Choose a number from the list."))
        return e164


class TermsForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I accept the terms of service"),
        error_messages={
            "required": _("Tick the box to accept the terms of service: the service needs it.")
        },
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Activation code"),
        max_length=20,
        help_text=_("The 8 digits in the email we sent you."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                **_NO_AUTOCORRECT,
            }
        ),
        error_messages={"required": _("Enter the code from the email.")},
    )

    def clean_code(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(digits) != 8:
            raise ValidationError(_("The code has 8 digits. Type it as the email shows it."))
        return digits
