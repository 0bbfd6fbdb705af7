"""`{% load money %}` then `{{ payment.amount|money:payment.currency }}`."""

from __future__ import annotations

from django import template

from plugline.core.money import money_format

register = template.Library()


@register.filter
def money(amount: int | str | None, currency: str) -> str:
    """Minor units in `currency`, written for the active language."""
    if amount is None or amount == "" or not currency:  # a missing variable is ""
        return ""
    return money_format(int(amount), currency)
