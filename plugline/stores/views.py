""" "Find a store": the stores nearest a city, a postal code or the browser's location.

Public (no sign-in). The list of stores is the result; the map beside it
(Leaflet over a bundled outline of the countries, static/stores/find.js)
shows the same stores, numbered as in the list. Distances are in miles in
English and in kilometres in French and Danish, written the way the
reader's language writes numbers; opening hours use its day names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from urllib.parse import urlencode, urlsplit

from babel import Locale
from babel.dates import get_day_names
from babel.numbers import format_decimal
from babel.units import format_unit
from csp.decorators import csp_update
from django.conf import settings
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe
from django_permissions_policy.decorators import permissions_policy_override

from plugline.core.money import locale_for_language
from plugline.stores.forms import SELLS_CHOICES, StoreSearchForm
from plugline.stores.hours import HoursError, hours_by_day
from plugline.stores.models import Store
from plugline.stores.places import Place, place_find
from plugline.stores.search import stores_near

RESULTS_MAX = 10
# Places offered under "Did you mean": the one searched and up to four others.
PLACES_MAX = 5
# Farther than this, a store is not "near" any more.
SEARCH_RADIUS_KM = 500
KM_PER_MILE = 1.609344
# Between the first and last day, and the opening and closing time ("Mon-Fri").
EN_DASH = "\u2013"


@dataclass
class StoreRow:
    """One store of the results, as the list and the map show it."""

    number: int
    store: Store
    distance: str
    sells: str
    hours: list[tuple[str, str]] = field(default_factory=list)


def tile_server_source(url_template: str) -> str | None:
    """The CSP source of a tile layer's server ("https://tiles.example.com").

    A subdomain placeholder as the first label ("https://{s}.tile.example.org/...")
    becomes a wildcard ("https://*.tile.example.org"); a template that names no
    http(s) server gives None.
    """
    parts = urlsplit(url_template)
    labels = parts.netloc.rpartition("@")[2].split(".")
    if labels[0].startswith("{") and labels[0].endswith("}") and len(labels) > 2:
        labels[0] = "*"
    host = ".".join(labels)
    if parts.scheme not in ("http", "https") or not host or "{" in host:
        return None
    return f"{parts.scheme}://{host}"


@require_safe
# "Use my location" asks the browser where it is: the one page allowed to.
@permissions_policy_override({**settings.PERMISSIONS_POLICY, "geolocation": ["self"]})
def find(request: HttpRequest) -> HttpResponseBase:
    source = tile_server_source(settings.STORE_MAP_TILE_URL)
    if not source:
        return _find(request)
    # The map fetches its tiles from the operator's tile server: this page's
    # Content-Security-Policy lets its images come from there.
    return csp_update({"img-src": [source]})(_find)(request)


def _find(request: HttpRequest) -> HttpResponse:
    searched = any(request.GET.get(name) is not None for name in ("q", "lat", "lon"))
    if searched:
        form = StoreSearchForm(request.GET)
    else:
        # A link may choose the filter ("?sells=reup_cards") before anything is searched.
        chosen = request.GET.get("sells", "")
        known = {value for value, _label in SELLS_CHOICES}
        form = StoreSearchForm(initial={"sells": chosen if chosen in known else ""})
    context: dict[str, object] = {"form": form, "searched": False}
    if not searched:
        return render(request, "stores/find.html", context)
    if not form.is_valid():
        return render(request, "stores/find.html", context, status=400)

    data = form.cleaned_data
    sells = data["sells"] or None
    origin_label: str
    if data["location"] is not None:
        latitude, longitude = data["location"]
        origin_label = _("your location")
    else:
        places = place_find(data["q"], limit=PLACES_MAX)
        if not places:
            form.add_error(
                "q",
                _("We found no place called “%(query)s”. Check the spelling, or try a postal code.")
                % {"query": data["q"]},
            )
            return render(request, "stores/find.html", context)
        pick = min(data["pick"] or 0, len(places) - 1)
        place = places[pick]
        latitude, longitude = place.latitude, place.longitude
        origin_label = place_label(place)
        context["other_places"] = [
            (place_label(other), _search_url(q=data["q"], sells=sells, pick=index))
            for index, other in enumerate(places)
            if index != pick
        ]

    hits = stores_near(latitude, longitude, sells=sells, limit=RESULTS_MAX, max_km=SEARCH_RADIUS_KM)
    prefetch_related_objects([hit.store for hit in hits], "chain")
    rows = [
        StoreRow(
            number=number,
            store=hit.store,
            distance=distance_format(hit.distance_km),
            sells=sells_text(hit.store),
            hours=hours_lines(hit.store.opening_hours),
        )
        for number, hit in enumerate(hits, start=1)
    ]
    context.update(
        searched=True,
        origin_label=origin_label,
        rows=rows,
        sells=sells,
        count_text=results_count(len(rows)),
        radius=distance_format(SEARCH_RADIUS_KM, whole=True),
        map_data=_map_data(rows, latitude, longitude) if rows else None,
    )
    return render(request, "stores/find.html", context)


def _search_url(*, q: str, sells: str | None, pick: int) -> str:
    query = {"q": q, "sells": sells or "", "pick": pick}
    return f"{reverse('stores:find')}?{urlencode(query)}"


def _map_data(rows: list[StoreRow], latitude: float, longitude: float) -> dict[str, object]:
    """What static/stores/find.js draws: no markup, only data and the texts it shows."""
    tiles = None
    if settings.STORE_MAP_TILE_URL:
        tiles = {
            "url": settings.STORE_MAP_TILE_URL,
            "attribution": settings.STORE_MAP_TILE_ATTRIBUTION,
        }
    return {
        "outline": static("vendor/world-atlas/countries-50m.json"),
        "outlineAttribution": _("Outlines: Natural Earth"),
        "tiles": tiles,
        "origin": {"lat": latitude, "lon": longitude},
        "stores": [
            {
                "number": row.number,
                "lat": row.store.latitude,
                "lon": row.store.longitude,
                "name": row.store.name,
                # The pin's number, as in the list: two stores of a chain may share a name.
                "label": _("Store %(number)s: %(name)s")
                % {"number": row.number, "name": row.store.name},
                "address": row.store.address_line1,
                "distance": row.distance,
            }
            for row in rows
        ],
        "text": {
            "zoomIn": _("Zoom in"),
            "zoomOut": _("Zoom out"),
            "closePopup": _("Close"),
        },
    }


def _locale() -> str:
    return locale_for_language(translation.get_language())


def uses_miles(language: str | None = None) -> bool:
    """English readers get miles (the US); French and Danish readers kilometres."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return language.split("-")[0] == "en"


