"""A rate as callers read it: prices as money and increments in words, in their language."""

from __future__ import annotations

from babel.units import format_unit
from django.utils import translation
from django.utils.translation import gettext as _

from plugline.core.money import locale_for_language, money_format
from plugline.rates.models import Rate


def duration_text(seconds: int) -> str:
    """ "30 seconds", "1 minute", "2 minutter": whole minutes in minutes, else seconds."""
    locale = locale_for_language(translation.get_language())
    if seconds % 60 == 0:
        return format_unit(seconds // 60, "duration-minute", length="long", locale=locale)
    return format_unit(seconds, "duration-second", length="long", locale=locale)


def increments_text(rate: Rate) -> str:
    """How a call is billed, in words.

    "Billed per minute" (60/60), "Billed per second" (1/1),
    "Minimum 30 seconds, then in steps of 6 seconds" (30/6).
    """
    first, following = rate.first_increment, rate.next_increment
    if first == following == 60:
        return _("Billed per minute")
    if first == following == 1:
        return _("Billed per second")
    if first == following:
        return _("Billed in steps of %(step)s") % {"step": duration_text(first)}
    return _("Minimum %(first)s, then in steps of %(next)s") % {
        "first": duration_text(first),
        "next": duration_text(following),
    }


def price_per_minute_text(rate: Rate) -> str:
    return money_format(rate.price_per_minute, rate.currency)


def connection_fee_text(rate: Rate) -> str:
    """The connection fee as money, or "None" when there is none."""
    if rate.connection_fee == 0:
        return _("None")
    return money_format(rate.connection_fee, rate.currency)
