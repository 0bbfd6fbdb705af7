"""Canned responses: the ready answers of the agents' console, with the customer's details
filled in on the server (the agent's browser never builds the text)."""

from __future__ import annotations

import re

from plugline.chat.models import CannedResponse, Conversation
from plugline.core.phones import format_phone_number
from plugline.devices.selectors import device_list_for_user

VARIABLE = re.compile(r"\{(first_name|device_number)\}")


def canned_for_language(*, language: str) -> list[CannedResponse]:
    return list(CannedResponse.objects.filter(language=language))


def canned_get(*, canned_id: object) -> CannedResponse | None:
    if not isinstance(canned_id, int) or isinstance(canned_id, bool):
        return None
    return CannedResponse.objects.filter(pk=canned_id).first()


def _device_number(conversation: Conversation) -> str:
    if conversation.customer is None:
        return ""
    for device in device_list_for_user(user=conversation.customer):
        if device.phone_number:
            return format_phone_number(device.phone_number)
    return ""


def canned_fill(*, canned: CannedResponse, conversation: Conversation) -> str:
    """The canned text for this customer: {first_name} and {device_number} replaced (by
    nothing when unknown); any other braces are left as written."""
    values = {
        "first_name": conversation.customer_first_name,
        "device_number": _device_number(conversation),
    }
    return VARIABLE.sub(lambda match: values[match[1]], canned.text)
