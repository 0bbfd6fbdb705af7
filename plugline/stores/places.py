"""Where "Find a store" searches from: a city name or a postal code, found offline.

Cities come from the bundled GeoNames list (data/cities.tsv.gz, built by
data/build_cities.py), read once per process. Names match without regard
to case, accents or punctuation ("montreal", "MONTRÉAL", "Kobenhavn",
"new york"), on a city's name or its alternate names, the most populous
city first; a qualifier after a comma narrows the search to a region or
country ("Montréal, QC", "London, Canada", "Roskilde, DK"; the comma may
be left out).

Postal codes are found by the stores' own data (no postal code list is
bundled): a query shaped like a US ZIP code, a Canadian postal code or a
Danish one is placed at the stores that have that postal code, or else
at those sharing its first characters (3 digits of a ZIP code, a
Canadian code's first 3 characters, 2 digits of a Danish one).
"""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Avg, Count

from plugline.stores.folding import name_fold
from plugline.stores.models import Store, postal_code_key

__all__ = ["Place", "name_fold", "place_find"]

CITIES_FILE = Path(__file__).resolve().parent / "data" / "cities.tsv.gz"
# Longer queries are not place names; they are not looked up.
QUERY_MAX_LENGTH = 100

US_ZIP = re.compile(r"(\d{5})(?:-?(\d{4}))?")
CA_POSTAL = re.compile(r"([A-Z]\d[A-Z])(?:-?(\d[A-Z]\d))?")
DK_POSTAL = re.compile(r"(?:DK-?)?(\d{4})")


@dataclass(frozen=True)
class Place:
    name: str  # "Montréal", "Copenhagen", "10001"
    region: str  # "QC", "NY", "Hovedstaden" or ""
    country: str  # ISO 3166-1 alpha-2
    latitude: float
    longitude: float
    kind: str  # "city" | "postal_code"


@dataclass(frozen=True)
class _City:
    name: str
    region: str
    country: str
    latitude: float
    longitude: float
    population: int


def place_find(query: str, *, limit: int = 5) -> list[Place]:
    """The places `query` names, best first; [] if none (or the query is too long)."""
    query = " ".join(query.split())
    if not query or len(query) > QUERY_MAX_LENGTH or limit < 1:
        return []
    postal = _postal_code_parse(query)
    if postal is not None:
        return _postal_code_find(*postal)[:limit]
    return _cities_find(query, limit=limit)


# Cities


class _CityIndex:
    """Folded name -> cities, with whether the name is the city's own (not an alternate)."""

    def __init__(self, path: Path) -> None:
        self.names: dict[str, list[tuple[bool, _City]]] = {}
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    continue
                _id, name, alternates, country, region, lat, lon, population = line.rstrip(
                    "\n"
                ).split("\t")
                city = _City(name, region, country, float(lat), float(lon), int(population))
                own = name_fold(name)
                self.names.setdefault(own, []).append((True, city))
                for alternate in alternates.split("|") if alternates else ():
                    self.names.setdefault(alternate, []).append((False, city))
        for cities in self.names.values():
            # The city whose own name this is, then the most populous.
            cities.sort(key=lambda entry: (not entry[0], -entry[1].population))


_index: _CityIndex | None = None
_index_lock = threading.Lock()


def _city_index() -> _CityIndex:
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = _CityIndex(CITIES_FILE)
    return _index


COUNTRY_NAMES = {
    "US": ("us", "usa", "united states", "united states of america", "etats unis", "america"),
    "CA": ("ca", "canada", "can"),
    "DK": ("dk", "denmark", "danmark", "danemark", "dnk"),
}
CA_PROVINCE_NAMES = {
    "AB": ("alberta",),
    "BC": ("british columbia", "colombie britannique"),
    "MB": ("manitoba",),
    "NB": ("new brunswick", "nouveau brunswick"),
    "NL": ("newfoundland and labrador", "newfoundland", "terre neuve et labrador"),
    "NS": ("nova scotia", "nouvelle ecosse"),
    "ON": ("ontario",),
    "PE": ("prince edward island", "ile du prince edouard", "pei"),
    "QC": ("quebec", "que"),
    "SK": ("saskatchewan",),
    "YT": ("yukon",),
    "NT": ("northwest territories", "territoires du nord ouest"),
    "NU": ("nunavut",),
}
US_STATE_NAMES = {
    "AL": "alabama",
    "AK": "alaska",
    "AZ": "arizona",
    "AR": "arkansas",
    "CA": "california",
    "CO": "colorado",
    "CT": "connecticut",
    "DE": "delaware",
    "DC": "district of columbia",
    "FL": "florida",
    "GA": "georgia",
    "HI": "hawaii",
    "ID": "idaho",
    "IL": "illinois",
    "IN": "indiana",
    "IA": "iowa",
    "KS": "kansas",
    "KY": "kentucky",
    "LA": "louisiana",
    "ME": "maine",
    "MD": "maryland",
    "MA": "massachusetts",
    "MI": "michigan",
    "MN": "minnesota",
    "MS": "mississippi",
    "MO": "missouri",
    "MT": "montana",
    "NE": "nebraska",
    "NV": "nevada",
    "NH": "new hampshire",
    "NJ": "new jersey",
    "NM": "new mexico",
    "NY": "new york",
    "NC": "north carolina",
    "ND": "north dakota",
    "OH": "ohio",
    "OK": "oklahoma",
    "OR": "oregon",
    "PA": "pennsylvania",
    "RI": "rhode island",
    "SC": "south carolina",
    "SD": "south dakota",
    "TN": "tennessee",
    "TX": "texas",
    "UT": "utah",
    "VT": "vermont",
    "VA": "virginia",
    "WA": "washington",
    "WV": "west virginia",
    "WI": "wisconsin",
    "WY": "wyoming",
    "PR": "puerto rico",
}
_QUALIFIERS: dict[str, list[tuple[str, str]]] = {}
for _country, _names in COUNTRY_NAMES.items():
    for _name in _names:
        _QUALIFIERS.setdefault(_name, []).append((_country, ""))