def distance_format(km: float, *, whole: bool = False) -> str:
    """`km` in the reader's unit and way of writing numbers: "2.4 mi", "3,9 km"."""
    if uses_miles():
        value, unit = km / KM_PER_MILE, "length-mile"
    else:
        value, unit = km, "length-kilometer"
    number_format = "#,##0" if whole else "#,##0.0"
    return format_unit(value, unit, length="short", format=number_format, locale=_locale())


def place_label(place: Place) -> str:
    """ "Montréal, QC, Canada", the country's name in the reader's language."""
    country = Locale.parse(_locale()).territories.get(place.country, place.country)
    return ", ".join(part for part in (place.name, place.region, country) if part)


def sells_text(store: Store) -> str:
    if store.sells_devices and store.sells_reup_cards:
        return _("Devices and Re-Up cards")
    if store.sells_devices:
        return _("Devices")
    if store.sells_reup_cards:
        return _("Re-Up cards")
    return ""


def hours_lines(text: str) -> list[tuple[str, str]]:
    """The week as (days, hours) lines, days that share their hours together.

    "Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off" in English:
    [("Mon-Fri", "8 a.m.-9 p.m."), ("Sat", "9 a.m.-6 p.m."), ("Sun", "Closed")],
    with en dashes.
    Hours that are not known, or cannot be read, give [].
    """
    try:
        week = hours_by_day(text)
    except HoursError:
        return []
    if not text.strip():
        return []
    names = get_day_names("abbreviated", context="stand-alone", locale=_locale())
    runs: list[tuple[int, int]] = []
    for day in range(7):
        if runs and week[day] == week[runs[-1][1]]:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    if len(runs) == 1:
        return [(_("Every day"), _spans_text(week[0]))]
    lines = []
    for first, last in runs:
        days = names[first] if first == last else f"{names[first]}{EN_DASH}{names[last]}"
        lines.append((days, _spans_text(week[first])))
    return lines


def _spans_text(spans: list[tuple[time, time]]) -> str:
    if not spans:
        return _("Closed")
    if len(spans) == 1 and spans[0][0] == spans[0][1] == time(0, 0):
        return _("Open 24 hours")
    return ", ".join(
        time_format(opens, "TIME_FORMAT") + EN_DASH + time_format(closes, "TIME_FORMAT")
        for opens, closes in spans
    )


def results_count(count: int) -> str:
    return ngettext(
        "%(count)s store, nearest first.", "%(count)s stores, nearest first.", count
    ) % {"count": format_decimal(count, locale=_locale())}
