"""Time zones people can choose: IANA names from zoneinfo, the usual ones first.

Every zone is shown in the reader's language: the usual ones by the catalog,
the others by their city and zone name from the Unicode CLDR (babel).
"""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.dates import get_timezone_location, get_timezone_name
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Where the service's subscribers live: the US, Canada, and Denmark.
COMMON_TIME_ZONES: tuple[tuple[str, StrOrPromise], ...] = (
    ("America/New_York", _("Eastern Time: New York")),
    ("America/Chicago", _("Central Time: Chicago")),
    ("America/Denver", _("Mountain Time: Denver")),
    ("America/Phoenix", _("Mountain Time without daylight saving: Phoenix")),
    ("America/Los_Angeles", _("Pacific Time: Los Angeles")),
    ("America/Anchorage", _("Alaska Time: Anchorage")),
    ("Pacific/Honolulu", _("Hawaii Time: Honolulu")),
    ("America/Puerto_Rico", _("Atlantic Time: Puerto Rico")),
    ("America/St_Johns", _("Newfoundland Time: St. John's")),
    ("America/Halifax", _("Atlantic Time: Halifax")),
    ("America/Toronto", _("Eastern Time: Toronto, Montreal")),
    ("America/Winnipeg", _("Central Time: Winnipeg")),
    ("America/Regina", _("Central Time without daylight saving: Regina")),
    ("America/Edmonton", _("Mountain Time: Edmonton, Calgary")),
    ("America/Vancouver", _("Pacific Time: Vancouver")),
    ("Europe/Copenhagen", _("Central European Time: Copenhagen")),
    ("UTC", _("Coordinated Universal Time (UTC)")),
)

# Old aliases and technical zones that only make the long list longer; a
# stored one is still valid (see `is_time_zone`).
_LEFT_OUT_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")


@functools.cache
def _available() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    return name in _available()


@functools.cache
def _other_time_zones() -> tuple[str, ...]:
    common = {name for name, _label in COMMON_TIME_ZONES}
    return tuple(
        sorted(
            name
            for name in _available()
            if "/" in name and not name.startswith(_LEFT_OUT_PREFIXES) and name not in common
        )
    )


@functools.cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(translation.to_locale(settings.LANGUAGE_CODE))


@functools.cache
def _label(name: str, language: str) -> str:
    """`name` in `language`, e.g. Europe/Vienna: "Wien (Centraleuropæisk tid)" in Danish."""
    locale = _locale(language)
    try:
        city = get_timezone_location(name, locale=locale, return_city=True)
        zone = get_timezone_name(name, locale=locale)
    except (LookupError, ValueError):
        return name.replace("_", " ")
    with translation.override(language):
        return gettext("%(city)s (%(zone)s)") % {"city": city, "zone": zone}


def time_zone_label(name: str) -> str:
    """The zone called `name` as people read it, in the active language."""
    return _label(name, translation.get_language() or settings.LANGUAGE_CODE)


def _sort_key(label: str) -> str:
    # Letters with accents sort with their base letter (Ø/Å after Z in Danish is lost,
    # a small price for "Île" beside "Iqaluit" in French).
    return unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().casefold()


def time_zone_choices(
    current: str = "",
) -> list[tuple[StrOrPromise, list[tuple[str, StrOrPromise]]]]:
    """Choices for a select: the common zones, then every other, in the active language.

    `current` (a stored zone that the lists leave out) is offered too, so
    that saving a form never changes it behind the person's back.
    """
    available = _available()
    common = [(name, label) for name, label in COMMON_TIME_ZONES if name in available]
    # By their name in this language, so that typing a city's first letters finds it.
    others: list[tuple[str, StrOrPromise]] = sorted(
        ((name, time_zone_label(name)) for name in _other_time_zones()),
        key=lambda choice: _sort_key(str(choice[1])),
    )
    listed = {name for name, _label in common} | {name for name, _label in others}
    if current and current not in listed and is_time_zone(current):
        others.insert(0, (current, time_zone_label(current)))
    return [(_("Common time zones"), common), (_("All time zones"), others)]


def time_zone_get(name: str) -> zoneinfo.ZoneInfo:
    """The zone called `name`, or UTC when there is no such zone (any more)."""
    if name and is_time_zone(name):
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo("UTC")
