"""The contact form and the reply forms of a ticket's thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plugline.support.models import TicketStatus
from plugline.support.services import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _message_field(label: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Write your message."),
            "max_length": _("Write at most %(limit_value)d characters (this has %(show_value)d)."),
        },
    )


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        error_messages={
            "required": _("Write your name."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_("We answer at this address."),
        error_messages={
            "required": _("Write the email where we can answer you."),
            "invalid": _("Write a whole email address, like name@example.com."),
            "max_length": _("Write at most %(limit_value)d characters."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    subject = forms.CharField(
        label=_("Subject (optional)"),
        max_length=SUBJECT_MAX_LENGTH,
        required=False,
        error_messages={"max_length": _("Write at most %(limit_value)d characters.")},
    )
    message = _message_field(_("How can we help?"))

    def __init__(self, *args: Any, signed_in: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if signed_in:
            # The account's name and email are used: the fields are not shown.
            del self.fields["name"]
            del self.fields["email"]


class ReplyForm(forms.Form):
    body = _message_field(_("Your answer"))


class AgentReplyForm(forms.Form):
    body = _message_field(_("Answer to the customer"))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Assign to"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, agents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Nobody")), *agents]
