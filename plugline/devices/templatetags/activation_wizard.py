"""`{% wizard_progress %}`: where the customer is in the activation wizard ("Step 2 of 7").

Used by devices/activate/base.html. The current step is the context's
`wizard_step` (one of wizard.state.STEPS), or else the step whose URL this
page is ("devices:activate_<step>"); with `activation` in the context, the
steps already done are marked.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from plugline.devices.models import Activation
from plugline.devices.wizard.state import STEPS, activation_step_done

register = template.Library()

STEP_LABELS = {
    "detect": _("Detect your device"),
    "purchase": _("Where you bought it"),
    "account": _("Your account"),
    "addresses": _("Contact and E911 address"),
    "number": _("Phone number"),
    "terms": _("Terms of service"),
    "code": _("Activation code"),
}


# A free trial's step 2 is its sign-up rather than where the device was bought.
TRIAL_STEP_LABELS = {"purchase": _("Free trial")}


def current_step(context: template.Context) -> str | None:
    step = context.get("wizard_step")
    if step in STEPS:
        return str(step)
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    url_name = getattr(match, "url_name", None) or ""
    step = url_name.removeprefix("activate_")
    return step if step in STEPS else None


@register.inclusion_tag("devices/activate/_progress.html", takes_context=True)
def wizard_progress(context: template.Context) -> dict[str, Any]:
    step = current_step(context)
    activation = context.get("activation")
    # A free trial's wizard, or "Start Trial" before its wizard is made (step 1).
    trial = bool(context.get("wizard_trial")) or (
        isinstance(activation, Activation) and activation.trial
    )
    steps = [
        {
            "name": name,
            "label": TRIAL_STEP_LABELS.get(name, STEP_LABELS[name]) if trial else STEP_LABELS[name],
            "current": name == step,
            "done": isinstance(activation, Activation) and activation_step_done(activation, name),
        }
        for name in STEPS
    ]
    return {
        "steps": steps,
        "number": STEPS.index(step) + 1 if step else None,
        "total": len(STEPS),
        "label": STEP_LABELS[step] if step else "",
    }
