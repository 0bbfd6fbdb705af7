"""`{% transfer_for activation as transfer %}`: what step 1 of the wizard shows for a used device.

For the include devices/activate/_owned_elsewhere.html, so that the wizard's
own view need not know about transfer requests: `transfer.waiting` is the
request that waits for the owner's answer (or None), `transfer.form` the
form to ask (with the signed-in person's email already filled in).
"""

from __future__ import annotations

from typing import Any

from django import template

from plugline.devices.models import Activation
from plugline.devices.selectors import transfer_request_waiting
from plugline.devices.transfer_forms import TransferRequestForm

register = template.Library()


@register.simple_tag(takes_context=True)
def transfer_for(context: template.Context, activation: Activation | None) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    initial = {"notify_email": user.email} if user is not None and user.is_authenticated else {}
    return {
        "waiting": transfer_request_waiting(activation=activation) if activation else None,
        "form": TransferRequestForm(initial=initial),
    }
