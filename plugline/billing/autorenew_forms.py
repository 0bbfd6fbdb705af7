"""The AutoRenew switch of one device: on or off, and the plan it renews with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plugline.billing.models import Plan


class AutoRenewForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("AutoRenew"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )
    plan = forms.ModelChoiceField(
        label=_("Renews with the plan"),
        queryset=Plan.objects.none(),
        required=False,
        empty_label=None,
    )

    def __init__(self, *args: Any, plans: Sequence[Plan], has_card: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_card = has_card
        self.plans = plans
        plan_field = self.fields["plan"]
        assert isinstance(plan_field, forms.ModelChoiceField)
        # The plans were read once for the whole page: each device's form lists
        # them without reading them again, and checks a choice among them.
        plan_field.queryset = Plan.objects.filter(pk__in=[plan.pk for plan in plans])
        plan_field.choices = [(plan.pk, plan_field.label_from_instance(plan)) for plan in plans]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("enabled"):
            return data
        if not self.has_card:
            self.add_error(
                "enabled",
                _("AutoRenew needs a card on file. Add a card on the Cards page first."),
            )
        if not self.plans:
            self.add_error("enabled", _("No plan can renew this device automatically."))
        elif data.get("plan") is None and "plan" not in self.errors:
            self.add_error("plan", _("Choose the plan AutoRenew renews with."))
        return data
