"""The help centre's forms: search, and "Was this helpful?" with its reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from plugline.helpcentre.models import FEEDBACK_COMMENT_MAX, FeedbackReason
from plugline.helpcentre.search import QUERY_MAX_CHARS


class HelpSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the help centre"),
        max_length=QUERY_MAX_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        error_messages={
            "max_length": _("Type at most %(limit_value)d characters."),
        },
    )


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        error_messages={
            "required": _("Choose Yes or No."),
            "invalid_choice": _("Choose Yes or No."),
        },
    )

    def is_helpful(self) -> bool:
        return self.cleaned_data["helpful"] == "yes"


class FeedbackReasonForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What was wrong with it?"),
        choices=FeedbackReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what was wrong with the article."),
            "invalid_choice": _("Choose what was wrong with the article."),
        },
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=FEEDBACK_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not write passwords or card numbers here."),
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters (you wrote %(show_value)d)."),
        },
    )
