"""The staff consoles' messages split in two: what was refused (shown first, focused, like
a refused form's summary) and the rest (a polite status)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.contrib import messages
from django.contrib.messages.storage.base import Message

register = template.Library()


@register.filter
def staff_errors(stored: Iterable[Message]) -> list[Message]:
    return [message for message in stored if message.level >= messages.ERROR]


@register.filter
def staff_notes(stored: Iterable[Message]) -> list[Message]:
    return [message for message in stored if message.level < messages.ERROR]