for _code, _names in CA_PROVINCE_NAMES.items():
    for _name in (_code.lower(), *_names):
        _QUALIFIERS.setdefault(_name, []).append(("CA", _code))
for _code, _state in US_STATE_NAMES.items():
    _QUALIFIERS.setdefault(_state, []).append(("US", _code))


def _qualifier_matches(qualifier: str, city: _City) -> bool:
    for country, region in _QUALIFIERS.get(qualifier, ()):
        if city.country == country and (not region or city.region == region):
            return True
    # US states' and Danish regions' codes and names as the data writes them ("NY", "Sjælland").
    return qualifier == name_fold(city.region) and bool(qualifier)


def _cities_find(query: str, *, limit: int) -> list[Place]:
    index = _city_index()
    name, comma, qualifier = query.rpartition(",")
    if comma and name.strip() and qualifier.strip():
        candidates = _qualified(index, name, qualifier)
    else:
        candidates = [city for _own, city in index.names.get(name_fold(query), ())]
        if not candidates and " " in query.strip():
            # "Montréal QC", "Roskilde DK": a qualifier without its comma.
            name, _, qualifier = query.strip().rpartition(" ")
            candidates = _qualified(index, name, qualifier)
    places: list[Place] = []
    seen: set[_City] = set()
    for city in candidates:
        if city in seen:
            continue
        seen.add(city)
        places.append(
            Place(city.name, city.region, city.country, city.latitude, city.longitude, "city")
        )
        if len(places) == limit:
            break
    return places


def _qualified(index: _CityIndex, name: str, qualifier: str) -> list[_City]:
    """The cities called `name` in the region or country `qualifier` names."""
    folded_qualifier = name_fold(qualifier)
    return [
        city
        for _own, city in index.names.get(name_fold(name), ())
        if _qualifier_matches(folded_qualifier, city)
    ]


# Postal codes


def _postal_code_parse(query: str) -> tuple[str, str, list[tuple[str, bool]]] | None:
    """(country, the code as written, [(key, whole code?)] from the whole code to the shortest)."""
    key = postal_code_key(query)
    if match := US_ZIP.fullmatch(key):
        zip5, plus4 = match.groups()
        if plus4:
            return "US", f"{zip5}-{plus4}", [(key, True), (zip5, False), (zip5[:3], False)]
        return "US", zip5, [(zip5, True), (zip5[:3], False)]
    if match := CA_POSTAL.fullmatch(key):
        fsa, ldu = match.groups()
        if ldu:
            return "CA", f"{fsa} {ldu}", [(key, True), (fsa, False)]
        return "CA", fsa, [(fsa, False)]
    if match := DK_POSTAL.fullmatch(key):
        code = match.group(1)
        return "DK", code, [(code, True), (code[:2], False)]
    return None


def _postal_code_find(country: str, shown: str, keys: list[tuple[str, bool]]) -> list[Place]:
    """The centre of the active stores with the first of `keys` that any store has.

    A key marked whole must be a store's whole postal code; the others are prefixes.
    """
    stores = Store.objects.filter(active=True, country=country)
    for key, whole in keys:
        matching = (
            stores.filter(postal_code_key=key)
            if whole
            else stores.filter(postal_code_key__startswith=key)
        )
        found = matching.aggregate(
            latitude=Avg("latitude"), longitude=Avg("longitude"), count=Count("id")
        )
        if found["count"]:
            region = (
                matching.values_list("region", flat=True)
                .annotate(n=Count("id"))
                .order_by("-n", "region")
                .first()
            )
            return [
                Place(
                    shown,
                    region or "",
                    country,
                    float(found["latitude"]),
                    float(found["longitude"]),
                    "postal_code",
                )
            ]
    return []
