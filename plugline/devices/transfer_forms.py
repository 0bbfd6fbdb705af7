"""The form that asks a used device's owner to release it (see devices.transfer)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class TransferRequestForm(forms.Form):
    notify_email = forms.EmailField(
        label=_("Your email (optional)"),
        required=False,
        help_text=_("We write to you when the owner answers. We never show it to the owner."),
        error_messages={
            "invalid": _("Enter an email such as name@example.com, or leave the field empty.")
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
