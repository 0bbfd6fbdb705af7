from django import forms
from django.utils.translation import gettext_lazy as _


class VisitorForm(forms.Form):
    """A signed-out visitor's name and email, asked before their chat starts."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Your email"))
